package emulator_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/testutil"
)

func TestProjectWebhookOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	path := oaProject(srv) + "/webhook"
	dev := []string{"X-Pd-Environment", "development"}
	do := func(method, p string, body any) testutil.Response {
		return srv.Do(method, p, tok, body, dev...)
	}

	r := do("GET", path, nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.JSONEq(t, `{"data":null}`, string(r.Body), "no webhook yet")

	r = do("PUT", path, map[string]any{"url": "https://example.com/hooks/one"})
	require.Equal(t, 200, r.Status, string(r.Body))
	created := r.JSON(t)["data"].(map[string]any)
	assert.Regexp(t, `^wh_[A-Za-z0-9]+$`, created["id"])
	assert.Equal(t, "https://example.com/hooks/one", created["url"])
	assert.Equal(t, true, created["signing_key_set"])
	key, _ := created["signing_key"].(string)
	assert.Len(t, key, 43, "creating shows the 256-bit signing key (base64url)")
	assert.EqualValues(t, 1893456000, created["created_at"], "epoch seconds of 2030-01-01")
	assert.EqualValues(t, 1893456000, created["updated_at"])

	srv.Advance(time.Minute)
	r = do("PUT", path, map[string]any{"url": "https://example.com/hooks/two"})
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.NotContains(t, string(r.Body), "signing_key\"", "updating does not show the key")
	assert.NotContains(t, string(r.Body), key)
	updated := r.JSON(t)["data"].(map[string]any)
	assert.Equal(t, created["id"], updated["id"])
	assert.Equal(t, "https://example.com/hooks/two", updated["url"])
	assert.Equal(t, true, updated["signing_key_set"])
	assert.EqualValues(t, 1893456000, updated["created_at"])
	assert.EqualValues(t, 1893456060, updated["updated_at"])

	r = do("GET", path, nil)
	require.Equal(t, 200, r.Status)
	assert.NotContains(t, string(r.Body), "signing_key\"", "retrieving never shows the key")
	assert.Equal(t, updated, r.JSON(t)["data"])

	r = srv.Do("GET", path, tok, nil, "X-Pd-Environment", "production")
	assert.JSONEq(t, `{"data":null}`, string(r.Body), "each environment has its own webhook")
	r = srv.Do("GET", path, tok, nil)
	assert.JSONEq(t, `{"data":null}`, string(r.Body), "no header means production")

	r = do("POST", path+"/regenerate_signing_key", nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	regen := r.JSON(t)["data"].(map[string]any)
	newKey, _ := regen["signing_key"].(string)
	assert.Len(t, newKey, 43)
	assert.NotEqual(t, key, newKey, "regenerating changes the key")
	assert.Equal(t, created["id"], regen["id"])
	assert.Equal(t, "https://example.com/hooks/two", regen["url"])
	assert.Equal(t, true, regen["signing_key_set"])

	r = do("DELETE", path, nil)
	require.Equal(t, 204, r.Status, string(r.Body))
	assert.Empty(t, r.Body)
	assert.JSONEq(t, `{"data":null}`, string(do("GET", path, nil).Body))
	oaErrorIs(t, do("DELETE", path, nil), 404, "no webhook")
	oaErrorIs(t, do("POST", path+"/regenerate_signing_key", nil), 404, "no webhook")

	r = do("PUT", path, map[string]any{"url": "http://localhost:9000/h"})
	require.Equal(t, 200, r.Status)
	again := r.JSON(t)["data"].(map[string]any)
	assert.NotEmpty(t, again["signing_key"], "after a delete, a PUT creates again and shows a new key")
	assert.NotEqual(t, newKey, again["signing_key"])
}

func TestProjectWebhookBadInput(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	path := oaProject(srv) + "/webhook"
	tests := []struct {
		name     string
		body     any
		status   int
		contains string
	}{
		{"missing url", `{}`, 400, "url is required"},
		{"null url", `{"url":null}`, 400, "url is required"},
		{"empty url", `{"url":""}`, 400, "url is required"},
		{"relative url", `{"url":"/hooks"}`, 400, "absolute http or https URL"},
		{"no scheme", `{"url":"example.com/hooks"}`, 400, "absolute http or https URL"},
		{"ftp", `{"url":"ftp://example.com/hooks"}`, 400, "absolute http or https URL"},
		{"no host", `{"url":"https:///hooks"}`, 400, "absolute http or https URL"},
		{"space", `{"url":"https://example.com/a b"}`, 400, "white space"},
		{"too long", map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2048)}, 400, "longer than 2048"},
		{"url a number", `{"url":1}`, 400, "url"},
		{"not JSON", `url=https://example.com`, 400, ""},
		{"empty body", ``, 400, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			oaErrorIs(t, srv.Do("PUT", path, tok, tc.body), tc.status, tc.contains)
		})
	}
	r := srv.Do("PUT", path, tok, `url=x`, "Content-Type", "application/x-www-form-urlencoded")
	oaErrorIs(t, r, 415, "application/json")
	assert.JSONEq(t, `{"data":null}`, string(srv.Do("GET", path, tok, nil).Body), "refused requests made nothing")
	oaErrorIs(t, srv.Do("GET", path, tok, nil, "X-Pd-Environment", "staging"), 400, "x-pd-environment")
}

func TestProjectWebhookAccess(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	path := oaProject(srv) + "/webhook"
	require.Equal(t, 200, srv.Do("PUT", path, tok, map[string]any{"url": "https://example.com/h"}).Status)

	p2, restricted := oaSecondProject(t, srv)
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		oaErrorIs(t, srv.Do(m, path, restricted, map[string]any{"url": "https://evil.example.com"}), 404, "")
	}
	oaErrorIs(t, srv.Do("POST", path+"/regenerate_signing_key", restricted, nil), 404, "")
	oaErrorIs(t, srv.Do("GET", "/v1/connect/proj_nope/webhook", tok, nil), 404, "")
	assert.JSONEq(t, `{"data":null}`, string(srv.Do("GET", "/v1/connect/"+p2+"/webhook", restricted, nil).Body),
		"another project has its own webhook")
	r := srv.Do("GET", path, tok, nil)
	assert.Equal(t, "https://example.com/h", r.JSON(t)["data"].(map[string]any)["url"], "refused callers changed nothing")

	oaErrorIs(t, srv.Do("GET", path, srv.Token("connect:projects:read"), nil), 403, "connect:*")
	oaErrorIs(t, srv.Do("GET", path, srv.ConnectToken("u1"), nil), 401, "OAuth access token")
	oaErrorIs(t, srv.Do("GET", path, "", nil), 401, "")

	srv.Reset()
	tok = srv.Token()
	assert.JSONEq(t, `{"data":null}`, string(srv.Do("GET", path, tok, nil).Body), "reset removes webhooks")
}
