package emulator_test

import (
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/testutil"
)

// upstreamRecorder is an API on loopback that remembers what it was sent.
type upstreamRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recordedRequest
}

type recordedRequest struct {
	Method, URI string
	Header      http.Header
	Body        []byte
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstreamRecorder {
	u := &upstreamRecorder{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, recordedRequest{Method: r.Method, URI: r.URL.RequestURI(), Header: r.Header.Clone(), Body: b})
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstreamRecorder) last(t *testing.T) recordedRequest {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	require.NotEmpty(t, u.reqs, "the upstream was not called")
	return u.reqs[len(u.reqs)-1]
}

func (u *upstreamRecorder) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

// url64 encodes a target as the SDK does: standard base64, then
// encodeURIComponent.
func url64(target string) string {
	return url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(target)))
}

type proxyFixture struct {
	srv       *testutil.Server
	up        *upstreamRecorder
	oauth     string // an OAuth token with connect:proxy
	slack     string // alice's OAuth account (development)
	openai    string // alice's keys account (development)
	bobSlack  string // bob's account
	prodSlack string // alice's account in production
}

const aliceAccessToken = "alice-slack-access-token"

func newProxyFixture(t *testing.T) *proxyFixture {
	srv := testutil.NewServer(t)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status/500":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "upstream broke")
		case "/status/429":
			w.Header().Set("Retry-After", "3")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, `{"error":"slow down"}`)
		case "/status/204":
			w.WriteHeader(http.StatusNoContent)
		case "/png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0, 0xff})
		case "/gzip":
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				http.Error(w, "send Accept-Encoding: gzip", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "text/plain")
			zw := gzip.NewWriter(w)
			_, _ = io.WriteString(zw, "decompressed")
			_ = zw.Close()
		case "/nobody":
			w.Header()["Content-Type"] = nil
			w.WriteHeader(http.StatusOK)
		default:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"echo":true}`)
		}
	})
	pid := srv.Credentials.ProjectID
	connect := func(env, user, app string, creds map[string]any) string {
		id, err := srv.Emulator.ConnectAccount(pid, env, user, app, creds)
		require.NoError(t, err)
		return id
	}
	return &proxyFixture{
		srv: srv, up: up, oauth: srv.Token("connect:proxy"),
		slack:     connect("development", "alice", "slack", map[string]any{"oauth_access_token": aliceAccessToken}),
		openai:    connect("development", "alice", "openai", map[string]any{"api_key": "sk-alice"}),
		bobSlack:  connect("development", "bob", "slack", nil),
		prodSlack: connect("production", "alice", "slack", nil),
	}
}

// path is the SDK's request line for a proxy call with an OAuth token.
func (f *proxyFixture) path(target, user, account string) string {
	return "/v1/connect/" + f.srv.Credentials.ProjectID + "/proxy/" + url64(target) +
		"?external_user_id=" + url.QueryEscape(user) + "&account_id=" + account
}

func (f *proxyFixture) do(method, path string, body any, headers ...string) testutil.Response {
	return f.srv.Do(method, path, f.oauth, body, append([]string{"x-pd-environment", "development"}, headers...)...)
}

func TestProxyForwardsAsTheAccount(t *testing.T) {
	f := newProxyFixture(t)
	r := f.do("GET", f.path(f.up.URL+"/v1/items?x=1", "alice", f.slack), nil,
		"x-pd-proxy-accept", "application/json", "x-pd-proxy-x-trace", "t-1", "x-pd-proxy-connection", "close", "x-custom", "stays")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"echo":true}`, string(r.Body))

	got := f.up.last(t)
	assert.Equal(t, "GET", got.Method)
	assert.Equal(t, "/v1/items?x=1", got.URI)
	assert.Equal(t, "Bearer "+aliceAccessToken, got.Header.Get("Authorization"), "the account's token, never the caller's")
	assert.NotContains(t, got.Header.Get("Authorization"), f.oauth)
	assert.Equal(t, "application/json", got.Header.Get("Accept"))
	assert.Equal(t, "t-1", got.Header.Get("X-Trace"))
	assert.Empty(t, got.Header.Get("X-Custom"), "only x-pd-proxy-* headers are forwarded")
	assert.Empty(t, got.Header.Get("X-Pd-Environment"))
	assert.Empty(t, got.Header.Values("X-Pd-Proxy-Accept"))
}

func TestProxyMethodsBodiesAndStatuses(t *testing.T) {
	f := newProxyFixture(t)
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		r := f.do(m, f.path(f.up.URL+"/things", "alice", f.slack), map[string]any{"name": "x", "n": 1})
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", m, r.Body)
		got := f.up.last(t)
		assert.Equal(t, m, got.Method)
		assert.JSONEq(t, `{"name":"x","n":1}`, string(got.Body), m)
		assert.Equal(t, "application/json", got.Header.Get("Content-Type"), "%s: the body's type goes with it", m)
	}

	binary := []byte{0, 1, 2, 0xfe, 0xff}
	r := f.do("POST", f.path(f.up.URL+"/png", "alice", f.slack), binary, "x-pd-proxy-content-type", "application/octet-stream")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "image/png", r.Header.Get("Content-Type"))
	assert.Equal(t, []byte{0x89, 'P', 'N', 'G', 0, 0xff}, r.Body, "binary bodies pass through byte for byte")
	assert.Equal(t, binary, f.up.last(t).Body)
	assert.Equal(t, "application/octet-stream", f.up.last(t).Header.Get("Content-Type"), "x-pd-proxy-content-type wins")

	r = f.do("GET", f.path(f.up.URL+"/status/500", "alice", f.slack), nil)
	assert.Equal(t, http.StatusInternalServerError, r.Status)
	assert.Equal(t, "upstream broke", string(r.Body))
	assert.Equal(t, "text/plain", r.Header.Get("Content-Type"))

	r = f.do("GET", f.path(f.up.URL+"/status/429", "alice", f.slack), nil)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "3", r.Header.Get("Retry-After"), "the upstream's rate-limit headers reach the caller (the SDK's retry reads them)")
	assert.Equal(t, "0", r.Header.Get("X-RateLimit-Remaining"))
	assert.JSONEq(t, `{"error":"slow down"}`, string(r.Body))

	r = f.do("DELETE", f.path(f.up.URL+"/status/204", "alice", f.slack), nil)
	assert.Equal(t, http.StatusNoContent, r.Status)
	assert.Empty(t, r.Body)

	r = f.do("GET", f.path(f.up.URL+"/nobody", "alice", f.slack), nil)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "application/octet-stream", r.Header.Get("Content-Type"), "an untyped upstream body is octet-stream")

	r = f.do("GET", f.path(f.up.URL+"/gzip", "alice", f.slack), nil, "x-pd-proxy-accept-encoding", "gzip")
	assert.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.Equal(t, "decompressed", string(r.Body), "pdemu cannot pass Content-Encoding, so it decodes")
}

func TestProxyURL64Forms(t *testing.T) {
	f := newProxyFixture(t)
	pid := f.srv.Credentials.ProjectID
	query := "?external_user_id=alice&account_id=" + f.slack
	raw := []byte(f.up.URL + "/search?q=x>?")
	encodings := map[string]string{
		"standard padded":   url.QueryEscape(base64.StdEncoding.EncodeToString(raw)),
		"standard unpadded": url.QueryEscape(base64.RawStdEncoding.EncodeToString(raw)),
		"url-safe padded":   base64.URLEncoding.EncodeToString(raw),
		"url-safe unpadded": base64.RawURLEncoding.EncodeToString(raw),
	}
	for name, enc := range encodings {
		r := f.do("GET", "/v1/connect/"+pid+"/proxy/"+enc+query, nil)
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", name, r.Body)
		assert.Equal(t, "/search?q=x>&", f.up.last(t).URI, name)
	}

	// The SDK appends params with "?" even after a query.
	r := f.do("GET", f.path(f.up.URL+"/list?page=2?limit=5&sort=asc", "alice", f.slack), nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	got, err := url.ParseRequestURI(f.up.last(t).URI)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"page": {"2"}, "limit": {"5"}, "sort": {"asc"}}, got.Query())

	for name, bad := range map[string]string{
		"not base64":   "%21%21%21",
		"relative URL": url64("/v1/items"),
		"ftp":          url64("ftp://127.0.0.1/x"),
		"user info":    url64("http://u:p@127.0.0.1/x"),
	} {
		r := f.do("GET", "/v1/connect/"+pid+"/proxy/"+bad+query, nil)
		assert.Equal(t, http.StatusBadRequest, r.Status, name)
		assert.Equal(t, "invalid_request", r.JSON(t)["error"], name)
	}
	assert.Equal(t, 5, f.up.count(), "refused requests never reach the upstream")
}

func TestProxyWithConnectTokens(t *testing.T) {
	f := newProxyFixture(t)
	ctok := f.srv.ConnectToken("alice", "connect:proxy")
	u64 := url64(f.up.URL + "/me")
	for _, path := range []string{
		"/v1/connect/proxy/" + u64 + "?account_id=" + f.slack,                                     // project-less
		"/v1/connect//proxy/" + u64 + "?external_user_id=alice&account_id=" + f.slack,             // the SDK's double slash
		"/v1/connect/" + f.srv.Credentials.ProjectID + "/proxy/" + u64 + "?account_id=" + f.slack, // with the project
	} {
		r := f.srv.Do("GET", path, ctok, nil)
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", path, r.Body)
		assert.Equal(t, "Bearer "+aliceAccessToken, f.up.last(t).Header.Get("Authorization"))
	}

	r := f.srv.Do("GET", "/v1/connect/proxy/"+u64+"?account_id="+f.bobSlack, ctok, nil)
	assert.Equal(t, http.StatusNotFound, r.Status, "another user's account")
	r = f.srv.Do("GET", "/v1/connect/proxy/"+u64+"?external_user_id=bob&account_id="+f.bobSlack, ctok, nil)
	assert.Equal(t, http.StatusBadRequest, r.Status, "a Connect token cannot act for another user")
	r = f.srv.Do("GET", "/v1/connect/proxy/"+u64+"?account_id="+f.prodSlack, ctok, nil)
	assert.Equal(t, http.StatusNotFound, r.Status, "the token's environment only")
}

func TestProxyRefusals(t *testing.T) {
	f := newProxyFixture(t)
	pid := f.srv.Credentials.ProjectID
	u64 := url64(f.up.URL + "/x")
	tests := []struct {
		name   string
		path   string
		status int
		code   string
	}{
		{"another user's account", f.path(f.up.URL+"/x", "alice", f.bobSlack), 404, "not_found"},
		{"account of another environment", f.path(f.up.URL+"/x", "alice", f.prodSlack), 404, "not_found"},
		{"unknown account", f.path(f.up.URL+"/x", "alice", "apn_nope"), 404, "not_found"},
		{"not an account id", f.path(f.up.URL+"/x", "alice", "dc_123"), 400, "invalid_request"},
		{"no account_id", "/v1/connect/" + pid + "/proxy/" + u64 + "?external_user_id=alice", 400, "invalid_request"},
		{"no external_user_id", "/v1/connect/" + pid + "/proxy/" + u64 + "?account_id=" + f.slack, 400, "invalid_request"},
		{"TEST-NET address", f.path("http://203.0.113.10/x", "alice", f.slack), 403, "host_not_allowed"},
		{"public name", f.path("https://example.com/x", "alice", f.slack), 403, "host_not_allowed"},
		{"private address", f.path("http://10.0.0.1:8080/x", "alice", f.slack), 403, "host_not_allowed"},
		{"metadata address", f.path("http://169.254.169.254/latest/meta-data", "alice", f.slack), 403, "host_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do("GET", tc.path, nil)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			body := r.JSON(t)
			assert.Equal(t, tc.code, body["error"])
			if tc.code == "host_not_allowed" {
				assert.Contains(t, body["error_description"], "/_emulator/proxy/allowed-hosts", "the 403 says how to allow the host")
			}
		})
	}
	assert.Zero(t, f.up.count(), "nothing refused reached the upstream")

	r := f.do("POST", f.path(f.up.URL+"/x", "alice", f.slack), strings.Repeat("x", 64<<10+1))
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status, "bodies are bounded like every other")

	r = f.srv.Do("GET", f.path(f.up.URL+"/x", "alice", f.slack), f.srv.Token("connect:accounts:read"), nil, "x-pd-environment", "development")
	assert.Equal(t, http.StatusForbidden, r.Status)
	assert.Equal(t, "insufficient_scope", r.JSON(t)["error"])
	assert.Zero(t, f.up.count())

	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	r = f.do("GET", f.path(downURL+"/x", "alice", f.slack), nil)
	assert.Equal(t, http.StatusBadGateway, r.Status)
	assert.Equal(t, "bad_gateway", r.JSON(t)["error"])
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
}

func TestProxyCredentialInjection(t *testing.T) {
	f := newProxyFixture(t)
	r := f.do("GET", f.path(f.up.URL+"/v1/models", "alice", f.openai), nil)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.Equal(t, "Bearer sk-alice", f.up.last(t).Header.Get("Authorization"), "keys accounts: Bearer <api_key>")

	r = f.do("GET", f.path(f.up.URL+"/v1/models", "alice", f.openai), nil,
		"x-pd-proxy-authorization", "Token {{api_key}}", "x-pd-proxy-x-key", "{{ api_key }}")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.Equal(t, "Token sk-alice", f.up.last(t).Header.Get("Authorization"), "the caller's own Authorization, macros filled")
	assert.Equal(t, "sk-alice", f.up.last(t).Header.Get("X-Key"))

	before := f.up.count()
	r = f.do("GET", f.path(f.up.URL+"/v1/models", "alice", f.openai), nil, "x-pd-proxy-authorization", "Bearer {{apikey}}")
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, r.JSON(t)["error_description"], "{{apikey}}")
	assert.Equal(t, before, f.up.count())
}

func TestProxyAllowedHostsControlPlane(t *testing.T) {
	f := newProxyFixture(t)
	put := func(body any) testutil.Response { return f.srv.Do("PUT", "/_emulator/proxy/allowed-hosts", "", body) }
	target := f.path(f.up.URL+"/x", "alice", f.slack)

	for name, body := range map[string]any{
		"missing hosts": map[string]any{},
		"null hosts":    `{"hosts": null}`,
		"unknown field": `{"hosts": [], "host": "x"}`,
		"not an array":  `{"hosts": "localhost"}`,
		"bad rule":      `{"hosts": ["https://api.example.com"]}`,
		"port":          `{"hosts": ["localhost:8080"]}`,
	} {
		r := put(body)
		assert.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", name, r.Body)
	}
	assert.Equal(t, []string{"localhost", "127.0.0.0/8", "::1"}, f.srv.Emulator.ProxyAllowedHosts(), "refused bodies change nothing")

	get := f.srv.Do("GET", "/_emulator/proxy/allowed-hosts", "", nil)
	require.Equal(t, http.StatusOK, get.Status)
	assert.JSONEq(t, `{"hosts":["localhost","127.0.0.0/8","::1"]}`, string(get.Body), "GET shows the list in force")
	r := put(map[string]any{"hosts": []string{"API.example.com", "*.example.org", "10.0.0.0/8"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.JSONEq(t, `{"hosts":["api.example.com","*.example.org","10.0.0.0/8"]}`, string(r.Body))
	assert.JSONEq(t, string(r.Body), string(f.srv.Do("GET", "/_emulator/proxy/allowed-hosts", "", nil).Body), "and the list set")
	r = f.do("GET", target, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "the list replaces the default: loopback is out")

	r = put(map[string]any{"hosts": []string{"127.0.0.1"}})
	require.Equal(t, http.StatusOK, r.Status)
	r = f.do("GET", target, nil)
	assert.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	r = put(map[string]any{"hosts": []string{}})
	require.Equal(t, http.StatusOK, r.Status)
	assert.JSONEq(t, `{"hosts":[]}`, string(r.Body))
	r = f.do("GET", target, nil)
	assert.Equal(t, http.StatusForbidden, r.Status, "an empty list allows nothing")

	f.srv.Reset()
	assert.Equal(t, []string{"localhost", "127.0.0.0/8", "::1"}, f.srv.Emulator.ProxyAllowedHosts(), "reset restores the default")

	hosts, err := f.srv.Emulator.SetProxyAllowedHosts("localhost")
	require.NoError(t, err)
	assert.Equal(t, []string{"localhost"}, hosts)
	_, err = f.srv.Emulator.SetProxyAllowedHosts("not a host")
	assert.Error(t, err)
}

func TestProxyCallsAreMetered(t *testing.T) {
	f := newProxyFixture(t)
	start := f.srv.Now().Unix()
	for range 3 {
		r := f.do("GET", f.path(f.up.URL+"/x", "alice", f.slack), nil)
		require.Equal(t, http.StatusCreated, r.Status)
	}
	r := f.do("GET", f.path(f.up.URL+"/status/500", "alice", f.slack), nil)
	require.Equal(t, http.StatusInternalServerError, r.Status)
	r = f.do("GET", f.path("http://203.0.113.10/", "alice", f.slack), nil)
	require.Equal(t, http.StatusForbidden, r.Status)

	r = f.srv.Do("GET", "/v1/connect/usage?start_ts="+itoa(start)+"&end_ts="+itoa(start+1), f.srv.Token("connect:usage:read"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	data := r.JSON(t)["data"].([]any)
	require.Len(t, data, 1)
	rec := data[0].(map[string]any)
	assert.EqualValues(t, 4, rec["proxy_credits_used"], "every call that reached the upstream, whatever its status; not refused ones")
	assert.EqualValues(t, 4, rec["credits_used"])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestProxyConcurrentCalls runs proxy calls and allow-list changes at
// once, for the race detector.
func TestProxyConcurrentCalls(t *testing.T) {
	f := newProxyFixture(t)
	target := f.srv.URL + f.path(f.up.URL+"/x", "alice", f.slack)
	var wg sync.WaitGroup
	statuses := make(chan int, 40)
	for range 40 {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", target, nil)
			req.Header.Set("Authorization", "Bearer "+f.oauth)
			req.Header.Set("x-pd-environment", "development")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Go(func() {
		_, _ = f.srv.Emulator.SetProxyAllowedHosts("127.0.0.1")
		_ = f.srv.Emulator.ProxyAllowedHosts()
	})
	wg.Wait()
	close(statuses)
	for s := range statuses {
		assert.Contains(t, []int{http.StatusCreated, http.StatusForbidden}, s)
	}
}

// TestStalledUpstreamBlocksNoOne: while a proxied call waits for a slow
// upstream, a Reset completes and health answers; the call then ends with
// the upstream's answer.
func TestStalledUpstreamBlocksNoOne(t *testing.T) {
	f := newProxyFixture(t)
	reached, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	slow := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		close(reached)
		<-release
		w.WriteHeader(http.StatusAccepted)
	})
	// Cleanups run last first: the upstream is released before it closes.
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })

	req, err := http.NewRequestWithContext(t.Context(), "GET", f.srv.URL+f.path(slow.URL+"/slow", "alice", f.slack), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.oauth)
	req.Header.Set("x-pd-environment", "development")
	answer := make(chan int, 1)
	go func() {
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			answer <- 0
			return
		}
		_ = resp.Body.Close()
		answer <- resp.StatusCode
	}()
	waitFor(t, reached, "the proxied request to reach the upstream")

	resetDone := make(chan error, 1)
	go func() { resetDone <- f.srv.Emulator.Reset() }()
	checkHealth(t, f.srv.URL)
	awaitReset(t, resetDone)

	releaseOnce.Do(func() { close(release) })
	select {
	case status := <-answer:
		assert.Equal(t, http.StatusAccepted, status, "the call started before the reset ends with the upstream's answer")
	case <-time.After(hangGuard):
		t.Fatal("the proxied call did not end once the upstream answered")
	}
}

// TestProxyLoopbackNeedsAnExplicitRule: "*" reaches the internet, not the
// services on this machine; a refused host is a 403 before any traffic.
func TestProxyLoopbackNeedsAnExplicitRule(t *testing.T) {
	f := newProxyFixture(t)
	port := f.up.Listener.Addr().(*net.TCPAddr).Port
	at := func(host string) string { return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/x" }
	tests := []struct {
		rules  []string
		target string
		status int
	}{
		{[]string{"*"}, at("localhost"), http.StatusForbidden},
		{[]string{"*"}, at("127.0.0.1"), http.StatusForbidden},
		{[]string{"*"}, at("::1"), http.StatusForbidden},
		{[]string{"localhost"}, at("localhost"), http.StatusCreated},
		{[]string{"*", "127.0.0.0/8", "::1"}, at("localhost"), http.StatusCreated},
		{connect.DefaultProxyHosts(), at("localhost"), http.StatusCreated},
		{connect.DefaultProxyHosts(), at("127.0.0.1"), http.StatusCreated},
	}
	for _, tc := range tests {
		_, err := f.srv.Emulator.SetProxyAllowedHosts(tc.rules...)
		require.NoError(t, err)
		before := f.up.count()
		r := f.do("GET", f.path(tc.target, "alice", f.slack), nil)
		require.Equal(t, tc.status, r.Status, "rules %q, %s: %s", tc.rules, tc.target, r.Body)
		if tc.status == http.StatusForbidden {
			assert.Equal(t, "host_not_allowed", r.JSON(t)["error"])
			assert.Equal(t, before, f.up.count(), "rules %q, %s: refused before any traffic", tc.rules, tc.target)
		} else {
			assert.Equal(t, before+1, f.up.count())
		}
	}
}

// TestProxyTimeoutIsA504: an upstream slower than the proxy timeout gets
// the caller a 504 upstream_timeout, even from a server whose WriteTimeout
// is half the proxy timeout (HTTP/1 would otherwise drop the connection,
// HTTP/2 reset the stream). With a logger, as pdemu serve runs, too.
func TestProxyTimeoutIsA504(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(http.ResponseWriter, *http.Request) { <-release })
	t.Cleanup(func() { close(release) }) // before up closes: cleanups run last first
	tests := []struct {
		name    string
		opts    []emulator.Option
		http2   bool
		timeout time.Duration
	}{
		{name: "HTTP/1.1", timeout: 80 * time.Millisecond},
		{name: "HTTP/1.1 logged", opts: []emulator.Option{emulator.WithLogger(slog.New(slog.DiscardHandler))}, timeout: 80 * time.Millisecond},
		// HTTP/2 starts a stream's write timer when the stream opens, so the
		// handler must reach the proxy within the write timeout: more time,
		// lest a loaded machine fail the test.
		{name: "HTTP/2", http2: true, timeout: 400 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			emu := emulator.MustNew(append(tc.opts, emulator.WithProxyTimeout(tc.timeout))...)
			srv := httptest.NewUnstartedServer(emu)
			srv.Config.WriteTimeout = tc.timeout / 2
			// HTTP/2 without TLS: a TLS handshake would have to fit in the
			// write timeout too, which a loaded machine need not manage.
			var protocols http.Protocols
			protocols.SetHTTP1(!tc.http2)
			protocols.SetUnencryptedHTTP2(tc.http2)
			srv.Config.Protocols = &protocols
			srv.Start()
			t.Cleanup(srv.Close)
			creds := emu.Credentials()
			account, err := emu.ConnectAccount(creds.ProjectID, "development", "alice", "slack", nil)
			require.NoError(t, err)
			tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials",
				ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, Scope: "connect:proxy"})
			require.NoError(t, err)

			req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/v1/connect/"+creds.ProjectID+"/proxy/"+
				url64(up.URL+"/slow")+"?external_user_id=alice&account_id="+account, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			req.Header.Set("x-pd-environment", "development")
			client := &http.Client{Timeout: hangGuard, Transport: &http.Transport{Protocols: &protocols}}
			t.Cleanup(client.CloseIdleConnections)
			resp, err := client.Do(req)
			require.NoError(t, err, "the answer must outlive the server's write timeout")
			defer resp.Body.Close()
			require.Equal(t, tc.http2, resp.ProtoMajor == 2, resp.Proto)
			assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			var body map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, "upstream_timeout", body["error"])
			assert.Contains(t, body["error_description"], "did not answer within "+tc.timeout.String())
		})
	}
}

// TestProxyCannotDriveTheControlPlane: the default allow-list reaches
// loopback, where pdemu itself listens, so a token with connect:proxy
// could otherwise aim the proxy at /_emulator/ with a JSON content type
// and a loopback Host. Every forwarded request names pdemu in Via, and the
// control plane refuses what pdemu relayed; the reset never happens.
func TestProxyCannotDriveTheControlPlane(t *testing.T) {
	f := newProxyFixture(t)
	kept := f.srv.CreateClient("must survive")
	for _, tc := range []struct{ method, path string }{
		{"POST", "/_emulator/reset"},
		{"GET", "/_emulator/oauth-clients"},
		{"POST", "/_emulator/clock/advance"},
	} {
		r := f.do(tc.method, f.path(f.srv.URL+tc.path, "alice", f.slack), map[string]any{"seconds": 3600},
			"x-pd-proxy-content-type", "application/json", "x-pd-proxy-via", "1.1 innocent")
		require.Equal(t, http.StatusForbidden, r.Status, "%s %s: %s", tc.method, tc.path, r.Body)
		assert.Equal(t, "control_relayed_by_proxy", r.JSON(t)["error"])
		assert.NotContains(t, string(r.Body), kept.ClientSecret)
	}
	_, err := f.srv.Emulator.GetClient(kept.ClientID)
	assert.NoError(t, err, "no reset happened")
	assert.Equal(t, clock.DefaultStart, f.srv.Now(), "the clock did not move")

	// The emulated API through the proxy is fine, and upstreams see Via.
	r := f.do("GET", f.path(f.up.URL+"/v1/items", "alice", f.slack), nil, "x-pd-proxy-via", "1.0 corp")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	assert.Equal(t, []string{"1.0 corp", "1.1 pdemu"}, f.up.last(t).Header.Values("Via"))
}
