package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

func addFault(t *testing.T, srv *testutil.Server, spec string) map[string]any {
	t.Helper()
	resp := srv.Do("POST", "/_emulator/faults", "", spec)
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	return resp.JSON(t)
}

func TestFaultThrottledPreset(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	f := addFault(t, srv, `{"match":{"route":"projects.list"},"action":{"preset":"throttled","retry_after_seconds":2}}`)
	assert.Equal(t, "flt_1", f["id"])
	assert.EqualValues(t, 1, f["times"], "times defaults to 1")
	assert.EqualValues(t, 1, f["remaining"])
	assert.EqualValues(t, 0, f["hits"])

	resp := srv.Do("GET", "/v1/connect/projects", tok, nil)
	require.Equal(t, http.StatusTooManyRequests, resp.Status)
	assert.JSONEq(t, `{"error":"Throttled"}`, string(resp.Body))
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	assert.Equal(t, strconv.FormatInt(srv.Now().Add(2*time.Second).Unix(), 10), resp.Header.Get("X-RateLimit-Reset"))
	assert.NotEmpty(t, resp.Header.Get("X-RateLimit-Limit"))

	require.Equal(t, http.StatusOK, srv.Do("GET", "/v1/connect/projects", tok, nil).Status, "a fault fires once by default")
	srv.RequireCalls(t, emulator.RequestFilter{Route: "projects.list"}, 2)
	srv.RequireCalls(t, emulator.RequestFilter{Route: "projects.list", FaultsOnly: true, Status: 429}, 1)
	got := srv.Requests(emulator.RequestFilter{FaultsOnly: true})
	assert.Equal(t, "flt_1", got[0].FaultID)
	assert.Equal(t, "Throttled", got[0].Error, "the journal names the error of the fault's body")

	listed := srv.Do("GET", "/_emulator/faults", "", nil).JSON(t)["data"].([]any)[0].(map[string]any)
	assert.EqualValues(t, 1, listed["hits"])
	assert.EqualValues(t, 0, listed["remaining"])
}

func TestFaultPresets(t *testing.T) {
	for _, tc := range []struct {
		preset string
		status int
		body   string
	}{
		{"token_throttled", 429, ""},
		{"unavailable", 503, `{"error":"Service Unavailable"}`},
		{"internal_error", 500, `{"error":"Internal Server Error"}`},
		{"gateway_timeout", 504, `{"error":"Gateway Timeout"}`},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			srv := testutil.NewServer(t)
			addFault(t, srv, `{"match":{"route":"oauthTokens.create"},"action":{"preset":"`+tc.preset+`"}}`)
			resp := srv.Do("POST", "/v1/oauth/token", "", tokenBody(srv.Credentials.ClientID, srv.Credentials.ClientSecret))
			assert.Equal(t, tc.status, resp.Status)
			got := srv.Requests(emulator.RequestFilter{FaultsOnly: true})
			require.Len(t, got, 1)
			if tc.body == "" {
				assert.Empty(t, resp.Body)
				assert.Equal(t, "awselb/2.0", resp.Header.Get("Server"))
				assert.Equal(t, "token_throttled", got[0].Error, "an empty body: the preset names the error")
			} else {
				assert.JSONEq(t, tc.body, string(resp.Body))
			}
		})
	}
}

func TestFaultTimesAndAfter(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	addFault(t, srv, `{"match":{"method":"GET","path":"/v1/connect/projects"},"action":{"status":503},"times":2,"after":1}`)
	var got []int
	for range 5 {
		got = append(got, srv.Do("GET", "/v1/connect/projects", tok, nil).Status)
	}
	assert.Equal(t, []int{200, 503, 503, 200, 200}, got)
	f, err := srv.Emulator.Fault("flt_1")
	require.NoError(t, err)
	assert.Equal(t, 2, f.Hits)
	assert.Equal(t, 3, f.Matched, "an exhausted fault stops counting")

	addFault(t, srv, `{"match":{"route":"projects.list"},"action":{"status":502,"body":"bad gateway","headers":{"X-Trace":"abc"}},"times":0}`)
	for range 3 {
		resp := srv.Do("GET", "/v1/connect/projects", tok, nil)
		assert.Equal(t, 502, resp.Status, "times 0 fires until deleted")
		assert.Equal(t, "bad gateway", string(resp.Body))
		assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Equal(t, "abc", resp.Header.Get("X-Trace"))
	}
	require.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/faults/flt_2", "", nil).Status)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/projects", tok, nil).Status)
	assert.Equal(t, http.StatusNotFound, srv.Do("DELETE", "/_emulator/faults/flt_2", "", nil).Status)
	assert.Equal(t, http.StatusNotFound, srv.Do("GET", "/_emulator/faults/flt_9", "", nil).Status)
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/faults/flt_1", "", nil).Status)
	require.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/faults", "", nil).Status)
	assert.Empty(t, srv.Emulator.Faults())
}

func TestFaultMatchesCaller(t *testing.T) {
	srv := testutil.NewServer(t)
	other := srv.CreateClient("other")
	addFault(t, srv, `{"match":{"route":"oauthTokens.create","client_id":"`+other.ClientID+`"},"action":{"preset":"token_throttled"},"times":0}`)
	addFault(t, srv, `{"match":{"route":"tokens.create","external_user_id":"bob"},"action":{"status":500},"times":0}`)

	assert.Equal(t, 200, srv.Do("POST", "/v1/oauth/token", "", tokenBody(srv.Credentials.ClientID, srv.Credentials.ClientSecret)).Status)
	assert.Equal(t, 429, srv.Do("POST", "/v1/oauth/token", "", tokenBody(other.ClientID, other.ClientSecret)).Status)
	assert.Equal(t, 429, srv.Do("POST", "/v1/oauth/token", "", tokenBody(other.ClientID, "wrong")).Status, "the client a request names, right secret or not")

	tok := srv.Token()
	tokens := "/v1/connect/" + srv.Credentials.ProjectID + "/tokens"
	assert.Equal(t, 200, srv.Do("POST", tokens, tok, map[string]any{"external_user_id": "alice"}, "X-PD-Environment", "development").Status)
	assert.Equal(t, 500, srv.Do("POST", tokens, tok, map[string]any{"external_user_id": "bob"}, "X-PD-Environment", "development").Status)
	srv.RequireCalls(t, emulator.RequestFilter{ExternalUserID: "bob", Status: 500}, 1)
}

func TestFaultBeforeAuthentication(t *testing.T) {
	srv := testutil.NewServer(t)
	addFault(t, srv, `{"match":{"path":"/v1/**"},"action":{"preset":"unavailable"},"times":0}`)
	assert.Equal(t, 503, srv.Do("GET", "/v1/connect/projects", "not-a-token", nil).Status, "an outage answers before any check")
	assert.Equal(t, 503, srv.Do("GET", "/v1/no/such/route", "", nil).Status, "unrouted paths too")
	assert.Equal(t, 200, srv.Do("GET", "/_emulator/health", "", nil).Status)
}

func TestFaultsNeverReachTheControlPlane(t *testing.T) {
	srv := testutil.NewServer(t)
	addFault(t, srv, `{"match":{"path":"**"},"action":{"drop":true},"times":0}`)
	addFault(t, srv, `{"match":{},"action":{"status":500},"times":0}`)
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/faults", "", nil).Status)
	assert.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/faults", "", nil).Status)
}

func TestFaultDrop(t *testing.T) {
	srv := testutil.NewServer(t)
	addFault(t, srv, `{"match":{"route":"jwks"},"action":{"drop":true}}`)
	resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the connection closes with no answer")
	got := srv.Requests(emulator.RequestFilter{Route: "jwks"})
	require.Len(t, got, 1)
	assert.Equal(t, 0, got[0].Status)
	assert.Equal(t, "connection_dropped", got[0].Error)
	assert.Equal(t, "flt_1", got[0].FaultID)
}

func TestFaultDelay(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	addFault(t, srv, `{"match":{"route":"projects.list"},"action":{"delay_ms":1},"times":2}`)
	addFault(t, srv, `{"match":{"route":"projects.list"},"action":{"delay_ms":1,"status":503}}`)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/projects", tok, nil).Status, "a delay alone gives the real answer")
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/projects", tok, nil).Status)
	assert.Equal(t, 503, srv.Do("GET", "/v1/connect/projects", tok, nil).Status, "a delay before a fault's answer")
	srv.RequireCalls(t, emulator.RequestFilter{FaultsOnly: true}, 3)
}

// A client that goes away during a delay ends it: the request is recorded
// as closed, and nothing waits out the delay. Run in process, with the
// request's context already done, so nothing depends on timing.
func TestFaultDelayEndsWhenTheClientLeaves(t *testing.T) {
	emu := emulator.MustNew()
	_, err := emu.AddFault(emulator.FaultSpec{Match: emulator.FaultMatch{Route: "jwks"}, Action: emulator.FaultAction{DelayMS: 300_000}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/.well-known/jwks.json", nil).WithContext(ctx)
	func() {
		defer func() { assert.Equal(t, http.ErrAbortHandler, recover()) }()
		emu.ServeHTTP(httptest.NewRecorder(), req)
	}()
	got, err := emu.Requests(emulator.RequestFilter{})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "client_closed", got[0].Error)
}

func TestFaultProbabilityIsReproducible(t *testing.T) {
	pattern := func(seed uint64) string {
		srv := testutil.NewServer(t, emulator.WithFaultSeed(seed))
		addFault(t, srv, `{"match":{"route":"jwks"},"action":{"status":503},"times":0,"probability":0.5}`)
		var b strings.Builder
		for range 40 {
			fmt.Fprint(&b, srv.Do("GET", "/.well-known/jwks.json", "", nil).Status/100)
		}
		return b.String()
	}
	a := pattern(7)
	assert.Equal(t, a, pattern(7), "the same seed fires the same requests")
	assert.NotEqual(t, a, pattern(8))
	assert.Contains(t, a, "2")
	assert.Contains(t, a, "5")

	srv := testutil.NewServer(t)
	f := addFault(t, srv, `{"match":{},"action":{"status":503},"probability":0.25,"seed":42}`)
	assert.EqualValues(t, 42, f["seed"])
}

func TestFaultValidation(t *testing.T) {
	srv := testutil.NewServer(t)
	for _, tc := range []struct{ body, field string }{
		{`{"match":{},"action":{}}`, "action"},
		{`{"match":{},"action":{"status":199}}`, "action.status"},
		{`{"match":{},"action":{"status":600}}`, "action.status"},
		{`{"match":{},"action":{"preset":"slow"}}`, "action.preset"},
		{`{"match":{},"action":{"drop":true,"status":500}}`, "action.drop"},
		{`{"match":{"route":"a||b"},"action":{"status":500}}`, "match.route"},
		{`{"match":{},"action":{"status":500},"probability":1.5}`, "probability"},
		{`{"match":{},"action":{"status":500},"times":-1}`, "times"},
		{`{"match":{},"action":{"status":500},"after":-1}`, "after"},
		{`{"match":{},"action":{"delay_ms":300001}}`, "action.delay_ms"},
		{`{"match":{},"action":{"status":500},"bogus":1}`, "bogus"},
		{`{"match":{},"action":{"status":500,"body":{"a":}}}`, ""},
		{`not json`, ""},
	} {
		resp := srv.Do("POST", "/_emulator/faults", "", tc.body)
		require.Equal(t, http.StatusBadRequest, resp.Status, "%s: %s", tc.body, resp.Body)
		body := resp.JSON(t)
		assert.Equal(t, "invalid_request", body["error"])
		assert.Contains(t, body["error_description"], tc.field, tc.body)
	}
	assert.Empty(t, srv.Emulator.Faults())
}

func TestResetClearsFaults(t *testing.T) {
	srv := testutil.NewServer(t)
	addFault(t, srv, `{"match":{},"action":{"status":500},"times":0}`)
	srv.Reset()
	assert.Empty(t, srv.Emulator.Faults())
	f := addFault(t, srv, `{"match":{},"action":{"status":500}}`)
	assert.Equal(t, "flt_1", f["id"], "ids restart with the plan")
}

func TestFaultGoAPI(t *testing.T) {
	srv := testutil.NewServer(t)
	f, err := srv.Emulator.AddFault(emulator.FaultSpec{
		Match:  emulator.FaultMatch{Route: "jwks"},
		Action: emulator.FaultAction{Preset: emulator.FaultUnavailable},
	})
	require.NoError(t, err)
	resp, err := http.Get(srv.URL + "/.well-known/jwks.json")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode)
	assert.True(t, json.Valid(body))
	require.NoError(t, srv.Emulator.DeleteFault(f.ID))
	require.Error(t, srv.Emulator.DeleteFault(f.ID))
	_, err = srv.Emulator.AddFault(emulator.FaultSpec{})
	require.Error(t, err)
	srv.Emulator.ClearFaults()
}
