package emulator_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// controlReq is one request to an emulator's handler, with every header the
// guard reads under the test's control (httptest.NewRequest would say
// Host: example.com).
type controlReq struct {
	method, path, host, body string
	// headers are name, value pairs; a nil value list sends no header.
	headers []string
	tls     bool
}

func (c controlReq) serve(t *testing.T, emu *emulator.Emulator) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
	req.Host = c.host
	if !c.tls {
		req.TLS = nil
	} else {
		req.TLS = &tls.ConnectionState{}
	}
	for i := 0; i+1 < len(c.headers); i += 2 {
		req.Header.Add(c.headers[i], c.headers[i+1])
	}
	rec := httptest.NewRecorder()
	emu.ServeHTTP(rec, req)
	assertNoCORS(t, rec.Result().Header)
	return rec
}

// assertNoCORS: pdemu never grants a browser anything through CORS.
func assertNoCORS(t *testing.T, h http.Header) {
	t.Helper()
	for name := range h {
		assert.False(t, strings.HasPrefix(strings.ToLower(name), "access-control-"), "pdemu sent %s", name)
	}
}

// errorCode checks that rec is a JSON error with status and returns its code.
func errorCode(t *testing.T, rec *httptest.ResponseRecorder, status int) string {
	t.Helper()
	require.Equal(t, status, rec.Code, rec.Body.String())
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
	assert.NotEmpty(t, body.ErrorDescription)
	return body.Error
}

const jsonType = "application/json"

// TestControlPlaneHostRule: without a control token only loopback Hosts
// (and the advertised one) reach the control plane, for reads and writes
// alike; a refused write creates nothing.
func TestControlPlaneHostRule(t *testing.T) {
	plain := emulator.MustNew()
	advertised := emulator.MustNew(emulator.WithAdvertiseURL("https://PDemu.example.com"))
	tests := []struct {
		host string
		// allowed without and with the advertised URL.
		plain, advertised bool
	}{
		{"localhost", true, true},
		{"localhost:8787", true, true},
		{"LOCALHOST", true, true},
		{"localhost.", true, true},
		{"localhost:", true, true},
		{"app.localhost", true, true},
		{"App.LocalHost:3000", true, true},
		{"127.0.0.1", true, true},
		{"127.0.0.1:8787", true, true},
		{"127.1.2.3:80", true, true},
		{"127.255.255.254:65535", true, true},
		{"[::1]", true, true},
		{"[::1]:8787", true, true},
		{"pdemu.example.com", false, true},
		{"PDEMU.EXAMPLE.COM:443", false, true},
		{"pdemu.example.com:80", false, false}, // the advertised URL is https: port 443
		{"evil.example", false, false},
		{"evil.example:8787", false, false},
		{"127.0.0.1.nip.io", false, false},
		{"localhost.evil.example", false, false},
		{"evillocalhost", false, false},
		{".localhost", false, false},
		{"0.0.0.0", false, false},
		{"0.0.0.0:8787", false, false},
		{"[::]", false, false},
		{"[::]:8787", false, false},
		{"10.0.0.1", false, false},
		{"192.168.1.5:8787", false, false},
		// IPv4-mapped IPv6: netip calls it loopback, no client needs it.
		{"[::ffff:7f00:1]", false, false},
		{"[::ffff:127.0.0.1]:8787", false, false},
		{"[::1%25lo]:8787", false, false},
		{"[127.0.0.1]", false, false},
		{"::1", false, false},
		{"127.1", false, false},
		{"0x7f.0.0.1", false, false},
		{"127.0.0.1:99999", false, false},
		{"127.0.0.1:http", false, false},
		{"", false, false},
	}
	for _, tc := range tests {
		for _, target := range []struct {
			name    string
			emu     *emulator.Emulator
			allowed bool
		}{{"plain", plain, tc.plain}, {"advertised", advertised, tc.advertised}} {
			t.Run(target.name+"/"+tc.host, func(t *testing.T) {
				emu := target.emu
				read := controlReq{method: "GET", path: "/_emulator/oauth-clients", host: tc.host}.serve(t, emu)
				before := emu.Clients()
				write := controlReq{method: "POST", path: "/_emulator/oauth-clients", host: tc.host,
					body: `{"name":"host check"}`, headers: []string{"Content-Type", jsonType}}.serve(t, emu)
				if target.allowed {
					assert.Equal(t, http.StatusOK, read.Code, read.Body.String())
					assert.Equal(t, http.StatusCreated, write.Code, write.Body.String())
					return
				}
				assert.Equal(t, "control_host_not_allowed", errorCode(t, read, http.StatusForbidden))
				assert.Equal(t, "control_host_not_allowed", errorCode(t, write, http.StatusForbidden))
				assert.NotContains(t, read.Body.String(), `"data"`, "a refused read shows nothing")
				assert.Contains(t, read.Body.String(), "DNS rebinding", "the refusal says why")
				assert.Equal(t, before, emu.Clients(), "a refused write creates nothing")
			})
		}
	}

	// The emulated API answers whatever name it is reached by, as the real
	// one does: only the control plane is guarded.
	c := plain.Credentials()
	form := "grant_type=client_credentials&client_id=" + c.ClientID + "&client_secret=" + c.ClientSecret
	for _, req := range []controlReq{
		{method: "GET", path: "/.well-known/jwks.json", host: "evil.example", headers: []string{"Origin", "http://evil.example"}},
		{method: "POST", path: "/v1/oauth/token", host: "192.168.1.5:8787", body: form,
			headers: []string{"Content-Type", "application/x-www-form-urlencoded", "Origin", "null"}},
	} {
		assert.Equal(t, http.StatusOK, req.serve(t, plain).Code, req.path)
	}
}

// TestControlPlaneOriginRule: a request carrying an Origin other than the
// emulator's own is refused, whatever its Host.
func TestControlPlaneOriginRule(t *testing.T) {
	plain := emulator.MustNew()
	advertised := emulator.MustNew(emulator.WithAdvertiseURL("https://pdemu.example.com:8443/"))
	tests := []struct {
		name    string
		emu     *emulator.Emulator
		host    string
		tls     bool
		origin  []string // nil: no Origin header
		allowed bool
	}{
		{"no origin", plain, "127.0.0.1:8787", false, nil, true},
		{"same origin", plain, "127.0.0.1:8787", false, []string{"http://127.0.0.1:8787"}, true},
		{"same origin, other case", plain, "LocalHost:8787", false, []string{"HTTP://localhost:8787"}, true},
		{"same origin, default port spelt out", plain, "localhost", false, []string{"http://localhost:80"}, true},
		{"same origin over TLS", plain, "localhost", true, []string{"https://localhost"}, true},
		{"advertised origin", advertised, "127.0.0.1:8787", false, []string{"https://pdemu.example.com:8443"}, true},
		{"foreign site", plain, "127.0.0.1:8787", false, []string{"http://evil.example"}, false},
		{"null", plain, "127.0.0.1:8787", false, []string{"null"}, false},
		{"empty", plain, "127.0.0.1:8787", false, []string{""}, false},
		{"another port of localhost", plain, "localhost:8787", false, []string{"http://localhost:9999"}, false},
		{"another loopback name", plain, "127.0.0.1:8787", false, []string{"http://localhost:8787"}, false},
		{"https against http", plain, "127.0.0.1:8787", false, []string{"https://127.0.0.1:8787"}, false},
		{"http against https", plain, "localhost", true, []string{"http://localhost"}, false},
		{"with a path", plain, "127.0.0.1:8787", false, []string{"http://127.0.0.1:8787/"}, false},
		{"twice", plain, "127.0.0.1:8787", false, []string{"http://127.0.0.1:8787", "http://127.0.0.1:8787"}, false},
		{"advertised host, other scheme", advertised, "127.0.0.1:8787", false, []string{"http://pdemu.example.com:8443"}, false},
		{"advertised URL not given", plain, "127.0.0.1:8787", false, []string{"https://pdemu.example.com:8443"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			for _, o := range tc.origin {
				h = append(h, "Origin", o)
			}
			read := controlReq{method: "GET", path: "/_emulator/oauth-clients", host: tc.host, tls: tc.tls, headers: h}.serve(t, tc.emu)
			before := tc.emu.Clients()
			write := controlReq{method: "POST", path: "/_emulator/oauth-clients", host: tc.host, tls: tc.tls,
				body: `{"name":"origin check"}`, headers: append([]string{"Content-Type", jsonType}, h...)}.serve(t, tc.emu)
			if tc.allowed {
				assert.Equal(t, http.StatusOK, read.Code, read.Body.String())
				assert.Equal(t, http.StatusCreated, write.Code, write.Body.String())
				return
			}
			assert.Equal(t, "control_origin_not_allowed", errorCode(t, read, http.StatusForbidden))
			assert.Equal(t, "control_origin_not_allowed", errorCode(t, write, http.StatusForbidden))
			assert.Equal(t, before, tc.emu.Clients(), "a refused write creates nothing")
		})
	}
}

// TestControlPlaneOriginOverTheNetwork checks the Origin rule against the
// Host a real client sends, through a real listener.
func TestControlPlaneOriginOverTheNetwork(t *testing.T) {
	srv := testutil.NewServer(t)
	other := httptest.NewServer(http.NotFoundHandler()) // a port nothing of pdemu's listens on
	defer other.Close()
	tests := []struct {
		origin string
		status int
	}{
		{"", http.StatusOK},
		{srv.URL, http.StatusOK},
		{other.URL, http.StatusForbidden},
		{strings.Replace(srv.URL, "http://", "https://", 1), http.StatusForbidden},
		{"http://evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
	}
	for _, tc := range tests {
		var h []string
		if tc.origin != "" {
			h = []string{"Origin", tc.origin}
		}
		r := srv.Do("GET", "/_emulator/clock", "", nil, h...)
		assert.Equal(t, tc.status, r.Status, "Origin %q: %s", tc.origin, r.Body)
		assertNoCORS(t, r.Header)
	}
}

// TestControlPlaneContentTypeRule: every control-plane write, bodyless or
// not, needs Content-Type: application/json. Refused ones change nothing.
func TestControlPlaneContentTypeRule(t *testing.T) {
	emu := emulator.MustNew(emulator.WithMaxBodyBytes(1024))
	c := emu.Credentials()
	kept, _, err := emu.CreateClient(emulator.ClientSpec{Name: "kept"})
	require.NoError(t, err)
	var writes []emulator.Endpoint
	for _, ep := range emu.Endpoints() {
		if ep.Auth == emulator.ControlPlane && ep.Method != http.MethodGet {
			writes = append(writes, ep)
		}
	}
	require.NotEmpty(t, writes)
	var methods []string
	for _, ep := range writes {
		methods = append(methods, ep.Method)
	}
	assert.Subset(t, methods, []string{"POST", "PUT", "DELETE"})
	fill := strings.NewReplacer("{project_id}", c.ProjectID, "{client_id}", c.ClientID)
	refused := []struct{ name, contentType, body string }{
		{"no type, no body", "", ""},
		{"no type, JSON body", "", `{"seconds":3600,"name":"x","now":"2040-01-01T00:00:00Z"}`},
		{"text/plain", "text/plain", `{"seconds":3600,"name":"x","now":"2040-01-01T00:00:00Z"}`},
		{"text/plain with charset", "text/plain;charset=UTF-8", `{}`},
		{"form", "application/x-www-form-urlencoded", "seconds=3600&name=x"},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--x--\r\n"},
		{"JSON-looking subtype", "application/json-patch+json", `{}`},
		{"malformed type", "application/json; charset", `{}`},
		// Judged before the body is read: too large is not what is said.
		{"too large", "text/plain", strings.Repeat("x", 4096)},
	}
	for _, ep := range writes {
		path := regexp.MustCompile(`\{[a-z_0-9]+\}`).ReplaceAllString(fill.Replace(ep.Path), "x")
		for _, tc := range refused {
			t.Run(ep.Name+"/"+tc.name, func(t *testing.T) {
				clients, now := emu.Clients(), emu.Clock().Now()
				var h []string
				if tc.contentType != "" {
					h = []string{"Content-Type", tc.contentType}
				}
				rec := controlReq{method: ep.Method, path: path, host: "127.0.0.1:8787", body: tc.body, headers: h}.serve(t, emu)
				assert.Equal(t, "invalid_request", errorCode(t, rec, http.StatusUnsupportedMediaType))
				assert.Contains(t, rec.Body.String(), "application/json")
				assert.Equal(t, clients, emu.Clients(), "no client created, rotated or deleted")
				assert.Equal(t, now, emu.Clock().Now(), "the clock did not move")
				_, err := emu.GetClient(kept.ID)
				assert.NoError(t, err, "a refused reset or delete left the client in place")
				_, err = emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: c.ClientSecret})
				assert.NoError(t, err, "the seeded secret still works")
			})
		}
	}

	// Reads need no type.
	rec := controlReq{method: "GET", path: "/_emulator/clock", host: "localhost"}.serve(t, emu)
	assert.Equal(t, http.StatusOK, rec.Code)

	// The JSON type, with parameters or without, lets bodyless writes pass
	// with an empty body or {}.
	for _, contentType := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		for _, body := range []string{"", "{}"} {
			t.Run("accepted/"+contentType+"/"+body, func(t *testing.T) {
				emu := emulator.MustNew()
				do := func(method, path string) *httptest.ResponseRecorder {
					return controlReq{method: method, path: path, host: "127.0.0.1:8787", body: body,
						headers: []string{"Content-Type", contentType}}.serve(t, emu)
				}
				_, extra, err := emu.CreateClient(emulator.ClientSpec{Name: "extra"})
				require.NoError(t, err)
				r := do("POST", "/_emulator/oauth-clients/"+extra.ClientID+"/rotate-secret")
				require.Equal(t, http.StatusOK, r.Code, r.Body.String())
				_, err = emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: extra.ClientID, ClientSecret: extra.ClientSecret})
				assert.Error(t, err, "rotated: the old secret fails")
				r = do("DELETE", "/_emulator/oauth-clients/"+extra.ClientID)
				require.Equal(t, http.StatusNoContent, r.Code, r.Body.String())
				_, err = emu.GetClient(extra.ClientID)
				assert.Error(t, err, "deleted")
				_, _, err = emu.CreateClient(emulator.ClientSpec{Name: "gone after reset"})
				require.NoError(t, err)
				r = do("POST", "/_emulator/reset")
				require.Equal(t, http.StatusOK, r.Code, r.Body.String())
				assert.Len(t, emu.Clients(), 1, "reset: only the seeded client is left")
				if body != "" {
					r = do("POST", "/_emulator/clock/advance")
					assert.Equal(t, http.StatusBadRequest, r.Code, "past the guard, the handler reads the body: %s", r.Body)
				}
			})
		}
	}
}

// TestControlPlanePreflight: a preflight grants nothing. pdemu sends no
// Access-Control-* header, and refuses a cross-origin OPTIONS like any
// other cross-origin request.
func TestControlPlanePreflight(t *testing.T) {
	emu := emulator.MustNew()
	tokenEmu := emulator.MustNew(emulator.WithControlToken("preflight-token"))
	for _, path := range []string{"/_emulator/oauth-clients", "/_emulator/reset", "/_emulator/clock/advance", "/_emulator/nope"} {
		for _, origin := range []string{"http://evil.example", "null", "http://127.0.0.1:8787", ""} {
			t.Run(path+"/"+origin, func(t *testing.T) {
				h := []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type, authorization"}
				if origin != "" {
					h = append(h, "Origin", origin)
				}
				for _, e := range []*emulator.Emulator{emu, tokenEmu} {
					rec := controlReq{method: "OPTIONS", path: path, host: "127.0.0.1:8787", headers: h}.serve(t, e)
					assert.GreaterOrEqual(t, rec.Code, 400, "a preflight never succeeds: %s", rec.Body)
					if origin != "" && origin != "http://127.0.0.1:8787" {
						assert.Equal(t, "control_origin_not_allowed", errorCode(t, rec, http.StatusForbidden))
					}
				}
			})
		}
	}
}

// TestControlPlaneUnroutedPaths: paths under /_emulator/ that match no
// route are guarded too, so a refused caller cannot even map them.
func TestControlPlaneUnroutedPaths(t *testing.T) {
	emu := emulator.MustNew()
	tokenEmu := emulator.MustNew(emulator.WithControlToken("unrouted-token"))
	tests := []struct {
		name   string
		emu    *emulator.Emulator
		req    controlReq
		status int
		code   string
	}{
		{"unknown path, foreign host", emu, controlReq{method: "GET", path: "/_emulator/nope", host: "evil.example"}, 403, "control_host_not_allowed"},
		{"wrong method, foreign host", emu, controlReq{method: "PATCH", path: "/_emulator/clock", host: "evil.example", headers: []string{"Content-Type", jsonType}}, 403, "control_host_not_allowed"},
		{"escaped prefix, foreign host", emu, controlReq{method: "GET", path: "/%5Femulator/health", host: "evil.example"}, 403, "control_host_not_allowed"},
		{"unknown path, foreign origin", emu, controlReq{method: "GET", path: "/_emulator/nope", host: "localhost", headers: []string{"Origin", "http://evil.example"}}, 403, "control_origin_not_allowed"},
		{"unknown path, text/plain write", emu, controlReq{method: "POST", path: "/_emulator/nope", host: "localhost", headers: []string{"Content-Type", "text/plain"}}, 415, "invalid_request"},
		{"unknown path, no token", tokenEmu, controlReq{method: "GET", path: "/_emulator/nope", host: "localhost"}, 401, "control_token_required"},
		{"unknown path, allowed", emu, controlReq{method: "GET", path: "/_emulator/nope", host: "localhost"}, 404, "not_found"},
		{"wrong method, allowed", emu, controlReq{method: "PATCH", path: "/_emulator/clock", host: "localhost", headers: []string{"Content-Type", jsonType}}, 405, "method_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, errorCode(t, tc.req.serve(t, tc.emu), tc.status))
		})
	}
}

// TestControlToken: in token mode every control-plane request needs the
// token, whatever its Host; the Origin and Content-Type rules still apply;
// the token never shows in an answer or a log line.
func TestControlToken(t *testing.T) {
	const token = "ctl-Zq9_Token.value-0123456789"
	var logs bytes.Buffer
	emu := emulator.MustNew(emulator.WithControlToken(token), emulator.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	var answers strings.Builder
	tests := []struct {
		name   string
		req    controlReq
		status int
		code   string // "" for success
	}{
		{"no token", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost"}, 401, "control_token_required"},
		{"wrong token", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "Bearer not-the-token"}}, 401, "invalid_control_token"},
		{"token's prefix", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "Bearer " + token[:len(token)-1]}}, 401, "invalid_control_token"},
		{"token and more", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "Bearer " + token + "x"}}, 401, "invalid_control_token"},
		{"wrong scheme", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "Basic " + token}}, 401, "control_token_required"},
		{"scheme only", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "Bearer"}}, 401, "control_token_required"},
		{"token as a query parameter", controlReq{method: "GET", path: "/_emulator/oauth-clients?access_token=" + token, host: "localhost"}, 401, "control_token_required"},
		{"right token", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "Bearer " + token}}, 200, ""},
		{"scheme in lower case", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "localhost", headers: []string{"Authorization", "bearer " + token}}, 200, ""},
		{"host rule off", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "pdemu.lan:8787", headers: []string{"Authorization", "Bearer " + token}}, 200, ""},
		{"no host at all", controlReq{method: "GET", path: "/_emulator/health", host: "", headers: []string{"Authorization", "Bearer " + token}}, 200, ""},
		{"foreign host, no token", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "evil.example"}, 401, "control_token_required"},
		{"write with the token", controlReq{method: "POST", path: "/_emulator/oauth-clients", host: "10.0.0.5:8787", body: `{"name":"tok"}`, headers: []string{"Authorization", "Bearer " + token, "Content-Type", jsonType}}, 201, ""},
		{"write without the token", controlReq{method: "POST", path: "/_emulator/oauth-clients", host: "localhost", body: `{"name":"tok"}`, headers: []string{"Content-Type", jsonType}}, 401, "control_token_required"},
		{"origin rule still on", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "pdemu.lan", headers: []string{"Authorization", "Bearer " + token, "Origin", "http://evil.example"}}, 403, "control_origin_not_allowed"},
		{"own origin", controlReq{method: "GET", path: "/_emulator/oauth-clients", host: "pdemu.lan", headers: []string{"Authorization", "Bearer " + token, "Origin", "http://pdemu.lan"}}, 200, ""},
		{"content-type rule still on", controlReq{method: "POST", path: "/_emulator/clock/advance", host: "pdemu.lan", body: `{"seconds":60}`, headers: []string{"Authorization", "Bearer " + token, "Content-Type", "text/plain"}}, 415, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, now := emu.Clients(), emu.Clock().Now()
			rec := tc.req.serve(t, emu)
			answers.WriteString(rec.Body.String())
			for _, vs := range rec.Header() {
				answers.WriteString(strings.Join(vs, "\n"))
			}
			if tc.code == "" {
				assert.Equal(t, tc.status, rec.Code, rec.Body.String())
				return
			}
			assert.Equal(t, tc.code, errorCode(t, rec, tc.status))
			if tc.status == http.StatusUnauthorized {
				assert.Equal(t, `Bearer realm="pdemu control plane"`, rec.Header().Get("WWW-Authenticate"))
			}
			assert.Equal(t, before, emu.Clients(), "a refused request changes nothing")
			assert.Equal(t, now, emu.Clock().Now())
		})
	}
	assert.NotContains(t, answers.String(), token, "no answer carries the token")
	assert.NotContains(t, answers.String(), token[4:20], "nor a piece of it")
	require.Contains(t, logs.String(), `"route":"oauthClients.list"`)
	assert.NotContains(t, logs.String(), token, "no log line carries the token")
	assert.NotContains(t, logs.String(), token[4:20])

	// The Go API needs no token.
	srv := testutil.NewServer(t, emulator.WithControlToken(token))
	creds := srv.CreateClient("go-api")
	srv.RotateSecret(creds.ClientID)
	srv.Advance(time.Hour)
	srv.Reset()
	assert.Equal(t, http.StatusUnauthorized, srv.Do("GET", "/_emulator/clock", "", nil).Status)
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/clock", token, nil).Status)
	// Health holds nothing the token protects, and a container's probe
	// cannot know a token pdemu generated: it answers without one, and
	// stays out of the journal.
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/health", "", nil).Status)
	assert.Equal(t, http.StatusOK, srv.Do("GET", "/_emulator/health", "wrong-token", nil).Status)
	n, err := srv.Emulator.CountRequests(emulator.RequestFilter{Route: "health"})
	require.NoError(t, err)
	assert.Zero(t, n, "health checks are not journaled")
	assert.Equal(t, "control_origin_not_allowed",
		errorCode(t, controlReq{method: http.MethodGet, path: "/_emulator/health", host: "10.0.0.5:8787",
			headers: []string{"Origin", "http://attacker.example"}}.serve(t, srv.Emulator), http.StatusForbidden))
	assert.Equal(t, http.StatusOK, srv.Do("POST", "/_emulator/reset", token, nil).Status, "Do sends the JSON type on a bodyless write")
}

// TestControlPlaneOptionsAreChecked: New refuses a control token or an
// advertise URL it could not honour, without repeating the token.
func TestControlPlaneOptionsAreChecked(t *testing.T) {
	for _, tok := range []string{"", "has space", "tab\there", "newline\n", "é-accent", "nul\x00"} {
		_, err := emulator.New(emulator.WithControlToken(tok))
		if assert.Error(t, err, "token %q", tok) && tok != "" {
			assert.NotContains(t, err.Error(), tok)
		}
	}
	for _, u := range []string{"pdemu.example.com", "127.0.0.1:8787", "ftp://pdemu.example.com", "http://", "http://:8787",
		"http://pdemu.example.com/api", "http://pdemu.example.com/?q", "http://pdemu.example.com?q=1",
		"http://pdemu.example.com#top", "http://user@pdemu.example.com", "http://pdemu.example.com:99999",
		"http://pdemu.example.com:port", "http://[::1", "http://[pdemu]:80", "/relative"} {
		_, err := emulator.New(emulator.WithAdvertiseURL(u))
		assert.Error(t, err, "advertise URL %q", u)
		assert.Equal(t, err != nil, emulator.CheckAdvertiseURL(u) != nil, "CheckAdvertiseURL agrees with New on %q", u)
	}
	for _, u := range []string{"http://pdemu.example.com", "https://pdemu.example.com/", "http://10.0.0.5:8787", "http://[::1]:8787", "HTTPS://PDEMU.example.com:8443"} {
		_, err := emulator.New(emulator.WithAdvertiseURL(u))
		assert.NoError(t, err, "advertise URL %q", u)
		assert.NoError(t, emulator.CheckAdvertiseURL(u))
	}
	for _, tok := range []string{"a", "0123456789abcdef", "tok_~!@#$%^&*()-+=[]{}|;:,.<>/?"} {
		assert.NoError(t, emulator.CheckControlToken(tok))
		_, err := emulator.New(emulator.WithControlToken(tok))
		assert.NoError(t, err)
	}
}

// FuzzControlGuard throws arbitrary Hosts, Origins, types and credentials
// at a control-plane write. Whatever comes, the answer is well formed and
// grants no CORS, the clock moves only when the write succeeds, and a
// success had the JSON type, the token and no foreign Origin.
func FuzzControlGuard(f *testing.F) {
	const token = "fuzz-token"
	f.Add(false, "POST", "127.0.0.1:8787", "", jsonType, "")
	f.Add(false, "POST", "[::1]:1", "http://[::1]:1", "application/json; charset=utf-8", "")
	f.Add(false, "PUT", "[::ffff:7f00:1]", "null", "text/plain", "")
	f.Add(false, "POST", "app.localhost.", "http://app.localhost.", jsonType, "")
	f.Add(true, "POST", "evil.example", "", jsonType, "Bearer "+token)
	f.Add(true, "POST", "", "http://", jsonType, "bearer  "+token)
	f.Add(true, "POST", "[", "[::1]", "application/json;", "Bearer")
	emus := map[bool]*emulator.Emulator{false: emulator.MustNew(), true: emulator.MustNew(emulator.WithControlToken(token))}
	f.Fuzz(func(t *testing.T, tokenMode bool, method, host, origin, contentType, auth string) {
		req, err := http.NewRequest(method, "http://127.0.0.1/_emulator/clock/advance", strings.NewReader(`{"seconds":1}`))
		if err != nil {
			return // not a request a client could send
		}
		req.Host = host
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", auth)
		emu := emus[tokenMode]
		before := emu.Clock().Now()
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, req)
		checkAnswer(t, rec)
		assertNoCORS(t, rec.Result().Header)
		moved := !emu.Clock().Now().Equal(before)
		if moved != (rec.Code == http.StatusOK) {
			t.Fatalf("status %d, clock moved: %v", rec.Code, moved)
		}
		if rec.Code != http.StatusOK {
			return
		}
		if mt, _, _ := strings.Cut(strings.ToLower(contentType), ";"); strings.TrimSpace(mt) != jsonType {
			t.Fatalf("a write with Content-Type %q passed", contentType)
		}
		if o, h := hostnameOf(origin), hostnameOf("http://"+host); origin != "" && (o == "" || !strings.EqualFold(o, h)) {
			t.Fatalf("Origin %q passed on Host %q", origin, host)
		}
		if tokenMode && !strings.HasSuffix(auth, " "+token) {
			t.Fatalf("Authorization %q passed", auth)
		}
	})
}

func hostnameOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}
