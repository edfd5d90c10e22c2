package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// TestHealthcheck runs `pdemu healthcheck` against emulators and servers
// that are not healthy, and checks the exit status main would give and
// that a failure is one line on stderr.
func TestHealthcheck(t *testing.T) {
	const token = "ctl-token-for-the-healthcheck-test"
	plain := testutil.NewServer(t)
	versioned := testutil.NewServer(t, emulator.WithVersion("v1.2.3 (revision abc) go1.26.0"))
	guarded := testutil.NewServer(t, emulator.WithControlToken(token))
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	answer := func(status int, body string) string {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(s.Close)
		return s.URL
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	redirecting := httptest.NewServer(http.RedirectHandler(plain.URL+healthPath, http.StatusFound))
	t.Cleanup(redirecting.Close)

	tests := []struct {
		name       string
		env        []string
		args       []string
		wantStatus int
		wantStdout string // a substring
		wantStderr string // a substring
	}{
		{"healthy", nil, []string{"--url", plain.URL}, 0, "pdemu at " + plain.URL + healthPath + " is healthy\n", ""},
		{"trailing slash", nil, []string{"--url", plain.URL + "/"}, 0, "is healthy", ""},
		{"the health URL itself", nil, []string{"--url", plain.URL + healthPath}, 0, "pdemu at " + plain.URL + healthPath + " is", ""},
		{"reports the version", nil, []string{"--url", versioned.URL}, 0, "is healthy (v1.2.3 (revision abc) go1.26.0)\n", ""},
		{"URL from PDEMU_HEALTHCHECK_URL", []string{envHealthcheckURL + "=" + plain.URL}, nil, 0, "is healthy", ""},
		{"URL from PDEMU_ADDR", []string{envAddr + "=" + strings.TrimPrefix(plain.URL, "http://")}, nil, 0, "is healthy", ""},
		{"--url beats the variables", []string{envHealthcheckURL + "=" + down.URL, envAddr + "=" + strings.TrimPrefix(down.URL, "http://")},
			[]string{"--url", plain.URL}, 0, "is healthy", ""},
		{"PDEMU_HEALTHCHECK_URL beats PDEMU_ADDR", []string{envHealthcheckURL + "=" + plain.URL, envAddr + "=" + strings.TrimPrefix(down.URL, "http://")},
			nil, 0, "is healthy", ""},
		{"control token sent", []string{envControlToken + "=" + token}, []string{"--url", guarded.URL}, 0, "is healthy", ""},
		// Health needs no control token, so a probe works with a token
		// pdemu generated; one that is sent is not judged.
		{"control token missing", nil, []string{"--url", guarded.URL}, 0, "is healthy", ""},
		{"control token wrong", []string{envControlToken + "=nope"}, []string{"--url", guarded.URL}, 0, "is healthy", ""},
		// A 401 (from an older pdemu, or a proxy in front) names the token.
		{"a 401 without a token", nil, []string{"--url", answer(401, `{"error":"control_token_required"}`)}, 1, "",
			"401 Unauthorized: {\"error\":\"control_token_required\"}; this pdemu's control plane needs its token: set PDEMU_CONTROL_TOKEN\n"},
		{"a 401 with a token", []string{envControlToken + "=nope"}, []string{"--url", answer(401, `{"error":"invalid_control_token"}`)}, 1, "",
			"PDEMU_CONTROL_TOKEN is not this pdemu's control token\n"},
		{"server down", nil, []string{"--url", down.URL}, 1, "", "pdemu: unhealthy: Get \"" + down.URL + healthPath + "\""},
		{"server down, from PDEMU_ADDR", []string{envAddr + "=" + strings.TrimPrefix(down.URL, "http://")}, nil, 1, "", "connection refused"},
		{"not found", nil, []string{"--url", answer(404, "no\nsuch page\n")}, 1, "", "answered 404 Not Found: no such page\n"},
		{"500, empty body", nil, []string{"--url", answer(500, "")}, 1, "", "answered 500 Internal Server Error: (empty body)\n"},
		{"200 but not JSON", nil, []string{"--url", answer(200, "<html>hello</html>")}, 1, "", "not pdemu's health JSON: <html>hello</html>\n"},
		{"200 but not ok", nil, []string{"--url", answer(200, `{"status":"starting"}`)}, 1, "", `answered status "starting", not "ok"`},
		{"a redirect is not followed", nil, []string{"--url", redirecting.URL}, 1, "", "answered 302 Found"},
		{"timeout", nil, []string{"--url", slow.URL, "--timeout", "100ms"}, 1, "", "no answer from " + slow.URL + healthPath + " within 100ms\n"},
		{"bad URL", nil, []string{"--url", "127.0.0.1:8787"}, 2, "", `invalid --url "127.0.0.1:8787": want an http:// or https:// URL`},
		{"bad PDEMU_HEALTHCHECK_URL", []string{envHealthcheckURL + "=ftp://x"}, nil, 2, "", "invalid PDEMU_HEALTHCHECK_URL"},
		{"PDEMU_ADDR with port 0", []string{envAddr + "=127.0.0.1:0"}, nil, 2, "", "cannot tell the URL from PDEMU_ADDR"},
		{"bad timeout", nil, []string{"--timeout", "0s"}, 2, "", "invalid --timeout 0s"},
		{"arguments", nil, []string{"now"}, 2, "", `healthcheck takes flags only, got "now"`},
		{"unknown flag", nil, []string{"--bogus"}, 2, "", "pdemu: unknown flag --bogus\nrun 'pdemu help healthcheck' for usage\n"},
		{"help", nil, []string{"--help"}, 0, "Usage:\n  pdemu healthcheck [--url URL]", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			err := run(t.Context(), append([]string{"healthcheck"}, tt.args...), &stdout, &stderr, envOf(tt.env...))
			status := exitStatus(&stderr, err)
			if status != tt.wantStatus {
				t.Errorf("exit status %d, want %d\nstdout: %s\nstderr: %s", status, tt.wantStatus, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q, want it to contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.wantStderr)
			}
			if tt.wantStatus == 1 {
				if got := stderr.String(); strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") {
					t.Errorf("stderr is not one line: %q", got)
				}
				if strings.Contains(stderr.String(), token) {
					t.Error("stderr repeats the control token")
				}
			}
		})
	}
}

// TestHealthcheckDefaultURL: with no flag and no variable the healthcheck
// asks pdemu's default address; a wildcard PDEMU_ADDR is asked on loopback.
func TestHealthcheckDefaultURL(t *testing.T) {
	tests := []struct {
		env  []string
		want string
	}{
		{nil, "http://127.0.0.1:8787" + healthPath},
		{[]string{envAddr + "=0.0.0.0:9000"}, "http://127.0.0.1:9000" + healthPath},
		{[]string{envAddr + "=:9000"}, "http://127.0.0.1:9000" + healthPath},
		{[]string{envAddr + "=[::]:9000"}, "http://127.0.0.1:9000" + healthPath},
		{[]string{envAddr + "=[::1]:9000"}, "http://[::1]:9000" + healthPath},
		{[]string{envAddr + "=localhost:9000"}, "http://localhost:9000" + healthPath},
		{[]string{envHealthcheckURL + "=https://pdemu.example:8443/"}, "https://pdemu.example:8443" + healthPath},
		{[]string{envHealthcheckURL + "=http://h:1/?x=1#y"}, "http://h:1" + healthPath},
	}
	for _, tt := range tests {
		got, err := healthURL("", envOf(tt.env...))
		if err != nil || got != tt.want {
			t.Errorf("healthURL with %v = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}

// TestHealthcheckCancelled: a cancelled context (the signal main wires) is
// a failure, not a hang.
func TestHealthcheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := checkHealth(ctx, "http://127.0.0.1:1"+healthPath, "", time.Second)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want a failure", err)
	}
}
