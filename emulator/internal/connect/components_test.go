package connect

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

// compFixture is a store with one project and an external user "u1" who
// has a Slack account in development.
type compFixture struct {
	s       *Store
	a       Access
	project string
	slack   string // u1's Slack account (development)
	clk     *clock.Fake
}

func newCompFixture(t *testing.T) compFixture {
	t.Helper()
	s, clk := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	a := Access{WorkspaceID: "o_a"}
	acc, err := s.ConnectAccount(AccountScope{Access: a, ProjectID: p.ID, Environment: Development},
		AccountSpec{ExternalUserID: "u1", App: "slack"})
	require.NoError(t, err)
	return compFixture{s: s, a: a, project: p.ID, slack: acc.ID, clk: clk}
}

func (f compFixture) account(t *testing.T, env Environment, user, app string) string {
	t.Helper()
	acc, err := f.s.ConnectAccount(AccountScope{Access: f.a, ProjectID: f.project, Environment: env},
		AccountSpec{ExternalUserID: user, App: app})
	require.NoError(t, err)
	return acc.ID
}

func apn(id string) map[string]any { return map[string]any{"authProvisionId": id} }

func TestBuiltinComponentCatalogIsConsistent(t *testing.T) {
	s, _ := newStore(t)
	require.NotEmpty(t, builtinComponents)
	kinds := map[ComponentKind]int{}
	for _, c := range builtinComponents {
		kinds[c.Type]++
		assert.Equal(t, RegistryPublic, c.Registry, c.Key)
		_, ok := s.apps.lookup(c.App)
		assert.True(t, ok, "%s: app %q is not in the app catalog", c.Key, c.App)
		for _, p := range append(slices.Clone(c.Props), c.DynamicProps...) {
			if p.Type == "app" {
				_, ok := s.apps.lookup(p.App)
				assert.True(t, ok, "%s.%s: app %q is not in the app catalog", c.Key, p.Name, p.App)
			}
			if p.RemoteOptions {
				assert.NotEmpty(t, c.ConfigureOptions[p.Name], "%s.%s has remote options but none in the catalog", c.Key, p.Name)
			}
		}
	}
	assert.GreaterOrEqual(t, kinds[KindAction], 5)
	assert.GreaterOrEqual(t, kinds[KindTrigger], 5)
	// The control plane's strict decoding is the catalog's too.
	_, err := parseComponentCatalog([]byte(`{"components":[{"key":"x","typo":1}]}`))
	assert.Error(t, err)
}

func TestSemVer(t *testing.T) {
	valid := []string{"0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0+build.5", "1.0.0-rc.1+exp.sha.5114f85"}
	invalid := []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "v1.2.3", "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3-a..b", "1.2.x", " 1.2.3", "1.2.3-é", "99999999999999999999.0.0"}
	for _, v := range valid {
		assert.True(t, validSemVer(v), v)
	}
	for _, v := range invalid {
		assert.False(t, validSemVer(v), v)
	}
	// SemVer 2.0.0 §11's example order.
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0", "10.0.0"}
	for i := 1; i < len(order); i++ {
		assert.Equal(t, -1, compareSemVer(order[i-1], order[i]), "%s < %s", order[i-1], order[i])
		assert.Equal(t, 1, compareSemVer(order[i], order[i-1]))
	}
	assert.Equal(t, 0, compareSemVer("1.0.0", "1.0.0+build"))
}

func TestRegisterComponentValidation(t *testing.T) {
	f := newCompFixture(t)
	base := func() ComponentSpec {
		return ComponentSpec{Key: "slack-custom", Name: "Custom", Version: "1.0.0", ComponentType: KindAction,
			ConfigurableProps: []Prop{{Name: "slack", Type: "app", App: "slack"}, {Name: "text", Type: "string"}}}
	}
	tests := []struct {
		name   string
		change func(*ComponentSpec)
	}{
		{"empty key", func(s *ComponentSpec) { s.Key = "" }},
		{"key with slash", func(s *ComponentSpec) { s.Key = "a/b" }},
		{"key starting with dash", func(s *ComponentSpec) { s.Key = "-a" }},
		{"key of 101 characters", func(s *ComponentSpec) { s.Key = fmt.Sprintf("%0101d", 0) }},
		{"no name", func(s *ComponentSpec) { s.Name = " " }},
		{"bad version", func(s *ComponentSpec) { s.Version = "1.0" }},
		{"no version", func(s *ComponentSpec) { s.Version = "" }},
		{"bad component_type", func(s *ComponentSpec) { s.ComponentType = "source" }},
		{"bad id", func(s *ComponentSpec) { s.ID = "dc_abc" }},
		{"bad registry", func(s *ComponentSpec) { s.Registry = "all" }},
		{"bad stash", func(s *ComponentSpec) { s.Stash = "always" }},
		{"unknown prop type", func(s *ComponentSpec) { s.ConfigurableProps[1].Type = "text" }},
		{"prop without name", func(s *ComponentSpec) { s.ConfigurableProps[1].Name = "" }},
		{"repeated prop", func(s *ComponentSpec) { s.ConfigurableProps[1].Name = "slack" }},
		{"app prop without app", func(s *ComponentSpec) { s.ConfigurableProps[0].App = "" }},
		{"app on a string prop", func(s *ComponentSpec) { s.ConfigurableProps[1].App = "slack" }},
		{"unknown app in prop", func(s *ComponentSpec) { s.ConfigurableProps[0].App = "nope" }},
		{"unknown component app", func(s *ComponentSpec) { s.App = "nope" }},
		{"alert without content", func(s *ComponentSpec) { s.ConfigurableProps[1].Type = "alert" }},
		{"bad alertType", func(s *ComponentSpec) { s.ConfigurableProps[1].AlertType = "loud" }},
		{"bad format", func(s *ComponentSpec) { s.ConfigurableProps[1].Format = "file" }},
		{"min above max", func(s *ComponentSpec) {
			s.ConfigurableProps[1].Type, s.ConfigurableProps[1].Min, s.ConfigurableProps[1].Max = "integer", ptr(2.0), ptr(1.0)
		}},
		{"option without label", func(s *ComponentSpec) { s.ConfigurableProps[1].Options = []any{map[string]any{"value": 1}} }},
		{"option of wrong type", func(s *ComponentSpec) { s.ConfigurableProps[1].Options = []any{[]any{}} }},
		{"dynamic prop shadowing a prop", func(s *ComponentSpec) { s.DynamicProps = []Prop{{Name: "text", Type: "string"}} }},
		{"options for an unknown prop", func(s *ComponentSpec) { s.ConfigureOptions = map[string][]any{"nope": {"a"}} }},
		{"run on a trigger", func(s *ComponentSpec) { s.ComponentType, s.Run = KindTrigger, &RunResult{Ret: 1} }},
		{"observation with non-string k", func(s *ComponentSpec) { s.Run = &RunResult{Os: []map[string]any{{"k": 1.0}}} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := base()
			tc.change(&spec)
			_, err := f.s.RegisterComponent(spec)
			assert.ErrorIs(t, err, apperr.ErrInvalid)
			_, err = f.s.Component("", "slack-custom", "")
			assert.ErrorIs(t, err, apperr.ErrNotFound, "a refused registration must add nothing")
		})
	}
	t.Run("boundaries that pass", func(t *testing.T) {
		spec := base()
		spec.Key = fmt.Sprintf("k%099d", 0) // 100 characters
		spec.ConfigurableProps[1].Type, spec.ConfigurableProps[1].Min, spec.ConfigurableProps[1].Max = "integer", ptr(1.0), ptr(1.0)
		spec.DynamicProps = []Prop{{Name: "extra", Type: "string"}}
		spec.ConfigureOptions = map[string][]any{"extra": {"a", 1.0, true, map[string]any{"__lv": map[string]any{"label": "L", "value": "v"}}}}
		_, err := f.s.RegisterComponent(spec)
		require.NoError(t, err)
	})
}

func TestRegisterComponentVersionsAndReplacement(t *testing.T) {
	f := newCompFixture(t)
	spec := ComponentSpec{Key: "github-custom", Name: "Custom v1", Version: "1.0.0", ComponentType: KindAction,
		ConfigurableProps: []Prop{{Name: "github", Type: "app", App: "github"}}}
	v1, err := f.s.RegisterComponent(spec)
	require.NoError(t, err)
	assert.Regexp(t, `^sc_[A-Za-z0-9]{7}$`, v1.ID)
	assert.Equal(t, RegistryPrivate, v1.Registry, "a new key defaults to the private registry")
	assert.Equal(t, "github", v1.App, "the app comes from the first app prop")

	spec.Version, spec.Name = "1.10.0", "Custom v1.10"
	_, err = f.s.RegisterComponent(spec)
	require.NoError(t, err)
	spec.Version, spec.Name = "1.9.0", "Custom v1.9"
	_, err = f.s.RegisterComponent(spec)
	require.NoError(t, err)

	latest, err := f.s.Component(KindAction, "github-custom", "")
	require.NoError(t, err)
	assert.Equal(t, "1.10.0", latest.Version, "the newest by SemVer, not by registration")
	old, err := f.s.Component(KindAction, "github-custom", "1.0.0")
	require.NoError(t, err)
	assert.Equal(t, "Custom v1", old.Name)
	byID, err := f.s.Component("", v1.ID, "")
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", byID.Version, "an sc_ id names one version")

	_, err = f.s.Component(KindAction, "github-custom", "2.0.0")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = f.s.Component(KindAction, "github-custom", "latest")
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	_, err = f.s.Component(KindTrigger, "github-custom", "")
	assert.ErrorIs(t, err, apperr.ErrNotFound, "an action is not a trigger")

	// Replacing a version keeps its id; the registry stays unless given.
	spec.Version, spec.Name, spec.Registry = "1.0.0", "Custom v1 again", RegistryPublic
	again, err := f.s.RegisterComponent(spec)
	require.NoError(t, err)
	assert.Equal(t, v1.ID, again.ID)
	assert.Equal(t, RegistryPublic, again.Registry)

	// A built-in key re-registered stays public.
	builtin, err := f.s.RegisterComponent(ComponentSpec{Key: "slack-send-message", Name: "Send Message", Version: "0.1.3", ComponentType: KindAction})
	require.NoError(t, err)
	assert.Equal(t, RegistryPublic, builtin.Registry)
	assert.Equal(t, "sc_slkSndM", builtin.ID)

	t.Run("conflicts", func(t *testing.T) {
		_, err := f.s.RegisterComponent(ComponentSpec{Key: "github-custom", Name: "x", Version: "3.0.0", ComponentType: KindTrigger})
		assert.ErrorIs(t, err, apperr.ErrConflict, "one key, one component type")
		_, err = f.s.RegisterComponent(ComponentSpec{ID: v1.ID, Key: "other", Name: "x", Version: "1.0.0", ComponentType: KindAction})
		assert.ErrorIs(t, err, apperr.ErrConflict, "an sc_ id names one component")
	})

	t.Run("reset restores the built-in catalog", func(t *testing.T) {
		f.s.Reset()
		_, err := f.s.Component("", "github-custom", "")
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		c, err := f.s.Component("", "slack-send-message", "")
		require.NoError(t, err)
		assert.Equal(t, "Send Message", c.Name)
		assert.NotEmpty(t, c.ConfigureOptions["channel"])
	})
}

func TestListComponents(t *testing.T) {
	f := newCompFixture(t)
	_, err := f.s.RegisterComponent(ComponentSpec{Key: "slack-private-thing", Name: "Private Thing", Version: "0.0.1",
		ComponentType: KindTrigger, Description: "secret sauce", ConfigurableProps: []Prop{{Name: "slack", Type: "app", App: "slack"}}})
	require.NoError(t, err)
	keysOf := func(q ComponentQuery) []string {
		var out []string
		for _, c := range f.s.ListComponents(q, PageRequest{Limit: 100}).Data {
			out = append(out, c.Key)
		}
		return out
	}
	all := keysOf(ComponentQuery{})
	assert.True(t, slices.IsSorted(all), "ordered by key")
	assert.Len(t, all, len(builtinComponents)+1)

	tests := []struct {
		name string
		q    ComponentQuery
		want []string
	}{
		{"app by slug", ComponentQuery{App: "slack"}, []string{"slack-new-message-in-channels", "slack-private-thing", "slack-send-message"}},
		{"app by id", ComponentQuery{App: "app_OkrhR1"}, []string{"slack-new-message-in-channels", "slack-private-thing", "slack-send-message"}},
		{"app and kind", ComponentQuery{App: "slack", Kind: KindAction}, []string{"slack-send-message"}},
		{"private registry", ComponentQuery{Registry: RegistryPrivate}, []string{"slack-private-thing"}},
		{"public registry", ComponentQuery{Registry: RegistryPublic, App: "slack"}, []string{"slack-new-message-in-channels", "slack-send-message"}},
		{"q on name, any case", ComponentQuery{Q: "SEND MESS"}, []string{"slack-send-message"}},
		{"q on description", ComponentQuery{Q: "secret sauce"}, []string{"slack-private-thing"}},
		{"q on key", ComponentQuery{Q: "google_sheets-add"}, []string{"google_sheets-add-single-row"}},
		{"app-less http trigger", ComponentQuery{App: "http"}, []string{"http-new-requests"}},
		{"nothing", ComponentQuery{Q: "zzz"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, keysOf(tc.q)) })
	}

	t.Run("pages by key", func(t *testing.T) {
		var seen []string
		req := PageRequest{Limit: 5}
		for {
			p := f.s.ListComponents(ComponentQuery{}, req)
			for _, c := range p.Data {
				seen = append(seen, c.Key)
			}
			if p.PageInfo.EndCursor == nil {
				break
			}
			next, err := ParsePageRequest("5", *p.PageInfo.EndCursor, "")
			require.NoError(t, err)
			req = next
		}
		assert.Equal(t, all, seen)
	})

	for _, v := range []string{"public", "private", "all", ""} {
		_, err := ParseRegistry(v)
		assert.NoError(t, err, v)
	}
	for _, v := range []string{"Public", "none", " all"} {
		_, err := ParseRegistry(v)
		assert.ErrorIs(t, err, apperr.ErrInvalid, v)
	}
	for _, v := range []string{"Action", "actions", "source"} {
		_, err := ParseComponentKind(v)
		assert.ErrorIs(t, err, apperr.ErrInvalid, v)
	}
}

func TestConfigureProp(t *testing.T) {
	f := newCompFixture(t)
	_, err := f.s.RegisterComponent(ComponentSpec{Key: "misc-thing", Name: "Thing", Version: "1.0.0", ComponentType: KindAction,
		ConfigurableProps: []Prop{
			{Name: "remote", Type: "string", Label: "Remote", RemoteOptions: true},
			{Name: "static", Type: "string", Options: []any{"x", "y"}},
			{Name: "typed", Type: "string"},
		}})
	require.NoError(t, err)
	configure := func(id, prop, query string, page int, configured map[string]any) (ConfigureResult, error) {
		return f.s.ConfigureProp(f.a, f.project, Development, "", ConfigureRequest{
			PropsRequest: PropsRequest{ID: id, ExternalUserID: "u1", ConfiguredProps: configured},
			PropName:     prop, Query: query, Page: page,
		})
	}

	res, err := configure("slack-send-message", "channel", "", 0, map[string]any{"slack": apn(f.slack)})
	require.NoError(t, err)
	assert.Len(t, res.Options, 4)
	assert.Equal(t, map[string]any{"label": "#general", "value": "C01GENERAL0"}, res.Options[0])
	assert.Nil(t, res.StringOptions)

	res, err = configure("slack-send-message", "channel", "RAND", 0, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{map[string]any{"label": "#random", "value": "C02RANDOM00"}}, res.Options, "query filters labels, any case")

	res, err = configure("slack-send-message", "channel", "", 1, nil)
	require.NoError(t, err)
	assert.Empty(t, res.Options, "every option is on page 0")

	res, err = configure("github-create-issue", "labels", "", 0, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"bug", "documentation", "enhancement", "good first issue"}, res.StringOptions)
	assert.Equal(t, map[string]any{"label": "bug", "value": "bug"}, res.Options[0])

	res, err = configure("misc-thing", "remote", "", 0, nil)
	require.NoError(t, err)
	assert.Equal(t, []any{
		map[string]any{"label": "Remote 1", "value": "remote-1"},
		map[string]any{"label": "Remote 2", "value": "remote-2"},
		map[string]any{"label": "Remote 3", "value": "remote-3"},
	}, res.Options, "made-up options for a remote prop with none registered")
	res, err = configure("misc-thing", "static", "", 0, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "y"}, res.StringOptions)

	other := f.account(t, Development, "u2", "slack")
	bad := []struct {
		name, id, prop string
		configured     map[string]any
		want           error
	}{
		{"unknown component", "nope", "x", nil, apperr.ErrNotFound},
		{"no id", "", "x", nil, apperr.ErrInvalid},
		{"no prop name", "slack-send-message", "", nil, apperr.ErrInvalid},
		{"unknown prop", "slack-send-message", "nope", nil, apperr.ErrInvalid},
		{"app prop", "slack-send-message", "slack", nil, apperr.ErrInvalid},
		{"typed-in prop", "misc-thing", "typed", nil, apperr.ErrInvalid},
		{"another user's account", "slack-send-message", "channel", map[string]any{"slack": apn(other)}, apperr.ErrInvalid},
		{"value of the wrong type", "slack-send-message", "channel", map[string]any{"text": 5.0}, apperr.ErrInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := configure(tc.id, tc.prop, "", 0, tc.configured)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	_, err = f.s.ConfigureProp(f.a, f.project, Development, KindTrigger, ConfigureRequest{
		PropsRequest: PropsRequest{ID: "slack-send-message", ExternalUserID: "u1"}, PropName: "channel"})
	assert.ErrorIs(t, err, apperr.ErrNotFound, "an action through the triggers endpoint")
	_, err = f.s.ConfigureProp(f.a, f.project, Development, "", ConfigureRequest{
		PropsRequest: PropsRequest{ID: "slack-send-message", ExternalUserID: "u1"}, PropName: "channel", Page: -1})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
}

func TestReloadProps(t *testing.T) {
	f := newCompFixture(t)
	sheets := f.account(t, Development, "u1", "google_sheets")
	reload := func(configured map[string]any) DynamicProps {
		t.Helper()
		d, err := f.s.ReloadProps(f.a, f.project, Development, KindAction, PropsRequest{
			ID: "google_sheets-add-single-row", ExternalUserID: "u1", ConfiguredProps: configured})
		require.NoError(t, err)
		assert.Regexp(t, `^dyp_[A-Za-z0-9]{7}$`, d.ID)
		return d
	}
	propNames := func(ps []Prop) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name)
		}
		return out
	}
	before := reload(map[string]any{"googleSheets": apn(sheets)})
	assert.Equal(t, []string{"googleSheets", "sheetId", "worksheetId"}, propNames(before.Props), "no dynamic props until the reloadProps prop is set")
	after := reload(map[string]any{"googleSheets": apn(sheets), "sheetId": "s", "worksheetId": 0.0})
	assert.Equal(t, []string{"googleSheets", "sheetId", "worksheetId", "A", "B", "C"}, propNames(after.Props))

	t.Run("run with the dynamic props", func(t *testing.T) {
		out, err := f.s.RunAction(f.a, f.project, Development, RunRequest{PropsRequest: PropsRequest{
			ID: "google_sheets-add-single-row", ExternalUserID: "u1", DynamicPropsID: after.ID,
			ConfiguredProps: map[string]any{"googleSheets": apn(sheets), "sheetId": "s", "worksheetId": 0.0, "A": "Ada"},
		}})
		require.NoError(t, err)
		assert.Equal(t, "Ada", out.Ret.(map[string]any)["configured_props"].(map[string]any)["A"])
	})
	t.Run("a dyp id is the user's own", func(t *testing.T) {
		_, err := f.s.RunAction(f.a, f.project, Development, RunRequest{PropsRequest: PropsRequest{
			ID: "google_sheets-add-single-row", ExternalUserID: "u2", DynamicPropsID: after.ID}})
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, err = f.s.RunAction(f.a, f.project, Development, RunRequest{PropsRequest: PropsRequest{
			ID: "slack-send-message", ExternalUserID: "u1", DynamicPropsID: after.ID}})
		assert.ErrorIs(t, err, apperr.ErrInvalid, "and its component's own")
		_, err = f.s.RunAction(f.a, f.project, Development, RunRequest{PropsRequest: PropsRequest{
			ID: "google_sheets-add-single-row", ExternalUserID: "u1", DynamicPropsID: "dyp_nope"}})
		assert.ErrorIs(t, err, apperr.ErrInvalid)
	})
	t.Run("a user keeps the newest 100", func(t *testing.T) {
		first := reload(nil)
		for range maxDynamicPerUser - 1 {
			reload(nil)
		}
		assert.Contains(t, f.s.dynamic.byID, first.ID, "100 kept")
		reload(nil)
		assert.NotContains(t, f.s.dynamic.byID, first.ID, "the 101st evicts the oldest")
		assert.Equal(t, maxDynamicPerUser, f.s.dynamic.count(userKey{f.project, Development, "u1"}))
	})
	t.Run("deleting the user drops them", func(t *testing.T) {
		require.NoError(t, f.s.DeleteUser(f.a, f.project, Development, "u1"))
		assert.Empty(t, f.s.dynamic.byID)
	})
}

func TestRunActionChecksConfiguration(t *testing.T) {
	f := newCompFixture(t)
	openai := f.account(t, Development, "u1", "openai")
	prodSlack := f.account(t, Production, "u1", "slack")
	otherSlack := f.account(t, Development, "u2", "slack")
	run := func(id string, configured map[string]any) (RunOutput, error) {
		return f.s.RunAction(f.a, f.project, Development, RunRequest{PropsRequest: PropsRequest{
			ID: id, ExternalUserID: "u1", ConfiguredProps: configured}})
	}
	chat := func(extra map[string]any) map[string]any {
		m := map[string]any{"openai": apn(openai), "userMessage": "hi"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		id         string
		configured map[string]any
		wantErr    error
	}{
		{"complete", "openai-chat", chat(nil), nil},
		{"missing required prop", "openai-chat", map[string]any{"openai": apn(openai)}, apperr.ErrInvalid},
		{"missing app prop", "openai-chat", map[string]any{"userMessage": "hi"}, apperr.ErrInvalid},
		{"null counts as missing", "openai-chat", chat(map[string]any{"userMessage": nil}), apperr.ErrInvalid},
		{"app prop not an object", "openai-chat", chat(map[string]any{"openai": "apn_x"}), apperr.ErrInvalid},
		{"unknown account", "openai-chat", chat(map[string]any{"openai": apn("apn_nope")}), apperr.ErrInvalid},
		{"account of another app", "slack-send-message", map[string]any{"slack": apn(openai), "channel": "C1", "text": "t"}, apperr.ErrInvalid},
		{"account of another user", "slack-send-message", map[string]any{"slack": apn(otherSlack), "channel": "C1", "text": "t"}, apperr.ErrInvalid},
		{"account of another environment", "slack-send-message", map[string]any{"slack": apn(prodSlack), "channel": "C1", "text": "t"}, apperr.ErrInvalid},
		{"labelled value", "slack-send-message", map[string]any{"slack": apn(f.slack), "channel": map[string]any{"__lv": map[string]any{"label": "#general", "value": "C1"}}, "text": "t"}, nil},
		{"labelled value of the wrong type", "slack-send-message", map[string]any{"slack": apn(f.slack), "channel": map[string]any{"__lv": map[string]any{"label": "x", "value": 1.0}}, "text": "t"}, apperr.ErrInvalid},
		{"string prop given a number", "openai-chat", chat(map[string]any{"userMessage": 1.0}), apperr.ErrInvalid},
		{"integer at min", "openai-chat", chat(map[string]any{"maxTokens": 1.0}), nil},
		{"integer below min", "openai-chat", chat(map[string]any{"maxTokens": 0.0}), apperr.ErrInvalid},
		{"integer at max", "openai-chat", chat(map[string]any{"maxTokens": 128000.0}), nil},
		{"integer above max", "openai-chat", chat(map[string]any{"maxTokens": 128001.0}), apperr.ErrInvalid},
		{"fraction for an integer", "openai-chat", chat(map[string]any{"maxTokens": 1.5}), apperr.ErrInvalid},
		{"string for an integer", "openai-chat", chat(map[string]any{"maxTokens": "5"}), apperr.ErrInvalid},
		{"boolean", "slack-send-message", map[string]any{"slack": apn(f.slack), "channel": "C1", "text": "t", "mrkdwn": "yes"}, apperr.ErrInvalid},
		{"string array", "gmail-send-email", map[string]any{"gmail": apn(f.account(t, Development, "u1", "gmail")), "to": []any{"a@b.c", 1.0}, "subject": "s", "body": "b"}, apperr.ErrInvalid},
		{"lone string for a string array", "gmail-send-email", map[string]any{"gmail": apn(f.account(t, Development, "u1", "gmail")), "to": "a@b.c", "subject": "s", "body": "b"}, nil},
		{"unknown props are ignored", "openai-chat", chat(map[string]any{"nope": []any{}}), nil},
		{"a trigger", "slack-new-message-in-channels", nil, apperr.ErrNotFound},
		{"unknown component", "nope", nil, apperr.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(tc.id, tc.configured)
			if tc.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
	t.Run("missing props are all named", func(t *testing.T) {
		_, err := run("slack-send-message", nil)
		ae := apperr.As(err)
		assert.Equal(t, []string{"slack", "channel", "text"}, ae.Details["missing_props"])
		assert.Contains(t, ae.Message, "slack, channel, text")
	})
}

func TestRunActionResults(t *testing.T) {
	f := newCompFixture(t)
	_, err := f.s.RegisterComponent(ComponentSpec{Key: "misc-echo", Name: "Echo", Version: "1.0.0", ComponentType: KindAction,
		ConfigurableProps: []Prop{{Name: "token", Type: "string", Secret: true, Optional: true}, {Name: "msg", Type: "string"}}})
	require.NoError(t, err)
	_, err = f.s.RegisterComponent(ComponentSpec{Key: "misc-canned", Name: "Canned", Version: "1.0.0", ComponentType: KindAction,
		Stash: StashRequired,
		Run: &RunResult{Exports: map[string]any{"$summary": "done"}, Ret: map[string]any{"id": 42.0},
			Os: []map[string]any{{"msg": "hello"}, {"k": "error", "msg": "careful", "ts": 7.0}}}})
	require.NoError(t, err)
	run := func(id string, configured map[string]any, stash string, newStash bool) RunOutput {
		t.Helper()
		out, err := f.s.RunAction(f.a, f.project, Development, RunRequest{
			PropsRequest: PropsRequest{ID: id, ExternalUserID: "u1", ConfiguredProps: configured},
			StashID:      stash, NewStash: newStash})
		require.NoError(t, err)
		return out
	}

	out := run("misc-echo", map[string]any{"token": "s3cret", "msg": "hi"}, "", false)
	assert.Equal(t, map[string]any{
		"component": "misc-echo", "version": "1.0.0", "external_user_id": "u1",
		"configured_props": map[string]any{"msg": "hi"},
	}, out.Ret, "the default echoes the input, secrets left out")
	assert.Equal(t, map[string]any{"$summary": "Ran Echo"}, out.Exports)
	assert.Empty(t, out.Os)
	assert.Empty(t, out.StashID)

	out = run("misc-canned", nil, "", false)
	assert.Equal(t, map[string]any{"id": 42.0}, out.Ret)
	assert.Equal(t, map[string]any{"$summary": "done"}, out.Exports)
	assert.Equal(t, []map[string]any{
		{"k": "console.log", "msg": "hello", "ts": f.s.clock.Now().UnixMilli()},
		{"k": "error", "msg": "careful", "ts": 7.0},
	}, out.Os, "registered observations get a kind and the run's time")
	assert.Regexp(t, `^[0-9a-f]{32}$`, out.StashID, "a required stash is made")

	assert.Regexp(t, `^[0-9a-f]{32}$`, run("misc-echo", map[string]any{"msg": "x"}, "", true).StashID)
	assert.Equal(t, "d4ffb5b1081d3aacd2929f23f270237d", run("misc-echo", map[string]any{"msg": "x"}, "d4ffb5b1081d3aacd2929f23f270237d", false).StashID)
}
