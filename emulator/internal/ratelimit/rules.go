package ratelimit

import (
	"strconv"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/glob"
)

// Key names what a rule counts requests by: each distinct value of the key
// has its own counter.
type Key string

// The keys a rule may count by.
const (
	// KeyIP counts per client address, as Pipedream throttles its token
	// endpoint.
	KeyIP Key = "ip"
	// KeyClient counts per OAuth client id.
	KeyClient Key = "client"
	// KeyExternalUser counts per external user of a project: external user
	// ids are the caller's own and only unique within a project, so the
	// same id in two projects is two users.
	KeyExternalUser Key = "external_user"
	// KeyProject counts per project, as most of Pipedream's limits do.
	KeyProject Key = "project"
)

// Rule limits the requests it matches to Limit per Window, counted per
// key value. A request matches when its route name matches Route, its URL
// path matches Path and its method matches Method; an empty pattern
// matches everything, but a rule needs at least one of Route and Path so
// that it cannot throttle every request by accident.
type Rule struct {
	// Name is shown in GET /_emulator/rate-limits and in 429 details; empty
	// becomes "rule-N", N counting from 1. Names are unique in a Config,
	// and "custom" is reserved for custom tokens.
	Name string
	// Route is a glob over route names ("accounts.*").
	Route string
	// Path is a glob over the URL path ("/v1/connect/*/accounts/**").
	Path string
	// Method is a case-insensitive glob over the method ("GET|DELETE");
	// empty matches any.
	Method string
	// Key is what the rule counts by.
	Key Key
	// Limit is how many requests a key value may make per window,
	// 1..MaxLimit.
	Limit int
	// Window is the length of the fixed, epoch-aligned window: whole
	// seconds from MinWindow to MaxWindow.
	Window time.Duration
}

// Request is what a rule sees of a request. Empty fields are unknown: a
// rule keyed by a field that is empty does not apply.
type Request struct {
	// Route is the route's name in the emulator's route table
	// ("accounts.list").
	Route string
	// Method is the HTTP method, in any case.
	Method string
	// Path is the URL path, without the query.
	Path string
	// IP is the client's address.
	IP string
	// ClientID is the OAuth client the bearer token was issued to.
	ClientID string
	// ExternalUserID is the external user the request acts for.
	ExternalUserID string
	// ProjectID is the project the request acts on.
	ProjectID string
	// WorkspaceID is the workspace of the caller, which a custom token must
	// belong to.
	WorkspaceID string
	// CustomToken is the x-pd-rate-limit header, "" when absent.
	CustomToken string
}

// Config is the rule set of a Limiter.
type Config struct {
	// Profile is "off" (no rules), "pipedream" (Pipedream's published
	// limits; see Profile) or "custom" (the rules given). Set also takes
	// "" for "custom", and reports "off" for custom with no rules.
	Profile string
	// Rules are the rules, in order; the first that throttles names the 429.
	Rules []Rule
}

// Bounds on rules and custom tokens.
const (
	// MaxRules bounds a Config, so a request's matching cost stays small.
	MaxRules = 100
	// MaxLimit bounds Rule.Limit and a custom token's requests per window.
	MaxLimit = 1_000_000
	// MinWindow and MaxWindow bound Rule.Window and a custom token's
	// window.
	MinWindow = time.Second
	MaxWindow = 24 * time.Hour
	// maxNameLen bounds a rule name, which travels in every 429 it causes.
	maxNameLen = 100
)

// The profiles Set and Profile accept.
const (
	// ProfileOff is no rules: nothing is throttled but custom tokens.
	ProfileOff = "off"
	// ProfilePipedream is the limits Pipedream publishes; see Profile.
	ProfilePipedream = "pipedream"
	// ProfileCustom is what Config reports when Set was given rules.
	ProfileCustom = "custom"
)

// CustomRule is the rule name a Verdict or Counter carries when a custom
// rate-limit token (x-pd-rate-limit) is what it counts.
const CustomRule = "custom"

// components matches every component endpoint: Pipedream's page says
// "Component endpoints include /components, /actions and /triggers".
const components = "components.*|actions.*|triggers.*"

// Profile returns the rules of a named profile, a fresh slice the caller
// may change. "pipedream" is Pipedream's published limits (newest copy of
// https://pipedream.com/docs/connect/api-reference/rate-limits):
//
//   - connect-tokens: POST /tokens, 100 per minute per external user;
//   - accounts: GET|DELETE of every accounts route, 2,000 per 5 minutes
//     per project (Pipedream's earlier docs counted "/accounts,
//     /apps/:app_id/accounts, /accounts/:account_id, and more", so
//     accounts.deleteByApp and accounts.listByExternalUser count too;
//     POST, accounts.create, does not);
//   - list-tools: GET of components, actions and triggers, 3,000 per 5
//     minutes per project;
//   - tool-execution: POST of components, actions and triggers (run,
//     configure, reload props, deploy: "all POST operations share" it),
//     2,000 per 5 minutes per project;
//   - proxy: GET|POST through the proxy, 1,000 per 5 minutes per project.
//
// The OAuth token endpoint is throttled per IP by Pipedream, but with
// numbers it does not publish, so the profile leaves it out. "off" is no
// rules (nil). Errors: apperr invalid_request for any other name.
func Profile(name string) ([]Rule, error) {
	switch name {
	case ProfileOff:
		return nil, nil
	case ProfilePipedream:
		return []Rule{
			{Name: "connect-tokens", Route: "tokens.create", Method: "POST", Key: KeyExternalUser, Limit: 100, Window: time.Minute},
			{Name: "accounts", Route: "accounts.*", Method: "GET|DELETE", Key: KeyProject, Limit: 2_000, Window: 5 * time.Minute},
			{Name: "list-tools", Route: components, Method: "GET", Key: KeyProject, Limit: 3_000, Window: 5 * time.Minute},
			{Name: "tool-execution", Route: components, Method: "POST", Key: KeyProject, Limit: 2_000, Window: 5 * time.Minute},
			{Name: "proxy", Route: "proxy.*", Method: "GET|POST", Key: KeyProject, Limit: 1_000, Window: 5 * time.Minute},
		}, nil
	}
	return nil, apperr.ErrInvalid.WithMessage("profile must be %q or %q, not %q", ProfileOff, ProfilePipedream, name)
}

// compiled is a validated rule with its patterns ready to match.
type compiled struct {
	Rule
	route, path, method glob.Pattern
}

// matches reports whether the rule applies to req, leaving the key aside.
// The route is tested first: it is the shortest string and the one most
// rules name.
func (c *compiled) matches(req *Request) bool {
	return c.route.Match(req.Route) && c.path.Match(req.Path) && c.method.MatchFold(req.Method)
}

// keyOf returns the value req has for the rule's key, and for an external
// user the project that scopes it; an empty value means the rule does not
// apply to req.
func keyOf(k Key, req *Request) (scope, value string) {
	switch k {
	case KeyIP:
		return "", req.IP
	case KeyClient:
		return "", req.ClientID
	case KeyExternalUser:
		return req.ProjectID, req.ExternalUserID
	case KeyProject:
		return "", req.ProjectID
	}
	return "", ""
}

// resolve turns a Config into the profile name to report and the compiled
// rules, validating everything before anything changes.
func resolve(cfg Config) (string, []compiled, error) {
	rules := cfg.Rules
	switch cfg.Profile {
	case ProfilePipedream:
		if len(rules) > 0 {
			return "", nil, apperr.ErrInvalid.WithMessage("profile %q takes no rules; send the rules with profile %q instead", ProfilePipedream, ProfileCustom)
		}
		rules, _ = Profile(ProfilePipedream)
	case ProfileOff:
		if len(rules) > 0 {
			return "", nil, apperr.ErrInvalid.WithMessage("profile %q takes no rules", ProfileOff)
		}
	case "", ProfileCustom:
	default:
		return "", nil, apperr.ErrInvalid.WithMessage("profile must be %q, %q or %q, not %q", ProfileOff, ProfilePipedream, ProfileCustom, cfg.Profile)
	}
	if len(rules) > MaxRules {
		return "", nil, apperr.ErrInvalid.WithMessage("rules: at most %d rules, not %d", MaxRules, len(rules))
	}
	out := make([]compiled, len(rules))
	seen := make(map[string]int, len(rules))
	for i, r := range rules {
		c, err := compile(i, r)
		if err != nil {
			return "", nil, err
		}
		if j, dup := seen[c.Name]; dup {
			return "", nil, apperr.ErrInvalid.WithMessage("rules[%d].name %q is already the name of rules[%d]", i, c.Name, j)
		}
		seen[c.Name] = i
		out[i] = c
	}
	profile := cfg.Profile
	if profile == "" || profile == ProfileCustom {
		profile = ProfileCustom
		if len(out) == 0 {
			profile = ProfileOff
		}
	}
	return profile, out, nil
}

// compile validates rules[i]; its errors name the rule by index and field,
// as the control plane's JSON body spells them.
func compile(i int, r Rule) (compiled, error) {
	bad := func(field, format string, args ...any) error {
		return apperr.ErrInvalid.WithMessage("rules[%d].%s "+format, append([]any{i, field}, args...)...)
	}
	if r.Name == "" {
		r.Name = "rule-" + strconv.Itoa(i+1)
	}
	if len(r.Name) > maxNameLen {
		return compiled{}, bad("name", "is longer than %d bytes", maxNameLen)
	}
	for j := 0; j < len(r.Name); j++ {
		if r.Name[j] < ' ' || r.Name[j] == 0x7f {
			return compiled{}, bad("name", "must not contain control characters")
		}
	}
	if r.Name == CustomRule {
		return compiled{}, bad("name", "%q is reserved for custom rate-limit tokens", CustomRule)
	}
	if r.Route == "" && r.Path == "" {
		return compiled{}, apperr.ErrInvalid.WithMessage("rules[%d] needs a route or a path pattern", i)
	}
	c := compiled{Rule: r}
	var err error
	if c.route, err = glob.Compile(r.Route); err != nil {
		return compiled{}, bad("route", "%v", err)
	}
	if c.path, err = glob.Compile(r.Path); err != nil {
		return compiled{}, bad("path", "%v", err)
	}
	if c.method, err = glob.Compile(r.Method); err != nil {
		return compiled{}, bad("method", "%v", err)
	}
	switch r.Key {
	case KeyIP, KeyClient, KeyExternalUser, KeyProject:
	default:
		return compiled{}, bad("key", "must be %q, %q, %q or %q, not %q", KeyIP, KeyClient, KeyExternalUser, KeyProject, r.Key)
	}
	if r.Limit < 1 || r.Limit > MaxLimit {
		return compiled{}, bad("limit", "must be 1..%d", MaxLimit)
	}
	if !validWindow(r.Window) {
		return compiled{}, bad("window", "must be whole seconds from 1s to 24h, not %v", r.Window)
	}
	return c, nil
}

// validWindow is the one rule for windows of rules and custom tokens:
// whole seconds, since windows are aligned on Unix seconds.
func validWindow(w time.Duration) bool {
	return w >= MinWindow && w <= MaxWindow && w%time.Second == 0
}
