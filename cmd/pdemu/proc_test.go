//go:build unix

package main

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pdemu/pdemu/internal/testbin"
)

// The tests that need the built program (binary_test.go, statefile_test.go,
// state_test.go) share one build (internal/testbin).

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}

// pdemuBinary returns the built program's path. Like every test that needs
// it, its callers skip under -short, and where there is no go tool.
func pdemuBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	path, err := testbin.Pdemu()
	if errors.Is(err, testbin.ErrNoGoTool) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// proc is the program running as a process.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	// ready is closed once the export block is out; out and env hold it.
	ready chan struct{}
	out   string
	env   map[string]string
	// exited is closed once the process has exited, with err what Wait
	// returned.
	exited chan struct{}
	err    error
}

// launch starts the program with args and returns at once; waitReady waits
// for its export block. The process is killed when the test ends.
func launch(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, ready: make(chan struct{}), exited: make(chan struct{})}
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // a no-op once it has exited
		<-p.exited
	})
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if sc.Text()+"\n" == readyLine {
				p.out = b.String()
				close(p.ready)
				break
			}
		}
		// Drain, so the program never blocks on a full pipe, and wait only
		// after reading, as StdoutPipe requires.
		_, _ = io.Copy(io.Discard, stdout)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	return p
}

// start launches the program and waits for its export block.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := launch(t, bin, args...)
	p.waitReady(t)
	return p
}

// waitReady waits for the export block, and fails the test if the process
// exits first or takes more than 10 s.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-p.ready:
		p.env = parseExports(t, p.out)
	case <-p.exited:
		t.Fatalf("exited before printing the export lines: %v\nstderr:\n%s", p.err, p.stderr)
	case <-time.After(10 * time.Second):
		t.Fatalf("no export lines after 10s\nstderr:\n%s", p.stderr)
	}
}

// base is the URL the process serves at.
func (p *proc) base() string { return p.env["PIPEDREAM_BASE_URL"] }

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	p.wait(t)
}

// stop sends SIGTERM and returns the exit status.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return p.wait(t)
}

// wait waits for the process to exit and returns its exit status (-1 when
// a signal ended it).
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(2 * shutdownTimeout):
		t.Fatalf("still running after %v\nstderr:\n%s", 2*shutdownTimeout, p.stderr)
	}
	if ee, ok := errors.AsType[*exec.ExitError](p.err); ok {
		return ee.ExitCode()
	} else if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// runProc runs the program to its end (at most 10 s) and returns its exit
// status and what it wrote to stderr.
func runProc(t *testing.T, bin string, args ...string) (status int, stderr string) {
	t.Helper()
	p := launch(t, bin, args...)
	status = p.wait(t)
	return status, p.stderr.String()
}

// httpClient keeps connections alive between a test's requests, as SDKs
// do; CloseIdleConnections (or the test's end) drops them.
func httpClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// send makes one request and returns the status and body. err is what the
// transport returned: a process killed mid-request.
func send(client *http.Client, method, url, bearer, body string, header ...string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" || method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}
