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

func TestUsersPaginationAndEnvironments(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	for i := 0; i < 25; i++ {
		require.NoError(t, srv.Emulator.AddExternalUser(pid, "development", fmt.Sprintf("user-%02d", i)))
	}
	r := srv.Do("POST", "/_emulator/projects/"+pid+"/users", "", map[string]string{"external_id": "prod-user", "environment": "production"})
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

// TestFixturesLandWhereTheBannerPoints: a user seeded on the control plane
// without an environment is in the environment pdemu announces
// (PIPEDREAM_PROJECT_ENVIRONMENT, which the SDK sends), not in the one an
// API request without x-pd-environment means.
func TestFixturesLandWhereTheBannerPoints(t *testing.T) {
	srv := testutil.NewServer(t)
	pid := srv.Credentials.ProjectID
	var announced string
	for _, kv := range srv.Env() {
		if v, ok := strings.CutPrefix(kv, "PIPEDREAM_PROJECT_ENVIRONMENT="); ok {
			announced = v
		}
	}
	require.Equal(t, emulator.DefaultEnvironment, announced)
	require.Equal(t, 201, srv.Do("POST", "/_emulator/projects/"+pid+"/users", "", map[string]string{"external_id": "seeded"}).Status)
	require.NoError(t, srv.Emulator.AddExternalUser(pid, "", "seeded-in-go"))
	tok := srv.Token("connect:users:read")
	list := func(env ...string) []any {
		r := srv.Do("GET", "/v1/connect/"+pid+"/users", tok, nil, env...)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		return r.JSON(t)["data"].([]any)
	}
	assert.Len(t, list("X-PD-Environment", announced), 2, "both, where the SDK looks")
	assert.Empty(t, list(), "an API request without the header means production, where neither is")
}
