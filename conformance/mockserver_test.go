package conformance_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/features"
)

// mockDir holds the pinned oauth2-mock-server and the script that starts it.
const mockDir = "../interop/mockoauth"

// requireMock returns node's path. It installs the pinned mock if npm can,
// and skips the test when node or the install is missing, unless
// PDEMU_REQUIRE_SDK=1 (CI), where a missing install fails the test instead
// of letting it pass unseen.
func requireMock(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; run `npm ci --prefix interop/mockoauth` (from the repository root) to run the kit against oauth2-mock-server"
		if os.Getenv("PDEMU_REQUIRE_SDK") == "1" {
			t.Fatalf("%s (PDEMU_REQUIRE_SDK=1, so this fails instead of skipping)", msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node (Node.js >= 20.19) is not on PATH")
	}
	installed := filepath.Join(mockDir, "node_modules", "oauth2-mock-server", "package.json")
	if _, err := os.Stat(installed); err != nil {
		installMock(t)
	}
	if _, err := os.Stat(installed); err != nil {
		missing("interop/mockoauth/node_modules/oauth2-mock-server is not installed")
	}
	// Go's test cache does not see what node reads; reading the files here
	// makes a change to the script or the pinned version rerun the test.
	for _, f := range []string{"start.mjs", "package.json", "package-lock.json"} {
		if _, err := os.ReadFile(filepath.Join(mockDir, f)); err != nil {
			t.Fatalf("read interop/mockoauth/%s: %v", f, err)
		}
	}
	return node
}

// installMock runs `npm ci` for the pinned mock when it is missing, as
// interop/sdk_test.go does for the SDK, so that a plain `go test ./...` on
// a fresh machine with Node runs the proof too. The lock file pins every
// version; npm ci never changes it.
func installMock(t *testing.T) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		return // requireMock reports the missing install
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = mockDir
	cmd.WaitDelay = 5 * time.Second
	t.Log("interop/mockoauth/node_modules is missing: running npm ci")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("npm ci failed: %v\n%s", err, out)
	}
}

// syncBuffer collects a process's stderr while the test may read it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startMock starts interop/mockoauth/start.mjs and returns its base URL.
// The server stops when the test ends; should the test binary die first,
// the script sees its standard input close and exits by itself.
func startMock(t *testing.T, node string) string {
	t.Helper()
	cmd := exec.Command(node, "start.mjs", "--exit-on-stdin-close")
	cmd.Dir = mockDir
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // only the first line matters; keep the pipe drained
			}
		}
	}()
	select {
	case line := <-lines:
		url, ok := strings.CutPrefix(line, "listening on ")
		require.True(t, ok, "start.mjs printed %q, want \"listening on URL\"\nstderr:\n%s", line, stderr)
		return url
	case <-exited:
		t.Fatalf("start.mjs exited before listening:\n%s", stderr)
	case <-time.After(15 * time.Second):
		t.Fatalf("start.mjs printed no URL after 15 s:\n%s", stderr)
	}
	return ""
}

// jwtRe matches a signed JWT: none may appear in a report.
var jwtRe = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// TestKitJudgesOAuth2MockServer is the proof that the kit judges servers,
// not just pdemu: it runs every scenario against oauth2-mock-server (npm,
// pinned in interop/mockoauth/package-lock.json), an OAuth server written
// by others, with its token endpoint and key set mounted at Pipedream's
// paths by its own options. That server accepts any client id and secret,
// signs RS256 tokens, serves no Connect API and has no control plane. The
// kit must run to the end, report what the server gets wrong with the
// server's own answer, pass what it gets right, and skip, with the reason,
// what it cannot drive.
func TestKitJudgesOAuth2MockServer(t *testing.T) {
	node := requireMock(t)
	baseURL := startMock(t, node)

	var out bytes.Buffer
	sum, err := conformance.Run(t.Context(), conformance.Options{
		Config: conformance.Config{
			BaseURL:    baseURL,
			Client:     conformance.Credentials{ClientID: "any-client", ClientSecret: "any-secret"},
			ProjectID:  "proj_mock",
			HTTPClient: &http.Client{Timeout: 10 * time.Second},
		},
		Output: &out,
	})
	require.NoError(t, err, "the run must complete:\n%s", out.String())
	report := out.String()
	t.Logf("oauth2-mock-server: %d passed, %d failed, %d skipped (of %d)",
		sum.Count(conformance.Passed), sum.Count(conformance.Failed), sum.Count(conformance.Skipped), len(sum.Results))

	all, err := conformance.Scenarios(features.FS)
	require.NoError(t, err)
	require.Len(t, sum.Results, len(all), "every scenario has an outcome:\n%s", report)
	assert.Contains(t, report, "conformance against a server without a control plane\n")
	assert.Regexp(t, `conformance: \d+ passed, [1-9]\d* failed, \d+ skipped, 0 expected failures, 0 stale expectations, 0 unexpected skips, 0 cleanup failures\n`, report)
	assert.False(t, sum.OK(), "a server that accepts any secret must not pass")

	byName := map[string]conformance.Result{}
	for _, r := range sum.Results {
		byName[r.Scenario.Name] = r
		switch r.Status {
		case conformance.Failed, conformance.Skipped:
			assert.NotEmpty(t, r.Reason, "%s %q says why", r.Status, r.Scenario.Name)
		case conformance.Passed:
		default:
			t.Errorf("%q ended %q without expectations", r.Scenario.Name, r.Status)
		}
		assert.NotRegexp(t, jwtRe, r.Reason, "a report never carries a token (%q)", r.Scenario.Name)
	}
	assert.NotRegexp(t, jwtRe, report, "a report never carries a token")

	// What the mock gets wrong: it hands a token to anyone.
	wrongSecret, ok := byName["A wrong client secret is refused"]
	require.True(t, ok, "the kit has lost the scenario %q", "A wrong client secret is refused")
	assert.Equal(t, conformance.Failed, wrongSecret.Status)
	assert.Contains(t, wrongSecret.Reason, `want error "invalid_client" with status 401`)
	assert.Contains(t, wrongSecret.Reason, "POST /v1/oauth/token answered 200")
	assert.Contains(t, wrongSecret.Reason, `"token_type":"Bearer"`, "the reason shows the server's answer")
	assert.Contains(t, wrongSecret.Reason, "redacted, ", "the token it handed out is redacted")
	assert.Contains(t, report, "  Failed            A wrong client secret is refused\n")

	// What it gets right: the JSON token request (its express app parses
	// JSON bodies on every route) answers 200 with a Bearer JWT, expires_in
	// 3600 and Cache-Control: no-store.
	jsonToken := byName["A client gets a token with the JSON body the SDKs send"]
	assert.Equal(t, conformance.Passed, jsonToken.Status, jsonToken.Reason)
	assert.Positive(t, sum.Count(conformance.Passed))

	// What it can't be driven to do: everything that needs a control plane.
	for _, s := range all {
		r := byName[s.Name]
		switch {
		case s.HasTag("@emulator-only"):
			assert.Equal(t, conformance.Skipped, r.Status, "%q is @emulator-only", s.Name)
			assert.Contains(t, r.Reason, "needs an emulator's control plane", s.Name)
		case hasCapabilityTag(s):
			assert.Equal(t, conformance.Skipped, r.Status, "%q needs a capability", s.Name)
		case s.HasTag("@destructive"):
			assert.Equal(t, conformance.Skipped, r.Status, "%q is @destructive", s.Name)
			assert.Contains(t, r.Reason, "--destructive", s.Name)
		}
		if r.Status == conformance.Skipped {
			assert.Contains(t, report, "  Skipped           "+s.Name+"\n")
		}
	}
}

// hasCapabilityTag reports whether s needs a capability of the control
// plane (the second client is given by the environment instead).
func hasCapabilityTag(s conformance.Scenario) bool {
	for _, tag := range s.Tags {
		if strings.HasPrefix(tag, "@requires:") && tag != "@requires:second-client" {
			return true
		}
	}
	return false
}
