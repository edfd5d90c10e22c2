package testutil_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pdemu/pdemu/testutil"
)

// The README's snippets are run as a reader would run them: the Go test is
// compiled and run, the curl walk-through is run by sh against a server,
// the Node snippet by Node with the pinned SDK. A snippet that stops
// working fails here, not in a new user's first five minutes.

// fence finds a fenced block: its language and its text.
var fence = regexp.MustCompile("(?ms)^```([a-z]*)\n(.*?)^```")

func readmeBlocks(t *testing.T, lang string) []string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range fence.FindAllStringSubmatch(string(doc), -1) {
		if m[1] == lang {
			out = append(out, m[2])
		}
	}
	return out
}

// TestREADMEGoSnippet compiles and runs every whole Go file the README
// shows (a block that starts with a package clause), inside this module.
func TestREADMEGoSnippet(t *testing.T) {
	n := 0
	for _, code := range readmeBlocks(t, "go") {
		if !strings.HasPrefix(code, "package ") {
			continue
		}
		n++
		if out, err := runGoFile(t, code); err != nil {
			t.Errorf("the README's Go snippet %d does not pass: %v\n%s\n--- snippet ---\n%s", n, err, out, code)
		}
	}
	if n == 0 {
		t.Fatal("the README shows no whole Go file")
	}
}

// runGoFile runs src as the one test file of a package of this module, so
// its imports resolve as they do for a user who ran `go get`.
func runGoFile(t *testing.T, src string) ([]byte, error) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	// "_" keeps ./... from seeing the package.
	dir, err := os.MkdirTemp(".", "_snippet")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "snippet_test.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return exec.Command(gobin, "test", "-count=1", "./"+filepath.Base(dir)).CombinedOutput()
}

// runNodeSnippet runs a JavaScript snippet as an .mjs file beside the
// pinned SDK of interop/sdk, with the PIPEDREAM_* variables of srv, and
// returns what it printed.
func runNodeSnippet(t *testing.T, code string, srv *testutil.Server) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	sdk := filepath.Join("..", "interop", "sdk")
	if _, err := os.Stat(filepath.Join(sdk, "node_modules", "@pipedream", "sdk")); err != nil {
		if os.Getenv("PDEMU_REQUIRE_SDK") == "1" {
			t.Fatalf("the pinned SDK is not installed in %s (npm ci --prefix interop/sdk)", sdk)
		}
		t.Skipf("the pinned SDK is not installed in %s (npm ci --prefix interop/sdk)", sdk)
	}
	f, err := os.CreateTemp(sdk, "snippet-*.mjs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(f.Name()) })
	if _, err := f.WriteString(code); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(node, f.Name())
	cmd.Env = append(os.Environ(), srv.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return string(out)
}

// TestREADMECurlWalkthrough runs the README's curl block with sh, with the
// exports of the pdemu binary it starts, and checks it does what its comments say: a token,
// the projects, then, an hour later, a 401 for the same token.
func TestREADMECurlWalkthrough(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl")
	}
	var walk string
	for _, code := range readmeBlocks(t, "sh") {
		if strings.Contains(code, "TOKEN=$(curl") {
			walk = code
		}
	}
	if walk == "" {
		t.Fatal("the README has no curl walk-through")
	}
	srv := startBinary(t)
	cmd := exec.Command(sh, "-c", walk)
	cmd.Env = append(os.Environ(), srv.Env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sh: %v\n%s", err, out)
	}
	text := string(out)
	if !strings.Contains(text, `"id":"`+srv.env["PIPEDREAM_PROJECT_ID"]+`"`) {
		t.Errorf("the walk-through does not list the project:\n%s", text)
	}
	if !strings.Contains(text, `"error":"invalid_token"`) || !strings.Contains(text, "expired") {
		t.Errorf("an hour later the walk-through's token is not refused as expired:\n%s", text)
	}
}

// TestREADMENodeSnippet saves the README's JavaScript as list.mjs, as the
// README says, beside the pinned SDK of interop/sdk, and runs it with
// Node against a server.
func TestREADMENodeSnippet(t *testing.T) {
	js := readmeBlocks(t, "js")
	if len(js) != 1 {
		t.Fatalf("want one JavaScript block in the README, got %d", len(js))
	}
	srv := testutil.NewServer(t)
	if out := runNodeSnippet(t, js[0], srv); strings.TrimSpace(out) != srv.Credentials.ProjectID {
		t.Errorf("the Node snippet printed %q, want the project id %s", out, srv.Credentials.ProjectID)
	}
}
