package interop_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdemu/pdemu/internal/testbin"
)

// TestOfficialSDKAgainstTheBinary is the README's promise taken literally:
// start `pdemu serve`, take the export lines it prints, and the official
// SDK works with them (on the real-time clock the binary uses).
func TestOfficialSDKAgainstTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	node := requireSDK(t)
	bin, err := testbin.Pdemu()
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("pdemu did not shut down cleanly: %v\n%s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("pdemu did not stop within 10s of SIGTERM")
		}
	})

	// Read the export lines, exactly as a user pastes them; then keep
	// draining stdout so the process never blocks on a full pipe.
	env := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(env) < 5 && sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.Trim(v, "'")
	}
	go func() {
		for sc.Scan() {
		}
		exited <- cmd.Wait()
	}()
	for _, k := range []string{"PIPEDREAM_BASE_URL", "PIPEDREAM_CLIENT_ID", "PIPEDREAM_CLIENT_SECRET", "PIPEDREAM_PROJECT_ID", "PIPEDREAM_PROJECT_ENVIRONMENT"} {
		if env[k] == "" {
			t.Fatalf("pdemu printed no export of %s; stderr:\n%s", k, stderr.String())
		}
	}
	base := env["PIPEDREAM_BASE_URL"]
	for i := 1; i <= sdkUsers; i++ {
		body := fmt.Sprintf(`{"external_id":"user-%02d","environment":"development"}`, i)
		resp, err := http.Post(base+"/_emulator/projects/"+env["PIPEDREAM_PROJECT_ID"]+"/users", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("add user: status %d", resp.StatusCode)
		}
	}
	var vars []string
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	runSDKCheck(t, node, vars)

	if strings.Contains(stderr.String(), env["PIPEDREAM_CLIENT_SECRET"]) {
		t.Error("the binary's log contains the client secret")
	}
}

// lockedBuffer collects a child's stderr while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
