package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/faults"
	"github.com/pdemu/pdemu/emulator/internal/glob"
	"github.com/pdemu/pdemu/emulator/internal/journal"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
	"github.com/pdemu/pdemu/emulator/internal/ratelimit"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/statefile"
)

// The Go API: every exported method of *Emulator is in this file, so that
// in-process tests and programs drive the emulator without HTTP. Each does
// what its control-plane or API twin does, under the same lock, and
// returns *apperr.Error values with the same codes.

// The domain types of the Go API, re-exported so its users need one import.
type (
	// ClientSpec describes an OAuth client to create.
	ClientSpec = oauth.ClientSpec
	// Client is an OAuth client as it may be shown: never with its secret.
	Client = oauth.Client
	// ClientCredentials is a client id with its secret, shown once.
	ClientCredentials = oauth.Credentials
	// TokenRequest is a client credentials token request.
	TokenRequest = oauth.TokenRequest
	// Token is an issued access token.
	Token = oauth.Token
	// AppSpec describes an app to add to the catalog (see AddApp).
	AppSpec = connect.AppSpec
	// App is an app of the catalog.
	App = connect.App
	// ComponentSpec describes a component to register (see RegisterComponent).
	ComponentSpec = connect.ComponentSpec
	// Component is a component of the catalog.
	Component = connect.Component
	// WorkflowSpec is a workflow endpoint's registered answer.
	WorkflowSpec = connect.WorkflowSpec
	// WorkflowInvocation is one request a workflow endpoint received.
	WorkflowInvocation = connect.WorkflowInvocation
	// ProjectLogo is a project's logo.
	ProjectLogo = connect.ProjectLogo
)

// LimitStatus is one limit as it stands: its value and how many records it
// counts now.
type LimitStatus struct {
	LimitInfo
	Max   int
	Count int
}

// LimitStatus returns every limit with its value and current count, in
// LimitTable's order; expired records are dropped first, so the counts are
// of what is live.
func (e *Emulator) LimitStatus() []LimitStatus {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	counts, limits := e.connect.Counts(), e.connect.LimitValues()
	counts[oauth.LimitClients], limits[oauth.LimitClients] = e.auth.Count(), e.auth.MaxClients()
	table := LimitTable()
	out := make([]LimitStatus, len(table))
	for i, info := range table {
		out[i] = LimitStatus{LimitInfo: info, Max: limits[info.Name], Count: counts[info.Name]}
	}
	return out
}

// ServeHTTP serves the emulated API and the control plane.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.handler.ServeHTTP(w, r)
}

// Clock returns the emulator's clock, to read, set or advance.
func (e *Emulator) Clock() clock.Controllable { return e.clock }

// Seed returns the seed as applied, with every generated id and secret.
func (e *Emulator) Seed() Seed {
	// e.seed lacks nothing, so this only copies it and draws no id (a nil
	// generator would panic if it tried).
	return e.seed.materialize(nil)
}

// Credentials is what an SDK needs to talk to the emulator, as the
// PIPEDREAM_* environment variables carry it.
type Credentials struct {
	WorkspaceID  string
	ProjectID    string
	ClientID     string
	ClientSecret string
}

// Credentials returns the seed's first workspace, its first project and its
// first client. Fields are empty where the seed has none.
func (e *Emulator) Credentials() Credentials {
	var c Credentials
	if len(e.seed.Workspaces) == 0 {
		return c
	}
	w := e.seed.Workspaces[0]
	c.WorkspaceID = w.ID
	if len(w.Projects) > 0 {
		c.ProjectID = w.Projects[0].ID
	}
	if len(w.Clients) > 0 {
		c.ClientID, c.ClientSecret = w.Clients[0].ClientID, w.Clients[0].ClientSecret
	}
	return c
}

// Reset returns the emulator to its seeded state: clients, projects and
// users made since are gone, and every token issued so far stops working
// (the signing key is replaced, and the seeded clients are re-created
// under a new generation). The clock is left where it is. With WithIDSeed,
// the id generator is rewound too, so the new signing key is the one New
// made and the same requests draw the same ids as after New.
func (e *Emulator) Reset() error {
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	return e.reseed()
}

// Capabilities lists what the control plane can do, for the conformance kit
// and scripts that must tell an emulator from a real server.
func (e *Emulator) Capabilities() []string {
	caps := []string{"admin_clients", "clock", "reset", "external_users", "connect_accounts", "apps",
		"components", "trigger_events", "workflows", "file_stash", "proxy_allowed_hosts", "limits"}
	if e.auth.RevokesOnRotate() {
		caps = append(caps, "rotation_revokes_tokens")
	}
	if e.journal.Enabled() {
		caps = append(caps, "journal")
	}
	caps = append(caps, "faults", "rate_limits", "state", "console")
	return caps
}

// Endpoints returns the route table, for documentation and tests.
func (e *Emulator) Endpoints() []Endpoint { return e.endpoints() }

// CreateClient creates an OAuth client in a workspace (the first seeded one
// when spec.WorkspaceID is empty) and returns it with its secret, the only
// time the secret is available. Errors: *apperr.Error invalid_request,
// not_found (workspace or project), conflict (id taken).
func (e *Emulator) CreateClient(spec ClientSpec) (Client, ClientCredentials, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.newClient(spec)
}

// Clients lists every OAuth client, without secrets, oldest first.
func (e *Emulator) Clients() []Client {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.auth.List("")
}

// GetClient returns one OAuth client, without its secret.
func (e *Emulator) GetClient(id string) (Client, error) {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.auth.Get(id)
}

// RotateSecret gives a client a new secret and returns it; the old one
// fails at once. Errors: *apperr.Error not_found.
func (e *Emulator) RotateSecret(clientID string) (ClientCredentials, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	_, creds, err := e.auth.RotateSecret(clientID)
	return creds, err
}

// DeleteClient deletes a client; its tokens fail at once.
// Errors: *apperr.Error not_found.
func (e *Emulator) DeleteClient(clientID string) error {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.auth.Delete(clientID)
}

// IssueToken runs the client credentials grant without HTTP, exactly as
// POST /v1/oauth/token does. Errors: *apperr.Error with the RFC 6749 code.
func (e *Emulator) IssueToken(req TokenRequest) (Token, error) {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.auth.Issue(req)
}

// MintToken issues an access token to a client without its secret, as
// POST /_emulator/oauth-clients/{client_id}/tokens does: a token like
// IssueToken's in every way. scopes is space-separated; "" means the
// client's own scopes. Errors: *apperr.Error not_found (unknown client),
// invalid_scope (malformed, unknown, or beyond the client's scopes).
func (e *Emulator) MintToken(clientID, scopes string) (Token, error) {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.auth.Mint(clientID, scopes)
}

// RevokeToken revokes an access token or a Connect token (ctok_…) of any
// client, as if its own client had called POST /v1/oauth/revoke: from then
// on it is refused with 401 invalid_token. Unlike the endpoint, which
// answers 200 whatever the token, it reports a token with nothing to
// revoke (unknown, malformed, expired, used or already revoked) as
// *apperr.Error not_found, since a test that revokes nothing is most
// likely wrong; an empty token is invalid_request.
func (e *Emulator) RevokeToken(token string) error {
	defer e.keepGoAPIChange()
	if token == "" {
		return apperr.ErrInvalid.WithMessage("token is required")
	}
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	if !e.revokeAny(token) {
		return apperr.ErrNotFound.WithMessage("no live token to revoke")
	}
	return nil
}

// AddExternalUser makes an external user exist in a project and environment
// (DefaultEnvironment when empty), as Connect does when a token or account is
// made for one; it is idempotent.
func (e *Emulator) AddExternalUser(projectID, environment, externalID string) error {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	_, err := e.addExternalUser(projectID, environment, externalID)
	return err
}

// CreateConnectToken makes a Connect token for an external user of a
// project, as POST /v1/connect/{project_id}/tokens does for a token with
// full access: scopes is space-separated ("" means connect:*). environment
// "" means production. It returns the ctok_… string.
func (e *Emulator) CreateConnectToken(projectID, environment, externalUserID, scopes string) (string, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	sc, err := e.controlScope(projectID, environment)
	if err != nil {
		return "", err
	}
	t, err := e.connect.CreateToken(sc.Access, projectID, sc.Environment, scope.Set{scope.All},
		connect.TokenSpec{ExternalUserID: externalUserID, Scope: &scopes})
	return t.Token, err
}

// ConnectAccount connects an account for an external user of a project
// (created if new) without the browser flow, as
// POST /_emulator/projects/{project_id}/accounts does. environment ""
// means production; app is an app id or name slug; nil credentials are
// made up (OAuth tokens, or every required custom field of a keys app).
// It returns the account's id (apn_…). Errors: *apperr.Error
// invalid_request, not_found.
func (e *Emulator) ConnectAccount(projectID, environment, externalUserID, app string, credentials map[string]any) (string, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	acc, err := e.connectAccountSpec(projectID, environment, connect.AccountSpec{
		ExternalUserID: externalUserID, App: app, Credentials: credentials,
	})
	return acc.ID, err
}

// AddApp adds an app to the catalog every workspace shares, as
// POST /_emulator/apps does; Reset removes it again. Errors: *apperr.Error
// invalid_request, conflict (name slug or id taken).
func (e *Emulator) AddApp(spec AppSpec) (App, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.connect.AddApp(spec)
}

// RegisterComponent adds a component to the catalog (shared by every
// workspace; Reset restores the built-in one), or replaces the one with the
// same key and version, as POST /_emulator/components does. spec.Run sets
// what actions.run returns; spec.ConfigureOptions what configureProp
// returns. Values are copied through JSON, so the caller may reuse spec.
// Errors: *apperr.Error invalid_request, conflict.
func (e *Emulator) RegisterComponent(spec ComponentSpec) (Component, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	// A JSON round trip detaches the spec from the caller's maps and gives
	// its values the types decoded requests have (float64, map[string]any).
	b, err := json.Marshal(spec)
	if err != nil {
		return Component{}, apperr.ErrInvalid.WithMessage("component spec cannot be encoded as JSON: %v", err)
	}
	var copied ComponentSpec
	if err := json.Unmarshal(b, &copied); err != nil {
		return Component{}, apperr.ErrInvalid.WithMessage("component spec cannot be decoded from JSON: %v", err)
	}
	return e.connect.RegisterComponent(copied)
}

// PutFile puts a file in a project environment's File Stash
// (DefaultEnvironment when environment is empty), as PUT
// /_emulator/projects/{project_id}/files does; GET …/file_stash/download
// serves it for connect.FileStashTTL, always as application/octet-stream
// (contentType, "" meaning application/octet-stream, is kept in the file's
// record, not sent on download). Errors: *apperr.Error invalid_request (key:
// 1day/<a>/<b>/<c>/u/<path>, at most 1024 bytes; environment; type),
// not_found (project).
func (e *Emulator) PutFile(projectID, environment, s3Key string, content []byte, contentType string) error {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	_, err := e.putStashFile(projectID, environment, s3Key, content, contentType)
	return err
}

// ProjectLogo returns the logo last uploaded for a project with
// POST /v1/connect/projects/{project_id}/logo; found is false when it has
// none. Errors: *apperr.Error not_found for an unknown project.
func (e *Emulator) ProjectLogo(projectID string) (logo ProjectLogo, found bool, err error) {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	a, err := e.projectAccess(projectID)
	if err != nil {
		return ProjectLogo{}, false, err
	}
	return e.connect.ProjectLogo(a, projectID)
}

// SetProxyAllowedHosts replaces the hosts the Connect proxy may reach, as
// PUT /_emulator/proxy/allowed-hosts does, until the next Reset. A rule is
// a host name ("api.example.com"), a wildcard ("*.example.com"; "*" for
// every name), an IP address or a CIDR range ("10.0.0.0/8"); names reach
// only public addresses unless a CIDR rule covers the private ones, and
// loopback only through a rule naming localhost ("*" does not). The
// default is connect.DefaultProxyHosts() (loopback only). It returns the
// rules as stored. Errors: *apperr.Error invalid_request.
func (e *Emulator) SetProxyAllowedHosts(hosts ...string) ([]string, error) {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	p, err := e.connect.SetProxyAllowedHosts(hosts)
	if err != nil {
		return nil, err
	}
	return p.Hosts(), nil
}

// ProxyAllowedHosts returns the hosts the Connect proxy may reach now.
func (e *Emulator) ProxyAllowedHosts() []string {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.connect.ProxyPolicy().Hosts()
}

// EmitEvent makes a deployed trigger (dc_…) emit an event, as POST
// /_emulator/deployed-triggers/{trigger_id}/events does: listEvents then
// returns it, and it counts as a source emit in usage. event is any value
// encoding/json can encode, except nil. Errors: *apperr.Error
// invalid_request, not_found (trigger), conflict (trigger inactive).
func (e *Emulator) EmitEvent(triggerID string, event any) error {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	b, err := json.Marshal(event)
	if err != nil {
		return apperr.ErrInvalid.WithMessage("event cannot be encoded as JSON: %v", err)
	}
	var payload any
	if err := json.Unmarshal(b, &payload); err != nil {
		return apperr.ErrInvalid.WithMessage("event cannot be decoded from JSON: %v", err)
	}
	_, err = e.connect.EmitEvent(triggerID, connect.EmitSpec{Event: payload})
	return err
}

// RegisterWorkflow sets what a workflow endpoint answers and how it checks
// callers, as POST /_emulator/workflows does. Errors: *apperr.Error
// invalid_request.
func (e *Emulator) RegisterWorkflow(spec WorkflowSpec) error {
	defer e.keepGoAPIChange()
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	_, err := e.connect.RegisterWorkflow(spec)
	return err
}

// WorkflowInvocations returns what a workflow endpoint received, oldest
// first. Errors: *apperr.Error invalid_request (endpoint id).
func (e *Emulator) WorkflowInvocations(endpointID string) ([]WorkflowInvocation, error) {
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	return e.connect.WorkflowInvocations(endpointID)
}

// RequestFilter selects entries of the request journal (see Requests).
// Zero fields select everything.
type RequestFilter struct {
	// Method is an HTTP method, compared without case.
	Method string
	// Route is a route name of the endpoint table ("projects.list"), or a
	// glob over them ("accounts.*", "tokens.create|users.*"). "" is any.
	Route string
	// PathPrefix selects paths that start with it.
	PathPrefix string
	// Status selects one status; StatusClass a class (4 for every 4xx).
	Status      int
	StatusClass int
	// ClientID and ExternalUserID select the caller.
	ClientID       string
	ExternalUserID string
	// Since selects entries at or after an instant of the emulator clock.
	Since time.Time
	// FaultsOnly selects the requests a fault plan answered.
	FaultsOnly bool
	// Unmatched selects the requests no route matched (a 404 or 405, with
	// NearMisses naming what they may have meant).
	Unmatched bool
}

func (f RequestFilter) compile() (journal.Filter, error) {
	route, err := glob.Compile(f.Route)
	if err != nil {
		return journal.Filter{}, apperr.ErrInvalid.WithMessage("route: %v", err)
	}
	return journal.Filter{
		Method: f.Method, Route: route, PathPrefix: f.PathPrefix, Status: f.Status, StatusClass: f.StatusClass,
		ClientID: f.ClientID, ExternalUserID: f.ExternalUserID, Since: f.Since, FaultsOnly: f.FaultsOnly,
		UnmatchedOnly: f.Unmatched,
	}, nil
}

// RecordedRequest is one entry of the request journal, with every secret
// replaced by a marker (see Fingerprint).
type RecordedRequest struct {
	ID     string
	At     time.Time // the emulator clock when the request arrived
	Method string
	Path   string
	Query  string
	// Route is the endpoint table's name for the route that served the
	// request, "" when none matched (NearMisses then names the closest).
	Route      string
	Status     int
	Error      string // the error code of an error answer
	Duration   time.Duration
	ClientID   string
	TokenKind  string // "oauth", "connect" or "none"
	NearMisses []string
	// ExternalUserID is the external user the request acted for, when it
	// named one.
	ExternalUserID string
	// FaultID is the fault plan that answered, if one did.
	FaultID  string
	Request  RecordedMessage
	Response RecordedMessage
}

// RecordedMessage is one side of a recorded exchange.
type RecordedMessage struct {
	Header http.Header
	// Body is the body as it may be shown: JSON re-encoded with its secrets
	// replaced ("json"), text ("text"), or the raw bytes of a binary body
	// ("base64" on the wire); BodyEncoding says which, "" when there is
	// none. A body longer than the journal keeps is cut (Truncated);
	// BodySize is its whole length.
	Body         []byte
	BodyEncoding string
	BodySize     int64
	Truncated    bool
}

// JournalStats describes the request journal.
type JournalStats struct {
	Size     int    // entries kept at most (0: the journal is off)
	Len      int    // entries kept now
	Recorded uint64 // entries ever recorded
	Dropped  uint64 // entries dropped, oldest first, to make room
}

// Requests returns the journal's entries that f selects, newest first.
// Errors: invalid_request for a malformed route glob.
func (e *Emulator) Requests(f RequestFilter) ([]RecordedRequest, error) {
	jf, err := f.compile()
	if err != nil {
		return nil, err
	}
	entries := e.journal.All(jf)
	out := make([]RecordedRequest, len(entries))
	for i := range entries {
		out[i] = e.recorded(&entries[i])
	}
	return out, nil
}

// CountRequests returns how many journal entries f selects.
func (e *Emulator) CountRequests(f RequestFilter) (int, error) {
	jf, err := f.compile()
	if err != nil {
		return 0, err
	}
	return e.journal.Count(jf), nil
}

// ClearRequests empties the request journal. Ids are not reused.
func (e *Emulator) ClearRequests() { e.journal.Clear() }

// JournalStats returns the request journal's size and counters.
func (e *Emulator) JournalStats() JournalStats {
	st := e.journal.Stats()
	return JournalStats{Size: e.journal.Size(), Len: st.Len, Recorded: st.Recorded, Dropped: st.Dropped}
}

// Fingerprint returns the marker that stands for secret wherever the
// journal or the request log would show it, such as "[redacted:1a2b3c4d]":
// a test can check which credential a request carried without the journal
// holding it. Markers are keyed per emulator: they differ between runs,
// unless WithIDSeed fixes the key.
func (e *Emulator) Fingerprint(secret string) string { return e.redact.Mark(secret) }

// Fault plans: the failures a test asks for (see AddFault).
type (
	// FaultSpec describes a fault: which requests it matches, what it
	// answers, how often.
	FaultSpec = faults.Spec
	// FaultMatch selects the requests a fault applies to.
	FaultMatch = faults.Match
	// FaultAction is what a fault answers: a response, a preset, a delay,
	// or a dropped connection.
	FaultAction = faults.Action
	// Fault is a fault of the plan with its counters.
	Fault = faults.Fault
)

// The presets a FaultAction may name.
const (
	// FaultThrottled is the Connect API's 429 {"error":"Throttled"} with
	// Retry-After and X-RateLimit-* headers.
	FaultThrottled = faults.PresetThrottled
	// FaultTokenThrottled is the token endpoint's 429 with an empty body.
	FaultTokenThrottled = faults.PresetTokenThrottled
	// FaultUnavailable is 503 {"error":"Service Unavailable"}.
	FaultUnavailable = faults.PresetUnavailable
	// FaultInternalError is 500 {"error":"Internal Server Error"}.
	FaultInternalError = faults.PresetInternalError
	// FaultGatewayTimeout is 504 {"error":"Gateway Timeout"}.
	FaultGatewayTimeout = faults.PresetGatewayTimeout
)

// AddFault adds a fault to the plan and returns it with its id. Faults are
// tried in the order they were added; the first that fires answers the
// request. They never apply to the control plane. Errors: invalid_request
// naming the field at fault; limit_exceeded past faults.MaxFaults.
func (e *Emulator) AddFault(spec FaultSpec) (Fault, error) {
	defer e.keepGoAPIChange()
	return e.faults.Add(spec, e.clock.Now())
}

// Faults lists the plan's faults, oldest first, with their hits and what
// remains of them (exhausted ones too, until deleted).
func (e *Emulator) Faults() []Fault { return e.faults.List() }

// Fault returns one fault. Errors: not_found.
func (e *Emulator) Fault(id string) (Fault, error) { return e.faults.Get(id) }

// DeleteFault removes a fault. Errors: not_found.
func (e *Emulator) DeleteFault(id string) error {
	defer e.keepGoAPIChange()
	return e.faults.Delete(id)
}

// ClearFaults removes every fault. Reset does too.
func (e *Emulator) ClearFaults() {
	defer e.keepGoAPIChange()
	e.faults.Clear()
}

// Rate limits (see WithRateLimits and SetRateLimits).
type (
	// RateLimitRule limits the requests it matches to Limit per Window,
	// counted per key (ip, client, external_user or project).
	RateLimitRule = ratelimit.Rule
	// RateLimitConfig is a set of rules, or a named profile.
	RateLimitConfig = ratelimit.Config
	// RateLimitCounter is one live counter: a rule, a key, its count.
	RateLimitCounter = ratelimit.Counter
)

// RateLimitStatus is the rate limits in force and their live counters.
type RateLimitStatus struct {
	RateLimitConfig
	Counters []RateLimitCounter
	Stats    ratelimit.Stats
}

// RateLimitProfile returns the rules of a named profile: "pipedream" (the
// limits Pipedream publishes) or "off" (none).
func RateLimitProfile(name string) ([]RateLimitRule, error) { return ratelimit.Profile(name) }

// SetRateLimits replaces the rate limits and clears their counters; Reset
// restores those the emulator started with. Errors: invalid_request naming
// the rule and field at fault, the configuration unchanged.
func (e *Emulator) SetRateLimits(cfg RateLimitConfig) error {
	defer e.keepGoAPIChange()
	return e.limiter.Set(cfg)
}

// RateLimits returns the rate limits in force with their live counters (on
// the emulator clock: a window that has ended shows no counter).
func (e *Emulator) RateLimits() RateLimitStatus {
	return RateLimitStatus{RateLimitConfig: e.limiter.Config(), Counters: e.limiter.Counters(e.clock.Now()), Stats: e.limiter.Stats()}
}

// ParseRateLimits reads a rate-limit configuration as PUT
// /_emulator/rate-limits takes it: {"profile": "pipedream"} or {"rules":
// [{"route", "path", "method", "key", "limit", "window_seconds"}]}, or just
// a profile's name ("pipedream", "off"). Errors name the rule and field at
// fault.
func ParseRateLimits(s string) (RateLimitConfig, error) {
	switch strings.TrimSpace(s) {
	case ratelimit.ProfilePipedream, ratelimit.ProfileOff:
		return RateLimitConfig{Profile: strings.TrimSpace(s)}, nil
	}
	var body rateLimitsBody
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return RateLimitConfig{}, apperr.ErrInvalid.WithMessage("rate limits are a profile name (pipedream, off) or JSON such as {\"rules\": [...]}: %v", err)
	}
	cfg, err := body.config()
	if err != nil {
		return RateLimitConfig{}, err
	}
	return cfg, ratelimit.New().Set(cfg)
}

// ExportState returns the whole state as one versioned JSON document
// (StateFormat): workspaces, projects, OAuth clients (secret hashes, never
// secrets), external users, accounts, the catalogs' additions, deployed
// triggers, workflows, files, Connect tokens, revocations, faults, rate
// limits, the clock and the signing key. The document is a secret: with
// it, anyone can sign tokens this emulator accepts.
func (e *Emulator) ExportState() ([]byte, error) {
	e.resetMu.Lock() // every part at one instant
	doc := e.exportLocked()
	e.resetMu.Unlock()
	return json.Marshal(doc)
}

// ExportStateTo writes the state document to path atomically (a temporary
// file beside it, synced, then renamed over it), readable by its owner
// only, since it holds the signing key.
func (e *Emulator) ExportStateTo(path string) error {
	doc, err := e.ExportState()
	if err != nil {
		return err
	}
	return statefile.WriteFileAtomic(path, append(doc, '\n'))
}

// ImportState replaces the whole state with a document ExportState (or GET
// /_emulator/state) made. It is validated whole first: an invalid
// document changes nothing and its error names the JSON path of the first
// bad value. Reset still returns to the seed, not to the import.
func (e *Emulator) ImportState(document []byte) error {
	doc, err := decodeDoc(document)
	if err != nil {
		return err
	}
	if err := e.validateDoc(doc); err != nil {
		return err
	}
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	if err := e.importLocked(doc); err != nil {
		return err
	}
	e.reseedFrom(document)
	return nil
}

// Snapshot keeps the whole state in memory under name (1..200
// characters), to Restore later: cheap enough to take before every test
// case. Errors: conflict for a name in use, limit_exceeded past
// MaxSnapshots.
func (e *Emulator) Snapshot(name string) (SnapshotInfo, error) {
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	return e.snapshotLocked(name)
}

// Restore returns the whole state to a snapshot, which stays for another
// Restore. The journal is not part of the state and is left as it is.
// Errors: not_found.
func (e *Emulator) Restore(name string) error {
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	_, err := e.restoreLocked(name)
	return err
}

// DeleteSnapshot forgets a snapshot. Errors: not_found.
func (e *Emulator) DeleteSnapshot(name string) error {
	e.snaps.mu.Lock()
	defer e.snaps.mu.Unlock()
	if _, ok := e.snaps.byID[name]; !ok {
		return apperr.ErrNotFound.WithMessage("no snapshot %q", name)
	}
	delete(e.snaps.byID, name)
	return nil
}

// Snapshots lists the snapshots, oldest first.
func (e *Emulator) Snapshots() []SnapshotInfo { return e.sortedSnapshots() }
