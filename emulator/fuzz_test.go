package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/pdemu/pdemu/emulator"
)

// checkAnswer fails unless rec holds a well-formed answer: never a 5xx,
// and every error a JSON object with an error field.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code >= 400 {
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("error body is not JSON: %q", rec.Body)
		}
		if s, _ := body["error"].(string); s == "" {
			t.Fatalf("error body has no error field: %q", rec.Body)
		}
	}
}

// fuzzRequest builds a request the way a local client of pdemu sends it:
// to a loopback Host, and with Content-Type: application/json on the
// control plane, so that fuzzed input reaches the adapters rather than
// stopping at the control plane's guard (FuzzControlGuard fuzzes that).
func fuzzRequest(method, target, body string) (*http.Request, error) {
	req, err := http.NewRequest(method, "http://127.0.0.1:8787"+target, strings.NewReader(body))
	if err == nil && strings.HasPrefix(req.URL.Path, "/_emulator/") {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, err
}

// FuzzTokenEndpoint throws arbitrary bodies, content types and
// Authorization headers at POST /v1/oauth/token.
func FuzzTokenEndpoint(f *testing.F) {
	emu := emulator.MustNew()
	c := emu.Credentials()
	f.Add(`{"grant_type":"client_credentials","client_id":"`+c.ClientID+`","client_secret":"`+c.ClientSecret+`"}`, "application/json", "")
	f.Add("grant_type=client_credentials&scope=connect%3A%2A", "application/x-www-form-urlencoded", "Basic "+c.ClientID)
	f.Add(`{"scope":["*"]}`, "application/json; charset=utf-8", "Bearer x")
	f.Add("\x00\xff", "multipart/form-data; boundary=x", "Basic ===")
	f.Fuzz(func(t *testing.T, body, contentType, auth string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		checkAnswer(t, rec)
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("no Cache-Control: no-store")
		}
	})
}

// FuzzRevokeEndpoint throws arbitrary bodies, content types and
// Authorization headers at POST /v1/oauth/revoke, with a live token among
// the seeds so that revocations happen too.
func FuzzRevokeEndpoint(f *testing.F) {
	emu := emulator.MustNew()
	c := emu.Credentials()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(`{"token":"`+tok.AccessToken+`","client_id":"`+c.ClientID+`","client_secret":"`+c.ClientSecret+`"}`, "application/json", "")
	f.Add("token="+tok.AccessToken+"&token_type_hint=access_token", "application/x-www-form-urlencoded", "Basic "+c.ClientID)
	f.Add(`{"token":"ctok_00000000000000000000000000000000","token_type_hint":{}}`, "application/json; charset=utf-8", "Bearer x")
	f.Add("token=a.b.c&token=d", "application/x-www-form-urlencoded", "Basic ===")
	f.Add("\x00\xff", "multipart/form-data; boundary=x", "")
	f.Fuzz(func(t *testing.T, body, contentType, auth string) {
		req := httptest.NewRequest(http.MethodPost, "/v1/oauth/revoke", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		checkAnswer(t, rec)
		if rec.Code == http.StatusOK && strings.TrimSpace(rec.Body.String()) != "{}" {
			t.Fatalf("a revocation answers {}, not %q", rec.Body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("no Cache-Control: no-store")
		}
	})
}

// FuzzProtectedEndpoints throws arbitrary paths, bodies and headers at the
// Connect API with a valid token, so that the adapters, not the bearer
// check, see the junk.
func FuzzProtectedEndpoints(f *testing.F) {
	emu := emulator.MustNew()
	c := emu.Credentials()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		f.Fatal(err)
	}
	// Every route of the table, with junk and with plausible bodies, so a
	// new endpoint is fuzzed from the day it is added.
	for _, ep := range emu.Endpoints() {
		path := strings.NewReplacer("{project_id}", c.ProjectID, "{path:.*}", "a/b").Replace(ep.Path)
		path = regexp.MustCompile(`\{[a-z_0-9]+\}`).ReplaceAllString(path, "x")
		f.Add(ep.Method, path, `{"name":"x","external_user_id":"u","id":"slack-send-message","app_slug":"slack","cfmap_json":"{}"}`, "development")
		f.Add(ep.Method, path+"?limit=0&external_user_id=%00&include_credentials=maybe", `[1,{"a":null}]`, "staging")
	}
	for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
		f.Add(m, "/v1/connect/projects", `{"name":"x"}`, "production")
		f.Add(m, "/v1/connect/projects/"+c.ProjectID, `{"name":null,"app_name":7}`, "")
		f.Add(m, "/v1/connect/"+c.ProjectID+"/users?limit=5&after=AAAA&q=%00", "", "development")
		f.Add(m, "/_emulator/oauth-clients", `{"name":"`+strings.Repeat("é", 300)+`"}`, "")
		f.Add(m, "/_emulator/clock/advance", `{"seconds":1e308}`, "")
	}
	f.Fuzz(func(t *testing.T, method, target, body, env string) {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		req, err := fuzzRequest(method, target, body)
		if err != nil {
			return // not a request a client could send
		}
		if strings.HasPrefix(req.URL.Path, "/_emulator/") && (method == http.MethodDelete || strings.Contains(req.URL.Path, "reset")) {
			return // would revoke the token every later input relies on
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("X-PD-Environment", env)
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		checkAnswer(t, rec)
	})
}
