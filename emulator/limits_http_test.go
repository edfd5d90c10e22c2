package emulator_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// TestClientListIsPaged: the control plane's client list pages as the
// API's lists do, so a page costs the same at ten clients as at ten
// thousand, and walking it by end_cursor sees each client once.
func TestClientListIsPaged(t *testing.T) {
	srv := testutil.NewServer(t)
	want := []string{srv.Credentials.ClientID}
	for i := range 24 {
		want = append(want, srv.CreateClient(fmt.Sprint("c", i)).ClientID)
	}

	first := srv.Do("GET", "/_emulator/oauth-clients", "", nil)
	require.Equal(t, 200, first.Status, string(first.Body))
	body := first.JSON(t)
	assert.Len(t, body["data"], 10, "the default page is 10, as on the API")
	info := body["page_info"].(map[string]any)
	assert.Equal(t, 10.0, info["count"])
	assert.Equal(t, 25.0, info["total_count"])

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "the walk must end")
		r := srv.Do("GET", "/_emulator/oauth-clients?limit=7&after="+url.QueryEscape(after), "", nil)
		require.Equal(t, 200, r.Status, string(r.Body))
		b := r.JSON(t)
		for _, c := range b["data"].([]any) {
			got = append(got, c.(map[string]any)["client_id"].(string))
			assert.NotContains(t, c, "client_secret")
		}
		end, _ := b["page_info"].(map[string]any)["end_cursor"].(string)
		if end == "" {
			break
		}
		after = end
	}
	assert.Equal(t, want, got, "oldest first, each client once")

	for _, bad := range []string{"?limit=0", "?limit=101", "?after=%25%25", "?after=" + url.QueryEscape("azAz")} {
		r := srv.Do("GET", "/_emulator/oauth-clients"+bad, "", nil)
		assert.Equal(t, 400, r.Status, bad)
		assert.Equal(t, "invalid_request", r.JSON(t)["error"], bad)
	}
}

// TestLimitsOverHTTP: past a cap, creation answers 403 limit_exceeded
// naming the limit, and what is stored stays as it was.
func TestLimitsOverHTTP(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithLimits(emulator.Limits{"external-users": 2, "oauth-clients": 2}))
	pid := srv.Credentials.ProjectID
	for _, u := range []string{"a", "b"} {
		r := srv.Do("POST", "/_emulator/projects/"+pid+"/users", "", map[string]string{"external_id": u, "environment": "development"})
		require.Equal(t, 201, r.Status, string(r.Body))
	}
	refused := srv.Do("POST", "/_emulator/projects/"+pid+"/users", "", map[string]string{"external_id": "c", "environment": "development"})
	require.Equal(t, 403, refused.Status, string(refused.Body))
	body := refused.JSON(t)
	assert.Equal(t, "limit_exceeded", body["error"])
	assert.Contains(t, body["error_description"], "at most 2 external users")
	assert.Equal(t, map[string]any{"limit": "external-users", "max": 2.0}, body["details"])

	// The API refuses the same way: a Connect token for a new user would
	// make a third user.
	tok := srv.Token()
	r := srv.Do("POST", "/v1/connect/"+pid+"/tokens", tok, map[string]string{"external_user_id": "c"}, "X-PD-Environment", "development")
	assert.Equal(t, 403, r.Status, string(r.Body))
	assert.Equal(t, "limit_exceeded", r.JSON(t)["error"])
	assert.Empty(t, r.Header.Get("WWW-Authenticate"), "a cap is not an authorization failure")
	// An existing user still gets one.
	r = srv.Do("POST", "/v1/connect/"+pid+"/tokens", tok, map[string]string{"external_user_id": "a"}, "X-PD-Environment", "development")
	assert.Equal(t, 200, r.Status, string(r.Body))

	users := srv.Do("GET", "/v1/connect/"+pid+"/users", tok, nil, "X-PD-Environment", "development")
	require.Equal(t, 200, users.Status)
	assert.Len(t, users.JSON(t)["data"], 2, "the refused user was not made")

	// The seeded client counts: one more, then the cap.
	require.Equal(t, 201, srv.Do("POST", "/_emulator/oauth-clients", "", map[string]string{"name": "second"}).Status)
	r = srv.Do("POST", "/_emulator/oauth-clients", "", map[string]string{"name": "third"})
	assert.Equal(t, 403, r.Status)
	assert.Equal(t, "oauth-clients", r.JSON(t)["details"].(map[string]any)["limit"])

	lim := srv.Do("GET", "/_emulator/limits", "", nil)
	require.Equal(t, 200, lim.Status)
	byName := map[string]map[string]any{}
	for _, l := range lim.JSON(t)["data"].([]any) {
		m := l.(map[string]any)
		byName[m["name"].(string)] = m
	}
	assert.Equal(t, 2.0, byName["external-users"]["max"])
	assert.Equal(t, 2.0, byName["external-users"]["count"])
	assert.Equal(t, 2.0, byName["oauth-clients"]["count"])
	assert.Equal(t, 1.0, byName["connect-tokens"]["count"])
	assert.Equal(t, 200_000.0, byName["accounts"]["max"], "names left out keep their defaults")
	assert.Len(t, byName, len(emulator.LimitTable()))
}

func TestWithLimitsRefusesBadLimits(t *testing.T) {
	for _, l := range []emulator.Limits{{"users": 1}, {"accounts": 0}, {"oauth-clients": -1}} {
		_, err := emulator.New(emulator.WithLimits(l))
		assert.Error(t, err, "%v", l)
	}
}

// TestExpiredConnectTokensLeaveOverHTTP: Connect tokens are held until
// the emulator's clock passes their expiry, then dropped when the clock
// moves (or at the next write), so memory returns to the live set.
func TestExpiredConnectTokensLeaveOverHTTP(t *testing.T) {
	tests := []struct {
		advance float64
		held    float64
	}{
		{59, 100}, // one second before expiry: all held
		{60, 0},   // at expiry: gone
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.advance), func(t *testing.T) {
			srv := testutil.NewServer(t)
			tok := srv.Token()
			for i := range 100 {
				r := srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/tokens", tok,
					map[string]any{"external_user_id": fmt.Sprint("u", i%5), "expires_in": 60})
				require.Equal(t, 200, r.Status, string(r.Body))
			}
			r := srv.Do("POST", "/_emulator/clock/advance", "", map[string]any{"seconds": tc.advance})
			require.Equal(t, 200, r.Status, string(r.Body))
			assert.Equal(t, tc.held, limitCount(t, srv, "connect-tokens"))
		})
	}
}

func limitCount(t *testing.T, srv *testutil.Server, name string) float64 {
	t.Helper()
	r := srv.Do("GET", "/_emulator/limits", "", nil)
	require.Equal(t, 200, r.Status)
	for _, l := range r.JSON(t)["data"].([]any) {
		if m := l.(map[string]any); m["name"] == name {
			return m["count"].(float64)
		}
	}
	t.Fatalf("no limit %q", name)
	return 0
}
