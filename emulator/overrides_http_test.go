package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/pdemu/pdemu/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppOverridesOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	base := oaProject(srv) + "/app_overrides"
	r := srv.Do("POST", oaProject(srv)+"/oauth_apps", tok, map[string]any{"app": "zz_oauth", "client_id": "c", "client_secret": "s"})
	require.Equal(t, 201, r.Status)
	oaID := r.JSON(t)["id"].(string)

	r = srv.Do("POST", base, tok, `{"app":"zz_oauth","name":"EU","oauth_app_id":"`+oaID+`","cfmap":{"subdomain":"acme-eu","extra":null}}`)
	oaErrorIs(t, r, 400, `"extra" is not a custom field`)

	r = srv.Do("POST", base, tok, `{"app":"zz_oauth","name":"EU","oauth_app_id":"`+oaID+`","cfmap":{"subdomain":12345678901234567890}}`)
	require.Equal(t, 201, r.Status, string(r.Body))
	assert.Contains(t, string(r.Body), `"subdomain":12345678901234567890`, "numbers come back exactly as sent")
	o := r.JSON(t)
	id := o["id"].(string)
	assert.Regexp(t, `^ao_[A-Za-z0-9]+$`, id)
	assert.Equal(t, "EU", o["name"])
	assert.Equal(t, oaID, o["oauth_app_id"])
	assert.Equal(t, srv.Credentials.ProjectID, o["owner_id"])
	assert.Equal(t, "2030-01-01T00:00:00Z", o["created_at"])
	app := o["app"].(map[string]any)
	assert.Equal(t, "zz_oauth", app["name_slug"], "app is the App object")
	assert.Equal(t, "app_zzoauth", app["id"])

	r = srv.Do("GET", base+"/"+id, tok, nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, o, r.JSON(t))

	srv.Advance(time.Minute)
	r = srv.Do("PUT", base+"/"+id, tok, `{"oauth_app_id":null}`)
	require.Equal(t, 200, r.Status, string(r.Body))
	up := r.JSON(t)
	assert.Nil(t, up["oauth_app_id"], "null clears the client")
	assert.Contains(t, up, "oauth_app_id", "and shows it as null")
	assert.Equal(t, "EU", up["name"], "absent fields stay")
	assert.Equal(t, o["cfmap"], up["cfmap"])
	assert.Equal(t, "2030-01-01T00:01:00Z", up["updated_at"])

	r = srv.Do("PUT", base+"/"+id, tok, `{"name":"EU 2","cfmap":null,"app":"zz_keys"}`)
	require.Equal(t, 200, r.Status, string(r.Body))
	up = r.JSON(t)
	assert.Equal(t, map[string]any{}, up["cfmap"], "null clears the values")
	assert.Equal(t, "zz_oauth", up["app"].(map[string]any)["name_slug"], "the app can't change")

	r = srv.Do("POST", base, tok, map[string]any{"app": "zz_keys", "name": "Keys", "cfmap": map[string]any{"region": "eu"}})
	require.Equal(t, 201, r.Status, string(r.Body))
	id2 := r.JSON(t)["id"].(string)
	assert.Nil(t, r.JSON(t)["oauth_app_id"])

	assert.Equal(t, []string{id, id2}, oaIDs(t, srv.Do("GET", base, tok, nil)))
	assert.Equal(t, []string{id2}, oaIDs(t, srv.Do("GET", base+"?app=app_zzkeys", tok, nil)))
	assert.Equal(t, []string{id}, oaIDs(t, srv.Do("GET", base+"?app=zz_oauth", tok, nil)))

	// An override that selects a client keeps the client from being deleted.
	require.Equal(t, 200, srv.Do("PUT", base+"/"+id, tok, map[string]any{"oauth_app_id": oaID}).Status)
	oaErrorIs(t, srv.Do("DELETE", oaProject(srv)+"/oauth_apps/"+oaID, tok, nil), 400, "in use")
	require.Equal(t, 204, srv.Do("DELETE", base+"/"+id, tok, nil).Status)
	require.Equal(t, 204, srv.Do("DELETE", oaProject(srv)+"/oauth_apps/"+oaID, tok, nil).Status)
	oaErrorIs(t, srv.Do("GET", base+"/"+id, tok, nil), 404, id)
	oaErrorIs(t, srv.Do("DELETE", base+"/"+id, tok, nil), 404, "")
}

func TestAppOverridesBadInput(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	base := oaProject(srv) + "/app_overrides"
	r := srv.Do("POST", base, tok, map[string]any{"app": "zz_oauth", "name": "taken"})
	require.Equal(t, 201, r.Status, string(r.Body))
	id := r.JSON(t)["id"].(string)
	p2, restricted := oaSecondProject(t, srv)
	r = srv.Do("POST", "/v1/connect/"+p2+"/oauth_apps", restricted, map[string]any{"app": "zz_oauth", "client_id": "c", "client_secret": "s"})
	require.Equal(t, 201, r.Status)
	otherProjectClient := r.JSON(t)["id"].(string)

	tests := []struct {
		name, method, path string
		body               any
		status             int
		contains           string
	}{
		{"missing app", "POST", base, `{"name":"n"}`, 400, "app is required"},
		{"unknown app", "POST", base, `{"app":"nope","name":"n"}`, 400, "unknown app"},
		{"missing name", "POST", base, `{"app":"zz_oauth"}`, 400, "name is required"},
		{"taken name", "POST", base, `{"app":"zz_keys","name":"taken"}`, 400, "already has"},
		{"unknown oauth_app_id", "POST", base, `{"app":"zz_oauth","name":"n","oauth_app_id":"oa_nope"}`, 400, "not an OAuth client of this project"},
		{"another project's client", "POST", base, `{"app":"zz_oauth","name":"n","oauth_app_id":"` + otherProjectClient + `"}`, 400, "not an OAuth client of this project"},
		{"oauth_app_id a number", "POST", base, `{"app":"zz_oauth","name":"n","oauth_app_id":7}`, 400, "oauth_app_id"},
		{"cfmap an array", "POST", base, `{"app":"zz_oauth","name":"n","cfmap":["x"]}`, 400, "cfmap must be a JSON object"},
		{"cfmap a string", "POST", base, `{"app":"zz_oauth","name":"n","cfmap":"{}"}`, 400, "cfmap must be a JSON object"},
		{"sensitive field", "POST", base, `{"app":"zz_keys","name":"n","cfmap":{"api_key":"sk-1"}}`, 400, "sensitive"},
		{"name a number", "POST", base, `{"app":"zz_oauth","name":1}`, 400, "name"},
		{"not JSON", "POST", base, `{`, 400, ""},
		{"rename to blank", "PUT", base + "/" + id, `{"name":""}`, 400, "name is required"},
		{"unknown id", "GET", base + "/ao_nope", nil, 404, "ao_nope"},
		{"update unknown id", "PUT", base + "/ao_nope", `{"name":"x"}`, 404, ""},
		{"delete unknown id", "DELETE", base + "/ao_nope", nil, 404, ""},
		{"another project's override", "GET", "/v1/connect/" + p2 + "/app_overrides/" + id, nil, 404, ""},
		{"bad limit", "GET", base + "?limit=abc", nil, 400, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oaErrorIs(t, srv.Do(tc.method, tc.path, tok, tc.body), tc.status, tc.contains)
		})
	}
	oaErrorIs(t, srv.Do("GET", base+"/"+id, restricted, nil), 404, "")
	assert.Equal(t, []string{id}, oaIDs(t, srv.Do("GET", base, tok, nil)), "refused requests made nothing")
	assert.Equal(t, "taken", srv.Do("GET", base+"/"+id, tok, nil).JSON(t)["name"])
}

func TestAppOverridesPagination(t *testing.T) {
	srv := testutil.NewServer(t)
	oaAddApps(t, srv)
	tok := srv.Token()
	var want []string
	for i := range 7 {
		r := srv.Do("POST", oaProject(srv)+"/app_overrides", tok, map[string]any{"app": "zz_none", "name": fmt.Sprint("o", i)})
		require.Equal(t, 201, r.Status, string(r.Body))
		want = append(want, r.JSON(t)["id"].(string))
		r = srv.Do("POST", oaProject(srv)+"/oauth_apps", tok, map[string]any{"app": "zz_oauth", "client_id": fmt.Sprint("c", i), "client_secret": "s"})
		require.Equal(t, 201, r.Status, string(r.Body))
	}
	for _, limit := range []int{1, 2, 3, 6, 7, 100} {
		assert.Equal(t, want, oaWalk(t, srv, tok, oaProject(srv)+"/app_overrides", limit), "limit %d", limit)
		assert.Len(t, oaWalk(t, srv, tok, oaProject(srv)+"/oauth_apps", limit), 7, "limit %d", limit)
	}

	r := srv.Do("GET", oaProject(srv)+"/app_overrides?limit=3", tok, nil)
	var page struct {
		PageInfo struct {
			Count       int     `json:"count"`
			TotalCount  int     `json:"total_count"`
			StartCursor *string `json:"start_cursor"`
			EndCursor   *string `json:"end_cursor"`
		} `json:"page_info"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &page))
	assert.Equal(t, 3, page.PageInfo.Count)
	assert.Equal(t, 7, page.PageInfo.TotalCount)
	require.NotNil(t, page.PageInfo.EndCursor)
	r = srv.Do("GET", oaProject(srv)+"/app_overrides?limit=3&before="+url.QueryEscape(*page.PageInfo.EndCursor), tok, nil)
	assert.Equal(t, want[:2], oaIDs(t, r), "before pages backwards")
}
