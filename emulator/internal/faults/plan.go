package faults

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// Plan holds the faults a test has asked for and picks the one a request
// fires. It is safe for concurrent use.
type Plan struct {
	// live counts the faults that are not exhausted, so that Active, which
	// every request calls, takes no lock. It changes only under mu.
	live atomic.Int64

	mu      sync.Mutex
	seed    uint64
	lastSeq uint64
	faults  []*entry // by creation, which is by seq
	byID    map[string]*entry
}

// entry is a fault with what the hot path needs ready.
type entry struct {
	seq   uint64
	fault Fault
	m     matcher
	times int     // *fault.Spec.Times: 0 is unlimited
	prob  float64 // *fault.Spec.Probability
	// rng is the fault's own generator, so that what one fault rolls does
	// not depend on what the others saw. It is nil when the probability
	// is 0 or 1: then there is nothing to roll.
	rng *rand.Rand
	// src is rng's source, kept because rand.Rand does not give it back
	// and Export must save where the dice are.
	src *rand.PCG
}

// NewPlan returns an empty plan whose faults derive their generators from
// seed.
func NewPlan(seed uint64) *Plan {
	return &Plan{seed: seed, byID: make(map[string]*entry)}
}

// Add checks a spec and adds it as the plan's newest fault. Errors: apperr
// invalid_request naming the field at fault; apperr limit_exceeded when
// the plan holds MaxFaults.
func (p *Plan) Add(spec Spec, now time.Time) (Fault, error) {
	spec, m, err := normalize(spec)
	if err != nil {
		return Fault{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.faults) >= MaxFaults {
		return Fault{}, apperr.Limit(LimitFaults, MaxFaults, "fault plans")
	}
	p.lastSeq++
	e := &entry{
		seq:   p.lastSeq,
		fault: Fault{ID: "flt_" + strconv.FormatUint(p.lastSeq, 10), Spec: spec, CreatedAt: now},
		m:     m,
		times: *spec.Times,
		prob:  *spec.Probability,
	}
	if e.prob > 0 && e.prob < 1 {
		e.src = p.source(spec.Seed, e.seq)
		e.rng = rand.New(e.src)
	}
	p.faults = append(p.faults, e)
	p.byID[e.fault.ID] = e
	p.live.Add(1)
	return e.view(), nil
}

// source is a fault's generator: from its own seed when it has one (the
// second word 0, which no derived source uses, as sequence numbers start
// at 1), else from the plan's seed and the fault's sequence number, so
// that re-adding the same specs to a plan of the same seed rolls the same.
func (p *Plan) source(seed *uint64, seq uint64) *rand.PCG {
	if seed != nil {
		return rand.NewPCG(*seed, 0)
	}
	return rand.NewPCG(p.seed, seq)
}

// List returns every fault, exhausted ones included, in creation order.
func (p *Plan) List() []Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Fault, len(p.faults))
	for i, e := range p.faults {
		out[i] = e.view()
	}
	return out
}

// Get returns one fault. Errors: apperr not_found.
func (p *Plan) Get(id string) (Fault, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byID[id]
	if !ok {
		return Fault{}, notFound(id)
	}
	return e.view(), nil
}

// Delete removes a fault; requests it would have fired go on to the
// faults after it. Errors: apperr not_found.
func (p *Plan) Delete(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.byID[id]
	if !ok {
		return notFound(id)
	}
	delete(p.byID, id)
	// faults is sorted by seq; at most MaxFaults long.
	i, _ := slices.BinarySearchFunc(p.faults, e.seq, func(x *entry, seq uint64) int {
		return cmp.Compare(x.seq, seq)
	})
	p.faults = slices.Delete(p.faults, i, i+1)
	if !e.exhausted() {
		p.live.Add(-1)
	}
	return nil
}

func notFound(id string) error { return apperr.ErrNotFound.WithMessage("no fault %q", clip(id)) }

// Clear removes every fault. Ids go on from where they were, so that an
// id seen before a Clear never names another fault after it.
func (p *Plan) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
}

func (p *Plan) clear() {
	p.faults = nil
	clear(p.byID)
	p.live.Store(0)
}

// Reset removes every fault, restarts ids at flt_1 and takes a new seed:
// the plan is as NewPlan(seed) made it, for an emulator reset.
func (p *Plan) Reset(seed uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.seed, p.lastSeq = seed, 0
}

// Active reports whether any fault can still fire. It takes no lock, so
// the HTTP layer may call it on every request and skip Pick while the
// plan is empty or spent. A fault of probability 0 counts as active: it
// still counts the requests it matches.
func (p *Plan) Active() bool { return p.live.Load() > 0 }

// Pick finds the fault a request fires, if any. It walks the faults that
// can still fire in creation order; each one the request matches counts
// it (Matched), lets it through while Matched <= After, then fires with
// its probability. The first fault to fire wins, and the faults after it
// do not see the request. The Fault returned is a copy, its counters
// counting this hit.
func (p *Plan) Pick(req Request) (Fault, bool) {
	if !p.Active() {
		return Fault{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.faults {
		if e.exhausted() || !e.m.matches(req) {
			continue
		}
		e.fault.Matched++
		if e.fault.Matched <= e.fault.Spec.After || !e.roll() {
			continue
		}
		e.fault.Hits++
		if e.exhausted() {
			p.live.Add(-1)
		}
		return e.view(), true
	}
	return Fault{}, false
}

// exhausted reports whether a limited fault has fired all its times. It
// stays listed but no longer sees requests.
func (e *entry) exhausted() bool { return e.times > 0 && e.fault.Hits >= e.times }

// roll reports whether the fault fires this time.
func (e *entry) roll() bool {
	if e.rng == nil {
		return e.prob >= 1
	}
	return e.rng.Float64() < e.prob
}

// view is the fault as callers see it: a deep copy with Remaining set.
func (e *entry) view() Fault {
	f := e.fault
	f.Spec = cloneSpec(f.Spec)
	if e.times > 0 {
		left := e.times - f.Hits
		f.Remaining = &left
	}
	return f
}
