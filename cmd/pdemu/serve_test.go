package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// call sends a request to a started pdemu and decodes the JSON answer.
func call(t *testing.T, method, url, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
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

	status, account := call(t, http.MethodPost, base+"/_emulator/projects/"+projectID+"/accounts", "",
		`{"external_user_id": "alice", "app": "slack"}`)
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
