package emulator_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProjectsOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:projects:read connect:projects:write")

	r := srv.Do("POST", "/v1/connect/projects", tok, map[string]any{"name": "Acme", "support_email": "help@acme.test", "ignored_field": 1})
	require.Equal(t, 201, r.Status, string(r.Body))
	p := r.JSON(t)
	id := p["id"].(string)
	assert.Regexp(t, `^proj_[a-zA-Z0-9]+$`, id)
	assert.Equal(t, "Acme", p["name"])
	assert.Equal(t, "help@acme.test", p["support_email"])
	assert.Equal(t, false, p["connect_require_key_auth_test"])

	r = srv.Do("PATCH", "/v1/connect/projects/"+id, tok, map[string]any{"app_name": "Acme App", "connect_require_key_auth_test": true})
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, "Acme", r.JSON(t)["name"])
	assert.Equal(t, "Acme App", r.JSON(t)["app_name"])
	assert.Equal(t, true, r.JSON(t)["connect_require_key_auth_test"])

	r = srv.Do("GET", "/v1/connect/projects/"+id, tok, nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "Acme App", r.JSON(t)["app_name"])

	require.Equal(t, 204, srv.Do("DELETE", "/v1/connect/projects/"+id, tok, nil).Status)
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		r := srv.Do(m, "/v1/connect/projects/"+id, tok, map[string]any{"name": "x"})
		assert.Equal(t, 404, r.Status, m)
		assert.Equal(t, "not_found", r.JSON(t)["error"])
	}
}

func TestProjectsBadInput(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithMaxBodyBytes(1024))
	tok := srv.Token()
	pid := srv.Credentials.ProjectID
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
	}{
		{"create without name", "POST", "/v1/connect/projects", `{}`, nil, 400},
		{"create with blank name", "POST", "/v1/connect/projects", `{"name":" "}`, nil, 400},
		{"create with long name", "POST", "/v1/connect/projects", `{"name":"` + strings.Repeat("x", 201) + `"}`, nil, 400},
		{"create with name of wrong type", "POST", "/v1/connect/projects", `{"name":["x"]}`, nil, 400},
		{"create with malformed json", "POST", "/v1/connect/projects", `{"name"`, nil, 400},
		{"create with huge body", "POST", "/v1/connect/projects", `{"name":"` + strings.Repeat("x", 2000) + `"}`, nil, 413},
		{"create as text", "POST", "/v1/connect/projects", `{"name":"x"}`, []string{"Content-Type", "text/plain"}, 415},
		{"update to empty name", "PATCH", "/v1/connect/projects/" + pid, `{"name":""}`, nil, 400},
		{"update with bool of wrong type", "PATCH", "/v1/connect/projects/" + pid, `{"connect_require_key_auth_test":"yes"}`, nil, 400},
		{"retrieve unknown", "GET", "/v1/connect/projects/proj_nope", "", nil, 404},
		{"retrieve junk id", "GET", "/v1/connect/projects/%00%ff", "", nil, 404},
		{"list with limit 0", "GET", "/v1/connect/projects?limit=0", "", nil, 400},
		{"list with limit 101", "GET", "/v1/connect/projects?limit=101", "", nil, 400},
		{"list with junk cursor", "GET", "/v1/connect/projects?after=%25%25", "", nil, 400},
		{"users of unknown project", "GET", "/v1/connect/proj_nope/users", "", nil, 404},
		{"users with bad environment", "GET", "/v1/connect/" + pid + "/users", "", []string{"X-PD-Environment", "staging"}, 400},
		{"users with bad limit", "GET", "/v1/connect/" + pid + "/users?limit=-3", "", nil, 400},
		{"unsupported method", "PUT", "/v1/connect/projects", `{}`, nil, 405},
		{"unknown path", "GET", "/v1/connect/" + pid + "/nothing-here", "", nil, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := srv.Do(tc.method, tc.path, tok, body, tc.headers...)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
			assert.NotEmpty(t, r.JSON(t)["error"])
		})
	}
	projects := srv.Do("GET", "/v1/connect/projects", tok, nil).JSON(t)["data"].([]any)
	require.Len(t, projects, 1, "nothing was created")
	assert.Equal(t, "pdemu project", projects[0].(map[string]any)["name"], "nothing was changed")
}

func TestProjectRestrictedClient(t *testing.T) {
	srv := testutil.NewServer(t)
	admin := srv.Token()
	other := srv.Do("POST", "/v1/connect/projects", admin, map[string]string{"name": "Other"}).JSON(t)["id"].(string)

	_, creds, err := srv.Emulator.CreateClient(emulator.ClientSpec{Name: "restricted", ProjectIDs: []string{srv.Credentials.ProjectID}})
	require.NoError(t, err)
	tok := srv.TokenFor(creds)
	list := srv.Do("GET", "/v1/connect/projects", tok, nil).JSON(t)["data"].([]any)
	require.Len(t, list, 1)
	assert.Equal(t, srv.Credentials.ProjectID, list[0].(map[string]any)["id"])
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/projects/"+other, tok, nil).Status, "other projects look absent")
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/"+other+"/users", tok, nil).Status)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil).Status)
}

func TestWorkspacesAreIsolated(t *testing.T) {
	seed := emulator.Seed{Workspaces: []emulator.SeedWorkspace{
		{ID: "o_one", Projects: []emulator.SeedProject{{ID: "proj_one", Name: "One"}}, Clients: []emulator.SeedClient{{ClientID: "c1", ClientSecret: "s1", Name: "one"}}},
		{ID: "o_two", Projects: []emulator.SeedProject{{ID: "proj_two", Name: "Two"}}, Clients: []emulator.SeedClient{{ClientID: "c2", ClientSecret: "s2", Name: "two"}}},
	}}
	srv := testutil.NewServer(t, emulator.WithSeed(seed))
	one := srv.TokenFor(emulator.ClientCredentials{ClientID: "c1", ClientSecret: "s1"})
	list := srv.Do("GET", "/v1/connect/projects", one, nil).JSON(t)["data"].([]any)
	require.Len(t, list, 1)
	assert.Equal(t, "proj_one", list[0].(map[string]any)["id"])
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/projects/proj_two", one, nil).Status)
	assert.Equal(t, 404, srv.Do("DELETE", "/v1/connect/projects/proj_two", one, nil).Status)
	assert.Equal(t, 404, srv.Do("GET", "/v1/connect/proj_two/users", one, nil).Status)
}

// oaPNG is a PNG signature padded to n bytes: enough for the logo check.
func oaPNG(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

func oaLogo(mediaType string, b []byte) map[string]any {
	return map[string]any{"logo": "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)}
}

func TestUpdateProjectLogo(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:projects:write")
	pid := srv.Credentials.ProjectID
	path := "/v1/connect/projects/" + pid + "/logo"

	tests := []struct {
		name     string
		body     any
		status   int
		contains string
	}{
		{"png", oaLogo("image/png", oaPNG(64)), 200, ""},
		{"jpeg", oaLogo("image/jpeg", []byte{0xFF, 0xD8, 0xFF, 0xE0}), 200, ""},
		{"gif", oaLogo("image/gif", []byte("GIF87a....")), 200, ""},
		{"webp", oaLogo("image/webp", []byte("RIFF\x00\x00\x00\x00WEBPVP8 ")), 200, ""},
		{"svg", oaLogo("image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)), 200, ""},
		{"exactly the size limit", oaLogo("image/png", oaPNG(connect.MaxLogoBytes)), 200, ""},
		{"one byte over the size limit", oaLogo("image/png", oaPNG(connect.MaxLogoBytes+1)), 400, "larger than 32768 bytes"},
		{"over the body limit", oaLogo("image/png", oaPNG(64<<10)), 413, ""},
		{"the SDK's example", `{"logo":"data:image/png;base64,AAAAAA..."}`, 400, "invalid logo data"},
		{"bytes not of the type", oaLogo("image/png", []byte("GIF89a")), 400, "invalid logo data"},
		{"not an image type", oaLogo("application/pdf", []byte("%PDF-1.4")), 400, "invalid logo data"},
		{"not a data URI", `{"logo":"https://example.com/logo.png"}`, 400, "invalid logo data"},
		{"not base64", `{"logo":"data:image/svg+xml,<svg/>"}`, 400, "invalid logo data"},
		{"empty", `{"logo":""}`, 400, "invalid logo data"},
		{"missing", `{}`, 400, "invalid logo data: logo is required"},
		{"a number", `{"logo":1}`, 400, "logo"},
		{"not JSON", `logo`, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("POST", path, tok, tc.body)
			if tc.status == 200 {
				require.Equal(t, 200, r.Status, string(r.Body))
				assert.Empty(t, r.Body, "the document's 200 has no body")
				assert.Empty(t, r.Header.Values("Content-Type"))
				return
			}
			oaErrorIs(t, r, tc.status, tc.contains)
		})
	}
}

// TestUpdateProjectLogoAnswer pins the success answer of updateProjectLogo
// to what Pipedream's OpenAPI document gives (200 "logo updated", no
// content): status 200, an empty body, no Content-Type; an error keeps its
// JSON body.
func TestUpdateProjectLogoAnswer(t *testing.T) {
	srv := testutil.NewServer(t)
	path := "/v1/connect/projects/" + srv.Credentials.ProjectID + "/logo"
	tests := []struct {
		name        string
		body        any
		status      int
		contentType string
		emptyBody   bool
	}{
		{"success", oaLogo("image/png", oaPNG(16)), 200, "", true},
		{"replacing the logo", oaLogo("image/gif", []byte("GIF89a....")), 200, "", true},
		{"bad data", `{"logo":"junk"}`, 400, "application/json", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("POST", path, srv.Token("connect:projects:write"), tc.body)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			assert.Equal(t, tc.contentType, r.Header.Get("Content-Type"))
			assert.Equal(t, tc.emptyBody, len(r.Body) == 0, "body %q", r.Body)
			if tc.emptyBody {
				assert.Contains(t, []string{"", "0"}, r.Header.Get("Content-Length"))
			}
		})
	}
}

func TestUpdateProjectLogoAccess(t *testing.T) {
	srv := testutil.NewServer(t)
	good := oaLogo("image/png", oaPNG(16))
	path := "/v1/connect/projects/" + srv.Credentials.ProjectID + "/logo"
	_, restricted := oaSecondProject(t, srv)

	oaErrorIs(t, srv.Do("POST", path, restricted, good), 404, "")
	// An invisible project is a 404 whatever the body holds.
	oaErrorIs(t, srv.Do("POST", path, restricted, `{"logo":"junk"}`), 404, "")
	oaErrorIs(t, srv.Do("POST", "/v1/connect/projects/proj_nope/logo", srv.Token(), good), 404, "")
	oaErrorIs(t, srv.Do("POST", path, srv.Token("connect:projects:read"), good), 403, "connect:projects:write")
	oaErrorIs(t, srv.Do("POST", path, srv.ConnectToken("u1"), good), 401, "")

	require.Equal(t, 200, srv.Do("POST", path, srv.Token("connect:*"), good).Status)
	logo, found, err := srv.Emulator.ProjectLogo(srv.Credentials.ProjectID)
	require.NoError(t, err)
	require.True(t, found, "the logo is kept")
	assert.Equal(t, "image/png", logo.MediaType)
	assert.Equal(t, oaPNG(16), logo.Data)
}

func TestProjectInfo(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	info := oaProject(srv) + "/projects/info"

	r := srv.Do("GET", info, tok, nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.JSONEq(t, `{"apps":[]}`, string(r.Body))

	require.Equal(t, 201, srv.Do("POST", oaProject(srv)+"/oauth_apps", tok,
		map[string]any{"app": "zz_oauth2", "client_id": "c", "client_secret": "s"}).Status)
	require.Equal(t, 201, srv.Do("POST", oaProject(srv)+"/oauth_apps", tok,
		map[string]any{"app": "zz_oauth2", "client_id": "c2", "client_secret": "s"}).Status)
	require.Equal(t, 201, srv.Do("POST", oaProject(srv)+"/app_overrides", tok,
		map[string]any{"app": "zz_keys", "name": "n"}).Status)

	want := `{"apps":[{"id":"app_zzkeys","name_slug":"zz_keys"},{"id":"app_zzoauth2","name_slug":"zz_oauth2"}]}`
	r = srv.Do("GET", info, tok, nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.JSONEq(t, want, string(r.Body), "each app once, sorted by slug")

	// A Connect token implies the project, as the SDK's frontend client
	// calls it: /v1/connect/projects/info.
	ctok := srv.ConnectToken("u1")
	r = srv.Do("GET", "/v1/connect/projects/info", ctok, nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.JSONEq(t, want, string(r.Body))
	r = srv.Do("GET", info, ctok, nil)
	require.Equal(t, 200, r.Status, string(r.Body))

	_, restricted := oaSecondProject(t, srv)
	oaErrorIs(t, srv.Do("GET", info, restricted, nil), 404, "")
	oaErrorIs(t, srv.Do("GET", "/v1/connect/proj_nope/projects/info", tok, nil), 404, "")
	oaErrorIs(t, srv.Do("GET", info, srv.Token("connect:projects:write"), nil), 403, "connect:projects:read")
	oaErrorIs(t, srv.Do("GET", "/v1/connect/projects/info", tok, nil), 400, "project id")
}

func TestProjectDeletionRemovesFamilyState(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	r := srv.Do("POST", "/v1/connect/projects", tok, map[string]any{"name": "Doomed"})
	require.Equal(t, 201, r.Status)
	pid := r.JSON(t)["id"].(string)
	p := "/v1/connect/" + pid
	require.Equal(t, 200, srv.Do("PUT", p+"/webhook", tok, map[string]any{"url": "https://example.com/h"}).Status)
	r = srv.Do("POST", p+"/oauth_apps", tok, map[string]any{"app": "zz_oauth", "client_id": "c", "client_secret": "s"})
	require.Equal(t, 201, r.Status)
	oa := r.JSON(t)["id"].(string)
	r = srv.Do("POST", p+"/app_overrides", tok, map[string]any{"app": "zz_oauth", "name": "n", "oauth_app_id": oa})
	require.Equal(t, 201, r.Status)
	require.Equal(t, 200, srv.Do("POST", "/v1/connect/projects/"+pid+"/logo", tok, oaLogo("image/png", oaPNG(8))).Status)

	require.Equal(t, 204, srv.Do("DELETE", "/v1/connect/projects/"+pid, tok, nil).Status,
		"a project goes even with an override holding its OAuth client")
	for _, path := range []string{p + "/webhook", p + "/oauth_apps/" + oa, p + "/app_overrides"} {
		oaErrorIs(t, srv.Do("GET", path, tok, nil), 404, "")
	}
	_, _, err := srv.Emulator.ProjectLogo(pid)
	assert.Error(t, err, "the logo went with the project")
}
