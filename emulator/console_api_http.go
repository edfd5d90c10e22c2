package emulator

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/oauth"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// The control plane's endpoints for a browser console, which is only a
// client of /_emulator/: the scope names, a token for any client, a
// token explained, and the Connect resources of every workspace. The
// control plane sees every workspace, so the Connect calls act with the
// access of the project's own workspace.

// listScopes serves GET /_emulator/scopes: every scope a token may be
// granted, in documentation order.
func (e *Emulator) listScopes(*http.Request, *call) (response, error) {
	return ok(map[string][]string{"data": slices.Clone(scope.Known)})
}

// mintedTokenJSON is the token endpoint's answer with the scopes granted,
// which a console shows (the token endpoint, like Pipedream's, has none).
type mintedTokenJSON struct {
	tokenResponse
	Scope string `json:"scope"`
}

// mintToken serves POST /_emulator/oauth-clients/{client_id}/tokens
// ({"scope"?}, a space-separated string or an array; no body at all is
// the client's own scopes): an access token for the client, no secret
// needed.
func (e *Emulator) mintToken(r *http.Request, c *call) (response, error) {
	noStore(c)
	var body struct {
		Scope scopeList `json:"scope"`
	}
	if err := decodeOptionalStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	tok, err := e.auth.Mint(c.vars["client_id"], string(body.Scope))
	if err != nil {
		return response{}, err
	}
	return ok(mintedTokenJSON{tokenResponse: tokenResponse{
		AccessToken: tok.AccessToken, TokenType: tok.TokenType, ExpiresIn: tok.ExpiresIn, CreatedAt: tok.CreatedAt.Unix(),
	}, Scope: tok.Scopes.String()})
}

// decodeOptionalStrictJSON is decodeStrictJSON for a body that may be
// left out: an empty body leaves v as it is.
func decodeOptionalStrictJSON(r *http.Request, v any) error {
	raw, err := bodyBytes(r)
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	r.Body = &bufferedBody{data: raw}
	return decodeStrictJSON(r, v)
}

// maxInspectTokenBytes bounds the token POST /_emulator/tokens/inspect
// judges: far above any token pdemu makes (a few hundred bytes).
const maxInspectTokenBytes = 16 << 10

// The kinds of token POST /_emulator/tokens/inspect tells apart.
const (
	inspectOAuth   = "oauth"
	inspectConnect = "connect"
	inspectUnknown = "unknown"
)

// inspectionJSON is what POST /_emulator/tokens/inspect answers. header
// and claims are null when the token has none to show; the fields after
// now are left out when unknown.
type inspectionJSON struct {
	Kind      string         `json:"kind"`
	Status    oauth.Status   `json:"status"`
	Message   string         `json:"message"`
	Header    map[string]any `json:"header"`
	Claims    map[string]any `json:"claims"`
	Now       string         `json:"now"`
	ExpiresAt string         `json:"expires_at,omitempty"`
	// ExpiresIn is whole seconds from now to the expiry, rounded up, so
	// that it is positive exactly while the token has not expired.
	ExpiresIn      *int64 `json:"expires_in,omitempty"`
	ClientID       string `json:"client_id,omitempty"`
	ClientName     string `json:"client_name,omitempty"`
	ProjectID      string `json:"project_id,omitempty"`
	ExternalUserID string `json:"external_user_id,omitempty"`
}

// setExpiry fills expires_at and expires_in; a zero exp leaves them out.
func (j *inspectionJSON) setExpiry(exp, now time.Time) {
	if exp.IsZero() {
		return
	}
	j.ExpiresAt = exp.UTC().Format(time.RFC3339Nano)
	d := exp.Sub(now)
	secs := int64(d / time.Second)
	if d%time.Second > 0 {
		secs++
	}
	j.ExpiresIn = &secs
}

// connectStatus puts a Connect token's status in the words an access
// token's has: a token the store does not have (revoked, or expired and
// dropped, or never made here) and one used up are both refused for good,
// as a revoked access token is.
var connectStatus = map[connect.TokenStatus]oauth.Status{
	connect.TokenUsable:    oauth.StatusValid,
	connect.TokenExpired:   oauth.StatusExpired,
	connect.TokenUsed:      oauth.StatusRevoked,
	connect.TokenUnknown:   oauth.StatusRevoked,
	connect.TokenMalformed: oauth.StatusMalformed,
}

// inspectToken serves POST /_emulator/tokens/inspect ({"token"}): whether
// the API would take the token now, and if not why, with what it claims.
// Any string gets a 200; the token itself is never repeated, in the
// answer or in an error. Surrounding white space (a paste) is ignored.
func (e *Emulator) inspectToken(r *http.Request, _ *call) (response, error) {
	var body struct {
		Token *string `json:"token"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Token == nil || strings.TrimSpace(*body.Token) == "" {
		return response{}, apperr.ErrInvalid.WithMessage(`"token" is required: an access token (a JWT) or a Connect token (ctok_…)`)
	}
	raw := strings.TrimSpace(*body.Token)
	if len(raw) > maxInspectTokenBytes {
		return response{}, apperr.ErrInvalid.WithMessage(`"token" is longer than %d bytes; no token pdemu makes is`, maxInspectTokenBytes)
	}
	if strings.HasPrefix(raw, connect.TokenPrefix) {
		in := e.connect.InspectToken(raw)
		out := inspectionJSON{Kind: inspectConnect, Status: connectStatus[in.Status], Message: in.Message,
			Now: in.Now.Format(time.RFC3339Nano)}
		if in.Found {
			out.ProjectID, out.ExternalUserID = in.Token.ProjectID, in.Token.ExternalUserID
			out.setExpiry(in.Token.ExpiresAt, in.Now)
		}
		return ok(out)
	}
	in := e.auth.Inspect(raw)
	out := inspectionJSON{Kind: inspectOAuth, Status: in.Status, Message: in.Message, Header: in.Header, Claims: in.Claims,
		Now: in.Now.Format(time.RFC3339Nano), ClientID: in.ClientID, ClientName: in.ClientName}
	if in.Status == oauth.StatusMalformed {
		// Not a JWT, nor a Connect token: nothing says what it was meant
		// to be.
		out.Kind = inspectUnknown
	}
	out.setExpiry(in.ExpiresAt, in.Now)
	return ok(out)
}

// projectAllJSON is a project as the control plane lists it: the API's
// project with the workspace that owns it and its times.
type projectAllJSON struct {
	projectJSON
	WorkspaceID string `json:"workspace_id"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
}

func toProjectAllJSON(p connect.Project) projectAllJSON {
	return projectAllJSON{projectJSON: toProjectJSON(p), WorkspaceID: p.WorkspaceID,
		CreatedAt: isoTime(p.CreatedAt), UpdatedAt: isoTime(p.UpdatedAt)}
}

// listAllProjects serves GET /_emulator/projects: every workspace's
// projects, oldest first, paged as the API's lists.
func (e *Emulator) listAllProjects(r *http.Request, _ *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListAllProjects(req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toProjectAllJSON))
}

// anyProject is controlScope for the path's project and the environment
// query parameter (DefaultEnvironment when absent, as everywhere on the
// control plane).
func (e *Emulator) anyProject(r *http.Request, c *call) (connect.AccountScope, error) {
	return e.controlScope(c.vars["project_id"], r.URL.Query().Get("environment"))
}

// userSummaryJSON is a user as the public list shows one, with how many
// accounts they have connected.
type userSummaryJSON struct {
	userJSON
	AccountCount int `json:"account_count"`
}

func toUserSummaryJSON(u connect.UserSummary) userSummaryJSON {
	return userSummaryJSON{userJSON: toUserJSON(u.ExternalUser), AccountCount: u.AccountCount}
}

// listAnyUsers serves GET /_emulator/projects/{project_id}/users: the
// project environment's external users, oldest first, q filtering as on
// the API.
func (e *Emulator) listAnyUsers(r *http.Request, c *call) (response, error) {
	return listInProject(e, r, c, func(sc connect.AccountScope, req connect.PageRequest) (connect.Page[connect.UserSummary], error) {
		return e.connect.ListUserSummaries(sc.Access, sc.ProjectID, sc.Environment, r.URL.Query().Get("q"), req)
	}, toUserSummaryJSON)
}

// listInProject serves a control-plane list of one project environment
// (anyProject): list's page for the request's paging, in JSON by toJSON.
func listInProject[T, J any](e *Emulator, r *http.Request, c *call,
	list func(connect.AccountScope, connect.PageRequest) (connect.Page[T], error), toJSON func(T) J) (response, error) {
	sc, err := e.anyProject(r, c)
	if err != nil {
		return response{}, err
	}
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := list(sc, req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toJSON))
}

// deleteAnyUser serves DELETE
// /_emulator/projects/{project_id}/users/{external_user_id}: 204, and the
// user goes with their accounts, deployed triggers and Connect tokens, as
// on the API.
func (e *Emulator) deleteAnyUser(r *http.Request, c *call) (response, error) {
	sc, err := e.anyProject(r, c)
	if err != nil {
		return response{}, err
	}
	if err := e.connect.DeleteUser(sc.Access, sc.ProjectID, sc.Environment, c.vars["external_user_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

// listAnyAccounts serves GET /_emulator/projects/{project_id}/accounts
// (external_user_id and app filter): accounts as the API lists them,
// never with credentials.
func (e *Emulator) listAnyAccounts(r *http.Request, c *call) (response, error) {
	q := r.URL.Query()
	return listInProject(e, r, c, func(sc connect.AccountScope, req connect.PageRequest) (connect.Page[connect.Account], error) {
		return e.connect.ListAccounts(sc, connect.AccountFilter{ExternalUserID: q.Get("external_user_id"), App: q.Get("app")}, req)
	}, func(a connect.Account) accountJSON { return toAccountJSON(a, false) })
}

// deleteAnyAccount serves DELETE
// /_emulator/projects/{project_id}/accounts/{account_id}: 204.
func (e *Emulator) deleteAnyAccount(r *http.Request, c *call) (response, error) {
	sc, err := e.anyProject(r, c)
	if err != nil {
		return response{}, err
	}
	if err := e.connect.DeleteAccount(sc, c.vars["account_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

// listAnyDeployedTriggers serves GET
// /_emulator/projects/{project_id}/deployed-triggers: the project
// environment's deployed triggers, one external user's when
// external_user_id names one, oldest first.
func (e *Emulator) listAnyDeployedTriggers(r *http.Request, c *call) (response, error) {
	return listInProject(e, r, c, func(sc connect.AccountScope, req connect.PageRequest) (connect.Page[connect.DeployedTrigger], error) {
		return e.connect.ListProjectTriggers(sc.Access, sc.ProjectID, sc.Environment, r.URL.Query().Get("external_user_id"), req)
	}, toDeployedJSON)
}

// listAnyTriggerEvents serves GET
// /_emulator/deployed-triggers/{trigger_id}/events: the trigger's newest
// n events (default 20, 1..100), newest first, as listEvents shows them.
func (e *Emulator) listAnyTriggerEvents(r *http.Request, c *call) (response, error) {
	n := connect.DefaultTriggerEvents
	if v := r.URL.Query().Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return response{}, apperr.ErrInvalid.WithMessage("n must be an integer from 1 to %d", connect.MaxTriggerEvents)
		}
	}
	evs, err := e.connect.AnyTriggerEvents(c.vars["trigger_id"], n)
	if err != nil {
		return response{}, err
	}
	out := make([]eventJSON, len(evs))
	for i, ev := range evs {
		out[i] = toEventJSON(ev)
	}
	return ok(map[string]any{"data": out})
}
