package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// anyPort keeps tests off the default port, which a developer's own pdemu
// may hold, and lets them run in parallel.
const anyPort = "127.0.0.1:0"

// readyLine is the last line of the export block: once it is out, the
// server is listening and the block is complete.
const readyLine = "export PIPEDREAM_PROJECT_ENVIRONMENT=development\n"

// syncBuffer is a bytes.Buffer that run writes to from its goroutines while
// the test reads it.
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

// runOnce runs pdemu with its context already cancelled: a valid command
// line starts, prints the export block and shuts down at once, so its whole
// output is there when runOnce returns. It sees an empty environment, so a
// developer's own PDEMU_CONTROL_TOKEN never changes a test.
func runOnce(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runOnceEnv(t, envOf(), args...)
}

// runOnceEnv is runOnce with the environment getenv reads.
func runOnceEnv(t *testing.T, getenv func(string) string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errOut syncBuffer
	err = run(ctx, args, &out, &errOut, getenv)
	return out.String(), errOut.String(), err
}

// instance is a pdemu started by start, serving until stop.
type instance struct {
	env    map[string]string
	stdout string
	stderr *syncBuffer
	cancel context.CancelFunc
	// done is closed when run has returned err.
	done chan struct{}
	err  error
}

// stop shuts the instance down and returns what run returned.
func (in *instance) stop(t *testing.T) error {
	t.Helper()
	in.cancel()
	select {
	case <-in.done:
		return in.err
	case <-time.After(2 * shutdownTimeout):
		t.Fatal("run did not return after its context was cancelled")
		return nil
	}
}

// start runs pdemu in a goroutine until the test ends or stop is called,
// and returns once the export block is printed. Its environment is empty.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	return startEnv(t, envOf(), args...)
}

// startEnv is start with the environment getenv reads.
func startEnv(t *testing.T, getenv func(string) string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	in := &instance{stderr: &syncBuffer{}, cancel: cancel, done: make(chan struct{})}
	var stdout syncBuffer
	go func() {
		in.err = run(ctx, args, &stdout, in.stderr, getenv)
		close(in.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-in.done
	})

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), readyLine) {
		select {
		case <-in.done:
			t.Fatalf("run returned before printing the export lines: %v\nstderr:\n%s", in.err, in.stderr)
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no export lines after 10s; stdout so far:\n%s\nstderr:\n%s", stdout.String(), in.stderr)
		}
	}
	in.stdout = stdout.String()
	in.env = parseExports(t, in.stdout)
	return in
}

// parseExports reads the export lines back as a POSIX shell would.
func parseExports(t *testing.T, out string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "export ")
		if !ok {
			continue
		}
		name, value, ok := strings.Cut(rest, "=")
		if !ok {
			t.Fatalf("export line without '=': %q", line)
		}
		if len(value) >= 2 && strings.HasPrefix(value, "'") && strings.HasSuffix(value, "'") {
			value = strings.ReplaceAll(value[1:len(value)-1], `'\''`, `'`)
		}
		env[name] = value
	}
	return env
}
