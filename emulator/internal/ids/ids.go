// Package ids makes the random identifiers and secrets the emulator hands
// out, in the formats Pipedream uses where they are known (o_, proj_, exu_),
// and is the emulator's only source of randomness: ids, secrets, token ids,
// Connect tokens, webhook signing keys, rate-limit tokens, the signing key
// and the journal's redaction key all come from a Generator.
//
// A Generator reads crypto/rand by default. One made by NewSeeded reads a
// deterministic stream instead, so that two emulators with the same seed,
// asked the same things in the same order on a frozen clock, answer byte
// for byte the same: that is for tests and golden files. What a seeded
// generator makes is not secret: anyone who knows or guesses the seed can
// compute every secret and the signing key.
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Generator is a source of random bytes and of the ids and secrets made
// from them. It is safe for concurrent use. Make one with NewRandom or
// NewSeeded; the zero value, and a nil *Generator, read crypto/rand.
type Generator struct {
	seeded bool
	seed   uint64

	// mu guards stream and mark, the state of a seeded generator, and
	// over; a random one reads crypto/rand, which is safe for concurrent
	// use, without it unless overridden says an Override is in force.
	mu         sync.Mutex
	stream     mrand.ChaCha8
	mark       mrand.ChaCha8
	over       []*mrand.ChaCha8 // the Overrides in force; the last one draws
	overridden atomic.Bool      // len(over) > 0, for Read's lock-free path
}

// NewRandom returns a Generator that reads crypto/rand: what the emulator
// uses unless it is given a seed.
func NewRandom() *Generator { return &Generator{} }

// NewSeeded returns a Generator whose output is a deterministic function of
// seed: a ChaCha8 stream keyed by the SHA-256 of the seed's 8 bytes (big
// endian). Its ids and secrets are reproducible, and so not secret.
func NewSeeded(seed uint64) *Generator {
	g := &Generator{seeded: true, seed: seed}
	g.stream = *mrand.NewChaCha8(expand(seed))
	g.mark = g.stream
	return g
}

// expand turns a 64-bit seed into a 256-bit ChaCha8 key.
func expand(seed uint64) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	return sha256.Sum256(b[:])
}

// Seed returns the seed of a seeded generator; ok is false for a random one.
func (g *Generator) Seed() (seed uint64, ok bool) {
	if g == nil {
		return 0, false
	}
	return g.seed, g.seeded
}

// Mark remembers where a seeded generator's stream stands, for Rewind. A
// new seeded generator is marked at the start of its stream. It does
// nothing to a random generator.
func (g *Generator) Mark() {
	if g == nil || !g.seeded {
		return
	}
	g.mu.Lock()
	g.mark = g.stream
	g.mu.Unlock()
}

// Rewind puts a seeded generator's stream back where the last Mark left it
// (the start of the stream if Mark was never called), so that it draws the
// same bytes again. It does nothing to a random generator.
func (g *Generator) Rewind() {
	if g == nil || !g.seeded {
		return
	}
	g.mu.Lock()
	g.stream = g.mark
	g.mu.Unlock()
}

// Reseed restarts a seeded generator's stream from seed: it draws what
// NewSeeded(seed) would, while its mark stays where it was. It does nothing
// to a random generator.
func (g *Generator) Reseed(seed uint64) {
	if g == nil || !g.seeded {
		return
	}
	g.mu.Lock()
	g.stream = *mrand.NewChaCha8(expand(seed))
	g.mu.Unlock()
}

// Read fills p with random bytes. It always returns len(p) and a nil error,
// so a Generator can be the io.Reader that crypto and uuid functions take.
func (g *Generator) Read(p []byte) (int, error) {
	if g == nil || !g.seeded && !g.overridden.Load() {
		// crypto/rand.Read never fails since Go 1.24: it crashes first.
		if _, err := rand.Read(p); err != nil {
			panic("ids: crypto/rand failed: " + err.Error())
		}
		return len(p), nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case len(g.over) > 0:
		return g.over[len(g.over)-1].Read(p)
	case g.seeded:
		return g.stream.Read(p)
	}
	// An Override ended between the check above and the lock.
	_, _ = rand.Read(p)
	return len(p), nil
}

// Override makes every draw, until undo is called, come from a fresh
// stream seeded by seed: the bytes NewSeeded(seed) would give, whether g
// is random or seeded. The generator's own stream does not advance
// meanwhile. Overrides nest: the latest one in force draws, and undo
// withdraws its own (a second call does nothing), so the one it covered
// draws again from where it stood. It is for replaying one recorded
// change so that it draws the ids it drew the first time; the caller keeps
// other draws out while it is in force, since they would take from the
// override's stream.
func (g *Generator) Override(seed uint64) (undo func()) {
	c := mrand.NewChaCha8(expand(seed))
	g.mu.Lock()
	g.over = append(g.over, c)
	g.overridden.Store(true)
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if i := slices.Index(g.over, c); i >= 0 {
			g.over = slices.Delete(g.over, i, i+1)
		}
		g.overridden.Store(len(g.over) > 0)
	}
}

// New returns prefix followed by n random alphanumeric characters, e.g.
// New("proj_", 7) = "proj_Ab3dE9x". The modulo bias of 256 % 62 is
// irrelevant for identifiers; secrets come from Secret.
func (g *Generator) New(prefix string, n int) string {
	b := make([]byte, len(prefix)+n)
	copy(b, prefix)
	r := b[len(prefix):]
	_, _ = g.Read(r)
	for i := range r {
		r[i] = alphabet[int(r[i])%len(alphabet)]
	}
	return string(b)
}

// Secret returns 256 random bits, base64url-encoded without padding.
func (g *Generator) Secret() string {
	var b [32]byte
	_, _ = g.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// UUID returns a random (version 4, RFC 4122) UUID in its canonical form.
func (g *Generator) UUID() string {
	u, err := uuid.NewRandomFromReader(g)
	if err != nil {
		panic(fmt.Sprintf("ids: uuid: %v", err)) // unreachable: Read never fails
	}
	return u.String()
}

// Uint64 returns 64 random bits.
func (g *Generator) Uint64() uint64 {
	var b [8]byte
	_, _ = g.Read(b[:])
	return binary.LittleEndian.Uint64(b[:])
}
