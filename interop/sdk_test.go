package interop_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pdemu/pdemu/testutil"
)

// sdkUsers is how many external users TestOfficialSDK adds: more than two
// pages at the script's limit of 10.
const sdkUsers = 25

// requireSDK skips the test when node or the installed SDK is missing,
// unless PDEMU_REQUIRE_SDK=1 (CI), where a missing install is a failure
// rather than a silent pass.
func requireSDK(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; run `npm ci --prefix interop/sdk` (from the repository root) to run the official SDK's interop test"
		if os.Getenv("PDEMU_REQUIRE_SDK") == "1" {
			t.Fatalf("%s (PDEMU_REQUIRE_SDK=1, so this fails instead of skipping)", msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node (Node.js >= 18) is not on PATH")
	}
	installed := filepath.Join("sdk", "node_modules", "@pipedream", "sdk", "package.json")
	if _, err := os.Stat(installed); err != nil {
		installSDK(t)
	}
	if _, err := os.Stat(installed); err != nil {
		missing("interop/sdk/node_modules/@pipedream/sdk is not installed")
	}
	return node
}

// installSDK runs `npm ci` for the pinned SDK when it is missing, so that a
// plain `go test ./...` on a fresh machine with Node runs every test. The
// lock file pins the exact version; npm ci never changes it.
func installSDK(t *testing.T) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		return // requireSDK reports the missing install
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = "sdk"
	cmd.WaitDelay = 5 * time.Second
	t.Log("interop/sdk/node_modules is missing: running npm ci")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("npm ci failed: %v\n%s", err, out)
	}
}

// TestOfficialSDK runs interop/sdk/sdk-check.mjs, which drives the official
// @pipedream/sdk (version pinned in interop/sdk/package-lock.json) against
// an in-process emulator: client-credentials auth, project CRUD, users.list
// across pages with the SDK's pager, and a 401 for its cached token once
// the emulator's clock has moved an hour.
func TestOfficialSDK(t *testing.T) {
	node := requireSDK(t)

	// Go's test cache does not see what node reads; opening the files here
	// makes a change to the script or the pinned SDK version rerun the test.
	for _, f := range []string{"sdk-check.mjs", "package.json", "package-lock.json"} {
		if _, err := os.ReadFile(filepath.Join("sdk", f)); err != nil {
			t.Fatalf("read interop/sdk/%s: %v", f, err)
		}
	}

	srv := testutil.NewServer(t)
	for i := 1; i <= sdkUsers; i++ {
		if err := srv.Emulator.AddExternalUser(srv.Credentials.ProjectID, "development", fmt.Sprintf("user-%02d", i)); err != nil {
			t.Fatalf("add external user %d: %v", i, err)
		}
	}
	runSDKCheck(t, node, srv.Env())
}

// runSDKCheck runs sdk-check.mjs with the given PIPEDREAM_* variables and
// fails the test with its output unless every step passed.
func runSDKCheck(t *testing.T, node string, env []string) {
	t.Helper()
	if !runSDKScript(t, node, "sdk-check.mjs", append(env, fmt.Sprintf("PDEMU_SDK_USERS=%d", sdkUsers))) {
		t.FailNow()
	}
}

// runSDKScript runs one of the scripts in interop/sdk with the given
// variables added to the environment. Unless it exits 0, it marks the test
// failed with the script's output and returns false.
func runSDKScript(t *testing.T, node, script string, env []string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = "sdk"
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Errorf("%s did not finish within 2 minutes:\n%s", script, out)
	case errors.As(err, &ee):
		t.Errorf("%s exited with status %d:\n%s", script, ee.ExitCode(), out)
	case err != nil:
		t.Errorf("run %s: %v\n%s", script, err, out)
	default:
		t.Logf("%s:\n%s", script, out)
		return true
	}
	return false
}
