package conformance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"github.com/pdemu/pdemu/conformance/internal/challenge"
	"github.com/pdemu/pdemu/conformance/internal/jwtcheck"
)

// The OAuth steps: the token endpoint (form bodies, HTTP Basic), the access
// token's JWT header and claims, the JWKS, scope enforcement over the
// endpoint table, RFC 6750 challenges, the clock, OAuth clients of the
// control plane and Connect tokens.
func init() { extraSteps = append(extraSteps, registerOAuthSteps) }

// oauthStepRes holds the step patterns compiled once: godog compiles a
// string pattern every time a scenario's steps are registered, which the
// runner does for every scenario (and every row of an outline) it loads.
var oauthStepRes sync.Map

// oauthStep registers a step with its pattern compiled once per process.
func oauthStep(sc *godog.ScenarioContext, pattern string, fn any) {
	re, ok := oauthStepRes.Load(pattern)
	if !ok {
		re, _ = oauthStepRes.LoadOrStore(pattern, regexp.MustCompile(pattern))
	}
	sc.Step(re.(*regexp.Regexp), fn)
}

// registerOAuthSteps adds the step family; see the feature files token,
// scopes, expiry, clients and connect_tokens for their use.
func registerOAuthSteps(sc *godog.ScenarioContext) {
	registerTokenEndpointSteps(sc)
	registerJWTSteps(sc)
	registerScopeSteps(sc)
	registerClockSteps(sc)
	registerClientSteps(sc)
	registerConnectTokenSteps(sc)
}

// ---------------------------------------------------------------------------
// The token endpoint: form bodies and HTTP Basic.

func registerTokenEndpointSteps(sc *godog.ScenarioContext) {
	oauthStep(sc, `^I (POST|PUT|PATCH) "([^"]*)" with the form:$`, func(ctx context.Context, method, path string, table *godog.Table) error {
		w := worldFrom(ctx)
		form := url.Values{}
		for _, row := range table.Rows {
			if len(row.Cells) != 2 {
				return fmt.Errorf("a form table has two columns, name and value")
			}
			name, err := w.expand(row.Cells[0].Value)
			if err != nil {
				return err
			}
			value, err := w.expand(row.Cells[1].Value)
			if err != nil {
				return err
			}
			form.Add(name, value)
		}
		// Expanded before encoding: "$" becomes %24, so do's own expansion
		// leaves the body alone.
		return w.do(ctx, method, path, "application/x-www-form-urlencoded", form.Encode())
	})
	oauthStep(sc, `^I send the client credentials "([^"]*)" and "([^"]*)" with HTTP Basic$`, func(ctx context.Context, id, secret string) error {
		return sendBasicNext(ctx, id, secret, url.QueryEscape)
	})
	oauthStep(sc, `^I send the client credentials "([^"]*)" and "([^"]*)" with HTTP Basic, every character percent-encoded$`, func(ctx context.Context, id, secret string) error {
		return sendBasicNext(ctx, id, secret, percentEncodeAll)
	})
}

// sendBasicNext sets an Authorization: Basic header for the next request. RFC
// 6749 §2.3.1 has the client id and secret encoded with
// application/x-www-form-urlencoded before they are joined and base64'd.
func sendBasicNext(ctx context.Context, id, secret string, encode func(string) string) error {
	w := worldFrom(ctx)
	id, err := w.expand(id)
	if err != nil {
		return err
	}
	if secret, err = w.expand(secret); err != nil {
		return err
	}
	w.header.Set("Authorization", basicCredentials(id, secret, encode))
	return nil
}

func basicCredentials(id, secret string, encode func(string) string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(encode(id)+":"+encode(secret)))
}

// percentEncodeAll writes every byte as %XX: still a valid form encoding
// (a decoder must decode any escape), which shows that the server decodes
// the credentials rather than comparing them as sent.
func percentEncodeAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// The access token: a JWT whose header and claims are read, not trusted.

func registerJWTSteps(sc *godog.ScenarioContext) {
	oauthStep(sc, `^the issued token's header "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		return checkJWTPart(ctx, "header", name, func(v any) bool { s, ok := v.(string); return ok && s == want }, "is "+strconv.Quote(want))
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		want, err := worldFrom(ctx).expand(want)
		if err != nil {
			return err
		}
		return checkJWTPart(ctx, "claim", name, func(v any) bool { s, ok := v.(string); return ok && s == want }, "is "+strconv.Quote(want))
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" matches "([^"]*)"$`, func(ctx context.Context, name, pattern string) error {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return err
		}
		return checkJWTPart(ctx, "claim", name, func(v any) bool { s, ok := v.(string); return ok && re.MatchString(s) }, "matches "+pattern)
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" is the JSON (.+)$`, func(ctx context.Context, name, doc string) error {
		want, err := jwtcheck.DecodeJSON([]byte(doc))
		if err != nil {
			return fmt.Errorf("the step's JSON %s: %w", doc, err)
		}
		return checkJWTPart(ctx, "claim", name, func(v any) bool { return reflect.DeepEqual(v, want) }, "is the JSON "+doc)
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" holds exactly "([^"]*)"$`, func(ctx context.Context, name, list string) error {
		want := strings.Fields(list)
		return checkJWTPart(ctx, "claim", name, func(v any) bool {
			items, ok := v.([]any)
			if !ok || len(items) != len(want) {
				return false
			}
			for _, it := range items {
				if s, ok := it.(string); !ok || !slices.Contains(want, s) {
					return false
				}
			}
			return true
		}, "holds exactly "+strconv.Quote(list))
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" is the claim "([^"]*)" (plus|minus) (\d+)$`, func(ctx context.Context, name, base, sign string, n int64) error {
		if sign == "minus" {
			n = -n
		}
		return checkClaimArithmetic(ctx, name, base, func(int64, map[string]any, *exchange) (int64, string, error) { return n, strconv.FormatInt(n, 10), nil })
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" is the claim "([^"]*)" plus the response field "([^"]*)"$`, func(ctx context.Context, name, base, field string) error {
		return checkClaimArithmetic(ctx, name, base, func(_ int64, _ map[string]any, x *exchange) (int64, string, error) {
			v, ok := x.field(field)
			f, isNum := v.(float64)
			if !ok || !isNum || f != float64(int64(f)) {
				return 0, "", fmt.Errorf("want an integer response field %s; %s", field, x.describe())
			}
			return int64(f), "the response field " + field, nil
		})
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" equals the response field "([^"]*)"$`, func(ctx context.Context, name, field string) error {
		_, claims, x, err := issuedToken(ctx)
		if err != nil {
			return err
		}
		c, err := jwtcheck.IntClaim(claims, name)
		if err != nil {
			return err
		}
		v, ok := x.field(field)
		if f, isNum := v.(float64); !ok || !isNum || f != float64(c) {
			return fmt.Errorf("want the response field %s equal to the claim %s (%d); %s", field, name, c, x.describe())
		}
		return nil
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" is within (\d+) seconds? of the (target's|emulator) clock(?: plus (\d+) seconds?)?$`, func(ctx context.Context, name string, tolerance int, which string, plus string) error {
		_, claims, _, err := issuedToken(ctx)
		if err != nil {
			return err
		}
		c, err := jwtcheck.IntClaim(claims, name)
		if err != nil {
			return err
		}
		return checkNearClock(ctx, "the claim "+name, time.Unix(c, 0), tolerance, which, plus)
	})
	oauthStep(sc, `^the issued token's claim "([^"]*)" is within (\d+) seconds? of "([^"]*)" plus (\d+) seconds?$`, func(ctx context.Context, name string, tolerance int, base string, plus int64) error {
		w := worldFrom(ctx)
		_, claims, _, err := issuedToken(ctx)
		if err != nil {
			return err
		}
		c, err := jwtcheck.IntClaim(claims, name)
		if err != nil {
			return err
		}
		b, err := w.expand(base)
		if err != nil {
			return err
		}
		bn, err := strconv.ParseInt(b, 10, 64)
		if err != nil {
			return fmt.Errorf("%s is not a Unix time: %q", base, b)
		}
		if d := c - (bn + plus); d > int64(tolerance) || d < -int64(tolerance) {
			return fmt.Errorf("want the claim %s within %d s of %d + %d, got %d (off by %d s)", name, tolerance, bn, plus, c, d)
		}
		return nil
	})
	oauthStep(sc, `^I remember the issued token's claim "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, name, as string) error {
		_, claims, _, err := issuedToken(ctx)
		if err != nil {
			return err
		}
		v, ok := claims[name]
		if !ok {
			return fmt.Errorf("the issued token has no claim %s", name)
		}
		return worldFrom(ctx).remember(as, text(v))
	})
	oauthStep(sc, `^the response field "([^"]*)" is within (\d+) seconds? of the (target's|emulator) clock(?: plus (\d+) seconds?)?$`, func(ctx context.Context, field string, tolerance int, which, plus string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		v, ok := x.field(field)
		if !ok {
			return fmt.Errorf("want a field %s; %s", field, x.describe())
		}
		t, err := jsonTime(v)
		if err != nil {
			return fmt.Errorf("the field %s: %w; %s", field, err, x.describe())
		}
		return checkNearClock(ctx, "the response field "+field, t, tolerance, which, plus)
	})
	oauthStep(sc, `^the token "([^"]*)" is signed by a key of this key set$`, func(ctx context.Context, token string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		tok, err := w.expand(token)
		if err != nil {
			return err
		}
		return jwtcheck.VerifyWithJWKS(tok, x.body)
	})
	oauthStep(sc, `^I use the issued token with the claim "([^"]*)" set to (.+)$`, func(ctx context.Context, name, doc string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		v, _ := x.field("access_token")
		tok, _ := v.(string)
		forged, err := jwtcheck.Forge(tok, name, doc)
		if err != nil {
			return fmt.Errorf("%w; %s", err, x.describe())
		}
		worldFrom(ctx).token = forged
		return nil
	})
}

// issuedToken decodes the access_token of the last response.
func issuedToken(ctx context.Context) (header, claims map[string]any, x *exchange, err error) {
	if x, err = worldFrom(ctx).response(); err != nil {
		return nil, nil, nil, err
	}
	v, ok := x.field("access_token")
	tok, isString := v.(string)
	if !ok || !isString || tok == "" {
		return nil, nil, x, fmt.Errorf("want an access_token in the response; %s", x.describe())
	}
	header, claims, err = jwtcheck.Decode(tok)
	if err != nil {
		return nil, nil, x, fmt.Errorf("the access token: %w", err)
	}
	return header, claims, x, nil
}

func checkJWTPart(ctx context.Context, part, name string, match func(any) bool, verb string) error {
	header, claims, x, err := issuedToken(ctx)
	if err != nil {
		return err
	}
	m := claims
	if part == "header" {
		m = header
	}
	v, ok := m[name]
	if !ok {
		return fmt.Errorf("want the token's %s %s that %s, but it is missing (%s has %s); %s", part, name, verb, part, claimNames(m), x.describe())
	}
	if !match(v) {
		return fmt.Errorf("want the token's %s %s that %s, got %s", part, name, verb, text(v))
	}
	return nil
}

func claimNames(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}

// checkClaimArithmetic checks claim name == claim base + the offset delta
// computes.
func checkClaimArithmetic(ctx context.Context, name, base string, delta func(int64, map[string]any, *exchange) (int64, string, error)) error {
	_, claims, x, err := issuedToken(ctx)
	if err != nil {
		return err
	}
	b, err := jwtcheck.IntClaim(claims, base)
	if err != nil {
		return err
	}
	c, err := jwtcheck.IntClaim(claims, name)
	if err != nil {
		return err
	}
	d, what, err := delta(b, claims, x)
	if err != nil {
		return err
	}
	if c != b+d {
		return fmt.Errorf("want the claim %s = %s + %s = %d + %d = %d, got %d (off by %d s)", name, base, what, b, d, b+d, c, c-(b+d))
	}
	return nil
}

// jsonTime reads a time from JSON: a number of Unix seconds or an RFC 3339
// string.
func jsonTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case float64:
		sec := int64(t)
		return time.Unix(sec, int64((t-float64(sec))*1e9)), nil
	case json.Number:
		f, err := t.Float64()
		if err != nil {
			return time.Time{}, err
		}
		return jsonTime(f)
	case string:
		tm, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", t)
		}
		return tm, nil
	}
	return time.Time{}, fmt.Errorf("%s is neither Unix seconds nor an RFC 3339 time", text(v))
}

// checkNearClock checks that t is within tolerance seconds of the clock (plus
// an offset): "target's" is the emulator's clock when the target has one
// (an emulator's time need not be the wall clock's) and the local clock
// otherwise; "emulator" insists on the emulator's.
func checkNearClock(ctx context.Context, what string, t time.Time, tolerance int, which, plus string) error {
	w := worldFrom(ctx)
	var now time.Time
	var source string
	var err error
	if which == "emulator" {
		now, err = readEmulatorClock(ctx, w)
		source = "the emulator clock"
	} else {
		now, source, err = referenceNow(ctx, w)
	}
	if err != nil {
		return err
	}
	want := now
	if plus != "" {
		n, _ := strconv.Atoi(plus)
		want = now.Add(time.Duration(n) * time.Second)
		source += " + " + plus + " s"
	}
	d := t.Sub(want)
	if d > time.Duration(tolerance)*time.Second || d < -time.Duration(tolerance)*time.Second {
		return fmt.Errorf("want %s within %d s of %s (%s), got %s: off by %s", what, tolerance, source,
			want.UTC().Format(time.RFC3339), t.UTC().Format(time.RFC3339), d.Round(time.Millisecond))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Scope enforcement: one endpoint of the table, called with various tokens.

func registerScopeSteps(sc *godog.ScenarioContext) {
	oauthStep(sc, `^the endpoint (GET|POST|PUT|PATCH|DELETE) "([^"]*)"$`, func(ctx context.Context, method, path string) error {
		w := worldFrom(ctx)
		w.endpoint.method, w.endpoint.path = method, path
		return nil
	})
	oauthStep(sc, `^I call it$`, func(ctx context.Context) error {
		return callEndpoint(ctx, worldFrom(ctx).token)
	})
	oauthStep(sc, `^I call it with no token$`, func(ctx context.Context) error {
		return callEndpoint(ctx, "")
	})
	oauthStep(sc, `^I call it with the bearer token "([^"]*)"$`, func(ctx context.Context, tok string) error {
		tok, err := worldFrom(ctx).expand(tok)
		if err != nil {
			return err
		}
		return callEndpoint(ctx, tok)
	})
	oauthStep(sc, `^I call it with an access token of scope "([^"]*)"$`, func(ctx context.Context, scope string) error {
		tok, err := scopedToken(ctx, scope)
		if err != nil {
			return err
		}
		return callEndpoint(ctx, tok)
	})
	oauthStep(sc, `^I call it with an access token whose scope is unrelated to "([^"]*)"$`, func(ctx context.Context, scopes string) error {
		scope, err := unrelatedScope(strings.Fields(scopes))
		if err != nil {
			return err
		}
		tok, err := scopedToken(ctx, scope)
		if err != nil {
			return err
		}
		return callEndpoint(ctx, tok)
	})
	oauthStep(sc, `^I call it with an access token of each scope of "([^"]*)"$`, func(ctx context.Context, scopes string) error {
		w := worldFrom(ctx)
		w.calls = nil
		var seen []string
		for _, scope := range strings.Fields(scopes) {
			if slices.Contains(seen, scope) {
				continue
			}
			seen = append(seen, scope)
			tok, err := scopedToken(ctx, scope)
			if err != nil {
				return err
			}
			if err := callEndpoint(ctx, tok); err != nil {
				return err
			}
			w.calls = append(w.calls, scopedCall{scope, w.last})
		}
		return nil
	})
	oauthStep(sc, `^none of those calls was refused$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if len(w.calls) == 0 {
			return fmt.Errorf("no call was made")
		}
		for _, c := range w.calls {
			if err := notRefused(c.x); err != nil {
				return fmt.Errorf("with a token of scope %q: %w", c.scope, err)
			}
		}
		return nil
	})
	oauthStep(sc, `^it is refused for want of one of the scopes "([^"]*)"$`, func(ctx context.Context, scopes string) error {
		ch, err := checkRefusal(ctx, http.StatusForbidden, "insufficient_scope")
		if err != nil {
			return err
		}
		named := strings.Fields(ch.Params["scope"])
		for _, s := range strings.Fields(scopes) {
			if slices.Contains(named, s) {
				return nil
			}
		}
		return fmt.Errorf("want the challenge's scope to name one of %q, got scope=%q (header %q)", scopes, ch.Params["scope"], ch.Raw)
	})
	oauthStep(sc, `^it is refused for want of a token$`, func(ctx context.Context) error {
		_, err := checkRefusal(ctx, http.StatusUnauthorized, "")
		return err
	})
	oauthStep(sc, `^it is refused as an invalid token$`, func(ctx context.Context) error {
		_, err := checkRefusal(ctx, http.StatusUnauthorized, "invalid_token")
		return err
	})
	oauthStep(sc, `^the response challenges with "([^"]*)"$`, func(ctx context.Context, scheme string) error {
		_, err := checkChallenge(ctx, scheme)
		return err
	})
	oauthStep(sc, `^the response challenges with "([^"]*)" and the error "([^"]*)"$`, func(ctx context.Context, scheme, code string) error {
		ch, err := checkChallenge(ctx, scheme)
		if err != nil {
			return err
		}
		if got := ch.Params["error"]; got != code {
			return fmt.Errorf("want error=%q in the challenge, got %q (header %q)", code, got, ch.Raw)
		}
		return nil
	})
}

// checkRefusal checks an RFC 6750 §3.1 refusal of a protected endpoint:
// the status, a JSON body whose error is code, and one well-formed Bearer
// challenge with error=code. code "" is the answer to a request without
// credentials: any error string in the body, none in the challenge.
func checkRefusal(ctx context.Context, status int, code string) (challenge.Challenge, error) {
	x, err := worldFrom(ctx).response()
	if err != nil {
		return challenge.Challenge{}, err
	}
	v, _ := x.field("error")
	body, isString := v.(string)
	if x.status != status || !isString || body == "" || (code != "" && body != code) {
		want := "a JSON error"
		if code != "" {
			want = fmt.Sprintf("error %q", code)
		}
		return challenge.Challenge{}, fmt.Errorf("want %s with status %d; %s", want, status, x.describe())
	}
	ch, err := checkChallenge(ctx, "Bearer")
	if err != nil {
		return ch, err
	}
	got, hasError := ch.Params["error"]
	switch {
	case code == "" && hasError:
		return ch, fmt.Errorf("a request without credentials should get no error code in the challenge (RFC 6750 §3.1), got error=%q (header %q)", got, ch.Raw)
	case code != "" && got != code:
		return ch, fmt.Errorf("want error=%q in the challenge, got %q (header %q)", code, got, ch.Raw)
	}
	return ch, nil
}

// callEndpoint sends the endpoint under test with token as the bearer ("":
// none), without a body. Path parameters are filled so that no call can
// change anything shared: GETs use the configured project, every other
// method a project that does not exist, and other ids are made up.
func callEndpoint(ctx context.Context, token string) error {
	w := worldFrom(ctx)
	e := w.endpoint
	if e.method == "" {
		return fmt.Errorf(`no endpoint chosen: use "Given the endpoint <METHOD> "<path>"" first`)
	}
	header := w.header
	w.header = http.Header{}
	_, err := w.send(ctx, request{method: e.method, path: concretePath(e.method, e.path, w.cfg.ProjectID, w.unique),
		token: token, env: w.env, header: header}, record)
	return err
}

var routeParamRe = regexp.MustCompile(`\{([A-Za-z0-9_]+)(?::[^}]*)?\}`)

// concretePath fills a route template's placeholders (see callEndpoint).
func concretePath(method, template, projectID, unique string) string {
	return routeParamRe.ReplaceAllStringFunc(template, func(m string) string {
		name := routeParamRe.FindStringSubmatch(m)[1]
		if name == "project_id" {
			if method == http.MethodGet {
				return url.PathEscape(projectID)
			}
			return "proj_absent" + unique // Pipedream's format, so it reaches the scope check
		}
		return "absent-" + unique
	})
}

// scopedToken gets (once per scenario) an access token with scope, aside:
// the call made with it is what the scenario checks.
func scopedToken(ctx context.Context, scope string) (string, error) {
	w := worldFrom(ctx)
	if tok, ok := w.scopedTokens[scope]; ok {
		return tok, nil
	}
	tok, err := w.fetchAccessToken(ctx, w.cfg.Client, scope, aside)
	if err != nil {
		return "", err
	}
	w.scopedTokens[scope] = tok
	return tok, nil
}

// notRefused accepts any answer but 401 and 403: the endpoint may still
// find the made-up ids absent or the missing body wanting.
func notRefused(x *exchange) error {
	if x.status == http.StatusUnauthorized || x.status == http.StatusForbidden {
		return fmt.Errorf("want the call not refused (neither 401 nor 403); %s", x.describe())
	}
	return nil
}

// scopeImplies reports whether a granted scope grants required, by the
// documented wildcards: * covers all, connect:* every connect: scope,
// connect:<family>:* its family. Nothing else is implied.
func scopeImplies(granted, required string) bool {
	if granted == required || granted == "*" {
		return true
	}
	prefix, ok := strings.CutSuffix(granted, "*")
	return ok && strings.HasSuffix(prefix, ":") && strings.HasPrefix(required, prefix)
}

// probeScopes are documented scopes a test token may carry when it must
// lack what an endpoint needs.
var probeScopes = []string{"connect:usage:read", "connect:proxy", "connect:workflow:invoke"}

// unrelatedScope picks a documented scope that grants none of required.
func unrelatedScope(required []string) (string, error) {
	if len(required) == 0 {
		return "", fmt.Errorf("no scope given")
	}
next:
	for _, p := range probeScopes {
		for _, r := range required {
			if scopeImplies(p, r) {
				continue next
			}
		}
		return p, nil
	}
	return "", fmt.Errorf("every probe scope grants one of %q", required)
}

func checkChallenge(ctx context.Context, scheme string) (challenge.Challenge, error) {
	x, err := worldFrom(ctx).response()
	if err != nil {
		return challenge.Challenge{}, err
	}
	vals := x.header.Values("WWW-Authenticate")
	if len(vals) != 1 {
		return challenge.Challenge{}, fmt.Errorf("want one WWW-Authenticate challenge, got %q; %s", vals, x.describe())
	}
	ch, err := challenge.Parse(vals[0])
	if err != nil {
		return ch, fmt.Errorf("WWW-Authenticate %q is not a well-formed challenge: %w", vals[0], err)
	}
	if !strings.EqualFold(ch.Scheme, scheme) {
		return ch, fmt.Errorf("want a %s challenge, got %q; %s", scheme, vals[0], x.describe())
	}
	if strings.EqualFold(scheme, "Bearer") {
		if err := challenge.CheckBearer(ch); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// ---------------------------------------------------------------------------
// Time: the target's clock, and the emulator's.

func registerClockSteps(sc *godog.ScenarioContext) {
	oauthStep(sc, `^the emulator clock stands at a whole second$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		now, err := readEmulatorClock(ctx, w)
		if err != nil {
			return err
		}
		if now.Nanosecond() == 0 {
			return nil
		}
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
		return putEmulatorClock(ctx, w, now.Truncate(time.Second))
	})
	oauthStep(sc, `^the emulator clock is set to the issued token's claim "([^"]*)" minus (\d+) seconds?$`, func(ctx context.Context, name string, n int64) error {
		w := worldFrom(ctx)
		_, claims, _, err := issuedToken(ctx)
		if err != nil {
			return err
		}
		c, err := jwtcheck.IntClaim(claims, name)
		if err != nil {
			return err
		}
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
		return putEmulatorClock(ctx, w, time.Unix(c-n, 0))
	})
	oauthStep(sc, `^the emulator clock advances by (\d+) seconds?$`, func(ctx context.Context, seconds int) error {
		w := worldFrom(ctx)
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
		_, err := w.control(ctx, http.MethodPost, "/_emulator/clock/advance", fmt.Sprintf(`{"seconds":%d}`, seconds))
		return err
	})
}

// readEmulatorClock reads GET /_emulator/clock.
func readEmulatorClock(ctx context.Context, w *world) (time.Time, error) {
	if !w.caps.Has("clock") {
		return time.Time{}, fmt.Errorf("%w (the capability clock)", errNotEmulator)
	}
	x, err := w.control(ctx, http.MethodGet, "/_emulator/clock", "")
	if err != nil {
		return time.Time{}, err
	}
	now := x.str("now")
	t, err := time.Parse(time.RFC3339Nano, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("the emulator's clock is not an RFC 3339 time; %s", x.describe())
	}
	return t, nil
}

// clockWillMove is called by every step before it moves the emulator
// clock. Every scenario shares that clock, so the scenario must be
// @serial (nothing else runs meanwhile), and the first move registers the
// clock's return to where it would stand had the scenario left it alone:
// where it stood before, plus the real time since when it follows real
// time (pdemu serve), or exactly where it stood when it stands still until
// moved (a test's fake clock, --freeze-clock).
func (w *world) clockWillMove(ctx context.Context) error {
	if !w.scenario.HasTag("@serial") {
		return fmt.Errorf("this step moves the emulator clock, which every scenario shares: tag the scenario @serial")
	}
	if w.cleanups.has("clock") {
		return nil
	}
	// Two readings tell a running clock from a still one: a running one
	// shows nanoseconds, and two requests take microseconds at least.
	sent := time.Now()
	before, err := readEmulatorClock(ctx, w)
	if err != nil {
		return err
	}
	at := sent.Add(time.Since(sent) / 2) // when the target most likely read it
	again, err := readEmulatorClock(ctx, w)
	if err != nil {
		return err
	}
	runs := !again.Equal(before)
	w.cleanups.add("clock", "the emulator clock, which the scenario moved", func(ctx context.Context) error {
		want := before
		if runs {
			want = before.Add(time.Since(at))
		}
		if err := putEmulatorClock(ctx, w, want); err != nil {
			return fmt.Errorf("could not set it back to %s: %w", want.UTC().Format(time.RFC3339Nano), err)
		}
		return nil
	})
	return nil
}

// putEmulatorClock sets the emulator clock (PUT /_emulator/clock).
func putEmulatorClock(ctx context.Context, w *world, t time.Time) error {
	b, _ := json.Marshal(map[string]string{"now": t.UTC().Format(time.RFC3339Nano)})
	_, err := w.control(ctx, http.MethodPut, "/_emulator/clock", string(b))
	return err
}

// referenceNow is the time the target's answers should agree with: its own
// clock when it is an emulator with one, else the local clock.
func referenceNow(ctx context.Context, w *world) (time.Time, string, error) {
	if w.caps.Has("clock") {
		t, err := readEmulatorClock(ctx, w)
		return t, "the emulator clock", err
	}
	return time.Now(), "the local clock", nil
}

// ---------------------------------------------------------------------------
// OAuth clients of the control plane.

func registerClientSteps(sc *godog.ScenarioContext) {
	oauthStep(sc, `^I create an OAuth client with JSON:$`, func(ctx context.Context, doc *godog.DocString) error {
		return createOAuthClient(ctx, doc.Content)
	})
	oauthStep(sc, `^I create an OAuth client whose name is (\d+) characters? long, padded with "([^"]*)"$`, func(ctx context.Context, n int, pad string) error {
		name, err := paddedClientName(worldFrom(ctx).unique, n, pad)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		return createOAuthClient(ctx, string(b))
	})
	oauthStep(sc, `^I have created an OAuth client named "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := worldFrom(ctx)
		name, err := w.expand(name)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		if err := createOAuthClient(ctx, string(b)); err != nil {
			return err
		}
		if w.last.status != http.StatusCreated {
			return fmt.Errorf("could not create an OAuth client; %s", w.last.describe())
		}
		return nil
	})
	oauthStep(sc, `^I have an access token as the created client$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		if w.createdClient.ClientID == "" {
			return fmt.Errorf("no OAuth client was created in this scenario")
		}
		return haveAccessToken(ctx, w.createdClient, "")
	})
	oauthStep(sc, `^the status is (\d+), or the error is "([^"]*)" with status (\d+) if the target lists the capability "([^"]*)"$`, func(ctx context.Context, status int, code string, altStatus int, capability string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		if w.caps.Has(capability) {
			if got, _ := x.field("error"); x.status != altStatus || text(got) != code {
				return fmt.Errorf("the target lists %s: want error %q with status %d; %s", capability, code, altStatus, x.describe())
			}
			return nil
		}
		if x.status != status {
			return fmt.Errorf("the target does not list %s: want status %d; %s", capability, status, x.describe())
		}
		return nil
	})
}

// createOAuthClient sends POST /_emulator/oauth-clients; on a 201 it remembers
// created_client_id and created_client_secret and deletes the client after
// the scenario.
func createOAuthClient(ctx context.Context, body string) error {
	w := worldFrom(ctx)
	if !w.caps.Has("admin_clients") {
		return fmt.Errorf("%w (the capability admin_clients)", errNotEmulator)
	}
	if err := w.do(ctx, http.MethodPost, "/_emulator/oauth-clients", "application/json", body); err != nil {
		return err
	}
	x := w.last
	id := x.str("client_id")
	if id == "" || !x.ok() {
		return nil
	}
	w.createdClient = Credentials{ClientID: id, ClientSecret: x.str("client_secret")}
	w.cleanups.add("client "+id, "the OAuth client "+id, func(ctx context.Context) error {
		x, err := w.control(ctx, http.MethodDelete, "/_emulator/oauth-clients/"+url.PathEscape(id), "")
		if x != nil && x.status == http.StatusNotFound {
			return nil // the scenario deleted it
		}
		return err
	})
	return nil
}

// paddedClientName is a name of exactly n characters (not bytes): the scenario's
// random suffix, then pad repeated. Shorter than the suffix, only pad.
func paddedClientName(unique string, n int, pad string) (string, error) {
	if n == 0 {
		return "", nil
	}
	r := []rune(pad)
	if len(r) != 1 {
		return "", fmt.Errorf("pad with one character, not %q", pad)
	}
	if n < len(unique) {
		return strings.Repeat(pad, n), nil
	}
	return unique + strings.Repeat(pad, n-len(unique)), nil
}

// ---------------------------------------------------------------------------
// Connect tokens, projects and external users.

func registerConnectTokenSteps(sc *godog.ScenarioContext) {
	oauthStep(sc, `^I create a Connect token with JSON:$`, func(ctx context.Context, doc *godog.DocString) error {
		w := worldFrom(ctx)
		body, err := w.expand(doc.Content)
		if err != nil {
			return err
		}
		if err := w.do(ctx, http.MethodPost, "/v1/connect/${project_id}/tokens", "application/json", doc.Content); err != nil {
			return err
		}
		var m struct {
			User string `json:"external_user_id"`
		}
		if w.last.ok() && json.Unmarshal([]byte(body), &m) == nil && m.User != "" {
			w.deleteUserAfterwards(m.User) // making a token made the user
		}
		return nil
	})
	oauthStep(sc, `^the external user "([^"]*)" is deleted afterwards$`, func(ctx context.Context, user string) error {
		user, err := worldFrom(ctx).expand(user)
		if err != nil {
			return err
		}
		worldFrom(ctx).deleteUserAfterwards(user)
		return nil
	})
	oauthStep(sc, `^I use the Connect token from the response$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		v, _ := x.field("token")
		tok, ok := v.(string)
		if !ok || tok == "" {
			return fmt.Errorf("no Connect token in the response; %s", x.describe())
		}
		w.token, w.connectToken = tok, tok
		return nil
	})
	oauthStep(sc, `^I send X-PD-Environment as the other environment$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		w.header.Set("X-PD-Environment", otherEnvironment(w.env))
		return nil
	})
	oauthStep(sc, `^I have a project of my own named "([^"]*)", remembered as "([^"]*)"$`, func(ctx context.Context, name, as string) error {
		w := worldFrom(ctx)
		name, err := w.expand(name)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(map[string]string{"name": name})
		x, err := w.sendWithSideToken(ctx, request{method: http.MethodPost, path: "/v1/connect/projects",
			contentType: "application/json", body: string(b), env: w.env})
		if err != nil {
			return err
		}
		id := x.str("id")
		if !x.ok() || id == "" {
			return fmt.Errorf("could not create a project; %s", x.describe())
		}
		w.deleteAfterwards("/v1/connect/projects/"+url.PathEscape(id), "the project "+id)
		return w.remember(as, id)
	})
}
