// Package expiry finds the records whose time is up without scanning the
// rest, so a family can drop them as the emulator's clock passes their
// expiry and its memory follows what is still live.
package expiry

import (
	"cmp"
	"time"

	"github.com/google/btree"
)

type entry[T any] struct {
	at   int64  // Unix nanoseconds
	seq  uint64 // breaks ties: unique per record
	item T
}

func less[T any](a, b entry[T]) bool {
	return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq)) < 0
}

// Queue holds records by the instant they expire. Each record is known by
// its expiry and a sequence number unique within the queue. The zero value
// is an empty queue. It is not safe for concurrent use; its owner's lock
// guards it.
type Queue[T any] struct {
	tree *btree.BTreeG[entry[T]]
}

// Len reports how many records the queue holds.
func (q *Queue[T]) Len() int {
	if q.tree == nil {
		return 0
	}
	return q.tree.Len()
}

// Add files x to expire at at.
func (q *Queue[T]) Add(at time.Time, seq uint64, x T) {
	if q.tree == nil {
		q.tree = btree.NewG(32, less[T])
	}
	q.tree.ReplaceOrInsert(entry[T]{at.UnixNano(), seq, x})
}

// Delete removes the record filed under at and seq, as when it is deleted
// before it expires; it reports whether there was one.
func (q *Queue[T]) Delete(at time.Time, seq uint64) bool {
	if q.tree == nil {
		return false
	}
	_, ok := q.tree.Delete(entry[T]{at: at.UnixNano(), seq: seq})
	return ok
}

// PopExpired removes every record that expires at or before now and calls
// drop with each, soonest first. The cost is logarithmic per record
// dropped, so pruning on every write is amortised over the records'
// creation.
func (q *Queue[T]) PopExpired(now time.Time, drop func(T)) {
	if q.tree == nil {
		return
	}
	limit := now.UnixNano()
	for {
		e, ok := q.tree.Min()
		if !ok || e.at > limit {
			return
		}
		q.tree.DeleteMin()
		drop(e.item)
	}
}
