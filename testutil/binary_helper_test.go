package testutil_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/pdemu/pdemu/internal/testbin"
)

// The shell snippets run against the binary a reader starts: pdemu built
// from this checkout, serving on a free loopback port, its export lines
// read from its standard output.

// pdemuBinary returns cmd/pdemu built once for the package's tests.
func pdemuBinary(t *testing.T) string {
	t.Helper()
	path, err := testbin.Pdemu()
	if err != nil {
		t.Fatalf("building pdemu: %v", err)
	}
	return path
}

// binaryServer is a started pdemu: its exports, stopped with the test.
type binaryServer struct {
	env map[string]string
}

// startBinary starts pdemu on a free port with a frozen clock and returns
// once it printed its export lines; the test stops it with SIGTERM.
func startBinary(t *testing.T) binaryServer {
	t.Helper()
	cmd := exec.Command(pdemuBinary(t), "serve", "--addr", "127.0.0.1:0", "--freeze-clock", "--id-seed", "1")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	env := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k] = strings.Trim(v, "'")
		if k == "PIPEDREAM_PROJECT_ENVIRONMENT" {
			go func() { // drain, so pdemu never blocks on a full pipe
				for sc.Scan() {
				}
			}()
			return binaryServer{env: env}
		}
	}
	t.Fatalf("pdemu exited before printing its exports: %v", sc.Err())
	return binaryServer{}
}

// Env is the export block as environment entries.
func (b binaryServer) Env() []string {
	var out []string
	for k, v := range b.env {
		out = append(out, k+"="+v)
	}
	return out
}

// URL is PIPEDREAM_BASE_URL.
func (b binaryServer) URL() string { return b.env["PIPEDREAM_BASE_URL"] }

// journalEntry is what the shell snippet tests read of GET /_emulator/requests.
type journalEntry struct {
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Route      string   `json:"route"`
	Status     int      `json:"status"`
	FaultID    string   `json:"fault_id"`
	NearMisses []string `json:"near_misses"`
}

// requests reads the server's journal over HTTP, as a script would.
func (b binaryServer) requests(t *testing.T) []journalEntry {
	t.Helper()
	resp, err := http.Get(b.URL() + "/_emulator/requests?limit=100")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data []journalEntry `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatalf("journal: %v", err)
	}
	return page.Data
}

// TestMain removes the binary built for the shell snippets.
func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}
