package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// Connected accounts (apn_…): the SDK's accounts.* methods and the control
// plane's way to connect one without a browser.

// accountJSON is the SDK's Account. Times are ISO 8601; credentials appear
// only when asked for and allowed (connect.ShowsCredentials).
type accountJSON struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	ExternalID       string   `json:"external_id"`
	Healthy          bool     `json:"healthy"`
	Dead             bool     `json:"dead"`
	App              appJSON  `json:"app"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
	AuthorizedScopes []string `json:"authorized_scopes"`
	// Credentials is nil (and so left out) unless shown.
	Credentials map[string]any `json:"credentials,omitempty"`
	// ExpiresAt is left out when the account has none: Pipedream's OpenAPI
	// document (https://pipedream.com/docs/connect/api-reference, schema
	// Account, as published 2026-05-22) types expires_at as a date-time
	// string and does not allow null. It is sent when set.
	ExpiresAt       *string `json:"expires_at,omitempty"`
	Error           *string `json:"error"`
	LastRefreshedAt *string `json:"last_refreshed_at"`
	NextRefreshAt   *string `json:"next_refresh_at"`
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func isoTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := isoTime(*t)
	return &s
}

func toAccountJSON(a connect.Account, withCredentials bool) accountJSON {
	out := accountJSON{
		ID: a.ID, Name: a.Name, ExternalID: a.ExternalUserID, Healthy: a.Healthy, Dead: a.Dead,
		App: toAppJSON(a.App), CreatedAt: isoTime(a.CreatedAt), UpdatedAt: isoTime(a.UpdatedAt),
		AuthorizedScopes: a.AuthorizedScopes,
		ExpiresAt:        isoTimePtr(a.ExpiresAt), LastRefreshedAt: isoTimePtr(a.LastRefreshedAt),
		NextRefreshAt: isoTimePtr(a.NextRefreshAt),
	}
	if out.AuthorizedScopes == nil {
		out.AuthorizedScopes = []string{}
	}
	if a.Error != "" {
		out.Error = &a.Error
	}
	if withCredentials {
		out.Credentials = a.Credentials
		if out.Credentials == nil {
			out.Credentials = map[string]any{}
		}
	}
	return out
}

// accountScope is what the caller reaches: the request's project
// environment, and for a Connect token only its own user's accounts.
func (c *call) accountScope() connect.AccountScope {
	return connect.AccountScope{Access: c.access(), ProjectID: c.projectID, Environment: c.env}
}

// accountWriter returns the function that puts an account on the wire for
// this caller: with credentials when include_credentials=true asked for
// them and the rule allows it.
func accountWriter(r *http.Request, c *call) (func(connect.Account) accountJSON, error) {
	want, err := queryBool(r.URL.Query(), "include_credentials")
	if err != nil {
		return nil, err
	}
	ct := c.connectToken != nil
	return func(a connect.Account) accountJSON {
		return toAccountJSON(a, want != nil && *want && connect.ShowsCredentials(a, ct))
	}, nil
}

// listAccounts serves accounts.list: {data, page_info}, oldest first.
func (e *Emulator) listAccounts(r *http.Request, c *call) (response, error) {
	user, err := c.actingFor(r, false)
	if err != nil {
		return response{}, err
	}
	write, err := accountWriter(r, c)
	if err != nil {
		return response{}, err
	}
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	q := r.URL.Query()
	page, err := e.connect.ListAccounts(c.accountScope(), connect.AccountFilter{
		ExternalUserID: user, App: q.Get("app"), OAuthAppID: q.Get("oauth_app_id"),
	}, req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, write))
}

// createAccountBody is the SDK's CreateAccountOpts.
type createAccountBody struct {
	AppSlug       string `json:"app_slug"`
	CfmapJSON     string `json:"cfmap_json"`
	ConnectToken  string `json:"connect_token"`
	Name          string `json:"name"`
	AccountID     string `json:"account_id"`
	AppOverrideID string `json:"app_override_id"`
}

// createAccount serves accounts.create (Connect token only): it connects
// an account for the token's user with the credentials of cfmap_json, or
// with account_id replaces those of one they have. The token is then used
// up: any later request with it is a 401.
func (e *Emulator) createAccount(r *http.Request, c *call) (response, error) {
	var body createAccountBody
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	for _, f := range []struct{ name, v string }{
		{"app_slug", body.AppSlug}, {"cfmap_json", body.CfmapJSON}, {"connect_token", body.ConnectToken},
	} {
		if f.v == "" {
			return response{}, apperr.ErrInvalid.WithMessage("%s is required", f.name)
		}
	}
	if !connect.SameToken(body.ConnectToken, c.connectToken.Token) {
		return response{}, apperr.ErrInvalid.WithMessage("connect_token must be the Connect token this request is authorized with")
	}
	user, err := c.actingFor(r, false)
	if err != nil {
		return response{}, err
	}
	creds, err := parseCfmap(body.CfmapJSON)
	if err != nil {
		return response{}, err
	}
	acc, err := e.connect.CreateAccountWithToken(c.connectToken.Token, connect.AccountSpec{
		ExternalUserID: user, App: body.AppSlug, Name: body.Name, Credentials: creds,
		OAuthAppID: r.URL.Query().Get("oauth_app_id"), AppOverrideID: body.AppOverrideID,
		ReplaceID: body.AccountID,
	})
	if err != nil {
		return response{}, err
	}
	return ok(toAccountJSON(acc, false))
}

// parseCfmap reads cfmap_json: a string holding one JSON object.
func parseCfmap(s string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return nil, apperr.ErrInvalid.WithMessage(`cfmap_json must be a string holding a JSON object, such as "{\"api_key\":\"…\"}"`)
	}
	return m, nil
}

// getAccount serves accounts.retrieve: the bare Account.
func (e *Emulator) getAccount(r *http.Request, c *call) (response, error) {
	write, err := accountWriter(r, c)
	if err != nil {
		return response{}, err
	}
	acc, err := e.connect.GetAccount(c.accountScope(), c.vars["account_id"])
	if err != nil {
		return response{}, err
	}
	return ok(write(acc))
}

// deleteAccount serves accounts.delete: 204.
func (e *Emulator) deleteAccount(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteAccount(c.accountScope(), c.vars["account_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

// deleteAccountsByApp serves accounts.deleteByApp: every account of the
// app (id or slug; or an oa_ custom OAuth client's) in the project
// environment goes, only the caller's own for a Connect token. 204 even
// when there were none.
func (e *Emulator) deleteAccountsByApp(r *http.Request, c *call) (response, error) {
	if _, err := e.connect.DeleteAccountsByApp(c.accountScope(), c.vars["app_id"]); err != nil {
		return response{}, err
	}
	return noContent()
}

// listUserAccounts serves accounts.listByExternalUser: a bare array.
func (e *Emulator) listUserAccounts(r *http.Request, c *call) (response, error) {
	write, err := accountWriter(r, c)
	if err != nil {
		return response{}, err
	}
	accs, err := e.connect.UserAccounts(c.accountScope(), c.vars["external_user_id"], r.URL.Query().Get("app"))
	if err != nil {
		return response{}, err
	}
	out := make([]accountJSON, len(accs))
	for i, a := range accs {
		out[i] = write(a)
	}
	return ok(out)
}

// connectAccountBody is the control plane's account to connect.
type connectAccountBody struct {
	ExternalUserID   string         `json:"external_user_id"`
	App              string         `json:"app"`
	Environment      string         `json:"environment"`
	Name             string         `json:"name"`
	Credentials      map[string]any `json:"credentials"`
	AuthorizedScopes []string       `json:"authorized_scopes"`
	OAuthAppID       string         `json:"oauth_app_id"`
	AppOverrideID    string         `json:"app_override_id"`
	Healthy          *bool          `json:"healthy"`
	Dead             *bool          `json:"dead"`
	Error            string         `json:"error"`
}

// connectAccount serves POST /_emulator/projects/{project_id}/accounts:
// 201 with the account, credentials included.
func (e *Emulator) connectAccount(r *http.Request, c *call) (response, error) {
	var body connectAccountBody
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.ExternalUserID == "" || body.App == "" {
		return response{}, apperr.ErrInvalid.WithMessage("external_user_id and app (an app id or name slug) are required")
	}
	acc, err := e.connectAccountSpec(c.vars["project_id"], body.Environment, connect.AccountSpec{
		ExternalUserID: body.ExternalUserID, App: body.App, Name: body.Name, Credentials: body.Credentials,
		AuthorizedScopes: body.AuthorizedScopes, OAuthAppID: body.OAuthAppID, AppOverrideID: body.AppOverrideID,
		Healthy: body.Healthy, Dead: body.Dead, Error: body.Error,
	})
	if err != nil {
		return response{}, err
	}
	return created(toAccountJSON(acc, true))
}

// connectAccountSpec connects an account in any project, as the control
// plane may; callers hold resetMu.
func (e *Emulator) connectAccountSpec(projectID, environment string, spec connect.AccountSpec) (connect.Account, error) {
	sc, err := e.controlScope(projectID, environment)
	if err != nil {
		return connect.Account{}, err
	}
	return e.connect.ConnectAccount(sc, spec)
}
