package expiry

import (
	"iter"
	"time"
)

// All yields every record with its expiry, soonest first (ties by
// sequence number), without removing any: for a family that exports what
// it holds. The queue must not change while the iteration runs.
func (q *Queue[T]) All() iter.Seq2[time.Time, T] {
	return func(yield func(time.Time, T) bool) {
		if q.tree == nil {
			return
		}
		q.tree.Ascend(func(e entry[T]) bool { return yield(time.Unix(0, e.at), e.item) })
	}
}
