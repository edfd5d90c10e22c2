package emulator_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// TestConsoleFiles: the console's files are served with headers that keep
// other origins from framing, embedding or reading them.
func TestConsoleFiles(t *testing.T) {
	emu := testutil.NewServer(t).Emulator
	tests := []struct {
		path, wantType string
	}{
		{"/_emulator/ui/", "text/html; charset=utf-8"},
		{"/_emulator/ui/index.html", "text/html; charset=utf-8"},
		{"/_emulator/ui/app.js", "text/javascript; charset=utf-8"},
		{"/_emulator/ui/style.css", "text/css; charset=utf-8"},
		{"/_emulator/ui/favicon.svg", "image/svg+xml"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := controlReq{method: http.MethodGet, path: tt.path, host: "127.0.0.1:8787"}.serve(t, emu)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			h := rec.Result().Header
			assert.Equal(t, tt.wantType, h.Get("Content-Type"))
			assert.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			assert.Contains(t, h.Get("Content-Security-Policy"), "connect-src 'self'")
			assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"))
			assert.Equal(t, "no-cache", h.Get("Cache-Control"))
			etag := h.Get("ETag")
			require.NotEmpty(t, etag)

			again := controlReq{method: http.MethodGet, path: tt.path, host: "127.0.0.1:8787", headers: []string{"If-None-Match", etag}}.serve(t, emu)
			assert.Equal(t, http.StatusNotModified, again.Code)
			assert.Empty(t, again.Body.String())
		})
	}
}

func TestConsoleRedirectAndUnknownFile(t *testing.T) {
	emu := testutil.NewServer(t).Emulator
	rec := controlReq{method: http.MethodGet, path: "/_emulator/ui", host: "localhost:8787"}.serve(t, emu)
	assert.Equal(t, http.StatusMovedPermanently, rec.Code)
	assert.Equal(t, emulator.ConsolePath, rec.Header().Get("Location"))

	for _, p := range []string{"/_emulator/ui/nope.js", "/_emulator/ui/..%2fconsole.go", "/_emulator/ui/a/b"} {
		rec := controlReq{method: http.MethodGet, path: p, host: "localhost:8787"}.serve(t, emu)
		assert.Equal(t, "not_found", errorCode(t, rec, http.StatusNotFound), p)
	}
	rec = controlReq{method: http.MethodPost, path: "/_emulator/ui/", host: "localhost:8787", headers: []string{"Content-Type", jsonType}}.serve(t, emu)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// TestConsoleGuard: the console's files answer only who may drive the
// control plane, but a control token, which a navigating browser cannot
// send, is not asked for them: the page asks for it itself.
func TestConsoleGuard(t *testing.T) {
	open := testutil.NewServer(t).Emulator
	withToken := testutil.NewServer(t, emulator.WithControlToken("console-guard-token-0123456789")).Emulator
	tests := []struct {
		name     string
		emu      *emulator.Emulator
		req      controlReq
		status   int
		wantCode string
	}{
		{"loopback", open, controlReq{host: "127.0.0.1:8787"}, 200, ""},
		{"localhost name", open, controlReq{host: "pdemu.localhost:8787"}, 200, ""},
		{"rebinding host", open, controlReq{host: "attacker.example:8787"}, 403, "control_host_not_allowed"},
		{"foreign origin", open, controlReq{host: "127.0.0.1:8787", headers: []string{"Origin", "http://attacker.example"}}, 403, "control_origin_not_allowed"},
		{"own origin", open, controlReq{host: "127.0.0.1:8787", headers: []string{"Origin", "http://127.0.0.1:8787"}}, 200, ""},
		{"token bind: page without token", withToken, controlReq{host: "10.0.0.5:8787"}, 200, ""},
		{"token bind: page from a foreign origin", withToken, controlReq{host: "10.0.0.5:8787", headers: []string{"Origin", "http://attacker.example"}}, 403, "control_origin_not_allowed"},
		{"token bind: API without token", withToken, controlReq{host: "10.0.0.5:8787", path: "/_emulator/oauth-clients"}, 401, "control_token_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.method = http.MethodGet
			if tt.req.path == "" {
				tt.req.path = "/_emulator/ui/"
			}
			rec := tt.req.serve(t, tt.emu)
			if tt.wantCode == "" {
				assert.Equal(t, tt.status, rec.Code, rec.Body.String())
				return
			}
			assert.Equal(t, tt.wantCode, errorCode(t, rec, tt.status))
		})
	}
}

// TestConsoleNotJournaled: loading the console is not a call to record.
func TestConsoleNotJournaled(t *testing.T) {
	srv := testutil.NewServer(t)
	for _, p := range []string{"/_emulator/ui", "/_emulator/ui/", "/_emulator/ui/app.js", "/_emulator/ui/style.css"} {
		srv.Do(http.MethodGet, p, "", nil)
	}
	srv.Do(http.MethodGet, "/_emulator/ui/missing.js", "", nil)
	n, err := srv.Emulator.CountRequests(emulator.RequestFilter{Route: "console.*"})
	require.NoError(t, err)
	assert.Zero(t, n)
}
