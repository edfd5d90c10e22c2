package emulator_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/testutil"
)

func TestCreateConnectToken(t *testing.T) {
	srv := testutil.NewServer(t)
	path := "/v1/connect/" + srv.Credentials.ProjectID + "/tokens"
	full := srv.Token()
	tests := []struct {
		name       string
		token      string
		body       string
		status     int
		code       string
		wantTTL    time.Duration
		wantScopes []any
	}{
		{name: "defaults", token: full, body: `{"external_user_id":"u1"}`, status: 200, wantTTL: 4 * time.Hour, wantScopes: []any{"connect:*"}},
		{name: "what the SDK sends", token: full, body: `{"external_user_id":"u1","scope":"connect:accounts:read","expires_in":60}`, status: 200, wantTTL: time.Minute, wantScopes: []any{"connect:accounts:read"}},
		{name: "shortest", token: full, body: `{"external_user_id":"u1","expires_in":1}`, status: 200, wantTTL: time.Second},
		{name: "longest", token: full, body: `{"external_user_id":"u1","expires_in":14400}`, status: 200, wantTTL: 4 * time.Hour},
		{name: "zero lifetime", token: full, body: `{"external_user_id":"u1","expires_in":0}`, status: 400, code: "invalid_request"},
		{name: "too long", token: full, body: `{"external_user_id":"u1","expires_in":14401}`, status: 400, code: "invalid_request"},
		{name: "negative lifetime", token: full, body: `{"external_user_id":"u1","expires_in":-5}`, status: 400, code: "invalid_request"},
		{name: "fractional lifetime", token: full, body: `{"external_user_id":"u1","expires_in":1.5}`, status: 400, code: "invalid_request"},
		{name: "lifetime as string", token: full, body: `{"external_user_id":"u1","expires_in":"60"}`, status: 400, code: "invalid_request"},
		{name: "no user", token: full, body: `{}`, status: 400, code: "invalid_request"},
		{name: "blank user", token: full, body: `{"external_user_id":"  "}`, status: 400, code: "invalid_request"},
		{name: "star is never granted", token: full, body: `{"external_user_id":"u1","scope":"*"}`, status: 400, code: "invalid_scope"},
		{name: "unknown scope", token: full, body: `{"external_user_id":"u1","scope":"connect:nope"}`, status: 400, code: "invalid_scope"},
		{name: "bad redirect", token: full, body: `{"external_user_id":"u1","success_redirect_uri":"not a url"}`, status: 400, code: "invalid_request"},
		{name: "bad origin", token: full, body: `{"external_user_id":"u1","allowed_origins":["localhost"]}`, status: 400, code: "invalid_request"},
		{name: "malformed json", token: full, body: `{"external_user_id":`, status: 400, code: "invalid_request"},
		{name: "narrow creator: default is its connect scopes", token: srv.Token("connect:tokens:create connect:accounts:read"), body: `{"external_user_id":"u1"}`, status: 200, wantTTL: 4 * time.Hour, wantScopes: []any{"connect:accounts:read"}},
		{name: "narrow creator: never wider than itself", token: srv.Token("connect:tokens:create connect:accounts:read"), body: `{"external_user_id":"u1","scope":"connect:proxy"}`, status: 400, code: "invalid_scope"},
		{name: "narrow creator: connect:* is wider", token: srv.Token("connect:tokens:create"), body: `{"external_user_id":"u1","scope":"connect:*"}`, status: 400, code: "invalid_scope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("POST", path, tc.token, tc.body)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			body := r.JSON(t)
			if tc.code != "" {
				assert.Equal(t, tc.code, body["error"])
				return
			}
			tok := body["token"].(string)
			assert.Regexp(t, `^ctok_[0-9a-f]{32}$`, tok)
			exp, err := time.Parse(time.RFC3339, body["expires_at"].(string))
			require.NoError(t, err)
			assert.Equal(t, srv.Now().Add(tc.wantTTL), exp)
			link, err := url.Parse(body["connect_link_url"].(string))
			require.NoError(t, err)
			assert.Equal(t, tok, link.Query().Get("token"))
			if tc.wantScopes != nil {
				assert.Equal(t, tc.wantScopes, scopesOfConnectToken(t, srv, tok))
			}
		})
	}
}

// scopesOfConnectToken finds what a Connect token may do by asking for a
// 403: the emulator reports no token introspection, so probe instead.
func scopesOfConnectToken(t *testing.T, srv *testutil.Server, tok string) []any {
	t.Helper()
	var got []any
	for _, s := range []string{"connect:*", "connect:accounts:read", "connect:proxy"} {
		probe := map[string]string{
			"connect:*":             "/v1/connect/file_stash/download?s3_key=x",
			"connect:accounts:read": "/v1/connect/accounts",
			"connect:proxy":         "/v1/connect/proxy/eA",
		}[s]
		if r := srv.Do("GET", probe, tok, nil); r.Status != 403 {
			got = append(got, s)
			if s == "connect:*" {
				return got // covers the rest
			}
		}
	}
	return got
}

func TestConnectTokenAsBearer(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	ctok := srv.ConnectToken("alice") // development, connect:*

	// OAuth-only endpoints refuse it.
	for _, p := range []string{"/v1/connect/projects", "/v1/connect/" + pid + "/users"} {
		r := srv.Do("GET", p, ctok, nil)
		assert.Equal(t, 401, r.Status, p)
		assert.Equal(t, "invalid_token", r.JSON(t)["error"])
		assert.Contains(t, r.JSON(t)["error_description"], "OAuth")
	}
	// The creating call made the user exist, in its environment only.
	users := srv.Do("GET", "/v1/connect/"+pid+"/users", srv.Token(), nil, "X-PD-Environment", "development").JSON(t)["data"].([]any)
	require.Len(t, users, 1)
	assert.Equal(t, "alice", users[0].(map[string]any)["external_id"])
	assert.Empty(t, srv.Do("GET", "/v1/connect/"+pid+"/users", srv.Token(), nil).JSON(t)["data"], "not in production")

	// Project and environment are the token's.
	other := srv.Do("POST", "/v1/connect/projects", srv.Token(), map[string]string{"name": "other"}).JSON(t)["id"].(string)
	tests := []struct {
		name, path string
		headers    []string
		status     int
	}{
		{"project-less path", "/v1/connect/users/alice", nil, 204},
		{"its project's path", "/v1/connect/" + pid + "/users/alice", nil, 204},
		{"its environment named", "/v1/connect/users/alice", []string{"X-PD-Environment", "development"}, 204},
		{"another environment", "/v1/connect/users/alice", []string{"X-PD-Environment", "production"}, 400},
		{"another project", "/v1/connect/" + other + "/users/alice", nil, 404},
		{"another user", "/v1/connect/users/bob", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fresh := srv.ConnectToken("alice")
			r := srv.Do("DELETE", tc.path, fresh, nil, tc.headers...)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
		})
	}
	// Deleting the user took its tokens with it.
	r := srv.Do("DELETE", "/v1/connect/users/alice", ctok, nil)
	assert.Equal(t, 401, r.Status, string(r.Body))
}

func TestConnectTokenExpiry(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
		want int
	}{
		{"just made", 0, 404},
		{"one second before", 59 * time.Second, 404},
		{"at expiry", 60 * time.Second, 401},
		{"after", time.Hour, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			r := srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/tokens", srv.Token(), map[string]any{"external_user_id": "alice", "expires_in": 60})
			require.Equal(t, 200, r.Status)
			ctok := r.JSON(t)["token"].(string)
			srv.Advance(tc.at)
			// 404: authorized, but bob is not this token's user.
			got := srv.Do("DELETE", "/v1/connect/users/bob", ctok, nil)
			assert.Equal(t, tc.want, got.Status, string(got.Body))
			if tc.want == 401 {
				assert.Contains(t, got.JSON(t)["error_description"], "expired")
			}
		})
	}
}

func TestDeleteExternalUser(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	require.NoError(t, srv.Emulator.AddExternalUser(pid, "production", "carol"))
	tok := srv.Token("connect:users:write")
	assert.Equal(t, 404, srv.Do("DELETE", "/v1/connect/"+pid+"/users/carol", tok, nil, "X-PD-Environment", "development").Status, "other environment")
	assert.Equal(t, 204, srv.Do("DELETE", "/v1/connect/"+pid+"/users/carol", tok, nil).Status)
	assert.Equal(t, 404, srv.Do("DELETE", "/v1/connect/"+pid+"/users/carol", tok, nil).Status, "already gone")
	// Ids with characters the SDK percent-encodes.
	require.NoError(t, srv.Emulator.AddExternalUser(pid, "production", "dave@example.com/x"))
	assert.Equal(t, 204, srv.Do("DELETE", "/v1/connect/"+pid+"/users/"+url.PathEscape("dave@example.com/x"), tok, nil).Status)
}

func TestValidateConnectToken(t *testing.T) {
	srv := testutil.NewServer(t)
	ctok := srv.ConnectToken("alice")
	validate := func(tok, query string) (int, map[string]any) {
		r := srv.Do("GET", "/v1/connect/tokens/"+tok+"/validate"+query, "", nil)
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Body, &m), string(r.Body))
		return r.Status, m
	}
	status, body := validate("ctok_00000000000000000000000000000000", "?app_id=slack")
	assert.Equal(t, 200, status)
	assert.Equal(t, false, body["success"])
	assert.NotEmpty(t, body["error"])

	status, body = validate(ctok, "")
	assert.Equal(t, 400, status, "app_id is required")
	assert.Equal(t, "invalid_request", body["error"])

	status, body = validate(ctok, "?app_id=no-such-app")
	assert.Equal(t, 200, status)
	assert.Equal(t, false, body["success"])
	assert.Equal(t, srv.Credentials.ProjectID, body["project_id"])
	assert.Equal(t, "development", body["project_environment"])

	srv.Advance(5 * time.Hour)
	_, body = validate(ctok, "?app_id=no-such-app")
	assert.Equal(t, false, body["success"])
	assert.Contains(t, body["error"], "expired")
}

// TestValidateConnectTokenErrorProperty pins the error property of
// tokens.validate: always present (Pipedream's OpenAPI document requires
// it), null on success and a message on failure.
func TestValidateConnectTokenErrorProperty(t *testing.T) {
	srv := testutil.NewServer(t)
	ctok := srv.ConnectToken("alice")
	tests := []struct {
		name    string
		tok     string
		query   string
		success bool
		// errText is "" when error must be null, else the message.
		errText string
	}{
		{"valid token and app", ctok, "?app_id=slack", true, ""},
		{"unknown token", "ctok_00000000000000000000000000000000", "?app_id=slack", false, "unknown Connect token"},
		{"unknown app", ctok, "?app_id=no-such-app", false, "unknown app no-such-app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("GET", "/v1/connect/tokens/"+tc.tok+"/validate"+tc.query, "", nil)
			require.Equal(t, 200, r.Status, string(r.Body))
			body := r.JSON(t)
			assert.Equal(t, tc.success, body["success"])
			got, found := body["error"]
			require.True(t, found, "error must be present: %s", r.Body)
			if tc.errText == "" {
				assert.Nil(t, got, "error must be null on success")
				assert.Contains(t, string(r.Body), `"error":null`)
				return
			}
			assert.Equal(t, tc.errText, got)
		})
	}
}

func TestValidateConnectTokenWithAppOverride(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	tok := srv.Token()
	r := srv.Do("POST", "/v1/connect/"+pid+"/app_overrides", tok, map[string]any{
		"app": "openai", "name": "ov-validate", "cfmap": map[string]any{"organization": "org-1"},
	})
	require.Equal(t, 201, r.Status, string(r.Body))
	ov := r.JSON(t)["id"].(string)
	ctok := srv.ConnectToken("alice")

	r = srv.Do("GET", "/v1/connect/tokens/"+ctok+"/validate?app_override_id="+ov, "", nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	body := r.JSON(t)
	assert.Equal(t, true, body["success"])
	assert.Contains(t, body, "error")
	assert.Nil(t, body["error"], "null on success")
	assert.Equal(t, ov, body["app_override_id"])
	assert.Equal(t, []any{"organization"}, body["app_override_field_names"])
	assert.Equal(t, "openai", body["app"].(map[string]any)["name_slug"])

	r = srv.Do("GET", "/v1/connect/tokens/"+ctok+"/validate?app_override_id=ao_nope", "", nil)
	assert.Equal(t, false, r.JSON(t)["success"])
}
