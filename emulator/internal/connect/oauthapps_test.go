package connect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

// addTestApps puts apps of every auth type in the catalog, under slugs no
// built-in app uses.
func addTestApps(t *testing.T, s *Store) {
	t.Helper()
	for _, spec := range []AppSpec{
		{ID: "app_zzoauth", NameSlug: "zz_oauth", Name: "ZZ OAuth", AuthType: AuthOAuth, Description: "An OAuth app",
			CustomFields: []CustomField{{Name: "subdomain", Type: "string"}, {Name: "signing_secret", Type: "password"}}},
		{ID: "app_zzoauth2", NameSlug: "zz_oauth2", Name: "ZZ OAuth 2", AuthType: AuthOAuth},
		{ID: "app_zzkeys", NameSlug: "zz_keys", Name: "ZZ Keys", AuthType: AuthKeys,
			CustomFields: []CustomField{{Name: "api_key", Type: "password"}, {Name: "region", Type: "string"}}},
		{ID: "app_zznone", NameSlug: "zz_none", Name: "ZZ None", AuthType: AuthNone},
	} {
		_, err := s.AddApp(spec)
		require.NoError(t, err, spec.NameSlug)
	}
}

func newOAuthAppStore(t *testing.T) (*Store, *clock.Fake, Access, string) {
	t.Helper()
	s, c, a, pid := newProject(t)
	addTestApps(t, s)
	return s, c, a, pid
}

func TestCreateOAuthAppValidation(t *testing.T) {
	tooMany := make([]string, MaxOAuthScopes+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("scope%d", i)
	}
	tests := []struct {
		name    string
		spec    OAuthAppSpec
		wantErr string // "" means success
	}{
		{name: "minimal by slug", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("cid"), ClientSecret: ptr("sec")}},
		{name: "by app id", spec: OAuthAppSpec{App: "app_zzoauth", ClientID: ptr("cid"), ClientSecret: ptr("sec")}},
		{name: "every field", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("cid"), ClientSecret: ptr("sec"), Name: ptr("Mine"),
			Description: ptr("d"), Scopes: &[]string{"a", "b"}, AdditionalScopes: &[]string{"c"}}},
		{name: "client_id at the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr(strings.Repeat("c", MaxOAuthClientIDLen)), ClientSecret: ptr("s")}},
		{name: "client_id over the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr(strings.Repeat("c", MaxOAuthClientIDLen+1)), ClientSecret: ptr("s")}, wantErr: "client_id is longer"},
		{name: "secret at the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr(strings.Repeat("s", MaxOAuthClientSecretLen))}},
		{name: "secret over the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr(strings.Repeat("s", MaxOAuthClientSecretLen+1))}, wantErr: "client_secret is longer"},
		{name: "200-character name", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Name: ptr(strings.Repeat("n", 200))}},
		{name: "201-character name", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Name: ptr(strings.Repeat("n", 201))}, wantErr: "longer than 200"},
		{name: "blank name", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Name: ptr("  ")}, wantErr: "name must not be blank"},
		{name: "description at the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Description: ptr(strings.Repeat("d", MaxDescriptionLen))}},
		{name: "description over the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Description: ptr(strings.Repeat("d", MaxDescriptionLen+1))}, wantErr: "description"},
		{name: "scopes at the limit", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Scopes: ptr(tooMany[:MaxOAuthScopes])}},
		{name: "too many scopes", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Scopes: ptr(tooMany)}, wantErr: "more than 200"},
		{name: "space-separated scope", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), Scopes: &[]string{"a b"}}, wantErr: "scopes[0]"},
		{name: "empty additional scope", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s"), AdditionalScopes: &[]string{"a", ""}}, wantErr: "additional_scopes[1]"},
		{name: "missing app", spec: OAuthAppSpec{ClientID: ptr("c"), ClientSecret: ptr("s")}, wantErr: "app is required"},
		{name: "unknown app", spec: OAuthAppSpec{App: "nope", ClientID: ptr("c"), ClientSecret: ptr("s")}, wantErr: "unknown app"},
		{name: "keys app", spec: OAuthAppSpec{App: "zz_keys", ClientID: ptr("c"), ClientSecret: ptr("s")}, wantErr: "only for OAuth apps"},
		{name: "no-auth app", spec: OAuthAppSpec{App: "app_zznone", ClientID: ptr("c"), ClientSecret: ptr("s")}, wantErr: "only for OAuth apps"},
		{name: "missing client_id", spec: OAuthAppSpec{App: "zz_oauth", ClientSecret: ptr("s")}, wantErr: "client_id is required"},
		{name: "blank client_id", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr(" "), ClientSecret: ptr("s")}, wantErr: "client_id must not be blank"},
		{name: "client_id with a newline", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("abc\n"), ClientSecret: ptr("s")}, wantErr: "white space"},
		{name: "missing client_secret", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c")}, wantErr: "client_secret is required"},
		{name: "empty client_secret", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("")}, wantErr: "client_secret is required"},
		{name: "blank client_secret", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr(" \t")}, wantErr: "client_secret is required"},
		{name: "client_secret with a space inside", spec: OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("a b")}, wantErr: "white space"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, a, pid := newOAuthAppStore(t)
			o, err := s.CreateOAuthApp(a, pid, tc.spec)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Empty(t, s.oauthApps.byKey, "a refused create makes nothing")
				return
			}
			require.NoError(t, err)
			assert.Regexp(t, `^oa_[A-Za-z0-9]{7}$`, o.ID)
			assert.Equal(t, "zz_oauth", o.App.NameSlug)
		})
	}
}

func TestOAuthAppLifecycle(t *testing.T) {
	s, c, a, pid := newOAuthAppStore(t)
	scopes := []string{"read", "write", "read"}
	o, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("cid"), ClientSecret: ptr("first-secret"), Scopes: &scopes})
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write", "read"}, scopes, "the caller's slice is left alone")
	assert.Equal(t, []string{"read", "write"}, o.Scopes, "repeats collapse")
	assert.Equal(t, []string{}, o.AdditionalScopes)
	assert.Equal(t, pid, o.OwnerID)
	assert.Equal(t, "https://api.pipedream.com/connect/oauth/"+o.ID+"/callback", o.RedirectURI())
	assert.Equal(t, "ZZ OAuth", o.DisplayName(), "falls back to the app's name")
	assert.Equal(t, "An OAuth app", o.DisplayDescription())
	assert.Equal(t, clock.DefaultStart, o.CreatedAt)
	assert.True(t, s.CheckOAuthAppSecret(a, pid, o.ID, "first-secret"))
	assert.False(t, s.CheckOAuthAppSecret(a, pid, o.ID, "first-secre"))
	assert.NotContains(t, strings.ToLower(strings.Join([]string{o.ClientID, o.Name}, " ")), "first-secret")

	o.Scopes[0] = "mutated"
	got, err := s.OAuthApp(a, pid, o.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write"}, got.Scopes, "callers get copies")

	c.Set(clock.DefaultStart.Add(time.Minute))
	up, err := s.UpdateOAuthApp(a, pid, o.ID, OAuthAppSpec{App: "zz_oauth2", Name: ptr("Mine"), ClientSecret: ptr("")})
	require.NoError(t, err)
	up, err = s.UpdateOAuthApp(a, pid, o.ID, OAuthAppSpec{ClientSecret: ptr("  ")})
	require.NoError(t, err)
	assert.Equal(t, "zz_oauth", up.App.NameSlug, "an update cannot move a client to another app")
	assert.Equal(t, "Mine", up.DisplayName())
	assert.Equal(t, "cid", up.ClientID, "absent fields stay")
	assert.Equal(t, []string{"read", "write"}, up.Scopes)
	assert.True(t, s.CheckOAuthAppSecret(a, pid, o.ID, "first-secret"), "a blank secret is ignored")
	assert.Equal(t, clock.DefaultStart.Add(time.Minute), up.UpdatedAt)
	assert.Equal(t, clock.DefaultStart, up.CreatedAt)

	up, err = s.UpdateOAuthApp(a, pid, o.ID, OAuthAppSpec{ClientID: ptr("cid2"), ClientSecret: ptr("second-secret"),
		Name: ptr(""), Scopes: &[]string{}, AdditionalScopes: &[]string{"extra"}})
	require.NoError(t, err)
	assert.Equal(t, "cid2", up.ClientID)
	assert.Equal(t, "ZZ OAuth", up.DisplayName(), "an empty name falls back again")
	assert.Equal(t, []string{}, up.Scopes)
	assert.Equal(t, []string{"extra"}, up.AdditionalScopes)
	assert.False(t, s.CheckOAuthAppSecret(a, pid, o.ID, "first-secret"))
	assert.True(t, s.CheckOAuthAppSecret(a, pid, o.ID, "second-secret"))

	before, _ := s.OAuthApp(a, pid, o.ID)
	for _, bad := range []OAuthAppSpec{
		{ClientID: ptr("")},
		{Scopes: &[]string{"x y"}},
		{Name: ptr(strings.Repeat("n", 201))},
	} {
		_, err = s.UpdateOAuthApp(a, pid, o.ID, bad)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
	}
	after, _ := s.OAuthApp(a, pid, o.ID)
	assert.Equal(t, before, after, "refused updates change nothing")

	require.NoError(t, s.DeleteOAuthApp(a, pid, o.ID))
	_, err = s.OAuthApp(a, pid, o.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, s.DeleteOAuthApp(a, pid, o.ID), apperr.ErrNotFound)
	_, err = s.UpdateOAuthApp(a, pid, o.ID, OAuthAppSpec{Name: ptr("x")})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestOAuthAppIsolation(t *testing.T) {
	s, _, a, pid := newOAuthAppStore(t)
	p2, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P2")})
	require.NoError(t, err)
	o, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	require.NoError(t, err)

	_, err = s.OAuthApp(a, p2.ID, o.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "another project of the same workspace doesn't see it")
	assert.ErrorIs(t, s.DeleteOAuthApp(a, p2.ID, o.ID), apperr.ErrNotFound)
	_, err = s.UpdateOAuthApp(a, p2.ID, o.ID, OAuthAppSpec{Name: ptr("x")})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	page, err := s.ListOAuthApps(a, p2.ID, "", "", PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Data)

	other := Access{WorkspaceID: "o_b"}
	_, err = s.OAuthApp(other, pid, o.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.ListOAuthApps(other, pid, "", "", PageRequest{})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = s.CreateOAuthApp(other, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.False(t, s.CheckOAuthAppSecret(other, pid, o.ID, "s"))
	assert.False(t, s.CheckOAuthAppSecret(a, p2.ID, o.ID, "s"))

	_, err = s.CreateOAuthApp(a, p2.ID, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	require.NoError(t, err)
	require.NoError(t, s.DeleteProject(a, pid))
	assert.Len(t, s.oauthApps.byKey, 1, "a project's clients go with it, and only its")
	s.Reset()
	assert.Empty(t, s.oauthApps.byKey)
}

func TestListOAuthApps(t *testing.T) {
	s, _, a, pid := newOAuthAppStore(t)
	var made []string
	for i, spec := range []OAuthAppSpec{
		{App: "zz_oauth", Name: ptr("Alpha")},
		{App: "zz_oauth2", Description: ptr("for the BETA test")},
		{App: "zz_oauth"},
		{App: "zz_oauth2", Name: ptr("Gamma")},
		{App: "zz_oauth"},
	} {
		spec.ClientID, spec.ClientSecret = ptr("c"), ptr("s")
		o, err := s.CreateOAuthApp(a, pid, spec)
		require.NoError(t, err, i)
		made = append(made, o.ID)
	}
	idsOf := func(p Page[OAuthApp]) []string {
		out := []string{}
		for _, o := range p.Data {
			out = append(out, o.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		app, q string
		want   []string
	}{
		{name: "all, oldest first", want: made},
		{name: "by slug", app: "zz_oauth", want: []string{made[0], made[2], made[4]}},
		{name: "by app id", app: "app_zzoauth2", want: []string{made[1], made[3]}},
		{name: "unknown app", app: "nope", want: []string{}},
		{name: "q on own name", q: "alp", want: []string{made[0]}},
		{name: "q on description, any case", q: "beta", want: []string{made[1]}},
		{name: "q on the app's name shown as fallback", q: "zz oauth", want: []string{made[1], made[2], made[4]}},
		{name: "q and app", app: "zz_oauth2", q: "gamma", want: []string{made[3]}},
		{name: "q matching nothing", q: "zzz", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.ListOAuthApps(a, pid, tc.app, tc.q, PageRequest{Limit: 100})
			require.NoError(t, err)
			assert.Equal(t, tc.want, idsOf(p))
			assert.Equal(t, len(tc.want), p.PageInfo.TotalCount)
		})
	}

	p1, err := s.ListOAuthApps(a, pid, "", "", PageRequest{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, made[:2], idsOf(p1))
	require.NotNil(t, p1.PageInfo.EndCursor)
	after, err := decodeCursor("after", *p1.PageInfo.EndCursor)
	require.NoError(t, err)
	p2, err := s.ListOAuthApps(a, pid, "", "", PageRequest{Limit: 2, After: after})
	require.NoError(t, err)
	assert.Equal(t, made[2:4], idsOf(p2))
	after, _ = decodeCursor("after", *p2.PageInfo.EndCursor)
	p3, err := s.ListOAuthApps(a, pid, "", "", PageRequest{Limit: 2, After: after})
	require.NoError(t, err)
	assert.Equal(t, made[4:], idsOf(p3))
	assert.Nil(t, p3.PageInfo.EndCursor, "the last page has a null end cursor")
}

func TestDeleteOAuthAppInUse(t *testing.T) {
	s, _, a, pid := newOAuthAppStore(t)
	o, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	require.NoError(t, err)
	ov, err := s.CreateAppOverride(a, pid, AppOverrideSpec{App: "zz_oauth", Name: ptr("uses it"), OAuthAppID: &o.ID})
	require.NoError(t, err)

	err = s.DeleteOAuthApp(a, pid, o.ID)
	require.ErrorIs(t, err, apperr.ErrInvalid)
	assert.Contains(t, err.Error(), "1 app override(s)")
	_, err = s.UpdateAppOverride(a, pid, ov.ID, AppOverrideSpec{OAuthAppID: ptr("")})
	require.NoError(t, err)

	sc := AccountScope{Access: a, ProjectID: pid, Environment: Development}
	acc, err := s.ConnectAccount(sc, AccountSpec{ExternalUserID: "u1", App: "zz_oauth", OAuthAppID: o.ID})
	require.NoError(t, err)
	err = s.DeleteOAuthApp(a, pid, o.ID)
	require.ErrorIs(t, err, apperr.ErrInvalid)
	assert.Contains(t, err.Error(), "1 connected account(s)")
	_, err = s.OAuthApp(a, pid, o.ID)
	require.NoError(t, err, "a refused delete removes nothing")

	require.NoError(t, s.DeleteAccount(sc, acc.ID))
	require.NoError(t, s.DeleteOAuthApp(a, pid, o.ID))
}

func TestOAuthAppOf(t *testing.T) {
	s, _, a, pid := newOAuthAppStore(t)
	o, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "zz_oauth", ClientID: ptr("c"), ClientSecret: ptr("s")})
	require.NoError(t, err)
	got, ok := s.oauthAppOf(pid, o.ID)
	assert.True(t, ok)
	assert.Equal(t, o, got)
	_, ok = s.oauthAppOf("proj_other", o.ID)
	assert.False(t, ok)
}
