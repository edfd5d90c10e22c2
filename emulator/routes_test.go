package emulator_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/testutil"
)

// pathFor fills a route template with ids that exist in the seeded state
// (the project, the client) or, for other ids, placeholders: the scope
// check must pass before the handler can even say 404.
func pathFor(srv *testutil.Server, path string) string {
	return regexp.MustCompile(`\{[a-z_0-9]+\}`).ReplaceAllStringFunc(strings.NewReplacer(
		"{project_id}", srv.Credentials.ProjectID,
		"{client_id}", srv.Credentials.ClientID,
		"{external_user_id}", "alice",
		"{endpoint_id}", "en-scope-check",
		"{path:.*}", "a/b",
	).Replace(path), func(string) string { return "x" })
}

// unrelatedScope returns a connect: scope that grants none of required.
func unrelatedScope(t *testing.T, required []string) string {
	for _, s := range scope.Known {
		if set := (scope.Set{s}); strings.HasPrefix(s, "connect:") && s != scope.Connect && !set.CoversAny(required) {
			return s
		}
	}
	t.Fatalf("every scope covers %v", required)
	return ""
}

// TestScopeEnforcement is generated from the route table, so an endpoint
// cannot be added without its scope row being exercised: for every token
// endpoint, no token is a 401, a junk token a 401, a token of the wrong
// kind a 401, a token without the scope a 403 naming it, and a token with
// any scope that grants it gets past authorization (neither 401 nor 403,
// and never a 5xx), for OAuth tokens and Connect tokens alike, on both the
// project path and the project-less path a Connect token may use.
func TestScopeEnforcement(t *testing.T) {
	srv := testutil.NewServer(t)
	var protected int
	for _, ep := range srv.Emulator.Endpoints() {
		if !ep.Auth.AcceptsOAuth() && !ep.Auth.AcceptsConnectToken() {
			continue
		}
		protected++
		require.NotEmpty(t, ep.Scopes, "%s has no scope row", ep.Name)
		for _, s := range ep.Scopes {
			require.True(t, scope.IsKnown(s), "%s requires undocumented scope %q", ep.Name, s)
		}
		t.Run(ep.Name, func(t *testing.T) {
			paths := []string{pathFor(srv, ep.Path)}
			if ep.ProjectScoped && ep.Auth.AcceptsConnectToken() {
				paths = append(paths, pathFor(srv, strings.Replace(ep.Path, "/{project_id}/", "/", 1)))
			}
			// Each call starts from the seeded state (deletes are real), with
			// a token minted after the reset, which replaced the signing key.
			do := func(path string, mint func() string) testutil.Response {
				srv.Reset()
				return srv.Do(ep.Method, path, mint(), map[string]any{"name": "scope check"})
			}
			oauthToken := func(scopes ...string) func() string { return func() string { return srv.Token(scopes...) } }
			connectToken := func(scopes ...string) func() string {
				return func() string { return srv.ConnectToken("alice", scopes...) }
			}
			literal := func(s string) func() string { return func() string { return s } }
			passes := func(r testutil.Response, who string) {
				t.Helper()
				assert.NotContains(t, []int{401, 403}, r.Status, "%s: %s", who, r.Body)
				assert.Less(t, r.Status, 500, "%s: %s", who, r.Body)
			}
			other := unrelatedScope(t, ep.Scopes)

			r := do(paths[0], literal(""))
			if ep.Auth.RequiresToken() {
				assert.Equal(t, http.StatusUnauthorized, r.Status)
				assert.Equal(t, `Bearer realm="api.pipedream.com"`, r.Header.Get("WWW-Authenticate"), "no error code when no token was sent")
				assert.Equal(t, "unauthorized", r.JSON(t)["error"])
			} else {
				passes(r, "no token, where a token is optional")
			}

			r = do(paths[0], literal("not.a.token"))
			assert.Equal(t, http.StatusUnauthorized, r.Status)
			assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
			assert.Equal(t, "invalid_token", r.JSON(t)["error"])

			if ep.Auth.AcceptsOAuth() {
				r = do(paths[0], oauthToken(other))
				assert.Equal(t, http.StatusForbidden, r.Status, "OAuth token with only %s", other)
				assert.Equal(t, "insufficient_scope", r.JSON(t)["error"])
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
				assert.Contains(t, r.Header.Get("WWW-Authenticate"), `scope="`+strings.Join(ep.Scopes, " ")+`"`)
				assert.Contains(t, r.JSON(t)["error_description"], ep.Scopes[0], "the 403 names the scope needed")
				for _, granted := range append([]string{"*", "connect:*"}, ep.Scopes...) {
					passes(do(paths[0], oauthToken(granted)), "OAuth token with "+granted)
				}
			} else {
				r = do(paths[0], oauthToken("*"))
				assert.Equal(t, http.StatusUnauthorized, r.Status, "an OAuth token on a Connect-token-only endpoint")
				assert.Equal(t, "invalid_token", r.JSON(t)["error"])
			}

			if ep.Auth.AcceptsConnectToken() {
				for _, path := range paths {
					r = do(path, connectToken(other))
					assert.Equal(t, http.StatusForbidden, r.Status, "%s: Connect token with only %s", path, other)
					assert.Equal(t, "insufficient_scope", r.JSON(t)["error"])
					for _, granted := range append([]string{"connect:*"}, ep.Scopes...) {
						passes(do(path, connectToken(granted)), path+": Connect token with "+granted)
					}
				}
			} else {
				r = do(paths[0], connectToken())
				assert.Equal(t, http.StatusUnauthorized, r.Status, "a Connect token on an OAuth-only endpoint")
				assert.Equal(t, "invalid_token", r.JSON(t)["error"])
			}
		})
	}
	assert.Positive(t, protected)
}

func TestRouteTableIsWellFormed(t *testing.T) {
	srv := testutil.NewServer(t)
	seen := map[string]bool{}
	pathRe := regexp.MustCompile(`^/[a-z0-9_./{}:*-]+$`)
	for _, ep := range srv.Emulator.Endpoints() {
		key := ep.Method + " " + ep.Path
		assert.False(t, seen[key], "duplicate route %s", key)
		assert.NotContains(t, ep.Path, "{project_id:", "%s: the router adds the project id pattern", ep.Name)
		seen[key] = true
		assert.Regexp(t, pathRe, ep.Path)
		assert.NotEmpty(t, ep.Name)
		switch ep.Auth {
		case emulator.ControlPlane:
			assert.True(t, strings.HasPrefix(ep.Path, "/_emulator/"), "%s: control routes live under /_emulator/", ep.Name)
		case emulator.OAuthToken, emulator.ConnectTokenOnly, emulator.AnyToken:
			assert.True(t, strings.HasPrefix(ep.Path, "/v1/"), ep.Name)
			assert.NotEmpty(t, ep.Scopes, ep.Name)
		}
		assert.Equal(t, strings.HasPrefix(ep.Path, "/v1/connect/{project_id}/"), ep.ProjectScoped, "%s: project-scoped flag", ep.Name)
	}
}

func TestBearerHeaderParsing(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	tests := []struct {
		name   string
		header string
		status int
		code   string
	}{
		{name: "bearer", header: "Bearer " + tok, status: 200},
		{name: "lower-case scheme", header: "bearer " + tok, status: 200},
		{name: "upper-case scheme", header: "BEARER " + tok, status: 200},
		{name: "no header", header: "", status: 401, code: "unauthorized"},
		{name: "basic scheme", header: "Basic dXNlcjpwYXNz", status: 401, code: "unauthorized"},
		{name: "scheme only", header: "Bearer", status: 401, code: "invalid_token"},
		{name: "empty token", header: "Bearer ", status: 401, code: "invalid_token"},
		{name: "junk characters", header: "Bearer <script>", status: 401, code: "invalid_token"},
		{name: "only padding", header: "Bearer ===", status: 401, code: "invalid_token"},
		{name: "token with trailing junk", header: "Bearer " + tok + " extra", status: 401, code: "invalid_token"},
		{name: "tampered token", header: "Bearer " + tok[:len(tok)-2] + "xx", status: 401, code: "invalid_token"},
		{name: "huge token", header: "Bearer " + strings.Repeat("a", 100000), status: 401, code: "invalid_token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("GET", "/v1/connect/projects", "", nil, "Authorization", tc.header)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			if tc.code != "" {
				assert.Equal(t, tc.code, r.JSON(t)["error"])
				assert.NotEmpty(t, r.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestChallengeIsRFC6750Text(t *testing.T) {
	srv := testutil.NewServer(t)
	// This message carries "…" and quotes; the challenge must not.
	r := srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/accounts", srv.Token(), map[string]string{})
	require.Equal(t, 401, r.Status, string(r.Body))
	h := r.Header.Get("WWW-Authenticate")
	desc := regexp.MustCompile(`error_description="([^"]*)"$`).FindStringSubmatch(h)
	require.Len(t, desc, 2, h)
	assert.Regexp(t, `^[\x20\x21\x23-\x5b\x5d-\x7e]*$`, desc[1])
	assert.Contains(t, desc[1], "ctok_...")
}
