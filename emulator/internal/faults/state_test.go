package faults

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

var (
	accountsReq = Request{Route: "accounts.list", Method: "GET", Path: "/v1/connect/proj_1/accounts", ClientID: "oc_1", ExternalUserID: "u1"}
	usersReq    = Request{Route: "users.list", Method: "GET", Path: "/v1/connect/proj_1/users", ClientID: "oc_2"}
)

// statePlan is a plan with something of everything a State holds: dice
// derived from the plan's seed and from a fault's own, part-rolled; an
// exhausted fault; one that never fires but counts; headers, a body and a
// preset; a deleted fault before and after the others, so ids have gaps
// and the last id drawn is no listed fault's.
func statePlan(t *testing.T) *Plan {
	t.Helper()
	p := NewPlan(42)
	gone := mustAdd(t, p, Spec{Match: Match{Route: "nothing"}, Action: Action{Status: 500}})
	mustAdd(t, p, Spec{
		Match:  Match{Route: "projects.*|users.*"},
		Action: Action{Preset: PresetThrottled, Headers: map[string]string{"x-test": "1"}, RetryAfterSeconds: 3},
		Times:  ptr(0), After: 1, Probability: ptr(0.5),
	})
	mustAdd(t, p, Spec{
		Match:  Match{Path: "/v1/connect/*/users"},
		Action: Action{Status: 418, Body: json.RawMessage(`{ "error" : "teapot" }`)},
		Times:  ptr(50), Probability: ptr(0.3), Seed: ptr(uint64(7)),
	})
	mustAdd(t, p, Spec{Match: Match{Route: "accounts.list"}, Action: Action{Drop: true, DelayMS: 5}})
	mustAdd(t, p, Spec{
		Match:  Match{Method: "get", Path: "/v1/**", ClientID: "oc_1", ExternalUserID: "u1"},
		Action: Action{DelayMS: 10}, Times: ptr(0), Probability: ptr(0.0),
	})
	last := mustAdd(t, p, Spec{Match: Match{Route: "nothing"}, Action: Action{Status: 500}})
	require.NoError(t, p.Delete(gone.ID))
	require.NoError(t, p.Delete(last.ID))

	run(p, listReq, 7)
	run(p, usersReq, 9)
	run(p, accountsReq, 3)
	return p
}

// imported sends p's state through JSON, as a state document carries it,
// into a fresh plan of another seed.
func imported(t *testing.T, p *Plan) (*Plan, []byte) {
	t.Helper()
	doc, err := json.Marshal(p.Export())
	require.NoError(t, err)
	var st State
	require.NoError(t, json.Unmarshal(doc, &st))
	fresh := NewPlan(1)
	mustAdd(t, fresh, Spec{Action: Action{Status: 500}}) // replaced by the import
	require.NoError(t, fresh.Import(st))
	return fresh, doc
}

func TestStateRoundTripIsByteIdentical(t *testing.T) {
	p := statePlan(t)
	q, doc := imported(t, p)
	again, err := json.Marshal(q.Export())
	require.NoError(t, err)
	assert.Equal(t, string(doc), string(again))
	assert.Equal(t, p.List(), q.List())
	assert.Equal(t, p.Active(), q.Active())
}

func TestStateJSONShape(t *testing.T) {
	doc, err := json.Marshal(statePlan(t).Export())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(doc, &m))
	assert.Equal(t, []string{"faults", "last_seq", "seed"}, slices.Sorted(maps.Keys(m)))
	assert.EqualValues(t, 42, m["seed"])
	assert.EqualValues(t, 6, m["last_seq"])
	faults := m["faults"].([]any)
	require.Len(t, faults, 4)
	f2 := faults[0].(map[string]any)
	assert.Equal(t, "flt_2", f2["id"])
	assert.Equal(t, []string{"action", "after", "created_at", "hits", "id", "match", "matched", "probability", "rng", "times"},
		slices.Sorted(maps.Keys(f2)), "no seed of its own")
	assert.Equal(t, map[string]any{"preset": "throttled", "headers": map[string]any{"X-Test": "1"}, "retry_after_seconds": 3.0}, f2["action"])
	f3 := faults[1].(map[string]any)
	assert.EqualValues(t, 7, f3["seed"])
	assert.Equal(t, map[string]any{"error": "teapot"}, f3["action"].(map[string]any)["body"])
	f4 := faults[2].(map[string]any)
	assert.NotContains(t, f4, "rng", "probability 1 rolls no dice")
	assert.EqualValues(t, 1, f4["hits"])
}

func TestImportGoesOnAsTheExporter(t *testing.T) {
	p := statePlan(t)
	q, _ := imported(t, p)

	// The dice go on where they were: the same requests fire the same
	// faults on both plans, mixed with misses, so a generator restarted
	// from its seed would show.
	for _, req := range []Request{listReq, usersReq, accountsReq} {
		want := run(p, req, 200)
		assert.Equal(t, want, run(q, req, 200), req.Route)
		assert.Contains(t, want, ".", "the dice miss sometimes")
	}
	assert.Equal(t, p.List(), q.List(), "counters too")

	// The next fault gets the next id and, derived from the plan's seed,
	// the dice the exporter's next fault gets.
	spec := Spec{Match: Match{Route: "apps.*"}, Action: Action{Status: 503}, Times: ptr(0), Probability: ptr(0.5)}
	fp, fq := mustAdd(t, p, spec), mustAdd(t, q, spec)
	assert.Equal(t, "flt_7", fq.ID)
	assert.Equal(t, fp, fq)
	apps := Request{Route: "apps.list"}
	assert.Equal(t, run(p, apps, 100), run(q, apps, 100))

	// Delete finds faults by binary search over the imported order.
	require.NoError(t, q.Delete("flt_3"))
	_, err := q.Get("flt_3")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.Len(t, q.List(), 4)
}

func TestImportOfAStateWithoutRNGStartsTheDiceAsAdd(t *testing.T) {
	p := NewPlan(9)
	mustAdd(t, p, Spec{Action: Action{Status: 500}, Times: ptr(0), Probability: ptr(0.5)})
	st := p.Export()
	st.Faults[0].RNG = ""
	q := NewPlan(1)
	require.NoError(t, q.Import(st))
	assert.Equal(t, run(p, listReq, 100), run(q, listReq, 100))
}

func TestImportEmptiesAndDeactivates(t *testing.T) {
	p := statePlan(t)
	require.NoError(t, p.Import(State{Seed: 3}))
	assert.False(t, p.Active())
	assert.Empty(t, p.List())
	assert.Equal(t, "flt_1", mustAdd(t, p, Spec{Action: Action{Status: 500}}).ID)

	// A state whose faults are all spent leaves the plan inactive too.
	q := NewPlan(1)
	mustAdd(t, q, Spec{Action: Action{Status: 500}})
	run(q, listReq, 1)
	r := NewPlan(2)
	require.NoError(t, r.Import(q.Export()))
	assert.False(t, r.Active())
	assert.Len(t, r.List(), 1)
}

func TestValidateStateRefuses(t *testing.T) {
	good := statePlan(t).Export()
	// faults[0] is flt_2 (probability 0.5, after 1), faults[2] flt_4 (a
	// drop, exhausted), faults[3] flt_5 (probability 0).
	tests := []struct {
		name   string
		edit   func(*State)
		prefix string
	}{
		{"too many faults", func(s *State) { s.Faults = make([]FaultState, MaxFaults+1) }, "faults: "},
		{"no id", func(s *State) { s.Faults[1].ID = "" }, "faults[1].id: "},
		{"id of another family", func(s *State) { s.Faults[1].ID = "acc_3" }, "faults[1].id: "},
		{"id zero", func(s *State) { s.Faults[0].ID = "flt_0" }, "faults[0].id: "},
		{"id with a leading zero", func(s *State) { s.Faults[1].ID = "flt_03" }, "faults[1].id: "},
		{"id with a sign", func(s *State) { s.Faults[1].ID = "flt_+3" }, "faults[1].id: "},
		{"id not a number", func(s *State) { s.Faults[1].ID = "flt_x" }, "faults[1].id: "},
		{"out of creation order", func(s *State) { s.Faults[0], s.Faults[1] = s.Faults[1], s.Faults[0] }, "faults[1].id: "},
		{"duplicate id", func(s *State) { s.Faults[1].ID = s.Faults[0].ID }, "faults[1].id: "},
		{"id beyond last_seq", func(s *State) { s.LastSeq = 4 }, "faults[3].id: "},
		{"bad route glob", func(s *State) { s.Faults[0].Match.Route = "a||b" }, "faults[0].match.route: "},
		{"bad path glob", func(s *State) { s.Faults[0].Match.Path = "/***" }, "faults[0].match.path: "},
		{"method not a token", func(s *State) { s.Faults[3].Match.Method = "GET POST" }, "faults[3].match.method: "},
		{"status out of range", func(s *State) { s.Faults[1].Action.Status = 999 }, "faults[1].action.status: must be 200..599, not 999"},
		{"unknown preset", func(s *State) { s.Faults[0].Action.Preset = "teapot" }, "faults[0].action.preset: "},
		{"negative delay", func(s *State) { s.Faults[3].Action.DelayMS = -1 }, "faults[3].action.delay_ms: "},
		{"retry after too long", func(s *State) { s.Faults[0].Action.RetryAfterSeconds = MaxRetryAfterSeconds + 1 }, "faults[0].action.retry_after_seconds: "},
		{"body not JSON", func(s *State) { s.Faults[1].Action.Body = json.RawMessage(`{`) }, "faults[1].action.body: "},
		{"bad header name", func(s *State) { s.Faults[0].Action.Headers = map[string]string{"a b": "1"} }, "faults[0].action.headers: "},
		{"server header", func(s *State) { s.Faults[0].Action.Headers = map[string]string{"content-length": "1"} }, "faults[0].action.headers: "},
		{"drop with a status", func(s *State) { s.Faults[2].Action.Status = 500 }, "faults[2].action.drop: cannot go with action.status"},
		{"action that does nothing", func(s *State) { s.Faults[3].Action.DelayMS = 0 }, "faults[3].action: must do something"},
		{"body without status", func(s *State) {
			s.Faults[3].Action.Body = json.RawMessage(`1`)
		}, "faults[3].action.status: is required with action.body"},
		{"negative times", func(s *State) { s.Faults[1].Times = ptr(-1) }, "faults[1].times: "},
		{"negative after", func(s *State) { s.Faults[1].After = -1 }, "faults[1].after: "},
		{"probability above 1", func(s *State) { s.Faults[1].Probability = ptr(1.5) }, "faults[1].probability: "},
		{"negative matched", func(s *State) { s.Faults[3].Matched = -1 }, "faults[3].matched: "},
		{"negative hits", func(s *State) { s.Faults[3].Hits = -1 }, "faults[3].hits: "},
		{"hits beyond times", func(s *State) { s.Faults[2].Hits, s.Faults[2].Matched = 2, 2 }, "faults[2].hits: must be at most times 1"},
		{"hits beyond matches", func(s *State) { s.Faults[2].Matched = 0 }, "faults[2].hits: "},
		{"hits among the matches let through", func(s *State) { s.Faults[0].Hits = s.Faults[0].Matched }, "faults[0].hits: "},
		{"rng not base64url", func(s *State) { s.Faults[0].RNG = "!!" }, "faults[0].rng: "},
		{"rng not a PCG state", func(s *State) { s.Faults[0].RNG = "AAAA" }, "faults[0].rng: "},
		{"rng on a fault that rolls no dice", func(s *State) { s.Faults[3].RNG = s.Faults[0].RNG }, "faults[3].rng: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := cloneState(good)
			tc.edit(&st)
			assertInvalidAt(t, ValidateState(st), tc.prefix)

			p := statePlan(t)
			before, err := json.Marshal(p.Export())
			require.NoError(t, err)
			assertInvalidAt(t, p.Import(st), tc.prefix)
			after, err := json.Marshal(p.Export())
			require.NoError(t, err)
			assert.Equal(t, string(before), string(after), "a refused import changes nothing")
			assert.True(t, p.Active())
		})
	}
}

func assertInvalidAt(t *testing.T, err error, prefix string) {
	t.Helper()
	require.Error(t, err)
	e := apperr.As(err)
	assert.Equal(t, apperr.Invalid, e.Kind)
	assert.True(t, strings.HasPrefix(e.Message, prefix), "%q should start with %q", e.Message, prefix)
}

func cloneState(st State) State {
	doc, err := json.Marshal(st)
	if err != nil {
		panic(err)
	}
	var out State
	if err := json.Unmarshal(doc, &out); err != nil {
		panic(err)
	}
	return out
}

// TestRebase pins the one place that reads normalize's messages: every
// message must start with a path within the spec.
func TestRebase(t *testing.T) {
	for msg, want := range map[string]string{
		"action.status must be 200..599, not 0":  "faults[1].action.status: must be 200..599, not 0",
		"match.route: pattern \"a||b\" is bad":   "faults[1].match.route: pattern \"a||b\" is bad",
		"action must do something: set a status": "faults[1].action: must do something: set a status",
		"Something else":                         "faults[1]: Something else",
	} {
		got := rebase("faults[1]", apperr.ErrInvalid.WithMessage("%s", msg))
		assert.Equal(t, want, apperr.As(got).Message)
	}
}

// TestStateCoversEveryField fails when a field is added to Plan, entry,
// Fault, Spec, Match or Action without deciding whether it is state:
// export it (and extend this table and statePlan), or say here why it is
// not. The round trip below then checks that what is exported comes back.
func TestStateCoversEveryField(t *testing.T) {
	decided := map[string]string{
		"Plan.live":    "derived: counted from the faults by Import",
		"Plan.mu":      "a lock",
		"Plan.seed":    "state: seed",
		"Plan.lastSeq": "state: last_seq",
		"Plan.faults":  "state: faults",
		"Plan.byID":    "derived: indexed by Import",

		"entry.seq":   "state: faults[].id",
		"entry.fault": "the fields of Fault",
		"entry.m":     "derived: compiled from match",
		"entry.times": "derived: from times",
		"entry.prob":  "derived: from probability",
		"entry.rng":   "derived: wraps src",
		"entry.src":   "state: rng",

		"Fault.ID":        "state: id",
		"Fault.Spec":      "the fields of Spec",
		"Fault.Hits":      "state: hits",
		"Fault.Matched":   "state: matched",
		"Fault.Remaining": "derived: times - hits, by view",
		"Fault.CreatedAt": "state: created_at",

		"Spec.Match":       "state: match, the fields of Match",
		"Spec.Action":      "state: action, the fields of Action",
		"Spec.Times":       "state: times",
		"Spec.After":       "state: after",
		"Spec.Probability": "state: probability",
		"Spec.Seed":        "state: seed",
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Plan](), reflect.TypeFor[entry](), reflect.TypeFor[Fault](), reflect.TypeFor[Spec]()} {
		for f := range typ.Fields() {
			name := typ.Name() + "." + f.Name
			assert.Contains(t, decided, name, "%s is new: export it in State or record why it is not state", name)
		}
	}
	// MatchState and ActionState convert to Match and Action field for
	// field (Export and spec use conversions for Match; keep Action in
	// step by hand): a field added to one and not the other fails here.
	assert.True(t, reflect.TypeFor[Match]().ConvertibleTo(reflect.TypeFor[MatchState]()))
	assert.Equal(t, fieldNames(reflect.TypeFor[Action]()), fieldNames(reflect.TypeFor[ActionState]()))

	// What is exported comes back: the imported entries equal the
	// exporter's in every field, compiled matcher and dice included.
	p := statePlan(t)
	q, _ := imported(t, p)
	require.Equal(t, len(p.faults), len(q.faults))
	for i := range p.faults {
		assert.Equal(t, p.faults[i], q.faults[i], p.faults[i].fault.ID)
	}
	assert.Equal(t, p.byID, q.byID)
	assert.Equal(t, p.seed, q.seed)
	assert.Equal(t, p.lastSeq, q.lastSeq)
	assert.Equal(t, p.live.Load(), q.live.Load())
}

func fieldNames(typ reflect.Type) []string {
	var out []string
	for f := range typ.Fields() {
		out = append(out, f.Name)
	}
	return out
}

// TestImportWhilePicking runs Import against Pick, List and Export, for
// the race detector.
func TestImportWhilePicking(t *testing.T) {
	p := statePlan(t)
	st := p.Export()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				p.Pick(listReq)
				_ = p.List()
				_ = p.Export()
			}
		})
	}
	for range 50 {
		require.NoError(t, p.Import(st))
	}
	wg.Wait()
}
