package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// okRule is a valid rule that tests vary one field of.
func okRule() Rule {
	return Rule{Route: "accounts.*", Key: KeyProject, Limit: 10, Window: time.Minute}
}

func TestProfile(t *testing.T) {
	off, err := Profile(ProfileOff)
	require.NoError(t, err)
	assert.Nil(t, off)

	pd, err := Profile(ProfilePipedream)
	require.NoError(t, err)
	want := []struct {
		name   string
		key    Key
		limit  int
		window time.Duration
	}{
		{"connect-tokens", KeyExternalUser, 100, time.Minute},
		{"accounts", KeyProject, 2000, 5 * time.Minute},
		{"list-tools", KeyProject, 3000, 5 * time.Minute},
		{"tool-execution", KeyProject, 2000, 5 * time.Minute},
		{"proxy", KeyProject, 1000, 5 * time.Minute},
	}
	require.Len(t, pd, len(want))
	for i, w := range want {
		assert.Equal(t, w.name, pd[i].Name)
		assert.Equal(t, w.key, pd[i].Key, w.name)
		assert.Equal(t, w.limit, pd[i].Limit, w.name)
		assert.Equal(t, w.window, pd[i].Window, w.name)
	}
	_, rules, err := resolve(Config{Rules: pd})
	require.NoError(t, err, "the profile passes the validation users' rules do")
	assert.Len(t, rules, len(pd))

	pd[0].Limit = 1
	again, _ := Profile(ProfilePipedream)
	assert.Equal(t, 100, again[0].Limit, "Profile returns a fresh slice each time")

	for _, name := range []string{"", "custom", "Pipedream", "strict"} {
		_, err := Profile(name)
		assert.ErrorIs(t, err, apperr.ErrInvalid, name)
	}
}

func TestResolveProfiles(t *testing.T) {
	pd, _ := Profile(ProfilePipedream)
	tests := []struct {
		name        string
		cfg         Config
		wantProfile string
		wantRules   int
		wantErr     string
	}{
		{name: "zero config is off", cfg: Config{}, wantProfile: ProfileOff},
		{name: "off", cfg: Config{Profile: ProfileOff}, wantProfile: ProfileOff},
		{name: "pipedream fills in its rules", cfg: Config{Profile: ProfilePipedream}, wantProfile: ProfilePipedream, wantRules: len(pd)},
		{name: "rules without a profile are custom", cfg: Config{Rules: []Rule{okRule()}}, wantProfile: ProfileCustom, wantRules: 1},
		{name: "custom", cfg: Config{Profile: ProfileCustom, Rules: []Rule{okRule(), okRule()}}, wantProfile: ProfileCustom, wantRules: 2},
		{name: "custom without rules is off", cfg: Config{Profile: ProfileCustom}, wantProfile: ProfileOff},
		{name: "pipedream takes no rules", cfg: Config{Profile: ProfilePipedream, Rules: []Rule{okRule()}}, wantErr: `profile "pipedream" takes no rules`},
		{name: "off takes no rules", cfg: Config{Profile: ProfileOff, Rules: []Rule{okRule()}}, wantErr: `profile "off" takes no rules`},
		{name: "unknown profile", cfg: Config{Profile: "strict"}, wantErr: `profile must be "off", "pipedream" or "custom", not "strict"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			profile, rules, err := resolve(tc.cfg)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantProfile, profile)
			assert.Len(t, rules, tc.wantRules)
		})
	}
}

func TestResolveNames(t *testing.T) {
	named := okRule()
	named.Name = "mine"
	_, rules, err := resolve(Config{Rules: []Rule{okRule(), named, okRule()}})
	require.NoError(t, err)
	assert.Equal(t, []string{"rule-1", "mine", "rule-3"}, []string{rules[0].Name, rules[1].Name, rules[2].Name},
		"an unnamed rule is named by its position, counting from 1")
}

func TestResolveErrors(t *testing.T) {
	with := func(f func(*Rule)) []Rule {
		r := okRule()
		f(&r)
		return []Rule{okRule(), okRule(), r}
	}
	named := func(n string) Rule { r := okRule(); r.Name = n; return r }
	tests := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"limit zero", with(func(r *Rule) { r.Limit = 0 }), "rules[2].limit must be 1..1000000"},
		{"limit negative", with(func(r *Rule) { r.Limit = -1 }), "rules[2].limit must be 1..1000000"},
		{"limit too high", with(func(r *Rule) { r.Limit = MaxLimit + 1 }), "rules[2].limit must be 1..1000000"},
		{"no key", with(func(r *Rule) { r.Key = "" }), `rules[2].key must be "ip", "client", "external_user" or "project", not ""`},
		{"unknown key", with(func(r *Rule) { r.Key = "workspace" }), `rules[2].key must be`},
		{"neither route nor path", with(func(r *Rule) { r.Route, r.Path = "", "" }), "rules[2] needs a route or a path pattern"},
		{"method alone is not enough", with(func(r *Rule) { r.Route, r.Method = "", "GET" }), "rules[2] needs a route or a path pattern"},
		{"bad route glob", with(func(r *Rule) { r.Route = "accounts.*||x" }), "rules[2].route pattern"},
		{"bad path glob", with(func(r *Rule) { r.Path = "/v1/***" }), "rules[2].path pattern"},
		{"bad method glob", with(func(r *Rule) { r.Method = "GET|" }), "rules[2].method pattern"},
		{"no window", with(func(r *Rule) { r.Window = 0 }), "rules[2].window must be whole seconds from 1s to 24h"},
		{"window under a second", with(func(r *Rule) { r.Window = 500 * time.Millisecond }), "rules[2].window must be whole seconds"},
		{"window not whole seconds", with(func(r *Rule) { r.Window = 1500 * time.Millisecond }), "rules[2].window must be whole seconds"},
		{"window over a day", with(func(r *Rule) { r.Window = 24*time.Hour + time.Second }), "rules[2].window must be whole seconds"},
		{"negative window", with(func(r *Rule) { r.Window = -time.Second }), "rules[2].window must be whole seconds"},
		{"name custom is reserved", with(func(r *Rule) { r.Name = "custom" }), `rules[2].name "custom" is reserved`},
		{"name too long", with(func(r *Rule) { r.Name = strings.Repeat("n", 101) }), "rules[2].name is longer than 100 bytes"},
		{"control character in name", with(func(r *Rule) { r.Name = "a\nb" }), "rules[2].name must not contain control characters"},
		{"duplicate names", []Rule{named("a"), named("b"), named("a")}, `rules[2].name "a" is already the name of rules[0]`},
		{"a name that is another rule's default", []Rule{okRule(), named("rule-1")}, `rules[1].name "rule-1" is already the name of rules[0]`},
		{"too many rules", make([]Rule, MaxRules+1), "rules: at most 100 rules, not 101"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := resolve(Config{Rules: tc.rules})
			require.ErrorIs(t, err, apperr.ErrInvalid)
			assert.Contains(t, err.(*apperr.Error).Message, tc.want)
		})
	}

	// The edges themselves are valid.
	edges := []Rule{okRule(), okRule(), okRule(), okRule()}
	edges[0].Limit, edges[1].Limit = 1, MaxLimit
	edges[2].Window, edges[3].Window = time.Second, 24*time.Hour
	edges[0].Path, edges[0].Route = "/v1/**", ""
	edges[1].Name = strings.Repeat("n", 100)
	_, _, err := resolve(Config{Rules: edges})
	require.NoError(t, err)
	full := make([]Rule, MaxRules)
	for i := range full {
		full[i] = okRule()
	}
	_, _, err = resolve(Config{Rules: full})
	require.NoError(t, err, "exactly MaxRules rules are allowed")
}
