package expiry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPopExpiredAtTheBoundary(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var q Queue[string]
	q.PopExpired(t0, func(string) { t.Fatal("an empty queue drops nothing") })
	q.Add(t0.Add(2*time.Second), 1, "b")
	q.Add(t0.Add(time.Second), 2, "a")
	q.Add(t0.Add(2*time.Second), 3, "c") // same instant, another record
	q.Add(t0.Add(time.Hour), 4, "d")
	assert.True(t, q.Delete(t0.Add(time.Hour), 4))
	assert.False(t, q.Delete(t0.Add(time.Hour), 4), "deleted once")
	assert.False(t, q.Delete(t0.Add(time.Second), 1), "the seq must match the instant")

	tests := []struct {
		now  time.Time
		want []string
	}{
		{t0.Add(time.Second - 1), nil},       // a record lives until its instant
		{t0.Add(time.Second), []string{"a"}}, // and is gone at it
		{t0.Add(2*time.Second - 1), nil},
		{t0.Add(2 * time.Second), []string{"b", "c"}}, // soonest first, ties by seq
		{t0.Add(48 * time.Hour), nil},
	}
	for _, tc := range tests {
		var got []string
		q.PopExpired(tc.now, func(s string) { got = append(got, s) })
		assert.Equal(t, tc.want, got, "at %v", tc.now.Sub(t0))
	}
	assert.Equal(t, 0, q.Len())
}
