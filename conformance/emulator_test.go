package conformance_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// TestConformance runs the whole kit against an in-process emulator, each
// scenario a subtest: go test ./conformance -run 'TestConformance/<name>'.
func TestConformance(t *testing.T) {
	srv := testutil.NewServer(t)
	conformance.RunTests(t, configFor(srv))
}

// TestConformanceTokenMode runs the whole kit again against an emulator
// whose control plane requires a token, as pdemu serve's does off
// loopback: given the token, every scenario holds there too.
func TestConformanceTokenMode(t *testing.T) {
	const token = "conformance-control-token"
	srv := testutil.NewServer(t, emulator.WithControlToken(token))
	cfg := configFor(srv)
	cfg.ControlToken = token
	conformance.RunTests(t, cfg)
}

// TestConformanceWithoutTheControlToken: without the token the kit stops
// at once and says what is missing, rather than skipping every
// @emulator-only scenario as if the target had no control plane.
func TestConformanceWithoutTheControlToken(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithControlToken("the-right-token"))
	for _, token := range []string{"", "a-wrong-token"} {
		cfg := configFor(srv)
		cfg.ControlToken = token
		var out bytes.Buffer
		_, err := conformance.Run(t.Context(), conformance.Options{Config: cfg, Output: &out})
		require.Error(t, err, "token %q", token)
		assert.True(t, errors.Is(err, conformance.ErrControlPlaneRefused), "%v", err)
		assert.Contains(t, err.Error(), conformance.EnvControlToken)
		assert.NotContains(t, err.Error(), "the-right-token")
		assert.Empty(t, out.String(), "no scenario ran")
	}
	// A name the control plane does not answer (as through a proxy that
	// passes its own Host on) is said so too.
	cfg := configFor(testutil.NewServer(t))
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Host = "pdemu.proxy.example"
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, err := conformance.Run(t.Context(), conformance.Options{Config: cfg, Output: &bytes.Buffer{}})
	require.ErrorIs(t, err, conformance.ErrControlPlaneRefused)
	assert.Contains(t, err.Error(), "--advertise-url")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func configFor(srv *testutil.Server) conformance.Config {
	return conformance.Config{
		BaseURL:   srv.URL,
		Client:    conformance.Credentials{ClientID: srv.Credentials.ClientID, ClientSecret: srv.Credentials.ClientSecret},
		ProjectID: srv.Credentials.ProjectID,
	}
}

// TestScenariosThatMoveTheClock: moving the clock every scenario shares
// takes a @serial scenario, and the clock is back where it stood after it
// (a test's clock stands still until moved, so exactly there).
func TestScenariosThatMoveTheClock(t *testing.T) {
	srv := testutil.NewServer(t)
	start := srv.Now()
	fsys := fstest.MapFS{"clock.feature": {Data: []byte(`Feature: Clock
  @serial
  Scenario: A serial scenario moves the clock
    Spec: test
    Given the emulator clock stands at a whole second
    When the emulator clock advances by 3600 seconds
    Then the emulator clock advances by 1 second

  Scenario: Another moves it too
    Spec: test
    When the emulator clock advances by 60 seconds
`)}}
	sum, err := conformance.Run(t.Context(), conformance.Options{Config: configFor(srv), FS: fsys, Output: &bytes.Buffer{}})
	require.NoError(t, err)
	require.Len(t, sum.Results, 2)
	byName := map[string]conformance.Result{}
	for _, r := range sum.Results {
		byName[r.Scenario.Name] = r
	}
	assert.Equal(t, conformance.Passed, byName["A serial scenario moves the clock"].Status)
	other := byName["Another moves it too"]
	assert.Equal(t, conformance.Failed, other.Status)
	assert.Contains(t, other.Reason, "tag the scenario @serial")
	assert.True(t, srv.Now().Equal(start), "the clock is back at %s, not %s", start, srv.Now())
}

// failingDeletes answers 500, without reaching the target, to every DELETE
// of an OAuth client: a target whose cleanup fails.
func failingDeletes() *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/_emulator/oauth-clients/") {
			return &http.Response{StatusCode: http.StatusInternalServerError, Request: r,
				Header: http.Header{"Content-Type": {"application/json"}},
				Body:   io.NopCloser(strings.NewReader(`{"error":"internal","error_description":"the disk is full"}`))}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
}

// TestACleanupThatFailsIsReported: a scenario whose cleanup fails keeps
// its verdict, and the run reports, apart, the scenario and what it left
// behind with the server's answer; the run does not pass.
func TestACleanupThatFailsIsReported(t *testing.T) {
	srv := testutil.NewServer(t)
	cfg := configFor(srv)
	cfg.HTTPClient = failingDeletes()
	fsys := fstest.MapFS{"leftover.feature": {Data: []byte(`Feature: Leftovers
  @emulator-only
  Scenario: A client is made and kept
    Spec: test
    Given I have created an OAuth client named "leftover ${unique}"
    Then the status is 201
`)}}
	var out bytes.Buffer
	sum, err := conformance.Run(t.Context(), conformance.Options{Config: cfg, FS: fsys, Output: &out})
	require.NoError(t, err)
	require.Len(t, sum.Results, 1)
	r := sum.Results[0]
	assert.Equal(t, conformance.Passed, r.Status, "the verdict on the server stands")
	require.Len(t, r.Cleanup, 1)
	assert.Regexp(t, `^the OAuth client oc_\S+$`, r.Cleanup[0].What)
	assert.Contains(t, r.Cleanup[0].Error, "answered 500")
	assert.Contains(t, r.Cleanup[0].Error, "the disk is full")
	assert.False(t, sum.OK(), "a run that leaves something behind does not pass")
	assert.Equal(t, []conformance.Result{r}, sum.LeftBehind())
	assert.Contains(t, out.String(), "  Cleanup failed    A client is made and kept\n                    left behind the OAuth client oc_")
	assert.Contains(t, out.String(), ", 1 cleanup failures\n")
	list := srv.Do(http.MethodGet, "/_emulator/oauth-clients", "", nil).JSON(t)
	assert.Len(t, list["data"], 2, "the client is indeed still there")
}

// TestSecondClientFromTheConfig: the scenarios that need a second client
// use the configured one when there is one (as against a real server),
// and make none through the control plane.
func TestSecondClientFromTheConfig(t *testing.T) {
	srv := testutil.NewServer(t)
	second := srv.CreateClient("second")
	before := len(srv.Emulator.Clients())
	cfg := configFor(srv)
	cfg.SecondClient = conformance.Credentials{ClientID: second.ClientID, ClientSecret: second.ClientSecret}
	sum, err := conformance.Run(t.Context(), conformance.Options{Config: cfg, Tags: "@requires:second-client", Output: &bytes.Buffer{}})
	require.NoError(t, err)
	require.NotEmpty(t, sum.Results)
	for _, r := range sum.Results {
		assert.Equal(t, conformance.Passed, r.Status, "%s: %s", r.Scenario.Name, r.Reason)
	}
	assert.Len(t, srv.Emulator.Clients(), before, "no client was made")
}
