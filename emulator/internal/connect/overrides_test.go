package connect

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

func TestCreateAppOverrideValidation(t *testing.T) {
	big := map[string]any{}
	for i := range MaxCfmapEntries + 1 {
		big[fmt.Sprintf("k%d", i)] = "v"
	}
	tests := []struct {
		name    string
		spec    func(oauthAppID, otherAppClient, otherProjectClient string) AppOverrideSpec
		wantErr string
	}{
		{name: "minimal", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n")}
		}},
		{name: "keys app by id with a plain field", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "app_zzkeys", Name: ptr("n"), Cfmap: &map[string]any{"region": "eu"}}
		}},
		{name: "no-auth app", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_none", Name: ptr("n")}
		}},
		{name: "with the project's client of the app", spec: func(oa, _, _ string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), OAuthAppID: &oa, Cfmap: &map[string]any{"subdomain": "acme"}}
		}},
		{name: "empty oauth_app_id means none", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), OAuthAppID: ptr("")}
		}},
		{name: "200-character name", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr(strings.Repeat("n", 200))}
		}},
		{name: "201-character name", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr(strings.Repeat("n", 201))}
		}, wantErr: "longer than 200"},
		{name: "missing name", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth"}
		}, wantErr: "name is required"},
		{name: "blank name", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr(" ")}
		}, wantErr: "name is required"},
		{name: "taken name", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_keys", Name: ptr("taken")}
		}, wantErr: "already has an app override named"},
		{name: "missing app", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{Name: ptr("n")}
		}, wantErr: "app is required"},
		{name: "unknown app", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "nope", Name: ptr("n")}
		}, wantErr: "unknown app"},
		{name: "unknown oauth_app_id", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), OAuthAppID: ptr("oa_nope")}
		}, wantErr: "not an OAuth client of this project"},
		{name: "another project's client", spec: func(_, _, op string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), OAuthAppID: &op}
		}, wantErr: "not an OAuth client of this project"},
		{name: "a client of another app", spec: func(_, other, _ string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), OAuthAppID: &other}
		}, wantErr: "is for app \"zz_oauth2\""},
		{name: "a client on a keys app", spec: func(oa, _, _ string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_keys", Name: ptr("n"), OAuthAppID: &oa}
		}, wantErr: "is for app \"zz_oauth\""},
		{name: "unknown custom field", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), Cfmap: &map[string]any{"nope": "x"}}
		}, wantErr: "not a custom field of app \"zz_oauth\" (it has: subdomain)"},
		{name: "sensitive field", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_keys", Name: ptr("n"), Cfmap: &map[string]any{"api_key": "sk"}}
		}, wantErr: "sensitive"},
		{name: "app without custom fields", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth2", Name: ptr("n"), Cfmap: &map[string]any{"x": 1}}
		}, wantErr: "(it has: none)"},
		{name: "empty key", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), Cfmap: &map[string]any{"": 1}}
		}, wantErr: "cfmap keys"},
		{name: "too many entries", spec: func(string, string, string) AppOverrideSpec {
			return AppOverrideSpec{App: "zz_oauth", Name: ptr("n"), Cfmap: &big}
		}, wantErr: "more than 100"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, a, pid := newOAuthAppStore(t)
			oa, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
			require.NoError(t, err)
			other, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth2", ClientID: ptr("c"), ClientSecret: ptr("s")})
			require.NoError(t, err)
			p2, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P2")})
			require.NoError(t, err)
			op, err := s.CreateOAuthApp(a, p2.ID, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
			require.NoError(t, err)
			_, err = s.CreateAppOverride(a, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("taken")})
			require.NoError(t, err)
			_, err = s.CreateAppOverride(a, p2.ID, AppOverrideSpec{App: "zz_oauth", Name: ptr("n")})
			require.NoError(t, err, "names are unique per project only")

			spec := tc.spec(oa.ID, other.ID, op.ID)
			o, err := s.CreateAppOverride(a, pid, spec)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Len(t, s.overrides.byKey, 2, "a refused create makes nothing")
				return
			}
			require.NoError(t, err)
			assert.Regexp(t, `^ao_[A-Za-z0-9]{7}$`, o.ID)
			assert.Equal(t, pid, o.OwnerID)
			assert.Equal(t, *spec.Name, o.Name)
			assert.NotNil(t, o.Cfmap)
		})
	}
}

func TestAppOverrideLifecycle(t *testing.T) {
	s, c, a, pid := newOAuthAppStore(t)
	oa, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	require.NoError(t, err)
	cfmap := map[string]any{"subdomain": map[string]any{"nested": []any{json.Number("12345678901234567890")}}}
	o, err := s.CreateAppOverride(a, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("EU"), OAuthAppID: &oa.ID, Cfmap: &cfmap})
	require.NoError(t, err)
	assert.Equal(t, "ZZ OAuth", o.App.Name)
	assert.Equal(t, oa.ID, o.OAuthAppID)
	assert.Equal(t, clock.DefaultStart, o.CreatedAt)

	cfmap["subdomain"].(map[string]any)["nested"].([]any)[0] = "changed by the caller"
	o.Cfmap["subdomain"] = "changed by the caller too"
	got, err := s.AppOverride(a, pid, o.ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"subdomain": map[string]any{"nested": []any{json.Number("12345678901234567890")}}}, got.Cfmap,
		"the store keeps deep copies")

	c.Set(clock.DefaultStart.Add(time.Minute))
	up, err := s.UpdateAppOverride(a, pid, o.ID, AppOverrideSpec{App: "zz_keys", Name: ptr("EU2")})
	require.NoError(t, err)
	assert.Equal(t, "EU2", up.Name)
	assert.Equal(t, "zz_oauth", up.App.NameSlug, "an update cannot change the app")
	assert.Equal(t, oa.ID, up.OAuthAppID, "absent fields stay")
	assert.Equal(t, got.Cfmap, up.Cfmap)
	assert.Equal(t, clock.DefaultStart.Add(time.Minute), up.UpdatedAt)

	up, err = s.UpdateAppOverride(a, pid, o.ID, AppOverrideSpec{Name: ptr("EU2"), OAuthAppID: ptr(""), Cfmap: &map[string]any{}})
	require.NoError(t, err, "keeping its own name is no clash")
	assert.Empty(t, up.OAuthAppID, "empty clears the client")
	assert.Equal(t, map[string]any{}, up.Cfmap, "cfmap is replaced as a whole")

	_, err = s.CreateAppOverride(a, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("other")})
	require.NoError(t, err)
	before, _ := s.AppOverride(a, pid, o.ID)
	for _, bad := range []AppOverrideSpec{
		{Name: ptr("other")},
		{Name: ptr("")},
		{OAuthAppID: ptr("oa_nope")},
		{Cfmap: &map[string]any{"signing_secret": "x"}},
	} {
		_, err = s.UpdateAppOverride(a, pid, o.ID, bad)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
	}
	after, _ := s.AppOverride(a, pid, o.ID)
	assert.Equal(t, before, after, "refused updates change nothing")

	require.NoError(t, s.DeleteAppOverride(a, pid, o.ID))
	_, err = s.AppOverride(a, pid, o.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, s.DeleteAppOverride(a, pid, o.ID), apperr.ErrNotFound)
	_, err = s.UpdateAppOverride(a, pid, o.ID, AppOverrideSpec{Name: ptr("x")})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestAppOverrideIsolationAndCascade(t *testing.T) {
	s, _, a, pid := newOAuthAppStore(t)
	p2, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P2")})
	require.NoError(t, err)
	o, err := s.CreateAppOverride(a, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("n")})
	require.NoError(t, err)
	other := Access{WorkspaceID: "o_b"}

	_, err = s.AppOverride(a, p2.ID, o.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.AppOverride(other, pid, o.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.UpdateAppOverride(a, p2.ID, o.ID, AppOverrideSpec{Name: ptr("x")})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, s.DeleteAppOverride(other, pid, o.ID), apperr.ErrNotFound)
	_, err = s.ListAppOverrides(other, pid, "", PageRequest{})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.CreateAppOverride(other, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("x")})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	got, ok := s.appOverrideOf(pid, o.ID)
	assert.True(t, ok)
	assert.Equal(t, o, got)
	_, ok = s.appOverrideOf(p2.ID, o.ID)
	assert.False(t, ok)

	_, err = s.CreateAppOverride(a, p2.ID, AppOverrideSpec{App: "zz_oauth", Name: ptr("n")})
	require.NoError(t, err)
	require.NoError(t, s.DeleteProject(a, pid))
	assert.Len(t, s.overrides.byKey, 1, "a project's overrides go with it, and only its")
	s.Reset()
	assert.Empty(t, s.overrides.byKey)
}

func TestListAppOverrides(t *testing.T) {
	s, _, a, pid := newOAuthAppStore(t)
	var made []string
	for i, app := range []string{"zz_oauth", "zz_keys", "zz_oauth", "zz_none", "zz_oauth"} {
		o, err := s.CreateAppOverride(a, pid, AppOverrideSpec{App: app, Name: ptr(fmt.Sprint("o", i))})
		require.NoError(t, err)
		made = append(made, o.ID)
	}
	idsOf := func(p Page[AppOverride]) []string {
		out := []string{}
		for _, o := range p.Data {
			out = append(out, o.ID)
		}
		return out
	}
	for _, tc := range []struct {
		app  string
		want []string
	}{
		{"", made},
		{"zz_oauth", []string{made[0], made[2], made[4]}},
		{"app_zzkeys", []string{made[1]}},
		{"nope", []string{}},
	} {
		p, err := s.ListAppOverrides(a, pid, tc.app, PageRequest{Limit: 100})
		require.NoError(t, err)
		assert.Equal(t, tc.want, idsOf(p), tc.app)
	}

	p, err := s.ListAppOverrides(a, pid, "", PageRequest{Limit: 3})
	require.NoError(t, err)
	assert.Equal(t, made[:3], idsOf(p))
	require.NotNil(t, p.PageInfo.EndCursor)
	after, _ := decodeCursor("after", *p.PageInfo.EndCursor)
	p, err = s.ListAppOverrides(a, pid, "", PageRequest{Limit: 3, After: after})
	require.NoError(t, err)
	assert.Equal(t, made[3:], idsOf(p))
	assert.Nil(t, p.PageInfo.EndCursor)
	assert.Equal(t, 5, p.PageInfo.TotalCount)
}
