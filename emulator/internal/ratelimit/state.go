package ratelimit

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// State is what a Limiter carries across an export and an import: the
// profile and rules in force, and the custom rate-limit tokens, which the
// API's users hold and must keep working (Pipedream gives no way to make
// the same token again). The tokens are credentials of sorts, so a
// document that embeds a State is to be kept as one keeps secrets.
//
// The counters are not state. They live at most one window (a day at
// most), they are keyed by client IPs among others, and there can be
// MaxCounters of them, which would swell every state document for what a
// test can recreate in one window; and they only mean something against
// the clock they were counted on, which the importing emulator need not
// share. So Import starts counting afresh, as Set does for the rules'
// counters: a restored emulator's callers get full quotas, never fewer
// than they had.
type State struct {
	// Profile is "off", "pipedream" or "custom", as Config reports it.
	Profile string `json:"profile"`
	// Rules are the rules in force, in order, names filled in. They are
	// exported for every profile, so that a state imported into a later
	// pdemu whose "pipedream" profile changed keeps the limits it had;
	// a state of profile "pipedream" with no rules takes the profile's.
	Rules []RuleState `json:"rules"`
	// Tokens are the custom rate-limit tokens, sorted by token.
	Tokens []TokenState `json:"tokens"`
}

// RuleState is a Rule, spelled as in PUT /_emulator/rate-limits.
type RuleState struct {
	// Name names the rule in 429s and counters.
	Name string `json:"name,omitempty"`
	// Route is a glob over route names.
	Route string `json:"route,omitempty"`
	// Path is a glob over the URL path.
	Path string `json:"path,omitempty"`
	// Method is a case-insensitive glob over the method.
	Method string `json:"method,omitempty"`
	// Key is what the rule counts by: ip, client, external_user or
	// project.
	Key string `json:"key"`
	// Limit is how many requests a key value may make per window.
	Limit int `json:"limit"`
	// WindowSeconds is the window's length in seconds.
	WindowSeconds int64 `json:"window_seconds"`
}

// TokenState is a custom rate-limit token, as POST
// /v1/connect/rate_limits made it.
type TokenState struct {
	// Token is the x-pd-rate-limit value: a credential.
	Token string `json:"token"`
	// WorkspaceID is the workspace whose requests may carry it.
	WorkspaceID string `json:"workspace_id"`
	// WindowSeconds is its window's length in seconds.
	WindowSeconds int64 `json:"window_seconds"`
	// Limit is how many requests it allows per window.
	Limit int `json:"limit"`
}

// Export returns the profile, the rules and the custom tokens.
func (l *Limiter) Export() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := State{Profile: l.profile, Rules: make([]RuleState, len(l.rules)), Tokens: make([]TokenState, 0, len(l.tokens))}
	for i, r := range l.rules {
		st.Rules[i] = RuleState{Name: r.Name, Route: r.Route, Path: r.Path, Method: r.Method,
			Key: string(r.Key), Limit: r.Limit, WindowSeconds: int64(r.Window / time.Second)}
	}
	for tok, t := range l.tokens {
		st.Tokens = append(st.Tokens, TokenState{Token: tok, WorkspaceID: t.workspaceID, WindowSeconds: t.window, Limit: t.limit})
	}
	slices.SortFunc(st.Tokens, func(a, b TokenState) int { return strings.Compare(a.Token, b.Token) })
	return st
}

// ValidateState checks st on its own, without a Limiter: the profile and
// rules as Set checks them, and tokens as CreateToken makes them. Errors:
// apperr invalid_request whose message starts with the JSON path of the
// first bad value, e.g. "rules[2].limit: must be 1..1000000". No message
// quotes a token.
func ValidateState(st State) error {
	_, _, err := build(st)
	return err
}

// build validates st and returns the rules and tokens a Limiter
// importing it holds, so that Import cannot accept what ValidateState
// refused, nor the other way round.
func build(st State) ([]compiled, map[string]token, error) {
	rules, err := buildRules(st)
	if err != nil {
		return nil, nil, err
	}
	if len(st.Tokens) > MaxTokens {
		return nil, nil, invalidAt("tokens", "at most %d tokens, not %d", MaxTokens, len(st.Tokens))
	}
	tokens := make(map[string]token, len(st.Tokens))
	index := make(map[string]int, len(st.Tokens))
	maxWindow := int64(MaxWindow / time.Second)
	for i, t := range st.Tokens {
		at := "tokens[" + strconv.Itoa(i) + "]."
		if !isToken(t.Token) {
			return nil, nil, invalidAt(at+"token", "must be %d ASCII letters, as POST /v1/connect/rate_limits makes them", TokenLen)
		}
		if j, dup := index[t.Token]; dup {
			return nil, nil, invalidAt(at+"token", "is already tokens[%d].token", j)
		}
		index[t.Token] = i
		switch {
		case t.WorkspaceID == "":
			return nil, nil, invalidAt(at+"workspace_id", "is required")
		case t.WindowSeconds < 1 || t.WindowSeconds > maxWindow:
			return nil, nil, invalidAt(at+"window_seconds", "must be 1..%d, not %d", maxWindow, t.WindowSeconds)
		case t.Limit < 1 || t.Limit > MaxLimit:
			return nil, nil, invalidAt(at+"limit", "must be 1..%d, not %d", MaxLimit, t.Limit)
		}
		tokens[t.Token] = token{workspaceID: t.WorkspaceID, window: t.WindowSeconds, limit: t.Limit}
	}
	return rules, tokens, nil
}

// buildRules checks the profile and compiles the rules with Set's own
// checks, their errors rebased to "path: message".
func buildRules(st State) ([]compiled, error) {
	switch st.Profile {
	case ProfileOff:
		if len(st.Rules) > 0 {
			return nil, invalidAt("rules", "profile %q takes no rules", ProfileOff)
		}
		return nil, nil
	case ProfileCustom:
		if len(st.Rules) == 0 {
			return nil, invalidAt("rules", "profile %q needs at least one rule (or profile %q)", ProfileCustom, ProfileOff)
		}
	case ProfilePipedream:
		if len(st.Rules) == 0 {
			_, rules, err := resolve(Config{Profile: ProfilePipedream})
			return rules, err
		}
	default:
		return nil, invalidAt("profile", "must be %q, %q or %q, not %q", ProfileOff, ProfilePipedream, ProfileCustom, st.Profile)
	}
	if len(st.Rules) > MaxRules {
		return nil, invalidAt("rules", "at most %d rules, not %d", MaxRules, len(st.Rules))
	}
	maxWindow := int64(MaxWindow / time.Second)
	rules := make([]Rule, len(st.Rules))
	for i, r := range st.Rules {
		// Checked here, in seconds, before a Duration could overflow.
		if r.WindowSeconds < 1 || r.WindowSeconds > maxWindow {
			return nil, invalidAt("rules["+strconv.Itoa(i)+"].window_seconds", "must be 1..%d, not %d", maxWindow, r.WindowSeconds)
		}
		rules[i] = Rule{Name: r.Name, Route: r.Route, Path: r.Path, Method: r.Method, Key: Key(r.Key),
			Limit: r.Limit, Window: time.Duration(r.WindowSeconds) * time.Second}
		// Each rule is compiled in turn, so the first bad one is named
		// first; resolve below adds the checks across rules.
		if _, err := compile(i, rules[i]); err != nil {
			return nil, rebase(err)
		}
	}
	_, compiled, err := resolve(Config{Profile: ProfileCustom, Rules: rules})
	if err != nil {
		return nil, rebase(err)
	}
	return compiled, nil
}

// isToken reports whether s could be a token CreateToken made: TokenLen
// letters. Counters relies on the length, quoting a token's first six.
func isToken(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(letters, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Import replaces the profile, the rules and the custom tokens with st's,
// after ValidateState; on error nothing changes. Every counter is dropped
// (see State), and with them the untracked count of Stats.
func (l *Limiter) Import(st State) error {
	rules, tokens, err := build(st)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.profile, l.rules, l.tokens = st.Profile, rules, tokens
	l.clearCounters()
	l.active.Store(len(l.rules) > 0 || len(l.tokens) > 0)
	return nil
}

// invalidAt is an invalid_request error about the value at a JSON path of
// a State: the path comes first, so a caller who nests the State can put
// its own path before it.
func invalidAt(path, format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage(path+": "+format, args...)
}

// rebase turns an error of compile or resolve, whose message starts with
// the path of the bad value ("rules[2].limit must be 1..1000000",
// "rules[1] needs a route or a path pattern"), into the "path: message"
// form of invalidAt.
func rebase(err error) error {
	msg := apperr.As(err).Message
	n := 0
	for n < len(msg) && isPathChar(msg[n]) {
		n++
	}
	if n == 0 {
		return err
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(msg[n:], ":"), " ")
	return invalidAt(msg[:n], "%s", rest)
}

func isPathChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '[' || c == ']'
}
