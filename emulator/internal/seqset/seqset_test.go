package seqset

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/internal/paging"
)

// TestSetChangesRepresentation walks a set through both forms: a slice up
// to promoteAbove items, a B-tree past it, a slice again below demoteBelow.
func TestSetChangesRepresentation(t *testing.T) {
	var s Set[int]
	for i := 1; i <= promoteAbove; i++ {
		s.Add(uint64(i), i)
	}
	assert.Nil(t, s.tree, "at the threshold the set is still a slice")
	s.Add(promoteAbove+1, promoteAbove+1)
	require.NotNil(t, s.tree, "one past the threshold it is a tree")
	assert.Equal(t, promoteAbove+1, s.Len())
	for i := 1; i <= promoteAbove+1-demoteBelow; i++ {
		require.True(t, s.Delete(uint64(i)))
	}
	assert.NotNil(t, s.tree, "at demoteBelow items it is still a tree")
	require.True(t, s.Delete(uint64(promoteAbove+2-demoteBelow)))
	assert.Nil(t, s.tree, "below demoteBelow it is a slice again")
	assert.Equal(t, demoteBelow-1, s.Len())
	want := []int{}
	for i := promoteAbove + 3 - demoteBelow; i <= promoteAbove+1; i++ {
		want = append(want, i)
	}
	assert.Equal(t, want, s.Items())
	assert.False(t, s.Delete(1), "deleting an absent seq reports false")
	for _, x := range want {
		s.Delete(uint64(x))
	}
	assert.Nil(t, s.small, "an emptied set holds no memory")
	_, ok := s.Last()
	assert.False(t, ok)
}

func TestAddOutOfOrderAndReplace(t *testing.T) {
	for _, n := range []int{10, 200} { // slice and tree
		var s Set[int]
		perm := rand.New(rand.NewPCG(1, uint64(n))).Perm(n)
		for _, p := range perm {
			s.Add(uint64(p+1), p+1)
		}
		s.Add(3, -3) // replaces
		want := make([]int, n)
		for i := range want {
			want[i] = i + 1
		}
		want[2] = -3
		assert.Equal(t, want, s.Items(), "n=%d", n)
		last, _ := s.Last()
		assert.Equal(t, uint64(n), last)
	}
}

func TestIteratorsAtTheEdges(t *testing.T) {
	for _, n := range []int{5, 100} {
		var s Set[int]
		for i := 1; i <= n; i++ {
			s.Add(uint64(i), i)
		}
		collect := func(it func(func(uint64, int) bool)) []int {
			var out []int
			for _, x := range it {
				out = append(out, x)
			}
			return out
		}
		assert.Nil(t, collect(s.After(^uint64(0))), "nothing after the largest seq")
		assert.Nil(t, collect(s.Before(0)), "nothing before seq 0")
		assert.Nil(t, collect(s.Before(1)), "nothing before the first")
		assert.Equal(t, []int{n}, collect(s.After(uint64(n-1))))
		assert.Equal(t, []int{2, 1}, collect(s.Before(3)))
	}
}

// TestPageMatchesSlice checks Page against paging.Slice, the reference,
// over sets of both forms with holes, random filters and every kind of
// request, cursors of present and deleted items included.
func TestPageMatchesSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for round := range 300 {
		n := rng.IntN(300)
		var s Set[int]
		var live []int
		for i := 1; i <= n; i++ {
			s.Add(uint64(i), i)
		}
		for i := 1; i <= n; i++ {
			if rng.IntN(4) == 0 {
				s.Delete(uint64(i))
			} else {
				live = append(live, i)
			}
		}
		var keep func(int) bool
		if m := rng.IntN(4); m > 0 {
			keep = func(x int) bool { return x%(m+1) != 0 }
		}
		want := live
		if keep != nil {
			want = slices.DeleteFunc(slices.Clone(live), func(x int) bool { return !keep(x) })
		}
		cursor := func() string {
			if rng.IntN(3) == 0 {
				return ""
			}
			return paging.SeqKey(uint64(rng.IntN(n + 2)))
		}
		req := paging.Request{Limit: rng.IntN(12), After: cursor(), Before: cursor()}
		got, err := Page(&s, req, keep)
		require.NoError(t, err)
		ref := paging.Slice(want, func(x int) string { return paging.SeqKey(uint64(x)) }, req)
		require.Equal(t, ref, got, "round %d: n=%d req=%+v", round, n, req)
	}
}

func TestPageRefusesForeignCursors(t *testing.T) {
	var s Set[int]
	s.Add(1, 1)
	for _, req := range []paging.Request{{After: "k03"}, {Before: "zzzzzzzzzzzzzzzz"}, {After: "0000000000000001"}} {
		_, err := Page(&s, req, nil)
		assert.ErrorContains(t, err, "not a cursor this server issued", "%+v", req)
	}
}

func BenchmarkPage(b *testing.B) {
	var s Set[int]
	const n = 1_000_000
	for i := 1; i <= n; i++ {
		s.Add(uint64(i), i)
	}
	mid := paging.Request{Limit: 10, After: paging.SeqKey(n / 2)}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Page(&s, mid, nil); err != nil {
			b.Fatal(err)
		}
	}
}
