package emulator_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/testutil"
)

// revoke sends POST /v1/oauth/revoke with a body of the given type and an
// optional Authorization header, as a client that is not testutil.Do would.
func revoke(t *testing.T, srv *testutil.Server, contentType, auth, body string) testutil.Response {
	t.Helper()
	var headers []string
	if contentType != "" {
		headers = append(headers, "Content-Type", contentType)
	}
	if auth != "" {
		headers = append(headers, "Authorization", auth)
	}
	var b any
	if body != "" {
		b = body
	}
	r := srv.Do("POST", "/v1/oauth/revoke", "", b, headers...)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"), "RFC 6749 §5.1, as on the token endpoint")
	assert.Equal(t, "no-cache", r.Header.Get("Pragma"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "every answer is JSON")
	return r
}

// revokeJSON revokes tok with the seeded client's credentials in a JSON
// body, as Pipedream documents the call.
func revokeJSON(t *testing.T, srv *testutil.Server, tok string) testutil.Response {
	t.Helper()
	b, err := json.Marshal(map[string]string{"token": tok, "client_id": srv.Credentials.ClientID, "client_secret": srv.Credentials.ClientSecret})
	require.NoError(t, err)
	return revoke(t, srv, "application/json", "", string(b))
}

// requireRevoked checks the answer every successful revocation gets:
// 200 and the empty JSON object Pipedream documents.
func requireRevoked(t *testing.T, r testutil.Response) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.JSONEq(t, `{}`, string(r.Body))
}

// projectsStatus is the status of GET /v1/connect/projects with tok.
func projectsStatus(srv *testutil.Server, tok string) int {
	return srv.Do("GET", "/v1/connect/projects", tok, nil).Status
}

func TestRevokeEndpoint(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithMaxBodyBytes(1024))
	id, secret := srv.Credentials.ClientID, srv.Credentials.ClientSecret
	const (
		ctJSON = "application/json"
		ctForm = "application/x-www-form-urlencoded"
	)
	// Each row gets a fresh token; body builds the request around it.
	jsonBody := func(fields map[string]any) func(string) string {
		return func(tok string) string {
			m := map[string]any{}
			for k, v := range fields {
				if v == "$token" {
					v = tok
				}
				if v != nil {
					m[k] = v
				}
			}
			b, err := json.Marshal(m)
			require.NoError(t, err)
			return string(b)
		}
	}
	good := func(extra ...any) map[string]any {
		m := map[string]any{"token": "$token", "client_id": id, "client_secret": secret}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	form := func(pairs ...string) func(string) string {
		return func(tok string) string {
			v := url.Values{}
			for i := 0; i+1 < len(pairs); i += 2 {
				val := pairs[i+1]
				if val == "$token" {
					val = tok
				}
				v.Add(pairs[i], val)
			}
			return v.Encode()
		}
	}
	raw := func(s string) func(string) string { return func(string) string { return s } }
	// forge keeps the token's header and signature and alters its claims.
	forge := func(tok string) string {
		parts := strings.Split(tok, ".")
		claims, err := base64.RawURLEncoding.DecodeString(parts[1])
		require.NoError(t, err)
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), `"scopes":["*"]`, `"scopes":["connect:*"]`, 1)))
		return strings.Join(parts, ".")
	}

	tests := []struct {
		name        string
		contentType string
		auth        string
		body        func(tok string) string
		wantStatus  int
		wantError   string // "" for 200 {}
		wantBasic   bool   // WWW-Authenticate: Basic expected
		wantRevoked bool   // the row's token is refused afterwards
	}{
		{name: "json (as Pipedream documents)", contentType: ctJSON, body: jsonBody(good()), wantStatus: 200, wantRevoked: true},
		{name: "json with charset", contentType: ctJSON + "; charset=utf-8", body: jsonBody(good()), wantStatus: 200, wantRevoked: true},
		{name: "json with token_type_hint", contentType: ctJSON, body: jsonBody(good("token_type_hint", "access_token")), wantStatus: 200, wantRevoked: true},
		{name: "a wrong token_type_hint is ignored", contentType: ctJSON, body: jsonBody(good("token_type_hint", "refresh_token")), wantStatus: 200, wantRevoked: true},
		{name: "a token_type_hint of any type is ignored", contentType: ctJSON, body: jsonBody(good("token_type_hint", 7)), wantStatus: 200, wantRevoked: true},
		{name: "form body (RFC 7009 §2.1)", contentType: ctForm, body: form("token", "$token", "client_id", id, "client_secret", secret), wantStatus: 200, wantRevoked: true},
		{name: "form with token_type_hint", contentType: ctForm, body: form("token", "$token", "token_type_hint", "access_token", "client_id", id, "client_secret", secret), wantStatus: 200, wantRevoked: true},
		{name: "basic + form", contentType: ctForm, auth: basic(id, secret), body: form("token", "$token"), wantStatus: 200, wantRevoked: true},
		{name: "basic + json", contentType: ctJSON, auth: basic(id, secret), body: jsonBody(map[string]any{"token": "$token"}), wantStatus: 200, wantRevoked: true},
		{name: "basic + same client_id in body", contentType: ctForm, auth: basic(id, secret), body: form("token", "$token", "client_id", id), wantStatus: 200, wantRevoked: true},

		{name: "unknown token", contentType: ctJSON, body: jsonBody(good("token", "no-such-token")), wantStatus: 200},
		{name: "malformed token", contentType: ctJSON, body: jsonBody(good("token", "a.b.c")), wantStatus: 200},
		{name: "forged token", contentType: ctJSON, body: func(tok string) string { return jsonBody(good("token", forge(tok)))(tok) }, wantStatus: 200},
		{name: "unknown Connect token", contentType: ctJSON, body: jsonBody(good("token", "ctok_00000000000000000000000000000000")), wantStatus: 200},

		{name: "basic and body secret", contentType: ctForm, auth: basic(id, secret), body: form("token", "$token", "client_id", id, "client_secret", secret), wantStatus: 400, wantError: "invalid_request"},
		{name: "basic and other client id", contentType: ctForm, auth: basic(id, secret), body: form("token", "$token", "client_id", "other"), wantStatus: 400, wantError: "invalid_request"},
		{name: "basic not base64", contentType: ctForm, auth: "Basic !!!", body: form("token", "$token"), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing token", contentType: ctJSON, body: jsonBody(good("token", nil)), wantStatus: 400, wantError: "invalid_request"},
		{name: "empty token", contentType: ctJSON, body: jsonBody(good("token", "")), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing token, basic", contentType: ctForm, auth: basic(id, secret), body: raw(""), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing client id", contentType: ctJSON, body: jsonBody(good("client_id", nil)), wantStatus: 400, wantError: "invalid_request"},
		{name: "missing secret", contentType: ctJSON, body: jsonBody(good("client_secret", nil)), wantStatus: 400, wantError: "invalid_request"},
		{name: "no credentials at all", contentType: ctForm, body: form("token", "$token"), wantStatus: 400, wantError: "invalid_request"},
		{name: "wrong secret", contentType: ctJSON, body: jsonBody(good("client_secret", "nope")), wantStatus: 401, wantError: "invalid_client"},
		{name: "unknown client", contentType: ctJSON, body: jsonBody(good("client_id", "oc_unknown")), wantStatus: 401, wantError: "invalid_client"},
		{name: "wrong secret via basic", contentType: ctForm, auth: basic(id, "nope"), body: form("token", "$token"), wantStatus: 401, wantError: "invalid_client", wantBasic: true},
		{name: "token of wrong type", contentType: ctJSON, body: jsonBody(good("token", 42)), wantStatus: 400, wantError: "invalid_request"},
		{name: "json null", contentType: ctJSON, body: raw(`null`), wantStatus: 400, wantError: "invalid_request"},
		{name: "json array", contentType: ctJSON, body: raw(`["token"]`), wantStatus: 400, wantError: "invalid_request"},
		{name: "malformed json", contentType: ctJSON, body: raw(`{"token":`), wantStatus: 400, wantError: "invalid_request"},
		{name: "repeated form parameter", contentType: ctForm, body: form("token", "x", "token", "y", "client_id", id, "client_secret", secret), wantStatus: 400, wantError: "invalid_request"},
		{name: "malformed form", contentType: ctForm, body: raw("token=%zz"), wantStatus: 400, wantError: "invalid_request"},
		{name: "text/plain", contentType: "text/plain", body: jsonBody(good()), wantStatus: 415, wantError: "invalid_request"},
		{name: "no content type, no body", body: raw(""), wantStatus: 400, wantError: "invalid_request"},
		{name: "body over the limit", contentType: ctJSON, body: raw(`{"token":"` + strings.Repeat("a", 2048) + `"}`), wantStatus: 413, wantError: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := srv.Token()
			require.Equal(t, 200, projectsStatus(srv, tok), "the token works before")
			r := revoke(t, srv, tc.contentType, tc.auth, tc.body(tok))
			if tc.wantError == "" {
				requireRevoked(t, r)
				assert.Empty(t, r.Header.Get("WWW-Authenticate"))
			} else {
				require.Equal(t, tc.wantStatus, r.Status, string(r.Body))
				body := r.JSON(t)
				assert.Equal(t, tc.wantError, body["error"])
				assert.NotEmpty(t, body["error_description"])
				if tc.wantBasic {
					assert.Equal(t, `Basic realm="api.pipedream.com"`, r.Header.Get("WWW-Authenticate"))
				} else {
					assert.Empty(t, r.Header.Get("WWW-Authenticate"))
				}
			}
			want := map[bool]int{false: 200, true: 401}[tc.wantRevoked]
			assert.Equal(t, want, projectsStatus(srv, tok), "revoked: %v", tc.wantRevoked)
		})
	}
	// The server keeps serving after all that.
	assert.Equal(t, 200, projectsStatus(srv, srv.Token()))
}

// TestRevokedTokenIsRefused: a revoked token, even one whose verification
// is cached, is refused at once on every protected endpoint with the
// RFC 6750 challenge; revoking it again is still a 200, and the client's
// other tokens are untouched.
func TestRevokedTokenIsRefused(t *testing.T) {
	srv := testutil.NewServer(t)
	tok, other := srv.Token(), srv.Token()
	for range 3 { // the verification is cached from the first call on
		require.Equal(t, 200, projectsStatus(srv, tok))
	}
	requireRevoked(t, revokeJSON(t, srv, tok))

	for _, path := range []string{"/v1/connect/projects", "/v1/connect/" + srv.Credentials.ProjectID + "/users"} {
		r := srv.Do("GET", path, tok, nil)
		require.Equal(t, 401, r.Status, string(r.Body))
		body := r.JSON(t)
		assert.Equal(t, "invalid_token", body["error"])
		assert.Equal(t, "the access token was revoked", body["error_description"])
		assert.Equal(t, `Bearer realm="api.pipedream.com", error="invalid_token", error_description="the access token was revoked"`,
			r.Header.Get("WWW-Authenticate"))
	}
	r := srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/tokens", tok, map[string]string{"external_user_id": "u1"})
	assert.Equal(t, 401, r.Status, "nor can it make Connect tokens")

	requireRevoked(t, revokeJSON(t, srv, tok))
	requireRevoked(t, revokeJSON(t, srv, tok))
	assert.Equal(t, 401, projectsStatus(srv, tok))
	assert.Equal(t, 200, projectsStatus(srv, other), "the client's other tokens still work")
	assert.Equal(t, 200, projectsStatus(srv, srv.Token()), "and it still gets new ones")
}

// TestRevokeAnExpiredToken: a token is valid at exp−1s and refused from
// exp on; revoking it then is a 200 that changes nothing.
func TestRevokeAnExpiredToken(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	srv.Advance(time.Hour - time.Second)
	require.Equal(t, 200, projectsStatus(srv, tok), "valid at exp-1s")
	srv.Advance(time.Second)
	require.Equal(t, 401, projectsStatus(srv, tok), "refused at exp")

	requireRevoked(t, revokeJSON(t, srv, tok))
	r := srv.Do("GET", "/v1/connect/projects", tok, nil)
	require.Equal(t, 401, r.Status)
	assert.Contains(t, r.JSON(t)["error_description"], "expired", "still refused as expired")
}

// TestRevokeAtTheLastSecond: a token revoked in its last valid second is
// refused at once.
func TestRevokeAtTheLastSecond(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	srv.Advance(time.Hour - time.Second)
	requireRevoked(t, revokeJSON(t, srv, tok))
	assert.Equal(t, 401, projectsStatus(srv, tok))
}

// TestRevokeAnotherClientsToken: a client that names another client's
// token gets 200, as for an unknown token, and the token keeps working
// (RFC 7009 §2.1: the server checks the token was issued to the caller).
func TestRevokeAnotherClientsToken(t *testing.T) {
	srv := testutil.NewServer(t)
	other := srv.CreateClient("other")
	theirs := srv.TokenFor(other)

	requireRevoked(t, revokeJSON(t, srv, theirs))
	assert.Equal(t, 200, projectsStatus(srv, theirs), "another client's token is not revoked")

	b, err := json.Marshal(map[string]string{"token": theirs, "client_id": other.ClientID, "client_secret": other.ClientSecret})
	require.NoError(t, err)
	requireRevoked(t, revoke(t, srv, "application/json", "", string(b)))
	assert.Equal(t, 401, projectsStatus(srv, theirs), "its own client revokes it")
}

// TestRevokeConnectTokens: a Connect token of a project the client may
// reach is revoked (deleted) and then refused; one of another workspace,
// or of a project a restricted client may not see, is answered 200 and
// left working.
func TestRevokeConnectTokens(t *testing.T) {
	seed := emulator.Seed{Workspaces: []emulator.SeedWorkspace{
		{ID: "o_one", Projects: []emulator.SeedProject{{ID: "proj_one", Name: "One"}, {ID: "proj_uno", Name: "Uno"}},
			Clients: []emulator.SeedClient{{ClientID: "c1", ClientSecret: "s1", Name: "one"},
				{ClientID: "c1-uno", ClientSecret: "s1-uno", Name: "only uno", ProjectIDs: []string{"proj_uno"}}}},
		{ID: "o_two", Projects: []emulator.SeedProject{{ID: "proj_two", Name: "Two"}}, Clients: []emulator.SeedClient{{ClientID: "c2", ClientSecret: "s2", Name: "two"}}},
	}}
	srv := testutil.NewServer(t, emulator.WithSeed(seed))
	ctok := srv.ConnectToken("alice") // in proj_one, the first seeded project
	accounts := func() int { return srv.Do("GET", "/v1/connect/accounts", ctok, nil).Status }
	revokeAs := func(id, secret string) testutil.Response {
		return revoke(t, srv, "application/x-www-form-urlencoded", basic(id, secret), "token="+ctok)
	}
	require.Equal(t, 200, accounts())

	requireRevoked(t, revokeAs("c2", "s2"))
	assert.Equal(t, 200, accounts(), "another workspace's client does not revoke it")
	requireRevoked(t, revokeAs("c1-uno", "s1-uno"))
	assert.Equal(t, 200, accounts(), "nor does a client that may not see its project")

	requireRevoked(t, revokeAs("c1", "s1"))
	r := srv.Do("GET", "/v1/connect/accounts", ctok, nil)
	require.Equal(t, 401, r.Status, string(r.Body))
	assert.Equal(t, "invalid_token", r.JSON(t)["error"])
	assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
	v := srv.Do("GET", "/v1/connect/tokens/"+ctok+"/validate?app_id=slack", "", nil)
	require.Equal(t, 200, v.Status, string(v.Body))
	assert.Equal(t, false, v.JSON(t)["success"], "validation no longer knows it")
	requireRevoked(t, revokeAs("c1", "s1"))

	expired := srv.ConnectToken("bob")
	srv.Advance(4 * time.Hour)
	b, err := json.Marshal(map[string]string{"token": expired, "client_id": "c1", "client_secret": "s1"})
	require.NoError(t, err)
	requireRevoked(t, revoke(t, srv, "application/json", "", string(b)))
}

func TestGoAPIRevokeToken(t *testing.T) {
	srv := testutil.NewServer(t)
	other := srv.CreateClient("other")
	tok, theirs, ctok := srv.Token(), srv.TokenFor(other), srv.ConnectToken("alice")

	require.NoError(t, srv.Emulator.RevokeToken(theirs), "any client's token")
	assert.Equal(t, 401, projectsStatus(srv, theirs))
	assert.Equal(t, 200, projectsStatus(srv, tok))
	require.NoError(t, srv.Emulator.RevokeToken(ctok))
	assert.Equal(t, 401, srv.Do("GET", "/v1/connect/accounts", ctok, nil).Status)

	for _, nothing := range []string{theirs, ctok, "junk", "ctok_00000000000000000000000000000000"} {
		assert.ErrorIs(t, srv.Emulator.RevokeToken(nothing), apperr.ErrNotFound, "nothing to revoke: %.20s", nothing)
	}
	assert.ErrorIs(t, srv.Emulator.RevokeToken(""), apperr.ErrInvalid)
	srv.Advance(time.Hour)
	assert.ErrorIs(t, srv.Emulator.RevokeToken(tok), apperr.ErrNotFound, "an expired token")
}

// TestRevokeWhileTokensAreUsed runs revocations beside bearer checks of
// the same tokens, for the race detector: each token is refused once its
// revocation answered, whatever else runs.
func TestRevokeWhileTokensAreUsed(t *testing.T) {
	srv := testutil.NewServer(t)
	const workers, rounds = 8, 10
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				tok := srv.Token()
				if s := projectsStatus(srv, tok); s != 200 {
					t.Errorf("before revocation: %d", s)
				}
				if r := revokeJSON(t, srv, tok); r.Status != 200 {
					t.Errorf("revocation: %d %s", r.Status, r.Body)
				}
				if s := projectsStatus(srv, tok); s != 401 {
					t.Errorf("after revocation: %d", s)
				}
			}
		})
	}
	wg.Wait()
}
