package emulator_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

func setRateLimits(t *testing.T, srv *testutil.Server, body string) map[string]any {
	t.Helper()
	resp := srv.Do("PUT", "/_emulator/rate-limits", "", body)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	return resp.JSON(t)
}

// TestPipedreamProfileWindow walks the Connect-token limit (100 per minute
// per external user) across its window's edges.
func TestPipedreamProfileWindow(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	got := setRateLimits(t, srv, `{"profile":"pipedream"}`)
	assert.Equal(t, "pipedream", got["profile"])
	assert.NotEmpty(t, got["rules"])
	windowStart := srv.Now().Truncate(time.Minute)
	reset := windowStart.Add(time.Minute)
	create := func(user string) testutil.Response {
		return srv.Do("POST", "/v1/connect/"+srv.Credentials.ProjectID+"/tokens", tok, map[string]any{"external_user_id": user}, "X-PD-Environment", "development")
	}
	for i := range 100 {
		require.Equal(t, http.StatusOK, create("alice").Status, "request %d of 100", i+1)
	}
	resp := create("alice")
	require.Equal(t, http.StatusTooManyRequests, resp.Status, "the 101st in the window")
	assert.JSONEq(t, `{"error":"Throttled"}`, string(resp.Body))
	assert.Equal(t, "100", resp.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, strconv.FormatInt(reset.Unix(), 10), resp.Header.Get("X-RateLimit-Reset"))
	assert.Equal(t, strconv.Itoa(int(reset.Sub(srv.Now())/time.Second)), resp.Header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, create("bob").Status, "counted per external user")

	srv.SetNow(reset.Add(-time.Second))
	resp = create("alice")
	assert.Equal(t, http.StatusTooManyRequests, resp.Status, "the window's last second")
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	srv.SetNow(reset)
	assert.Equal(t, http.StatusOK, create("alice").Status, "the next window's first second")
	srv.RequireCalls(t, emulator.RequestFilter{Route: "tokens.create", Status: 429}, 2)

	status := srv.Emulator.RateLimits()
	require.NotEmpty(t, status.Counters)
	assert.Equal(t, "connect-tokens", status.Counters[0].Rule)
	assert.Equal(t, 1, status.Counters[0].Count, "the new window counts afresh")
}

func TestCustomRuleOnTheTokenEndpoint(t *testing.T) {
	srv := testutil.NewServer(t)
	setRateLimits(t, srv, `{"rules":[{"name":"token-ip","route":"oauthTokens.create","key":"ip","limit":2,"window_seconds":60}]}`)
	issue := func() testutil.Response {
		return srv.Do("POST", "/v1/oauth/token", "", tokenBody(srv.Credentials.ClientID, srv.Credentials.ClientSecret))
	}
	assert.Equal(t, 200, issue().Status)
	assert.Equal(t, 200, issue().Status)
	resp := issue()
	assert.Equal(t, http.StatusTooManyRequests, resp.Status)
	assert.Empty(t, resp.Body, "the load balancer's 429 has no body")
	assert.Equal(t, "awselb/2.0", resp.Header.Get("Server"))
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/health", "", nil).Status)

	limits := srv.Do("GET", "/_emulator/rate-limits", "", nil).JSON(t)
	assert.Equal(t, "custom", limits["profile"])
	counter := limits["counters"].([]any)[0].(map[string]any)
	assert.Equal(t, "token-ip", counter["rule"])
	assert.EqualValues(t, 2, counter["count"], "a throttled request is not counted")
	assert.EqualValues(t, 0, counter["remaining"])

	setRateLimits(t, srv, `{"profile":"off"}`)
	assert.Equal(t, 200, issue().Status)
}

func TestControlPlaneIsNeverLimited(t *testing.T) {
	srv := testutil.NewServer(t)
	setRateLimits(t, srv, `{"rules":[{"path":"**","key":"ip","limit":1,"window_seconds":3600}]}`)
	for range 3 {
		require.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/rate-limits", "", nil).Status)
	}
	assert.Equal(t, 200, srv.Do("GET", "/.well-known/jwks.json", "", nil).Status)
	assert.Equal(t, 429, srv.Do("GET", "/.well-known/jwks.json", "", nil).Status)
}

func TestCustomRateLimitToken(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	resp := srv.Do("POST", "/v1/connect/rate_limits", tok, map[string]any{"window_size_seconds": 10, "requests_per_window": 2})
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	limit := resp.JSON(t)["token"].(string)
	assert.Len(t, limit, 50)

	list := func(h ...string) int { return srv.Do("GET", "/v1/connect/projects", tok, nil, h...).Status }
	assert.Equal(t, 200, list("x-pd-rate-limit", limit))
	assert.Equal(t, 200, list("x-pd-rate-limit", limit))
	assert.Equal(t, 429, list("x-pd-rate-limit", limit))
	assert.Equal(t, 200, list(), "requests without the header are not limited")
	assert.Equal(t, 400, list("x-pd-rate-limit", "not-a-limit"))
	srv.Advance(10 * time.Second)
	assert.Equal(t, 200, list("x-pd-rate-limit", limit))

	for _, body := range []string{`{}`, `{"window_size_seconds":0,"requests_per_window":1}`, `{"window_size_seconds":10}`,
		`{"window_size_seconds":10,"requests_per_window":0}`, `{"window_size_seconds":9223372036854775807,"requests_per_window":1}`,
		`{"window_size_seconds":"10","requests_per_window":1}`} {
		resp := srv.Do("POST", "/v1/connect/rate_limits", tok, body)
		assert.Equal(t, http.StatusBadRequest, resp.Status, "%s: %s", body, resp.Body)
	}
	narrow := srv.Token("connect:projects:read")
	assert.Equal(t, http.StatusForbidden, srv.Do("POST", "/v1/connect/rate_limits", narrow, map[string]any{"window_size_seconds": 10, "requests_per_window": 2}).Status)
	assert.Equal(t, http.StatusOK, srv.Do("POST", "/v1/connect/rate_limits", srv.Token("connect:*"), map[string]any{"window_size_seconds": 10, "requests_per_window": 2}).Status)

	srv.Reset()
	tok = srv.Token()
	assert.Equal(t, 400, srv.Do("GET", "/v1/connect/projects", tok, nil, "x-pd-rate-limit", limit).Status, "Reset drops custom limits")
}

func TestRateLimitValidation(t *testing.T) {
	srv := testutil.NewServer(t)
	for _, body := range []string{
		`{}`,
		`{"profile":"strict"}`,
		`{"rules":[{"route":"x","key":"planet","limit":1,"window_seconds":1}]}`,
		`{"rules":[{"route":"x","key":"ip","limit":0,"window_seconds":1}]}`,
		`{"rules":[{"route":"x","key":"ip","limit":1,"window_seconds":0}]}`,
		`{"rules":[{"route":"x","key":"ip","limit":1,"window_seconds":9223372036854775807}]}`,
		`{"rules":[{"key":"ip","limit":1,"window_seconds":1}]}`,
		`{"rules":[{"route":"a||b","key":"ip","limit":1,"window_seconds":1}]}`,
		`{"rules":[],"extra":1}`,
	} {
		resp := srv.Do("PUT", "/_emulator/rate-limits", "", body)
		assert.Equal(t, http.StatusBadRequest, resp.Status, "%s: %s", body, resp.Body)
		assert.Equal(t, "invalid_request", resp.JSON(t)["error"], body)
	}
	assert.Equal(t, "off", srv.Emulator.RateLimits().Profile, "a refused configuration changes nothing")
}

func TestRateLimitsOptionAndReset(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithRateLimits(emulator.RateLimitConfig{Profile: "pipedream"}))
	assert.Equal(t, "pipedream", srv.Emulator.RateLimits().Profile)
	require.NoError(t, srv.Emulator.SetRateLimits(emulator.RateLimitConfig{Profile: "off"}))
	srv.Reset()
	assert.Equal(t, "pipedream", srv.Emulator.RateLimits().Profile, "Reset restores the configured limits")
	rules, err := emulator.RateLimitProfile("pipedream")
	require.NoError(t, err)
	assert.Len(t, rules, 5)
	_, err = emulator.New(emulator.WithRateLimits(emulator.RateLimitConfig{Profile: "bogus"}))
	require.Error(t, err)
	assert.Contains(t, srv.Emulator.Capabilities(), "rate_limits")
}

func TestCustomRateLimitWholeNumbers(t *testing.T) {
	srv := testutil.NewServer(t)
	resp := srv.Do("POST", "/v1/connect/rate_limits", srv.Token(), `{"window_size_seconds":1.5,"requests_per_window":2}`)
	require.Equal(t, http.StatusBadRequest, resp.Status)
	assert.Equal(t, `field "window_size_seconds" must be a whole number`, resp.JSON(t)["error_description"])
}
