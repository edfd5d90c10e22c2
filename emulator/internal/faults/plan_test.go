package faults

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

var start = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

var listReq = Request{Route: "projects.list", Method: "GET", Path: "/v1/connect/projects", ClientID: "oc_1"}

func mustAdd(t testing.TB, p *Plan, spec Spec) Fault {
	t.Helper()
	f, err := p.Add(spec, start)
	require.NoError(t, err)
	return f
}

// run sends req n times and returns what happened, one character a
// request: the number of the fault that fired ("1" for flt_1), or "."
// when none did.
func run(p *Plan, req Request, n int) string {
	var b strings.Builder
	for range n {
		f, ok := p.Pick(req)
		if !ok {
			b.WriteByte('.')
			continue
		}
		b.WriteString(strings.TrimPrefix(f.ID, "flt_"))
	}
	return b.String()
}

func TestAdd(t *testing.T) {
	p := NewPlan(1)
	f := mustAdd(t, p, Spec{Match: Match{Route: "projects.*"}, Action: Action{Preset: PresetThrottled}})
	assert.Equal(t, "flt_1", f.ID)
	assert.Equal(t, start, f.CreatedAt)
	assert.Equal(t, 1, *f.Spec.Times)
	assert.Equal(t, 1.0, *f.Spec.Probability)
	assert.Equal(t, 1, *f.Remaining)
	assert.Zero(t, f.Hits)
	assert.Zero(t, f.Matched)

	g := mustAdd(t, p, Spec{Action: Action{Drop: true}, Times: ptr(0)})
	assert.Equal(t, "flt_2", g.ID)
	assert.Nil(t, g.Remaining, "times 0 is unlimited")

	_, err := p.Add(Spec{Action: Action{Status: 600}}, start)
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	h := mustAdd(t, p, Spec{Action: answer})
	assert.Equal(t, "flt_3", h.ID, "a refused spec takes no id")

	list := p.List()
	require.Len(t, list, 3)
	assert.Equal(t, []string{"flt_1", "flt_2", "flt_3"}, []string{list[0].ID, list[1].ID, list[2].ID})
	got, err := p.Get("flt_2")
	require.NoError(t, err)
	assert.Equal(t, g, got)
}

func TestAddLimit(t *testing.T) {
	p := NewPlan(1)
	for range MaxFaults {
		mustAdd(t, p, Spec{Action: answer})
	}
	_, err := p.Add(Spec{Action: answer}, start)
	require.ErrorIs(t, err, apperr.ErrLimitExceeded)
	assert.Equal(t, map[string]any{"limit": "faults", "max": MaxFaults}, apperr.As(err).Details)
	assert.Contains(t, err.Error(), "at most 1000 fault plans")
	assert.Len(t, p.List(), MaxFaults)

	require.NoError(t, p.Delete("flt_7"))
	f := mustAdd(t, p, Spec{Action: answer})
	assert.Equal(t, "flt_1001", f.ID, "a freed place is taken, with a new id")
}

func TestTimesAndAfter(t *testing.T) {
	for _, tc := range []struct {
		name        string
		times       *int
		after       int
		prob        *float64
		want        string
		wantMatched int
	}{
		{name: "default: once", want: "1...", wantMatched: 1},
		{name: "times 1", times: ptr(1), want: "1...", wantMatched: 1},
		{name: "times 3", times: ptr(3), want: "111..", wantMatched: 3},
		{name: "times 2 after 1", times: ptr(2), after: 1, want: ".11.", wantMatched: 3},
		{name: "after 3", after: 3, want: "...1..", wantMatched: 4},
		{name: "times 0 fires until deleted", times: ptr(0), want: strings.Repeat("1", 50), wantMatched: 50},
		{name: "times 0 after 2", times: ptr(0), after: 2, want: ".." + strings.Repeat("1", 20), wantMatched: 22},
		{name: "probability 0 never fires but counts", times: ptr(0), prob: ptr(0.0), want: strings.Repeat(".", 20), wantMatched: 20},
		{name: "probability 1", times: ptr(5), prob: ptr(1.0), want: "11111.", wantMatched: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPlan(1)
			mustAdd(t, p, Spec{Action: answer, Times: tc.times, After: tc.after, Probability: tc.prob})
			assert.Equal(t, tc.want, run(p, listReq, len(tc.want)))
			f, err := p.Get("flt_1")
			require.NoError(t, err)
			assert.Equal(t, strings.Count(tc.want, "1"), f.Hits)
			assert.Equal(t, tc.wantMatched, f.Matched, "an exhausted fault counts no more matches")
		})
	}
}

func TestPickReturnsCountersAfterTheHit(t *testing.T) {
	p := NewPlan(1)
	mustAdd(t, p, Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": "1"}}, Times: ptr(2), After: 1})
	_, ok := p.Pick(listReq)
	require.False(t, ok)
	f, ok := p.Pick(listReq)
	require.True(t, ok)
	assert.Equal(t, 1, f.Hits)
	assert.Equal(t, 2, f.Matched)
	assert.Equal(t, 1, *f.Remaining)

	f.Spec.Action.Headers["X-A"] = "changed"
	*f.Spec.Times = 99
	f, ok = p.Pick(listReq)
	require.True(t, ok)
	assert.Equal(t, "1", f.Spec.Action.Headers["X-A"], "a picked fault is a copy")
	assert.Equal(t, 2, *f.Spec.Times)
	assert.Equal(t, 0, *f.Remaining)

	g, err := p.Get(f.ID)
	require.NoError(t, err)
	assert.Equal(t, f, g, "the plan's view agrees with the last pick")
}

func TestPickOnlyMatchingRequests(t *testing.T) {
	p := NewPlan(1)
	mustAdd(t, p, Spec{Match: Match{Route: "accounts.*", Method: "DELETE"}, Action: answer, Times: ptr(0)})
	del := Request{Route: "accounts.delete", Method: "DELETE", Path: "/v1/connect/p/accounts/apn_1"}
	get := Request{Route: "accounts.retrieve", Method: "GET", Path: "/v1/connect/p/accounts/apn_1"}
	assert.Equal(t, "...", run(p, listReq, 3))
	assert.Equal(t, "..", run(p, get, 2))
	assert.Equal(t, "11", run(p, del, 2))
	f, _ := p.Get("flt_1")
	assert.Equal(t, 2, f.Matched, "requests that do not match are not counted")
}

func TestCreationOrderPrecedence(t *testing.T) {
	t.Run("the first fault that fires wins", func(t *testing.T) {
		p := NewPlan(1)
		mustAdd(t, p, Spec{Action: answer, Times: ptr(2)})
		mustAdd(t, p, Spec{Action: answer, Times: ptr(2)})
		assert.Equal(t, "1122.", run(p, listReq, 5))
		second, _ := p.Get("flt_2")
		assert.Equal(t, 2, second.Matched, "the second fault did not see the requests the first fired")
	})
	t.Run("a request let through goes on to the next fault", func(t *testing.T) {
		p := NewPlan(1)
		mustAdd(t, p, Spec{Action: answer, After: 2})
		mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})
		assert.Equal(t, "22122", run(p, listReq, 5))
		first, _ := p.Get("flt_1")
		second, _ := p.Get("flt_2")
		assert.Equal(t, 3, first.Matched)
		assert.Equal(t, 4, second.Matched)
	})
	t.Run("a narrower fault added later loses to a broad one", func(t *testing.T) {
		p := NewPlan(1)
		mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})
		mustAdd(t, p, Spec{Match: Match{Route: "projects.list"}, Action: answer, Times: ptr(0)})
		assert.Equal(t, "111", run(p, listReq, 3))
	})
	t.Run("a failed roll goes on to the next fault", func(t *testing.T) {
		p := NewPlan(1)
		mustAdd(t, p, Spec{Action: answer, Times: ptr(0), Probability: ptr(0.0)})
		mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})
		assert.Equal(t, "222", run(p, listReq, 3))
	})
}

func TestExhaustedFaultStaysListed(t *testing.T) {
	p := NewPlan(1)
	mustAdd(t, p, Spec{Action: answer})
	assert.Equal(t, "1...", run(p, listReq, 4))
	list := p.List()
	require.Len(t, list, 1)
	assert.Equal(t, 1, list[0].Hits)
	assert.Equal(t, 1, list[0].Matched, "an exhausted fault does not count matches")
	assert.Equal(t, 0, *list[0].Remaining)
}

func TestDeleteClearReset(t *testing.T) {
	p := NewPlan(1)
	mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})
	mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})
	mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})

	require.NoError(t, p.Delete("flt_1"))
	assert.Equal(t, "22", run(p, listReq, 2), "the request goes on to the next fault")
	_, err := p.Get("flt_1")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, p.Delete("flt_1"), apperr.ErrNotFound, "deleting twice")
	assert.ErrorIs(t, p.Delete("flt_99"), apperr.ErrNotFound)
	err = p.Delete(strings.Repeat("x", 500))
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.Less(t, len(err.Error()), 200, "a long id is clipped in the message")

	require.NoError(t, p.Delete("flt_3"))
	assert.Equal(t, []string{"flt_2"}, ids(p.List()))
	require.NoError(t, p.Delete("flt_2"))
	assert.Empty(t, p.List())

	mustAdd(t, p, Spec{Action: answer})
	mustAdd(t, p, Spec{Action: answer})
	p.Clear()
	assert.Empty(t, p.List())
	assert.False(t, p.Active())
	assert.Equal(t, "...", run(p, listReq, 3))
	assert.Equal(t, "flt_6", mustAdd(t, p, Spec{Action: answer}).ID, "ids go on after Clear")

	p.Reset(2)
	assert.Empty(t, p.List())
	assert.False(t, p.Active())
	assert.Equal(t, "flt_1", mustAdd(t, p, Spec{Action: answer}).ID, "ids restart after Reset")
	assert.Equal(t, "flt_2", mustAdd(t, p, Spec{Action: answer}).ID)
}

func ids(fs []Fault) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func TestActive(t *testing.T) {
	p := NewPlan(1)
	assert.False(t, p.Active(), "an empty plan")

	mustAdd(t, p, Spec{Action: answer, Times: ptr(2)})
	mustAdd(t, p, Spec{Match: Match{Route: "other"}, Action: answer})
	assert.True(t, p.Active())
	run(p, listReq, 2)
	assert.True(t, p.Active(), "flt_2 can still fire")
	require.NoError(t, p.Delete("flt_2"))
	assert.False(t, p.Active(), "flt_1 is exhausted, flt_2 deleted")
	require.NoError(t, p.Delete("flt_1"))
	assert.False(t, p.Active(), "deleting an exhausted fault leaves the count alone")

	mustAdd(t, p, Spec{Action: answer, Times: ptr(0)})
	run(p, listReq, 100)
	assert.True(t, p.Active(), "times 0 never runs out")
	mustAdd(t, p, Spec{Action: answer, Times: ptr(0), Probability: ptr(0.0)})
	require.NoError(t, p.Delete("flt_3"))
	assert.True(t, p.Active(), "a fault of probability 0 still counts its matches")
	p.Clear()
	assert.False(t, p.Active())
}

// firing adds spec to a new plan of planSeed and returns run over n
// requests.
func firing(t *testing.T, planSeed uint64, spec Spec, n int) string {
	t.Helper()
	p := NewPlan(planSeed)
	mustAdd(t, p, spec)
	return run(p, listReq, n)
}

func TestProbabilityIsReproducible(t *testing.T) {
	half := Spec{Action: answer, Times: ptr(0), Probability: ptr(0.5)}
	const n = 200

	a := firing(t, 42, half, n)
	assert.Equal(t, a, firing(t, 42, half, n), "the same seed fires the same requests")
	assert.NotEqual(t, a, firing(t, 43, half, n), "another seed fires others")
	hits := strings.Count(a, "1")
	assert.InDelta(t, n/2, hits, n/5, "about half fire: %d of %d", hits, n)

	seeded := half
	seeded.Seed = ptr(uint64(7))
	b := firing(t, 1, seeded, n)
	assert.Equal(t, b, firing(t, 2, seeded, n), "a fault's own seed does not depend on the plan's")
	assert.NotEqual(t, b, firing(t, 1, Spec{Action: answer, Times: ptr(0), Probability: ptr(0.5), Seed: ptr(uint64(8))}, n))

	// A derived seed depends on the fault's sequence number, so two equal
	// faults of one plan roll differently…
	p := NewPlan(42)
	mustAdd(t, p, Spec{Match: Match{Route: "one"}, Action: answer, Times: ptr(0), Probability: ptr(0.5)})
	mustAdd(t, p, Spec{Match: Match{Route: "two"}, Action: answer, Times: ptr(0), Probability: ptr(0.5)})
	one := run(p, Request{Route: "one"}, n)
	two := strings.ReplaceAll(run(p, Request{Route: "two"}, n), "2", "1")
	assert.NotEqual(t, one, two)
	assert.Equal(t, a, one, "…and flt_1 of seed 42 rolls as it did alone")

	// …and a Reset to the same seed replays the run.
	p.Reset(42)
	mustAdd(t, p, half)
	assert.Equal(t, a, run(p, listReq, n))
}

func TestProbabilityWithAfterAndTimes(t *testing.T) {
	spec := Spec{Action: answer, Times: ptr(10), After: 5, Probability: ptr(0.3)}
	got := firing(t, 9, spec, 300)
	assert.Equal(t, got, firing(t, 9, spec, 300))
	assert.Equal(t, ".....", got[:5], "no roll before After")
	assert.Equal(t, 10, strings.Count(got, "1"))
}

func TestConcurrentPick(t *testing.T) {
	p := NewPlan(1)
	mustAdd(t, p, Spec{Action: answer, Times: ptr(100)})
	mustAdd(t, p, Spec{Match: Match{Route: "never"}, Action: answer, Times: ptr(0)})
	const goroutines, each = 32, 20
	var hits atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for range each {
				if f, ok := p.Pick(listReq); ok {
					hits.Add(1)
					assert.Equal(t, "flt_1", f.ID)
				}
			}
		})
		// Readers and writers alongside, for the race detector.
		wg.Go(func() {
			p.List()
			_, _ = p.Get("flt_1")
			f, err := p.Add(Spec{Match: Match{Route: fmt.Sprint("r", g)}, Action: answer}, start)
			if assert.NoError(t, err) {
				assert.NoError(t, p.Delete(f.ID))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(100), hits.Load())
	f, err := p.Get("flt_1")
	require.NoError(t, err)
	assert.Equal(t, 100, f.Hits)
	assert.Equal(t, 100, f.Matched)
	assert.Equal(t, 0, *f.Remaining)
	assert.True(t, p.Active(), "flt_2 can still fire")
	require.NoError(t, p.Delete("flt_2"))
	assert.False(t, p.Active())
}
