package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/testutil"
)

// The kit's precision, measured: the whole kit runs against pdemu behind
// a proxy that changes one thing in what pdemu answers, once per change.
// A deviation is a change a real server could make and a real client would
// trip on: the kit must fail at least one scenario. A variant is a change
// the specifications allow: the kit must pass every scenario it passes
// without it. The proxy hides pdemu's control plane, so the kit judges
// what it would judge against a real server: only the API.

// transform is one change the proxy makes.
type transform struct {
	name string
	// why: for a deviation, the client that trips on it and how; for a
	// variant, the rule that allows it.
	why string
	// response changes an answer in place (its body already read).
	response func(r *http.Request, resp *answer)
	// request changes a request before it goes to pdemu (a variant that
	// rewrites cursors must map them back).
	request func(r *http.Request)
}

// answer is a response the proxy may change.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// json applies f to the answer's body when it is JSON, decoded with
// numbers kept as written, and encodes the result.
func (a *answer) json(f func(v any) any) {
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") || len(a.body) == 0 {
		return
	}
	d := json.NewDecoder(bytes.NewReader(a.body))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return
	}
	a.body = mustJSON(f(v))
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// isToken reports whether r asked for an access token.
func isToken(r *http.Request) bool { return r.URL.Path == "/v1/oauth/token" }

// field sets or deletes one field of a JSON object body.
func field(name string, value any, del bool) func(any) any {
	return func(v any) any {
		if m, ok := v.(map[string]any); ok {
			if _, present := m[name]; present || !del {
				if del {
					delete(m, name)
				} else {
					m[name] = value
				}
			}
		}
		return v
	}
}

// onToken limits a change to the token endpoint's successful answers.
func onToken(f func(any) any) func(*http.Request, *answer) {
	return func(r *http.Request, a *answer) {
		if isToken(r) && a.status == http.StatusOK {
			a.json(f)
		}
	}
}

// pages applies f to every page_info of a successful list answer.
func pages(f func(r *http.Request, pageInfo map[string]any, data []any)) func(*http.Request, *answer) {
	return func(r *http.Request, a *answer) {
		if a.status != http.StatusOK || r.Method != http.MethodGet {
			return
		}
		a.json(func(v any) any {
			m, _ := v.(map[string]any)
			pi, _ := m["page_info"].(map[string]any)
			data, _ := m["data"].([]any)
			if pi != nil {
				f(r, pi, data)
			}
			return v
		})
	}
}

var deviations = []transform{
	{
		name:     `expires_in written as 3600.0`,
		why:      `golang.org/x/oauth2 reads expires_in as an integer: strconv.ParseInt: parsing "3600.0": invalid syntax`,
		response: onToken(field("expires_in", json.Number("3600.0"), false)),
	},
}

var variants = []transform{
	{
		name:     `token_type written as "bearer"`,
		why:      `RFC 6749 §5.1: token_type "Value is case insensitive"`,
		response: onToken(field("token_type", "bearer", false)),
	},
}

// proxy serves pdemu's API through t's changes and answers 404 for its
// control plane, as a server that has none.
func proxy(tb testing.TB, target string, t transform) string {
	u, err := url.Parse(target)
	require.NoError(tb, err)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			if t.request != nil {
				t.request(pr.Out)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			a := &answer{status: resp.StatusCode, header: resp.Header, body: body}
			if t.response != nil {
				t.response(resp.Request, a)
			}
			resp.StatusCode = a.status
			resp.Body = io.NopCloser(bytes.NewReader(a.body))
			resp.ContentLength = int64(len(a.body))
			if resp.Header.Get("Content-Encoding") == "" {
				resp.Header.Set("Content-Length", strconv.Itoa(len(a.body)))
			}
			return nil
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":"not_found"}`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// verdict runs the whole kit through t and returns its summary.
func verdict(tb testing.TB, t transform) conformance.Summary {
	// A real server's clock: without a control plane the kit holds times
	// to the wall clock.
	srv := testutil.NewServer(tb, emulator.WithClock(clock.NewOffset()))
	cfg := configFor(srv)
	cfg.BaseURL = proxy(tb, srv.URL, t)
	var out bytes.Buffer
	sum, err := conformance.Run(context.Background(), conformance.Options{Config: cfg, Output: &out, Format: "progress"})
	require.NoError(tb, err, out.String())
	return sum
}

func failedNames(sum conformance.Summary) []string {
	var names []string
	for _, r := range sum.Results {
		if r.Status == conformance.Failed {
			names = append(names, r.Scenario.Name)
		}
	}
	return names
}

// TestKitPrecision runs the kit through every deviation and variant.
func TestKitPrecision(t *testing.T) {
	base := verdict(t, transform{name: "none"})
	require.Empty(t, failedNames(base), "the kit fails pdemu behind the proxy with no change")
	require.NotZero(t, base.Count(conformance.Passed))
	var mu sync.Mutex
	caught, passed := 0, 0
	t.Run("deviations", func(t *testing.T) {
		for _, d := range deviations {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				failed := failedNames(verdict(t, d))
				if len(failed) == 0 {
					t.Errorf("the kit passes a server with this deviation: %s (%s)", d.name, d.why)
					return
				}
				mu.Lock()
				caught++
				mu.Unlock()
				t.Logf("caught by %d scenarios, e.g. %q", len(failed), failed[0])
			})
		}
	})
	t.Run("variants", func(t *testing.T) {
		for _, v := range variants {
			t.Run(v.name, func(t *testing.T) {
				t.Parallel()
				if failed := failedNames(verdict(t, v)); len(failed) > 0 {
					t.Errorf("the kit fails a faithful server (%s): %s", v.why, strings.Join(failed, "; "))
					return
				}
				mu.Lock()
				passed++
				mu.Unlock()
			})
		}
	})
	t.Logf("catches %d of %d deviations, passes %d of %d faithful variants; %d scenarios run against the API alone",
		caught, len(deviations), passed, len(variants), base.Count(conformance.Passed))
}
