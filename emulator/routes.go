package emulator

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorilla/mux"

	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// Auth says what an endpoint requires of a caller.
type Auth string

// The ways an endpoint is protected.
const (
	// Public endpoints need no bearer token (the token and revocation
	// endpoints, which authenticate the client themselves, JWKS,
	// Connect-token validation).
	Public Auth = "public"
	// OAuthToken endpoints need a bearer OAuth access token (RFC 6750).
	OAuthToken Auth = "oauth"
	// ConnectTokenOnly endpoints need a bearer Connect token (ctok_…).
	ConnectTokenOnly Auth = "connect"
	// AnyToken endpoints take either an OAuth access token or a Connect
	// token, as the OpenAPI document's security lists say.
	AnyToken Auth = "oauth|connect"
	// WorkflowTrigger endpoints (a workflow's HTTP trigger) check callers
	// as the workflow's registered auth mode says (connect.WorkflowAuth).
	// By default a token is optional, and one that is sent, OAuth or
	// Connect, must be valid and hold the row's scope; "oauth" requires
	// one; "static_bearer" takes the workflow's own secret instead; "none"
	// ignores Authorization.
	WorkflowTrigger Auth = "workflow"
	// ControlPlane endpoints drive the emulator; a real server has none.
	ControlPlane Auth = "control"
)

// AcceptsOAuth reports whether an OAuth access token may call the endpoint.
func (a Auth) AcceptsOAuth() bool { return a == OAuthToken || a == AnyToken || a == WorkflowTrigger }

// AcceptsConnectToken reports whether a Connect token may call the endpoint.
func (a Auth) AcceptsConnectToken() bool {
	return a == ConnectTokenOnly || a == AnyToken || a == WorkflowTrigger
}

// RequiresToken reports whether every call needs a bearer token. A
// WorkflowTrigger row needs one only in the modes that say so.
func (a Auth) RequiresToken() bool { return a == OAuthToken || a == ConnectTokenOnly || a == AnyToken }

// Endpoint is one row of the route table: a route, who may call it, and the
// scope it demands. The table is data so that the endpoint table of
// docs/endpoints.md,
// the scope-enforcement tests and the router all come from the same rows.
type Endpoint struct {
	// Name is the official SDK's method name, or a descriptive one.
	Name   string
	Method string
	// Path is a gorilla/mux template; {project_id} only ever matches
	// Pipedream's proj_… ids.
	Path string
	Auth Auth
	// Scopes lists the scopes any one of which grants access (token
	// endpoints only).
	Scopes []string
	// ProjectScoped endpoints live under /v1/connect/{project_id}/, read
	// x-pd-environment, and (when Connect tokens may call them) are also
	// served without the project id, which a Connect token implies: the
	// SDK calls /v1/connect/accounts with one.
	ProjectScoped bool

	handle handlerFunc
	// identify, when set, learns who calls a public endpoint before the
	// handler runs (the token endpoint reads the client_id of its body),
	// so that fault plans and rate limits can match the caller.
	identify func(r *http.Request, c *call)
	// exclusive handlers run with the emulator locked for writing (reset,
	// state import and export, snapshots).
	exclusive bool
	// maxBody, when set, bounds this row's request body instead of the
	// emulator's limit (a state document is larger than any API body).
	maxBody int64
	// quiet rows are fetched by browsers and probes, not by scripts: the
	// console's files, which a browser navigating cannot send a control
	// token for (console_http.go), and the health check, which Docker's
	// HEALTHCHECK runs without knowing a token pdemu generated. The guard
	// judges their Host and Origin but asks no control token (they hold
	// nothing it protects), and their exchanges stay out of the journal and
	// are logged at debug: a page load or a probe is not an API call.
	quiet bool
}

// Scope sets used by several rows.
var (
	scopesComponents = []string{scope.ConnectActions, scope.ConnectTriggers}
	// Resources no documented scope names: only the wildcards reach them.
	scopesUnnamed = []string{scope.Connect}
)

func one(s string) []string { return []string{s} }

// endpoints is the route table: every path the emulator serves.
func (e *Emulator) endpoints() []Endpoint {
	const p = "/v1/connect/{project_id}"
	return append([]Endpoint{
		// OAuth (RFC 6749) and token verification.
		{Name: "oauthTokens.create", Method: http.MethodPost, Path: "/v1/oauth/token", Auth: Public, handle: e.issueToken, identify: identifyOAuthClient},
		{Name: "oauthTokens.revoke", Method: http.MethodPost, Path: "/v1/oauth/revoke", Auth: Public, handle: e.revokeToken, identify: identifyOAuthClient},
		{Name: "jwks", Method: http.MethodGet, Path: "/.well-known/jwks.json", Auth: Public, handle: e.jwks},

		// Projects (OAuth only, workspace-wide).
		{Name: "projects.list", Method: http.MethodGet, Path: "/v1/connect/projects", Auth: OAuthToken, Scopes: one(scope.ConnectProjectsRead), handle: e.listProjects},
		{Name: "projects.create", Method: http.MethodPost, Path: "/v1/connect/projects", Auth: OAuthToken, Scopes: one(scope.ConnectProjectsWrite), handle: e.createProject},
		{Name: "projects.retrieve", Method: http.MethodGet, Path: "/v1/connect/projects/{project_id}", Auth: OAuthToken, Scopes: one(scope.ConnectProjectsRead), handle: e.getProject},
		{Name: "projects.update", Method: http.MethodPatch, Path: "/v1/connect/projects/{project_id}", Auth: OAuthToken, Scopes: one(scope.ConnectProjectsWrite), handle: e.updateProject},
		{Name: "projects.delete", Method: http.MethodDelete, Path: "/v1/connect/projects/{project_id}", Auth: OAuthToken, Scopes: one(scope.ConnectProjectsWrite), handle: e.deleteProject},
		{Name: "projects.updateLogo", Method: http.MethodPost, Path: "/v1/connect/projects/{project_id}/logo", Auth: OAuthToken, Scopes: one(scope.ConnectProjectsWrite), handle: e.updateProjectLogo},
		{Name: "projects.retrieveInfo", Method: http.MethodGet, Path: p + "/projects/info", Auth: AnyToken, Scopes: one(scope.ConnectProjectsRead), ProjectScoped: true, handle: e.projectInfo},

		// Connect tokens.
		{Name: "tokens.create", Method: http.MethodPost, Path: p + "/tokens", Auth: OAuthToken, Scopes: one(scope.ConnectTokensCreate), ProjectScoped: true, handle: e.createConnectToken},
		{Name: "tokens.validate", Method: http.MethodGet, Path: "/v1/connect/tokens/{ctok}/validate", Auth: Public, handle: e.validateConnectToken},

		// External users.
		{Name: "users.list", Method: http.MethodGet, Path: p + "/users", Auth: OAuthToken, Scopes: one(scope.ConnectUsersRead), ProjectScoped: true, handle: e.listUsers},
		{Name: "users.deleteExternalUser", Method: http.MethodDelete, Path: p + "/users/{external_user_id}", Auth: AnyToken, Scopes: one(scope.ConnectUsersWrite), ProjectScoped: true, handle: e.deleteUser},

		// Accounts.
		{Name: "accounts.list", Method: http.MethodGet, Path: p + "/accounts", Auth: AnyToken, Scopes: one(scope.ConnectAccountsRead), ProjectScoped: true, handle: e.listAccounts},
		{Name: "accounts.create", Method: http.MethodPost, Path: p + "/accounts", Auth: ConnectTokenOnly, Scopes: one(scope.ConnectAccountsWrite), ProjectScoped: true, handle: e.createAccount},
		{Name: "accounts.retrieve", Method: http.MethodGet, Path: p + "/accounts/{account_id}", Auth: AnyToken, Scopes: one(scope.ConnectAccountsRead), ProjectScoped: true, handle: e.getAccount},
		{Name: "accounts.delete", Method: http.MethodDelete, Path: p + "/accounts/{account_id}", Auth: AnyToken, Scopes: one(scope.ConnectAccountsWrite), ProjectScoped: true, handle: e.deleteAccount},
		{Name: "accounts.deleteByApp", Method: http.MethodDelete, Path: p + "/apps/{app_id}/accounts", Auth: AnyToken, Scopes: one(scope.ConnectAccountsWrite), ProjectScoped: true, handle: e.deleteAccountsByApp},
		{Name: "accounts.listByExternalUser", Method: http.MethodGet, Path: p + "/users/{external_user_id}/accounts", Auth: AnyToken, Scopes: one(scope.ConnectAccountsRead), ProjectScoped: true, handle: e.listUserAccounts},

		// Apps and app categories (a catalog shared by every workspace).
		{Name: "apps.list", Method: http.MethodGet, Path: "/v1/connect/apps", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.listApps},
		{Name: "apps.retrieve", Method: http.MethodGet, Path: "/v1/connect/apps/{app_id}", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.getApp},
		{Name: "appCategories.list", Method: http.MethodGet, Path: "/v1/connect/app_categories", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.listAppCategories},
		{Name: "appCategories.retrieve", Method: http.MethodGet, Path: "/v1/connect/app_categories/{id}", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.getAppCategory},
		// The OpenAPI document also lists unprefixed aliases.
		{Name: "apps.list (/v1 alias)", Method: http.MethodGet, Path: "/v1/apps", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.listApps},
		{Name: "apps.retrieve (/v1 alias)", Method: http.MethodGet, Path: "/v1/apps/{app_id}", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.getApp},
		{Name: "appCategories.list (/v1 alias)", Method: http.MethodGet, Path: "/v1/app_categories", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.listAppCategories},
		{Name: "appCategories.retrieve (/v1 alias)", Method: http.MethodGet, Path: "/v1/app_categories/{id}", Auth: AnyToken, Scopes: one(scope.ConnectApps), handle: e.getAppCategory},

		// Components, actions, triggers.
		{Name: "components.list", Method: http.MethodGet, Path: p + "/components", Auth: AnyToken, Scopes: scopesComponents, ProjectScoped: true, handle: e.listComponents("")},
		{Name: "components.configureProp", Method: http.MethodPost, Path: p + "/components/configure", Auth: AnyToken, Scopes: scopesComponents, ProjectScoped: true, handle: e.configureProp("")},
		{Name: "components.reloadProps", Method: http.MethodPost, Path: p + "/components/props", Auth: AnyToken, Scopes: scopesComponents, ProjectScoped: true, handle: e.reloadProps("")},
		{Name: "components.retrieve", Method: http.MethodGet, Path: p + "/components/{component_id}", Auth: AnyToken, Scopes: scopesComponents, ProjectScoped: true, handle: e.getComponent("")},
		{Name: "actions.list", Method: http.MethodGet, Path: p + "/actions", Auth: AnyToken, Scopes: one(scope.ConnectActions), ProjectScoped: true, handle: e.listComponents(kindAction)},
		{Name: "actions.configureProp", Method: http.MethodPost, Path: p + "/actions/configure", Auth: AnyToken, Scopes: one(scope.ConnectActions), ProjectScoped: true, handle: e.configureProp(kindAction)},
		{Name: "actions.reloadProps", Method: http.MethodPost, Path: p + "/actions/props", Auth: AnyToken, Scopes: one(scope.ConnectActions), ProjectScoped: true, handle: e.reloadProps(kindAction)},
		{Name: "actions.run", Method: http.MethodPost, Path: p + "/actions/run", Auth: AnyToken, Scopes: one(scope.ConnectActions), ProjectScoped: true, handle: e.runAction},
		{Name: "actions.retrieve", Method: http.MethodGet, Path: p + "/actions/{component_id}", Auth: AnyToken, Scopes: one(scope.ConnectActions), ProjectScoped: true, handle: e.getComponent(kindAction)},
		{Name: "triggers.list", Method: http.MethodGet, Path: p + "/triggers", Auth: AnyToken, Scopes: one(scope.ConnectTriggers), ProjectScoped: true, handle: e.listComponents(kindTrigger)},
		{Name: "triggers.configureProp", Method: http.MethodPost, Path: p + "/triggers/configure", Auth: AnyToken, Scopes: one(scope.ConnectTriggers), ProjectScoped: true, handle: e.configureProp(kindTrigger)},
		{Name: "triggers.reloadProps", Method: http.MethodPost, Path: p + "/triggers/props", Auth: AnyToken, Scopes: one(scope.ConnectTriggers), ProjectScoped: true, handle: e.reloadProps(kindTrigger)},
		{Name: "triggers.deploy", Method: http.MethodPost, Path: p + "/triggers/deploy", Auth: AnyToken, Scopes: one(scope.ConnectTriggers), ProjectScoped: true, handle: e.deployTrigger},
		{Name: "triggers.retrieve", Method: http.MethodGet, Path: p + "/triggers/{component_id}", Auth: AnyToken, Scopes: one(scope.ConnectTriggers), ProjectScoped: true, handle: e.getComponent(kindTrigger)},

		// Deployed triggers.
		{Name: "deployedTriggers.list", Method: http.MethodGet, Path: p + "/deployed-triggers", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersRead), ProjectScoped: true, handle: e.listDeployedTriggers},
		{Name: "deployedTriggers.retrieve", Method: http.MethodGet, Path: p + "/deployed-triggers/{trigger_id}", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersRead), ProjectScoped: true, handle: e.getDeployedTrigger},
		{Name: "deployedTriggers.update", Method: http.MethodPut, Path: p + "/deployed-triggers/{trigger_id}", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersWrite), ProjectScoped: true, handle: e.updateDeployedTrigger},
		{Name: "deployedTriggers.delete", Method: http.MethodDelete, Path: p + "/deployed-triggers/{trigger_id}", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersWrite), ProjectScoped: true, handle: e.deleteDeployedTrigger},
		{Name: "deployedTriggers.listEvents", Method: http.MethodGet, Path: p + "/deployed-triggers/{trigger_id}/events", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersRead), ProjectScoped: true, handle: e.listTriggerEvents},
		{Name: "deployedTriggers.listWorkflows", Method: http.MethodGet, Path: p + "/deployed-triggers/{trigger_id}/pipelines", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersRead), ProjectScoped: true, handle: e.listTriggerWorkflows},
		{Name: "deployedTriggers.updateWorkflows", Method: http.MethodPut, Path: p + "/deployed-triggers/{trigger_id}/pipelines", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersWrite), ProjectScoped: true, handle: e.updateTriggerWorkflows},
		{Name: "deployedTriggers.listWebhooks", Method: http.MethodGet, Path: p + "/deployed-triggers/{trigger_id}/webhooks", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersRead), ProjectScoped: true, handle: e.listTriggerWebhooks},
		{Name: "deployedTriggers.updateWebhooks", Method: http.MethodPut, Path: p + "/deployed-triggers/{trigger_id}/webhooks", Auth: AnyToken, Scopes: one(scope.ConnectDeployedTriggersWrite), ProjectScoped: true, handle: e.updateTriggerWebhooks},
		{Name: "deployedTriggers.retrieveWebhook", Method: http.MethodGet, Path: p + "/deployed-triggers/{trigger_id}/webhooks/{webhook_id}", Auth: OAuthToken, Scopes: one(scope.ConnectDeployedTriggersRead), ProjectScoped: true, handle: e.getTriggerWebhook},
		{Name: "deployedTriggers.regenerateWebhookSigningKey", Method: http.MethodPost, Path: p + "/deployed-triggers/{trigger_id}/webhooks/{webhook_id}/regenerate_signing_key", Auth: OAuthToken, Scopes: one(scope.ConnectDeployedTriggersWrite), ProjectScoped: true, handle: e.regenerateTriggerWebhookKey},

		// Proxy: any of five methods, one handler.
		{Name: "proxy.get", Method: http.MethodGet, Path: p + "/proxy/{url_64}", Auth: AnyToken, Scopes: one(scope.ConnectProxy), ProjectScoped: true, handle: e.proxy},
		{Name: "proxy.post", Method: http.MethodPost, Path: p + "/proxy/{url_64}", Auth: AnyToken, Scopes: one(scope.ConnectProxy), ProjectScoped: true, handle: e.proxy},
		{Name: "proxy.put", Method: http.MethodPut, Path: p + "/proxy/{url_64}", Auth: AnyToken, Scopes: one(scope.ConnectProxy), ProjectScoped: true, handle: e.proxy},
		{Name: "proxy.delete", Method: http.MethodDelete, Path: p + "/proxy/{url_64}", Auth: AnyToken, Scopes: one(scope.ConnectProxy), ProjectScoped: true, handle: e.proxy},
		{Name: "proxy.patch", Method: http.MethodPatch, Path: p + "/proxy/{url_64}", Auth: AnyToken, Scopes: one(scope.ConnectProxy), ProjectScoped: true, handle: e.proxy},

		// Project environment webhook.
		{Name: "projectEnvironment.retrieveWebhook", Method: http.MethodGet, Path: p + "/webhook", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.getProjectWebhook},
		{Name: "projectEnvironment.updateWebhook", Method: http.MethodPut, Path: p + "/webhook", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.updateProjectWebhook},
		{Name: "projectEnvironment.deleteWebhook", Method: http.MethodDelete, Path: p + "/webhook", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.deleteProjectWebhook},
		{Name: "projectEnvironment.regenerateWebhookSigningKey", Method: http.MethodPost, Path: p + "/webhook/regenerate_signing_key", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.regenerateProjectWebhookKey},

		// OAuth apps (custom OAuth clients for third-party apps) and app overrides.
		{Name: "oauthApps.list", Method: http.MethodGet, Path: p + "/oauth_apps", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.listOAuthApps},
		{Name: "oauthApps.create", Method: http.MethodPost, Path: p + "/oauth_apps", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.createOAuthApp},
		{Name: "oauthApps.retrieve", Method: http.MethodGet, Path: p + "/oauth_apps/{id}", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.getOAuthApp},
		{Name: "oauthApps.update", Method: http.MethodPut, Path: p + "/oauth_apps/{id}", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.updateOAuthApp},
		{Name: "oauthApps.delete", Method: http.MethodDelete, Path: p + "/oauth_apps/{id}", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.deleteOAuthApp},
		{Name: "appOverrides.list", Method: http.MethodGet, Path: p + "/app_overrides", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.listAppOverrides},
		{Name: "appOverrides.create", Method: http.MethodPost, Path: p + "/app_overrides", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.createAppOverride},
		{Name: "appOverrides.retrieve", Method: http.MethodGet, Path: p + "/app_overrides/{id}", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.getAppOverride},
		{Name: "appOverrides.update", Method: http.MethodPut, Path: p + "/app_overrides/{id}", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.updateAppOverride},
		{Name: "appOverrides.delete", Method: http.MethodDelete, Path: p + "/app_overrides/{id}", Auth: OAuthToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.deleteAppOverride},

		// Custom rate limits. No documented scope names them: only the
		// wildcards reach them, as for other undocumented resources.
		{Name: "rateLimits.create", Method: http.MethodPost, Path: "/v1/connect/rate_limits", Auth: OAuthToken, Scopes: scopesUnnamed, handle: e.createRateLimit},

		// Usage and the file stash.
		{Name: "usage.list", Method: http.MethodGet, Path: "/v1/connect/usage", Auth: OAuthToken, Scopes: one(scope.ConnectUsageRead), handle: e.listUsage},
		{Name: "fileStash.downloadFile", Method: http.MethodGet, Path: p + "/file_stash/download", Auth: AnyToken, Scopes: scopesUnnamed, ProjectScoped: true, handle: e.downloadFile},

		// Control plane (emulator only).
		// The web console: its page and files (console_http.go).
		{Name: "console.redirect", Method: http.MethodGet, Path: "/_emulator/ui", Auth: ControlPlane, quiet: true, handle: e.consoleRedirect},
		{Name: "console.page", Method: http.MethodGet, Path: ConsolePath, Auth: ControlPlane, quiet: true, handle: e.consoleFile},
		{Name: "console.file", Method: http.MethodGet, Path: ConsolePath + "{file}", Auth: ControlPlane, quiet: true, handle: e.consoleFile},
		{Name: "health", Method: http.MethodGet, Path: "/_emulator/health", Auth: ControlPlane, quiet: true, handle: e.health},
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
		{Name: "accounts.connect", Method: http.MethodPost, Path: "/_emulator/projects/{project_id}/accounts", Auth: ControlPlane, handle: e.connectAccount},
		{Name: "apps.add", Method: http.MethodPost, Path: "/_emulator/apps", Auth: ControlPlane, handle: e.addApp},
		{Name: "components.register", Method: http.MethodPost, Path: "/_emulator/components", Auth: ControlPlane, handle: e.registerComponent},
		{Name: "deployedTriggers.emit", Method: http.MethodPost, Path: "/_emulator/deployed-triggers/{trigger_id}/events", Auth: ControlPlane, handle: e.emitEvent},
		{Name: "files.put", Method: http.MethodPut, Path: "/_emulator/projects/{project_id}/files", Auth: ControlPlane, handle: e.putFile},
		{Name: "workflows.register", Method: http.MethodPost, Path: "/_emulator/workflows", Auth: ControlPlane, handle: e.registerWorkflow},
		{Name: "workflows.invocations", Method: http.MethodGet, Path: "/_emulator/workflows/{endpoint_id}/invocations", Auth: ControlPlane, handle: e.listWorkflowInvocations},
		{Name: "proxy.allowedHosts", Method: http.MethodGet, Path: "/_emulator/proxy/allowed-hosts", Auth: ControlPlane, handle: e.getProxyAllowedHosts},
		{Name: "proxy.allowHosts", Method: http.MethodPut, Path: "/_emulator/proxy/allowed-hosts", Auth: ControlPlane, handle: e.setProxyAllowedHosts},
		{Name: "limits.list", Method: http.MethodGet, Path: "/_emulator/limits", Auth: ControlPlane, handle: e.listLimits},
		{Name: "requests.list", Method: http.MethodGet, Path: "/_emulator/requests", Auth: ControlPlane, handle: e.listRequests},
		{Name: "requests.count", Method: http.MethodGet, Path: "/_emulator/requests/count", Auth: ControlPlane, handle: e.countRequests},
		{Name: "requests.clear", Method: http.MethodDelete, Path: "/_emulator/requests", Auth: ControlPlane, handle: e.clearRequests},
		{Name: "state.export", Method: http.MethodGet, Path: "/_emulator/state", Auth: ControlPlane, handle: e.getState, exclusive: true},
		{Name: "state.import", Method: http.MethodPut, Path: "/_emulator/state", Auth: ControlPlane, handle: e.putState, exclusive: true, maxBody: MaxStateBytes},
		{Name: "snapshots.create", Method: http.MethodPost, Path: "/_emulator/snapshots", Auth: ControlPlane, handle: e.createSnapshot, exclusive: true},
		{Name: "snapshots.list", Method: http.MethodGet, Path: "/_emulator/snapshots", Auth: ControlPlane, handle: e.listSnapshots},
		{Name: "snapshots.restore", Method: http.MethodPost, Path: "/_emulator/snapshots/{name}/restore", Auth: ControlPlane, handle: e.restoreSnapshot, exclusive: true},
		{Name: "snapshots.delete", Method: http.MethodDelete, Path: "/_emulator/snapshots/{name}", Auth: ControlPlane, handle: e.deleteSnapshot},
		{Name: "faults.create", Method: http.MethodPost, Path: "/_emulator/faults", Auth: ControlPlane, handle: e.createFault},
		{Name: "faults.list", Method: http.MethodGet, Path: "/_emulator/faults", Auth: ControlPlane, handle: e.listFaults},
		{Name: "faults.retrieve", Method: http.MethodGet, Path: "/_emulator/faults/{fault_id}", Auth: ControlPlane, handle: e.getFault},
		{Name: "faults.delete", Method: http.MethodDelete, Path: "/_emulator/faults/{fault_id}", Auth: ControlPlane, handle: e.deleteFault},
		{Name: "rateLimits.get", Method: http.MethodGet, Path: "/_emulator/rate-limits", Auth: ControlPlane, handle: e.getRateLimits},
		{Name: "rateLimits.set", Method: http.MethodPut, Path: "/_emulator/rate-limits", Auth: ControlPlane, handle: e.setRateLimits},
		{Name: "faults.clear", Method: http.MethodDelete, Path: "/_emulator/faults", Auth: ControlPlane, handle: e.clearFaults},
		// For a browser console (console_api_http.go): scopes, a token for
		// any client, a token explained, every workspace's Connect resources.
		{Name: "scopes.list", Method: http.MethodGet, Path: "/_emulator/scopes", Auth: ControlPlane, handle: e.listScopes},
		{Name: "oauthClients.mintToken", Method: http.MethodPost, Path: "/_emulator/oauth-clients/{client_id}/tokens", Auth: ControlPlane, handle: e.mintToken},
		{Name: "tokens.inspect", Method: http.MethodPost, Path: "/_emulator/tokens/inspect", Auth: ControlPlane, handle: e.inspectToken},
		{Name: "projects.listAll", Method: http.MethodGet, Path: "/_emulator/projects", Auth: ControlPlane, handle: e.listAllProjects},
		{Name: "users.listAll", Method: http.MethodGet, Path: "/_emulator/projects/{project_id}/users", Auth: ControlPlane, handle: e.listAnyUsers},
		{Name: "users.deleteAny", Method: http.MethodDelete, Path: "/_emulator/projects/{project_id}/users/{external_user_id}", Auth: ControlPlane, handle: e.deleteAnyUser},
		{Name: "accounts.listAll", Method: http.MethodGet, Path: "/_emulator/projects/{project_id}/accounts", Auth: ControlPlane, handle: e.listAnyAccounts},
		{Name: "accounts.deleteAny", Method: http.MethodDelete, Path: "/_emulator/projects/{project_id}/accounts/{account_id}", Auth: ControlPlane, handle: e.deleteAnyAccount},
		{Name: "deployedTriggers.listAll", Method: http.MethodGet, Path: "/_emulator/projects/{project_id}/deployed-triggers", Auth: ControlPlane, handle: e.listAnyDeployedTriggers},
		{Name: "deployedTriggers.events", Method: http.MethodGet, Path: "/_emulator/deployed-triggers/{trigger_id}/events", Auth: ControlPlane, handle: e.listAnyTriggerEvents},
	}, e.workflowEndpoints()...)
}

// workflowEndpoints are the route-table rows that serve workflow
// invocations: the methods the SDK's invoke sends (any it is given; these
// five are the ones APIs use), with and without a trailing path. The
// authorizer checks callers as the workflow's auth mode says.
func (e *Emulator) workflowEndpoints() []Endpoint {
	var out []Endpoint
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		for _, p := range []string{"/_workflows/{endpoint_id}", "/_workflows/{endpoint_id}/{path:.*}"} {
			out = append(out, Endpoint{Name: "workflows.invoke", Method: m, Path: p, Auth: WorkflowTrigger,
				Scopes: one(scope.ConnectWorkflowInvoke), handle: e.invokeWorkflow})
		}
	}
	return out
}

// projectIDPattern keeps {project_id} from swallowing the literal segments
// of other routes (/v1/connect/projects/info, /v1/connect/users/…).
const projectIDPattern = "{project_id:proj_[A-Za-z0-9]+}"

// routeTarget marks which row of the route table a mux route serves. The
// router only matches; it never calls these.
type routeTarget int

func (routeTarget) ServeHTTP(http.ResponseWriter, *http.Request) {}

// The router is built once per process and shared by every emulator: the
// paths are the same for all, and each emulator keeps its own handlers,
// indexed alike. Compiling a route's regexps costs microseconds, and a
// hundred and fifty of them cost milliseconds, so a bucket (below) is
// compiled when a request first reaches it: emulator.New stays under a
// millisecond even in a new process, and a test pays only for the path
// depths it calls.
var (
	sharedRouterOnce sync.Once
	sharedRouter     *routeIndex
)

// routeIndex splits the routes by how many "/" their path has, one mux
// router each: mux tries routes one regexp at a time, so a route late in a
// table of 150 cost microseconds to reach; within a bucket it is a handful.
// Templates ending in a catch-all ({path:.*}) join every bucket deep enough.
type routeIndex struct {
	buckets map[int]*routeBucket
	// hits remembers recent matches (routeKey -> routeHit): a match is a
	// pure function of the method and the escaped path (the table has no
	// host, header or query matchers), and clients call a few paths over
	// and over, which mux would try regexp by regexp each time.
	hits     sync.Map
	hitCount atomic.Int64
}

// maxRouteHits bounds the remembered matches; past it they are forgotten
// all at once (a test suite calls a few hundred distinct paths).
const maxRouteHits = 4096

// routeKey is what a match depends on.
type routeKey struct{ method, path string }

// routeHit is a remembered match. vars is shared by every request that
// hits it: handlers read it (prepare copies it), never write it.
type routeHit struct {
	target routeTarget
	vars   map[string]string
}

// routeBucket is the routes of one path depth, compiled on first use.
type routeBucket struct {
	once   sync.Once
	routes []pendingRoute
	router *mux.Router
}

// pendingRoute is a route waiting for its bucket to be compiled.
type pendingRoute struct {
	template, method string
	target           routeTarget
}

func (b *routeBucket) compile() {
	r := mux.NewRouter()
	// Paths are routed as sent (see collapseConnectSlashes for the one
	// repair): mux's cleaning would answer with redirects. Matching the
	// escaped path keeps an encoded "/" inside one segment: the SDK sends
	// the proxy's url_64 through encodeURIComponent. prepare unescapes the
	// variables.
	r.SkipClean(true)
	r.UseEncodedPath()
	for _, pr := range b.routes {
		r.Path(pr.template).Methods(pr.method).Handler(pr.target)
	}
	b.router = r
}

// maxDepth bounds the buckets a catch-all template joins.
const maxDepth = 16

func (ix *routeIndex) add(template, method string, target routeTarget) {
	depth := strings.Count(template, "/")
	last := depth
	if strings.HasSuffix(template, ":.*}") {
		last = maxDepth
	}
	for d := depth; d <= last; d++ {
		b, ok := ix.buckets[d]
		if !ok {
			b = &routeBucket{}
			ix.buckets[d] = b
		}
		b.routes = append(b.routes, pendingRoute{template: template, method: method, target: target})
	}
}

// match finds the route for r; MatchErr tells a wrong method from no path.
func (ix *routeIndex) match(r *http.Request, m *mux.RouteMatch) bool {
	path := r.URL.EscapedPath()
	key := routeKey{r.Method, path}
	if h, ok := ix.hits.Load(key); ok {
		hit := h.(routeHit)
		m.Handler, m.Vars = hit.target, hit.vars
		return true
	}
	b, ok := ix.buckets[strings.Count(path, "/")]
	if !ok {
		return false
	}
	b.once.Do(b.compile)
	if !b.router.Match(r, m) {
		return false // misses are not remembered: any path may be asked once
	}
	if ix.hitCount.Add(1) > maxRouteHits {
		ix.hits.Clear()
		ix.hitCount.Store(1)
	}
	ix.hits.Store(key, routeHit{target: m.Handler.(routeTarget), vars: m.Vars})
	return true
}

// router returns the shared route index for the route table eps, whose
// rows (but not handlers) are the same for every emulator.
func router(eps []Endpoint) *routeIndex {
	sharedRouterOnce.Do(func() {
		ix := &routeIndex{buckets: map[int]*routeBucket{}}
		for i, ep := range eps {
			ix.add(strings.Replace(ep.Path, "{project_id}", projectIDPattern, 1), ep.Method, routeTarget(i))
			if ep.ProjectScoped {
				// A Connect token names its project, so the SDK leaves it
				// out. Registered for OAuth-only endpoints too, so that a
				// Connect token there is told it is the wrong kind (401),
				// not that the path does not exist.
				ix.add(strings.Replace(ep.Path, "/{project_id}/", "/", 1), ep.Method, routeTarget(i))
			}
		}
		sharedRouter = ix
	})
	return sharedRouter
}

// routes builds the emulator's handler from the table. Every request,
// routed or not, is an exchange that the journal and the log record.
func (e *Emulator) routes() http.Handler {
	eps := e.endpoints()
	e.eps = eps
	handlers := make([]routeHandler, len(eps))
	for i, ep := range eps {
		handlers[i] = e.wrap(ep)
	}
	rt := router(eps)
	notFoundH := e.unrouted("notFound", e.notFound)
	methodH := e.unrouted("methodNotAllowed", e.methodNotAllowed)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x := e.begin(w, r)
		defer e.finish(x)
		r = collapseConnectSlashes(r)
		var m mux.RouteMatch
		switch {
		case rt.match(r, &m):
			handlers[m.Handler.(routeTarget)](x.w(), r, m.Vars, x)
		case errors.Is(m.MatchErr, mux.ErrMethodMismatch):
			methodH(x.w(), r, nil, x)
		default:
			notFoundH(x.w(), r, nil, x)
		}
	})
}

// collapseConnectSlashes returns r to serve as /v1/connect/… when it asks
// for /v1/connect//…: with a Connect token the SDK's proxy calls put an
// empty project id there (its other resources collapse the slashes
// themselves), and Pipedream serves them.
func collapseConnectSlashes(r *http.Request) *http.Request {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/v1/connect//")
	if !ok {
		return r
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawPath = "/v1/connect/" + strings.TrimLeft(rest, "/")
	p, err := url.PathUnescape(r2.URL.RawPath)
	if err != nil {
		return r
	}
	r2.URL.Path = p
	return r2
}

// unrouted answers requests that match no row of the table. Under
// /_emulator/ it answers as a control-plane row, so the control plane's
// authorizer judges those requests too: a caller it refuses learns nothing,
// not even which paths exist. The unescaped path is read, so that
// /%5Femulator/… is judged as well.
func (e *Emulator) unrouted(name string, handle handlerFunc) routeHandler {
	public := e.wrap(Endpoint{Name: name, Auth: Public, handle: handle})
	control := e.wrap(Endpoint{Name: name, Auth: ControlPlane, handle: handle})
	return func(w http.ResponseWriter, r *http.Request, vars map[string]string, x *exchange) {
		if strings.HasPrefix(r.URL.Path, controlPrefix) {
			control(w, r, vars, x)
			return
		}
		public(w, r, vars, x)
	}
}
