package emulator

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/pdemu/pdemu/emulator/scope"
)

// Auth says what an endpoint requires of a caller.
type Auth string

// The ways an endpoint is protected.
const (
	// Public endpoints need no credentials (the token endpoint, JWKS).
	Public Auth = "public"
	// OAuthToken endpoints need a bearer access token carrying one of the
	// endpoint's scopes (RFC 6750).
	OAuthToken Auth = "oauth"
	// ControlPlane endpoints drive the emulator; a real server has none.
	ControlPlane Auth = "control"
)

// Endpoint is one row of the route table: a route, who may call it, and the
// scope it demands. The table is data so that the README's scope table,
// the scope-enforcement tests and the router all come from the same rows.
type Endpoint struct {
	// Name is the official SDK's method name, or a descriptive one.
	Name   string
	Method string
	// Path is a gorilla/mux template.
	Path string
	Auth Auth
	// Scopes lists the scopes any one of which grants access (OAuthToken
	// endpoints only).
	Scopes []string
	// ProjectScoped endpoints live under /v1/connect/{project_id}/ and read
	// x-pd-environment.
	ProjectScoped bool

	handle handlerFunc
	// exclusive handlers run with the emulator locked for writing (reset).
	exclusive bool
}

// endpoints is the route table: every path the emulator serves.
func (e *Emulator) endpoints() []Endpoint {
	return []Endpoint{
		// OAuth (RFC 6749) and token verification.
		{Name: "oauthTokens.create", Method: http.MethodPost, Path: "/v1/oauth/token", Auth: Public, handle: e.issueToken},
		{Name: "jwks", Method: http.MethodGet, Path: "/.well-known/jwks.json", Auth: Public, handle: e.jwks},

		// Connect API: projects (OAuth only).
		{Name: "projects.list", Method: http.MethodGet, Path: "/v1/connect/projects", Auth: OAuthToken, Scopes: []string{scope.ConnectProjectsRead}, handle: e.listProjects},
		{Name: "projects.create", Method: http.MethodPost, Path: "/v1/connect/projects", Auth: OAuthToken, Scopes: []string{scope.ConnectProjectsWrite}, handle: e.createProject},
		{Name: "projects.retrieve", Method: http.MethodGet, Path: "/v1/connect/projects/{project_id}", Auth: OAuthToken, Scopes: []string{scope.ConnectProjectsRead}, handle: e.getProject},
		{Name: "projects.update", Method: http.MethodPatch, Path: "/v1/connect/projects/{project_id}", Auth: OAuthToken, Scopes: []string{scope.ConnectProjectsWrite}, handle: e.updateProject},
		{Name: "projects.delete", Method: http.MethodDelete, Path: "/v1/connect/projects/{project_id}", Auth: OAuthToken, Scopes: []string{scope.ConnectProjectsWrite}, handle: e.deleteProject},

		// Connect API: external users.
		{Name: "users.list", Method: http.MethodGet, Path: "/v1/connect/{project_id}/users", Auth: OAuthToken, Scopes: []string{scope.ConnectUsersRead}, ProjectScoped: true, handle: e.listUsers},

		// Control plane (emulator only).
		{Name: "health", Method: http.MethodGet, Path: "/_emulator/health", Auth: ControlPlane, handle: e.health},
		{Name: "capabilities", Method: http.MethodGet, Path: "/_emulator/capabilities", Auth: ControlPlane, handle: e.capabilities},
		{Name: "oauthClients.create", Method: http.MethodPost, Path: "/_emulator/oauth-clients", Auth: ControlPlane, handle: e.createClient},
		{Name: "oauthClients.list", Method: http.MethodGet, Path: "/_emulator/oauth-clients", Auth: ControlPlane, handle: e.listClients},
		{Name: "oauthClients.retrieve", Method: http.MethodGet, Path: "/_emulator/oauth-clients/{client_id}", Auth: ControlPlane, handle: e.getClient},
		{Name: "oauthClients.rotateSecret", Method: http.MethodPost, Path: "/_emulator/oauth-clients/{client_id}/rotate-secret", Auth: ControlPlane, handle: e.rotateSecret},
		{Name: "oauthClients.delete", Method: http.MethodDelete, Path: "/_emulator/oauth-clients/{client_id}", Auth: ControlPlane, handle: e.deleteClient},
		{Name: "clock.get", Method: http.MethodGet, Path: "/_emulator/clock", Auth: ControlPlane, handle: e.getClock},
		{Name: "clock.set", Method: http.MethodPut, Path: "/_emulator/clock", Auth: ControlPlane, handle: e.setClock},
		{Name: "clock.advance", Method: http.MethodPost, Path: "/_emulator/clock/advance", Auth: ControlPlane, handle: e.advanceClock},
		{Name: "reset", Method: http.MethodPost, Path: "/_emulator/reset", Auth: ControlPlane, handle: e.reset, exclusive: true},
		{Name: "users.create", Method: http.MethodPost, Path: "/_emulator/projects/{project_id}/users", Auth: ControlPlane, handle: e.addUser},
	}
}

// Endpoints returns the route table, for documentation and tests.
func (e *Emulator) Endpoints() []Endpoint { return e.endpoints() }

// routes builds the router from the table.
func (e *Emulator) routes() http.Handler {
	r := mux.NewRouter()
	// Keep paths as sent: the SDK's Connect-token proxy calls use a double
	// slash that the real API serves, and mux would redirect it.
	r.SkipClean(true)
	for _, ep := range e.endpoints() {
		r.Path(ep.Path).Methods(ep.Method).Handler(e.wrap(ep))
	}
	// mux leaves these nil and does not run middleware on them; both must
	// still answer JSON.
	r.NotFoundHandler = e.wrap(Endpoint{Name: "notFound", Auth: Public, handle: notFound})
	r.MethodNotAllowedHandler = e.wrap(Endpoint{Name: "methodNotAllowed", Auth: Public, handle: methodNotAllowed})
	if e.logger != nil {
		return e.logRequests(r)
	}
	return r
}
