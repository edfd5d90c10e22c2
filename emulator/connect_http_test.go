package emulator_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
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

func TestUsersPaginationAndEnvironments(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	for i := 0; i < 25; i++ {
		require.NoError(t, srv.Emulator.AddExternalUser(pid, "development", fmt.Sprintf("user-%02d", i)))
	}
	r := srv.Do("POST", "/_emulator/projects/"+pid+"/users", "", map[string]string{"external_id": "prod-user"})
	require.Equal(t, 201, r.Status, string(r.Body))
	assert.Regexp(t, `^exu_`, r.JSON(t)["id"])

	tok := srv.Token("connect:users:read")
	var seen []string
	after := ""
	for pages := 1; ; pages++ {
		require.LessOrEqual(t, pages, 3)
		r := srv.Do("GET", "/v1/connect/"+pid+"/users?limit=10&after="+url.QueryEscape(after), tok, nil, "X-PD-Environment", "development")
		require.Equal(t, 200, r.Status, string(r.Body))
		body := r.JSON(t)
		info := body["page_info"].(map[string]any)
		assert.EqualValues(t, 25, info["total_count"])
		for _, u := range body["data"].([]any) {
			m := u.(map[string]any)
			seen = append(seen, m["external_id"].(string))
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, m["created_at"], "ISO 8601")
		}
		assert.EqualValues(t, len(body["data"].([]any)), info["count"])
		if info["end_cursor"] == nil {
			assert.Equal(t, 3, pages)
			break
		}
		after = info["end_cursor"].(string)
	}
	require.Len(t, seen, 25)
	for i, id := range seen {
		assert.Equal(t, fmt.Sprintf("user-%02d", i), id)
	}

	prod := srv.Do("GET", "/v1/connect/"+pid+"/users", tok, nil).JSON(t)["data"].([]any)
	require.Len(t, prod, 1, "no header means production")
	assert.Equal(t, "prod-user", prod[0].(map[string]any)["external_id"])

	q := srv.Do("GET", "/v1/connect/"+pid+"/users?q=user-1", tok, nil, "X-PD-Environment", "development").JSON(t)
	assert.EqualValues(t, 10, q["page_info"].(map[string]any)["total_count"], "q filters by partial external id")
}
