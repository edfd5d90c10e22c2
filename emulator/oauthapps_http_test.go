package emulator_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// Helpers shared by this family's HTTP tests carry an oa prefix, so they
// can't clash with other test files of the package.

// oaProject is the path prefix of the seeded project.
func oaProject(srv *testutil.Server) string { return "/v1/connect/" + srv.Credentials.ProjectID }

// oaAddApps adds apps of every auth type through the control plane, under
// slugs no built-in app uses.
func oaAddApps(t *testing.T, srv *testutil.Server) {
	t.Helper()
	for _, app := range []string{
		`{"id":"app_zzoauth","name_slug":"zz_oauth","name":"ZZ OAuth","auth_type":"oauth","description":"An OAuth app",
		  "custom_fields_json":[{"name":"subdomain","label":"Subdomain","type":"string"},{"name":"signing_secret","label":"Signing secret","type":"password"}]}`,
		`{"id":"app_zzoauth2","name_slug":"zz_oauth2","name":"ZZ OAuth 2","auth_type":"oauth"}`,
		`{"id":"app_zzkeys","name_slug":"zz_keys","name":"ZZ Keys","auth_type":"keys",
		  "custom_fields_json":[{"name":"api_key","label":"API key","type":"password"},{"name":"region","label":"Region","type":"string"}]}`,
		`{"id":"app_zznone","name_slug":"zz_none","name":"ZZ None","auth_type":"none"}`,
	} {
		r := srv.Do("POST", "/_emulator/apps", "", app)
		require.Equal(t, 201, r.Status, "adding a test app: %s", r.Body)
	}
}

// oaSecondProject creates another project in the seeded workspace and a
// token of a client restricted to it.
func oaSecondProject(t *testing.T, srv *testutil.Server) (projectID, restrictedToken string) {
	t.Helper()
	r := srv.Do("POST", "/v1/connect/projects", srv.Token(), map[string]any{"name": "Second"})
	require.Equal(t, 201, r.Status, string(r.Body))
	projectID = r.JSON(t)["id"].(string)
	_, creds, err := srv.Emulator.CreateClient(emulator.ClientSpec{Name: "restricted", ProjectIDs: []string{projectID}})
	require.NoError(t, err)
	return projectID, srv.TokenFor(creds)
}

// oaErrorIs checks a JSON error answer's status and that its description
// says what is wrong.
func oaErrorIs(t *testing.T, r testutil.Response, status int, contains string) {
	t.Helper()
	require.Equal(t, status, r.Status, string(r.Body))
	body := r.JSON(t)
	assert.NotEmpty(t, body["error"], "an error body has an error field")
	if contains != "" {
		assert.Contains(t, fmt.Sprint(body["error_description"]), contains)
	}
}

func oaIDs(t *testing.T, r testutil.Response) []string {
	t.Helper()
	require.Equal(t, 200, r.Status, string(r.Body))
	out := []string{}
	for _, it := range r.JSON(t)["data"].([]any) {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

// oaWalk follows end_cursor as the SDK's pager does and returns every id.
func oaWalk(t *testing.T, srv *testutil.Server, tok, path string, limit int) []string {
	t.Helper()
	var all []string
	after := ""
	for range 100 {
		r := srv.Do("GET", fmt.Sprintf("%s?limit=%d&after=%s", path, limit, url.QueryEscape(after)), tok, nil)
		all = append(all, oaIDs(t, r)...)
		info := r.JSON(t)["page_info"].(map[string]any)
		end, _ := info["end_cursor"].(string)
		if end == "" {
			return all
		}
		after = end
	}
	t.Fatal("pagination did not end")
	return nil
}

func TestOAuthAppsOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	base := oaProject(srv) + "/oauth_apps"
	const secret = "s3cr3t-value-never-shown"
	var bodies [][]byte // every answer, to check none shows the secret
	do := func(method, path string, body any) testutil.Response {
		r := srv.Do(method, path, tok, body)
		bodies = append(bodies, r.Body)
		return r
	}

	r := do("POST", base, map[string]any{"app": "zz_oauth", "client_id": "cid-1", "client_secret": secret,
		"scopes": []string{"read", "write"}, "unknown_field": true})
	require.Equal(t, 201, r.Status, string(r.Body))
	o := r.JSON(t)
	id := o["id"].(string)
	assert.Regexp(t, `^oa_[A-Za-z0-9]+$`, id)
	assert.Equal(t, "cid-1", o["client_id"])
	assert.Equal(t, []any{"read", "write"}, o["scopes"])
	assert.Equal(t, []any{}, o["additional_scopes"])
	assert.Equal(t, "https://api.pipedream.com/connect/oauth/"+id+"/callback", o["redirect_uri"])
	assert.Equal(t, srv.Credentials.ProjectID, o["owner_id"])
	assert.Equal(t, "2030-01-01T00:00:00Z", o["created_at"])
	assert.Equal(t, "2030-01-01T00:00:00Z", o["updated_at"])
	// The app's fields, merged in (the SDK's OauthApp requires these).
	assert.Equal(t, "zz_oauth", o["name_slug"])
	assert.Equal(t, "ZZ OAuth", o["name"], "name falls back to the app's")
	assert.Equal(t, "An OAuth app", o["description"])
	assert.Equal(t, "oauth", o["auth_type"])
	for _, k := range []string{"img_src", "categories", "featured_weight", "scope_profiles", "custom_fields_json"} {
		assert.Contains(t, o, k)
	}
	assert.NotContains(t, o, "client_secret")

	r = do("GET", base+"/"+id, nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, o, r.JSON(t), "retrieve shows what create did")

	srv.Advance(time.Minute)
	r = do("PUT", base+"/"+id, map[string]any{"name": "My client", "client_secret": "", "additional_scopes": []string{"admin"}})
	require.Equal(t, 200, r.Status, string(r.Body))
	up := r.JSON(t)
	assert.Equal(t, "My client", up["name"])
	assert.Equal(t, "cid-1", up["client_id"], "absent fields stay")
	assert.Equal(t, []any{"read", "write"}, up["scopes"])
	assert.Equal(t, []any{"admin"}, up["additional_scopes"])
	assert.Equal(t, "2030-01-01T00:01:00Z", up["updated_at"])

	r = do("PUT", base+"/"+id, map[string]any{"client_secret": "rotated-" + secret})
	require.Equal(t, 200, r.Status)

	r = do("POST", base, map[string]any{"app": "app_zzoauth2", "client_id": "cid-2", "client_secret": secret, "name": "Second", "description": "for tests"})
	require.Equal(t, 201, r.Status, string(r.Body))
	id2 := r.JSON(t)["id"].(string)

	assert.Equal(t, []string{id, id2}, oaIDs(t, do("GET", base, nil)))
	assert.Equal(t, []string{id2}, oaIDs(t, do("GET", base+"?app=zz_oauth2", nil)))
	assert.Equal(t, []string{id}, oaIDs(t, do("GET", base+"?app=app_zzoauth", nil)))
	assert.Equal(t, []string{}, oaIDs(t, do("GET", base+"?app=nope", nil)))
	assert.Equal(t, []string{id2}, oaIDs(t, do("GET", base+"?q=TESTS", nil)), "q searches descriptions")
	assert.Equal(t, []string{id}, oaIDs(t, do("GET", base+"?q=my+cl", nil)), "and names")

	r = do("GET", base, nil)
	info := r.JSON(t)["page_info"].(map[string]any)
	assert.EqualValues(t, 2, info["count"])
	assert.EqualValues(t, 2, info["total_count"])
	assert.Nil(t, info["end_cursor"])

	// Both environments see the same clients.
	r = srv.Do("GET", base+"/"+id, tok, nil, "X-Pd-Environment", "development")
	require.Equal(t, 200, r.Status)
	bodies = append(bodies, r.Body)

	require.Equal(t, 204, do("DELETE", base+"/"+id2, nil).Status)
	oaErrorIs(t, do("GET", base+"/"+id2, nil), 404, id2)
	oaErrorIs(t, do("DELETE", base+"/"+id2, nil), 404, "")

	for i, b := range bodies {
		assert.NotContains(t, string(b), secret, "answer %d shows the client secret", i)
		assert.NotContains(t, string(b), "client_secret", "answer %d", i)
	}
}

func TestOAuthAppsBadInput(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	base := oaProject(srv) + "/oauth_apps"
	r := srv.Do("POST", base, tok, map[string]any{"app": "zz_oauth", "client_id": "c", "client_secret": "s"})
	require.Equal(t, 201, r.Status, string(r.Body))
	id := r.JSON(t)["id"].(string)

	tests := []struct {
		name, method, path string
		body               any
		status             int
		contains           string
	}{
		{"missing app", "POST", base, `{"client_id":"c","client_secret":"s"}`, 400, "app is required"},
		{"unknown app", "POST", base, `{"app":"nope","client_id":"c","client_secret":"s"}`, 400, "unknown app"},
		{"keys app", "POST", base, `{"app":"zz_keys","client_id":"c","client_secret":"s"}`, 400, "only for OAuth apps"},
		{"no-auth app", "POST", base, `{"app":"zz_none","client_id":"c","client_secret":"s"}`, 400, "only for OAuth apps"},
		{"missing client_id", "POST", base, `{"app":"zz_oauth","client_secret":"s"}`, 400, "client_id is required"},
		{"missing client_secret", "POST", base, `{"app":"zz_oauth","client_id":"c"}`, 400, "client_secret is required"},
		{"null client_secret", "POST", base, `{"app":"zz_oauth","client_id":"c","client_secret":null}`, 400, "client_secret is required"},
		{"scopes not an array", "POST", base, `{"app":"zz_oauth","client_id":"c","client_secret":"s","scopes":"a b"}`, 400, "scopes"},
		{"space in a scope", "POST", base, `{"app":"zz_oauth","client_id":"c","client_secret":"s","scopes":["a b"]}`, 400, "scopes[0]"},
		{"client_id a number", "POST", base, `{"app":"zz_oauth","client_id":1,"client_secret":"s"}`, 400, "client_id"},
		{"not JSON", "POST", base, `{"app":`, 400, ""},
		{"an array", "POST", base, `[]`, 400, ""},
		{"empty body", "POST", base, ``, 400, ""},
		{"blank client_id on update", "PUT", base + "/" + id, `{"client_id":""}`, 400, "client_id"},
		{"long name on update", "PUT", base + "/" + id, map[string]any{"name": strings.Repeat("n", 201)}, 400, "longer than 200"},
		{"unknown id", "GET", base + "/oa_nope", nil, 404, "oa_nope"},
		{"update unknown id", "PUT", base + "/oa_nope", `{"name":"x"}`, 404, ""},
		{"delete unknown id", "DELETE", base + "/oa_nope", nil, 404, ""},
		{"unknown project", "GET", "/v1/connect/proj_nope/oauth_apps", nil, 404, ""},
		{"bad limit", "GET", base + "?limit=0", nil, 400, "limit"},
		{"limit over 100", "GET", base + "?limit=101", nil, 400, "limit"},
		{"bad cursor", "GET", base + "?after=%25%25", nil, 400, "cursor"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oaErrorIs(t, srv.Do(tc.method, tc.path, tok, tc.body), tc.status, tc.contains)
		})
	}
	assert.Equal(t, []string{id}, oaIDs(t, srv.Do("GET", base, tok, nil)), "refused requests made nothing")
	r = srv.Do("GET", base+"/"+id, tok, nil)
	assert.Equal(t, "c", r.JSON(t)["client_id"], "refused updates changed nothing")
	assert.Equal(t, "ZZ OAuth", r.JSON(t)["name"])

	r = srv.Do("GET", base+"?limit=100", tok, nil)
	assert.Equal(t, 200, r.Status, "limit 100 is allowed")
}

func TestOAuthAppsAccess(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	base := oaProject(srv) + "/oauth_apps"
	r := srv.Do("POST", base, tok, map[string]any{"app": "zz_oauth", "client_id": "c", "client_secret": "s"})
	require.Equal(t, 201, r.Status)
	id := r.JSON(t)["id"].(string)

	p2, restricted := oaSecondProject(t, srv)
	oaErrorIs(t, srv.Do("GET", base+"/"+id, restricted, nil), 404, "")
	oaErrorIs(t, srv.Do("GET", base, restricted, nil), 404, "")
	oaErrorIs(t, srv.Do("GET", "/v1/connect/"+p2+"/oauth_apps/"+id, tok, nil), 404, "")
	assert.Equal(t, []string{}, oaIDs(t, srv.Do("GET", "/v1/connect/"+p2+"/oauth_apps", restricted, nil)),
		"another project has its own clients")

	oaErrorIs(t, srv.Do("GET", base, srv.Token("connect:accounts:read"), nil), 403, "connect:*")
	ctok := srv.ConnectToken("u1")
	oaErrorIs(t, srv.Do("GET", base, ctok, nil), 401, "OAuth access token")
	oaErrorIs(t, srv.Do("GET", "/v1/connect/oauth_apps", ctok, nil), 401, "OAuth access token")

	// Deleting the project takes its clients along.
	require.Equal(t, 204, srv.Do("DELETE", "/v1/connect/projects/"+p2, tok, nil).Status)
	srv.Reset()
	tok = srv.Token()
	oaErrorIs(t, srv.Do("GET", base+"/"+id, tok, nil), 404, "")
}
