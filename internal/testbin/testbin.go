// Package testbin builds the pdemu binary from this checkout once per test
// process, for the tests that run it as a user would (cmd/pdemu's, the
// README's and docs' shell snippets, the SDK against the binary).
package testbin

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// ErrNoGoTool says there is no go command on PATH to build with.
var ErrNoGoTool = errors.New("testbin: no go tool on PATH to build pdemu with")

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Pdemu returns the path of cmd/pdemu, built the first time a process
// asks. Its error holds the build's output.
func Pdemu() (string, error) {
	built.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			built.err = ErrNoGoTool
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "pdemu-test-bin-"); built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "pdemu")
		if out, err := exec.Command(goTool, "build", "-o", built.path, "github.com/pdemu/pdemu/cmd/pdemu").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	return built.path, built.err
}

// Cleanup removes the build; a TestMain calls it after m.Run.
func Cleanup() {
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
}
