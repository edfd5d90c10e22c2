package emulator_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/testutil"
)

// foreignOrigin is a web page of another origin, which the guard refuses.
var foreignOrigin = []string{"Origin", "https://evil.example"}

func TestScopesList(t *testing.T) {
	srv := testutil.NewServer(t)
	r := srv.Do("GET", "/_emulator/scopes", "", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var body struct {
		Data []string `json:"data"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	assert.Equal(t, []string{
		"*", "connect:*", "connect:actions:*", "connect:triggers:*", "connect:apps:*",
		"connect:accounts:read", "connect:accounts:write",
		"connect:deployed_triggers:read", "connect:deployed_triggers:write",
		"connect:users:read", "connect:users:write",
		"connect:projects:read", "connect:projects:write",
		"connect:usage:read", "connect:tokens:create", "connect:proxy", "connect:workflow:invoke",
	}, body.Data)
	assert.Len(t, body.Data, 17)
	assert.Equal(t, http.StatusForbidden, srv.Do("GET", "/_emulator/scopes", "", nil, foreignOrigin...).Status)
}

func TestMintToken(t *testing.T) {
	srv := testutil.NewServer(t)
	_, limited, err := srv.Emulator.CreateClient(emulator.ClientSpec{Name: "limited", Scopes: "connect:accounts:read connect:users:read connect:projects:read"})
	require.NoError(t, err)
	mint := func(id string) string { return "/_emulator/oauth-clients/" + id + "/tokens" }
	tests := []struct {
		name      string
		client    string
		body      any
		headers   []string
		status    int
		wantScope string
		wantError string
	}{
		{name: "no body: the client's own scopes", client: limited.ClientID, status: 200, wantScope: "connect:accounts:read connect:users:read connect:projects:read"},
		{name: "empty object", client: limited.ClientID, body: `{}`, status: 200, wantScope: "connect:accounts:read connect:users:read connect:projects:read"},
		{name: "empty scope", client: limited.ClientID, body: `{"scope":""}`, status: 200, wantScope: "connect:accounts:read connect:users:read connect:projects:read"},
		{name: "empty array", client: limited.ClientID, body: `{"scope":[]}`, status: 200, wantScope: "connect:accounts:read connect:users:read connect:projects:read"},
		{name: "space-separated", client: limited.ClientID, body: `{"scope":"connect:accounts:read connect:users:read"}`, status: 200, wantScope: "connect:accounts:read connect:users:read"},
		{name: "array", client: limited.ClientID, body: `{"scope":["connect:projects:read"]}`, status: 200, wantScope: "connect:projects:read"},
		{name: "seeded client, *", client: srv.Credentials.ClientID, status: 200, wantScope: "*"},
		{name: "beyond the client's scopes", client: limited.ClientID, body: `{"scope":"connect:users:write"}`, status: 400, wantError: "invalid_scope"},
		{name: "* for a limited client", client: limited.ClientID, body: `{"scope":["*"]}`, status: 400, wantError: "invalid_scope"},
		{name: "unknown scope", client: limited.ClientID, body: `{"scope":"admin"}`, status: 400, wantError: "invalid_scope"},
		{name: "scope of the wrong type", client: limited.ClientID, body: `{"scope":5}`, status: 400, wantError: "invalid_request"},
		{name: "unknown field", client: limited.ClientID, body: `{"scopes":"connect:users:read"}`, status: 400, wantError: "invalid_request"},
		{name: "not JSON", client: limited.ClientID, body: `{"scope":`, status: 400, wantError: "invalid_request"},
		{name: "unknown client", client: "oc_nobody", status: 404, wantError: "not_found"},
		{name: "foreign origin", client: limited.ClientID, headers: foreignOrigin, status: 403, wantError: "control_origin_not_allowed"},
		{name: "not JSON content type", client: limited.ClientID, body: `{}`, headers: []string{"Content-Type", "text/plain"}, status: 415, wantError: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("POST", mint(tc.client), "", tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			body := r.JSON(t)
			if tc.wantError != "" {
				assert.Equal(t, tc.wantError, body["error"])
				assert.NotEmpty(t, body["error_description"])
				return
			}
			assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			assert.Equal(t, "Bearer", body["token_type"])
			assert.Equal(t, float64(3600), body["expires_in"])
			assert.Equal(t, float64(srv.Now().Unix()), body["created_at"])
			assert.Equal(t, tc.wantScope, body["scope"])
			assert.ElementsMatch(t, []string{"access_token", "token_type", "expires_in", "created_at", "scope"}, keys(body))
			tok := body["access_token"].(string)
			resp := srv.Do("GET", "/v1/connect/projects", tok, nil)
			if strings.Contains(tc.wantScope, "connect:projects:read") || tc.wantScope == "*" {
				assert.Equal(t, http.StatusOK, resp.Status, "a minted token is a real access token: %s", resp.Body)
			} else {
				assert.Equal(t, http.StatusForbidden, resp.Status, "and holds only the scopes granted")
			}
		})
	}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMintTokenGoAPI(t *testing.T) {
	srv := testutil.NewServer(t)
	tok, err := srv.Emulator.MintToken(srv.Credentials.ClientID, "connect:users:read")
	require.NoError(t, err)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, 3600, tok.ExpiresIn)
	assert.Equal(t, srv.Now(), tok.CreatedAt)
	assert.Equal(t, srv.Now().Add(time.Hour), tok.ExpiresAt)
	assert.Equal(t, []string{"connect:users:read"}, []string(tok.Scopes))
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok.AccessToken, nil).Status)
	assert.Equal(t, http.StatusForbidden, srv.Do("GET", "/v1/connect/projects", tok.AccessToken, nil).Status)

	all, err := srv.Emulator.MintToken(srv.Credentials.ClientID, "")
	require.NoError(t, err)
	assert.Equal(t, []string{"*"}, []string(all.Scopes), "blank is the client's own scopes")

	_, err = srv.Emulator.MintToken("oc_nobody", "")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = srv.Emulator.MintToken(srv.Credentials.ClientID, "connect:nothing")
	assert.Equal(t, "invalid_scope", apperr.As(err).Code)

	// After a reset the seeded client mints again, with the new key.
	srv.Reset()
	assert.Equal(t, http.StatusUnauthorized, srv.Do("GET", "/v1/connect/projects", all.AccessToken, nil).Status)
	again, err := srv.Emulator.MintToken(srv.Credentials.ClientID, "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/v1/connect/projects", again.AccessToken, nil).Status)
}

// inspect posts a token to /_emulator/tokens/inspect and decodes the 200.
func inspect(t *testing.T, srv *testutil.Server, tok string) map[string]any {
	t.Helper()
	r := srv.Do("POST", "/_emulator/tokens/inspect", "", map[string]string{"token": tok})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	if tok != "" {
		assert.NotContains(t, string(r.Body), tok, "the answer never repeats the token")
	}
	return r.JSON(t)
}

// TestInspectAccessTokens judges access tokens at the edges of every
// rule, and checks that the API takes each exactly when it is valid.
func TestInspectAccessTokens(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the token, on a fresh server whose clock is at
		// issuance.
		setup func(t *testing.T, srv *testutil.Server) string
		// opts are the server's options beyond testutil's.
		opts          []emulator.Option
		status        string
		kind          string
		message       string
		expiresIn     any // nil: absent
		decoded       bool
		hasClientName bool
	}{
		{name: "valid", setup: after(0), status: "valid", kind: "oauth", message: "valid until 2030-01-01T01:00:00Z", expiresIn: float64(3600), decoded: true, hasClientName: true},
		{name: "one second before exp", setup: after(time.Hour - time.Second), status: "valid", kind: "oauth", expiresIn: float64(1), decoded: true, hasClientName: true},
		{name: "half a second before exp", setup: after(time.Hour - time.Second/2), status: "valid", kind: "oauth", expiresIn: float64(1), decoded: true, hasClientName: true},
		{name: "at exp", setup: after(time.Hour), status: "expired", kind: "oauth", message: "the access token expired at 2030-01-01T01:00:00Z", expiresIn: float64(0), decoded: true, hasClientName: true},
		{name: "ten seconds after exp", setup: after(time.Hour + 10*time.Second), status: "expired", kind: "oauth", expiresIn: float64(-10), decoded: true, hasClientName: true},
		{name: "one second before nbf", setup: after(-6 * time.Second), status: "not_yet_valid", kind: "oauth", expiresIn: float64(3606), decoded: true, hasClientName: true},
		{name: "at nbf", setup: after(-5 * time.Second), status: "valid", kind: "oauth", expiresIn: float64(3605), decoded: true, hasClientName: true},
		{name: "client deleted", setup: func(t *testing.T, srv *testutil.Server) string {
			c := srv.CreateClient("doomed")
			tok := srv.TokenFor(c)
			srv.DeleteClient(c.ClientID)
			return tok
		}, status: "client_deleted", kind: "oauth", message: "no longer exists", expiresIn: float64(3600), decoded: true},
		{name: "revoked", setup: func(t *testing.T, srv *testutil.Server) string {
			tok := srv.Token()
			require.NoError(t, srv.Emulator.RevokeToken(tok))
			return tok
		}, status: "revoked", kind: "oauth", message: "revoked", expiresIn: float64(3600), decoded: true, hasClientName: true},
		{name: "from before a reset", setup: func(t *testing.T, srv *testutil.Server) string {
			tok := srv.Token()
			srv.Reset()
			return tok
		}, opts: []emulator.Option{emulator.WithRandomIDs()}, status: "wrong_key", kind: "oauth", message: "current key", expiresIn: float64(3600), decoded: true, hasClientName: true},
		{name: "from before a reset, ids seeded: the same key, a new client", setup: func(t *testing.T, srv *testutil.Server) string {
			tok := srv.Token()
			srv.Reset()
			return tok
		}, status: "revoked", kind: "oauth", message: "re-created", expiresIn: float64(3600), decoded: true, hasClientName: true},
		{name: "junk", setup: literal("not-a-token"), status: "malformed", kind: "unknown", message: "not a JWT"},
		{name: "three dotted parts that are not JSON", setup: literal("a.b.c"), status: "malformed", kind: "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t, tc.opts...)
			tok := tc.setup(t, srv)
			got := inspect(t, srv, tok)
			assert.Equal(t, tc.kind, got["kind"])
			assert.Equal(t, tc.status, got["status"])
			assert.Contains(t, got["message"], tc.message)
			assert.Equal(t, srv.Now().Format(time.RFC3339Nano), got["now"])
			assert.Equal(t, tc.expiresIn, got["expires_in"])
			if tc.expiresIn == nil {
				assert.NotContains(t, got, "expires_at")
			} else {
				assert.Equal(t, "2030-01-01T01:00:00Z", got["expires_at"])
			}
			if tc.decoded {
				assert.Equal(t, map[string]any{"alg": "EdDSA", "typ": "JWT"}, got["header"])
				claims := got["claims"].(map[string]any)
				assert.Equal(t, float64(clockStart().Add(time.Hour).Unix()), claims["exp"])
				assert.Equal(t, claims["client_id"], got["client_id"])
			} else {
				assert.Nil(t, got["header"])
				assert.Nil(t, got["claims"])
				assert.Contains(t, got, "header", "null, not left out")
				assert.NotContains(t, got, "client_id")
			}
			if tc.hasClientName {
				assert.NotEmpty(t, got["client_name"])
			} else {
				assert.NotContains(t, got, "client_name")
			}
			api := srv.Do("GET", "/v1/connect/projects", tok, nil)
			assert.Equal(t, tc.status == "valid", api.Status == http.StatusOK, "the API takes the token exactly when it is valid (%d %s)", api.Status, api.Body)
		})
	}
}

// clockStart is where testutil's fake clock starts.
func clockStart() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }

// after issues a token at the clock's start and moves the clock by d.
func after(d time.Duration) func(*testing.T, *testutil.Server) string {
	return func(t *testing.T, srv *testutil.Server) string {
		tok := srv.Token()
		srv.SetNow(srv.Now().Add(d))
		return tok
	}
}

func literal(tok string) func(*testing.T, *testutil.Server) string {
	return func(*testing.T, *testutil.Server) string { return tok }
}

func TestInspectConnectTokens(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, srv *testutil.Server) string
		status    string
		message   string
		expiresIn any
		known     bool
	}{
		{name: "valid", setup: func(t *testing.T, srv *testutil.Server) string { return srv.ConnectToken("alice") },
			status: "valid", message: "valid until 2030-01-01T04:00:00Z", expiresIn: float64(4 * 3600), known: true},
		{name: "one second before expiry", setup: func(t *testing.T, srv *testutil.Server) string {
			tok := srv.ConnectToken("alice")
			srv.Advance(4*time.Hour - time.Second)
			return tok
		}, status: "valid", expiresIn: float64(1), known: true},
		{name: "at expiry", setup: func(t *testing.T, srv *testutil.Server) string {
			tok := srv.ConnectToken("alice")
			srv.Advance(4 * time.Hour)
			return tok
		}, status: "expired", message: "expired at 2030-01-01T04:00:00Z", expiresIn: float64(0), known: true},
		{name: "revoked", setup: func(t *testing.T, srv *testutil.Server) string {
			tok := srv.ConnectToken("alice")
			require.NoError(t, srv.Emulator.RevokeToken(tok))
			return tok
		}, status: "revoked", message: "unknown Connect token"},
		{name: "never made", setup: literal("ctok_0123456789abcdef0123456789abcdef"), status: "revoked", message: "unknown Connect token"},
		{name: "not a Connect token's form", setup: literal("ctok_nope"), status: "malformed", message: "32 lower-case hex digits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			tok := tc.setup(t, srv)
			got := inspect(t, srv, tok)
			assert.Equal(t, "connect", got["kind"])
			assert.Equal(t, tc.status, got["status"])
			assert.Contains(t, got["message"], tc.message)
			assert.Nil(t, got["header"])
			assert.Nil(t, got["claims"])
			assert.Equal(t, srv.Now().Format(time.RFC3339Nano), got["now"])
			assert.Equal(t, tc.expiresIn, got["expires_in"])
			if tc.known {
				assert.Equal(t, srv.Credentials.ProjectID, got["project_id"])
				assert.Equal(t, "alice", got["external_user_id"])
				assert.Equal(t, "2030-01-01T04:00:00Z", got["expires_at"])
			} else {
				for _, k := range []string{"project_id", "external_user_id", "expires_at", "expires_in"} {
					assert.NotContains(t, got, k)
				}
			}
			api := srv.Do("GET", "/v1/connect/accounts", tok, nil, "X-PD-Environment", "development")
			assert.Equal(t, tc.status == "valid", api.Status == http.StatusOK, "the API takes the token exactly when it is valid (%d %s)", api.Status, api.Body)
		})
	}
}

func TestInspectTokenBadRequests(t *testing.T) {
	srv := testutil.NewServer(t)
	const path = "/_emulator/tokens/inspect"
	longest := "x" + strings.Repeat("y", 16<<10-1)
	tests := []struct {
		name    string
		body    string
		headers []string
		status  int
		code    string
	}{
		{"no body", "", nil, 400, "invalid_request"},
		{"no token", `{}`, nil, 400, "invalid_request"},
		{"empty token", `{"token":""}`, nil, 400, "invalid_request"},
		{"blank token", `{"token":" \n"}`, nil, 400, "invalid_request"},
		{"token not a string", `{"token":7}`, nil, 400, "invalid_request"},
		{"null token", `{"token":null}`, nil, 400, "invalid_request"},
		{"unknown field", `{"token":"x","kind":"oauth"}`, nil, 400, "invalid_request"},
		{"16 KiB token", `{"token":"` + longest + `"}`, nil, 200, ""},
		{"16 KiB and one byte", `{"token":"` + longest + `z"}`, nil, 400, "invalid_request"},
		{"16 KiB with white space around it", `{"token":"  ` + longest + `\n"}`, nil, 200, ""},
		{"foreign origin", `{"token":"x"}`, foreignOrigin, 403, "control_origin_not_allowed"},
		{"not JSON content type", `{"token":"x"}`, []string{"Content-Type", "text/plain"}, 415, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := srv.Do("POST", path, "", body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			if tc.code != "" {
				assert.Equal(t, tc.code, r.JSON(t)["error"])
				assert.NotContains(t, r.JSON(t)["error_description"], "yyyy", "an error never repeats the token")
			}
		})
	}
}

// TestInspectedTokensStayOutOfTheRecord: the journal and the log show an
// inspected token only by its fingerprint, and a state file never gets it.
func TestInspectedTokensStayOutOfTheRecord(t *testing.T) {
	var logs bytes.Buffer
	srv := testutil.NewServer(t, emulator.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	tok, ctok := srv.Token(), srv.ConnectToken("alice")
	inspect(t, srv, tok)
	inspect(t, srv, ctok)
	minted := srv.Do("POST", "/_emulator/oauth-clients/"+srv.Credentials.ClientID+"/tokens", "", nil).JSON(t)["access_token"].(string)
	journal := srv.Do("GET", "/_emulator/requests?route=tokens.inspect|oauthClients.mintToken", "", nil)
	require.Equal(t, http.StatusOK, journal.Status)
	var page struct {
		Data []struct {
			Route   string `json:"route"`
			Request struct {
				Body map[string]any `json:"body"`
			} `json:"request"`
			Response struct {
				Body map[string]any `json:"body"`
			} `json:"response"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(journal.Body, &page))
	require.Len(t, page.Data, 3, "inspections and mints are recorded")
	assert.Equal(t, srv.Emulator.Fingerprint(minted), page.Data[0].Response.Body["access_token"])
	assert.Equal(t, srv.Emulator.Fingerprint(ctok), page.Data[1].Request.Body["token"])
	assert.Equal(t, srv.Emulator.Fingerprint(tok), page.Data[2].Request.Body["token"])
	assert.Equal(t, "valid", page.Data[2].Response.Body["status"], "the answer is shown: it holds no token")
	for _, secret := range []string{tok, ctok, minted} {
		assert.NotContains(t, string(journal.Body), secret)
		assert.NotContains(t, logs.String(), secret)
	}
}

// consoleSetup gives the seeded project two development users with
// accounts and deployed triggers, a production user, and a second
// workspace with a project of its own.
type consoleSetup struct {
	srv                   *testutil.Server
	project, otherProject string
	aliceSlack, bobSlack  string
	aliceTrigger          string
	bobTrigger            string
}

func newConsoleSetup(t *testing.T) consoleSetup {
	t.Helper()
	seed := emulator.Seed{Workspaces: []emulator.SeedWorkspace{
		{ID: "o_one", Name: "one", Projects: []emulator.SeedProject{{ID: "proj_one", Name: "first"}}, Clients: []emulator.SeedClient{{Name: "one"}}},
		{ID: "o_two", Name: "two", Projects: []emulator.SeedProject{{ID: "proj_two", Name: "second"}}, Clients: []emulator.SeedClient{{Name: "two"}}},
	}}
	srv := testutil.NewServer(t, emulator.WithSeed(seed))
	s := consoleSetup{srv: srv, project: "proj_one", otherProject: "proj_two"}
	s.aliceSlack = compAccount(t, srv, "alice", "slack")
	s.bobSlack = compAccount(t, srv, "bob", "slack")
	compAccount(t, srv, "alice", "github")
	require.NoError(t, srv.Emulator.AddExternalUser(s.project, "development", "carol"))
	_, err := srv.Emulator.ConnectAccount(s.project, "production", "dave", "slack", nil)
	require.NoError(t, err)
	c := oauthCaller(t, srv)
	s.aliceTrigger = c.ok("POST", "/triggers/deploy", deployBody("alice", s.aliceSlack, nil))["data"].(map[string]any)["id"].(string)
	s.bobTrigger = c.ok("POST", "/triggers/deploy", deployBody("bob", s.bobSlack, nil))["data"].(map[string]any)["id"].(string)
	return s
}

// data returns a 200 list's data, failing otherwise.
func data(t *testing.T, r testutil.Response) []map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var body struct {
		Data     []map[string]any `json:"data"`
		PageInfo map[string]any   `json:"page_info"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	return body.Data
}

func field(items []map[string]any, name string) []any {
	out := []any{}
	for _, it := range items {
		out = append(out, it[name])
	}
	return out
}

func TestListAllProjects(t *testing.T) {
	s := newConsoleSetup(t)
	// A project made through the API joins the end of the list.
	third := s.srv.Do("POST", "/v1/connect/projects", s.srv.Token(), map[string]any{"name": "third", "support_email": "a@b.c"}).JSON(t)["id"]

	r := s.srv.Do("GET", "/_emulator/projects", "", nil)
	items := data(t, r)
	assert.Equal(t, []any{"proj_one", "proj_two", third}, field(items, "id"), "every workspace's, oldest first")
	assert.Equal(t, []any{"o_one", "o_two", "o_one"}, field(items, "workspace_id"))
	assert.Equal(t, "first", items[0]["name"])
	assert.Equal(t, "2030-01-01T00:00:00Z", items[0]["created_at"])
	assert.Equal(t, "2030-01-01T00:00:00Z", items[0]["updated_at"])
	assert.Equal(t, false, items[0]["connect_require_key_auth_test"])
	assert.Equal(t, "a@b.c", items[2]["support_email"], "the API's project fields")

	page := r.JSON(t)["page_info"].(map[string]any)
	assert.Equal(t, float64(3), page["total_count"])
	first := s.srv.Do("GET", "/_emulator/projects?limit=2", "", nil)
	assert.Equal(t, []any{"proj_one", "proj_two"}, field(data(t, first), "id"))
	cursor := first.JSON(t)["page_info"].(map[string]any)["end_cursor"].(string)
	assert.Equal(t, []any{third}, field(data(t, s.srv.Do("GET", "/_emulator/projects?after="+url.QueryEscape(cursor), "", nil)), "id"))
	assert.Equal(t, http.StatusBadRequest, s.srv.Do("GET", "/_emulator/projects?limit=0", "", nil).Status)
	assert.Equal(t, http.StatusBadRequest, s.srv.Do("GET", "/_emulator/projects?after=nope", "", nil).Status)
}

func TestListAllUsers(t *testing.T) {
	s := newConsoleSetup(t)
	path := "/_emulator/projects/" + s.project + "/users"
	tests := []struct {
		name    string
		query   string
		want    []any
		counts  []any
		status  int
		errCode string
	}{
		{name: "development", query: "?environment=development", want: []any{"alice", "bob", "carol"}, counts: []any{float64(2), float64(1), float64(0)}},
		{name: "production", query: "?environment=production", want: []any{"dave"}, counts: []any{float64(1)}},
		{name: "no environment: development, the banner's, as on the rest of the control plane", query: "", want: []any{"alice", "bob", "carol"}, counts: []any{float64(2), float64(1), float64(0)}},
		{name: "q filters", query: "?environment=development&q=AL", want: []any{"alice"}, counts: []any{float64(2)}},
		{name: "paged", query: "?environment=development&limit=1", want: []any{"alice"}, counts: []any{float64(2)}},
		{name: "bad environment", query: "?environment=staging", status: 400, errCode: "invalid_request"},
		{name: "bad limit", query: "?environment=development&limit=101", status: 400, errCode: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.srv.Do("GET", path+tc.query, "", nil)
			if tc.status != 0 {
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				assert.Equal(t, tc.errCode, r.JSON(t)["error"])
				return
			}
			items := data(t, r)
			assert.Equal(t, tc.want, field(items, "external_id"))
			assert.Equal(t, tc.counts, field(items, "account_count"))
			for _, u := range items {
				assert.Regexp(t, `^exu_`, u["id"])
				assert.ElementsMatch(t, []string{"id", "external_id", "created_at", "updated_at", "account_count"}, keys(u))
			}
		})
	}
	// The same users, in the same shape, as the API lists them.
	api := data(t, s.srv.Do("GET", "/v1/connect/"+s.project+"/users", s.srv.Token(), nil, "X-PD-Environment", "development"))
	console := data(t, s.srv.Do("GET", path+"?environment=development", "", nil))
	for i := range api {
		delete(console[i], "account_count")
		assert.Equal(t, api[i], console[i])
	}
	assert.Equal(t, http.StatusNotFound, s.srv.Do("GET", "/_emulator/projects/proj_nope/users", "", nil).Status)
	assert.Empty(t, data(t, s.srv.Do("GET", "/_emulator/projects/"+s.otherProject+"/users?environment=development", "", nil)),
		"another workspace's project is reached too")
}

func TestDeleteAnyUser(t *testing.T) {
	s := newConsoleSetup(t)
	del := func(user, query string, headers ...string) testutil.Response {
		return s.srv.Do("DELETE", "/_emulator/projects/"+s.project+"/users/"+url.PathEscape(user)+query, "", nil, headers...)
	}
	aliceTok := s.srv.ConnectToken("alice")
	tests := []struct {
		name   string
		user   string
		query  string
		hdr    []string
		status int
	}{
		{"foreign origin", "alice", "?environment=development", foreignOrigin, 403},
		{"not JSON content type", "alice", "?environment=development", []string{"Content-Type", "text/plain"}, 415},
		{"bad environment", "alice", "?environment=dev", nil, 400},
		{"wrong environment", "alice", "?environment=production", nil, 404},
		{"unknown user", "zed", "?environment=development", nil, 404},
		{"alice", "alice", "?environment=development", nil, 204},
		{"alice again", "alice", "?environment=development", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := del(tc.user, tc.query, tc.hdr...)
			assert.Equal(t, tc.status, r.Status, "%s", r.Body)
			if tc.status != 204 {
				assert.NotEmpty(t, r.JSON(t)["error"])
			}
		})
	}
	assert.Equal(t, http.StatusNotFound, s.srv.Do("DELETE", "/_emulator/projects/proj_nope/users/alice", "", nil).Status)
	// Gone with her accounts, triggers and Connect tokens, as on the API.
	assert.Equal(t, []any{"bob", "carol"}, field(data(t, s.srv.Do("GET", "/_emulator/projects/"+s.project+"/users?environment=development", "", nil)), "external_id"))
	assert.Equal(t, []any{"bob"}, field(data(t, s.srv.Do("GET", "/_emulator/projects/"+s.project+"/accounts?environment=development", "", nil)), "external_id"))
	assert.Equal(t, []any{s.bobTrigger}, field(data(t, s.srv.Do("GET", "/_emulator/projects/"+s.project+"/deployed-triggers?environment=development", "", nil)), "id"))
	assert.Equal(t, "revoked", inspect(t, s.srv, aliceTok)["status"])
	// An external user id that needs escaping in the path.
	require.NoError(t, s.srv.Emulator.AddExternalUser(s.project, "production", "a/b c"))
	assert.Equal(t, http.StatusNoContent, del("a/b c", "?environment=production").Status)
}

func TestListAllAccounts(t *testing.T) {
	s := newConsoleSetup(t)
	path := "/_emulator/projects/" + s.project + "/accounts"
	tests := []struct {
		name    string
		query   string
		users   []any
		apps    []any
		status  int
		errCode string
	}{
		{name: "development", query: "?environment=development", users: []any{"alice", "bob", "alice"}, apps: []any{"slack", "slack", "github"}},
		{name: "one user", query: "?environment=development&external_user_id=alice", users: []any{"alice", "alice"}, apps: []any{"slack", "github"}},
		{name: "one app", query: "?environment=development&app=slack", users: []any{"alice", "bob"}, apps: []any{"slack", "slack"}},
		{name: "one user and app", query: "?environment=development&external_user_id=alice&app=github", users: []any{"alice"}, apps: []any{"github"}},
		{name: "unknown user", query: "?environment=development&external_user_id=zed", users: []any{}, apps: []any{}},
		{name: "no environment: development", query: "", users: []any{"alice", "bob", "alice"}, apps: []any{"slack", "slack", "github"}},
		{name: "paged", query: "?environment=development&limit=1", users: []any{"alice"}, apps: []any{"slack"}},
		{name: "unknown app", query: "?environment=development&app=nope", status: 404, errCode: "not_found"},
		{name: "bad environment", query: "?environment=Production", status: 400, errCode: "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.srv.Do("GET", path+tc.query, "", nil)
			if tc.status != 0 {
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				assert.Equal(t, tc.errCode, r.JSON(t)["error"])
				return
			}
			items := data(t, r)
			assert.Equal(t, tc.users, field(items, "external_id"))
			apps := []any{}
			for _, a := range items {
				apps = append(apps, a["app"].(map[string]any)["name_slug"])
				assert.NotContains(t, a, "credentials", "never credentials")
			}
			assert.Equal(t, tc.apps, apps)
		})
	}
	// The accounts the API lists, as it lists them without credentials.
	api := data(t, s.srv.Do("GET", "/v1/connect/"+s.project+"/accounts", s.srv.Token(), nil, "X-PD-Environment", "development"))
	assert.Equal(t, api, data(t, s.srv.Do("GET", path+"?environment=development", "", nil)))
	assert.Equal(t, http.StatusNotFound, s.srv.Do("GET", "/_emulator/projects/proj_nope/accounts", "", nil).Status)
}

func TestDeleteAnyAccount(t *testing.T) {
	s := newConsoleSetup(t)
	del := func(project, id, query string, headers ...string) testutil.Response {
		return s.srv.Do("DELETE", "/_emulator/projects/"+project+"/accounts/"+id+query, "", nil, headers...)
	}
	tests := []struct {
		name    string
		project string
		id      string
		query   string
		hdr     []string
		status  int
	}{
		{"foreign origin", s.project, s.bobSlack, "?environment=development", foreignOrigin, 403},
		{"not JSON content type", s.project, s.bobSlack, "?environment=development", []string{"Content-Type", "text/plain"}, 415},
		{"bad environment", s.project, s.bobSlack, "?environment=x", nil, 400},
		{"unknown project", "proj_nope", s.bobSlack, "?environment=development", nil, 404},
		{"another project", s.otherProject, s.bobSlack, "?environment=development", nil, 404},
		{"another environment", s.project, s.bobSlack, "?environment=production", nil, 404},
		{"unknown account", s.project, "apn_nope", "?environment=development", nil, 404},
		{"bob's", s.project, s.bobSlack, "?environment=development", nil, 204},
		{"bob's again", s.project, s.bobSlack, "?environment=development", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := del(tc.project, tc.id, tc.query, tc.hdr...)
			assert.Equal(t, tc.status, r.Status, "%s", r.Body)
		})
	}
	assert.Equal(t, []any{s.aliceSlack}, field(data(t, s.srv.Do("GET", "/_emulator/projects/"+s.project+"/accounts?environment=development&app=slack", "", nil)), "id"))
}

func TestListAllDeployedTriggers(t *testing.T) {
	s := newConsoleSetup(t)
	path := "/_emulator/projects/" + s.project + "/deployed-triggers"
	tests := []struct {
		name   string
		query  string
		want   []any
		status int
	}{
		{name: "every user's", query: "?environment=development", want: []any{s.aliceTrigger, s.bobTrigger}},
		{name: "one user's", query: "?environment=development&external_user_id=bob", want: []any{s.bobTrigger}},
		{name: "an unknown user's", query: "?environment=development&external_user_id=zed", want: []any{}},
		{name: "no environment: development", query: "", want: []any{s.aliceTrigger, s.bobTrigger}},
		{name: "production", query: "?environment=production", want: []any{}},
		{name: "paged", query: "?environment=development&limit=1", want: []any{s.aliceTrigger}},
		{name: "bad environment", query: "?environment=both", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.srv.Do("GET", path+tc.query, "", nil)
			if tc.status != 0 {
				assert.Equal(t, tc.status, r.Status, "%s", r.Body)
				return
			}
			assert.Equal(t, tc.want, field(data(t, r), "id"))
		})
	}
	// As the API shows them.
	api := data(t, s.srv.Do("GET", "/v1/connect/"+s.project+"/deployed-triggers?external_user_id=alice", s.srv.Token(), nil, "X-PD-Environment", "development"))
	console := data(t, s.srv.Do("GET", path+"?environment=development&external_user_id=alice", "", nil))
	assert.Equal(t, api, console)
	assert.Equal(t, "DeployedComponent", console[0]["type"])
	assert.Equal(t, http.StatusNotFound, s.srv.Do("GET", "/_emulator/projects/proj_nope/deployed-triggers", "", nil).Status)
}

func TestAnyTriggerEvents(t *testing.T) {
	s := newConsoleSetup(t)
	for i, text := range []string{"one", "two", "three"} {
		require.Equal(t, http.StatusCreated, emit(t, s.srv, s.aliceTrigger, map[string]any{"event": map[string]any{"text": text}, "id": "ev" + string(rune('1'+i))}).Status)
		s.srv.Advance(time.Second)
	}
	path := "/_emulator/deployed-triggers/" + s.aliceTrigger + "/events"
	tests := []struct {
		name   string
		path   string
		want   []any
		status int
	}{
		{name: "default n", path: path, want: []any{"ev3", "ev2", "ev1"}},
		{name: "n=1", path: path + "?n=1", want: []any{"ev3"}},
		{name: "n=100", path: path + "?n=100", want: []any{"ev3", "ev2", "ev1"}},
		{name: "n=0", path: path + "?n=0", status: 400},
		{name: "n=101", path: path + "?n=101", status: 400},
		{name: "n not a number", path: path + "?n=all", status: 400},
		{name: "another trigger, none yet", path: "/_emulator/deployed-triggers/" + s.bobTrigger + "/events", want: []any{}},
		{name: "unknown trigger", path: "/_emulator/deployed-triggers/dc_nope/events", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.srv.Do("GET", tc.path, "", nil)
			if tc.status != 0 {
				require.Equal(t, tc.status, r.Status, "%s", r.Body)
				assert.NotEmpty(t, r.JSON(t)["error"])
				return
			}
			assert.Equal(t, tc.want, field(data(t, r), "id"))
		})
	}
	// As listEvents shows them to the owner.
	api := data(t, s.srv.Do("GET", "/v1/connect/"+s.project+"/deployed-triggers/"+s.aliceTrigger+"/events?external_user_id=alice", s.srv.Token(), nil, "X-PD-Environment", "development"))
	assert.Equal(t, api, data(t, s.srv.Do("GET", path, "", nil)))
}

// TestConsoleReadsStayOutOfTheJournal: a console's control-plane reads
// (X-Pdemu-Console: 1) are neither journaled nor logged at info level;
// its writes are, and so is every other request.
func TestConsoleReadsStayOutOfTheJournal(t *testing.T) {
	var logs bytes.Buffer
	srv := testutil.NewServer(t, emulator.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	console := []string{emulator.ConsoleHeader, "1"}
	tests := []struct {
		name     string
		method   string
		path     string
		headers  []string
		recorded bool
	}{
		{"a console's read", "GET", "/_emulator/projects", console, false},
		{"a console's read of a list with a query", "GET", "/_emulator/oauth-clients?limit=5", console, false},
		{"a console's read that fails", "GET", "/_emulator/projects/proj_nope/users", console, false},
		{"a console's write", "POST", "/_emulator/clock/advance", console, true},
		{"a console's token inspection", "POST", "/_emulator/tokens/inspect", console, true},
		{"a read without the header", "GET", "/_emulator/scopes", nil, true},
		{"a read with another value", "GET", "/_emulator/scopes", []string{emulator.ConsoleHeader, "yes"}, true},
		{"an API read with the header", "GET", "/v1/connect/projects", console, true},
		{"a console's read the guard refused", "GET", "/_emulator/scopes", append([]string{"Origin", "https://evil.example"}, console...), true},
		{"a console's read of no route", "GET", "/_emulator/nope", console, true},
	}
	bodies := map[string]any{"/_emulator/clock/advance": map[string]any{"seconds": 1}, "/_emulator/tokens/inspect": map[string]any{"token": "x"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok := srv.Token()
			before, err := srv.Emulator.CountRequests(emulator.RequestFilter{})
			require.NoError(t, err)
			logs.Reset()
			srv.Do(tc.method, tc.path, tok, bodies[tc.path], tc.headers...)
			after, err := srv.Emulator.CountRequests(emulator.RequestFilter{})
			require.NoError(t, err)
			n := after - before
			p, _, _ := strings.Cut(tc.path, "?")
			if tc.recorded {
				assert.Equal(t, 1, n, "recorded")
				assert.Contains(t, logs.String(), `"path":"`+p+`"`, "logged at info level")
			} else {
				assert.Zero(t, n, "not recorded")
				assert.NotContains(t, logs.String(), `"path":"`+p+`"`, "not logged at info level")
			}
		})
	}

	// At debug level, a console's reads are logged.
	var debug bytes.Buffer
	dsrv := testutil.NewServer(t, emulator.WithLogger(slog.New(slog.NewJSONHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	dsrv.Do("GET", "/_emulator/projects", "", nil, console...)
	assert.Contains(t, debug.String(), `"level":"DEBUG","msg":"request","method":"GET","path":"/_emulator/projects"`)
	n, err := dsrv.Emulator.CountRequests(emulator.RequestFilter{})
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestCapabilitiesIncludeConsole(t *testing.T) {
	srv := testutil.NewServer(t)
	assert.Contains(t, srv.Emulator.Capabilities(), "console")
	assert.Contains(t, srv.Do("GET", "/_emulator/capabilities", "", nil).JSON(t)["capabilities"], "console")
}

// TestConsoleWithAStateFile: a console's deletions are kept and replayed
// like any change; minting and inspection are not changes, and an
// inspected token never reaches the disk.
func TestConsoleWithAStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdemu.state")
	emu, err := emulator.New(emulator.WithStateFile(path))
	require.NoError(t, err)
	defer emu.Close()
	srv := testutil.Wrap(t, emu)
	pid := srv.Credentials.ProjectID
	for _, user := range []string{"alice", "bob"} {
		_, err := srv.Emulator.ConnectAccount(pid, "development", user, "slack", nil)
		require.NoError(t, err)
	}
	bobAccount := data(t, srv.Do("GET", "/_emulator/projects/"+pid+"/accounts?environment=development&external_user_id=bob", "", nil))[0]["id"].(string)
	tok := srv.Token()
	ctok := srv.ConnectToken("carol") // state itself, unlike an access token
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	inspect(t, srv, tok)
	inspect(t, srv, ctok)
	minted := srv.Do("POST", "/_emulator/oauth-clients/"+srv.Credentials.ClientID+"/tokens", "", nil).JSON(t)["access_token"].(string)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "minting and inspecting change nothing to keep")
	for _, secret := range []string{tok, minted} {
		assert.NotContains(t, string(after), secret)
	}

	require.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/projects/"+pid+"/users/alice?environment=development", "", nil).Status)
	require.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/projects/"+pid+"/accounts/"+bobAccount+"?environment=development", "", nil).Status)
	want := getState(t, srv)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	crashed := filepath.Join(t.TempDir(), "copy.state")
	require.NoError(t, os.WriteFile(crashed, data, 0o600))
	again, err := emulator.New(emulator.WithStateFile(crashed))
	require.NoError(t, err)
	defer again.Close()
	assert.JSONEq(t, string(want), string(getState(t, testutil.Wrap(t, again))), "the deletions replay")
}
