package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestControlGuardTakesNoLock: a refused control-plane request is answered
// while a reset holds the emulator, so a flood of them never waits behind
// (or holds up) one.
func TestControlGuardTakesNoLock(t *testing.T) {
	e := MustNew()
	e.resetMu.Lock()
	defer e.resetMu.Unlock()
	refused := []*http.Request{
		httptest.NewRequest(http.MethodPost, "http://evil.example/_emulator/reset", strings.NewReader("{}")),
		httptest.NewRequest(http.MethodPost, "http://127.0.0.1/_emulator/reset", strings.NewReader("")),
		httptest.NewRequest(http.MethodGet, "http://evil.example/_emulator/nope", nil),
	}
	for _, req := range refused {
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %s waited for the reset lock", req.Method, req.URL)
		}
		if rec.Code != http.StatusForbidden && rec.Code != http.StatusUnsupportedMediaType {
			t.Errorf("%s %s: %d %s, want a refusal", req.Method, req.URL, rec.Code, rec.Body)
		}
	}
}
