package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
)

// appOverrideJSON is the SDK's AppOverride. oauth_app_id is null when the
// override selects no custom OAuth client.
type appOverrideJSON struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	App        appJSON        `json:"app"`
	OAuthAppID *string        `json:"oauth_app_id"`
	Cfmap      map[string]any `json:"cfmap"`
	OwnerID    string         `json:"owner_id"`
	CreatedAt  string         `json:"created_at"`
	UpdatedAt  string         `json:"updated_at"`
}

func toAppOverrideJSON(o connect.AppOverride) appOverrideJSON {
	out := appOverrideJSON{ID: o.ID, Name: o.Name, App: toAppJSON(o.App), Cfmap: o.Cfmap, OwnerID: o.OwnerID,
		CreatedAt: oauthAppTimestamp(o.CreatedAt), UpdatedAt: oauthAppTimestamp(o.UpdatedAt)}
	if o.OAuthAppID != "" {
		id := o.OAuthAppID
		out.OAuthAppID = &id
	}
	if out.Cfmap == nil {
		out.Cfmap = map[string]any{}
	}
	return out
}

// appOverrideBody is CreateAppOverrideOpts / UpdateAppOverrideOpts. The
// nullable fields stay raw so that null ("clear it", as the SDK documents
// for oauth_app_id) is told apart from absent ("leave it").
type appOverrideBody struct {
	App        *string         `json:"app"`
	Name       *string         `json:"name"`
	OAuthAppID json.RawMessage `json:"oauth_app_id"`
	Cfmap      json.RawMessage `json:"cfmap"`
}

// oauthRawNull is JSON null, as a raw field holds it.
var oauthRawNull = []byte("null")

func (b appOverrideBody) spec() (connect.AppOverrideSpec, error) {
	spec := connect.AppOverrideSpec{Name: b.Name}
	if b.App != nil {
		spec.App = *b.App
	}
	switch {
	case b.OAuthAppID == nil:
	case bytes.Equal(b.OAuthAppID, oauthRawNull):
		spec.OAuthAppID = new(string)
	default:
		var id string
		if err := json.Unmarshal(b.OAuthAppID, &id); err != nil {
			return spec, apperr.ErrInvalid.WithMessage("oauth_app_id must be a string or null")
		}
		spec.OAuthAppID = &id
	}
	switch {
	case b.Cfmap == nil:
	case bytes.Equal(b.Cfmap, oauthRawNull):
		spec.Cfmap = &map[string]any{}
	default:
		// UseNumber keeps numbers exactly as sent (no float64 rounding).
		dec := json.NewDecoder(bytes.NewReader(b.Cfmap))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return spec, apperr.ErrInvalid.WithMessage("cfmap must be a JSON object")
		}
		spec.Cfmap = &m
	}
	return spec, nil
}

func decodeAppOverrideBody(r *http.Request) (connect.AppOverrideSpec, error) {
	var body appOverrideBody
	if err := decodeJSON(r, &body); err != nil {
		return connect.AppOverrideSpec{}, err
	}
	return body.spec()
}

func (e *Emulator) listAppOverrides(r *http.Request, c *call) (response, error) {
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListAppOverrides(c.access(), c.projectID, r.URL.Query().Get("app"), req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toAppOverrideJSON))
}

// createAppOverride answers 201 with the bare AppOverride.
func (e *Emulator) createAppOverride(r *http.Request, c *call) (response, error) {
	spec, err := decodeAppOverrideBody(r)
	if err != nil {
		return response{}, err
	}
	o, err := e.connect.CreateAppOverride(c.access(), c.projectID, spec)
	if err != nil {
		return response{}, err
	}
	return created(toAppOverrideJSON(o))
}

func (e *Emulator) getAppOverride(r *http.Request, c *call) (response, error) {
	o, err := e.connect.AppOverride(c.access(), c.projectID, c.vars["id"])
	if err != nil {
		return response{}, err
	}
	return ok(toAppOverrideJSON(o))
}

// updateAppOverride is a partial update, like updateOAuthApp; cfmap, when
// sent, replaces the values as a whole.
func (e *Emulator) updateAppOverride(r *http.Request, c *call) (response, error) {
	spec, err := decodeAppOverrideBody(r)
	if err != nil {
		return response{}, err
	}
	o, err := e.connect.UpdateAppOverride(c.access(), c.projectID, c.vars["id"], spec)
	if err != nil {
		return response{}, err
	}
	return ok(toAppOverrideJSON(o))
}

func (e *Emulator) deleteAppOverride(r *http.Request, c *call) (response, error) {
	if err := e.connect.DeleteAppOverride(c.access(), c.projectID, c.vars["id"]); err != nil {
		return response{}, err
	}
	return noContent()
}
