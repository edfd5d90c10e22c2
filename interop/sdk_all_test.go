package interop_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pdemu/pdemu/testutil"
)

// sdkLogo is the data URI sdk-all.mjs uploads with projects.updateLogo to
// the seeded project; the SDK returns nothing, so the test checks that the
// emulator stored it.
const sdkLogo = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

// TestOfficialSDKAllMethods runs interop/sdk/sdk-all.mjs, which calls every
// method of the official @pipedream/sdk against an in-process emulator,
// with an OAuth client and with Connect-token clients, and checks what
// comes back. The script fails when the SDK has a method it never called.
// The test supplies what the script cannot make itself: an upstream API
// for the Connect proxy (an echo server on loopback, which the proxy may
// reach by default) and the workflow domain that lets the SDK invoke
// workflows at the emulator's /_workflows/ URLs.
func TestOfficialSDKAllMethods(t *testing.T) {
	node := requireSDK(t)
	// As in TestOfficialSDK: reading the script makes an edit rerun the test.
	for _, f := range []string{"sdk-all.mjs", "package.json", "package-lock.json"} {
		if _, err := os.ReadFile(filepath.Join("sdk", f)); err != nil {
			t.Fatalf("read interop/sdk/%s: %v", f, err)
		}
	}

	srv := testutil.NewServer(t)
	up := &echoUpstream{}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)

	// A failed script still leaves state to check: the test goes on.
	runSDKScript(t, node, "sdk-all.mjs", append(srv.Env(),
		"PDEMU_UPSTREAM_URL="+upstream.URL,
		"PIPEDREAM_WORKFLOW_DOMAIN=127.0.0.1",
		"PDEMU_SDK_LOGO="+sdkLogo,
	))

	// What the script cannot see through the SDK.
	logo, found, err := srv.Emulator.ProjectLogo(srv.Credentials.ProjectID)
	want, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sdkLogo, "data:image/png;base64,"))
	if err != nil || !found {
		t.Errorf("seeded project has no logo after projects.updateLogo (found %v, err %v)", found, err)
	} else if logo.MediaType != "image/png" || !bytes.Equal(logo.Data, want) {
		t.Errorf("stored logo is %s, %d bytes; want the uploaded image/png, %d bytes", logo.MediaType, len(logo.Data), len(want))
	}
	methods := up.methods()
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		if !slices.Contains(methods, m) {
			t.Errorf("the upstream never received a %s through the proxy (got %v)", m, methods)
		}
	}
	if n := up.leaked(); n > 0 {
		t.Errorf("%d upstream request(s) carried a Pipedream credential (an OAuth access token or a Connect token)", n)
	}
}

// echoUpstream is the API behind the Connect proxy: it answers every
// request with what it received as JSON (method, path, query, selected
// headers, body) and records the requests.
type echoUpstream struct {
	mu   sync.Mutex
	seen []echoRequest
}

type echoRequest struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   map[string]any    `json:"query"`
	Headers map[string]string `json:"headers"`
	Body    any               `json:"body"`
	raw     string
}

// echoHeaders are the request headers the echo shows: the credential the
// proxy injected, the caller's own (forwarded x-pd-proxy-* ones), and
// some the proxy must not forward.
var echoHeaders = []string{
	"Authorization", "Content-Type", "Accept", "X-Custom-Header",
	"X-Pd-Environment", "X-Fern-Sdk-Name", "X-Pd-Proxy-X-Custom-Header",
}

func (u *echoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	req := echoRequest{Method: r.Method, Path: r.URL.Path, Query: map[string]any{}, Headers: map[string]string{}, raw: string(b)}
	for k, vs := range r.URL.Query() {
		if len(vs) == 1 {
			req.Query[k] = vs[0]
		} else {
			req.Query[k] = vs
		}
	}
	for _, h := range echoHeaders {
		if v := r.Header.Get(h); v != "" {
			req.Headers[strings.ToLower(h)] = v
		}
	}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &req.Body); err != nil {
			req.Body = string(b)
		}
	}
	u.mu.Lock()
	u.seen = append(u.seen, req)
	u.mu.Unlock()

	if r.URL.Path == "/bytes" {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte{0, 1, 2, 253, 254, 255})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Upstream", "pdemu-echo")
	_ = json.NewEncoder(w).Encode(req)
}

func (u *echoUpstream) methods() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, r := range u.seen {
		if !slices.Contains(out, r.Method) {
			out = append(out, r.Method)
		}
	}
	return out
}

// leaked counts the requests that reached the upstream with a Pipedream
// credential, which the proxy must replace with the account's: an OAuth
// access token (a JWT, "eyJ…") or a Connect token (ctok_…).
func (u *echoUpstream) leaked() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for _, r := range u.seen {
		h, _ := json.Marshal(r.Headers)
		if strings.Contains(string(h), "eyJ") || strings.Contains(string(h), "ctok_") || strings.Contains(r.raw, "ctok_") {
			n++
		}
	}
	return n
}
