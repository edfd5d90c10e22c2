package emulator

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// connectLinkBase is where Pipedream hosts the page that connects an
// account with a Connect token; pdemu serves no such page (the flow runs in
// a browser), so the link points where the real one would.
const connectLinkBase = "https://pipedream.com/_static/connect.html"

type createTokenBody struct {
	ExternalUserID         string   `json:"external_user_id"`
	AllowedOrigins         []string `json:"allowed_origins"`
	ErrorRedirectURI       string   `json:"error_redirect_uri"`
	SuccessRedirectURI     string   `json:"success_redirect_uri"`
	WebhookURI             string   `json:"webhook_uri"`
	ExpiresIn              *int     `json:"expires_in"`
	Scope                  *string  `json:"scope"`
	AllowProgressiveScopes bool     `json:"allow_progressive_scopes"`
	AppID                  string   `json:"app_id"`
	OAuthAppID             string   `json:"oauth_app_id"`
}

// createConnectToken serves POST /v1/connect/{project_id}/tokens.
func (e *Emulator) createConnectToken(r *http.Request, c *call) (response, error) {
	var body createTokenBody
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	t, err := e.connect.CreateToken(c.access(), c.projectID, c.env, c.scopes(), connect.TokenSpec{
		ExternalUserID: body.ExternalUserID, ExpiresIn: body.ExpiresIn, Scope: body.Scope,
		AllowedOrigins: body.AllowedOrigins, SuccessRedirectURI: body.SuccessRedirectURI,
		ErrorRedirectURI: body.ErrorRedirectURI, WebhookURI: body.WebhookURI,
		AllowProgressiveScopes: body.AllowProgressiveScopes, AppID: body.AppID, OAuthAppID: body.OAuthAppID,
	})
	if err != nil {
		return response{}, err
	}
	link := url.Values{"token": {t.Token}, "connectLink": {"true"}}
	if t.AppID != "" {
		link.Set("app", t.AppID)
	}
	return ok(map[string]string{
		"token":            t.Token,
		"expires_at":       t.ExpiresAt.Format(time.RFC3339),
		"connect_link_url": connectLinkBase + "?" + link.Encode(),
	})
}

// validateTokenJSON is the SDK's ValidateTokenResponse.
type validateTokenJSON struct {
	Success bool `json:"success"`
	// Error is always sent, null on success: Pipedream's OpenAPI document
	// (https://pipedream.com/docs/connect/api-reference, tokens.validate's
	// response, as published 2026-05-22) requires the property.
	Error               *string  `json:"error"`
	App                 *appJSON `json:"app,omitempty"`
	ProjectID           string   `json:"project_id,omitempty"`
	ProjectEnvironment  string   `json:"project_environment,omitempty"`
	ProjectAppName      string   `json:"project_app_name,omitempty"`
	ProjectSupportEmail string   `json:"project_support_email,omitempty"`
	SuccessRedirectURI  string   `json:"success_redirect_uri,omitempty"`
	ErrorRedirectURI    string   `json:"error_redirect_uri,omitempty"`
	OAuthAppID          string   `json:"oauth_app_id,omitempty"`
	AppOverrideID       string   `json:"app_override_id,omitempty"`
	// AppOverrideFieldNames are the custom fields the override pre-defines,
	// which the connect page then does not ask for.
	AppOverrideFieldNames []string `json:"app_override_field_names,omitempty"`
}

// validateConnectToken serves GET /v1/connect/tokens/{ctok}/validate. It
// needs no credentials (the token is the credential) and answers 200 with
// success false for a token that cannot be used, as the SDK's type expects.
func (e *Emulator) validateConnectToken(r *http.Request, c *call) (response, error) {
	q := r.URL.Query()
	v, err := e.connect.ValidateToken(c.vars["ctok"], q.Get("app_id"), q.Get("account_id"), q.Get("app_override_id"))
	if err != nil {
		return response{}, err
	}
	out := validateTokenJSON{Success: v.Success}
	if v.Error != "" {
		out.Error = &v.Error
	}
	if v.Token.Token != "" {
		out.ProjectID = v.Token.ProjectID
		out.ProjectEnvironment = string(v.Token.Environment)
		out.ProjectAppName = v.Project.AppName
		out.ProjectSupportEmail = v.Project.SupportEmail
		out.SuccessRedirectURI = v.Token.SuccessRedirectURI
		out.ErrorRedirectURI = v.Token.ErrorRedirectURI
		out.OAuthAppID = v.Token.OAuthAppID
	}
	if oa := q.Get("oauth_app_id"); oa != "" {
		out.OAuthAppID = oa
	}
	if o := v.Override; o != nil {
		out.AppOverrideID = o.ID
		out.AppOverrideFieldNames = slices.Sorted(maps.Keys(o.Cfmap))
		if o.OAuthAppID != "" {
			out.OAuthAppID = o.OAuthAppID // the override pins the OAuth client
		}
	}
	if v.App != nil {
		a := toAppJSON(*v.App)
		out.App = &a
	}
	return ok(out)
}
