package testutil_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestExampleModule runs the tests of examples/gotest, a module of its own
// that uses testutil as another module would (docs/install.md points to
// it), so the example is known to work. The main module's ./... does not
// reach into it: a directory with its own go.mod is another module.
func TestExampleModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in another module")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to run the example module's tests with")
	}

	list := exec.Command(goTool, "list", "./...")
	list.Dir = ".."
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list ./... in the main module: %v", err)
	}
	for pkg := range strings.Lines(string(out)) {
		if strings.Contains(pkg, "/examples/") {
			t.Errorf("the main module's ./... holds %s: examples/gotest must stay a module of its own", strings.TrimSpace(pkg))
		}
	}

	// -mod=mod lets the go tool fill in go.sum from the module cache (or
	// GOPROXY, as the environment says) should it lack a line.
	cmd := exec.Command(goTool, "test", "-count=1", "./...")
	cmd.Dir = "../examples/gotest"
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test ./... in examples/gotest: %v\n%s", err, out)
	}
	t.Logf("examples/gotest:\n%s", out)
}
