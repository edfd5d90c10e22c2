package connect

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/wire"
)

func TestBuiltinCatalog(t *testing.T) {
	s := NewStore(clock.NewFake(clock.DefaultStart))
	page, err := s.ListApps(AppQuery{}, PageRequest{Limit: MaxLimit})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(page.Data), 15)
	auth := map[string]int{}
	cats := map[string]bool{}
	for _, c := range s.AppCategories() {
		assert.Regexp(t, `^appcat_[a-zA-Z0-9]+$`, c.ID)
		assert.NotEmpty(t, c.Name)
		assert.NotEmpty(t, c.Description)
		cats[c.Name] = true
	}
	for _, a := range page.Data {
		auth[a.AuthType]++
		assert.Regexp(t, `^app_[a-zA-Z0-9]+$`, a.ID)
		assert.Regexp(t, `^[a-z0-9_]+$`, a.NameSlug)
		assert.NotEmpty(t, a.Name)
		assert.NotEmpty(t, a.Description)
		assert.True(t, strings.HasPrefix(a.ImgSrc, "https://"), a.ImgSrc)
		assert.NotEmpty(t, a.Categories, a.NameSlug)
		for _, c := range a.Categories {
			assert.True(t, cats[c], "%s: category %q is listed", a.NameSlug, c)
		}
		var fields []map[string]any
		require.NoError(t, json.Unmarshal(customFieldsJSON(t, a), &fields), a.NameSlug)
		switch a.AuthType {
		case AuthKeys:
			assert.NotEmpty(t, fields, "%s: a keys app says which keys", a.NameSlug)
			for _, f := range fields {
				for _, k := range []string{"name", "label", "description", "default", "optional", "type"} {
					assert.Contains(t, f, k, "%s: custom field has Pipedream's shape", a.NameSlug)
				}
			}
		case AuthOAuth, AuthNone:
			assert.Empty(t, fields, a.NameSlug)
		}
		for _, p := range a.ScopeProfiles {
			assert.Contains(t, scopeProfileNames, p.Name)
			assert.NotEmpty(t, p.Scopes)
		}
	}
	assert.GreaterOrEqual(t, auth[AuthOAuth], 8)
	assert.GreaterOrEqual(t, auth[AuthKeys], 4)
	assert.GreaterOrEqual(t, auth[AuthNone], 2)

	slack, err := s.App("slack")
	require.NoError(t, err)
	assert.Equal(t, "app_OkrhR1", slack.ID, "Slack keeps the id Pipedream's docs show")
	byID, err := s.App("app_OkrhR1")
	require.NoError(t, err)
	assert.Equal(t, slack, byID)
	_, err = s.App("nope")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestOrderedFloat(t *testing.T) {
	vals := []float64{math.Inf(-1), -1e300, -2, -1, -0.5, -math.SmallestNonzeroFloat64, 0,
		math.SmallestNonzeroFloat64, 0.5, 1, 2, 4100, 1000000001, 1e300, math.Inf(1)}
	for i := 1; i < len(vals); i++ {
		assert.Less(t, orderedFloat(vals[i-1]), orderedFloat(vals[i]), "%v < %v", vals[i-1], vals[i])
	}
	assert.Equal(t, orderedFloat(0), orderedFloat(math.Copysign(0, -1)), "-0 sorts with 0")
}

func TestAppSortKeyDescendingReversesOrder(t *testing.T) {
	// Includes a prefix pair (ab < abc) and a tie broken by id.
	apps := []App{
		{ID: "app_1", Name: "ab", NameSlug: "ab"}, {ID: "app_2", Name: "abc", NameSlug: "abc"},
		{ID: "app_3", Name: "b", NameSlug: "b"}, {ID: "app_4", Name: "B", NameSlug: "b2"},
		{ID: "app_5", Name: "a", NameSlug: "a"},
	}
	for _, field := range []string{SortByName, SortByNameSlug} {
		asc := slices.Clone(apps)
		slices.SortFunc(asc, func(x, y App) int { return strings.Compare(appSortKey(x, field, false), appSortKey(y, field, false)) })
		desc := slices.Clone(apps)
		slices.SortFunc(desc, func(x, y App) int { return strings.Compare(appSortKey(x, field, true), appSortKey(y, field, true)) })
		var ascNames, descNames []string
		for _, a := range asc {
			ascNames = append(ascNames, strings.ToLower(a.Name))
		}
		for _, a := range desc {
			descNames = append(descNames, strings.ToLower(a.Name))
		}
		assert.True(t, slices.IsSorted(ascNames), "%s asc: %v", field, ascNames)
		slices.Reverse(descNames)
		assert.True(t, slices.IsSorted(descNames), "%s desc: %v", field, descNames)
	}
}

// pageAll follows cursors to the end and returns the slugs in order.
func pageAll(t *testing.T, s *Store, q AppQuery, limit int) []string {
	t.Helper()
	var out []string
	req := PageRequest{Limit: limit}
	for range 100 {
		page, err := s.ListApps(q, req)
		require.NoError(t, err)
		for _, a := range page.Data {
			out = append(out, a.NameSlug)
		}
		if page.PageInfo.EndCursor == nil {
			return out
		}
		after, err := decodeCursor("after", *page.PageInfo.EndCursor)
		require.NoError(t, err)
		req.After = after
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestListAppsSortAndPaginate(t *testing.T) {
	s := NewStore(clock.NewFake(clock.DefaultStart))
	all, err := s.ListApps(AppQuery{}, PageRequest{Limit: MaxLimit})
	require.NoError(t, err)
	apps := all.Data

	tests := []struct {
		key, dir string
		less     func(x, y App) int
	}{
		{"", "", func(x, y App) int { return strings.Compare(x.NameSlug, y.NameSlug) }},
		{SortByNameSlug, SortDesc, func(x, y App) int { return strings.Compare(y.NameSlug, x.NameSlug) }},
		{SortByName, SortAsc, func(x, y App) int { return strings.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name)) }},
		{SortByName, SortDesc, func(x, y App) int { return strings.Compare(strings.ToLower(y.Name), strings.ToLower(x.Name)) }},
		{SortByFeaturedWeight, SortAsc, func(x, y App) int { return cmpFloat(x.FeaturedWeight, y.FeaturedWeight) }},
		{SortByFeaturedWeight, SortDesc, func(x, y App) int { return cmpFloat(y.FeaturedWeight, x.FeaturedWeight) }},
	}
	for _, tc := range tests {
		t.Run(tc.key+" "+tc.dir, func(t *testing.T) {
			want := slices.Clone(apps)
			slices.SortStableFunc(want, tc.less)
			var wantSlugs []string
			for _, a := range want {
				wantSlugs = append(wantSlugs, a.NameSlug)
			}
			q := AppQuery{SortKey: tc.key, SortDirection: tc.dir}
			for _, limit := range []int{1, 3, 10, len(apps) - 1, len(apps), MaxLimit} {
				assert.Equal(t, wantSlugs, pageAll(t, s, q, limit), "limit %d", limit)
			}
		})
	}

	// A cursor is tied to the sort it was made with.
	page, err := s.ListApps(AppQuery{SortKey: SortByName}, PageRequest{Limit: 2})
	require.NoError(t, err)
	after, _ := decodeCursor("after", *page.PageInfo.EndCursor)
	_, err = s.ListApps(AppQuery{SortKey: SortByFeaturedWeight}, PageRequest{Limit: 2, After: after})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	_, err = s.ListApps(AppQuery{SortKey: SortByName, SortDirection: SortDesc}, PageRequest{Limit: 2, Before: after})
	assert.ErrorIs(t, err, apperr.ErrInvalid)

	// before returns the page preceding the cursor.
	p2, err := s.ListApps(AppQuery{SortKey: SortByName}, PageRequest{Limit: 2, After: after})
	require.NoError(t, err)
	before, _ := decodeCursor("before", *p2.PageInfo.StartCursor)
	p1, err := s.ListApps(AppQuery{SortKey: SortByName}, PageRequest{Limit: 2, Before: before})
	require.NoError(t, err)
	assert.Equal(t, page.Data, p1.Data)

	for _, q := range []AppQuery{{SortKey: "weight"}, {SortKey: "NAME"}, {SortDirection: "up"}, {SortDirection: "ASC"}} {
		_, err := s.ListApps(q, PageRequest{Limit: 10})
		assert.ErrorIs(t, err, apperr.ErrInvalid, "%+v", q)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestListAppsFilters(t *testing.T) {
	s := NewStore(clock.NewFake(clock.DefaultStart))
	cat := func(name string) string {
		for _, c := range s.AppCategories() {
			if c.Name == name {
				return c.ID
			}
		}
		t.Fatalf("no category %q", name)
		return ""
	}
	yes, no := true, false
	slugs := func(q AppQuery) []string {
		t.Helper()
		page, err := s.ListApps(q, PageRequest{Limit: MaxLimit})
		require.NoError(t, err)
		var out []string
		for _, a := range page.Data {
			out = append(out, a.NameSlug)
		}
		return out
	}
	assert.Equal(t, []string{"google_calendar", "google_sheets"}, slugs(AppQuery{Q: "GOOGLE "}), "name, case-insensitive")
	assert.Equal(t, []string{"salesforce_rest_api"}, slugs(AppQuery{Q: "rest_api"}), "slug")
	assert.Equal(t, []string{"discord"}, slugs(AppQuery{Q: "communities"}), "description")
	assert.Empty(t, slugs(AppQuery{Q: "no such app anywhere"}))
	assert.Equal(t, []string{"anthropic", "openai"}, slugs(AppQuery{CategoryIDs: []string{cat("Artificial Intelligence (AI)")}}))
	assert.Equal(t, []string{"anthropic", "openai", "stripe"},
		slugs(AppQuery{CategoryIDs: []string{cat("Artificial Intelligence (AI)"), cat("Payments")}}), "any of the categories")
	assert.Equal(t, []string{"schedule"}, slugs(AppQuery{HasActions: &no}))
	assert.Equal(t, []string{"anthropic", "slack_bot"}, slugs(AppQuery{HasTriggers: &no}))
	assert.Empty(t, slugs(AppQuery{HasComponents: &no}))
	assert.Len(t, slugs(AppQuery{HasComponents: &yes}), len(slugs(AppQuery{})))
	assert.Equal(t, []string{"schedule"}, slugs(AppQuery{HasTriggers: &yes, HasActions: &no, CategoryIDs: []string{cat("Developer Tools")}}))

	_, err := s.ListApps(AppQuery{CategoryIDs: []string{"appcat_nope"}}, PageRequest{Limit: 10})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestAddApp(t *testing.T) {
	s := NewStore(clock.NewFake(clock.DefaultStart))
	w := 7.5
	a, err := s.AddApp(AppSpec{NameSlug: "acme_crm", Name: "Acme CRM", AuthType: AuthKeys,
		Categories: []string{"Sales and CRM", "appcat_Pd6vTy", "Sales and CRM"}, FeaturedWeight: &w,
		CustomFields: []CustomField{{Name: "api_key", Type: "password"}, {Name: "subdomain"}},
		HasActions:   true})
	require.NoError(t, err)
	assert.Regexp(t, `^app_[a-zA-Z0-9]{6}$`, a.ID)
	assert.Equal(t, "https://assets.pipedream.net/s.v0/"+a.ID+"/logo/orig", a.ImgSrc)
	assert.Equal(t, []string{"Sales and CRM", "Productivity"}, a.Categories, "ids become names; duplicates collapse")
	assert.JSONEq(t, `[{"name":"api_key","label":"api_key","description":null,"default":null,"optional":null,"type":"password"},
		{"name":"subdomain","label":"subdomain","description":null,"default":null,"optional":null,"type":"string"}]`, string(customFieldsJSON(t, a)))
	got, err := s.App("acme_crm")
	require.NoError(t, err)
	assert.Equal(t, a, got)

	// What callers are handed is a copy.
	got.Categories[0] = "changed"
	again, _ := s.App(a.ID)
	assert.Equal(t, "Sales and CRM", again.Categories[0])

	_, err = s.AddApp(AppSpec{NameSlug: "acme_crm", Name: "Other", AuthType: AuthNone})
	assert.ErrorIs(t, err, apperr.ErrConflict)
	_, err = s.AddApp(AppSpec{ID: "app_OkrhR1", NameSlug: "slack2", Name: "Other", AuthType: AuthNone})
	assert.ErrorIs(t, err, apperr.ErrConflict)

	s.Reset()
	_, err = s.App("acme_crm")
	assert.ErrorIs(t, err, apperr.ErrNotFound, "reset brings back the built-in catalog only")
	_, err = s.App("slack")
	assert.NoError(t, err)
}

func TestAddAppBadInput(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	ok := AppSpec{NameSlug: "x", Name: "X", AuthType: AuthOAuth}
	with := func(f func(*AppSpec)) AppSpec { s := ok; f(&s); return s }
	tests := []struct {
		name string
		spec AppSpec
	}{
		{"no slug", with(func(s *AppSpec) { s.NameSlug = "" })},
		{"upper-case slug", with(func(s *AppSpec) { s.NameSlug = "Slack" })},
		{"slug with dash", with(func(s *AppSpec) { s.NameSlug = "my-app" })},
		{"slug starting with _", with(func(s *AppSpec) { s.NameSlug = "_x" })},
		{"slug of 101", with(func(s *AppSpec) { s.NameSlug = strings.Repeat("a", 101) })},
		{"no name", with(func(s *AppSpec) { s.Name = " " })},
		{"name of 201", with(func(s *AppSpec) { s.Name = strings.Repeat("n", 201) })},
		{"control character in name", with(func(s *AppSpec) { s.Name = "a\x00b" })},
		{"bad auth type", with(func(s *AppSpec) { s.AuthType = "basic" })},
		{"no auth type", with(func(s *AppSpec) { s.AuthType = "" })},
		{"bad id", with(func(s *AppSpec) { s.ID = "slack" })},
		{"id with symbols", with(func(s *AppSpec) { s.ID = "app_a-b" })},
		{"relative img_src", with(func(s *AppSpec) { s.ImgSrc = "/logo.png" })},
		{"NaN weight", with(func(s *AppSpec) { s.FeaturedWeight = &nan })},
		{"infinite weight", with(func(s *AppSpec) { s.FeaturedWeight = &inf })},
		{"unknown category", with(func(s *AppSpec) { s.Categories = []string{"Finance"} })},
		{"bad profile name", with(func(s *AppSpec) { s.ScopeProfiles = []ScopeProfile{{Name: "write"}} })},
		{"duplicate profile", with(func(s *AppSpec) {
			s.ScopeProfiles = []ScopeProfile{{Name: "read_only"}, {Name: "read_only"}}
		})},
		{"profiles on a keys app", AppSpec{NameSlug: "k", Name: "K", AuthType: AuthKeys, ScopeProfiles: []ScopeProfile{{Name: "read_only"}}}},
		{"fields on a none app", AppSpec{NameSlug: "n", Name: "N", AuthType: AuthNone, CustomFields: []CustomField{{Name: "a"}}}},
		{"bad field name", AppSpec{NameSlug: "k", Name: "K", AuthType: AuthKeys, CustomFields: []CustomField{{Name: "api key"}}}},
		{"duplicate field", AppSpec{NameSlug: "k", Name: "K", AuthType: AuthKeys, CustomFields: []CustomField{{Name: "a"}, {Name: "a"}}}},
	}
	s := NewStore(clock.NewFake(clock.DefaultStart))
	before, _ := s.ListApps(AppQuery{}, PageRequest{Limit: MaxLimit})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.AddApp(tc.spec)
			assert.ErrorIs(t, err, apperr.ErrInvalid)
		})
	}
	after, _ := s.ListApps(AppQuery{}, PageRequest{Limit: MaxLimit})
	assert.Equal(t, before.PageInfo.TotalCount, after.PageInfo.TotalCount, "refused adds add nothing")

	// Boundaries that pass.
	_, err := s.AddApp(AppSpec{NameSlug: strings.Repeat("a", 100), Name: strings.Repeat("n", 200), AuthType: AuthNone})
	assert.NoError(t, err)
	_, err = s.AddApp(AppSpec{NameSlug: "camel", Name: "C", AuthType: AuthKeys, CustomFields: []CustomField{{Name: "accountSid"}}})
	assert.NoError(t, err)
}

// customFieldsJSON is an app's custom fields as the wire writes them: the
// array inside custom_fields_json's string.
func customFieldsJSON(t *testing.T, a App) []byte {
	t.Helper()
	var fields wire.CustomFields
	for _, f := range a.Fields() {
		fields = append(fields, wire.CustomField(f))
	}
	b, err := json.Marshal(fields)
	require.NoError(t, err)
	var inner string
	require.NoError(t, json.Unmarshal(b, &inner))
	return []byte(inner)
}
