package connect

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// accountFixture is a store with one project in workspace o_a, and the
// scopes that reach its environments.
type accountFixture struct {
	s        *Store
	clk      *clock.Fake
	project  string
	dev, prd AccountScope
}

func newAccountFixture(t *testing.T) accountFixture {
	t.Helper()
	s, clk := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	a := Access{WorkspaceID: "o_a"}
	return accountFixture{s: s, clk: clk, project: p.ID,
		dev: AccountScope{Access: a, ProjectID: p.ID, Environment: Development},
		prd: AccountScope{Access: a, ProjectID: p.ID, Environment: Production}}
}

func (f accountFixture) connect(t *testing.T, sc AccountScope, user, app string) Account {
	t.Helper()
	acc, err := f.s.ConnectAccount(sc, AccountSpec{ExternalUserID: user, App: app})
	require.NoError(t, err)
	return acc
}

func (f accountFixture) token(t *testing.T, env Environment, user string, spec TokenSpec) string {
	t.Helper()
	spec.ExternalUserID = user
	tok, err := f.s.CreateToken(Access{WorkspaceID: "o_a"}, f.project, env, scope.Set{scope.All}, spec)
	require.NoError(t, err)
	return tok.Token
}

func TestConnectAccountMakesUpCredentials(t *testing.T) {
	f := newAccountFixture(t)
	start := f.clk.Now()

	oauth := f.connect(t, f.dev, "alice", "slack")
	assert.Regexp(t, `^apn_[a-zA-Z0-9]{7}$`, oauth.ID)
	assert.Equal(t, "slack", oauth.AppSlug)
	assert.Equal(t, "Slack", oauth.App.Name)
	assert.Equal(t, "Slack (alice)", oauth.Name)
	assert.True(t, oauth.Healthy)
	assert.False(t, oauth.Dead)
	for _, k := range []string{"oauth_client_id", "oauth_access_token", "oauth_refresh_token", "oauth_uid"} {
		assert.NotEmpty(t, oauth.Credentials[k], k)
	}
	assert.Contains(t, oauth.AuthorizedScopes, "chat:write", "the widest profile by default")
	assert.Equal(t, start, *oauth.LastRefreshedAt)
	assert.Equal(t, start.Add(time.Hour), *oauth.ExpiresAt)
	assert.Equal(t, start.Add(55*time.Minute), *oauth.NextRefreshAt)

	keys := f.connect(t, f.dev, "alice", "openai")
	assert.Regexp(t, `^pdemu_api_key_`, keys.Credentials["api_key"])
	assert.NotContains(t, keys.Credentials, "organization", "optional fields are not made up")
	assert.Empty(t, keys.AuthorizedScopes)
	assert.Nil(t, keys.ExpiresAt)
	assert.Nil(t, keys.LastRefreshedAt)
	assert.Nil(t, keys.NextRefreshAt)

	// The external user now exists in that environment only.
	users, err := f.s.ListUsers(Access{WorkspaceID: "o_a"}, f.project, Development, "", PageRequest{Limit: 10})
	require.NoError(t, err)
	require.Len(t, users.Data, 1)
	assert.Equal(t, "alice", users.Data[0].ExternalID)
	users, _ = f.s.ListUsers(Access{WorkspaceID: "o_a"}, f.project, Production, "", PageRequest{Limit: 10})
	assert.Empty(t, users.Data)
}

func TestConnectAccountValidation(t *testing.T) {
	f := newAccountFixture(t)
	existing := f.connect(t, f.dev, "alice", "github")
	tests := []struct {
		name string
		sc   AccountScope
		spec AccountSpec
		want *apperr.Error
	}{
		{"unknown app", f.dev, AccountSpec{ExternalUserID: "u", App: "nope"}, apperr.ErrNotFound},
		{"no app", f.dev, AccountSpec{ExternalUserID: "u"}, apperr.ErrInvalid},
		{"app needs no account", f.dev, AccountSpec{ExternalUserID: "u", App: "http"}, apperr.ErrInvalid},
		{"blank user", f.dev, AccountSpec{ExternalUserID: " ", App: "slack"}, apperr.ErrInvalid},
		{"user id of 251", f.dev, AccountSpec{ExternalUserID: strings.Repeat("u", 251), App: "slack"}, apperr.ErrInvalid},
		{"name of 201", f.dev, AccountSpec{ExternalUserID: "u", App: "slack", Name: strings.Repeat("n", 201)}, apperr.ErrInvalid},
		{"keys app missing a required field", f.dev, AccountSpec{ExternalUserID: "u", App: "twilio",
			Credentials: map[string]any{"account_sid": "AC1"}}, apperr.ErrInvalid},
		{"keys app with an empty required field", f.dev, AccountSpec{ExternalUserID: "u", App: "stripe",
			Credentials: map[string]any{"api_key": ""}}, apperr.ErrInvalid},
		{"scopes on a keys app", f.dev, AccountSpec{ExternalUserID: "u", App: "stripe", AuthorizedScopes: []string{"x"}}, apperr.ErrInvalid},
		{"oauth_app_id on a keys app", f.dev, AccountSpec{ExternalUserID: "u", App: "stripe", OAuthAppID: "oa_x"}, apperr.ErrInvalid},
		{"unknown oauth_app_id", f.dev, AccountSpec{ExternalUserID: "u", App: "slack", OAuthAppID: "oa_nope"}, apperr.ErrNotFound},
		{"unknown project", AccountScope{Access: f.dev.Access, ProjectID: "proj_nope", Environment: Development},
			AccountSpec{ExternalUserID: "u", App: "slack"}, apperr.ErrNotFound},
		{"project of another workspace", AccountScope{Access: Access{WorkspaceID: "o_b"}, ProjectID: f.project, Environment: Development},
			AccountSpec{ExternalUserID: "u", App: "slack"}, apperr.ErrNotFound},
		{"replace an unknown account", f.dev, AccountSpec{ExternalUserID: "alice", App: "github", ReplaceID: "apn_nope"}, apperr.ErrNotFound},
		{"replace another user's account", f.dev, AccountSpec{ExternalUserID: "bob", App: "github", ReplaceID: existing.ID}, apperr.ErrNotFound},
		{"replace in the other environment", f.prd, AccountSpec{ExternalUserID: "alice", App: "github", ReplaceID: existing.ID}, apperr.ErrNotFound},
		{"replace with another app", f.dev, AccountSpec{ExternalUserID: "alice", App: "slack", ReplaceID: existing.ID}, apperr.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.s.ConnectAccount(tc.sc, tc.spec)
			assert.ErrorIs(t, err, tc.want)
		})
	}
	// Nothing was created or changed, and no user was made.
	page, err := f.s.ListAccounts(f.dev, AccountFilter{}, PageRequest{Limit: 100})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, existing, page.Data[0])
	users, _ := f.s.ListUsers(f.dev.Access, f.project, Development, "", PageRequest{Limit: 10})
	assert.Len(t, users.Data, 1)

	// Boundaries that pass: a 250-character user, a 200-character name,
	// an optional field left out and a default filled in.
	_, err = f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: strings.Repeat("u", 250), App: "slack", Name: strings.Repeat("n", 200)})
	assert.NoError(t, err)
	acc, err := f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "u", App: "openai", Credentials: map[string]any{"api_key": "sk-1", "extra": true}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"api_key": "sk-1", "extra": true}, acc.Credentials)
}

func TestReconnectReplacesCredentials(t *testing.T) {
	f := newAccountFixture(t)
	clk := f.clk
	acc, err := f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "stripe",
		Credentials: map[string]any{"api_key": "sk_old"}, Healthy: ptr(false), Error: "key revoked"})
	require.NoError(t, err)
	assert.False(t, acc.Healthy)
	assert.Equal(t, "key revoked", acc.Error)

	require.NoError(t, clk.Advance(time.Minute))
	again, err := f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "app_1ZPhn2", ReplaceID: acc.ID,
		Credentials: map[string]any{"api_key": "sk_new"}})
	require.NoError(t, err)
	assert.Equal(t, acc.ID, again.ID)
	assert.Equal(t, "sk_new", again.Credentials["api_key"])
	assert.True(t, again.Healthy)
	assert.Empty(t, again.Error)
	assert.Equal(t, acc.Name, again.Name)
	assert.Equal(t, acc.CreatedAt, again.CreatedAt)
	assert.Equal(t, clk.Now(), again.UpdatedAt)
	page, _ := f.s.ListAccounts(f.dev, AccountFilter{}, PageRequest{Limit: 10})
	assert.Len(t, page.Data, 1)
}

func TestRefreshTiming(t *testing.T) {
	f := newAccountFixture(t)
	clk := f.clk
	t0 := clk.Now()
	acc := f.connect(t, f.dev, "alice", "github")
	dead, err := f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "github", Dead: ptr(true), Healthy: ptr(false)})
	require.NoError(t, err)
	tests := []struct {
		at   time.Duration
		last time.Duration
	}{
		{0, 0},
		{55*time.Minute - time.Nanosecond, 0},
		{55 * time.Minute, 55 * time.Minute},
		{110*time.Minute - time.Nanosecond, 55 * time.Minute},
		{110 * time.Minute, 110 * time.Minute},
		{24 * time.Hour, 1430 * time.Minute}, // 26 refreshes: 26 × 55 min = 23 h 50 min
	}
	for _, tc := range tests {
		require.NoError(t, clk.Advance(t0.Add(tc.at).Sub(clk.Now())))
		got, err := f.s.GetAccount(f.dev, acc.ID)
		require.NoError(t, err)
		assert.Equal(t, t0.Add(tc.last), *got.LastRefreshedAt, "at %v", tc.at)
		assert.Equal(t, t0.Add(tc.last+time.Hour), *got.ExpiresAt, "at %v", tc.at)
		assert.Equal(t, t0.Add(tc.last+55*time.Minute), *got.NextRefreshAt, "at %v", tc.at)
		assert.True(t, got.NextRefreshAt.After(clk.Now()))

		d, err := f.s.GetAccount(f.dev, dead.ID)
		require.NoError(t, err)
		assert.Equal(t, t0.Add(time.Hour), *d.ExpiresAt, "a dead account is not refreshed")
		assert.Nil(t, d.NextRefreshAt)
	}
}

func TestCreateAccountWithToken(t *testing.T) {
	f := newAccountFixture(t)
	raw := f.token(t, Development, "alice", TokenSpec{})
	bad := []struct {
		name string
		spec AccountSpec
		want *apperr.Error
	}{
		{"another user", AccountSpec{ExternalUserID: "bob", App: "stripe", Credentials: map[string]any{"api_key": "k"}}, apperr.ErrInvalid},
		{"missing key", AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{}}, apperr.ErrInvalid},
		{"unknown app", AccountSpec{ExternalUserID: "alice", App: "nope", Credentials: map[string]any{}}, apperr.ErrNotFound},
	}
	for _, tc := range bad {
		_, err := f.s.CreateAccountWithToken(raw, tc.spec)
		assert.ErrorIs(t, err, tc.want, tc.name)
	}
	_, err := f.s.AuthenticateToken(raw)
	require.NoError(t, err, "refused requests leave the token usable")

	acc, err := f.s.CreateAccountWithToken(raw, AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{"api_key": "sk_test_1"}})
	require.NoError(t, err)
	assert.Equal(t, Development, acc.Environment)
	assert.Equal(t, "alice", acc.ExternalUserID)
	assert.Equal(t, "sk_test_1", acc.Credentials["api_key"])

	_, err = f.s.AuthenticateToken(raw)
	assert.Error(t, err, "the token is used up")
	_, err = f.s.CreateAccountWithToken(raw, AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{"api_key": "k"}})
	assert.Equal(t, apperr.Unauthenticated, apperr.As(err).Kind)
	_, err = f.s.CreateAccountWithToken("ctok_unknown", AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{"api_key": "k"}})
	assert.Equal(t, apperr.Unauthenticated, apperr.As(err).Kind)

	// A token made for one app connects only that app.
	forSlack := f.token(t, Development, "alice", TokenSpec{AppID: "slack"})
	_, err = f.s.CreateAccountWithToken(forSlack, AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{"api_key": "k"}})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	_, err = f.s.CreateAccountWithToken(forSlack, AccountSpec{ExternalUserID: "alice", App: "app_OkrhR1", Credentials: map[string]any{}})
	assert.NoError(t, err)

	// An expired token connects nothing.
	short := f.token(t, Development, "alice", TokenSpec{ExpiresIn: ptr(1)})
	require.NoError(t, f.clk.Advance(time.Second))
	_, err = f.s.CreateAccountWithToken(short, AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{"api_key": "k"}})
	assert.Equal(t, apperr.Unauthenticated, apperr.As(err).Kind)
}

func TestAccountVisibility(t *testing.T) {
	f := newAccountFixture(t)
	alice := f.connect(t, f.dev, "alice", "slack")
	bob := f.connect(t, f.dev, "bob", "slack")
	prod := f.connect(t, f.prd, "alice", "slack")

	aliceOnly := f.dev
	aliceOnly.Access.ExternalUserID = "alice"
	otherWS := f.dev
	otherWS.Access = Access{WorkspaceID: "o_b"}
	restricted := f.dev
	restricted.Access = Access{WorkspaceID: "o_a", ProjectIDs: []string{"proj_other"}}

	tests := []struct {
		name string
		sc   AccountScope
		id   string
		ok   bool
	}{
		{"own", f.dev, alice.ID, true},
		{"other user, unrestricted", f.dev, bob.ID, true},
		{"other user, owner-limited", aliceOnly, bob.ID, false},
		{"own, owner-limited", aliceOnly, alice.ID, true},
		{"other environment", f.dev, prod.ID, false},
		{"production", f.prd, prod.ID, true},
		{"other workspace", otherWS, alice.ID, false},
		{"client restricted to other projects", restricted, alice.ID, false},
	}
	for _, tc := range tests {
		_, err := f.s.GetAccount(tc.sc, tc.id)
		if tc.ok {
			assert.NoError(t, err, tc.name)
			continue
		}
		assert.ErrorIs(t, err, apperr.ErrNotFound, tc.name)
		assert.ErrorIs(t, f.s.DeleteAccount(tc.sc, tc.id), apperr.ErrNotFound, tc.name)
	}

	page, err := f.s.ListAccounts(aliceOnly, AccountFilter{}, PageRequest{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{alice.ID}, accountIDs(page.Data))
	_, err = f.s.UserAccounts(aliceOnly, "bob", "")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	n, err := f.s.DeleteAccountsByApp(aliceOnly, "slack")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "an owner-limited delete-by-app deletes only the owner's accounts")
	_, err = f.s.GetAccount(f.dev, bob.ID)
	assert.NoError(t, err)
}

func accountIDs(accs []Account) []string {
	out := []string{}
	for _, a := range accs {
		out = append(out, a.ID)
	}
	return out
}

func TestListAccountsFiltersAndPages(t *testing.T) {
	f := newAccountFixture(t)
	var want []string
	for i := range 25 {
		user := []string{"alice", "bob"}[i%2]
		app := []string{"slack", "stripe", "github"}[i%3]
		want = append(want, f.connect(t, f.dev, user, app).ID)
	}
	var got []string
	req := PageRequest{Limit: 10}
	for {
		page, err := f.s.ListAccounts(f.dev, AccountFilter{}, req)
		require.NoError(t, err)
		assert.Equal(t, 25, page.PageInfo.TotalCount)
		got = append(got, accountIDs(page.Data)...)
		if page.PageInfo.EndCursor == nil {
			break
		}
		req.After, _ = decodeCursor("after", *page.PageInfo.EndCursor)
	}
	assert.Equal(t, want, got, "oldest first, each once")

	count := func(f2 AccountFilter) int {
		page, err := f.s.ListAccounts(f.dev, f2, PageRequest{Limit: 100})
		require.NoError(t, err)
		return len(page.Data)
	}
	assert.Equal(t, 13, count(AccountFilter{ExternalUserID: "alice"}))
	assert.Equal(t, 9, count(AccountFilter{App: "slack"}))
	assert.Equal(t, 9, count(AccountFilter{App: "app_OkrhR1"}))
	assert.Equal(t, 5, count(AccountFilter{App: "slack", ExternalUserID: "alice"}))
	assert.Equal(t, 0, count(AccountFilter{ExternalUserID: "nobody"}))
	assert.Equal(t, 0, count(AccountFilter{OAuthAppID: "oa_none"}))
	_, err := f.s.ListAccounts(f.dev, AccountFilter{App: "nope"}, PageRequest{Limit: 10})
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	accs, err := f.s.UserAccounts(f.dev, "bob", "stripe")
	require.NoError(t, err)
	assert.Len(t, accs, 4)
	_, err = f.s.UserAccounts(f.dev, "carol", "")
	assert.ErrorIs(t, err, apperr.ErrNotFound, "an unknown user is a 404")
	n, err := f.s.DeleteAccountsByApp(f.dev, "stripe")
	require.NoError(t, err)
	assert.Equal(t, 8, n)
	assert.Equal(t, 0, count(AccountFilter{App: "stripe"}))
	assert.Equal(t, 17, count(AccountFilter{}))
	accs, err = f.s.UserAccounts(f.dev, "bob", "stripe")
	require.NoError(t, err)
	assert.NotNil(t, accs)
	assert.Empty(t, accs, "a known user without accounts is an empty list")
}

func TestAccountCascades(t *testing.T) {
	f := newAccountFixture(t)
	a := f.connect(t, f.dev, "alice", "slack")
	b := f.connect(t, f.dev, "bob", "slack")
	p := f.connect(t, f.prd, "alice", "slack")

	require.NoError(t, f.s.DeleteUser(f.dev.Access, f.project, Development, "alice"))
	_, err := f.s.GetAccount(f.dev, a.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "the user's accounts go with them")
	_, err = f.s.GetAccount(f.dev, b.ID)
	assert.NoError(t, err, "other users keep theirs")
	_, err = f.s.GetAccount(f.prd, p.ID)
	assert.NoError(t, err, "the same id in the other environment is another user")

	require.NoError(t, f.s.DeleteProject(f.dev.Access, f.project))
	assert.Empty(t, f.s.accounts.byKey)
}

func TestShowsCredentials(t *testing.T) {
	oauth := App{AuthType: AuthOAuth}
	keys := App{AuthType: AuthKeys}
	tests := []struct {
		name  string
		acc   Account
		ct    bool
		shown bool
	}{
		{"keys, production", Account{App: keys, Environment: Production}, false, true},
		{"keys, development", Account{App: keys, Environment: Development}, false, true},
		{"oauth, development, Pipedream's client", Account{App: oauth, Environment: Development}, false, true},
		{"oauth, production, Pipedream's client", Account{App: oauth, Environment: Production}, false, false},
		{"oauth, production, own client", Account{App: oauth, Environment: Production, OAuthAppID: "oa_1"}, false, true},
		{"keys, Connect token", Account{App: keys, Environment: Development}, true, false},
		{"oauth own client, Connect token", Account{App: oauth, Environment: Production, OAuthAppID: "oa_1"}, true, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.shown, ShowsCredentials(tc.acc, tc.ct), tc.name)
	}
}

func TestAccountCopiesAreIndependent(t *testing.T) {
	f := newAccountFixture(t)
	acc, err := f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "u", App: "openai",
		Credentials: map[string]any{"api_key": "k", "nested": map[string]any{"a": []any{"b"}}}})
	require.NoError(t, err)
	acc.Credentials["api_key"] = "changed"
	acc.Credentials["nested"].(map[string]any)["a"].([]any)[0] = "changed"
	acc.App.Categories[0] = "changed"
	got, err := f.s.GetAccount(f.dev, acc.ID)
	require.NoError(t, err)
	assert.Equal(t, "k", got.Credentials["api_key"])
	assert.Equal(t, "b", got.Credentials["nested"].(map[string]any)["a"].([]any)[0])
	assert.Equal(t, "Artificial Intelligence (AI)", got.App.Categories[0])
}

func TestAccountsWithOAuthClientsAndOverrides(t *testing.T) {
	f := newAccountFixture(t)
	a := f.dev.Access
	oa, err := f.s.CreateOAuthApp(a, f.project, OAuthAppSpec{App: "slack", ClientID: ptr("my-slack-client"), ClientSecret: ptr("s3cret")})
	require.NoError(t, err)
	ghClient, err := f.s.CreateOAuthApp(a, f.project, OAuthAppSpec{App: "github", ClientID: ptr("gh"), ClientSecret: ptr("s")})
	require.NoError(t, err)

	// An account through the developer's own OAuth client carries its id.
	acc, err := f.s.ConnectAccount(f.prd, AccountSpec{ExternalUserID: "alice", App: "slack", OAuthAppID: oa.ID})
	require.NoError(t, err)
	assert.Equal(t, oa.ID, acc.OAuthAppID)
	assert.Equal(t, "my-slack-client", acc.Credentials["oauth_client_id"])
	assert.True(t, ShowsCredentials(acc, false), "production credentials of the developer's own client are shown")
	_, err = f.s.ConnectAccount(f.prd, AccountSpec{ExternalUserID: "alice", App: "slack", OAuthAppID: ghClient.ID})
	assert.ErrorIs(t, err, apperr.ErrInvalid, "a client of another app")

	page, err := f.s.ListAccounts(f.prd, AccountFilter{OAuthAppID: oa.ID}, PageRequest{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, []string{acc.ID}, accountIDs(page.Data))
	n, err := f.s.DeleteAccountsByApp(f.prd, oa.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "deleteByApp takes an OAuth client's id too")
	_, err = f.s.DeleteAccountsByApp(f.prd, "oa_nope")
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	// An app override's values are merged over what the user typed.
	ov, err := f.s.CreateAppOverride(a, f.project, AppOverrideSpec{App: "openai", Name: ptr("org preset"),
		Cfmap: &map[string]any{"organization": "org-preset"}})
	require.NoError(t, err)
	acc, err = f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "openai", AppOverrideID: ov.ID,
		Credentials: map[string]any{"api_key": "sk-1", "organization": "org-typed"}})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"api_key": "sk-1", "organization": "org-preset"}, acc.Credentials)
	assert.Equal(t, ov.ID, acc.AppOverrideID)
	made, err := f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "openai", AppOverrideID: ov.ID})
	require.NoError(t, err)
	assert.Equal(t, "org-preset", made.Credentials["organization"], "made-up credentials get the preset too")
	_, err = f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "stripe", AppOverrideID: ov.ID})
	assert.ErrorIs(t, err, apperr.ErrInvalid, "an override of another app")
	_, err = f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "openai", AppOverrideID: "ao_nope"})
	assert.ErrorIs(t, err, apperr.ErrNotFound)

	// An override that selects an OAuth client: the control plane (a
	// finished OAuth flow) connects through it; cfmap_json may not.
	slackOv, err := f.s.CreateAppOverride(a, f.project, AppOverrideSpec{App: "slack", Name: ptr("own client"), OAuthAppID: &oa.ID})
	require.NoError(t, err)
	acc, err = f.s.ConnectAccount(f.dev, AccountSpec{ExternalUserID: "alice", App: "slack", AppOverrideID: slackOv.ID})
	require.NoError(t, err)
	assert.Equal(t, oa.ID, acc.OAuthAppID)
	tok := f.token(t, Development, "alice", TokenSpec{})
	_, err = f.s.CreateAccountWithToken(tok, AccountSpec{ExternalUserID: "alice", App: "slack", AppOverrideID: slackOv.ID, Credentials: map[string]any{}})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	_, err = f.s.AuthenticateToken(tok)
	assert.NoError(t, err, "still usable")
}

func TestConnectTokenConnectsOnlyOnceUnderRace(t *testing.T) {
	f := newAccountFixture(t)
	raw := f.token(t, Development, "alice", TokenSpec{})
	const n = 16
	results := make(chan error, n)
	for range n {
		go func() {
			_, err := f.s.CreateAccountWithToken(raw, AccountSpec{ExternalUserID: "alice", App: "stripe", Credentials: map[string]any{"api_key": "k"}})
			results <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-results; err == nil {
			ok++
		} else {
			assert.Equal(t, apperr.Unauthenticated, apperr.As(err).Kind)
		}
	}
	assert.Equal(t, 1, ok, "one account per Connect token")
	page, err := f.s.ListAccounts(f.dev, AccountFilter{}, PageRequest{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Data, 1)
}
