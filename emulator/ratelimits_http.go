package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/ratelimit"
)

// Rate limits: the control plane's GET and PUT /_emulator/rate-limits,
// Pipedream's POST /v1/connect/rate_limits, and the check every API request
// passes once its caller is known.

// rateLimitRuleJSON is a rule on the wire.
type rateLimitRuleJSON struct {
	Name          string `json:"name,omitempty"`
	Route         string `json:"route,omitempty"`
	Path          string `json:"path,omitempty"`
	Method        string `json:"method,omitempty"`
	Key           string `json:"key"`
	Limit         int    `json:"limit"`
	WindowSeconds int64  `json:"window_seconds"`
}

type rateLimitCounterJSON struct {
	Rule        string `json:"rule"`
	Key         string `json:"key"`
	Count       int    `json:"count"`
	Limit       int    `json:"limit"`
	Remaining   int    `json:"remaining"`
	WindowStart string `json:"window_start"`
	Reset       string `json:"reset"`
}

func toRuleJSON(r ratelimit.Rule) rateLimitRuleJSON {
	return rateLimitRuleJSON{Name: r.Name, Route: r.Route, Path: r.Path, Method: r.Method, Key: string(r.Key),
		Limit: r.Limit, WindowSeconds: int64(r.Window / time.Second)}
}

// fromRuleJSON converts a rule, refusing a window that would overflow a
// Duration before the limiter judges its range.
func fromRuleJSON(i int, r rateLimitRuleJSON) (ratelimit.Rule, error) {
	if r.WindowSeconds < 1 || r.WindowSeconds > int64(ratelimit.MaxWindow/time.Second) {
		return ratelimit.Rule{}, apperr.ErrInvalid.WithMessage("rules[%d].window_seconds must be 1..%d", i, int64(ratelimit.MaxWindow/time.Second))
	}
	return ratelimit.Rule{Name: r.Name, Route: r.Route, Path: r.Path, Method: r.Method, Key: ratelimit.Key(r.Key),
		Limit: r.Limit, Window: time.Duration(r.WindowSeconds) * time.Second}, nil
}

// rateLimitsJSON is GET /_emulator/rate-limits: the rules in force and the
// live counters.
func (e *Emulator) rateLimitsJSON() map[string]any {
	st := e.RateLimits()
	rules := make([]rateLimitRuleJSON, len(st.Rules))
	for i, r := range st.Rules {
		rules[i] = toRuleJSON(r)
	}
	counters := make([]rateLimitCounterJSON, len(st.Counters))
	for i, c := range st.Counters {
		counters[i] = rateLimitCounterJSON{Rule: c.Rule, Key: c.Key, Count: c.Count, Limit: c.Limit, Remaining: max(0, c.Limit-c.Count),
			WindowStart: c.WindowStart.Format(time.RFC3339), Reset: c.Reset.Format(time.RFC3339)}
	}
	return map[string]any{"profile": st.Profile, "rules": rules, "counters": counters,
		"custom_tokens": st.Stats.Tokens, "untracked": st.Stats.Untracked}
}

func (e *Emulator) getRateLimits(*http.Request, *call) (response, error) {
	return ok(e.rateLimitsJSON())
}

// rateLimitsBody is the body of PUT /_emulator/rate-limits.
type rateLimitsBody struct {
	Profile string              `json:"profile"`
	Rules   []rateLimitRuleJSON `json:"rules"`
}

func (b rateLimitsBody) config() (ratelimit.Config, error) {
	if b.Profile == "" && b.Rules == nil {
		return ratelimit.Config{}, apperr.ErrInvalid.WithMessage(`give "profile" ("pipedream" or "off") or "rules"`)
	}
	cfg := ratelimit.Config{Profile: b.Profile}
	for i, rj := range b.Rules {
		rule, err := fromRuleJSON(i, rj)
		if err != nil {
			return ratelimit.Config{}, err
		}
		cfg.Rules = append(cfg.Rules, rule)
	}
	return cfg, nil
}

func (e *Emulator) setRateLimits(r *http.Request, _ *call) (response, error) {
	var body rateLimitsBody
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	cfg, err := body.config()
	if err != nil {
		return response{}, err
	}
	if err := e.limiter.Set(cfg); err != nil {
		return response{}, err
	}
	return ok(e.rateLimitsJSON())
}

// createRateLimit serves POST /v1/connect/rate_limits: a custom limit for
// the caller's workspace, named by the token it answers.
func (e *Emulator) createRateLimit(r *http.Request, c *call) (response, error) {
	var body struct {
		WindowSizeSeconds *int64 `json:"window_size_seconds"`
		RequestsPerWindow *int   `json:"requests_per_window"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	maxWindow := int64(ratelimit.MaxWindow / time.Second)
	switch {
	case body.WindowSizeSeconds == nil || *body.WindowSizeSeconds < 1 || *body.WindowSizeSeconds > maxWindow:
		return response{}, apperr.ErrInvalid.WithMessage("window_size_seconds must be an integer from 1 to %d", maxWindow)
	case body.RequestsPerWindow == nil:
		return response{}, apperr.ErrInvalid.WithMessage("requests_per_window must be an integer from 1 to %d", ratelimit.MaxLimit)
	}
	tok, err := e.limiter.CreateToken(c.principal.WorkspaceID, time.Duration(*body.WindowSizeSeconds)*time.Second, *body.RequestsPerWindow)
	if err != nil {
		return response{}, err
	}
	return ok(map[string]string{"token": tok})
}

// throttle applies the rate limits to a request whose caller is known. It
// answers 429 as Pipedream does: the Connect API's {"error":"Throttled"}
// with Retry-After and X-RateLimit-*, the token endpoint's load balancer an
// empty body. A request that is throttled is not counted. An
// x-pd-rate-limit header on a Connect API request that names no limit of
// the caller's workspace is a 400. The control plane is never limited.
func (e *Emulator) throttle(r *http.Request, ep Endpoint, c *call) (response, bool, error) {
	if ep.Auth == ControlPlane || strings.HasPrefix(r.URL.Path, controlPrefix) {
		return response{}, false, nil
	}
	custom := ""
	if strings.HasPrefix(r.URL.Path, "/v1/connect/") {
		custom = r.Header.Get("X-Pd-Rate-Limit")
	}
	if custom == "" && !e.limiter.Active() {
		return response{}, false, nil
	}
	if ep.identify != nil {
		ep.identify(r, c)
	}
	v, err := e.limiter.Check(ratelimit.Request{
		Route: c.x.route, Method: r.Method, Path: r.URL.Path, IP: clientIP(r),
		ClientID: c.callerClientID(), ExternalUserID: c.externalUserID(r), ProjectID: c.projectID,
		WorkspaceID: c.access().WorkspaceID, CustomToken: custom,
	}, e.clock.Now())
	if err != nil || v.Allowed {
		return response{}, false, err
	}
	c.x.errCode = "Throttled"
	if ep.Name == "oauthTokens.create" {
		return response{status: http.StatusTooManyRequests, header: map[string]string{"Server": "awselb/2.0"}}, true, nil
	}
	return response{status: http.StatusTooManyRequests, body: map[string]string{"error": "Throttled"}, header: map[string]string{
		"Retry-After":           strconv.FormatInt(int64(v.RetryAfter/time.Second), 10),
		"X-RateLimit-Limit":     strconv.Itoa(v.Limit),
		"X-RateLimit-Remaining": "0",
		"X-RateLimit-Reset":     strconv.FormatInt(v.Reset.Unix(), 10),
	}}, true, nil
}
