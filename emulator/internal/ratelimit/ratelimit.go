// Package ratelimit is Pipedream's rate limiting, emulated on the
// emulator's clock: rules that allow so many requests per fixed window,
// counted per IP, OAuth client, external user or project, plus the custom
// limits a caller creates with POST /v1/connect/rate_limits and sends back
// in the x-pd-rate-limit header. It knows nothing of HTTP: the adapter
// describes each API request as a Request, passes the clock's time, and
// turns a throttled Verdict into a 429.
//
// Windows are fixed and aligned on the Unix epoch (a 60 s window runs from
// one whole minute to the next), so a test that moves the clock knows
// exactly which request is the last of a window and which the first of
// the next; nothing here reads the wall clock.
package ratelimit

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/ids"
)

// MaxCounters bounds the live counters (one per rule and key value, one
// per custom token in use). A request that would need one more is allowed
// and not counted by that rule; Stats reports how often that happened.
// At 100,000 distinct keys per window a test is load-testing the emulator,
// not exercising Pipedream's limits, and memory must stay bounded.
const MaxCounters = 100_000

// MaxTokens bounds the custom rate-limit tokens, which Pipedream gives no
// way to delete.
const MaxTokens = 10_000

// LimitTokens names the custom tokens' cap in limit_exceeded errors.
const LimitTokens = "rate-limit-tokens"

// minSweep is the smallest counter count at which Check looks for counters
// of finished windows to drop; below it the garbage is not worth a scan.
const minSweep = 1024

// customIndex is the rule index of custom-token counters: past every rule,
// so a custom token comes last in rule order.
const customIndex = MaxRules

// Verdict is the outcome of Check.
type Verdict struct {
	// Allowed is false when the request is throttled (a 429).
	Allowed bool
	// Rule names the rule that throttled the request or, when allowed, the
	// applicable rule with the fewest requests left ("custom" for a custom
	// token); "" when no rule applied.
	Rule string
	// Limit is that rule's requests per window.
	Limit int
	// Remaining is how many more requests the rule allows in this window,
	// after this one; 0 when throttled.
	Remaining int
	// Reset is the end of the rule's current window.
	Reset time.Time
	// RetryAfter is how long until Reset, rounded up to whole seconds and
	// at least 1 s, when throttled; zero when allowed.
	RetryAfter time.Duration
}

// Counter is one live counter: the requests a key value made in a rule's
// current window.
type Counter struct {
	// Rule is the rule's name, "custom" for a custom token.
	Rule string
	// Key is the key value: an IP, client id or project id; the project
	// and external user as "proj_…/user-id" (the user alone when the
	// request named no project); for a custom token its first six letters
	// and "…", since the token is a credential.
	Key string
	// Count is how many requests were counted in the window.
	Count int
	// Limit is the rule's requests per window.
	Limit int
	// WindowStart and Reset are the window's start and end.
	WindowStart, Reset time.Time
}

// Stats describes a Limiter's bookkeeping, for the control plane.
type Stats struct {
	// Counters is how many counters are stored, including some of finished
	// windows that have not been swept yet (Counters sweeps them).
	Counters int
	// Tokens is how many custom tokens exist.
	Tokens int
	// Untracked is how many requests, since the last Set or Reset, went
	// uncounted by at least one rule because MaxCounters counters were
	// live: such a request is allowed as far as that rule is concerned.
	Untracked int
}

// counterKey identifies a counter: a rule (by index) and a key value. For
// an external user, scope is its project.
type counterKey struct {
	rule  int
	scope string
	value string
}

// counter counts one key value's requests in one window; start and reset
// are Unix seconds.
type counter struct {
	start, reset int64
	count        int
}

// token is a custom rate limit made by CreateToken.
type token struct {
	workspaceID string
	window      int64 // seconds
	limit       int
}

// Limiter holds the rules, the counters and the custom tokens. It is safe
// for concurrent use.
type Limiter struct {
	// active mirrors "any rule or any token", so that Check costs one
	// atomic load while rate limiting is off, the common case.
	active atomic.Bool

	mu       sync.Mutex
	profile  string
	rules    []compiled
	counters map[counterKey]*counter
	tokens   map[string]token
	// sweepAt is the counter count at which the next sweep runs; it grows
	// with the live counters, so sweeping costs O(1) amortized per counter.
	sweepAt int
	// nextExpiry is the earliest end and latestStart the latest start of
	// any stored counter's window (Unix seconds). A counter is stale when
	// its window has ended or, after the clock was set back, not begun:
	// some counter is stale exactly when now >= nextExpiry or now <
	// latestStart, so a full map with none stale costs no scan.
	nextExpiry, latestStart int64
	untracked               int

	// ids makes the custom tokens.
	ids *ids.Generator
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithIDs makes the Limiter draw its custom tokens from g (default: a
// generator reading crypto/rand).
func WithIDs(g *ids.Generator) Option { return func(l *Limiter) { l.ids = g } }

// New returns a Limiter with no rules (profile "off") and no tokens.
func New(opts ...Option) *Limiter {
	l := &Limiter{
		profile:  ProfileOff,
		counters: make(map[counterKey]*counter),
		tokens:   make(map[string]token),
		sweepAt:  minSweep,
	}
	for _, opt := range opts {
		opt(l)
	}
	if l.ids == nil {
		l.ids = ids.NewRandom()
	}
	return l
}

// Set validates cfg and, only if all of it is valid, replaces the rules
// and drops their counters, so that counting starts afresh under the new
// rules. Custom tokens and their counters stay: they belong to the API's
// users, not to the rules, and on a shared emulator one user's new rules
// must not refill another's quota. Profile "pipedream" with
// no rules is Profile("pipedream"). Errors: apperr invalid_request naming
// the rule and field, e.g. "rules[2].limit must be 1..1000000".
func (l *Limiter) Set(cfg Config) error {
	profile, rules, err := resolve(cfg)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.profile, l.rules = profile, rules
	for k := range l.counters {
		if k.rule != customIndex {
			delete(l.counters, k)
		}
	}
	l.active.Store(len(l.rules) > 0 || len(l.tokens) > 0)
	return nil
}

// Config returns the profile and the rules in force, names filled in.
func (l *Limiter) Config() Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	cfg := Config{Profile: l.profile, Rules: make([]Rule, len(l.rules))}
	for i, r := range l.rules {
		cfg.Rules[i] = r.Rule
	}
	return cfg
}

// Active reports, cheaply, whether any rule or custom token exists. When
// it is false, Check allows every request without a CustomToken, so the
// hot path may skip building a Request; a request that carries
// x-pd-rate-limit must still go through Check, which rejects unknown
// tokens.
func (l *Limiter) Active() bool { return l.active.Load() }

// Reset drops every counter and custom token, for the emulator's reset.
// The rules stay: they are configuration, not state.
func (l *Limiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.tokens)
	l.clearCounters()
	l.active.Store(len(l.rules) > 0)
}

func (l *Limiter) clearCounters() {
	clear(l.counters)
	l.sweepAt, l.nextExpiry, l.latestStart, l.untracked = minSweep, 0, 0, 0
}

// Stats returns the Limiter's bookkeeping.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Counters: len(l.counters), Tokens: len(l.tokens), Untracked: l.untracked}
}

// errNotToken is the one answer for an unknown token and another
// workspace's, so that a caller cannot probe for tokens it does not own.
var errNotToken = apperr.ErrInvalid.WithMessage("x-pd-rate-limit is not a rate limit token of this workspace")

// hit is one rule that applies to a request, with its counter.
type hit struct {
	key    counterKey
	name   string
	limit  int
	window int64 // seconds
	start  int64 // of the current window
	c      *counter
}

// Check counts req against every rule that applies to it at now, and
// against its custom token. A rule applies when its route, path and method
// patterns match and req has a value for its key. If any applicable rule
// has already counted Limit requests in its current window, the request is
// throttled, by the first such rule in rule order (the custom token
// last), and nothing is counted: a refused request costs the caller no
// quota. Otherwise every applicable rule counts it, and the verdict names
// the one with the fewest requests left (the first of equals); with no
// applicable rule it is Verdict{Allowed: true}.
//
// Errors: apperr invalid_request when req.CustomToken is not a token of
// req.WorkspaceID; nothing is counted then.
func (l *Limiter) Check(req Request, now time.Time) (Verdict, error) {
	if req.CustomToken == "" && !l.active.Load() {
		return Verdict{Allowed: true}, nil
	}
	sec := now.Unix()

	l.mu.Lock()
	defer l.mu.Unlock()
	var tok token
	if req.CustomToken != "" {
		var ok bool
		if tok, ok = l.tokens[req.CustomToken]; !ok || tok.workspaceID != req.WorkspaceID {
			return Verdict{}, errNotToken
		}
	}
	var buf [8]hit
	hits := buf[:0]
	for i := range l.rules {
		r := &l.rules[i]
		if !r.matches(&req) {
			continue
		}
		scope, value := keyOf(r.Key, &req)
		if value == "" {
			continue
		}
		hits = append(hits, hit{
			key:  counterKey{rule: i, scope: scope, value: value},
			name: r.Name, limit: r.Limit, window: int64(r.Window / time.Second),
		})
	}
	if req.CustomToken != "" {
		hits = append(hits, hit{
			key:  counterKey{rule: customIndex, value: req.CustomToken},
			name: CustomRule, limit: tok.limit, window: tok.window,
		})
	}

	// Look every counter up before counting any, so that a throttled
	// request leaves all of them as they were.
	for j := range hits {
		h := &hits[j]
		h.start = windowStart(sec, h.window)
		h.c = l.counters[h.key]
		if h.c != nil && h.c.start == h.start && h.c.count >= h.limit {
			reset := unixTime(h.start + h.window)
			return Verdict{Rule: h.name, Limit: h.limit, Reset: reset, RetryAfter: retryAfter(reset, now)}, nil
		}
	}

	// Count on the counters that exist first, restarting those of another
	// window: a sweep, which making a new counter may run, drops the
	// counters not of their current window, and must not drop one this
	// request holds.
	v, best := Verdict{Allowed: true}, -1
	note := func(j int, c *counter) {
		h := &hits[j]
		rem := h.limit - c.count
		if best < 0 || rem < v.Remaining || rem == v.Remaining && j < best {
			best = j
			v = Verdict{Allowed: true, Rule: h.name, Limit: h.limit, Remaining: rem, Reset: unixTime(c.reset)}
		}
	}
	for j := range hits {
		h := &hits[j]
		if h.c == nil {
			continue
		}
		if h.c.start != h.start {
			*h.c = counter{start: h.start, reset: h.start + h.window}
			l.nextExpiry, l.latestStart = min(l.nextExpiry, h.c.reset), max(l.latestStart, h.start)
		}
		h.c.count++
		note(j, h.c)
	}
	untracked := false
	for j := range hits {
		h := &hits[j]
		if h.c != nil {
			continue
		}
		c := l.newCounter(h.key, h.start, h.start+h.window, sec)
		if c == nil {
			untracked = true
			continue
		}
		note(j, c)
	}
	if untracked {
		l.untracked++
	}
	return v, nil
}

// newCounter stores a counter with one request, sweeping first when the
// map has grown enough for that to pay; it returns nil when MaxCounters
// live counters leave no room.
func (l *Limiter) newCounter(k counterKey, start, reset, now int64) *counter {
	if len(l.counters) >= l.sweepAt && (now >= l.nextExpiry || now < l.latestStart) {
		l.sweep(now)
	}
	if len(l.counters) >= MaxCounters {
		return nil
	}
	c := &counter{start: start, reset: reset, count: 1}
	l.counters[k] = c
	if len(l.counters) == 1 {
		l.nextExpiry, l.latestStart = reset, start
	} else {
		l.nextExpiry, l.latestStart = min(l.nextExpiry, reset), max(l.latestStart, start)
	}
	return c
}

// sweep drops the counters whose window is not the current one at now:
// finished windows, and windows ahead of a clock that was set back.
func (l *Limiter) sweep(now int64) {
	next, latest := int64(math.MaxInt64), int64(math.MinInt64)
	for k, c := range l.counters {
		if c.start != windowStart(now, c.reset-c.start) {
			delete(l.counters, k)
			continue
		}
		next, latest = min(next, c.reset), max(latest, c.start)
	}
	l.nextExpiry, l.latestStart = next, latest
	l.sweepAt = min(max(minSweep, 2*len(l.counters)), MaxCounters)
}

// Counters returns the live counters at now, those of current windows,
// after dropping the rest: sorted by rule, in rule order with custom tokens
// last, then by key.
func (l *Limiter) Counters(now time.Time) []Counter {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now.Unix())
	type row struct {
		rule int
		Counter
	}
	rows := make([]row, 0, len(l.counters))
	for k, c := range l.counters {
		r := row{rule: k.rule, Counter: Counter{
			Key: k.value, Count: c.count,
			WindowStart: unixTime(c.start), Reset: unixTime(c.reset),
		}}
		switch {
		case k.rule == customIndex:
			r.Rule, r.Limit, r.Key = CustomRule, l.tokens[k.value].limit, k.value[:6]+"…"
		default:
			r.Rule, r.Limit = l.rules[k.rule].Name, l.rules[k.rule].Limit
			if k.scope != "" {
				r.Key = k.scope + "/" + k.value
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.rule, b.rule), cmp.Compare(a.Key, b.Key))
	})
	out := make([]Counter, len(rows))
	for i, r := range rows {
		out[i] = r.Counter
	}
	return out
}

// windowStart is the start of the window of w seconds holding Unix second
// sec: floor(sec/w)*w, for times before 1970 too.
func windowStart(sec, w int64) int64 {
	q := sec / w
	if sec%w < 0 {
		q--
	}
	return q * w
}

// unixTime is a Unix second as a UTC time, as the emulator reports times.
func unixTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// retryAfter is the time from now to reset rounded up to whole seconds,
// as a Retry-After header carries it, and never less than 1 s.
func retryAfter(reset, now time.Time) time.Duration {
	d := reset.Sub(now)
	d = (d + time.Second - 1) / time.Second * time.Second
	return max(d, time.Second)
}
