package faults

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// State is everything a Plan holds, so that a Plan that imports it fires
// the same faults for the same requests as the exporter would have: the
// seed new faults derive their dice from, the last id drawn, and every
// fault, exhausted ones included, with its counters and where its dice
// are.
type State struct {
	// Seed is the plan's seed: a fault without a seed of its own derives
	// its generator from it and its sequence number.
	Seed uint64 `json:"seed"`
	// LastSeq is the sequence number of the newest fault ever added (0 for
	// none): the next fault is flt_{LastSeq+1}. It travels apart from the
	// faults because Clear and Delete keep it, so that an id seen before
	// never names another fault.
	LastSeq uint64 `json:"last_seq"`
	// Faults are the faults in creation order.
	Faults []FaultState `json:"faults"`
}

// FaultState is one fault as State keeps it: its spec, as normalised and
// spelled as in POST /_emulator/faults, and what it has seen.
type FaultState struct {
	// ID is "flt_" and the fault's sequence number in decimal.
	ID string `json:"id"`
	// Match selects the requests the fault applies to.
	Match MatchState `json:"match"`
	// Action is what the fault does when it fires.
	Action ActionState `json:"action"`
	// Times is how many times the fault fires, 0 until deleted; null
	// means once, as in a spec, but Export always writes it.
	Times *int `json:"times"`
	// After is how many matching requests pass before the fault may fire.
	After int `json:"after"`
	// Probability is the chance that a matching request past After fires
	// the fault; null means 1, as in a spec, but Export always writes it.
	Probability *float64 `json:"probability"`
	// Seed is the fault's own seed, if it was given one.
	Seed *uint64 `json:"seed,omitempty"`
	// Hits is how many times the fault fired.
	Hits int `json:"hits"`
	// Matched is how many matching requests the fault saw while it could
	// still fire.
	Matched int `json:"matched"`
	// CreatedAt is when the fault was added, on the emulator's clock.
	CreatedAt time.Time `json:"created_at"`
	// RNG is where the fault's dice are: its PCG generator's state
	// (math/rand/v2 PCG.MarshalBinary), base64url without padding, so the
	// rolls go on where they were rather than start over. Only a fault of
	// probability strictly between 0 and 1 rolls; for one that has no RNG
	// Import starts its dice as Add would.
	RNG string `json:"rng,omitempty"`
}

// MatchState is a Match, spelled as in POST /_emulator/faults.
type MatchState struct {
	// Route is a glob over route names.
	Route string `json:"route,omitempty"`
	// Method is a case-insensitive glob over methods.
	Method string `json:"method,omitempty"`
	// Path is a glob over the URL path.
	Path string `json:"path,omitempty"`
	// ClientID is an exact OAuth client id.
	ClientID string `json:"client_id,omitempty"`
	// ExternalUserID is an exact external user id.
	ExternalUserID string `json:"external_user_id,omitempty"`
}

// ActionState is an Action, spelled as in POST /_emulator/faults.
type ActionState struct {
	// Status is the answer's status; 0 takes the preset's.
	Status int `json:"status,omitempty"`
	// Headers are added to the preset's.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the answer's body, a JSON value.
	Body json.RawMessage `json:"body,omitempty"`
	// Preset names a canned failure.
	Preset string `json:"preset,omitempty"`
	// RetryAfterSeconds is the Retry-After value.
	RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
	// DelayMS is a wall-clock delay before the answer.
	DelayMS int `json:"delay_ms,omitempty"`
	// Drop closes the connection with no answer.
	Drop bool `json:"drop,omitempty"`
}

// Export returns the plan's state: faults in creation order, each spec as
// normalised, so that the same plan exports the same bytes.
func (p *Plan) Export() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := State{Seed: p.seed, LastSeq: p.lastSeq, Faults: make([]FaultState, len(p.faults))}
	for i, e := range p.faults {
		f := e.fault
		s := cloneSpec(f.Spec)
		a := s.Action
		fs := FaultState{
			ID:    f.ID,
			Match: MatchState(s.Match),
			Action: ActionState{Status: a.Status, Headers: a.Headers, Body: a.Body, Preset: a.Preset,
				RetryAfterSeconds: a.RetryAfterSeconds, DelayMS: a.DelayMS, Drop: a.Drop},
			Times: s.Times, After: s.After, Probability: s.Probability, Seed: s.Seed,
			Hits: f.Hits, Matched: f.Matched, CreatedAt: f.CreatedAt.UTC(),
		}
		if e.src != nil {
			b, err := e.src.MarshalBinary()
			if err != nil {
				panic("faults: PCG.MarshalBinary failed: " + err.Error()) // it never fails
			}
			fs.RNG = base64.RawURLEncoding.EncodeToString(b)
		}
		st.Faults[i] = fs
	}
	return st
}

// spec is the Spec a FaultState describes, before normalisation.
func (fs FaultState) spec() Spec {
	a := fs.Action
	return Spec{
		Match: Match(fs.Match),
		Action: Action{Status: a.Status, Headers: a.Headers, Body: a.Body, Preset: a.Preset,
			RetryAfterSeconds: a.RetryAfterSeconds, DelayMS: a.DelayMS, Drop: a.Drop},
		Times: fs.Times, After: fs.After, Probability: fs.Probability, Seed: fs.Seed,
	}
}

// ValidateState checks st on its own, without a Plan: each spec as Add
// checks it, ids in creation order, counters a plan could have reached and
// generator states PCG can load. Errors: apperr invalid_request whose
// message starts with the JSON path of the first bad value, e.g.
// "faults[2].action.status: must be 200..599, not 999".
func ValidateState(st State) error {
	_, err := build(st)
	return err
}

// build validates st and returns the entries a Plan importing it holds.
// Validating by building means Import can never accept what ValidateState
// refused, nor the other way round.
func build(st State) ([]*entry, error) {
	if len(st.Faults) > MaxFaults {
		return nil, invalidAt("faults", "at most %d faults, not %d", MaxFaults, len(st.Faults))
	}
	// A Plan of st's seed derives the dice of faults without their own
	// seed, as Add would have.
	seeded := &Plan{seed: st.Seed}
	out := make([]*entry, len(st.Faults))
	var prev uint64
	for i, fs := range st.Faults {
		at := "faults[" + strconv.Itoa(i) + "]"
		seq, ok := parseID(fs.ID)
		if !ok {
			return nil, invalidAt(at+".id", "must be \"flt_\" and a sequence number from 1, not %q", clip(fs.ID))
		}
		if seq <= prev {
			return nil, invalidAt(at+".id", "%s must come after flt_%d: faults are in creation order", fs.ID, prev)
		}
		if seq > st.LastSeq {
			return nil, invalidAt(at+".id", "%s is beyond last_seq %d, the newest id drawn", fs.ID, st.LastSeq)
		}
		prev = seq
		spec, m, err := normalize(fs.spec())
		if err != nil {
			return nil, rebase(at, err)
		}
		e := &entry{
			seq:   seq,
			fault: Fault{ID: fs.ID, Spec: spec, Hits: fs.Hits, Matched: fs.Matched, CreatedAt: fs.CreatedAt},
			m:     m,
			times: *spec.Times,
			prob:  *spec.Probability,
		}
		if err := checkCounters(at, e, fs); err != nil {
			return nil, err
		}
		rolls := e.prob > 0 && e.prob < 1
		switch {
		case fs.RNG != "" && !rolls:
			return nil, invalidAt(at+".rng", "must be absent: a fault of probability %v rolls no dice", e.prob)
		case fs.RNG != "":
			if e.src, err = decodeRNG(fs.RNG); err != nil {
				return nil, invalidAt(at+".rng", "%v", err)
			}
		case rolls:
			e.src = seeded.source(spec.Seed, seq)
		}
		if e.src != nil {
			e.rng = rand.New(e.src)
		}
		out[i] = e
	}
	return out, nil
}

// checkCounters refuses counters no plan could have reached: Pick lets
// After matches through before a fault may fire, and stops counting
// once it is exhausted.
func checkCounters(at string, e *entry, fs FaultState) error {
	switch {
	case fs.Matched < 0:
		return invalidAt(at+".matched", "must be >= 0, not %d", fs.Matched)
	case fs.Hits < 0:
		return invalidAt(at+".hits", "must be >= 0, not %d", fs.Hits)
	case e.times > 0 && fs.Hits > e.times:
		return invalidAt(at+".hits", "must be at most times %d, not %d", e.times, fs.Hits)
	case fs.Hits > max(0, fs.Matched-fs.After):
		return invalidAt(at+".hits", "must be at most matched - after = %d, not %d: the first %d matches pass", max(0, fs.Matched-fs.After), fs.Hits, fs.After)
	}
	return nil
}

// parseID reads "flt_N" with N a sequence number as Add spells it: no
// sign, no leading zero, from 1.
func parseID(id string) (uint64, bool) {
	digits, ok := strings.CutPrefix(id, "flt_")
	if !ok || digits == "" || digits[0] == '0' || digits[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// decodeRNG loads a generator state Export wrote.
func decodeRNG(s string) (*rand.PCG, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("must be base64url without padding")
	}
	src := new(rand.PCG)
	if err := src.UnmarshalBinary(b); err != nil {
		return nil, errors.New("is not a PCG generator state (math/rand/v2 PCG.MarshalBinary)")
	}
	return src, nil
}

// Import replaces the plan's seed, ids and faults with st's, after
// ValidateState; on error nothing changes. Every fault goes on from its
// counters and its dice where they were, and the next Add draws the id
// and, without a seed of its own, the dice the exporter's would have.
func (p *Plan) Import(st State) error {
	entries, err := build(st)
	if err != nil {
		return err
	}
	byID := make(map[string]*entry, len(entries))
	live := 0
	for _, e := range entries {
		byID[e.fault.ID] = e
		if !e.exhausted() {
			live++
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seed, p.lastSeq, p.faults, p.byID = st.Seed, st.LastSeq, entries, byID
	p.live.Store(int64(live))
	return nil
}

// invalidAt is an invalid_request error about the value at a JSON path of
// a State: the path comes first, so a caller who nests the State can put
// its own path before it.
func invalidAt(path, format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage(path+": "+format, args...)
}

// rebase turns an error of normalize, whose message starts with the path
// of the bad field within a spec ("action.status must be 200..599",
// "match.route: …"), into one about the same field of the fault at path
// prefix, in the "path: message" form of invalidAt.
func rebase(prefix string, err error) error {
	msg := apperr.As(err).Message
	n := 0
	for n < len(msg) && isPathChar(msg[n]) {
		n++
	}
	if n == 0 {
		return invalidAt(prefix, "%s", msg)
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(msg[n:], ":"), " ")
	return invalidAt(prefix+"."+msg[:n], "%s", rest)
}

func isPathChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.'
}
