// Package seqset keeps a family's records in creation order, so that a
// page of a list costs a lookup plus the page, however large the family
// grows, and a record leaves its lists in logarithmic time.
package seqset

import (
	"iter"
	"math"
	"slices"
	"sort"

	"github.com/google/btree"

	"github.com/pdemu/pdemu/emulator/internal/paging"
)

// Sizes at which a Set changes representation. Most sets are small (one
// external user's accounts), and a sorted slice is their cheapest form;
// a B-tree takes over once deletions from the middle of a slice would
// cost more than they save.
const (
	promoteAbove = 64
	demoteBelow  = 16
	degree       = 32
)

type entry[T any] struct {
	seq  uint64
	item T
}

func less[T any](a, b entry[T]) bool { return a.seq < b.seq }

// Set holds items ordered by a sequence number unique within the set
// (their creation sequence). The zero value is an empty set. A Set is not
// safe for concurrent use; its owner's lock guards it.
type Set[T any] struct {
	small []entry[T] // ascending by seq, used while tree is nil
	tree  *btree.BTreeG[entry[T]]
}

// Len reports how many items the set holds.
func (s *Set[T]) Len() int {
	if s.tree != nil {
		return s.tree.Len()
	}
	return len(s.small)
}

// Add inserts x under seq, replacing the item already there. New records
// carry the highest seq so far, which makes Add an append.
func (s *Set[T]) Add(seq uint64, x T) {
	e := entry[T]{seq, x}
	if s.tree != nil {
		s.tree.ReplaceOrInsert(e)
		return
	}
	i, found := s.search(seq)
	switch {
	case found:
		s.small[i] = e
		return
	case i == len(s.small):
		s.small = append(s.small, e)
	default:
		s.small = slices.Insert(s.small, i, e)
	}
	if len(s.small) > promoteAbove {
		s.tree = btree.NewG(degree, less[T])
		for _, e := range s.small {
			s.tree.ReplaceOrInsert(e)
		}
		s.small = nil
	}
}

// Delete removes the item under seq and reports whether there was one.
func (s *Set[T]) Delete(seq uint64) bool {
	if s.tree != nil {
		if _, ok := s.tree.Delete(entry[T]{seq: seq}); !ok {
			return false
		}
		if s.tree.Len() < demoteBelow {
			s.small = make([]entry[T], 0, s.tree.Len())
			s.tree.Ascend(func(e entry[T]) bool { s.small = append(s.small, e); return true })
			s.tree = nil
		}
		return true
	}
	i, found := s.search(seq)
	if !found {
		return false
	}
	s.small = slices.Delete(s.small, i, i+1)
	if len(s.small) == 0 {
		s.small = nil // an emptied set holds no memory
	}
	return true
}

func (s *Set[T]) search(seq uint64) (int, bool) {
	i := sort.Search(len(s.small), func(i int) bool { return s.small[i].seq >= seq })
	return i, i < len(s.small) && s.small[i].seq == seq
}

// Last returns the highest sequence number in the set.
func (s *Set[T]) Last() (uint64, bool) {
	if s.tree != nil {
		e, ok := s.tree.Max()
		return e.seq, ok
	}
	if len(s.small) == 0 {
		return 0, false
	}
	return s.small[len(s.small)-1].seq, true
}

// After yields the items whose seq is greater than after, ascending
// (After(0) yields them all). The set must not change during the loop.
func (s *Set[T]) After(after uint64) iter.Seq2[uint64, T] {
	return func(yield func(uint64, T) bool) {
		if after == math.MaxUint64 {
			return
		}
		if s.tree != nil {
			s.tree.AscendGreaterOrEqual(entry[T]{seq: after + 1}, func(e entry[T]) bool {
				return yield(e.seq, e.item)
			})
			return
		}
		i := sort.Search(len(s.small), func(i int) bool { return s.small[i].seq > after })
		for _, e := range s.small[i:] {
			if !yield(e.seq, e.item) {
				return
			}
		}
	}
}

// All yields every item, ascending.
func (s *Set[T]) All() iter.Seq2[uint64, T] { return s.After(0) }

// Before yields the items whose seq is less than before, descending. The
// set must not change during the loop.
func (s *Set[T]) Before(before uint64) iter.Seq2[uint64, T] {
	return func(yield func(uint64, T) bool) {
		if before == 0 {
			return
		}
		if s.tree != nil {
			s.tree.DescendLessOrEqual(entry[T]{seq: before - 1}, func(e entry[T]) bool {
				return yield(e.seq, e.item)
			})
			return
		}
		i := sort.Search(len(s.small), func(i int) bool { return s.small[i].seq >= before })
		for j := i - 1; j >= 0; j-- {
			if !yield(s.small[j].seq, s.small[j].item) {
				return
			}
		}
	}
}

// Items returns every item, ascending, in a new slice.
func (s *Set[T]) Items() []T {
	out := make([]T, 0, s.Len())
	for _, x := range s.All() {
		out = append(out, x)
	}
	return out
}

// Page answers one page of the set's items that keep accepts (nil keeps
// all), exactly as paging.Slice would over those items sorted by
// paging.SeqKey. Without a filter it costs a lookup plus the page; with
// one, a scan of the set, since total_count counts every match. Errors:
// invalid_request for a cursor that is not a sequence key.
func Page[T any](s *Set[T], req paging.Request, keep func(T) bool) (paging.Page[T], error) {
	after, before, err := req.SeqBounds()
	if err != nil {
		return paging.Page[T]{}, err
	}
	var (
		total int
		last  uint64 // the highest seq that keep accepts
	)
	if keep == nil {
		keep = func(T) bool { return true }
		total = s.Len()
		last, _ = s.Last()
	} else {
		for seq, x := range s.All() {
			if keep(x) {
				total, last = total+1, seq
			}
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = paging.DefaultLimit
	}
	var (
		data []T
		seqs []uint64 // of data, for the cursors
	)
	add := func(seq uint64, x T) bool {
		if keep(x) {
			data, seqs = append(data, x), append(seqs, seq)
		}
		return len(data) < limit
	}
	if req.Before != "" && req.After == "" {
		for seq, x := range s.Before(before) {
			if !add(seq, x) {
				break
			}
		}
		slices.Reverse(data)
		slices.Reverse(seqs)
	} else {
		for seq, x := range s.After(after) {
			if req.Before != "" && seq >= before || !add(seq, x) {
				break
			}
		}
	}
	if data == nil {
		data = []T{}
	}
	p := paging.Page[T]{Data: data, PageInfo: paging.Info{Count: len(data), TotalCount: total}}
	if n := len(seqs); n > 0 {
		p.PageInfo.StartCursor = paging.Cursor(paging.SeqKey(seqs[0]))
		if last > seqs[n-1] {
			p.PageInfo.EndCursor = paging.Cursor(paging.SeqKey(seqs[n-1]))
		}
	}
	return p, nil
}
