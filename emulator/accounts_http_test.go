package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

const dev = "development"

// accountWire is an Account as the SDK reads it.
type accountWire struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ExternalID       string         `json:"external_id"`
	Healthy          bool           `json:"healthy"`
	Dead             bool           `json:"dead"`
	App              appWire        `json:"app"`
	CreatedAt        string         `json:"created_at"`
	UpdatedAt        string         `json:"updated_at"`
	AuthorizedScopes []string       `json:"authorized_scopes"`
	Credentials      map[string]any `json:"credentials"`
	ExpiresAt        *string        `json:"expires_at"`
	Error            *string        `json:"error"`
	LastRefreshedAt  *string        `json:"last_refreshed_at"`
	NextRefreshAt    *string        `json:"next_refresh_at"`
}

type accountPage struct {
	Data     []accountWire `json:"data"`
	PageInfo struct {
		Count      int     `json:"count"`
		TotalCount int     `json:"total_count"`
		EndCursor  *string `json:"end_cursor"`
	} `json:"page_info"`
}

// connectAccount connects an account through the control plane.
func connectAccount(t *testing.T, srv *testutil.Server, env, user, app string) accountWire {
	t.Helper()
	r := srv.Do("POST", "/_emulator/projects/"+srv.Credentials.ProjectID+"/accounts", "",
		map[string]any{"external_user_id": user, "app": app, "environment": env})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	return decode[accountWire](t, r)
}

// createBody is an accounts.create body as the SDK sends it.
func createBody(app, cfmap, ctok string, extra ...string) map[string]any {
	b := map[string]any{"app_slug": app, "cfmap_json": cfmap, "connect_token": ctok}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i]] = extra[i+1]
	}
	return b
}

func TestConnectAccountControlPlane(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	r := srv.Do("POST", "/_emulator/projects/"+pid+"/accounts", "", map[string]any{
		"external_user_id": "alice", "app": "stripe", "environment": dev, "name": "Alice's Stripe",
		"credentials": map[string]any{"api_key": "sk_test_123"},
	})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &raw))
	for _, k := range []string{"id", "name", "external_id", "healthy", "dead", "app", "created_at", "updated_at",
		"authorized_scopes", "credentials", "error", "last_refreshed_at", "next_refresh_at"} {
		assert.Contains(t, raw, k)
	}
	assert.NotContains(t, raw, "expires_at", "a key-based account has no expiry: omitted, not null")
	acc := decode[accountWire](t, r)
	assert.Regexp(t, `^apn_[a-zA-Z0-9]+$`, acc.ID)
	assert.Equal(t, "Alice's Stripe", acc.Name)
	assert.Equal(t, "alice", acc.ExternalID)
	assert.True(t, acc.Healthy)
	assert.Equal(t, "stripe", acc.App.NameSlug)
	assert.Equal(t, "app_1ZPhn2", acc.App.ID)
	assert.Equal(t, "2030-01-01T00:00:00Z", acc.CreatedAt)
	assert.Equal(t, map[string]any{"api_key": "sk_test_123"}, acc.Credentials)
	assert.Nil(t, acc.ExpiresAt)

	oauth := connectAccount(t, srv, "", "bob", "github")
	for _, k := range []string{"oauth_client_id", "oauth_access_token", "oauth_refresh_token", "oauth_uid"} {
		assert.NotEmpty(t, oauth.Credentials[k], k)
	}
	assert.Equal(t, "2030-01-01T01:00:00Z", *oauth.ExpiresAt)
	assert.Equal(t, "2030-01-01T00:55:00Z", *oauth.NextRefreshAt)
	assert.Equal(t, "2030-01-01T00:00:00Z", *oauth.LastRefreshedAt)
	assert.NotEmpty(t, oauth.AuthorizedScopes)

	// The fixtures' default environment is the banner's, development; the
	// user exists there now, and not in production.
	users := srv.Do("GET", "/v1/connect/"+pid+"/users", srv.Token(), nil, "X-PD-Environment", emulator.DefaultEnvironment)
	require.Equal(t, 200, users.Status)
	assert.Contains(t, string(users.Body), `"external_id":"bob"`)
	users = srv.Do("GET", "/v1/connect/"+pid+"/users", srv.Token(), nil, "X-PD-Environment", "production")
	assert.NotContains(t, string(users.Body), `"external_id":"bob"`)

	for _, tc := range []struct {
		name, path string
		body       any
		status     int
	}{
		{"unknown project", "/_emulator/projects/proj_nope/accounts", map[string]any{"external_user_id": "a", "app": "slack"}, 404},
		{"unknown app", "", map[string]any{"external_user_id": "a", "app": "nope"}, 404},
		{"app needs no account", "", map[string]any{"external_user_id": "a", "app": "schedule"}, 400},
		{"no user", "", map[string]any{"app": "slack"}, 400},
		{"no app", "", map[string]any{"external_user_id": "a"}, 400},
		{"bad environment", "", map[string]any{"external_user_id": "a", "app": "slack", "environment": "staging"}, 400},
		{"unknown field", "", map[string]any{"external_user_id": "a", "app": "slack", "extra": 1}, 400},
		{"credentials not an object", "", map[string]any{"external_user_id": "a", "app": "slack", "credentials": "x"}, 400},
		{"keys app missing a field", "", map[string]any{"external_user_id": "a", "app": "twilio", "credentials": map[string]any{"account_sid": "AC"}}, 400},
		{"malformed", "", `{"external_user_id":`, 400},
	} {
		path := tc.path
		if path == "" {
			path = "/_emulator/projects/" + pid + "/accounts"
		}
		r := srv.Do("POST", path, "", tc.body)
		assert.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		assert.NotEmpty(t, r.JSON(t)["error"], tc.name)
	}
	list := srv.Do("GET", "/v1/connect/"+pid+"/accounts", srv.Token(), nil, "X-PD-Environment", "development")
	assert.Equal(t, 2, decode[accountPage](t, list).PageInfo.TotalCount, "alice's and bob's: refused requests connected nothing")

	// The Go API.
	id, err := srv.Emulator.ConnectAccount(pid, dev, "carol", "openai", map[string]any{"api_key": "sk-go"})
	require.NoError(t, err)
	got := srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+id+"?include_credentials=true", srv.Token(), nil, "X-PD-Environment", dev)
	require.Equal(t, 200, got.Status, "%s", got.Body)
	assert.Equal(t, "sk-go", decode[accountWire](t, got).Credentials["api_key"])
	_, err = srv.Emulator.ConnectAccount(pid, dev, "carol", "nope", nil)
	assert.Error(t, err)
	_, err = srv.Emulator.ConnectAccount("proj_nope", dev, "carol", "slack", nil)
	assert.Error(t, err)
}

func TestCreateAccountWithConnectToken(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	ctok := srv.ConnectToken("alice")

	// Every refused request leaves the token usable and connects nothing.
	for _, tc := range []struct {
		name    string
		path    string
		body    any
		headers []string
		status  int
	}{
		{"no app_slug", "", createBody("", `{"api_key":"k"}`, ctok), nil, 400},
		{"no cfmap_json", "", createBody("stripe", "", ctok), nil, 400},
		{"no connect_token", "", createBody("stripe", `{"api_key":"k"}`, ""), nil, 400},
		{"malformed cfmap_json", "", createBody("stripe", `{"api_key":`, ctok), nil, 400},
		{"cfmap_json an array", "", createBody("stripe", `["k"]`, ctok), nil, 400},
		{"cfmap_json null", "", createBody("stripe", `null`, ctok), nil, 400},
		{"cfmap_json with trailing data", "", createBody("stripe", `{} {}`, ctok), nil, 400},
		{"cfmap_json not a string", "", map[string]any{"app_slug": "stripe", "cfmap_json": map[string]any{"api_key": "k"}, "connect_token": ctok}, nil, 400},
		{"connect_token of another", "", createBody("stripe", `{"api_key":"k"}`, "ctok_00000000000000000000000000000000"), nil, 400},
		{"external_user_id of another", "?external_user_id=bob", createBody("stripe", `{"api_key":"k"}`, ctok), nil, 400},
		{"missing required key", "", createBody("stripe", `{}`, ctok), nil, 400},
		{"unknown app", "", createBody("nope", `{}`, ctok), nil, 404},
		{"app needs no account", "", createBody("http", `{}`, ctok), nil, 400},
		{"reconnect an unknown account", "", createBody("stripe", `{"api_key":"k"}`, ctok, "account_id", "apn_nope"), nil, 404},
		{"unknown oauth_app_id", "?oauth_app_id=oa_nope", createBody("slack", `{}`, ctok), nil, 404},
		{"environment against the token", "", createBody("stripe", `{"api_key":"k"}`, ctok), []string{"X-PD-Environment", "production"}, 400},
		{"malformed body", "", `{"app_slug":`, nil, 400},
	} {
		r := srv.Do("POST", "/v1/connect/accounts"+tc.path, ctok, tc.body, tc.headers...)
		assert.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		assert.NotEmpty(t, r.JSON(t)["error"], tc.name)
	}
	r := srv.Do("GET", "/v1/connect/accounts", ctok, nil)
	require.Equal(t, 200, r.Status, "the token still works: %s", r.Body)
	assert.Empty(t, decode[accountPage](t, r).Data)

	// An OAuth token can't create accounts (Connect token only).
	r = srv.Do("POST", "/v1/connect/"+pid+"/accounts", srv.Token(), createBody("stripe", `{"api_key":"k"}`, ctok))
	assert.Equal(t, 401, r.Status)

	// Success: project-less path, as the SDK sends it with a Connect token.
	r = srv.Do("POST", "/v1/connect/accounts?external_user_id=alice", ctok,
		createBody("stripe", `{"api_key":"sk_live_1"}`, ctok, "name", "Main Stripe", "unknown_field", "ignored"))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	acc := decode[accountWire](t, r)
	assert.Equal(t, "Main Stripe", acc.Name)
	assert.Equal(t, "alice", acc.ExternalID)
	assert.Nil(t, acc.Credentials, "credentials are not echoed")

	// The token is used up: any use of it is now a 401.
	for _, req := range []struct{ method, path string }{{"POST", "/v1/connect/accounts"}, {"GET", "/v1/connect/accounts"}, {"GET", "/v1/connect/accounts/" + acc.ID}} {
		r := srv.Do(req.method, req.path, ctok, createBody("stripe", `{"api_key":"k"}`, ctok))
		assert.Equal(t, 401, r.Status, "%s %s", req.method, req.path)
		assert.Equal(t, "invalid_token", r.JSON(t)["error"])
	}

	// The account is alice's, in development, with the keys given.
	oa := srv.Token()
	got := srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+acc.ID+"?include_credentials=true", oa, nil, "X-PD-Environment", dev)
	require.Equal(t, 200, got.Status)
	assert.Equal(t, "sk_live_1", decode[accountWire](t, got).Credentials["api_key"])

	// Reconnect with a new token replaces the credentials of the same account.
	srv.Advance(time.Minute)
	ctok2 := srv.ConnectToken("alice")
	r = srv.Do("POST", "/v1/connect/"+pid+"/accounts", ctok2,
		createBody("stripe", `{"api_key":"sk_live_2"}`, ctok2, "account_id", acc.ID))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	again := decode[accountWire](t, r)
	assert.Equal(t, acc.ID, again.ID)
	assert.Equal(t, acc.CreatedAt, again.CreatedAt)
	assert.Equal(t, "2030-01-01T00:01:00Z", again.UpdatedAt)
	got = srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+acc.ID+"?include_credentials=true", oa, nil, "X-PD-Environment", dev)
	assert.Equal(t, "sk_live_2", decode[accountWire](t, got).Credentials["api_key"])

	// Another user's token can't reconnect alice's account.
	bobTok := srv.ConnectToken("bob")
	r = srv.Do("POST", "/v1/connect/accounts", bobTok, createBody("stripe", `{"api_key":"x"}`, bobTok, "account_id", acc.ID))
	assert.Equal(t, 404, r.Status)

	// OAuth apps: the OAuth flow's result is made up, cfmap fields laid over it.
	ctok3 := srv.ConnectToken("alice")
	r = srv.Do("POST", "/v1/connect/accounts", ctok3, createBody("slack", `{"oauth_uid":"U123"}`, ctok3))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	slack := decode[accountWire](t, r)
	got = srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+slack.ID+"?include_credentials=true", oa, nil, "X-PD-Environment", dev)
	creds := decode[accountWire](t, got).Credentials
	assert.Equal(t, "U123", creds["oauth_uid"])
	assert.NotEmpty(t, creds["oauth_access_token"])
}

func TestAccountsReadAndDelete(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	oa := srv.Token("connect:accounts:read connect:accounts:write connect:users:write")
	base := "/v1/connect/" + pid
	var ids []string
	for i := range 12 {
		user := []string{"alice", "bob", "carol"}[i%3]
		app := []string{"stripe", "slack"}[i%2]
		ids = append(ids, connectAccount(t, srv, dev, user, app).ID)
	}
	prod := connectAccount(t, srv, "production", "alice", "stripe")

	// Pages of the whole project environment, oldest first.
	var got []string
	after := ""
	for range 10 {
		path := base + "/accounts?limit=5"
		if after != "" {
			path += "&after=" + url.QueryEscape(after)
		}
		r := srv.Do("GET", path, oa, nil, "X-PD-Environment", dev)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		page := decode[accountPage](t, r)
		assert.Equal(t, 12, page.PageInfo.TotalCount)
		for _, a := range page.Data {
			got = append(got, a.ID)
			assert.Nil(t, a.Credentials, "no credentials unless asked")
		}
		if page.PageInfo.EndCursor == nil {
			break
		}
		after = *page.PageInfo.EndCursor
	}
	assert.Equal(t, ids, got)

	list := func(query string, headers ...string) accountPage {
		t.Helper()
		r := srv.Do("GET", base+"/accounts?limit=100&"+query, oa, nil, append([]string{"X-PD-Environment", dev}, headers...)...)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		return decode[accountPage](t, r)
	}
	assert.Len(t, list("external_user_id=alice").Data, 4)
	assert.Len(t, list("app=slack").Data, 6)
	assert.Len(t, list("app=app_OkrhR1&external_user_id=bob").Data, 2)
	assert.Empty(t, list("external_user_id=nobody").Data)
	assert.Empty(t, list("oauth_app_id=oa_none").Data)
	for _, a := range list("include_credentials=true").Data {
		assert.NotEmpty(t, a.Credentials, "development: every account's credentials")
	}
	for _, a := range list("include_credentials=false").Data {
		assert.Nil(t, a.Credentials)
	}
	prodList := list("", "X-PD-Environment", "production")
	require.Len(t, prodList.Data, 1, "environments are separate")
	assert.Equal(t, prod.ID, prodList.Data[0].ID)

	// Retrieve.
	r := srv.Do("GET", base+"/accounts/"+ids[0], oa, nil, "X-PD-Environment", dev)
	require.Equal(t, 200, r.Status)
	one := decode[accountWire](t, r)
	assert.Equal(t, ids[0], one.ID)
	assert.Nil(t, one.Credentials)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &raw))
	assert.NotContains(t, raw, "credentials")

	// By external user: a bare array.
	r = srv.Do("GET", base+"/users/alice/accounts?app=stripe&include_credentials=true", oa, nil, "X-PD-Environment", dev)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.True(t, strings.HasPrefix(string(r.Body), "["), "%s", r.Body)
	byUser := decode[[]accountWire](t, r)
	require.Len(t, byUser, 2)
	for _, a := range byUser {
		assert.Equal(t, "alice", a.ExternalID)
		assert.Equal(t, "stripe", a.App.NameSlug)
		assert.NotEmpty(t, a.Credentials["api_key"])
	}

	for _, tc := range []struct {
		name, method, path string
		headers            []string
		status             int
	}{
		{"bad include_credentials", "GET", base + "/accounts?include_credentials=yes", nil, 400},
		{"include_credentials as 1", "GET", base + "/accounts/" + ids[0] + "?include_credentials=1", nil, 400},
		{"bad bool on user accounts", "GET", base + "/users/alice/accounts?include_credentials=maybe", nil, 400},
		{"limit 0", "GET", base + "/accounts?limit=0", nil, 400},
		{"junk cursor", "GET", base + "/accounts?after=%25%25", nil, 400},
		{"unknown app filter", "GET", base + "/accounts?app=nope", nil, 404},
		{"unknown account", "GET", base + "/accounts/apn_nope", nil, 404},
		{"account of the other environment", "GET", base + "/accounts/" + prod.ID, nil, 404},
		{"delete in the other environment", "DELETE", base + "/accounts/" + prod.ID, nil, 404},
		{"unknown user", "GET", base + "/users/nobody/accounts", nil, 404},
		{"user of the other environment", "GET", base + "/users/bob/accounts", []string{"X-PD-Environment", "production"}, 404},
		{"unknown project", "GET", "/v1/connect/proj_nope/accounts", nil, 404},
		{"delete unknown", "DELETE", base + "/accounts/apn_nope", nil, 404},
		{"delete by unknown app", "DELETE", base + "/apps/nope/accounts", nil, 404},
		{"delete by unknown OAuth client", "DELETE", base + "/apps/oa_nope/accounts", nil, 404},
		{"bad environment", "GET", base + "/accounts", []string{"X-PD-Environment", "staging"}, 400},
		{"OAuth token on the project-less path", "GET", "/v1/connect/accounts", nil, 400},
	} {
		headers := tc.headers
		if headers == nil {
			headers = []string{"X-PD-Environment", dev}
		}
		r := srv.Do(tc.method, tc.path, oa, nil, headers...)
		assert.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		assert.NotEmpty(t, r.JSON(t)["error"], tc.name)
	}

	// Delete one, then by app, then a user with the rest.
	require.Equal(t, 204, srv.Do("DELETE", base+"/accounts/"+ids[0], oa, nil, "X-PD-Environment", dev).Status)
	assert.Equal(t, 404, srv.Do("GET", base+"/accounts/"+ids[0], oa, nil, "X-PD-Environment", dev).Status)
	assert.Equal(t, 404, srv.Do("DELETE", base+"/accounts/"+ids[0], oa, nil, "X-PD-Environment", dev).Status)

	require.Equal(t, 204, srv.Do("DELETE", base+"/apps/stripe/accounts", oa, nil, "X-PD-Environment", dev).Status)
	assert.Empty(t, list("app=stripe").Data)
	assert.Len(t, list("app=slack").Data, 6)
	assert.Len(t, list("", "X-PD-Environment", "production").Data, 1, "the other environment keeps its stripe account")
	require.Equal(t, 204, srv.Do("DELETE", base+"/apps/app_1ZPhn2/accounts", oa, nil, "X-PD-Environment", dev).Status, "none left: still 204")

	require.Equal(t, 204, srv.Do("DELETE", base+"/users/bob", oa, nil, "X-PD-Environment", dev).Status)
	assert.Empty(t, list("external_user_id=bob").Data, "the user's accounts went with them")
	assert.Len(t, list("").Data, 4)
	r = srv.Do("GET", base+"/users/alice/accounts", oa, nil, "X-PD-Environment", dev)
	require.Equal(t, 200, r.Status)
	assert.Len(t, decode[[]accountWire](t, r), 2)
}

func TestAccountsConnectTokenIsolation(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	alice := connectAccount(t, srv, dev, "alice", "stripe")
	bob := connectAccount(t, srv, dev, "bob", "stripe")
	aliceProd := connectAccount(t, srv, "production", "alice", "stripe")
	aliceTok := srv.ConnectToken("alice")

	for _, path := range []string{"/v1/connect/accounts", "/v1/connect/" + pid + "/accounts"} {
		r := srv.Do("GET", path+"?include_credentials=true", aliceTok, nil)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		page := decode[accountPage](t, r)
		require.Len(t, page.Data, 1, path)
		assert.Equal(t, alice.ID, page.Data[0].ID)
		assert.Nil(t, page.Data[0].Credentials, "a Connect token never sees credentials")
	}
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"own account", "GET", "/v1/connect/accounts/" + alice.ID + "?include_credentials=true", 200},
		{"other user's account", "GET", "/v1/connect/accounts/" + bob.ID, 404},
		{"own account in production", "GET", "/v1/connect/accounts/" + aliceProd.ID, 404},
		{"delete other user's account", "DELETE", "/v1/connect/accounts/" + bob.ID, 404},
		{"other user's list", "GET", "/v1/connect/users/bob/accounts", 404},
		{"other user by query", "GET", "/v1/connect/accounts?external_user_id=bob", 400},
		{"own list by user", "GET", "/v1/connect/users/alice/accounts", 200},
		{"own list by query", "GET", "/v1/connect/accounts?external_user_id=alice", 200},
	} {
		r := srv.Do(tc.method, tc.path, aliceTok, nil)
		assert.Equal(t, tc.status, r.Status, "%s: %s", tc.name, r.Body)
		assert.NotContains(t, string(r.Body), `"credentials"`, tc.name)
	}

	// Delete-by-app with a Connect token deletes only the caller's own.
	require.Equal(t, 204, srv.Do("DELETE", "/v1/connect/apps/stripe/accounts", aliceTok, nil).Status)
	oa := srv.Token()
	r := srv.Do("GET", "/v1/connect/"+pid+"/accounts", oa, nil, "X-PD-Environment", dev)
	page := decode[accountPage](t, r)
	require.Len(t, page.Data, 1)
	assert.Equal(t, bob.ID, page.Data[0].ID)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+aliceProd.ID, oa, nil).Status, "production untouched")

	// Scopes: reading needs connect:accounts:read, writing :write.
	readOnly := srv.ConnectToken("bob", "connect:accounts:read")
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/accounts", readOnly, nil).Status)
	assert.Equal(t, 403, srv.Do("DELETE", "/v1/connect/accounts/"+bob.ID, readOnly, nil).Status)
	writeOnly := srv.ConnectToken("bob", "connect:accounts:write")
	assert.Equal(t, 403, srv.Do("GET", "/v1/connect/accounts", writeOnly, nil).Status)
}

func TestAccountsWorkspaceAndProjectIsolation(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := connectAccount(t, srv, dev, "alice", "stripe")
	oa := srv.Token()

	// A second project of the same workspace sees nothing of the first's.
	r := srv.Do("POST", "/v1/connect/projects", oa, map[string]any{"name": "Second"})
	require.Equal(t, 201, r.Status)
	other := r.JSON(t)["id"].(string)
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/"+other+"/accounts/"+acc.ID, oa, nil, "X-PD-Environment", dev).Status)
	assert.Empty(t, decode[accountPage](t, srv.Do("GET", "/v1/connect/"+other+"/accounts", oa, nil, "X-PD-Environment", dev)).Data)
	assert.Equal(t, 404, srv.Do("DELETE", "/v1/connect/"+other+"/accounts/"+acc.ID, oa, nil, "X-PD-Environment", dev).Status)

	// A client restricted to the second project doesn't see the first.
	wsRes := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "restricted", "project_ids": []string{other}})
	require.Equal(t, 201, wsRes.Status, "%s", wsRes.Body)
	creds := wsRes.JSON(t)
	tok := srv.Do("POST", "/v1/oauth/token", "", map[string]any{"grant_type": "client_credentials",
		"client_id": creds["client_id"], "client_secret": creds["client_secret"]}).JSON(t)["access_token"].(string)
	r = srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/accounts/"+acc.ID, tok, nil, "X-PD-Environment", dev)
	assert.Equal(t, 404, r.Status, "a client restricted to another project")

	// Deleting the project takes its accounts.
	require.Equal(t, 204, srv.Do("DELETE", "/v1/connect/projects/"+srv.Credentials.ProjectID, oa, nil).Status)
	_, err := srv.Emulator.ConnectAccount(srv.Credentials.ProjectID, dev, "alice", "stripe", nil)
	assert.Error(t, err)
}

func TestAccountCredentialsRuleInProduction(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	oa := srv.Token()
	slack := connectAccount(t, srv, "production", "alice", "slack")
	stripe := connectAccount(t, srv, "production", "alice", "stripe")
	assert.NotEmpty(t, slack.Credentials, "the control plane always shows what it made")

	get := func(id string) accountWire {
		r := srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+id+"?include_credentials=true", oa, nil, "X-PD-Environment", "production")
		require.Equal(t, 200, r.Status)
		return decode[accountWire](t, r)
	}
	assert.Nil(t, get(slack.ID).Credentials, "production OAuth credentials of Pipedream's client are not returned")
	assert.Equal(t, stripe.Credentials, get(stripe.ID).Credentials, "keys apps' are")

	// Through the developer's own OAuth client they are.
	r := srv.Do("POST", "/v1/connect/"+pid+"/oauth_apps", oa,
		map[string]any{"app": "slack", "client_id": "my-client", "client_secret": "my-secret"}, "X-PD-Environment", "production")
	require.Equal(t, 201, r.Status, "%s", r.Body)
	oaID := r.JSON(t)["id"].(string)
	r = srv.Do("POST", "/_emulator/projects/"+pid+"/accounts", "",
		map[string]any{"external_user_id": "alice", "app": "slack", "oauth_app_id": oaID, "environment": "production"})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	own := get(decode[accountWire](t, r).ID)
	require.NotNil(t, own.Credentials)
	assert.Equal(t, "my-client", own.Credentials["oauth_client_id"])
	r = srv.Do("GET", "/v1/connect/"+pid+"/accounts?oauth_app_id="+oaID, oa, nil, "X-PD-Environment", "production")
	assert.Len(t, decode[accountPage](t, r).Data, 1)
	require.Equal(t, 204, srv.Do("DELETE", "/v1/connect/"+pid+"/apps/"+oaID+"/accounts", oa, nil, "X-PD-Environment", "production").Status)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+slack.ID, oa, nil, "X-PD-Environment", "production").Status,
		"deleting by OAuth client leaves accounts of Pipedream's client")
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+own.ID, oa, nil, "X-PD-Environment", "production").Status)
}

// TestAccountExpiresAtOmittedWhenUnset pins expires_at on every read of an
// account: absent (never null, which Pipedream's OpenAPI Account schema
// does not allow) when the account has no expiry, an RFC 3339 time when it
// has one.
func TestAccountExpiresAtOmittedWhenUnset(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	tok := srv.Token()
	keyed := connectAccount(t, srv, dev, "alice", "stripe")
	oauth := connectAccount(t, srv, dev, "alice", "github")

	// one finds the account in an answer: the object itself or the list item.
	one := func(t *testing.T, r testutil.Response, id string) map[string]any {
		t.Helper()
		require.Equal(t, 200, r.Status, "%s", r.Body)
		m := r.JSON(t)
		if data, isList := m["data"].([]any); isList {
			for _, it := range data {
				if acc := it.(map[string]any); acc["id"] == id {
					return acc
				}
			}
			require.Failf(t, "account not listed", "%s in %s", id, r.Body)
		}
		return m
	}
	reads := []struct {
		name string
		get  func(id string) testutil.Response
	}{
		{"retrieve", func(id string) testutil.Response {
			return srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+id, tok, nil, "X-PD-Environment", dev)
		}},
		{"retrieve with credentials", func(id string) testutil.Response {
			return srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+id+"?include_credentials=true", tok, nil, "X-PD-Environment", dev)
		}},
		{"list", func(string) testutil.Response {
			return srv.Do("GET", "/v1/connect/"+pid+"/accounts?external_user_id=alice", tok, nil, "X-PD-Environment", dev)
		}},
	}
	tests := []struct {
		name    string
		id      string
		present bool
		want    string
	}{
		{"key-based account: no expiry", keyed.ID, false, ""},
		{"OAuth account: its token's expiry", oauth.ID, true, "2030-01-01T01:00:00Z"},
	}
	for _, rd := range reads {
		for _, tc := range tests {
			t.Run(rd.name+"/"+tc.name, func(t *testing.T) {
				acc := one(t, rd.get(tc.id), tc.id)
				got, found := acc["expires_at"]
				if !tc.present {
					assert.False(t, found, "expires_at must be absent, got %v", got)
					return
				}
				require.True(t, found, "expires_at must be present")
				assert.Equal(t, tc.want, got)
			})
		}
	}
}

func TestAccountRefreshTimingFollowsTheClock(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	acc := connectAccount(t, srv, dev, "alice", "github")
	srv.Advance(2 * time.Hour)
	r := srv.Do("GET", "/v1/connect/"+pid+"/accounts/"+acc.ID, srv.Token(), nil, "X-PD-Environment", dev)
	require.Equal(t, 200, r.Status)
	got := decode[accountWire](t, r)
	assert.Equal(t, "2030-01-01T01:50:00Z", *got.LastRefreshedAt, "two refreshes of 55 minutes")
	assert.Equal(t, "2030-01-01T02:45:00Z", *got.NextRefreshAt)
	assert.Equal(t, "2030-01-01T02:50:00Z", *got.ExpiresAt)
	assert.Equal(t, acc.UpdatedAt, got.UpdatedAt)
}

func TestAccountsStagedUnhealthy(t *testing.T) {
	srv := testutil.NewServer(t)
	r := srv.Do("POST", "/_emulator/projects/"+srv.Credentials.ProjectID+"/accounts", "", map[string]any{
		"external_user_id": "alice", "app": "slack", "environment": dev,
		"healthy": false, "dead": true, "error": "token revoked by user", "authorized_scopes": []string{"chat:write"},
	})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	acc := decode[accountWire](t, r)
	assert.False(t, acc.Healthy)
	assert.True(t, acc.Dead)
	require.NotNil(t, acc.Error)
	assert.Equal(t, "token revoked by user", *acc.Error)
	assert.Equal(t, []string{"chat:write"}, acc.AuthorizedScopes)
	assert.Nil(t, acc.NextRefreshAt)
}

// FuzzAccountsAndApps throws arbitrary queries and bodies at the account
// and app endpoints, with an OAuth token or a Connect token, so that their
// adapters see the junk: never a 5xx, always a JSON error.
func FuzzAccountsAndApps(f *testing.F) {
	emu := emulator.MustNew()
	c := emu.Credentials()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		f.Fatal(err)
	}
	acc, err := emu.ConnectAccount(c.ProjectID, dev, "alice", "slack", nil)
	if err != nil {
		f.Fatal(err)
	}
	p := "/v1/connect/" + c.ProjectID
	f.Add("GET", p+"/accounts?include_credentials=true&app=slack&limit=3&after=AAAA", "", false)
	f.Add("GET", p+"/accounts/"+acc+"?include_credentials=tru", "", false)
	f.Add("DELETE", p+"/apps/%ff/accounts", "", false)
	f.Add("GET", p+"/users/%00/accounts?app=", "", true)
	f.Add("POST", "/v1/connect/accounts?external_user_id=alice", `{"app_slug":"stripe","cfmap_json":"{\"api_key\":1e999}","connect_token":"x"}`, true)
	f.Add("POST", "/v1/connect/accounts", `{"app_slug":"slack","cfmap_json":"[[[[","connect_token":7}`, true)
	f.Add("GET", "/v1/connect/apps?sort_key=name&sort_direction=desc&category_ids=,,&has_actions=true&q=%ff", "", false)
	f.Add("GET", "/v1/apps?before=bmFtZTpkZXNjOg&sort_key=name&sort_direction=desc", "", true)
	f.Add("GET", "/v1/connect/app_categories/%2e%2e", "", false)
	f.Add("POST", "/_emulator/apps", `{"name_slug":"a","name":"A","auth_type":"keys","custom_fields_json":"[{\"name\":\"\"}]"}`, false)
	f.Add("POST", "/_emulator/projects/"+c.ProjectID+"/accounts", `{"external_user_id":"u","app":"twilio","credentials":{"account_sid":null}}`, false)
	f.Fuzz(func(t *testing.T, method, target, body string, connectToken bool) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := fuzzRequest(method, target, body)
		if err != nil {
			return // not a request a client could send
		}
		if strings.HasPrefix(req.URL.Path, "/_emulator/") && (method == http.MethodDelete || strings.Contains(req.URL.Path, "reset")) {
			return // would revoke the tokens every later input relies on
		}
		bearer := tok.AccessToken
		if connectToken {
			// A fresh one each time: creating an account uses it up.
			if bearer, err = emu.CreateConnectToken(c.ProjectID, dev, "alice", ""); err != nil {
				t.Fatal(err)
			}
			body = strings.ReplaceAll(body, `"x"`, `"`+bearer+`"`)
			req, _ = fuzzRequest(method, target, body)
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("X-PD-Environment", dev)
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}
