// Package testutil starts a pdemu emulator inside a Go test, on a fake clock
// that stands still until the test moves it and with ids drawn from a fixed
// seed (DefaultIDSeed), with typed helpers for the control plane. One line gives a test a Pipedream to talk to:
//
//	srv := testutil.NewServer(t)
//	client := pipedream.New(srv.URL, srv.Credentials.ClientID, srv.Credentials.ClientSecret)
//
// Every helper fails the test (t.Fatalf) on error, so tests read as a
// script of what happens.
package testutil

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
)

// Server is an emulator served by an httptest.Server.
type Server struct {
	*httptest.Server
	// Emulator is the emulator behind the server, for the Go API.
	Emulator *emulator.Emulator
	// Clock is the emulator's clock: a clock.Fake at clock.DefaultStart
	// unless an option gave another.
	Clock clock.Controllable
	// Credentials are the seeded workspace, project and client.
	Credentials emulator.Credentials

	tb testing.TB
}

// DefaultIDSeed is the id seed (emulator.WithIDSeed) NewServer gives every
// emulator unless told otherwise, so that a test sees the same ids,
// secrets and keys on every run.
const DefaultIDSeed uint64 = 1

// NewServer starts an emulator for the test and closes it when the test
// ends. Options are passed to emulator.New after the fake clock and
// emulator.WithIDSeed(DefaultIDSeed), so a WithClock or WithIDSeed of the
// caller's wins; emulator.WithRandomIDs() gives random ids instead. Two
// servers of one test thus have the same seeded ids and secrets unless one
// of them is given another seed.
func NewServer(tb testing.TB, opts ...emulator.Option) *Server {
	tb.Helper()
	emu, err := emulator.New(append([]emulator.Option{
		emulator.WithClock(clock.NewFake(time.Time{})), emulator.WithIDSeed(DefaultIDSeed),
	}, opts...)...)
	if err != nil {
		tb.Fatalf("testutil: new emulator: %v", err)
	}
	ts := httptest.NewServer(emu)
	tb.Cleanup(ts.Close)
	return &Server{Server: ts, Emulator: emu, Clock: emu.Clock(), Credentials: emu.Credentials(), tb: tb}
}

// Wrap serves an emulator the test built itself (with options NewServer
// does not give, such as emulator.WithStateFile) and closes the server
// when the test ends. The emulator's own Close is the caller's.
func Wrap(tb testing.TB, emu *emulator.Emulator) *Server {
	tb.Helper()
	ts := httptest.NewServer(emu)
	tb.Cleanup(ts.Close)
	return &Server{Server: ts, Emulator: emu, Clock: emu.Clock(), Credentials: emu.Credentials(), tb: tb}
}

// Snapshot keeps the emulator's whole state under name, to Restore later:
// cheap enough to take before every test case.
func (s *Server) Snapshot(name string) {
	s.tb.Helper()
	if _, err := s.Emulator.Snapshot(name); err != nil {
		s.tb.Fatalf("testutil: snapshot %q: %v", name, err)
	}
}

// Restore returns the emulator to a snapshot, which stays for another
// Restore.
func (s *Server) Restore(name string) {
	s.tb.Helper()
	if err := s.Emulator.Restore(name); err != nil {
		s.tb.Fatalf("testutil: restore %q: %v", name, err)
	}
}

// Env returns the PIPEDREAM_* variables the official SDKs read, pointing at
// this server with the seeded credentials, in the development environment.
func (s *Server) Env() []string {
	return []string{
		"PIPEDREAM_BASE_URL=" + s.URL,
		"PIPEDREAM_CLIENT_ID=" + s.Credentials.ClientID,
		"PIPEDREAM_CLIENT_SECRET=" + s.Credentials.ClientSecret,
		"PIPEDREAM_PROJECT_ID=" + s.Credentials.ProjectID,
		"PIPEDREAM_PROJECT_ENVIRONMENT=" + emulator.DefaultEnvironment,
	}
}

// CreateClient creates an OAuth client in the seeded workspace. scopes are
// the most its tokens may be granted (none means "*").
func (s *Server) CreateClient(name string, scopes ...string) emulator.ClientCredentials {
	s.tb.Helper()
	_, creds, err := s.Emulator.CreateClient(emulator.ClientSpec{Name: name, Scopes: strings.Join(scopes, " ")})
	if err != nil {
		s.tb.Fatalf("testutil: create client %q: %v", name, err)
	}
	return creds
}

// RotateSecret rotates a client's secret and returns the new credentials.
func (s *Server) RotateSecret(clientID string) emulator.ClientCredentials {
	s.tb.Helper()
	creds, err := s.Emulator.RotateSecret(clientID)
	if err != nil {
		s.tb.Fatalf("testutil: rotate secret of %q: %v", clientID, err)
	}
	return creds
}

// DeleteClient deletes a client.
func (s *Server) DeleteClient(clientID string) {
	s.tb.Helper()
	if err := s.Emulator.DeleteClient(clientID); err != nil {
		s.tb.Fatalf("testutil: delete client %q: %v", clientID, err)
	}
}

// Token mints an access token for the seeded client with the given scopes
// (none means the client's default, "*").
func (s *Server) Token(scopes ...string) string {
	s.tb.Helper()
	return s.TokenFor(emulator.ClientCredentials{ClientID: s.Credentials.ClientID, ClientSecret: s.Credentials.ClientSecret}, scopes...)
}

// TokenFor mints an access token for the given client.
func (s *Server) TokenFor(creds emulator.ClientCredentials, scopes ...string) string {
	s.tb.Helper()
	tok, err := s.Emulator.IssueToken(emulator.TokenRequest{
		GrantType: "client_credentials", ClientID: creds.ClientID, ClientSecret: creds.ClientSecret,
		Scope: strings.Join(scopes, " "),
	})
	if err != nil {
		s.tb.Fatalf("testutil: issue token for %q: %v", creds.ClientID, err)
	}
	return tok.AccessToken
}

// Now returns the emulator's current time.
func (s *Server) Now() time.Time { return s.Clock.Now() }

// Advance moves the emulator's clock forward.
func (s *Server) Advance(d time.Duration) {
	s.tb.Helper()
	if err := s.Clock.Advance(d); err != nil {
		s.tb.Fatalf("testutil: advance clock: %v", err)
	}
}

// SetNow sets the emulator's clock.
func (s *Server) SetNow(t time.Time) { s.Clock.Set(t) }

// Reset returns the emulator to its seeded state.
func (s *Server) Reset() {
	s.tb.Helper()
	if err := s.Emulator.Reset(); err != nil {
		s.tb.Fatalf("testutil: reset: %v", err)
	}
}

// Response is a completed HTTP exchange, body read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value (map, slice...) for assertions.
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("testutil: response body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Do sends a request to the server: it is the helper for talking to pdemu
// over HTTP, and sends what a well-behaved client sends. A non-nil body is sent as JSON (a string or []byte is sent as is);
// a non-empty token is sent as a bearer token. Control-plane writes (POST,
// PUT, PATCH or DELETE under /_emulator/) always carry Content-Type:
// application/json, bodyless ones too, since the control plane refuses
// them without it (it is how pdemu makes browsers preflight). Extra headers
// come as name, value pairs and win over these.
func (s *Server) Do(method, path, token string, body any, headers ...string) Response {
	s.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.tb.Fatalf("testutil: encode body: %v", err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.tb.Fatalf("testutil: new request: %v", err)
	}
	if rd != nil || isControlWrite(method, path) {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		s.tb.Fatalf("testutil: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.tb.Fatalf("testutil: read body: %v", err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// isControlWrite reports whether a request changes the emulator through its
// control plane, the requests that must carry Content-Type: application/json.
func isControlWrite(method, path string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return strings.HasPrefix(path, "/_emulator/")
	}
	return false
}

// ConnectToken makes a Connect token (ctok_…) for an external user of the
// seeded project in the development environment, with the given scopes
// (none means connect:*).
func (s *Server) ConnectToken(externalUserID string, scopes ...string) string {
	s.tb.Helper()
	tok, err := s.Emulator.CreateConnectToken(s.Credentials.ProjectID, "development", externalUserID, strings.Join(scopes, " "))
	if err != nil {
		s.tb.Fatalf("testutil: connect token for %q: %v", externalUserID, err)
	}
	return tok
}

// ConnectAccount connects an account of app (a slug such as "slack" or an
// app id) for an external user of the seeded project in the development
// environment, as if the user had finished the browser flow, and returns
// its id (apn_…). Nil credentials are made up for the app's auth type.
func (s *Server) ConnectAccount(externalUserID, app string, credentials map[string]any) string {
	s.tb.Helper()
	id, err := s.Emulator.ConnectAccount(s.Credentials.ProjectID, "development", externalUserID, app, credentials)
	if err != nil {
		s.tb.Fatalf("testutil: connect %s account for %q: %v", app, externalUserID, err)
	}
	return id
}

// AllowProxyHosts replaces the Connect proxy's allow-list (default:
// loopback only) until the next Reset.
func (s *Server) AllowProxyHosts(hosts ...string) {
	s.tb.Helper()
	if _, err := s.Emulator.SetProxyAllowedHosts(hosts...); err != nil {
		s.tb.Fatalf("testutil: allow proxy hosts %v: %v", hosts, err)
	}
}

// WorkflowURL is where the official SDK's workflows.invoke reaches a
// workflow endpoint (en…/eo…) on this server; give the SDK
// workflowDomain "127.0.0.1" (PIPEDREAM_WORKFLOW_DOMAIN) so it accepts it.
func (s *Server) WorkflowURL(endpointID string) string { return s.URL + "/_workflows/" + endpointID }

// Requests returns the request journal's entries that f selects, newest
// first, with their secrets replaced by markers (Emulator.Fingerprint).
func (s *Server) Requests(f emulator.RequestFilter) []emulator.RecordedRequest {
	s.tb.Helper()
	got, err := s.Emulator.Requests(f)
	if err != nil {
		s.tb.Fatalf("testutil: requests: %v", err)
	}
	return got
}

// RequireCalls fails tb unless exactly n requests in the journal match f.
// The failure lists the entries closest to f, each with the criteria it
// misses, so a test that expected a call sees what was called instead.
func (s *Server) RequireCalls(tb testing.TB, f emulator.RequestFilter, n int) {
	tb.Helper()
	got := s.Requests(f)
	if len(got) == n {
		return
	}
	all := s.Requests(emulator.RequestFilter{})
	tb.Fatalf("testutil: want %d request(s) matching %s, found %d\n%s", n, describeFilter(f), len(got), s.closest(all, f))
}

// describeFilter shows the criteria a filter sets.
func describeFilter(f emulator.RequestFilter) string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("method", f.Method)
	add("route", f.Route)
	add("path", f.PathPrefix)
	if f.Status != 0 {
		add("status", fmt.Sprint(f.Status))
	}
	if f.StatusClass != 0 {
		add("status", fmt.Sprintf("%dxx", f.StatusClass))
	}
	add("client_id", f.ClientID)
	add("external_user_id", f.ExternalUserID)
	if !f.Since.IsZero() {
		add("since", f.Since.Format(time.RFC3339Nano))
	}
	if f.FaultsOnly {
		add("faults_only", "true")
	}
	if f.Unmatched {
		add("unmatched", "true")
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// criterionNames orders the criteria as RequestFilter lists them.
var criterionNames = []string{"method", "route", "path", "status", "client_id", "external_user_id", "since", "faults_only", "unmatched"}

// criteria splits a filter into one filter per criterion it sets, named.
func criteria(f emulator.RequestFilter) map[string]emulator.RequestFilter {
	out := map[string]emulator.RequestFilter{}
	set := func(name string, on bool, g emulator.RequestFilter) {
		if on {
			out[name] = g
		}
	}
	set("method", f.Method != "", emulator.RequestFilter{Method: f.Method})
	set("route", f.Route != "", emulator.RequestFilter{Route: f.Route})
	set("path", f.PathPrefix != "", emulator.RequestFilter{PathPrefix: f.PathPrefix})
	set("status", f.Status != 0 || f.StatusClass != 0, emulator.RequestFilter{Status: f.Status, StatusClass: f.StatusClass})
	set("client_id", f.ClientID != "", emulator.RequestFilter{ClientID: f.ClientID})
	set("external_user_id", f.ExternalUserID != "", emulator.RequestFilter{ExternalUserID: f.ExternalUserID})
	set("since", !f.Since.IsZero(), emulator.RequestFilter{Since: f.Since})
	set("faults_only", f.FaultsOnly, emulator.RequestFilter{FaultsOnly: true})
	set("unmatched", f.Unmatched, emulator.RequestFilter{Unmatched: true})
	return out
}

// closest renders the journal entries that miss f by the fewest criteria,
// each criterion judged by the journal's own filter.
func (s *Server) closest(all []emulator.RecordedRequest, f emulator.RequestFilter) string {
	if len(all) == 0 {
		return "the journal is empty"
	}
	missed := map[string][]string{} // entry id -> criteria it misses
	crit := criteria(f)
	for _, name := range criterionNames {
		if _, set := crit[name]; !set {
			continue
		}
		hit := map[string]bool{}
		for _, r := range s.Requests(crit[name]) {
			hit[r.ID] = true
		}
		for _, r := range all {
			if !hit[r.ID] {
				missed[r.ID] = append(missed[r.ID], name)
			}
		}
	}
	const show = 10
	var b strings.Builder
	b.WriteString("closest entries first (then newest first):\n")
	shown := 0
	for miss := 0; miss <= 8 && shown < show; miss++ {
		for _, r := range all {
			m := missed[r.ID]
			if len(m) != miss || shown == show {
				continue
			}
			fmt.Fprintf(&b, "  %s %s %s route=%q status=%d client_id=%q external_user_id=%q", r.ID, r.Method, r.Path, r.Route, r.Status, r.ClientID, r.ExternalUserID)
			if r.FaultID != "" {
				fmt.Fprintf(&b, " fault=%s", r.FaultID)
			}
			if len(m) > 0 {
				fmt.Fprintf(&b, " (misses %s)", strings.Join(m, ", "))
			}
			b.WriteByte('\n')
			shown++
		}
	}
	return b.String()
}
