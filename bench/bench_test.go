package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/internal/logline"
)

// The benchmarks run handlers in-process through ServeHTTP and an
// httptest.ResponseRecorder: no sockets, so they isolate the handler's cost.
// Every iteration checks the status, so a broken endpoint fails instead of
// posting a fast time. Ratios, as throughput: BareHandler/POST ns/op over
// IssueToken ns/op, and BareHandler/GET ns/op over BearerCheck ns/op (see
// README.md).

func newBenchEmulator(b testing.TB, opts ...emulator.Option) (*emulator.Emulator, emulator.Credentials) {
	b.Helper()
	emu, err := emulator.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	return emu, emu.Credentials()
}

func issue(b testing.TB, emu *emulator.Emulator, creds emulator.Credentials) string {
	b.Helper()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials",
		ClientID: creds.ClientID, ClientSecret: creds.ClientSecret})
	if err != nil {
		b.Fatal(err)
	}
	return tok.AccessToken
}

// recorder is a ResponseWriter that is reset between iterations, so the
// benchmarks measure the handler rather than httptest's per-request
// allocations (httptest.NewRequest alone parses a request through a 4 KB
// bufio.Reader).
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (w *recorder) Header() http.Header { return w.header }

func (w *recorder) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.body.Write(p)
}

func (w *recorder) reset() {
	clear(w.header)
	w.code = 0
	w.body.Reset()
}

// client sends one kind of request over and over. Each iteration gets a
// shallow copy of a prepared request (handlers may replace r.Body) and a
// rewound body.
type client struct {
	base *http.Request
	body []byte
	rd   *bytes.Reader
	w    *recorder
}

func newPostClient(body []byte) *client {
	base := httptest.NewRequest(http.MethodPost, "/v1/oauth/token", nil)
	base.Header.Set("Content-Type", "application/json")
	base.ContentLength = int64(len(body))
	return &client{base: base, body: body, rd: bytes.NewReader(body), w: newRecorder()}
}

func newGetClient(tok string) *client {
	base := httptest.NewRequest(http.MethodGet, "/v1/connect/projects", nil)
	base.Header.Set("Authorization", "Bearer "+tok)
	return &client{base: base, w: newRecorder()}
}

// do serves one request and returns the status, or an error for any other
// status than 200.
func (c *client) do(h http.Handler) error {
	r := c.base.WithContext(c.base.Context())
	if c.body != nil {
		c.rd.Reset(c.body)
		r.Body = io.NopCloser(c.rd)
	} else {
		r.Body = http.NoBody
	}
	c.w.reset()
	h.ServeHTTP(c.w, r)
	if c.w.code != http.StatusOK {
		return fmt.Errorf("%s %s: status %d: %s", r.Method, r.URL.Path, c.w.code, c.w.body.Bytes())
	}
	return nil
}

// setAuth points a GET client at another Authorization header value, made
// beforehand so that switching costs nothing.
func (c *client) setAuth(v []string) { c.base.Header["Authorization"] = v }

// BenchmarkBareHandler is the baseline: the same requests, decoded and
// answered with a fixed body.
func BenchmarkBareHandler(b *testing.B) {
	emu, creds := newBenchEmulator(b)
	body := TokenRequestBody(creds.ClientID, creds.ClientSecret)
	tok := issue(b, emu, creds)
	var h BareHandler
	b.Run("POST", func(b *testing.B) {
		c := newPostClient(body)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.do(h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GET", func(b *testing.B) {
		c := newGetClient(tok)
		b.ReportAllocs()
		for b.Loop() {
			if err := c.do(h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIssueToken is POST /v1/oauth/token with a JSON body through
// ServeHTTP: routing, decoding, client authentication, signing, encoding,
// and the request journal's record.
func BenchmarkIssueToken(b *testing.B) { benchIssueToken(b) }

// BenchmarkIssueTokenNoJournal is BenchmarkIssueToken with the journal
// off: the difference is what recording a request costs.
func BenchmarkIssueTokenNoJournal(b *testing.B) { benchIssueToken(b, emulator.WithJournalSize(0)) }

func benchIssueToken(b *testing.B, opts ...emulator.Option) {
	emu, creds := newBenchEmulator(b, opts...)
	c := newPostClient(TokenRequestBody(creds.ClientID, creds.ClientSecret))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.do(emu); err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.Contains(c.w.body.Bytes(), []byte(`"access_token":"ey`)) {
		b.Fatalf("no token in %s", c.w.body.Bytes())
	}
}

// BenchmarkIssueTokenGoAPI is the grant without HTTP.
func BenchmarkIssueTokenGoAPI(b *testing.B) {
	emu, creds := newBenchEmulator(b)
	req := emulator.TokenRequest{GrantType: "client_credentials", ClientID: creds.ClientID, ClientSecret: creds.ClientSecret}
	b.ReportAllocs()
	for b.Loop() {
		tok, err := emu.IssueToken(req)
		if err != nil || tok.AccessToken == "" {
			b.Fatalf("issue token: %v", err)
		}
	}
}

// BenchmarkBearerCheck is GET /v1/connect/projects with one valid token
// (verified once, then served from the verification cache).
func BenchmarkBearerCheck(b *testing.B) { benchBearerCheck(b) }

// BenchmarkBearerCheckNoJournal is BenchmarkBearerCheck with the journal
// off.
func BenchmarkBearerCheckNoJournal(b *testing.B) { benchBearerCheck(b, emulator.WithJournalSize(0)) }

// BenchmarkBearerCheckLogged is BenchmarkBearerCheck as pdemu serve runs
// it: the journal on and a request line logged in its text format (thrown
// away here).
func BenchmarkBearerCheckLogged(b *testing.B) {
	benchBearerCheck(b, emulator.WithLogger(slog.New(logline.NewTextHandler(io.Discard, nil))))
}

func benchBearerCheck(b *testing.B, opts ...emulator.Option) {
	emu, creds := newBenchEmulator(b, opts...)
	c := newGetClient(issue(b, emu, creds))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.do(emu); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBearerCheckRotating cycles through 1000 tokens, so the cache is
// exercised with more than one key.
func BenchmarkBearerCheckRotating(b *testing.B) {
	emu, creds := newBenchEmulator(b)
	auths := make([][]string, DefaultDistinctTokens)
	for i := range auths {
		auths[i] = []string{"Bearer " + issue(b, emu, creds)}
	}
	c := newGetClient("")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.setAuth(auths[i%len(auths)])
		if err := c.do(emu); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBearerCheckParallel is BenchmarkBearerCheck on every P, to show
// contention on the emulator's locks and the verification cache.
func BenchmarkBearerCheckParallel(b *testing.B) {
	emu, creds := newBenchEmulator(b)
	tok := issue(b, emu, creds)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		c := newGetClient(tok)
		for pb.Next() {
			if err := c.do(emu); err != nil {
				// Fatal must not be called off the benchmark's goroutine.
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkNewEmulator is emulator.New with the default seed.
func BenchmarkNewEmulator(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		emu, err := emulator.New()
		if err != nil || emu == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRouting serves bearer-checked GETs on routes from the start, the
// middle and the end of the route table, and an unknown path: routing must
// not cost more the later a route is declared.
func BenchmarkRouting(b *testing.B) {
	emu := emulator.MustNew()
	c := emu.Credentials()
	tok, err := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: c.ClientSecret})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{
		{"first", "/v1/connect/projects"},
		{"middle", "/v1/connect/" + c.ProjectID + "/webhook"},
		{"last", "/_emulator/health"},
		{"unknown", "/v1/connect/" + c.ProjectID + "/nothing/here"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			// A loopback Host, as a local client sends: the control plane
			// refuses any other before routing matters.
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8787"+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			rec := httptest.NewRecorder()
			emu.ServeHTTP(rec, req)
			if rec.Code >= 500 || rec.Code == http.StatusForbidden {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			b.ReportAllocs()
			for b.Loop() {
				emu.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// BenchmarkUsersPage is GET /v1/connect/{project_id}/users, bearer-checked,
// in a project environment of a million external users: the first page,
// and the page after its end cursor. Indexed, a page costs a seek plus the
// page (the goal is under 1 ms); the q-filtered row scans the partition,
// since total_count counts every match, and is there for contrast.
func BenchmarkUsersPage(b *testing.B) {
	const users = 1_000_000
	emu, err := emulator.New(emulator.WithLimits(emulator.Limits{"external-users": users}))
	if err != nil {
		b.Fatal(err)
	}
	creds := emu.Credentials()
	for i := range users {
		if err := emu.AddExternalUser(creds.ProjectID, "development", fmt.Sprintf("user-%07d", i)); err != nil {
			b.Fatal(err)
		}
	}
	tok := issue(b, emu, creds)
	page := func(query string) *client {
		c := newGetClient(tok)
		c.base = httptest.NewRequest(http.MethodGet, "/v1/connect/"+creds.ProjectID+"/users?"+query, nil)
		c.base.Header.Set("Authorization", "Bearer "+tok)
		c.base.Header.Set("X-PD-Environment", "development")
		return c
	}
	first := page("limit=10")
	if err := first.do(emu); err != nil {
		b.Fatal(err)
	}
	var body struct {
		Data []struct {
			ExternalID string `json:"external_id"`
		} `json:"data"`
		PageInfo struct {
			TotalCount int    `json:"total_count"`
			EndCursor  string `json:"end_cursor"`
		} `json:"page_info"`
	}
	if err := json.Unmarshal(first.w.body.Bytes(), &body); err != nil || body.PageInfo.TotalCount != users || len(body.Data) != 10 {
		b.Fatalf("first page: %v %s", err, first.w.body.Bytes())
	}
	for _, bc := range []struct {
		name string
		c    *client
	}{
		{"first", first},
		{"after", page("limit=10&after=" + url.QueryEscape(body.PageInfo.EndCursor))},
		{"q-scan", page("limit=10&q=user-09")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.c.do(emu); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSnapshotRestore takes a snapshot of a default emulator and
// restores it, as a test suite would around every test case.
func BenchmarkSnapshotRestore(b *testing.B) {
	emu, _ := newBenchEmulator(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := emu.Snapshot("case"); err != nil {
			b.Fatal(err)
		}
		if err := emu.Restore("case"); err != nil {
			b.Fatal(err)
		}
		if err := emu.DeleteSnapshot("case"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExportState is GET /_emulator/state's work on a default
// emulator, as JSON.
func BenchmarkExportState(b *testing.B) {
	emu, _ := newBenchEmulator(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := emu.ExportState(); err != nil {
			b.Fatal(err)
		}
	}
}
