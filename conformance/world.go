package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// world is one scenario's state. It travels in the context, so scenarios
// running at once share nothing.
type world struct {
	cfg  Config
	caps Capabilities
	// unique is a random suffix for names this scenario creates, so runs
	// against a shared server never collide.
	unique string
	// token is the bearer token sent by requests ("" sends none).
	token string
	// vars are values remembered by name (${name} in paths and bodies).
	vars map[string]string
	// header holds extra headers for the next request only.
	header http.Header
	last   *exchange
	// cleanups undo what the scenario created, newest first.
	cleanups []func(context.Context)
}

// exchange is one request and its response.
type exchange struct {
	method, url string
	status      int
	header      http.Header
	body        []byte
	decoded     any // the body as JSON, nil when it is not JSON
}

type worldKey struct{}

func newWorld(cfg Config, caps Capabilities) *world {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &world{cfg: cfg, caps: caps, unique: hex.EncodeToString(b[:]), vars: map[string]string{}, header: http.Header{}}
}

func worldFrom(ctx context.Context) *world {
	w, _ := ctx.Value(worldKey{}).(*world)
	if w == nil {
		panic("conformance: step ran outside a scenario")
	}
	return w
}

var varRe = regexp.MustCompile(`\$\{([a-zA-Z0-9_]+)\}`)

// expand replaces ${name} with remembered values and the built-ins
// project_id, client_id, client_secret, unique and environment. An unknown name is an
// error, not an empty string.
func (w *world) expand(s string) (string, error) {
	var missing []string
	out := varRe.ReplaceAllStringFunc(s, func(m string) string {
		name := varRe.FindStringSubmatch(m)[1]
		switch name {
		case "project_id":
			return w.cfg.ProjectID
		case "client_id":
			return w.cfg.Client.ClientID
		case "client_secret":
			return w.cfg.Client.ClientSecret
		case "unique":
			return w.unique
		case "environment":
			return w.cfg.Environment
		}
		if v, ok := w.vars[name]; ok {
			return v
		}
		missing = append(missing, name)
		return m
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("nothing remembered as %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// do sends a request to the target and records the exchange. A string body
// is sent as is with contentType; the next request starts without the
// extra headers of this one.
func (w *world) do(ctx context.Context, method, path, contentType, body string) error {
	path, err := w.expand(path)
	if err != nil {
		return err
	}
	if body, err = w.expand(body); err != nil {
		return err
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.cfg.BaseURL+path, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if w.token != "" {
		req.Header.Set("Authorization", "Bearer "+w.token)
	}
	req.Header.Set("X-PD-Environment", w.cfg.Environment)
	for k, vs := range w.header {
		req.Header[k] = vs
	}
	w.header = http.Header{}
	resp, err := w.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the body: %w", method, path, err)
	}
	x := &exchange{method: method, url: path, status: resp.StatusCode, header: resp.Header, body: b}
	if len(bytes.TrimSpace(b)) > 0 {
		var v any
		if json.Unmarshal(b, &v) == nil {
			x.decoded = v
		}
	}
	w.last = x
	return nil
}

// response returns the last exchange, or an error if none happened.
func (w *world) response() (*exchange, error) {
	if w.last == nil {
		return nil, fmt.Errorf("no request was sent yet")
	}
	return w.last, nil
}

// sensitiveFields never appear in failure messages: a report of a run
// against a real server may end up in a CI log.
var sensitiveFields = map[string]bool{"access_token": true, "token": true, "client_secret": true,
	"signing_key": true, "webhook_signing_key": true, "oauth_access_token": true, "oauth_refresh_token": true,
	"refresh_token": true, "id_token": true, "api_key": true, "connect_token": true}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			if s, ok := val.(string); ok && sensitiveFields[k] && s != "" {
				out[k] = fmt.Sprintf("<redacted, %d characters>", len(s))
			} else {
				out[k] = redact(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = redact(val)
		}
		return out
	}
	return v
}

// responseAnd returns the last exchange and s with ${name} expanded: what a
// Then step comparing the response with an expected value needs first.
func (w *world) responseAnd(s string) (*exchange, string, error) {
	x, err := w.response()
	if err != nil {
		return nil, "", err
	}
	s, err = w.expand(s)
	return x, s, err
}

// describe renders the last response for failure messages, secrets redacted.
func (x *exchange) describe() string {
	body := string(x.body)
	if x.decoded != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // "<redacted, …>" reads better than \u003c…
		_ = enc.Encode(redact(x.decoded))
		body = strings.TrimSpace(buf.String())
	}
	if strings.TrimSpace(body) == "" {
		body = "(empty body)"
	}
	if len(body) > 600 {
		body = body[:600] + "…"
	}
	return fmt.Sprintf("%s %s answered %d: %s", x.method, x.url, x.status, body)
}

// field finds a value in the JSON body by a dotted path: "data.0.id",
// "page_info.end_cursor". The second result is false when the path does
// not exist (a JSON null exists).
func (x *exchange) field(path string) (any, bool) {
	v := x.decoded
	if path == "" || path == "." {
		return v, v != nil
	}
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = node[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// list returns the JSON array at path, or an error naming what is there.
func (x *exchange) list(path string) ([]any, error) {
	v, ok := x.field(path)
	items, isList := v.([]any)
	if !ok || !isList {
		return nil, fmt.Errorf("want a list at %s; %s", path, x.describe())
	}
	return items, nil
}

// text renders a JSON value as the feature files write it: strings bare,
// numbers without a needless ".0", null as null.
func text(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
