package expiry

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAllYieldsInOrderWithoutRemoving(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var q Queue[string]
	for range q.All() {
		t.Fatal("an empty queue yields nothing")
	}
	q.Add(t0.Add(2*time.Second), 1, "b")
	q.Add(t0.Add(time.Second), 2, "a")
	q.Add(t0.Add(2*time.Second), 3, "c")
	var got []string
	for at, x := range q.All() {
		got = append(got, x+"@"+at.Sub(t0).String())
	}
	assert.Equal(t, []string{"a@1s", "b@2s", "c@2s"}, got)
	assert.Equal(t, 3, q.Len(), "nothing is removed")
	for range q.All() {
		break // stopping early is allowed
	}
}
