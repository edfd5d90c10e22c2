package emulator

import (
	"net/http"
	"strings"

	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/wire"
)

// The app catalog (apps.*, appCategories.*) and the control plane's way to
// add apps to it. The catalog is global: every workspace sees the same one.

// listApps serves apps.list (and GET /v1/apps): {data, page_info}.
func (e *Emulator) listApps(r *http.Request, c *call) (response, error) {
	q := r.URL.Query()
	query := connect.AppQuery{Q: q.Get("q"), SortKey: q.Get("sort_key"), SortDirection: q.Get("sort_direction")}
	// The SDK repeats the key (category_ids=a&category_ids=b); a
	// comma-separated list is read too.
	for _, v := range q["category_ids"] {
		for id := range strings.SplitSeq(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				query.CategoryIDs = append(query.CategoryIDs, id)
			}
		}
	}
	var err error
	// In a fixed order, so that of several bad values the same one is named.
	for _, f := range []struct {
		name string
		dst  **bool
	}{{"has_components", &query.HasComponents}, {"has_actions", &query.HasActions}, {"has_triggers", &query.HasTriggers}} {
		if *f.dst, err = queryBool(q, f.name); err != nil {
			return response{}, err
		}
	}
	req, err := pageRequest(r)
	if err != nil {
		return response{}, err
	}
	page, err := e.connect.ListApps(query, req)
	if err != nil {
		return response{}, err
	}
	return ok(toPageJSON(page, toAppJSON))
}

// getApp serves apps.retrieve by id or name slug: {data: App}.
func (e *Emulator) getApp(r *http.Request, c *call) (response, error) {
	a, err := e.connect.App(c.vars["app_id"])
	if err != nil {
		return response{}, err
	}
	return ok(map[string]appJSON{"data": toAppJSON(a)})
}

// appCategoryJSON is the SDK's AppCategory.
type appCategoryJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func toAppCategoryJSON(c connect.AppCategory) appCategoryJSON {
	return appCategoryJSON{ID: c.ID, Name: c.Name, Description: c.Description}
}

// listAppCategories serves appCategories.list: a bare array, by name.
func (e *Emulator) listAppCategories(r *http.Request, c *call) (response, error) {
	cats := e.connect.AppCategories()
	out := make([]appCategoryJSON, len(cats))
	for i, cat := range cats {
		out[i] = toAppCategoryJSON(cat)
	}
	return ok(out)
}

// getAppCategory serves appCategories.retrieve: the bare category.
func (e *Emulator) getAppCategory(r *http.Request, c *call) (response, error) {
	cat, err := e.connect.AppCategory(c.vars["id"])
	if err != nil {
		return response{}, err
	}
	return ok(toAppCategoryJSON(cat))
}

// addApp serves POST /_emulator/apps: 201 with the app; 409 when its slug
// or id is taken.
func (e *Emulator) addApp(r *http.Request, c *call) (response, error) {
	var doc wire.AppSpec
	if err := decodeStrictJSON(r, &doc); err != nil {
		return response{}, err
	}
	a, err := e.connect.AddApp(connect.AppSpecFrom(doc))
	if err != nil {
		return response{}, err
	}
	return created(toAppJSON(a))
}

// appJSON is an App on the wire (the SDK's App type).
type appJSON struct {
	ID               string             `json:"id"`
	NameSlug         string             `json:"name_slug"`
	Name             string             `json:"name"`
	AuthType         string             `json:"auth_type"`
	Description      string             `json:"description"`
	ImgSrc           string             `json:"img_src"`
	CustomFieldsJSON wire.CustomFields  `json:"custom_fields_json"`
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
		ImgSrc: a.ImgSrc, Categories: a.Categories, FeaturedWeight: a.FeaturedWeight,
		ScopeProfiles: []scopeProfileJSON{}}
	if out.Categories == nil {
		out.Categories = []string{}
	}
	for _, f := range a.Fields() {
		out.CustomFieldsJSON = append(out.CustomFieldsJSON, wire.CustomField(f))
	}
	for _, p := range a.ScopeProfiles {
		scopes := p.Scopes
		if scopes == nil {
			scopes = []string{}
		}
		out.ScopeProfiles = append(out.ScopeProfiles, scopeProfileJSON{Name: p.Name, Scopes: scopes})
	}
	return out
}
