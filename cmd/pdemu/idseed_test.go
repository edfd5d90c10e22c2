package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawCall sends a request to a started pdemu and returns the body as sent.
func rawCall(t *testing.T, method, url, bearer, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" || method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.Close = true
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(raw)
}

// seededRun starts pdemu with args, sets its frozen clock to a fixed
// instant and sends it a few requests that draw ids, secrets, tokens and
// keys; it returns the exports but the base URL, then each answer.
func seededRun(t *testing.T, args ...string) []string {
	t.Helper()
	pd := start(t, append([]string{"serve", "--addr", anyPort, "--freeze-clock"}, args...)...)
	base := pd.env["PIPEDREAM_BASE_URL"]
	out := []string{pd.env["PIPEDREAM_CLIENT_ID"], pd.env["PIPEDREAM_CLIENT_SECRET"], pd.env["PIPEDREAM_PROJECT_ID"]}
	step := func(method, path, bearer, body string) string {
		t.Helper()
		status, got := rawCall(t, method, base+path, bearer, body)
		if status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, status, got)
		}
		out = append(out, got)
		return got
	}
	step(http.MethodPut, "/_emulator/clock", "", `{"now":"2030-01-01T00:00:00Z"}`)
	step(http.MethodGet, "/.well-known/jwks.json", "", "")
	tok := step(http.MethodPost, "/v1/oauth/token", "", `{"grant_type":"client_credentials","client_id":"`+
		pd.env["PIPEDREAM_CLIENT_ID"]+`","client_secret":"`+pd.env["PIPEDREAM_CLIENT_SECRET"]+`"}`)
	tok = tok[strings.Index(tok, `"access_token":"`)+len(`"access_token":"`):]
	tok = tok[:strings.IndexByte(tok, '"')]
	step(http.MethodPost, "/_emulator/oauth-clients", "", `{"name":"ci"}`)
	step(http.MethodPost, "/v1/connect/projects", tok, `{"name":"second"}`)
	step(http.MethodPost, "/v1/connect/"+pd.env["PIPEDREAM_PROJECT_ID"]+"/tokens", tok, `{"external_user_id":"alice"}`)
	step(http.MethodPost, "/v1/connect/rate_limits", tok, `{"window_size_seconds":10,"requests_per_window":2}`)
	step(http.MethodPost, "/_emulator/reset", "", "")
	step(http.MethodGet, "/.well-known/jwks.json", "", "")
	if err := pd.stop(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pd.stderr.String(), "id_seed=") && slices.Contains(args, "--id-seed") {
		t.Errorf("the startup line lacks the id seed:\n%s", pd.stderr)
	}
	return out
}

func TestServeIDSeed(t *testing.T) {
	t.Parallel()
	a := seededRun(t, "--id-seed", "7")
	b := seededRun(t, "--id-seed", "7")
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("answer %d differs between two runs with --id-seed 7:\n%s\n%s", i, a[i], b[i])
			}
		}
	}
	for name, other := range map[string][]string{
		"--id-seed 8": seededRun(t, "--id-seed", "8"),
		"no seed":     seededRun(t),
	} {
		for _, i := range []int{0, 1, 2} { // the exports
			if a[i] == other[i] {
				t.Errorf("%s gives the same %q as --id-seed 7", name, a[i])
			}
		}
	}
}

func TestServeIDSeedFlag(t *testing.T) {
	t.Parallel()
	_, _, err := runOnce(t, "--addr", anyPort, "--id-seed", "x")
	if err == nil || !strings.Contains(err.Error(), "id-seed") {
		t.Errorf("--id-seed x: %v, want a usage error naming the flag", err)
	}
	if _, _, err := runOnce(t, "--addr", anyPort, "--id-seed", "-1"); err == nil {
		t.Error("--id-seed -1 was accepted")
	}
	stdout, stderr, err := runOnce(t, "--addr", anyPort, "--id-seed", "18446744073709551615")
	if err != nil {
		t.Fatalf("the largest seed: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "id_seed=18446744073709551615") {
		t.Errorf("the startup line lacks the seed:\n%s", stderr)
	}
	if strings.Contains(stderr, "predictable") {
		t.Errorf("a loopback bind needs no warning:\n%s", stderr)
	}
	again, _, err := runOnce(t, "--addr", anyPort, "--id-seed", "18446744073709551615")
	if err != nil {
		t.Fatal(err)
	}
	if secret := parseExports(t, stdout)["PIPEDREAM_CLIENT_SECRET"]; secret != parseExports(t, again)["PIPEDREAM_CLIENT_SECRET"] {
		t.Errorf("two runs with one seed print different secrets")
	}

	_, stderr, err = runOnce(t, "--addr", "0.0.0.0:0", "--id-seed", "1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "--id-seed makes every secret and the signing key predictable") {
		t.Errorf("no warning for a seeded server beyond loopback:\n%s", stderr)
	}

	help, _, err := runOnce(t, "help", "serve")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(help, "--id-seed integer") || !strings.Contains(help, "golden files only") {
		t.Errorf("help lacks --id-seed:\n%s", help)
	}
}

// TestServeIDSeedAcrossProcesses starts a seeded pdemu from state another
// seeded pdemu made (its state file, or a document it exported): what it
// makes must not take the ids of what that state holds (every process
// with one seed draws one stream, so it would draw them again), and the
// same state and seed must still give the same ids.
func TestServeIDSeedAcrossProcesses(t *testing.T) {
	t.Parallel()
	// create creates a user and a client named name and returns their ids.
	create := func(t *testing.T, pd *instance, name string) []string {
		t.Helper()
		base := pd.env["PIPEDREAM_BASE_URL"]
		var ids []string
		for _, c := range []struct{ path, body, field string }{
			{"/_emulator/projects/" + pd.env["PIPEDREAM_PROJECT_ID"] + "/users", `{"external_id":"` + name + `"}`, "id"},
			{"/_emulator/oauth-clients", `{"name":"` + name + `"}`, "client_id"},
		} {
			status, body := call(t, http.MethodPost, base+c.path, "", c.body)
			if status != http.StatusCreated {
				t.Fatalf("POST %s %s: %d %v", c.path, c.body, status, body)
			}
			ids = append(ids, body[c.field].(string))
		}
		return ids
	}
	serve := []string{"serve", "--addr", anyPort, "--freeze-clock", "--id-seed", "7"}
	copyFile := func(t *testing.T, from, to string) {
		t.Helper()
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name string
		// first makes state, second starts from it; both take the
		// directory's file a (and second its copy b, alike).
		first, second func(file string) []string
	}{
		{"state file", func(f string) []string { return []string{"--state-file", f} }, func(f string) []string { return []string{"--state-file", f} }},
		// An exporter that itself started from a document draws as an
		// importer does.
		{"import", func(f string) []string { return []string{"--import", f + ".0", "--export-on-exit", f} }, func(f string) []string { return []string{"--import", f} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			if tt.name == "import" {
				pd := start(t, append(serve, "--export-on-exit", a+".0")...)
				if err := pd.stop(t); err != nil {
					t.Fatal(err)
				}
			}
			pd := start(t, append(serve, tt.first(a)...)...)
			before := create(t, pd, "before")
			if err := pd.stop(t); err != nil {
				t.Fatal(err)
			}
			copyFile(t, a, b)
			var after [][]string
			for _, file := range []string{a, b} {
				pd := start(t, append(serve, tt.second(file)...)...)
				after = append(after, create(t, pd, "after"))
				if err := pd.stop(t); err != nil {
					t.Fatal(err)
				}
			}
			for i, id := range after[0] {
				if id == before[i] {
					t.Errorf("made with id %s, the id of one the state holds", id)
				}
			}
			if !slices.Equal(after[0], after[1]) {
				t.Errorf("two starts from one state and one seed made %v and %v", after[0], after[1])
			}
		})
	}
}
