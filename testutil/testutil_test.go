package testutil_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/testutil"
)

func TestNewServerAndHelpers(t *testing.T) {
	srv := testutil.NewServer(t)
	assert.Equal(t, clock.DefaultStart, srv.Now(), "a fixed fake clock")
	assert.Equal(t, srv.Now(), srv.Now(), "that stands still")

	env := strings.Join(srv.Env(), "\n")
	for _, want := range []string{"PIPEDREAM_BASE_URL=" + srv.URL, "PIPEDREAM_CLIENT_ID=" + srv.Credentials.ClientID,
		"PIPEDREAM_CLIENT_SECRET=" + srv.Credentials.ClientSecret, "PIPEDREAM_PROJECT_ID=" + srv.Credentials.ProjectID,
		"PIPEDREAM_PROJECT_ENVIRONMENT=development"} {
		assert.Contains(t, env, want)
	}

	ci := srv.CreateClient("ci", "connect:users:read")
	tok := srv.TokenFor(ci)
	assert.Equal(t, 403, srv.Do("GET", "/v1/connect/projects", tok, nil).Status)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil).Status)

	srv.Advance(time.Hour)
	assert.Equal(t, 401, srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil).Status)
	srv.SetNow(clock.DefaultStart)
	assert.Equal(t, 200, srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil).Status)

	rotated := srv.RotateSecret(ci.ClientID)
	assert.NotEqual(t, ci.ClientSecret, rotated.ClientSecret)
	srv.DeleteClient(ci.ClientID)
	assert.Equal(t, 401, srv.Do("GET", "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil).Status)

	r := srv.Do("POST", "/v1/connect/projects", srv.Token(), map[string]string{"name": "x"}, "X-PD-Environment", "production")
	require.Equal(t, 201, r.Status)
	assert.Equal(t, "x", r.JSON(t)["name"])
	srv.Reset()
	assert.Len(t, srv.Do("GET", "/v1/connect/projects", srv.Token(), nil).JSON(t)["data"], 1)
}

// fatalRecorder captures a helper's failure instead of failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Helper()                           {}
func (f *fatalRecorder) Fatalf(format string, args ...any) { f.msg = format; panic(f) }

func TestHelpersFailTheTest(t *testing.T) {
	srv := testutil.NewServer(t)
	rec := &fatalRecorder{TB: t}
	bad := *srv
	testutil.Rebind(&bad, rec)
	func() {
		defer func() { assert.Same(t, rec, recover()) }()
		bad.DeleteClient("oc_missing")
	}()
	assert.Contains(t, rec.msg, "delete client")
}

func TestConnectHelpers(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.ConnectAccount("alice", "slack", nil)
	assert.Regexp(t, `^apn_`, acc)
	ctok := srv.ConnectToken("alice", "connect:accounts:read")
	r := srv.Do("GET", "/v1/connect/accounts/"+acc, ctok, nil)
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, acc, r.JSON(t)["id"])

	srv.AllowProxyHosts("api.example.com")
	assert.Equal(t, []string{"api.example.com"}, srv.Emulator.ProxyAllowedHosts())
	assert.Equal(t, srv.URL+"/_workflows/en123", srv.WorkflowURL("en123"))
	r = srv.Do("POST", strings.TrimPrefix(srv.WorkflowURL("en123"), srv.URL), "", map[string]int{"n": 1})
	assert.Equal(t, 200, r.Status, string(r.Body))
}

// TestDoDrivesTheControlPlane: Do sends Content-Type: application/json on
// control-plane writes even without a body, which the control plane
// requires; a header the caller gives wins.
func TestDoDrivesTheControlPlane(t *testing.T) {
	srv := testutil.NewServer(t)
	extra := srv.CreateClient("extra")
	tests := []struct {
		method, path string
		headers      []string
		status       int
	}{
		{"POST", "/_emulator/oauth-clients/" + extra.ClientID + "/rotate-secret", nil, 200},
		{"DELETE", "/_emulator/oauth-clients/" + extra.ClientID, []string{"Content-Type", "text/plain"}, 415},
		{"DELETE", "/_emulator/oauth-clients/" + extra.ClientID, nil, 204},
		{"POST", "/_emulator/reset", nil, 200},
		{"GET", "/_emulator/clock", nil, 200},
	}
	for _, tc := range tests {
		r := srv.Do(tc.method, tc.path, "", nil, tc.headers...)
		assert.Equal(t, tc.status, r.Status, "%s %s %v: %s", tc.method, tc.path, tc.headers, r.Body)
	}
}

// formattingRecorder is a testing.TB whose Fatalf keeps the whole message.
type formattingRecorder struct {
	testing.TB
	msg string
}

func (f *formattingRecorder) Helper() {}
func (f *formattingRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f)
}

func TestRequireCalls(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token()
	srv.Do("GET", "/v1/connect/projects", tok, nil)
	srv.Do("GET", "/v1/connect/projects", "wrong", nil)
	srv.Do("GET", "/_emulator/clock", "", nil)

	srv.RequireCalls(t, emulator.RequestFilter{Route: "projects.list"}, 2)
	srv.RequireCalls(t, emulator.RequestFilter{Route: "projects.list", Status: 401}, 1)
	srv.RequireCalls(t, emulator.RequestFilter{Route: "users.*"}, 0)
	got := srv.Requests(emulator.RequestFilter{Method: "GET"})
	require.Len(t, got, 3)
	assert.Equal(t, "clock.get", got[0].Route, "newest first")

	rec := &formattingRecorder{TB: t}
	func() {
		defer func() { assert.Same(t, rec, recover()) }()
		srv.RequireCalls(rec, emulator.RequestFilter{Route: "projects.list", Status: 500, ClientID: srv.Credentials.ClientID}, 1)
	}()
	assert.Contains(t, rec.msg, "want 1 request(s) matching {route=projects.list status=500 client_id="+srv.Credentials.ClientID+"}, found 0")
	lines := strings.Split(rec.msg, "\n")
	require.GreaterOrEqual(t, len(lines), 4)
	assert.Contains(t, lines[2], "GET /v1/connect/projects", "the closest entry first")
	assert.Contains(t, lines[2], "(misses status)", "the one authenticated call misses only the status")
	assert.Contains(t, lines[3], "(misses status, client_id)")
	assert.Contains(t, rec.msg, "(misses route, status, client_id)")

	empty := testutil.NewServer(t)
	rec = &formattingRecorder{TB: t}
	func() {
		defer func() { assert.Same(t, rec, recover()) }()
		empty.RequireCalls(rec, emulator.RequestFilter{}, 1)
	}()
	assert.Contains(t, rec.msg, "the journal is empty")
}
