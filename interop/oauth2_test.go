// Package interop_test runs clients nobody here wrote against the emulator:
// golang.org/x/oauth2/clientcredentials (this file) and the official
// @pipedream/sdk for Node (sdk_test.go). If one of them cannot talk to pdemu,
// real users' code cannot either.
package interop_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// tokenCall is one request x/oauth2 sent to the token endpoint, as the
// server received it.
type tokenCall struct {
	basicUser, basicPass string // HTTP Basic, as sent (still query-escaped)
	hasBasic             bool
	form                 url.Values
	contentType          string
}

// recorder is an http.RoundTripper that records token requests, so a test
// can tell which client authentication method x/oauth2 actually used.
type recorder struct {
	next  http.RoundTripper
	mu    sync.Mutex
	calls []tokenCall
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Path == "/v1/oauth/token" {
		var body []byte
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			_ = req.Body.Close()
			body = b
			req = req.Clone(req.Context())
			req.Body = io.NopCloser(strings.NewReader(string(b)))
			req.ContentLength = int64(len(b))
		}
		form, _ := url.ParseQuery(string(body))
		c := tokenCall{form: form, contentType: req.Header.Get("Content-Type")}
		if scheme, creds, ok := strings.Cut(req.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Basic") {
			if raw, err := base64.StdEncoding.DecodeString(creds); err == nil {
				c.basicUser, c.basicPass, c.hasBasic = strings.Cut(string(raw), ":")
			}
		}
		r.mu.Lock()
		r.calls = append(r.calls, c)
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

func (r *recorder) tokenCalls() []tokenCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]tokenCall(nil), r.calls...)
}

// harness wires x/oauth2 to a test server through a recording transport.
type harness struct {
	srv *testutil.Server
	rec *recorder
	ctx context.Context
}

func newHarness(t *testing.T, opts ...emulator.Option) *harness {
	t.Helper()
	srv := testutil.NewServer(t, opts...)
	rec := &recorder{next: srv.Client().Transport}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: rec, Timeout: 10 * time.Second})
	return &harness{srv: srv, rec: rec, ctx: ctx}
}

// config is a clientcredentials config for the seeded client.
func (h *harness) config(style oauth2.AuthStyle, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID:     h.srv.Credentials.ClientID,
		ClientSecret: h.srv.Credentials.ClientSecret,
		TokenURL:     h.srv.URL + "/v1/oauth/token",
		Scopes:       scopes,
		AuthStyle:    style,
	}
}

// get sends GET path with the token source's bearer token.
func (h *harness) get(t *testing.T, ts oauth2.TokenSource, path string) (*http.Response, []byte) {
	t.Helper()
	client := oauth2.NewClient(h.ctx, ts)
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Pd-Environment", "development")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp, body
}

// checkToken checks what x/oauth2 made of a token response.
func checkToken(t *testing.T, tok *oauth2.Token) {
	t.Helper()
	if tok.AccessToken == "" || strings.Count(tok.AccessToken, ".") != 2 {
		t.Errorf("access token %q is not a JWT", tok.AccessToken)
	}
	if tok.TokenType != "Bearer" {
		t.Errorf("token type = %q, want Bearer", tok.TokenType)
	}
	// x/oauth2 computes Expiry from expires_in by its own clock.
	if left := time.Until(tok.Expiry); left < 3590*time.Second || left > 3600*time.Second {
		t.Errorf("token expires in %v, want about 1h (expires_in 3600)", left)
	}
	if tok.RefreshToken != "" {
		t.Errorf("client credentials token has a refresh token %q", tok.RefreshToken)
	}
	if v := tok.Extra("expires_in"); v == nil {
		t.Errorf("token response has no expires_in")
	}
	if v := tok.Extra("created_at"); v == nil {
		t.Errorf("token response has no created_at")
	}
}

func TestOAuth2AuthStyles(t *testing.T) {
	cases := []struct {
		name      string
		style     oauth2.AuthStyle
		wantBasic bool
	}{
		// Auto-detect tries HTTP Basic first and keeps it when it works.
		{name: "auto-detect", style: oauth2.AuthStyleAutoDetect, wantBasic: true},
		{name: "in header", style: oauth2.AuthStyleInHeader, wantBasic: true},
		{name: "in params", style: oauth2.AuthStyleInParams, wantBasic: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			conf := h.config(tc.style)
			tok, err := conf.Token(h.ctx)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			checkToken(t, tok)

			calls := h.rec.tokenCalls()
			if len(calls) != 1 {
				t.Fatalf("x/oauth2 sent %d token requests, want 1 (a failed first try means the emulator rejected its method)", len(calls))
			}
			c := calls[0]
			if !strings.HasPrefix(c.contentType, "application/x-www-form-urlencoded") {
				t.Errorf("content type = %q", c.contentType)
			}
			if got := c.form.Get("grant_type"); got != "client_credentials" {
				t.Errorf("grant_type = %q", got)
			}
			if c.hasBasic != tc.wantBasic {
				t.Errorf("used HTTP Basic = %v, want %v", c.hasBasic, tc.wantBasic)
			}
			if tc.wantBasic && c.form.Has("client_secret") {
				t.Errorf("secret sent in the body too")
			}
			if !tc.wantBasic && c.form.Get("client_secret") != h.srv.Credentials.ClientSecret {
				t.Errorf("secret not sent in the body")
			}

			resp, body := h.get(t, oauth2.StaticTokenSource(tok), "/v1/connect/projects")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v1/connect/projects with the token: %d %s", resp.StatusCode, body)
			}
		})
	}
}

func TestOAuth2ClientListsProjects(t *testing.T) {
	h := newHarness(t)
	client := h.config(oauth2.AuthStyleAutoDetect).Client(h.ctx)
	resp, err := client.Get(h.srv.URL + "/v1/connect/projects")
	if err != nil {
		t.Fatalf("GET /v1/connect/projects: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/connect/projects: %d %s", resp.StatusCode, body)
	}
	var page struct {
		Data []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
		PageInfo *struct {
			Count      int `json:"count"`
			TotalCount int `json:"total_count"`
		} `json:"page_info"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if page.PageInfo == nil {
		t.Errorf("list has no page_info: %s", body)
	}
	found := false
	for _, p := range page.Data {
		if p.ID == h.srv.Credentials.ProjectID {
			found = true
		}
	}
	if !found {
		t.Errorf("seeded project %s not in %s", h.srv.Credentials.ProjectID, body)
	}
	// The client fetched one token and reused it.
	if _, err := client.Get(h.srv.URL + "/v1/connect/projects"); err != nil {
		t.Fatal(err)
	}
	if n := len(h.rec.tokenCalls()); n != 1 {
		t.Errorf("token requests = %d, want 1 (token reused)", n)
	}
}

func TestOAuth2Scopes(t *testing.T) {
	h := newHarness(t)
	conf := h.config(oauth2.AuthStyleAutoDetect, "connect:projects:read")
	ts := conf.TokenSource(h.ctx)
	if _, err := ts.Token(); err != nil {
		t.Fatalf("Token with scope connect:projects:read: %v", err)
	}
	if calls := h.rec.tokenCalls(); len(calls) == 0 || calls[0].form.Get("scope") != "connect:projects:read" {
		t.Errorf("scope not sent as requested: %+v", calls)
	}

	resp, body := h.get(t, ts, "/v1/connect/projects")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/connect/projects with connect:projects:read: %d %s, want 200", resp.StatusCode, body)
	}

	usersPath := "/v1/connect/" + h.srv.Credentials.ProjectID + "/users"
	resp, body = h.get(t, ts, usersPath)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("GET %s with connect:projects:read: %d %s, want 403", usersPath, resp.StatusCode, body)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error != "insufficient_scope" {
		t.Errorf("403 body = %s, want error insufficient_scope", body)
	}
	if wa := resp.Header.Get("WWW-Authenticate"); !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, "connect:users:read") {
		t.Errorf("WWW-Authenticate = %q, want error=\"insufficient_scope\" naming connect:users:read", wa)
	}
}

// retrieveError asserts err is an *oauth2.RetrieveError and returns it.
func retrieveError(t *testing.T, err error) *oauth2.RetrieveError {
	t.Helper()
	if err == nil {
		t.Fatal("Token succeeded, want an error")
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v is not an *oauth2.RetrieveError", err, err)
	}
	return re
}

func TestOAuth2Errors(t *testing.T) {
	t.Run("wrong secret", func(t *testing.T) {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			h := newHarness(t)
			conf := h.config(style)
			conf.ClientSecret = "not-the-secret"
			_, err := conf.Token(h.ctx)
			re := retrieveError(t, err)
			if re.ErrorCode != "invalid_client" {
				t.Errorf("style %d: ErrorCode = %q, want invalid_client (body %s)", style, re.ErrorCode, re.Body)
			}
			if re.Response == nil || re.Response.StatusCode != http.StatusUnauthorized {
				t.Errorf("style %d: status = %v, want 401", style, re.Response)
			}
			if re.ErrorDescription == "" {
				t.Errorf("style %d: no error_description", style)
			}
		}
	})
	t.Run("unknown scope", func(t *testing.T) {
		h := newHarness(t)
		_, err := h.config(oauth2.AuthStyleAutoDetect, "connect:nonsense:read").Token(h.ctx)
		re := retrieveError(t, err)
		if re.ErrorCode != "invalid_scope" {
			t.Errorf("ErrorCode = %q, want invalid_scope (body %s)", re.ErrorCode, re.Body)
		}
		if re.Response == nil || re.Response.StatusCode != http.StatusBadRequest {
			t.Errorf("status = %v, want 400", re.Response)
		}
	})
}

// checkExpired asserts a 401 invalid_token response.
func checkExpired(t *testing.T, resp *http.Response, body []byte) {
	t.Helper()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d %s, want 401", resp.StatusCode, body)
	}
	wa := resp.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(wa, "Bearer") || !strings.Contains(wa, `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge with error=\"invalid_token\"", wa)
	}
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error != "invalid_token" {
		t.Errorf("body = %s, want error invalid_token", body)
	}
}

func TestOAuth2TokenExpiry(t *testing.T) {
	t.Run("after 3600s", func(t *testing.T) {
		h := newHarness(t)
		ts := h.config(oauth2.AuthStyleAutoDetect).TokenSource(h.ctx)
		tok, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := h.get(t, ts, "/v1/connect/projects"); resp.StatusCode != http.StatusOK {
			t.Fatalf("fresh token: %d %s", resp.StatusCode, body)
		}
		h.srv.Advance(3600 * time.Second)
		// x/oauth2 still trusts its cached token (it goes by its own clock).
		again, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if again.AccessToken != tok.AccessToken {
			t.Fatal("x/oauth2 fetched a new token; the test needs the cached one")
		}
		resp, body := h.get(t, ts, "/v1/connect/projects")
		checkExpired(t, resp, body)
		if n := len(h.rec.tokenCalls()); n != 1 {
			t.Errorf("token requests = %d, want 1", n)
		}
		// A new token works again.
		fresh, err := h.config(oauth2.AuthStyleAutoDetect).Token(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := h.get(t, oauth2.StaticTokenSource(fresh), "/v1/connect/projects"); resp.StatusCode != http.StatusOK {
			t.Errorf("new token after expiry: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("boundary 3599s then 3600s", func(t *testing.T) {
		h := newHarness(t)
		start := h.srv.Now()
		ts := h.config(oauth2.AuthStyleInParams).TokenSource(h.ctx)
		if _, err := ts.Token(); err != nil {
			t.Fatal(err)
		}
		h.srv.Advance(3599 * time.Second)
		if resp, body := h.get(t, ts, "/v1/connect/projects"); resp.StatusCode != http.StatusOK {
			t.Fatalf("token at iat+3599s: %d %s, want 200", resp.StatusCode, body)
		}
		h.srv.Advance(time.Second)
		resp, body := h.get(t, ts, "/v1/connect/projects")
		checkExpired(t, resp, body)
		// Back one second: valid again, so expiry is exactly iat+3600.
		h.srv.SetNow(start.Add(3599 * time.Second))
		if resp, body := h.get(t, ts, "/v1/connect/projects"); resp.StatusCode != http.StatusOK {
			t.Errorf("token at iat+3599s after SetNow: %d %s, want 200", resp.StatusCode, body)
		}
	})
}

func TestOAuth2EscapedCredentials(t *testing.T) {
	// Printable ASCII that HTTP Basic and form encoding both must escape:
	// RFC 6749 §2.3.1 has the client form-encode id and secret before
	// base64, and x/oauth2 does (url.QueryEscape).
	const (
		id     = "oc_inter+op:1/="
		secret = "s3cr:t/+&=%?"
	)
	seed := emulator.Seed{Workspaces: []emulator.SeedWorkspace{{
		Name:     "interop",
		Projects: []emulator.SeedProject{{Name: "interop project"}},
		Clients: []emulator.SeedClient{
			{ClientID: "oc_plain", ClientSecret: secret, Name: "plain id"},
			{ClientID: id, ClientSecret: secret, Name: "escaped id"},
		},
	}}}
	for _, clientID := range []string{"oc_plain", id} {
		for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
			h := newHarness(t, emulator.WithSeed(seed))
			conf := &clientcredentials.Config{
				ClientID: clientID, ClientSecret: secret,
				TokenURL: h.srv.URL + "/v1/oauth/token", AuthStyle: style,
			}
			tok, err := conf.Token(h.ctx)
			if err != nil {
				t.Errorf("client %q, style %d: %v", clientID, style, err)
				continue
			}
			checkToken(t, tok)
			calls := h.rec.tokenCalls()
			if len(calls) != 1 {
				t.Errorf("client %q, style %d: %d token requests, want 1", clientID, style, len(calls))
				continue
			}
			if c := calls[0]; c.hasBasic && c.basicPass != url.QueryEscape(secret) {
				t.Errorf("Basic password sent as %q, want it query-escaped", c.basicPass)
			}
			if resp, body := h.get(t, oauth2.StaticTokenSource(tok), "/v1/connect/projects"); resp.StatusCode != http.StatusOK {
				t.Errorf("client %q, style %d: GET projects: %d %s", clientID, style, resp.StatusCode, body)
			}
		}
	}
	// The secret unescaped once is not the secret: a server that unescaped
	// the body twice, or not Basic at all, would be caught above.
	h := newHarness(t, emulator.WithSeed(seed))
	conf := &clientcredentials.Config{ClientID: "oc_plain", ClientSecret: url.QueryEscape(secret),
		TokenURL: h.srv.URL + "/v1/oauth/token", AuthStyle: oauth2.AuthStyleInParams}
	re := retrieveError(t, func() error { _, err := conf.Token(h.ctx); return err }())
	if re.ErrorCode != "invalid_client" {
		t.Errorf("escaped form of the secret: ErrorCode = %q, want invalid_client", re.ErrorCode)
	}
}
