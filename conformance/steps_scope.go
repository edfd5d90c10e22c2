package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/pdemu/pdemu/conformance/internal/challenge"
)

// Scope enforcement: one endpoint of the route table, called with tokens of
// various scopes, and the RFC 6750 refusals and challenges it answers.

// registerScopeSteps adds the endpoint-table steps and the checks of
// refusals.
func registerScopeSteps(s *steps) {
	s.add(`^the endpoint (GET|POST|PUT|PATCH|DELETE) "([^"]*)"$`, func(ctx context.Context, method, path string) error {
		w := worldFrom(ctx)
		w.endpoint.method, w.endpoint.path = method, path
		return nil
	})
	s.add(`^I call it$`, func(ctx context.Context) error {
		return callEndpoint(ctx, worldFrom(ctx).token)
	})
	s.add(`^I call it with no token$`, func(ctx context.Context) error {
		return callEndpoint(ctx, "")
	})
	s.add(`^I call it with the bearer token "([^"]*)"$`, func(ctx context.Context, tok string) error {
		tok, err := worldFrom(ctx).expand(tok)
		if err != nil {
			return err
		}
		return callEndpoint(ctx, tok)
	})
	s.add(`^I call it with an access token of scope "([^"]*)"$`, func(ctx context.Context, scope string) error {
		tok, err := scopedToken(ctx, scope)
		if err != nil {
			return err
		}
		return callEndpoint(ctx, tok)
	})
	s.add(`^I call it with an access token whose scope is unrelated to "([^"]*)"$`, func(ctx context.Context, scopes string) error {
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
	s.add(`^I call it with an access token of each scope of "([^"]*)"$`, func(ctx context.Context, scopes string) error {
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
	s.add(`^none of those calls was refused$`, func(ctx context.Context) error {
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
	s.add(`^it is refused for want of one of the scopes "([^"]*)"$`, func(ctx context.Context, scopes string) error {
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
	s.add(`^it is refused for want of a token$`, func(ctx context.Context) error {
		_, err := checkRefusal(ctx, http.StatusUnauthorized, "")
		return err
	})
	s.add(`^it is refused as an invalid token$`, func(ctx context.Context) error {
		_, err := checkRefusal(ctx, http.StatusUnauthorized, "invalid_token")
		return err
	})
	s.add(`^the response challenges with "([^"]*)"$`, func(ctx context.Context, scheme string) error {
		_, err := checkChallenge(ctx, scheme)
		return err
	})
	s.add(`^the response challenges with "([^"]*)" and the error "([^"]*)"$`, func(ctx context.Context, scheme, code string) error {
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
