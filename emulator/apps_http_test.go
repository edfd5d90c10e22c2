package emulator_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// appWire is an App as the SDK reads it.
type appWire struct {
	ID               string   `json:"id"`
	NameSlug         string   `json:"name_slug"`
	Name             string   `json:"name"`
	AuthType         string   `json:"auth_type"`
	Description      string   `json:"description"`
	ImgSrc           string   `json:"img_src"`
	CustomFieldsJSON string   `json:"custom_fields_json"`
	Categories       []string `json:"categories"`
	FeaturedWeight   float64  `json:"featured_weight"`
	ScopeProfiles    []struct {
		Name   string   `json:"name"`
		Scopes []string `json:"scopes"`
	} `json:"scope_profiles"`
}

type appPage struct {
	Data     []appWire `json:"data"`
	PageInfo struct {
		Count       int     `json:"count"`
		TotalCount  int     `json:"total_count"`
		StartCursor *string `json:"start_cursor"`
		EndCursor   *string `json:"end_cursor"`
	} `json:"page_info"`
}

func decode[T any](t *testing.T, r testutil.Response) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(r.Body, &v), "%s", r.Body)
	return v
}

// walkApps follows end_cursor as the SDK's pager does and returns every
// app in the order served.
func walkApps(t *testing.T, srv *testutil.Server, tok, query string) []appWire {
	t.Helper()
	var out []appWire
	after := ""
	for range 50 {
		path := "/v1/connect/apps?" + query
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		r := srv.Do("GET", path, tok, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		page := decode[appPage](t, r)
		assert.Equal(t, len(page.Data), page.PageInfo.Count)
		out = append(out, page.Data...)
		if page.PageInfo.EndCursor == nil {
			assert.Equal(t, len(out), page.PageInfo.TotalCount)
			return out
		}
		after = *page.PageInfo.EndCursor
	}
	t.Fatal("the pager never ends")
	return nil
}

func slugsOf(apps []appWire) []string {
	out := []string{}
	for _, a := range apps {
		out = append(out, a.NameSlug)
	}
	return out
}

func TestAppsListOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:apps:*")

	r := srv.Do("GET", "/v1/connect/apps", tok, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	page := decode[appPage](t, r)
	assert.Len(t, page.Data, 10, "default page size")
	require.NotNil(t, page.PageInfo.EndCursor)
	assert.GreaterOrEqual(t, page.PageInfo.TotalCount, 15)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &raw))
	first := raw["data"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "name_slug", "name", "auth_type", "description", "img_src", "custom_fields_json", "categories", "featured_weight", "scope_profiles"} {
		assert.Contains(t, first, k)
	}

	all := walkApps(t, srv, tok, "limit=7")
	assert.Len(t, all, page.PageInfo.TotalCount)
	slugs := slugsOf(all)
	assert.True(t, sort.StringsAreSorted(slugs), "name_slug ascending by default: %v", slugs)

	// The /v1 alias is the same handler.
	alias := srv.Do("GET", "/v1/apps", tok, nil)
	require.Equal(t, 200, alias.Status)
	assert.JSONEq(t, string(r.Body), string(alias.Body))

	// Every sort pages to the same set, in its order.
	for _, tc := range []struct {
		query string
		check func([]appWire) bool
	}{
		{"sort_key=featured_weight&sort_direction=desc", func(a []appWire) bool {
			return slices.IsSortedFunc(a, func(x, y appWire) int { return cmpF(y.FeaturedWeight, x.FeaturedWeight) })
		}},
		{"sort_key=featured_weight&sort_direction=asc", func(a []appWire) bool {
			return slices.IsSortedFunc(a, func(x, y appWire) int { return cmpF(x.FeaturedWeight, y.FeaturedWeight) })
		}},
		{"sort_key=name&sort_direction=desc", func(a []appWire) bool {
			return slices.IsSortedFunc(a, func(x, y appWire) int { return strings.Compare(strings.ToLower(y.Name), strings.ToLower(x.Name)) })
		}},
		{"sort_key=name", func(a []appWire) bool {
			return slices.IsSortedFunc(a, func(x, y appWire) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) })
		}},
		{"sort_key=name_slug&sort_direction=desc", func(a []appWire) bool {
			return slices.IsSortedFunc(a, func(x, y appWire) int { return strings.Compare(y.NameSlug, x.NameSlug) })
		}},
	} {
		got := walkApps(t, srv, tok, tc.query+"&limit=4")
		assert.ElementsMatch(t, slugs, slugsOf(got), tc.query)
		assert.True(t, tc.check(got), "%s: %v", tc.query, slugsOf(got))
	}

	// Filters.
	cats := decode[[]map[string]string](t, srv.Do("GET", "/v1/connect/app_categories", tok, nil))
	catID := map[string]string{}
	for _, c := range cats {
		catID[c["name"]] = c["id"]
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=SHEETS", []string{"google_sheets"}},
		{"q=google%20", []string{"google_calendar", "google_sheets"}},
		{"category_ids=" + catID["Payments"], []string{"stripe"}},
		{"category_ids=" + catID["Payments"] + "&category_ids=" + catID["Artificial Intelligence (AI)"], []string{"anthropic", "openai", "stripe"}},
		{"category_ids=" + catID["Payments"] + "," + catID["Artificial Intelligence (AI)"], []string{"anthropic", "openai", "stripe"}},
		{"has_actions=false", []string{"schedule"}},
		{"has_triggers=false&q=slack", []string{"slack_bot"}},
		{"has_components=false", []string{}},
		{"has_actions=true&has_triggers=TRUE&category_ids=" + catID["Payments"], []string{"stripe"}},
		{"q=zzz-no-match", []string{}},
	} {
		assert.Equal(t, tc.want, slugsOf(walkApps(t, srv, tok, tc.query)), tc.query)
	}
}

func cmpF(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestAppsBadInput(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:apps:*")
	r := srv.Do("GET", "/v1/connect/apps?sort_key=name&limit=2", tok, nil)
	require.Equal(t, 200, r.Status)
	nameCursor := *decode[appPage](t, r).PageInfo.EndCursor

	tests := []struct {
		name, path string
		status     int
	}{
		{"unknown sort key", "/v1/connect/apps?sort_key=popularity", 400},
		{"sort key of other case", "/v1/connect/apps?sort_key=Name", 400},
		{"unknown direction", "/v1/connect/apps?sort_direction=up", 400},
		{"has_actions not a bool", "/v1/connect/apps?has_actions=yes", 400},
		{"has_triggers as 1", "/v1/connect/apps?has_triggers=1", 400},
		{"has_components empty", "/v1/connect/apps?has_components=", 400},
		{"unknown category", "/v1/connect/apps?category_ids=appcat_nope", 404},
		{"limit 0", "/v1/connect/apps?limit=0", 400},
		{"limit 101", "/v1/connect/apps?limit=101", 400},
		{"junk cursor", "/v1/connect/apps?after=%25%25", 400},
		{"cursor of another sort", "/v1/connect/apps?sort_key=featured_weight&after=" + url.QueryEscape(nameCursor), 400},
		{"unknown app", "/v1/connect/apps/nope", 404},
		{"unknown app id", "/v1/connect/apps/app_nope", 404},
		{"unknown app (alias)", "/v1/apps/nope", 404},
		{"unknown category id", "/v1/connect/app_categories/appcat_nope", 404},
		{"unknown category id (alias)", "/v1/app_categories/nope", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("GET", tc.path, tok, nil)
			assert.Equal(t, tc.status, r.Status, "%s", r.Body)
			assert.NotEmpty(t, r.JSON(t)["error"])
		})
	}
	// Boundaries that pass.
	for _, path := range []string{"/v1/connect/apps?limit=1", "/v1/connect/apps?limit=100", "/v1/connect/apps?sort_key=name&after=" + url.QueryEscape(nameCursor)} {
		assert.Equal(t, 200, srv.Do("GET", path, tok, nil).Status, path)
	}
}

func TestAppsRetrieveAndCategories(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:apps:*")

	bySlug := srv.Do("GET", "/v1/connect/apps/slack", tok, nil)
	require.Equal(t, 200, bySlug.Status, "%s", bySlug.Body)
	app := decode[struct{ Data appWire }](t, bySlug).Data
	assert.Equal(t, "app_OkrhR1", app.ID)
	assert.Equal(t, "oauth", app.AuthType)
	assert.Equal(t, []string{"Communication"}, app.Categories)
	assert.Equal(t, "[]", app.CustomFieldsJSON)
	assert.Equal(t, "https://assets.pipedream.net/s.v0/app_OkrhR1/logo/orig", app.ImgSrc)
	require.NotEmpty(t, app.ScopeProfiles)
	byID := srv.Do("GET", "/v1/connect/apps/app_OkrhR1", tok, nil)
	assert.JSONEq(t, string(bySlug.Body), string(byID.Body))

	stripe := decode[struct{ Data appWire }](t, srv.Do("GET", "/v1/apps/stripe", tok, nil)).Data
	assert.Equal(t, "keys", stripe.AuthType)
	var fields []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stripe.CustomFieldsJSON), &fields))
	require.Len(t, fields, 1)
	assert.Equal(t, "api_key", fields[0]["name"])
	assert.Equal(t, "password", fields[0]["type"])
	assert.Empty(t, stripe.ScopeProfiles)

	r := srv.Do("GET", "/v1/connect/app_categories", tok, nil)
	require.Equal(t, 200, r.Status)
	require.True(t, strings.HasPrefix(string(r.Body), "["), "a bare array: %s", r.Body)
	cats := decode[[]map[string]string](t, r)
	require.GreaterOrEqual(t, len(cats), 7)
	for _, c := range cats {
		assert.Regexp(t, `^appcat_[a-zA-Z0-9]+$`, c["id"])
		one := srv.Do("GET", "/v1/connect/app_categories/"+c["id"], tok, nil)
		require.Equal(t, 200, one.Status)
		assert.Equal(t, c, decode[map[string]string](t, one), "a bare object")
		alias := srv.Do("GET", "/v1/app_categories/"+c["id"], tok, nil)
		assert.JSONEq(t, string(one.Body), string(alias.Body))
	}
	names := []string{}
	for _, c := range cats {
		names = append(names, c["name"])
	}
	assert.True(t, sort.StringsAreSorted(names), "%v", names)
}

func TestAppsAccessByToken(t *testing.T) {
	srv := testutil.NewServer(t)
	for _, tc := range []struct {
		name   string
		tok    string
		status int
	}{
		{"OAuth connect:apps:*", srv.Token("connect:apps:*"), 200},
		{"OAuth connect:*", srv.Token("connect:*"), 200},
		{"OAuth without the scope", srv.Token("connect:accounts:read"), 403},
		{"Connect token connect:*", srv.ConnectToken("alice"), 200},
		{"Connect token without the scope", srv.ConnectToken("alice", "connect:accounts:read"), 403},
		{"no token", "", 401},
	} {
		for _, path := range []string{"/v1/connect/apps", "/v1/connect/apps/slack", "/v1/connect/app_categories", "/v1/apps"} {
			assert.Equal(t, tc.status, srv.Do("GET", path, tc.tok, nil).Status, "%s %s", tc.name, path)
		}
	}
}

func TestAddAppControlPlane(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:apps:*")
	body := map[string]any{
		"name_slug": "acme_crm", "name": "Acme CRM", "auth_type": "keys", "description": "Our CRM.",
		"categories": []string{"Sales and CRM"}, "featured_weight": 12.5,
		"custom_fields_json": `[{"name":"api_key","label":"API Key","type":"password"}]`,
		"has_actions":        true,
	}
	r := srv.Do("POST", "/_emulator/apps", "", body)
	require.Equal(t, 201, r.Status, "%s", r.Body)
	added := decode[appWire](t, r)
	assert.Regexp(t, `^app_[a-zA-Z0-9]+$`, added.ID)
	assert.Equal(t, "Acme CRM", added.Name)
	assert.Equal(t, 12.5, added.FeaturedWeight)
	assert.JSONEq(t, `[{"name":"api_key","label":"API Key","description":null,"default":null,"optional":null,"type":"password"}]`, added.CustomFieldsJSON)

	got := srv.Do("GET", "/v1/connect/apps/acme_crm", tok, nil)
	require.Equal(t, 200, got.Status)
	assert.Equal(t, added, decode[struct{ Data appWire }](t, got).Data)
	assert.Equal(t, []string{"acme_crm"}, slugsOf(walkApps(t, srv, tok, "q=acme")))

	// Accounts can be connected to it at once.
	ca := srv.Do("POST", "/_emulator/projects/"+srv.Credentials.ProjectID+"/accounts", "",
		map[string]any{"external_user_id": "alice", "app": "acme_crm", "credentials": map[string]any{"api_key": "k"}})
	assert.Equal(t, 201, ca.Status, "%s", ca.Body)

	for _, tc := range []struct {
		name   string
		body   any
		status int
	}{
		{"taken slug", map[string]any{"name_slug": "acme_crm", "name": "Again", "auth_type": "none"}, 409},
		{"built-in slug", map[string]any{"name_slug": "slack", "name": "Slack", "auth_type": "oauth"}, 409},
		{"taken id", map[string]any{"id": added.ID, "name_slug": "other", "name": "Other", "auth_type": "none"}, 409},
		{"unknown field", map[string]any{"name_slug": "x1", "name": "X", "auth_type": "none", "color": "red"}, 400},
		{"malformed", `{"name_slug":`, 400},
		{"array body", `[]`, 400},
		{"empty body", ``, 400},
		{"no name", map[string]any{"name_slug": "x2", "auth_type": "none"}, 400},
		{"bad auth_type", map[string]any{"name_slug": "x3", "name": "X", "auth_type": "basic"}, 400},
		{"bad custom_fields_json", map[string]any{"name_slug": "x4", "name": "X", "auth_type": "keys", "custom_fields_json": "{"}, 400},
		{"bad scope profile", map[string]any{"name_slug": "x5", "name": "X", "auth_type": "oauth", "scope_profiles": []map[string]any{{"name": "everything", "scopes": []string{}}}}, 400},
		{"unknown category", map[string]any{"name_slug": "x6", "name": "X", "auth_type": "none", "categories": []string{"Finance"}}, 400},
		{"weight of wrong type", map[string]any{"name_slug": "x7", "name": "X", "auth_type": "none", "featured_weight": "high"}, 400},
	} {
		r := srv.Do("POST", "/_emulator/apps", "", tc.body)
		assert.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		assert.NotEmpty(t, r.JSON(t)["error"], tc.name)
	}
	for _, slug := range []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7", "other"} {
		assert.Equal(t, 404, srv.Do("GET", "/v1/connect/apps/"+slug, tok, nil).Status, "refused %s was not added", slug)
	}

	// The Go API does the same; Reset brings back the built-in catalog.
	a, err := srv.Emulator.AddApp(emulator.AppSpec{NameSlug: "go_app", Name: "Go App", AuthType: "none"})
	require.NoError(t, err)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/apps/"+a.ID, tok, nil).Status)
	srv.Reset()
	tok = srv.Token("connect:apps:*")
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/apps/acme_crm", tok, nil).Status)
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/apps/go_app", tok, nil).Status)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/apps/slack", tok, nil).Status)
}
