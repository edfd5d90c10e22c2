package main

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// call sends a request to a started pdemu and decodes the JSON answer.
func call(t *testing.T, method, url, bearer, body string) (int, map[string]any) {
	t.Helper()
	return callHost(t, method, url, "", bearer, body)
}

// callHost is call with another Host header ("" keeps the URL's). Writes
// carry Content-Type: application/json, bodyless ones too, as the control
// plane wants.
func callHost(t *testing.T, method, url, host, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = cmp.Or(host, req.Host)
	if body != "" || method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	// No keep-alive, so no idle connection outlives the test's server.
	req.Close = true
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s %s: %d, body is not JSON: %v\n%s", method, url, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode, got
}

func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	pd := start(t, "serve", "--addr", anyPort, "--log-level", "debug")
	env := pd.env
	for _, name := range []string{"PIPEDREAM_BASE_URL", "PIPEDREAM_CLIENT_ID", "PIPEDREAM_CLIENT_SECRET", "PIPEDREAM_PROJECT_ID"} {
		if env[name] == "" {
			t.Fatalf("%s missing from the export lines:\n%s", name, pd.stdout)
		}
	}
	if env["PIPEDREAM_PROJECT_ENVIRONMENT"] != "development" {
		t.Errorf("PIPEDREAM_PROJECT_ENVIRONMENT = %q, want development", env["PIPEDREAM_PROJECT_ENVIRONMENT"])
	}
	if !strings.HasPrefix(pd.stdout, "# pdemu listening on "+env["PIPEDREAM_BASE_URL"]+"\n") {
		t.Errorf("first line should be a comment with the URL:\n%s", pd.stdout)
	}
	base := env["PIPEDREAM_BASE_URL"]

	status, body := call(t, http.MethodGet, base+"/_emulator/health", "", "")
	if status != http.StatusOK || body["status"] != "ok" {
		t.Fatalf("health: %d %v", status, body)
	}

	tokenReq, err := json.Marshal(map[string]string{
		"grant_type": "client_credentials", "client_id": env["PIPEDREAM_CLIENT_ID"], "client_secret": env["PIPEDREAM_CLIENT_SECRET"],
	})
	if err != nil {
		t.Fatal(err)
	}
	status, body = call(t, http.MethodPost, base+"/v1/oauth/token", "", string(tokenReq))
	token, _ := body["access_token"].(string)
	if status != http.StatusOK || token == "" {
		t.Fatalf("token: %d %v", status, body)
	}

	status, body = call(t, http.MethodGet, base+"/v1/connect/projects", token, "")
	if status != http.StatusOK {
		t.Fatalf("projects: %d %v", status, body)
	}
	var ids []any
	if data, ok := body["data"].([]any); ok {
		for _, p := range data {
			if p, ok := p.(map[string]any); ok {
				ids = append(ids, p["id"])
			}
		}
	}
	if len(ids) != 1 || ids[0] != env["PIPEDREAM_PROJECT_ID"] {
		t.Errorf("projects: got ids %v, want [%s]", ids, env["PIPEDREAM_PROJECT_ID"])
	}

	if err := pd.stop(t); err != nil {
		t.Fatalf("run after cancel = %v, want nil (graceful shutdown)", err)
	}
	logs := pd.stderr.String()
	for _, want := range []string{"pdemu started", "route=oauthTokens.create", "route=projects.list", "shutting down", "stopped"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, env["PIPEDREAM_CLIENT_SECRET"]) {
		t.Errorf("the client secret is in the logs:\n%s", logs)
	}
	if strings.Contains(logs, token) {
		t.Errorf("the access token is in the logs:\n%s", logs)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	now := func(t *testing.T, base string) string {
		t.Helper()
		status, body := call(t, http.MethodGet, base+"/_emulator/clock", "", "")
		s, _ := body["now"].(string)
		if status != http.StatusOK || s == "" {
			t.Fatalf("clock: %d %v", status, body)
		}
		return s
	}
	t.Run("frozen stands still", func(t *testing.T) {
		t.Parallel()
		base := start(t, "--addr", anyPort, "--freeze-clock").env["PIPEDREAM_BASE_URL"]
		first := now(t, base)
		if second := now(t, base); second != first {
			t.Errorf("frozen clock moved from %s to %s", first, second)
		}
	})
	t.Run("default follows real time", func(t *testing.T) {
		t.Parallel()
		base := start(t, "--addr", anyPort).env["PIPEDREAM_BASE_URL"]
		first := now(t, base)
		// Poll rather than sleep: the clock has moved as soon as real time
		// has, which on a coarse timer may take a tick.
		deadline := time.Now().Add(5 * time.Second)
		for now(t, base) == first {
			if time.Now().After(deadline) {
				t.Fatalf("clock stuck at %s for 5s", first)
			}
			time.Sleep(time.Millisecond)
		}
	})
}

func TestJSONLogs(t *testing.T) {
	t.Parallel()
	stdout, stderr, err := runOnce(t, "--addr", anyPort, "--log-format", "json", "--workspace-id", "o_json")
	if err != nil {
		t.Fatal(err)
	}
	env := parseExports(t, stdout)
	var started map[string]any
	for line := range strings.Lines(stderr) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v\n%s", err, line)
		}
		if rec["msg"] == "pdemu started" {
			started = rec
		}
	}
	if started == nil {
		t.Fatalf("no startup line in:\n%s", stderr)
	}
	want := map[string]string{
		"workspace_id": "o_json", "client_id": env["PIPEDREAM_CLIENT_ID"],
		"project_id": env["PIPEDREAM_PROJECT_ID"], "clock": "real time",
	}
	for k, v := range want {
		if started[k] != v {
			t.Errorf("startup %s = %v, want %q", k, started[k], v)
		}
	}
	if strings.Contains(stderr, env["PIPEDREAM_CLIENT_SECRET"]) {
		t.Errorf("the client secret is in the logs:\n%s", stderr)
	}
}

// TestControlPlaneProtection runs pdemu in each way its control plane can
// be protected and drives the control plane as a script would: without the
// token it is refused, with it served; the emulated API needs none.
func TestControlPlaneProtection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  []string
		// token is the token to expect in the exports: "" for none,
		// "generated" for one pdemu made up.
		token string
		warn  bool
	}{
		{"loopback bind", []string{"--addr", anyPort}, nil, "", false},
		// Listens on every interface, as --addr :8787 would.
		{"non-loopback bind", []string{"--addr", "0.0.0.0:0"}, nil, "generated", true},
		{"token flag", []string{"--addr", anyPort, "--control-token", "flag-token-e2e"}, nil, "flag-token-e2e", false},
		{"token variable", []string{"--addr", anyPort}, []string{"PDEMU_CONTROL_TOKEN=env-token-e2e"}, "env-token-e2e", false},
		{"token variable, non-loopback bind", []string{"--addr", "0.0.0.0:0"}, []string{"PDEMU_CONTROL_TOKEN=env-token-e2e2"}, "env-token-e2e2", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pd := startEnv(t, envOf(tc.env...), tc.args...)
			base, token := pd.env["PIPEDREAM_BASE_URL"], pd.env["PDEMU_CONTROL_TOKEN"]
			switch tc.token {
			case "":
				if _, ok := pd.env["PDEMU_CONTROL_TOKEN"]; ok {
					t.Fatalf("a token was printed:\n%s", pd.stdout)
				}
			case "generated":
				if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(token) {
					t.Fatalf("generated token %q is not 32 bytes of URL-safe base64:\n%s", token, pd.stdout)
				}
			default:
				if token != tc.token {
					t.Fatalf("PDEMU_CONTROL_TOKEN = %q, want %q", token, tc.token)
				}
			}
			if !strings.HasPrefix(base, "http://127.0.0.1:") {
				t.Errorf("PIPEDREAM_BASE_URL = %q, want loopback", base)
			}

			if token != "" {
				for _, bearer := range []string{"", "not-the-token"} {
					if status, body := call(t, http.MethodGet, base+"/_emulator/oauth-clients", bearer, ""); status != http.StatusUnauthorized {
						t.Errorf("control plane with bearer %q: %d %v, want 401", bearer, status, body)
					}
				}
				if status, _ := call(t, http.MethodPost, base+"/_emulator/reset", "", ""); status != http.StatusUnauthorized {
					t.Errorf("reset without the token: %d, want 401", status)
				}
			}
			if status, body := call(t, http.MethodGet, base+"/_emulator/oauth-clients", token, ""); status != http.StatusOK {
				t.Errorf("control plane with the token: %d %v", status, body)
			}
			if status, body := call(t, http.MethodPost, base+"/_emulator/clock/advance", token, `{"seconds":1}`); status != http.StatusOK {
				t.Errorf("clock advance with the token: %d %v", status, body)
			}
			if status, body := call(t, http.MethodPost, base+"/_emulator/reset", token, ""); status != http.StatusOK {
				t.Errorf("bodyless reset with the token: %d %v", status, body)
			}
			tokenReq, _ := json.Marshal(map[string]string{
				"grant_type": "client_credentials", "client_id": pd.env["PIPEDREAM_CLIENT_ID"], "client_secret": pd.env["PIPEDREAM_CLIENT_SECRET"],
			})
			if status, body := call(t, http.MethodPost, base+"/v1/oauth/token", "", string(tokenReq)); status != http.StatusOK {
				t.Errorf("the API needs no control token: %d %v", status, body)
			}

			if err := pd.stop(t); err != nil {
				t.Fatal(err)
			}
			logs := pd.stderr.String()
			warned := strings.Contains(logs, "level=WARN") && strings.Contains(logs, "the control plane needs a token")
			if warned != tc.warn {
				t.Errorf("warning logged: %v, want %v:\n%s", warned, tc.warn, logs)
			}
			if tc.warn && !strings.Contains(logs, "PDEMU_CONTROL_TOKEN") {
				t.Errorf("the warning does not say how to set a token:\n%s", logs)
			}
			wantMode := map[string]string{"": "none", "generated": "generated"}[tc.token]
			if !strings.Contains(logs, "control_token="+cmp.Or(wantMode, "required")) {
				t.Errorf("the startup line does not say control_token=%s:\n%s", cmp.Or(wantMode, "required"), logs)
			}
			if token != "" && strings.Contains(logs, token) {
				t.Errorf("the control token is in the logs:\n%s", logs)
			}
		})
	}
}

// TestAdvertiseURL: the advertised URL is the base URL printed, and the
// control plane accepts requests addressed to it as its own.
func TestAdvertiseURL(t *testing.T) {
	t.Parallel()
	pd := start(t, "--addr", anyPort, "--advertise-url", "http://pdemu.lan:9999")
	if got := pd.env["PIPEDREAM_BASE_URL"]; got != "http://pdemu.lan:9999" {
		t.Fatalf("PIPEDREAM_BASE_URL = %q, want the advertised URL", got)
	}
	bound, ok := strings.CutPrefix(strings.SplitN(pd.stdout, "\n", 2)[0], "# pdemu listening on ")
	if !ok {
		t.Fatalf("no listening line:\n%s", pd.stdout)
	}
	tests := []struct {
		host   string
		status int
	}{
		{"pdemu.lan:9999", http.StatusOK},
		{"PDEMU.lan:9999", http.StatusOK},
		{"pdemu.lan:80", http.StatusForbidden},
		{"other.lan:9999", http.StatusForbidden},
		{"", http.StatusOK}, // the bound loopback address
	}
	for _, tc := range tests {
		if status, body := callHost(t, http.MethodGet, bound+"/_emulator/health", tc.host, "", ""); status != tc.status {
			t.Errorf("Host %q: %d %v, want %d", tc.host, status, body, tc.status)
		}
	}
}

// TestControlTokenDecision: a given token is required whatever the bind;
// without one, a loopback bind needs none and any other gets a fresh one.
func TestControlTokenDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr     string
		loopback bool
	}{
		{"127.0.0.1:8787", true},
		{"127.1.2.3:0", true},
		{"localhost:8787", true},
		{"LocalHost:0", true},
		{"[::1]:8787", true},
		{"[::ffff:127.0.0.1]:0", true},
		{":8787", false},
		{"0.0.0.0:8787", false},
		{"[::]:8787", false},
		{"192.168.1.5:8787", false},
		{"10.0.0.1:0", false},
		{"pdemu.lan:8787", false},
		{"app.localhost:8787", false},
		{"localhost.:8787", false},
	}
	for _, tt := range tests {
		if got := isLoopbackBind(tt.addr); got != tt.loopback {
			t.Errorf("isLoopbackBind(%q) = %v, want %v", tt.addr, got, tt.loopback)
		}
		tok, mode := controlTokenFor(tt.addr, "given")
		if tok != "given" || mode != "required" {
			t.Errorf("controlTokenFor(%q, given) = %q, %q; a given token is always required", tt.addr, tok, mode)
		}
		tok, mode = controlTokenFor(tt.addr, "")
		switch {
		case tt.loopback && (tok != "" || mode != "none"):
			t.Errorf("controlTokenFor(%q) = %q, %q; want none", tt.addr, tok, mode)
		case !tt.loopback && (len(tok) != 43 || mode != "generated"):
			t.Errorf("controlTokenFor(%q) = %q, %q; want a generated 32-byte token", tt.addr, tok, mode)
		}
	}
	a, _ := controlTokenFor(":0", "")
	b, _ := controlTokenFor(":0", "")
	if a == b {
		t.Errorf("two generated tokens are equal: %q", a)
	}
}

// TestServeProxyTimeout: --proxy-timeout reaches the emulator, and an
// upstream slower than it gets the caller the 504.
func TestServeProxyTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(upstream.Close)
	t.Cleanup(func() { close(release) }) // cleanups run last first: release, then close
	env := start(t, "--addr", anyPort, "--proxy-timeout", "50ms").env
	base, projectID := env["PIPEDREAM_BASE_URL"], env["PIPEDREAM_PROJECT_ID"]

	// In production: the proxy call below sends no x-pd-environment.
	status, account := call(t, http.MethodPost, base+"/_emulator/projects/"+projectID+"/accounts", "",
		`{"external_user_id": "alice", "app": "slack", "environment": "production"}`)
	if status != http.StatusCreated {
		t.Fatalf("connect an account: %d %v", status, account)
	}
	tokenReq, err := json.Marshal(map[string]string{"grant_type": "client_credentials", "scope": "connect:proxy",
		"client_id": env["PIPEDREAM_CLIENT_ID"], "client_secret": env["PIPEDREAM_CLIENT_SECRET"]})
	if err != nil {
		t.Fatal(err)
	}
	status, tok := call(t, http.MethodPost, base+"/v1/oauth/token", "", string(tokenReq))
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, tok)
	}

	target := url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(upstream.URL + "/slow")))
	status, body := call(t, http.MethodGet, base+"/v1/connect/"+projectID+"/proxy/"+target+
		"?external_user_id=alice&account_id="+fmt.Sprint(account["id"]), fmt.Sprint(tok["access_token"]), "")
	if status != http.StatusGatewayTimeout || body["error"] != "upstream_timeout" {
		t.Fatalf("proxy to a stalled upstream: %d %v, want 504 upstream_timeout", status, body)
	}
	if desc := fmt.Sprint(body["error_description"]); !strings.Contains(desc, "within 50ms") {
		t.Errorf("error_description %q does not name the timeout", desc)
	}
}

func TestServeJournalFaultsAndRateLimits(t *testing.T) {
	t.Parallel()
	rules := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rules, []byte(`{"rules":[{"name":"jwks","route":"jwks","key":"ip","limit":1,"window_seconds":60}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pd := start(t, "serve", "--addr", anyPort, "--journal-size", "3", "--fault-seed", "7", "--rate-limits", rules, "--freeze-clock")
	base := pd.env["PIPEDREAM_BASE_URL"]
	if status, _ := call(t, http.MethodGet, base+"/.well-known/jwks.json", "", ""); status != http.StatusOK {
		t.Fatalf("first jwks: %d", status)
	}
	if status, body := call(t, http.MethodGet, base+"/.well-known/jwks.json", "", ""); status != http.StatusTooManyRequests || body["error"] != "Throttled" {
		t.Fatalf("second jwks: %d %v, want the rule file's 429", status, body)
	}
	for range 3 {
		call(t, http.MethodGet, base+"/_emulator/clock", "", "")
	}
	status, body := call(t, http.MethodGet, base+"/_emulator/requests", "", "")
	if status != http.StatusOK || body["size"] != float64(3) || body["dropped"] != float64(2) {
		t.Fatalf("journal: %d size %v dropped %v, want a ring of 3 that dropped 2", status, body["size"], body["dropped"])
	}
	logs := pd.stderr.String()
	for _, want := range []string{"path=/.well-known/jwks.json", "status=429", "error=Throttled"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the request log lacks %q:\n%s", want, logs)
		}
	}
}
