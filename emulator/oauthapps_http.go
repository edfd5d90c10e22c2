package emulator

import (
	"net/http"
	"time"

	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// Adapters for custom OAuth clients (…/oauth_apps) and app overrides
// (…/app_overrides): OAuth only, per project (both environments see the
// same ones). Shapes follow the SDK's OauthApp and AppOverride types:
// ISO 8601 times, bare objects for single items, {data, page_info} lists.

// oauthAppJSON is the SDK's OauthApp: the app's fields merged with the
// client's own. The client's id shadows the app's (the outer field wins in
// encoding/json), and name and description fall back to the app's. There
// is no client_secret field: the secret is write-only.
type oauthAppJSON struct {
	appJSON
	ID               string   `json:"id"`
	ClientID         string   `json:"client_id"`
	Scopes           []string `json:"scopes"`
	AdditionalScopes []string `json:"additional_scopes"`
	RedirectURI      string   `json:"redirect_uri"`
	OwnerID          string   `json:"owner_id"`
	CreatedAt        string   `json:"created_at"`
	UpdatedAt        string   `json:"updated_at"`
}

// oauthAppTimestamp is the ISO 8601 form these resources use.
func oauthAppTimestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func toOAuthAppJSON(o connect.OAuthApp) oauthAppJSON {
	app := toAppJSON(o.App)
	app.Name, app.Description = o.DisplayName(), o.DisplayDescription()
	out := oauthAppJSON{appJSON: app, ID: o.ID, ClientID: o.ClientID, Scopes: o.Scopes,
		AdditionalScopes: o.AdditionalScopes, RedirectURI: o.RedirectURI(), OwnerID: o.OwnerID,
		CreatedAt: oauthAppTimestamp(o.CreatedAt), UpdatedAt: oauthAppTimestamp(o.UpdatedAt)}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if out.AdditionalScopes == nil {
		out.AdditionalScopes = []string{}
	}
	return out
}

// oauthAppBody is the create (CreateOauthAppOpts) and update
// (UpdateOauthAppOpts) body; pointers tell "absent" from "empty". app is
// read on create only.
type oauthAppBody struct {
	App              *string   `json:"app"`
	ClientID         *string   `json:"client_id"`
	ClientSecret     *string   `json:"client_secret"`
	Name             *string   `json:"name"`
	Description      *string   `json:"description"`
	Scopes           *[]string `json:"scopes"`
	AdditionalScopes *[]string `json:"additional_scopes"`
}

func (b oauthAppBody) spec() connect.OAuthAppSpec {
	spec := connect.OAuthAppSpec{ClientID: b.ClientID, ClientSecret: b.ClientSecret, Name: b.Name,
		Description: b.Description, Scopes: b.Scopes, AdditionalScopes: b.AdditionalScopes}
	if b.App != nil {
		spec.App = *b.App
	}
	return spec
}

func (e *Emulator) listOAuthApps(r *http.Request, c *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	q := r.URL.Query()
	page, err := e.connect.ListOAuthApps(c.access(), c.projectID, q.Get("app"), q.Get("q"), req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toOAuthAppJSON))
}

// createOAuthApp answers 201 with the bare OauthApp (the SDK takes any 2xx).
func (e *Emulator) createOAuthApp(r *http.Request, c *call) (response, error) {
	var body oauthAppBody
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	o, err := e.connect.CreateOAuthApp(c.access(), c.projectID, body.spec())
	if err != nil {
		return response{}, err
	}
	return created(toOAuthAppJSON(o))
}

func (e *Emulator) getOAuthApp(r *http.Request, c *call) (response, error) {
	o, err := e.connect.OAuthApp(c.access(), c.projectID, c.vars["id"])
	if err != nil {
		return response{}, err
	}
	return ok(toOAuthAppJSON(o))
}

// updateOAuthApp is a partial update despite the PUT: every field of
// UpdateOauthAppOpts is optional, and absent ones stay as they are.
func (e *Emulator) updateOAuthApp(r *http.Request, c *call) (response, error) {
	var body oauthAppBody
	if err := decodeJSON(r, &body); err != nil {
		return response{}, err
	}
	o, err := e.connect.UpdateOAuthApp(c.access(), c.projectID, c.vars["id"], body.spec())
	if err != nil {
		return response{}, err
	}
	return ok(toOAuthAppJSON(o))
}

func (e *Emulator) deleteOAuthApp(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteOAuthApp(c.access(), c.projectID, c.vars["id"]); err != nil {
		return response{}, err
	}
	return noContent()
}
