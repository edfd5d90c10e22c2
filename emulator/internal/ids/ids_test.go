package ids

import (
	"encoding/base64"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// draws takes one of everything a generator makes, in a fixed order.
func draws(g *Generator) []string {
	var b [13]byte
	_, _ = g.Read(b[:])
	return []string{g.New("proj_", 7), g.Secret(), g.UUID(), string(b[:]), g.New("", 27),
		base64.RawURLEncoding.EncodeToString(uint64Bytes(g.Uint64()))}
}

func uint64Bytes(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func TestSeededIsDeterministic(t *testing.T) {
	a, b := NewSeeded(42), NewSeeded(42)
	for range 50 {
		require.Equal(t, draws(a), draws(b))
	}
	other := draws(NewSeeded(43))
	first := draws(NewSeeded(42))
	for i := range first {
		assert.NotEqual(t, first[i], other[i], "another seed, another stream (draw %d)", i)
	}
	seed, ok := a.Seed()
	assert.True(t, ok)
	assert.EqualValues(t, 42, seed)
}

func TestSeededStreamIsPinned(t *testing.T) {
	// The stream is part of what golden files record: changing how a seed
	// expands, or how ids are made of bytes, changes every golden file.
	g := NewSeeded(1)
	assert.Equal(t, "proj_uwIDX4l", g.New("proj_", 7))
	assert.Equal(t, "aRgFeVc4tbkkRNAybmnHHaP-04lABLRZn8QG4XNPD1w", g.Secret())
	assert.Equal(t, "356ab95d-cb9a-419b-9be1-3a7081cba245", g.UUID())
}

func TestRandomDiffers(t *testing.T) {
	a, b := NewRandom(), NewRandom()
	assert.NotEqual(t, draws(a), draws(b))
	_, ok := a.Seed()
	assert.False(t, ok)
	var zero Generator
	assert.NotEqual(t, zero.Secret(), zero.Secret(), "the zero value reads crypto/rand")
	var none *Generator
	assert.NotEqual(t, none.Secret(), none.Secret(), "so does a nil *Generator")
	none.Mark()
	none.Rewind()
	_, ok = none.Seed()
	assert.False(t, ok)
	a.Mark()
	a.Rewind() // no-ops
	assert.NotEqual(t, a.Secret(), b.Secret())
}

func TestFormats(t *testing.T) {
	for _, g := range []*Generator{NewRandom(), NewSeeded(7)} {
		for range 100 {
			assert.Regexp(t, regexp.MustCompile(`^proj_[A-Za-z0-9]{7}$`), g.New("proj_", 7))
			assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9]{27}$`), g.New("", 27))
			s := g.Secret()
			raw, err := base64.RawURLEncoding.DecodeString(s)
			require.NoError(t, err)
			assert.Len(t, raw, 32)
			u, err := uuid.Parse(g.UUID())
			require.NoError(t, err)
			assert.Equal(t, uuid.Version(4), u.Version())
			assert.Equal(t, uuid.RFC4122, u.Variant())
		}
		n, err := g.Read(make([]byte, 100))
		assert.Equal(t, 100, n)
		assert.NoError(t, err)
	}
}

func TestReseed(t *testing.T) {
	g := NewSeeded(9)
	g.Mark()
	first := draws(g)
	g.Reseed(10)
	assert.Equal(t, draws(NewSeeded(10)), draws(g), "a reseeded generator draws what NewSeeded does")
	g.Rewind()
	assert.Equal(t, first, draws(g), "the mark stays")

	r := NewRandom()
	r.Reseed(10) // a no-op
	_, seeded := r.Seed()
	assert.False(t, seeded)
	assert.NotEqual(t, draws(NewSeeded(10)), draws(r))
	var none *Generator
	none.Reseed(1)
}

func TestMarkAndRewind(t *testing.T) {
	g := NewSeeded(9)
	start := draws(g)
	g.Rewind()
	assert.Equal(t, start, draws(g), "without a mark, Rewind goes back to the start")
	g.Mark()
	next := draws(g)
	draws(g)
	g.Rewind()
	assert.Equal(t, next, draws(g))
	assert.NotEqual(t, start, next)

	// A mark in the middle of a partly used 8-byte block.
	var one [3]byte
	_, _ = g.Read(one[:])
	g.Mark()
	var b1, b2 [11]byte
	_, _ = g.Read(b1[:])
	g.Rewind()
	_, _ = g.Read(b2[:])
	assert.Equal(t, b1, b2)
}

func TestConcurrentDrawsShareOneStream(t *testing.T) {
	// Run with -race. Every draw takes whole 8-byte blocks under the lock,
	// so concurrent draws hand out exactly the values one goroutine would,
	// in some order.
	const workers, each = 8, 500
	g := NewSeeded(5)
	got := make([][]uint64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				got[w] = append(got[w], g.Uint64())
			}
		})
	}
	wg.Wait()
	var all []uint64
	for _, vs := range got {
		all = append(all, vs...)
	}
	want := make([]uint64, 0, workers*each)
	ref := NewSeeded(5)
	for range workers * each {
		want = append(want, ref.Uint64())
	}
	slices.Sort(all)
	slices.Sort(want)
	assert.Equal(t, want, all)

	// Every method, concurrently, on both kinds, for the race detector.
	for _, g := range []*Generator{NewRandom(), NewSeeded(6)} {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range 50 {
					draws(g)
					g.Mark()
					g.Rewind()
				}
			})
		}
		wg.Wait()
	}
}

func TestOverride(t *testing.T) {
	for _, g := range []*Generator{NewRandom(), NewSeeded(11)} {
		ref := NewSeeded(11)
		undo := g.Override(3)
		assert.Equal(t, draws(NewSeeded(3)), draws(g), "an override draws what NewSeeded(seed) draws")
		inner := g.Override(4)
		assert.Equal(t, draws(NewSeeded(4)), draws(g))
		inner()
		inner() // a second undo does nothing
		want := NewSeeded(3)
		draws(want)
		assert.Equal(t, draws(want), draws(g), "undo puts back the enclosing override where it stood")
		undo()
		if _, seeded := g.Seed(); seeded {
			assert.Equal(t, draws(ref), draws(g), "the generator's own stream did not advance")
		} else {
			assert.NotEqual(t, draws(NewSeeded(3)), draws(g), "random again")
		}
	}

	// Overrides and draws from many goroutines, for the race detector.
	g := NewRandom()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				undo := g.Override(uint64(i))
				draws(g)
				undo()
				draws(g)
			}
		})
	}
	wg.Wait()
	_, ok := g.Seed()
	assert.False(t, ok)
	assert.False(t, g.overridden.Load())
}
