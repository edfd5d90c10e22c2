package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// world is one scenario's state, all of it: what it sends, what it got
// back, what it remembered and what it must undo. It travels in the
// context, so scenarios running at once share nothing.
type world struct {
	cfg  Config
	caps Capabilities
	// scenario is the scenario this world runs: steps that touch what
	// every scenario shares (the clock) check its tags.
	scenario Scenario
	// unique is a random suffix for names this scenario creates, so runs
	// against a shared server never collide.
	unique string
	// env is the environment requests are sent in (X-PD-Environment,
	// ${environment}): the configured one unless the scenario switched.
	env string

	// token is the bearer of the scenario's own requests ("" sends none).
	token string
	// header holds extra headers for the scenario's next request only.
	header http.Header
	// last is the answer to the scenario's last own request: what the
	// Then steps check.
	last *exchange

	// vars are values the scenario remembered by name, read as ${name}.
	vars map[string]string
	// accessToken and connectToken are the last tokens the scenario got
	// (${access_token}, ${connect_token}); createdClient is the OAuth
	// client it created last (${created_client_id},
	// ${created_client_secret}).
	accessToken, connectToken string
	createdClient             Credentials
	// endpoint is the endpoint under test of "Given the endpoint …": its
	// method and the route table's path template.
	endpoint struct{ method, path string }
	// scopedTokens are access tokens fetched for endpoint calls, by scope.
	scopedTokens map[string]string
	// calls are the answers of the last "each scope" call, in order.
	calls []scopedCall
	// walk is the last walk of a paginated list.
	walk *pageWalk
	// violations are the wire rules answers broke (checks.go), reported
	// how many of them a step has already failed on; keys is the run's
	// copy of the target's key set.
	violations []string
	reported   int
	keys       *keySets
	// journal is where the scenario began watching the request journal
	// (nil: it does not watch it).
	journal *journalWatch
	// exported is the state document the scenario exported last (nil:
	// none).
	exported []byte

	// started is when the scenario started; steps are its steps'
	// outcomes so far.
	started time.Time
	steps   []StepResult

	// cleanups undo what the scenario changed on the target.
	cleanups cleanups
	// sideAccessToken is an access token the side requests and cleanups
	// share (the scenario's own may be a Connect token, or expired by a
	// moved clock).
	sideAccessToken string
}

// scopedCall is one answer to a call made with a token of one scope.
type scopedCall struct {
	scope string
	x     *exchange
}

// pageWalk is what walking a paginated list collected.
type pageWalk struct {
	values []string
	pages  int
}

type worldKey struct{}

func newWorld(cfg Config, caps Capabilities, s Scenario) *world {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &world{cfg: cfg, caps: caps, scenario: s, unique: hex.EncodeToString(b[:]), env: cfg.Environment, started: time.Now(),
		header: http.Header{}, vars: map[string]string{}, scopedTokens: map[string]string{}}
}

func worldFrom(ctx context.Context) *world {
	w, _ := ctx.Value(worldKey{}).(*world)
	if w == nil {
		panic("conformance: step ran outside a scenario")
	}
	return w
}

var varRe = regexp.MustCompile(`\$\{([a-zA-Z0-9_]+)\}`)

// builtin returns the value of a name the kit defines, rather than one a
// scenario remembered.
func (w *world) builtin(name string) (string, bool) {
	switch name {
	case "project_id":
		return w.cfg.ProjectID, true
	case "client_id":
		return w.cfg.Client.ClientID, true
	case "client_secret":
		return w.cfg.Client.ClientSecret, true
	case "unique":
		return w.unique, true
	case "environment":
		return w.env, true
	case "access_token":
		return w.accessToken, w.accessToken != ""
	case "connect_token":
		return w.connectToken, w.connectToken != ""
	case "created_client_id":
		return w.createdClient.ClientID, w.createdClient.ClientID != ""
	case "created_client_secret":
		return w.createdClient.ClientSecret, w.createdClient.ClientID != ""
	}
	return "", false
}

// isBuiltin reports whether the kit defines name, so no scenario may
// remember a value under it.
func isBuiltin(name string) bool {
	switch name {
	case "project_id", "client_id", "client_secret", "unique", "environment",
		"access_token", "connect_token", "created_client_id", "created_client_secret":
		return true
	}
	return false
}

// remember keeps a value under a name for ${name}.
func (w *world) remember(name, value string) error {
	if isBuiltin(name) {
		return fmt.Errorf("%q is a name the kit defines: remember the value under another", name)
	}
	w.vars[name] = value
	return nil
}

// expand replaces each ${name} with the kit's value of that name or the
// one the scenario remembered. An unknown name is an error, not an empty
// string.
func (w *world) expand(s string) (string, error) {
	var missing []string
	out := varRe.ReplaceAllStringFunc(s, func(m string) string {
		name := varRe.FindStringSubmatch(m)[1]
		if v, ok := w.builtin(name); ok {
			return v
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

// do sends the scenario's own request, ${name}s in the path and body
// expanded: with its bearer token, its environment and the headers queued
// for it, and its answer becomes the last response.
func (w *world) do(ctx context.Context, method, path, contentType, body string) error {
	path, err := w.expand(path)
	if err != nil {
		return err
	}
	if body, err = w.expand(body); err != nil {
		return err
	}
	return w.doRaw(ctx, method, path, contentType, body)
}

// doRaw is do for a path and body sent exactly as given, ${name}s and all:
// a state document may hold any text.
func (w *world) doRaw(ctx context.Context, method, path, contentType, body string) error {
	if err := w.beforeOwnRequest(ctx, method, path); err != nil {
		return err
	}
	header := w.header
	w.header = http.Header{}
	x, err := w.send(ctx, request{method: method, path: path, contentType: contentType, body: body,
		token: w.token, env: w.env, header: header}, record)
	if err != nil {
		return err
	}
	w.afterOwnRequest(method, path, x)
	return nil
}

// response returns the last exchange, or an error if none happened.
func (w *world) response() (*exchange, error) {
	if w.last == nil {
		return nil, fmt.Errorf("no request was sent yet")
	}
	return w.last, nil
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

// otherEnvironment is the environment of a Pipedream project that env is
// not (Config only admits the two).
func otherEnvironment(env string) string {
	if env == "production" {
		return "development"
	}
	return "production"
}

// sensitiveFields never appear in failure messages: a report of a run
// against a real server may end up in a CI log.
var sensitiveFields = map[string]bool{"access_token": true, "token": true, "client_secret": true,
	"signing_key": true, "webhook_signing_key": true, "oauth_access_token": true, "oauth_refresh_token": true,
	"refresh_token": true, "id_token": true, "api_key": true, "connect_token": true,
	"ed25519_seed": true, "secret_hash": true}

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

// ok reports whether the exchange's status is a 2xx.
func (x *exchange) ok() bool { return x.status >= 200 && x.status <= 299 }

// field finds a value in the JSON body by a dotted path: "data.0.id",
// "page_info.end_cursor". The second result is false when the path does
// not exist (a JSON null exists).
func (x *exchange) field(path string) (any, bool) {
	v := x.decoded
	if path == "" || path == "." {
		return v, v != nil
	}
	for part := range strings.SplitSeq(path, ".") {
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

// str returns the string at path, "" when there is none.
func (x *exchange) str(path string) string {
	v, _ := x.field(path)
	s, _ := v.(string)
	return s
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
func text(v any) string { return wire.Text(v) }
