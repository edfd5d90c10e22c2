package faults

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/glob"
)

// matcher is a Match compiled once, when the fault is added, so the hot
// path only runs the patterns.
type matcher struct {
	route, method, path    glob.Pattern
	clientID, externalUser string
}

// matches reports whether req satisfies every field of the Match. The
// exact comparisons come first: they are the cheapest and, when set, the
// most selective.
func (m *matcher) matches(req Request) bool {
	return (m.clientID == "" || m.clientID == req.ClientID) &&
		(m.externalUser == "" || m.externalUser == req.ExternalUserID) &&
		m.method.MatchFold(req.Method) &&
		m.route.Match(req.Route) &&
		m.path.Match(req.Path)
}

func invalid(format string, args ...any) error {
	return apperr.ErrInvalid.WithMessage(format, args...)
}

// normalize checks a spec and returns it as the plan keeps it (a copy the
// caller can no longer change, defaults filled in) with its compiled
// Match. Every error is an apperr invalid_request naming the field as the
// control plane's JSON spells it.
func normalize(spec Spec) (Spec, matcher, error) {
	m, err := compileMatch(spec.Match)
	if err != nil {
		return Spec{}, matcher{}, err
	}
	action, err := normalizeAction(spec.Action)
	if err != nil {
		return Spec{}, matcher{}, err
	}
	times := 1
	if spec.Times != nil {
		times = *spec.Times
	}
	if times < 0 {
		return Spec{}, matcher{}, invalid("times must be >= 0 (0: until deleted), not %d", times)
	}
	if spec.After < 0 {
		return Spec{}, matcher{}, invalid("after must be >= 0, not %d", spec.After)
	}
	prob := 1.0
	if spec.Probability != nil {
		prob = *spec.Probability
	}
	if !(prob >= 0 && prob <= 1) { // also refuses NaN
		return Spec{}, matcher{}, invalid("probability must be 0..1, not %v", prob)
	}
	out := Spec{Match: spec.Match, Action: action, Times: &times, After: spec.After, Probability: &prob}
	if spec.Seed != nil {
		seed := *spec.Seed
		out.Seed = &seed
	}
	return out, m, nil
}

func compileMatch(m Match) (matcher, error) {
	route, err := glob.Compile(m.Route)
	if err != nil {
		return matcher{}, invalid("match.route: %v", err)
	}
	path, err := glob.Compile(m.Path)
	if err != nil {
		return matcher{}, invalid("match.path: %v", err)
	}
	if _, err := glob.Compile(m.Method); err != nil {
		return matcher{}, invalid("match.method: %v", err)
	}
	if m.Method != "" {
		for _, alt := range strings.Split(m.Method, "|") {
			if !isMethodPattern(alt) {
				return matcher{}, invalid("match.method: %q is not an HTTP method", clip(alt))
			}
		}
	}
	// Upper-cased once here, so that MatchFold, which upper-cases both
	// sides, allocates nothing for the upper-case methods clients send.
	method := glob.MustCompile(strings.ToUpper(m.Method))
	return matcher{route: route, method: method, path: path, clientID: m.ClientID, externalUser: m.ExternalUserID}, nil
}

// isMethodPattern reports whether s is an HTTP token (RFC 9110 §5.6.2),
// allowing ? as a wildcard too (* is a token character already).
func isMethodPattern(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '?' && !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// isTokenChar reports whether c is a tchar of RFC 9110 §5.6.2.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func normalizeAction(a Action) (Action, error) {
	if err := checkRanges(a); err != nil {
		return Action{}, err
	}
	body, err := normalizeBody(a.Body)
	if err != nil {
		return Action{}, err
	}
	headers, err := normalizeHeaders(a.Headers)
	if err != nil {
		return Action{}, err
	}
	a.Body, a.Headers = body, headers
	if err := checkCombination(a); err != nil {
		return Action{}, err
	}
	return a, nil
}

// checkRanges checks each numeric and enumerated field on its own.
func checkRanges(a Action) error {
	if a.Status != 0 && (a.Status < 200 || a.Status > 599) {
		return invalid("action.status must be 200..599, not %d", a.Status)
	}
	if a.Preset != "" && !slices.Contains(Presets(), a.Preset) {
		return invalid("action.preset must be one of %s, not %q", strings.Join(Presets(), ", "), clip(a.Preset))
	}
	if a.DelayMS < 0 || a.DelayMS > MaxDelayMS {
		return invalid("action.delay_ms must be 0..%d, not %d", MaxDelayMS, a.DelayMS)
	}
	if a.RetryAfterSeconds < 0 || a.RetryAfterSeconds > MaxRetryAfterSeconds {
		return invalid("action.retry_after_seconds must be 0..%d, not %d", MaxRetryAfterSeconds, a.RetryAfterSeconds)
	}
	return nil
}

// checkCombination checks that the fields make one coherent action: a
// drop, a pure delay, or an answer.
func checkCombination(a Action) error {
	answers := a.Status != 0 || a.Preset != ""
	if a.Drop {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"action.status", a.Status != 0},
			{"action.preset", a.Preset != ""},
			{"action.body", a.Body != nil},
			{"action.headers", a.Headers != nil},
			{"action.retry_after_seconds", a.RetryAfterSeconds != 0},
		} {
			if f.set {
				return invalid("action.drop cannot go with %s: a dropped connection has no answer", f.name)
			}
		}
		return nil
	}
	if !answers {
		switch {
		case a.Body != nil:
			return invalid("action.status is required with action.body (or use action.preset)")
		case a.Headers != nil:
			return invalid("action.status is required with action.headers (or use action.preset)")
		case a.RetryAfterSeconds != 0:
			return invalid("action.status is required with action.retry_after_seconds (or use action.preset)")
		case a.DelayMS == 0:
			return invalid("action must do something: set action.status, action.preset, action.delay_ms or action.drop")
		}
	}
	if a.Body != nil && !bodyAllowed(a.Status) {
		return invalid("action.body is not allowed with action.status %d, which has no body", a.Status)
	}
	return nil
}

// bodyAllowed reports whether an answer with this status may carry a
// body; the HTTP layer could not write one for 204 or 304.
func bodyAllowed(status int) bool { return status != 204 && status != 304 }

// normalizeBody checks a body and returns it compacted, in a buffer of
// its own; JSON null and an empty body become nil.
func normalizeBody(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > MaxBody {
		return nil, invalid("action.body is larger than %d KiB", MaxBody>>10)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil { // also refuses "1 2"
		return nil, invalid("action.body must be one JSON value")
	}
	if buf.String() == "null" {
		return nil, nil
	}
	return buf.Bytes(), nil
}

// serverHeaders frame the message; the HTTP layer sets them, and a fault
// that set them would corrupt the connection rather than fail the call.
var serverHeaders = []string{"Content-Length", "Transfer-Encoding"}

// normalizeHeaders checks headers and returns them in a map of its own,
// keyed by canonical name, so that a header replaces a preset's of the
// same name whatever its case. An empty map becomes nil.
func normalizeHeaders(h map[string]string) (map[string]string, error) {
	if len(h) == 0 {
		return nil, nil
	}
	if len(h) > MaxHeaders {
		return nil, invalid("action.headers has %d headers; at most %d", len(h), MaxHeaders)
	}
	out := make(map[string]string, len(h))
	// Sorted, so that the error for a spec with several bad headers is
	// the same every run.
	for _, name := range slices.Sorted(maps.Keys(h)) {
		value := h[name]
		if !isToken(name) {
			return nil, invalid("action.headers: %q is not a valid header name", clip(name))
		}
		key := textproto.CanonicalMIMEHeaderKey(name)
		if slices.Contains(serverHeaders, key) {
			return nil, invalid("action.headers: %s is set by the server", key)
		}
		if _, dup := out[key]; dup {
			return nil, invalid("action.headers names %s twice", key)
		}
		if len(value) > MaxHeaderValue {
			return nil, invalid("action.headers: the value of %s is longer than %d bytes", key, MaxHeaderValue)
		}
		if !isHeaderValue(value) {
			return nil, invalid("action.headers: the value of %s contains a control character (CR, LF, NUL…)", key)
		}
		out[key] = value
	}
	return out, nil
}

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// isHeaderValue is httpguts.ValidHeaderFieldValue: no control character
// but horizontal tab. CR and LF would split the header (response
// splitting), NUL is refused by clients.
func isHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// clip shortens user input quoted in an error message.
func clip(s string) string {
	if len(s) <= 100 {
		return s
	}
	return s[:100] + "…"
}

// cloneSpec copies everything a Spec shares by reference, so that a Fault
// handed out cannot change the plan's, nor the plan's change it.
func cloneSpec(s Spec) Spec {
	s.Action.Headers = maps.Clone(s.Action.Headers)
	s.Action.Body = bytes.Clone(s.Action.Body)
	s.Times = clonePtr(s.Times)
	s.Probability = clonePtr(s.Probability)
	s.Seed = clonePtr(s.Seed)
	return s
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
