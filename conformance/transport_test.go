package conformance

import (
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorded is what a test server saw of one request.
type recorded struct{ method, path, contentType, authorization string }

// recordingServer answers 204 to everything and remembers what it saw.
func recordingServer(t *testing.T) (*httptest.Server, func() []recorded) {
	var mu sync.Mutex
	var seen []recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Authorization")})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), seen...)
	}
}

// TestKitSendsJSONTypeOnControlWrites: every control-plane write the kit
// sends carries Content-Type: application/json, bodyless ones too, through
// whichever helper sends it; a type a scenario chose is kept, and nothing
// else is touched.
func TestKitSendsJSONTypeOnControlWrites(t *testing.T) {
	srv, seen := recordingServer(t)
	caller := &http.Client{}
	cfg, err := Config{BaseURL: srv.URL + "/", Client: Credentials{ClientID: "c", ClientSecret: "s"}, ProjectID: "proj_x", HTTPClient: caller}.withDefaults()
	require.NoError(t, err)
	assert.Nil(t, caller.Transport, "the caller's client is left as it was")
	w := newWorld(cfg, Capabilities{"clock"}, Scenario{})
	w.token = "scenario-token"
	ctx := t.Context()

	require.NoError(t, w.do(ctx, http.MethodPost, "/_emulator/oauth-clients/oc_1/rotate-secret", "", ""))
	require.NoError(t, w.do(ctx, http.MethodDelete, "/_emulator/oauth-clients/oc_1", "", ""))
	require.NoError(t, w.do(ctx, http.MethodPost, "/_emulator/reset", "text/plain", ""))
	require.NoError(t, w.do(ctx, http.MethodGet, "/_emulator/clock", "", ""))
	require.NoError(t, w.do(ctx, http.MethodPost, "/v1/connect/projects", "", ""))
	_, err = w.control(ctx, http.MethodDelete, "/_emulator/oauth-clients/oc_2", "")
	require.NoError(t, err)
	_, err = w.control(ctx, http.MethodPut, "/_emulator/clock", `{}`)
	require.NoError(t, err)
	_, err = w.send(ctx, request{method: http.MethodDelete, path: "/v1/connect/projects/proj_x", token: "tok"}, aside)
	require.NoError(t, err)

	want := []recorded{
		{"POST", "/_emulator/oauth-clients/oc_1/rotate-secret", "application/json", "Bearer scenario-token"},
		{"DELETE", "/_emulator/oauth-clients/oc_1", "application/json", "Bearer scenario-token"},
		{"POST", "/_emulator/reset", "text/plain", "Bearer scenario-token"},
		{"GET", "/_emulator/clock", "", "Bearer scenario-token"},
		{"POST", "/v1/connect/projects", "", "Bearer scenario-token"},
		{"DELETE", "/_emulator/oauth-clients/oc_2", "application/json", ""},
		{"PUT", "/_emulator/clock", "application/json", ""},
		{"DELETE", "/v1/connect/projects/proj_x", "", "Bearer tok"},
	}
	assert.Equal(t, want, seen())

	// Another host is not the target's control plane.
	other, otherSeen := recordingServer(t)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, other.URL+"/_emulator/reset", nil)
	require.NoError(t, err)
	resp, err := cfg.HTTPClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Len(t, otherSeen(), 1)
	assert.Empty(t, otherSeen()[0].contentType)
}

// TestKitSendsTheControlToken: with a control token, every request to the
// target's control plane carries it as the bearer, in place of the
// scenario's; no other request does, and no other host sees it.
func TestKitSendsTheControlToken(t *testing.T) {
	srv, seen := recordingServer(t)
	t.Setenv(EnvBaseURL, srv.URL+"/base")
	t.Setenv(EnvClientID, "c")
	t.Setenv(EnvClientSecret, "s")
	t.Setenv(EnvProjectID, "proj_x")
	t.Setenv(EnvControlToken, "the-control-token")
	cfg, err := FromEnv(os.Getenv).withDefaults()
	require.NoError(t, err)
	assert.Equal(t, "the-control-token", cfg.ControlToken)
	w := newWorld(cfg, Capabilities{"clock"}, Scenario{})
	w.token = "scenario-token"
	ctx := t.Context()

	require.NoError(t, w.do(ctx, http.MethodGet, "/_emulator/clock", "", ""))
	require.NoError(t, w.do(ctx, http.MethodPost, "/_emulator/reset", "", ""))
	require.NoError(t, w.do(ctx, http.MethodGet, "/v1/connect/projects", "", ""))
	require.NoError(t, w.do(ctx, http.MethodGet, "/_emulatorx/clock", "", ""))
	_, err = w.control(ctx, http.MethodDelete, "/_emulator/oauth-clients/oc_2", "")
	require.NoError(t, err)
	_, err = DiscoverCapabilities(ctx, cfg.HTTPClient, cfg.BaseURL)
	require.NoError(t, err)
	assert.Equal(t, []recorded{
		{"GET", "/base/_emulator/clock", "", "Bearer the-control-token"},
		{"POST", "/base/_emulator/reset", "application/json", "Bearer the-control-token"},
		{"GET", "/base/v1/connect/projects", "", "Bearer scenario-token"},
		{"GET", "/base/_emulatorx/clock", "", "Bearer scenario-token"},
		{"DELETE", "/base/_emulator/oauth-clients/oc_2", "application/json", "Bearer the-control-token"},
		{"GET", "/base/_emulator/capabilities", "", "Bearer the-control-token"},
	}, seen())

	// The same path on another host is not the target's control plane.
	other, otherSeen := recordingServer(t)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, other.URL+"/base/_emulator/clock", nil)
	require.NoError(t, err)
	resp, err := cfg.HTTPClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Len(t, otherSeen(), 1)
	assert.Empty(t, otherSeen()[0].authorization, "the token never leaves the target")
}
