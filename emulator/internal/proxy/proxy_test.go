package proxy

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/internal/connect"
)

func TestDecodeURL64(t *testing.T) {
	const target = "https://api.example.com/v1/items?x=1&y=%C3%A9"
	std := base64.StdEncoding.EncodeToString([]byte(target + "?>"))
	require.True(t, strings.ContainsAny(std, "+/="), "the fixture must exercise the alphabets: %s", std)
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "standard padded", in: base64.StdEncoding.EncodeToString([]byte(target)), want: target},
		{name: "standard unpadded", in: base64.RawStdEncoding.EncodeToString([]byte(target)), want: target},
		{name: "url-safe padded", in: base64.URLEncoding.EncodeToString([]byte(target)), want: target},
		{name: "url-safe unpadded", in: base64.RawURLEncoding.EncodeToString([]byte(target)), want: target},
		{name: "plus and slash", in: base64.StdEncoding.EncodeToString([]byte("http://h/?a=>>>&b=???")), want: "http://h/?a=>>>&b=&&&"},
		{name: "the SDK's double question mark", in: b64("http://127.0.0.1:8080/x?y=1?a=b&c=d"), want: "http://127.0.0.1:8080/x?y=1&a=b&c=d"},
		{name: "params on a bare URL", in: b64("http://h/x?a=b"), want: "http://h/x?a=b"},
		{name: "fragment dropped", in: b64("http://h/x#frag"), want: "http://h/x"},
		{name: "IPv6 host", in: b64("http://[::1]:9/x"), want: "http://[::1]:9/x"},
		{name: "upper-case scheme", in: b64("HTTPS://h/"), want: "https://h/"},
		{name: "empty", in: "", wantErr: "base64"},
		{name: "not base64", in: "%%%", wantErr: "base64"},
		{name: "relative path", in: b64("/v1/items"), wantErr: "absolute"},
		{name: "no host", in: b64("http:///x"), wantErr: "absolute"},
		{name: "ftp", in: b64("ftp://h/x"), wantErr: "absolute"},
		{name: "javascript", in: b64("javascript:alert(1)"), wantErr: "absolute"},
		{name: "user info", in: b64("http://u:p@h/x"), wantErr: "user info"},
		{name: "port zero", in: b64("http://h:0/x"), wantErr: "port"},
		{name: "port too big", in: b64("http://h:65536/x"), wantErr: "port"},
		{name: "control character", in: b64("http://h/\x00"), wantErr: "not a URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := DecodeURL64(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, u.String())
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestUpstreamHeader(t *testing.T) {
	in := http.Header{
		"Authorization":             {"Bearer pdemu-token"},
		"X-Pd-Environment":          {"development"},
		"Accept":                    {"*/*"},
		"X-Pd-Proxy-Accept":         {"application/json"},
		"X-Pd-Proxy-X-Custom":       {"a", "b"},
		"X-Pd-Proxy-Connection":     {"close"},
		"X-Pd-Proxy-Host":           {"evil.test"},
		"X-Pd-Proxy-Content-Length": {"5"},
		"X-Pd-Proxy-":               {"empty name"},
		"x-pd-proxy-lower":          {"kept"}, // not canonical: set directly in the map
		"X-Pd-Proxy-Authorization":  {"Basic Zm9v"},
	}
	got := UpstreamHeader(in)
	assert.Equal(t, http.Header{
		"Accept":        {"application/json"},
		"X-Custom":      {"a", "b"},
		"Lower":         {"kept"},
		"Authorization": {"Basic Zm9v"},
	}, got)
	got["X-Custom"][0] = "changed"
	assert.Equal(t, "a", in["X-Pd-Proxy-X-Custom"][0], "values are copied")
}

func TestExpandMacrosAndAuthorization(t *testing.T) {
	creds := map[string]any{"api_key": "sk-1", "oauth_access_token": "at-1", "n": 42}
	h := http.Header{"Authorization": {"Bearer {{api_key}}"}, "X-Two": {"{{ oauth_access_token }}:{{n}}"}, "X-Plain": {"no macro {x}"}}
	require.NoError(t, ExpandMacros(h, creds))
	assert.Equal(t, "Bearer sk-1", h.Get("Authorization"))
	assert.Equal(t, "at-1:42", h.Get("X-Two"))
	assert.Equal(t, "no macro {x}", h.Get("X-Plain"))

	err := ExpandMacros(http.Header{"Authorization": {"Bearer {{api_kee}}"}}, creds)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "{{api_kee}}")

	assert.Equal(t, "Bearer at-1", Authorization("oauth", creds))
	assert.Equal(t, "Bearer sk-1", Authorization("keys", creds))
	assert.Equal(t, "", Authorization("keys", map[string]any{"bot_token": "x"}), "no api_key: the caller uses a macro")
	assert.Equal(t, "", Authorization("oauth", map[string]any{"oauth_access_token": ""}))
}

func policy(t *testing.T, hosts ...string) connect.ProxyPolicy {
	t.Helper()
	p, err := connect.ParseProxyPolicy(hosts)
	require.NoError(t, err)
	return p
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestForwarderRoundTrip(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Retry-After", "7")
		w.Header().Set("Set-Cookie", "session=upstream")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte{0x89, 'P', 'N', 'G', 0})
	}))
	defer upstream.Close()

	f := New(0, 0)
	resp, err := f.Do(context.Background(), Request{
		Method: http.MethodPut, URL: mustURL(t, upstream.URL+"/a?b=1"),
		Header: http.Header{"Authorization": {"Bearer at"}, "X-Custom": {"v"}},
		Body:   []byte{0, 1, 2}, Policy: policy(t, connect.DefaultProxyHosts()...),
	})
	require.NoError(t, err)
	assert.Equal(t, http.StatusTeapot, resp.Status)
	assert.Equal(t, "image/png", resp.ContentType)
	assert.Equal(t, []byte{0x89, 'P', 'N', 'G', 0}, resp.Body)
	assert.Equal(t, "7", resp.Header.Get("Retry-After"), "end-to-end headers pass on")
	for _, name := range []string{"Connection", "Content-Type", "Content-Length", "Set-Cookie"} {
		assert.Empty(t, resp.Header.Values(name), name)
	}
	assert.Equal(t, http.MethodPut, got.Method)
	assert.Equal(t, "/a?b=1", got.URL.RequestURI())
	assert.Equal(t, "Bearer at", got.Header.Get("Authorization"))
	assert.Equal(t, "v", got.Header.Get("X-Custom"))
	assert.Equal(t, "pdemu-connect-proxy", got.Header.Get("User-Agent"))
	assert.Equal(t, []byte{0, 1, 2}, gotBody)
}

// TestForwarderRefusesBeforeAnyTraffic: a refused name or IP literal never
// reaches the resolver or the network.
func TestForwarderRefusesBeforeAnyTraffic(t *testing.T) {
	f := New(0, 0)
	var lookups atomic.Int32
	f.lookup = func(context.Context, string, string) ([]netip.Addr, error) {
		lookups.Add(1)
		return nil, errors.New("no DNS in this test")
	}
	for _, target := range []string{"http://203.0.113.10/x", "http://example.com/x", "http://[2001:db8::1]/", "http://10.0.0.1:8080/"} {
		_, err := f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, target), Policy: policy(t, connect.DefaultProxyHosts()...)})
		var he *HostError
		require.ErrorAs(t, err, &he, target)
		assert.False(t, he.Addr.IsValid())
	}
	_, err := f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, "http://127.0.0.1:1/")})
	var he *HostError
	assert.ErrorAs(t, err, &he, "no policy allows nothing")
	assert.Zero(t, lookups.Load())
}

// TestForwarderChecksResolvedAddresses: a name that is allowed but
// resolves to an address no rule covers (DNS rebinding) is refused at dial
// time; covered, it connects to the very address checked.
func TestForwarderChecksResolvedAddresses(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "hello from "+r.Host)
	}))
	defer upstream.Close()
	port := mustURL(t, upstream.URL).Port()

	f := New(0, 0)
	f.lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
		switch host {
		case "rebind.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		case "mixed.test":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	_, err := f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, "http://rebind.test:"+port+"/"), Policy: policy(t, "rebind.test")})
	var he *HostError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, netip.MustParseAddr("127.0.0.1"), he.Addr)

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, "http://mixed.test/"), Policy: policy(t, "mixed.test")})
	require.ErrorAs(t, err, &he, "one bad address refuses the host")
	assert.Equal(t, netip.MustParseAddr("10.0.0.1"), he.Addr)

	resp, err := f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, "http://rebind.test:"+port+"/"), Policy: policy(t, "rebind.test", "127.0.0.0/8")})
	require.NoError(t, err)
	assert.Equal(t, "hello from rebind.test:"+port, string(resp.Body))

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, "http://unknown.test/"), Policy: policy(t, "*")})
	require.Error(t, err)
	assert.NotErrorAs(t, err, &he, "a DNS failure is not a policy refusal")
}

func TestForwarderRedirects(t *testing.T) {
	var hits atomic.Int32
	final := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "auth="+r.Header.Get("Authorization"))
	}))
	defer final.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, final.URL+"/done", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "http://203.0.113.10/steal", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer redirector.Close()
	f := New(0, 0)
	pol := policy(t, connect.DefaultProxyHosts()...)
	hdr := http.Header{"Authorization": {"Bearer at"}}

	resp, err := f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, redirector.URL+"/same"), Header: hdr, Policy: pol})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.Status)
	assert.Equal(t, "auth=Bearer at", string(resp.Body), "same host (another port): Go keeps the credentials")

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, redirector.URL+"/away"), Header: hdr, Policy: pol})
	var he *HostError
	require.ErrorAs(t, err, &he, "a redirect to a disallowed host is refused")
	assert.Equal(t, "203.0.113.10", he.Host)

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, redirector.URL+"/loop"), Policy: pol})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redirects")
	assert.EqualValues(t, 1, hits.Load())
}

func TestForwarderLimits(t *testing.T) {
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ten":
			_, _ = io.WriteString(w, "0123456789")
		case "/eleven":
			_, _ = io.WriteString(w, "0123456789A")
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	}))
	defer upstream.Close()
	defer close(release)
	f := New(200*time.Millisecond, 10)
	pol := policy(t, connect.DefaultProxyHosts()...)

	resp, err := f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, upstream.URL+"/ten"), Policy: pol})
	require.NoError(t, err)
	assert.Len(t, resp.Body, 10, "a body of exactly the limit passes")

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, upstream.URL+"/eleven"), Policy: pol})
	assert.ErrorIs(t, err, ErrTooLarge)

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, upstream.URL+"/slow"), Policy: pol})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// A request's own timeout replaces the Forwarder's (an hour here).
	done := make(chan error, 1)
	go func() {
		_, err := New(time.Hour, 0).Do(context.Background(), Request{Method: "GET", URL: mustURL(t, upstream.URL+"/slow"), Policy: pol, Timeout: 20 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("the request's timeout was not applied")
	}

	_, err = f.Do(context.Background(), Request{Method: "GET", URL: mustURL(t, "http://127.0.0.1:1/"), Policy: pol})
	require.Error(t, err, "connection refused")
	var he *HostError
	assert.NotErrorAs(t, err, &he)
}

func TestPassOn(t *testing.T) {
	got := passOn(http.Header{
		"Connection":        {"X-Hop, Keep-Alive"},
		"X-Hop":             {"1"},
		"Keep-Alive":        {"timeout=5"},
		"Transfer-Encoding": {"chunked"},
		"Content-Length":    {"5"},
		"Content-Encoding":  {"gzip"},
		"Content-Type":      {"text/plain"},
		"Set-Cookie":        {"a=b"},
		"Retry-After":       {"1"},
		"Etag":              {`"v1"`},
		"X-Ratelimit-Reset": {"1893456000"},
	})
	assert.Equal(t, http.Header{"Retry-After": {"1"}, "Etag": {`"v1"`}, "X-Ratelimit-Reset": {"1893456000"}}, got)
}
