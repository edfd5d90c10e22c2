package conformance_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf16"

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
	// chunked sends bodies without Content-Length.
	chunked bool
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

// pages applies f to every list page a successful GET answers: a JSON
// object with data (a list) and page_info.
func pages(f func(r *http.Request, body map[string]any)) func(*http.Request, *answer) {
	return func(r *http.Request, a *answer) {
		if a.status != http.StatusOK || r.Method != http.MethodGet {
			return
		}
		a.json(func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if _, isList := m["data"].([]any); isList && m["page_info"] != nil {
					f(r, m)
				}
			}
			return v
		})
	}
}

// mapValues applies f to every value of a JSON document, inside out.
func mapValues(f func(any) any) func(any) any {
	var walk func(any) any
	walk = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			for k, e := range t {
				t[k] = walk(e)
			}
		case []any:
			for i, e := range t {
				t[i] = walk(e)
			}
		}
		return f(v)
	}
	return walk
}

// lastPageCursor gives the last page of every list a cursor, and answers
// that cursor with an empty page, as a server that always hands out a next
// cursor does.
func lastPageCursor(r *http.Request, a *answer) {
	if r.Header.Get(lastPageHeader) != "" {
		a.json(func(v any) any {
			return map[string]any{"data": []any{}, "page_info": map[string]any{
				"count": json.Number("0"), "total_count": v.(map[string]any)["page_info"].(map[string]any)["total_count"],
				"start_cursor": nil, "end_cursor": nil}}
		})
		return
	}
	pages(func(_ *http.Request, m map[string]any) {
		pi := m["page_info"].(map[string]any)
		if data := m["data"].([]any); len(data) > 0 && pi["end_cursor"] == nil {
			pi["end_cursor"] = lastPageMark
		}
	})(r, a)
}

const (
	lastPageMark   = "cHJlY2lzaW9uLWxhc3Q"
	lastPageHeader = "X-Precision-Last-Page"
)

// lastPageRequest sends a request for the made-up cursor on as a request
// for the first page, marked, so that its answer can be emptied.
func lastPageRequest(r *http.Request) {
	q := r.URL.Query()
	if q.Get("after") == lastPageMark {
		q.Del("after")
		r.URL.RawQuery = q.Encode()
		r.Header.Set(lastPageHeader, "1")
	}
}

// cursorMap hands out cursors of its own shape for pdemu's, and maps them
// back on the way in.
type cursorMap struct {
	mu     sync.Mutex
	out    map[string]string // pdemu's cursor -> ours
	in     map[string]string // ours -> pdemu's
	issued int
}

var cursors = &cursorMap{out: map[string]string{}, in: map[string]string{}}

func (c *cursorMap) response(r *http.Request, a *answer) {
	pages(func(_ *http.Request, m map[string]any) {
		pi := m["page_info"].(map[string]any)
		for _, k := range []string{"start_cursor", "end_cursor"} {
			if cur, ok := pi[k].(string); ok && cur != "" {
				pi[k] = c.ours(cur)
			}
		}
	})(r, a)
}

func (c *cursorMap) ours(cur string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.out[cur]; ok {
		return o
	}
	c.issued++
	o := fmt.Sprintf("page~%d~%x", c.issued, len(cur))
	c.out[cur], c.in[o] = o, cur
	return o
}

func (c *cursorMap) request(r *http.Request) {
	q := r.URL.Query()
	changed := false
	for _, k := range []string{"after", "before"} {
		if v := q.Get(k); v != "" {
			c.mu.Lock()
			orig, ok := c.in[v]
			c.mu.Unlock()
			if ok {
				q.Set(k, orig)
				changed = true
			}
		}
	}
	if changed {
		r.URL.RawQuery = q.Encode()
	}
}

// escapeJSON writes every non-ASCII character and "/" of a JSON document's
// strings as escapes; anything else is left as it is.
func escapeJSON(b []byte) []byte {
	if !json.Valid(b) {
		return b
	}
	var out bytes.Buffer
	inString, escaped := false, false
	for _, r := range string(b) {
		switch {
		case !inString:
			inString = r == '"'
			out.WriteRune(r)
		case escaped:
			escaped = false
			out.WriteRune(r)
		case r == '\\':
			escaped = true
			out.WriteRune(r)
		case r == '"':
			inString = false
			out.WriteRune(r)
		case r == '/':
			out.WriteString(`\/`)
		case r > 0x7f:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&out, `\u%04x`, u)
			}
		default:
			out.WriteRune(r)
		}
	}
	return out.Bytes()
}

// reorderChallenge writes a challenge's scheme in lower case and its
// parameters in reverse order: Bearer a="1", b="2" -> bearer b="2", a="1".
func reorderChallenge(v string) string {
	scheme, params, ok := strings.Cut(v, " ")
	if !ok {
		return strings.ToLower(v)
	}
	var parts []string
	inQuote, start := false, 0
	for i := 0; i < len(params); i++ {
		switch params[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				parts = append(parts, strings.TrimSpace(params[start:i]))
				start = i + 1
			}
		}
	}
	parts = append(parts, strings.TrimSpace(params[start:]))
	slices.Reverse(parts)
	return strings.ToLower(scheme) + " " + strings.Join(parts, ", ")
}

// The deviations: each a change a real server could plausibly make, with
// the client that trips on it.
var deviations = []transform{
	{
		name:     `expires_in written as 3600.0`,
		why:      `golang.org/x/oauth2 parses expires_in with strconv.ParseInt: parsing "3600.0": invalid syntax`,
		response: onToken(field("expires_in", json.Number("3600.0"), false)),
	},
	{
		name:     `expires_in written as the string "3600"`,
		why:      `a Go client decoding the response into a struct: encoding/json: cannot unmarshal string into field expires_in of type int`,
		response: onToken(field("expires_in", "3600", false)),
	},
	{
		name:     `expires_in null`,
		why:      `golang.org/x/oauth2 reads a null expires_in as no expiry and keeps sending the token after it has expired`,
		response: onToken(field("expires_in", nil, false)),
	},
	{
		name:     `no access_token in the token response`,
		why:      `golang.org/x/oauth2: "server response missing access_token"; @pipedream/sdk sends "Bearer undefined"`,
		response: onToken(field("access_token", nil, true)),
	},
	{
		name:     `token_type "mac"`,
		why:      `golang.org/x/oauth2 sends the token as "MAC <token>"; RFC 6749 §7.1: a client must not use a token of a type it does not understand`,
		response: onToken(field("token_type", "mac", false)),
	},
	{
		name:     `scope as a JSON array`,
		why:      `RFC 6749 §5.1 and §3.3 make scope a space-delimited string; a Go client decoding into a string field fails (cannot unmarshal array)`,
		response: onToken(field("scope", []any{"*"}, false)),
	},
	{
		name:     `created_at as an RFC 3339 string`,
		why:      `Pipedream's token response has created_at in Unix seconds; a client decoding it into an integer fails`,
		response: onToken(field("created_at", "2026-12-01T00:00:00Z", false)),
	},
	{
		name: `the token response as text/plain`,
		why:  `golang.org/x/oauth2 parses a text/plain token response as a form and finds no access_token`,
		response: func(r *http.Request, a *answer) {
			if isToken(r) {
				a.header.Set("Content-Type", "text/plain; charset=utf-8")
			}
		},
	},
	{
		name: `a refused client answered 200 with the error`,
		why:  `@pipedream/sdk and golang.org/x/oauth2 take a 2xx for a token and send "Bearer undefined" or fail on a missing access_token, instead of reporting invalid_client`,
		response: func(r *http.Request, a *answer) {
			if isToken(r) && a.status == http.StatusUnauthorized {
				a.status = http.StatusOK
			}
		},
	},
	{
		name: `the token endpoint's error code as an object`,
		why:  `golang.org/x/oauth2 decodes error into a string to fill RetrieveError.ErrorCode, and @pipedream/sdk reads error as the code; {"error": {"code": ...}} leaves both without it`,
		response: func(r *http.Request, a *answer) {
			if isToken(r) && a.status >= 400 {
				a.json(func(v any) any {
					if m, ok := v.(map[string]any); ok {
						m["error"] = map[string]any{"code": m["error"]}
					}
					return v
				})
			}
		},
	},
	{
		name: `API errors as HTML pages`,
		why:  `@pipedream/sdk parses an error's JSON body for its message and code; an HTML page leaves a caller with neither`,
		response: func(r *http.Request, a *answer) {
			if a.status >= 400 && !isToken(r) {
				a.header.Set("Content-Type", "text/html; charset=utf-8")
				a.body = []byte("<html><body><h1>" + http.StatusText(a.status) + "</h1></body></html>\n")
			}
		},
	},
	{
		name: `a 401 without WWW-Authenticate`,
		why:  `RFC 7235 §3.1 and RFC 6750 §3: a 401 must carry a challenge; clients that decide from error="invalid_token" whether to fetch a new token cannot`,
		response: func(r *http.Request, a *answer) {
			if a.status == http.StatusUnauthorized {
				a.header.Del("WWW-Authenticate")
			}
		},
	},
	{
		name: `the token response without Cache-Control: no-store`,
		why:  `RFC 6749 §5.1: a shared cache or proxy between client and server may keep the token and hand it to another client`,
		response: func(r *http.Request, a *answer) {
			if isToken(r) {
				a.header.Del("Cache-Control")
				a.header.Del("Pragma")
			}
		},
	},
	{
		name: `a key set with no keys`,
		why:  `any verifier of the tokens (jose's createRemoteJWKSet, github.com/MicahParks/keyfunc) finds no key for the token's kid`,
		response: func(r *http.Request, a *answer) {
			if r.URL.Path == "/.well-known/jwks.json" {
				a.body = []byte(`{"keys":[]}` + "\n")
			}
		},
	},
	{
		name: `tokens signed with a key the key set does not hold`,
		why:  `any verifier of the tokens fails the signature of every one`,
		response: func(r *http.Request, a *answer) {
			if r.URL.Path == "/.well-known/jwks.json" {
				a.json(func(v any) any {
					keys, _ := v.(map[string]any)["keys"].([]any)
					for _, k := range keys {
						if m, ok := k.(map[string]any); ok {
							m["x"] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" // RFC 8032's test key 1
						}
					}
					return v
				})
			}
		},
	},
	{
		name:     `an end_cursor on the last page`,
		why:      `@pipedream/sdk's pager reports another page (hasNextPage) and fetches an empty one; a UI offers a next page with nothing on it`,
		response: lastPageCursor,
		request:  lastPageRequest,
	},
	{
		name: `no page_info`,
		why:  `@pipedream/sdk's pager dereferences page_info.end_cursor: TypeError: Cannot read properties of undefined`,
		response: pages(func(_ *http.Request, m map[string]any) {
			delete(m, "page_info")
		}),
	},
	{
		name: `page_info.count that is not the page's size`,
		why:  `a client that sizes a page by count (a table, "showing N of M") shows items it does not have`,
		response: pages(func(_ *http.Request, m map[string]any) {
			if pi, ok := m["page_info"].(map[string]any); ok {
				pi["count"] = json.Number("1000")
			}
		}),
	},
	{
		name: `data null on an empty page`,
		why:  `@pipedream/sdk iterates data: TypeError: data is not iterable`,
		response: pages(func(_ *http.Request, m map[string]any) {
			if d, ok := m["data"].([]any); ok && len(d) == 0 {
				m["data"] = nil
			}
		}),
	},
	{
		name: `booleans written as strings`,
		why:  `in JavaScript the string "false" is true, so @pipedream/sdk's callers take the other branch; Go clients fail to decode a string into a bool`,
		response: func(_ *http.Request, a *answer) {
			if a.status < 300 {
				a.json(mapValues(func(v any) any {
					if b, ok := v.(bool); ok {
						return strconv.FormatBool(b)
					}
					return v
				}))
			}
		},
	},
}

// The variants: each a change the specifications allow, with the rule.
var variants = []transform{
	{
		name:     `token_type "bearer"`,
		why:      `RFC 6749 §5.1: token_type "Value is case insensitive"`,
		response: onToken(field("token_type", "bearer", false)),
	},
	{
		name:     `token_type "BEARER"`,
		why:      `RFC 6749 §5.1, as above`,
		response: onToken(field("token_type", "BEARER", false)),
	},
	{
		name: `JSON keys in another order`,
		why:  `RFC 8259 §4: an object is an unordered collection (the proxy writes keys sorted)`,
		response: func(_ *http.Request, a *answer) {
			a.json(func(v any) any { return v }) // encoding/json writes map keys sorted
		},
	},
	{
		name: `an unknown field in every object`,
		why:  `Pipedream's OpenAPI objects allow more properties, and every SDK ignores fields it does not know`,
		response: func(r *http.Request, a *answer) {
			if r.URL.Path == "/.well-known/jwks.json" {
				return // a key's members are not ours to add to (RFC 7517 §4 lets them be ignored, but the kit checks keys with go-jose)
			}
			a.json(func(v any) any {
				if m, ok := v.(map[string]any); ok {
					m["x_pdemu_extra"] = true
					if pi, ok := m["page_info"].(map[string]any); ok {
						pi["x_pdemu_extra"] = true
					}
					if data, ok := m["data"].([]any); ok {
						for _, it := range data {
							if item, ok := it.(map[string]any); ok {
								item["x_pdemu_extra"] = true
							}
						}
					}
				}
				return v
			})
		},
	},
	{
		name: `JSON indented over many lines`,
		why:  `RFC 8259 §2: whitespace is allowed around any structural character`,
		response: func(_ *http.Request, a *answer) {
			var buf bytes.Buffer
			if json.Indent(&buf, a.body, "", "    ") == nil && json.Valid(a.body) {
				a.body = append(buf.Bytes(), '\n')
			}
		},
	},
	{
		name:     `every non-ASCII character and "/" escaped`,
		why:      `RFC 8259 §7: any character may be escaped; "\u00e9" is "é" and "\/" is "/"`,
		response: func(_ *http.Request, a *answer) { a.body = escapeJSON(a.body) },
	},
	{
		name: `Content-Type with charset=utf-8`,
		why:  `RFC 9110 §8.3: parameters follow the media type; application/json ignores charset (RFC 8259 §11) and clients accept it`,
		response: func(_ *http.Request, a *answer) {
			if strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				a.header.Set("Content-Type", "application/json; charset=utf-8")
			}
		},
	},
	{
		name: `Content-Type in upper case`,
		why:  `RFC 9110 §8.3.1: type, subtype and parameter names are case-insensitive`,
		response: func(_ *http.Request, a *answer) {
			if strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
				a.header.Set("Content-Type", "Application/JSON;charset=UTF-8")
			}
		},
	},
	{
		name: `gzip when the client accepts it`,
		why:  `RFC 9110 §8.4 and §12.5.3: a server may encode content a client accepts; Go's and Node's HTTP clients decode it`,
		response: func(r *http.Request, a *answer) {
			if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && len(a.body) > 0 {
				var buf bytes.Buffer
				zw := gzip.NewWriter(&buf)
				_, _ = zw.Write(a.body)
				_ = zw.Close()
				a.body = buf.Bytes()
				a.header.Set("Content-Encoding", "gzip")
				a.header.Add("Vary", "Accept-Encoding")
			}
		},
	},
	{
		name:    `bodies sent chunked, without Content-Length`,
		why:     `RFC 9112 §7.1: an HTTP/1.1 message's length may come from chunked transfer coding`,
		chunked: true,
	},
	{
		name: `more response headers`,
		why:  `RFC 9110 §5.1: a recipient ignores header fields it does not know`,
		response: func(_ *http.Request, a *answer) {
			a.header.Set("X-Request-Id", "req-precision")
			a.header.Set("Server", "not-pdemu")
			a.header.Add("Via", "1.1 precision-proxy")
		},
	},
	{
		name: `the auth scheme in lower case and the challenge's parameters in another order`,
		why:  `RFC 7235 §2.1: the auth-scheme is case-insensitive and parameters are a list of name=value pairs in any order`,
		response: func(_ *http.Request, a *answer) {
			if vs := a.header.Values("WWW-Authenticate"); len(vs) > 0 {
				a.header.Del("WWW-Authenticate")
				for _, v := range vs {
					a.header.Add("WWW-Authenticate", reorderChallenge(v))
				}
			}
		},
	},
	{
		name:     `opaque cursors of another shape`,
		why:      `Pipedream's cursors are opaque strings: a client passes page_info.end_cursor back as after and reads nothing into it`,
		response: cursors.response,
		request:  cursors.request,
	},
}

// proxy serves pdemu's API through t's changes and answers 404 for its
// control plane, as a server that has none. changed counts the exchanges
// the change touched: one that touches none proves nothing.
func proxy(tb testing.TB, target string, t transform, changed *atomic.Int64) string {
	u, err := url.Parse(target)
	require.NoError(tb, err)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			if t.request != nil {
				before := pr.Out.URL.String()
				t.request(pr.Out)
				if pr.Out.URL.String() != before {
					changed.Add(1)
				}
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			a := &answer{status: resp.StatusCode, header: resp.Header, body: body}
			before := answer{status: a.status, header: a.header.Clone(), body: bytes.Clone(body)}
			if t.response != nil {
				t.response(resp.Request, a)
			}
			if t.chunked || a.status != before.status || !bytes.Equal(a.body, before.body) || !reflect.DeepEqual(a.header, before.header) {
				changed.Add(1)
			}
			resp.StatusCode = a.status
			resp.Body = io.NopCloser(bytes.NewReader(a.body))
			if t.chunked {
				resp.ContentLength = -1
				resp.Header.Del("Content-Length")
			} else {
				resp.ContentLength = int64(len(a.body))
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
	var changed atomic.Int64
	cfg.BaseURL = proxy(tb, srv.URL, t, &changed)
	var out bytes.Buffer
	sum, err := conformance.Run(context.Background(), conformance.Options{Config: cfg, Output: &out, Format: "progress"})
	require.NoError(tb, err, out.String())
	if t.response != nil || t.request != nil || t.chunked {
		require.NotZero(tb, changed.Load(), "the change %q touched no answer: it proves nothing", t.name)
	}
	return sum
}

func failedNames(sum conformance.Summary) []string {
	var names []string
	for _, r := range failed(sum) {
		names = append(names, r.Scenario.Name)
	}
	return names
}

func failed(sum conformance.Summary) []conformance.Result {
	var out []conformance.Result
	for _, r := range sum.Results {
		if r.Status == conformance.Failed {
			out = append(out, r)
		}
	}
	return out
}

// ruleBroken starts the reason of a step failed by the checks every answer
// of a kind gets (conformance/checks.go).
const ruleBroken = "the answer breaks a rule clients rely on: "

// howCaught says how a deviation was caught: the rule the checks on every
// answer found broken, or else the first scenario that failed on its own
// steps (its reason may hold values that change from run to run).
func howCaught(results []conformance.Result) string {
	first := results[0]
	if rule, ok := strings.CutPrefix(first.Reason, ruleBroken); ok {
		rule, _, _ = strings.Cut(rule, "\n")
		if len(rule) > 150 {
			cut := strings.LastIndexByte(rule[:150], ' ')
			rule = rule[:cut] + " …"
		}
		return fmt.Sprintf("%d, at the check every such answer gets: %s", len(results), rule)
	}
	return fmt.Sprintf("%d, e.g. %q", len(results), first.Scenario.Name)
}

// TestKitPrecision runs the kit through every deviation and variant, and
// keeps the section of docs/conformance.md that reports the result equal
// to it (-update rewrites it).
func TestKitPrecision(t *testing.T) {
	base := verdict(t, transform{name: "none"})
	require.Empty(t, failedNames(base), "the kit fails pdemu behind the proxy with no change")
	require.NotZero(t, base.Count(conformance.Passed))
	var mu sync.Mutex
	caughtBy := map[string][]conformance.Result{} // deviation -> the scenarios that failed
	passed := map[string]bool{}
	t.Run("deviations", func(t *testing.T) {
		for _, d := range deviations {
			t.Run(d.name, func(t *testing.T) {
				t.Parallel()
				failed := failed(verdict(t, d))
				if len(failed) == 0 {
					t.Errorf("the kit passes a server with this deviation: %s (%s)", d.name, d.why)
					return
				}
				mu.Lock()
				caughtBy[d.name] = failed
				mu.Unlock()
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
				passed[v.name] = true
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return // the doc states a result the kit reached
	}
	if len(caughtBy) != len(deviations) || len(passed) != len(variants) {
		t.Log("not every change ran (-run selects some): docs/conformance.md is compared on a full run only")
		return
	}
	want := precisionSection(base.Count(conformance.Passed), caughtBy)
	list, got := conformanceDocParts(t)
	if *update {
		require.NoError(t, os.WriteFile(conformanceDoc, []byte(list+want), 0o644))
		return
	}
	require.Equal(t, want, got, "docs/conformance.md's precision section is stale: run go test ./conformance -run TestKitPrecision -update")
}

// precisionSection is the doc's account of a precision run in which every
// deviation was caught and every variant passed.
func precisionSection(scenarios int, caughtBy map[string][]conformance.Result) string {
	var b strings.Builder
	b.WriteString(precisionHeading + "\n")
	b.WriteString("<!-- Measured by `go test ./conformance -run TestKitPrecision -update`; do not edit. -->\n\n")
	fmt.Fprintf(&b, "A red should mean a real deviation and a green none. The test command proves both of the kit\n"+
		"itself: `TestKitPrecision` (conformance/precision_test.go) runs the whole kit against pdemu behind\n"+
		"a proxy that changes one thing in pdemu's answers, once per change. The proxy hides pdemu's control\n"+
		"plane, so the kit judges only what it would judge of a real server: %d scenarios run, the\n"+
		"`@emulator-only` ones are skipped. A deviation is caught when at least one scenario fails; a\n"+
		"variant passes when every scenario does. A change that touches no answer fails the test, so none\n"+
		"passes by doing nothing.\n\n", scenarios)
	fmt.Fprintf(&b, "**The kit catches %d of %d deviations and passes %d of %d faithful variants.**\n\n",
		len(caughtBy), len(deviations), len(variants), len(variants))
	b.WriteString("The rules behind these verdicts are one package, `conformance/internal/wire`: JSON values typed as\n" +
		"clients parse them (an integer is written without a fraction or an exponent; a string is never a\n" +
		"number; null only where a field may be null), values compared under the specifications' own\n" +
		"equivalences (ASCII case folding where an RFC makes a value case-insensitive, media types with\n" +
		"any parameters, cache directives and auth schemes in any case, decoded JSON rather than bytes,\n" +
		"cursors as opaque strings), and the invariants every answer of a kind keeps, checked on every\n" +
		"such answer the kit receives, whatever the scenario checks itself: every token response (its\n" +
		"fields' types, its token against the published key set when the target publishes one) and every\n" +
		"page of a list (page_info's counts and cursors; a cursor that leads to an empty page).\n\n")
	b.WriteString("### Deviations the kit must catch\n\n")
	b.WriteString("| change to pdemu's answers | who trips on it | scenarios that fail, and how |\n|---|---|---|\n")
	for _, d := range deviations {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(d.name), cell(d.why), cell(howCaught(caughtBy[d.name])))
	}
	b.WriteString("\n### Faithful variants the kit must pass\n\n")
	b.WriteString("| change to pdemu's answers | why a faithful server may answer so |\n|---|---|\n")
	for _, v := range variants {
		fmt.Fprintf(&b, "| %s | %s |\n", cell(v.name), cell(v.why))
	}
	b.WriteString("\nNot measured here: header names in another case on the wire (Go's HTTP client, which the kit\n" +
		"uses, puts every name in canonical form before any step reads it, so no step can depend on it),\n" +
		"and deviations only an emulator's control plane can reveal (rate limits, faults, the journal).\n")
	return b.String()
}

// cell escapes a table cell's pipes.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
