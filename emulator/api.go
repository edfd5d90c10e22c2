package emulator

import (
	"encoding/json"
	"net/http"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
	"github.com/pdemu/pdemu/emulator/internal/scope"
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
func (e *Emulator) Seed() Seed { return e.seed.materialize() }

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
// (the signing key is replaced). The clock is left where it is.
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
	return caps
}

// Endpoints returns the route table, for documentation and tests.
func (e *Emulator) Endpoints() []Endpoint { return e.endpoints() }

// CreateClient creates an OAuth client in a workspace (the first seeded one
// when spec.WorkspaceID is empty) and returns it with its secret, the only
// time the secret is available. Errors: *apperr.Error invalid_request,
// not_found (workspace or project), conflict (id taken).
func (e *Emulator) CreateClient(spec ClientSpec) (Client, ClientCredentials, error) {
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
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	_, creds, err := e.auth.RotateSecret(clientID)
	return creds, err
}

// DeleteClient deletes a client; its tokens fail at once.
// Errors: *apperr.Error not_found.
func (e *Emulator) DeleteClient(clientID string) error {
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

// RevokeToken revokes an access token or a Connect token (ctok_…) of any
// client, as if its own client had called POST /v1/oauth/revoke: from then
// on it is refused with 401 invalid_token. Unlike the endpoint, which
// answers 200 whatever the token, it reports a token with nothing to
// revoke (unknown, malformed, expired, used or already revoked) as
// *apperr.Error not_found, since a test that revokes nothing is most
// likely wrong; an empty token is invalid_request.
func (e *Emulator) RevokeToken(token string) error {
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
// ("production" when empty), as Connect does when a token or account is
// made for one; it is idempotent.
func (e *Emulator) AddExternalUser(projectID, environment, externalID string) error {
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
	e.resetMu.RLock()
	defer e.resetMu.RUnlock()
	env, err := connect.ParseEnvironment(environment)
	if err != nil {
		return "", err
	}
	ws, ok := e.connect.ProjectWorkspace(projectID)
	if !ok {
		return "", apperr.ErrNotFound.WithMessage("no project %q", projectID)
	}
	t, err := e.connect.CreateToken(connect.Access{WorkspaceID: ws}, projectID, env, scope.Set{scope.All},
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
// ("production" when environment is empty), as PUT
// /_emulator/projects/{project_id}/files does; GET …/file_stash/download
// serves it for connect.FileStashTTL. contentType "" means
// application/octet-stream. Errors: *apperr.Error invalid_request (key:
// 1day/<a>/<b>/<c>/u/<path>, at most 1024 bytes; environment; type),
// not_found (project).
func (e *Emulator) PutFile(projectID, environment, s3Key string, content []byte, contentType string) error {
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
	ws, ok := e.connect.ProjectWorkspace(projectID)
	if !ok {
		return ProjectLogo{}, false, apperr.ErrNotFound.WithMessage("no project %q", projectID)
	}
	return e.connect.ProjectLogo(connect.Access{WorkspaceID: ws}, projectID)
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
