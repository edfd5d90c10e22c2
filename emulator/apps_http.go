package emulator

import (
	"net/http"

	"github.com/pdemu/pdemu/emulator/connect"
)

// STUB: replaced by the family owner.

func (e *Emulator) listApps(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) listAppCategories(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) getAppCategory(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}
func (e *Emulator) addApp(r *http.Request, c *call) (response, error) {
	return response{}, errNotImplemented
}

// appJSON is an App on the wire (the SDK's App type).
type appJSON struct {
	ID               string             `json:"id"`
	NameSlug         string             `json:"name_slug"`
	Name             string             `json:"name"`
	AuthType         string             `json:"auth_type"`
	Description      string             `json:"description"`
	ImgSrc           string             `json:"img_src"`
	CustomFieldsJSON string             `json:"custom_fields_json"`
	Categories       []string           `json:"categories"`
	FeaturedWeight   float64            `json:"featured_weight"`
	ScopeProfiles    []scopeProfileJSON `json:"scope_profiles"`
}

type scopeProfileJSON struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

func toAppJSON(a connect.App) appJSON {
	out := appJSON{ID: a.ID, NameSlug: a.NameSlug, Name: a.Name, AuthType: a.AuthType, Description: a.Description,
		ImgSrc: a.ImgSrc, CustomFieldsJSON: a.CustomFields, Categories: a.Categories, FeaturedWeight: a.FeaturedWeight,
		ScopeProfiles: []scopeProfileJSON{}}
	if out.Categories == nil {
		out.Categories = []string{}
	}
	for _, p := range a.ScopeProfiles {
		out.ScopeProfiles = append(out.ScopeProfiles, scopeProfileJSON{Name: p.Name, Scopes: p.Scopes})
	}
	return out
}
