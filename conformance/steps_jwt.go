package conformance

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pdemu/pdemu/conformance/internal/jwtcheck"
	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// The access token as a JWT: its header and claims read (not trusted),
// compared with each other and with the token response, its signature
// checked against the key set, and a copy forged.

// registerJWTSteps adds the checks of the issued token.
func registerJWTSteps(s *steps) {
	s.add(`^the issued token's header "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		return checkJWTPart(ctx, "header", name, func(v any) bool { s, ok := v.(string); return ok && s == want }, "is "+strconv.Quote(want))
	})
	s.add(`^the issued token's claim "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		want, err := worldFrom(ctx).expand(want)
		if err != nil {
			return err
		}
		return checkJWTPart(ctx, "claim", name, func(v any) bool { s, ok := v.(string); return ok && s == want }, "is "+strconv.Quote(want))
	})
	s.add(`^the issued token's claim "([^"]*)" matches "([^"]*)"$`, func(ctx context.Context, name, pattern string) error {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return err
		}
		return checkJWTPart(ctx, "claim", name, func(v any) bool { s, ok := v.(string); return ok && re.MatchString(s) }, "matches "+pattern)
	})
	s.add(`^the issued token's claim "([^"]*)" is the JSON (.+)$`, func(ctx context.Context, name, doc string) error {
		want, err := wire.Decode([]byte(doc))
		if err != nil {
			return fmt.Errorf("the step's JSON %s: %w", doc, err)
		}
		return checkJWTPart(ctx, "claim", name, func(v any) bool { return reflect.DeepEqual(v, want) }, "is the JSON "+doc)
	})
	s.add(`^the issued token's claim "([^"]*)" holds exactly "([^"]*)"$`, func(ctx context.Context, name, list string) error {
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
	s.add(`^the issued token's claim "([^"]*)" is the claim "([^"]*)" (plus|minus) (\d+)$`, func(ctx context.Context, name, base, sign string, n int64) error {
		if sign == "minus" {
			n = -n
		}
		return checkClaimArithmetic(ctx, name, base, func(int64, map[string]any, *exchange) (int64, string, error) { return n, strconv.FormatInt(n, 10), nil })
	})
	s.add(`^the issued token's claim "([^"]*)" is the claim "([^"]*)" plus the response field "([^"]*)"$`, func(ctx context.Context, name, base, field string) error {
		return checkClaimArithmetic(ctx, name, base, func(_ int64, _ map[string]any, x *exchange) (int64, string, error) {
			v, ok := x.field(field)
			n, isInt := wire.Int(v)
			if !ok || !isInt {
				return 0, "", fmt.Errorf("want an integer response field %s; %s", field, x.describe())
			}
			return n, "the response field " + field, nil
		})
	})
	s.add(`^the issued token's claim "([^"]*)" equals the response field "([^"]*)"$`, func(ctx context.Context, name, field string) error {
		_, claims, x, err := issuedToken(ctx)
		if err != nil {
			return err
		}
		c, err := jwtcheck.IntClaim(claims, name)
		if err != nil {
			return err
		}
		v, ok := x.field(field)
		if n, isInt := wire.Int(v); !ok || !isInt || n != c {
			return fmt.Errorf("want the response field %s equal to the claim %s (%d); %s", field, name, c, x.describe())
		}
		return nil
	})
	s.add(`^the issued token's claim "([^"]*)" is within (\d+) seconds? of "([^"]*)" plus (\d+) seconds?$`, func(ctx context.Context, name string, tolerance int, base string, plus int64) error {
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
	s.add(`^I remember the issued token's claim "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, name, as string) error {
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
	s.add(`^the token "([^"]*)" is signed by a key of this key set$`, func(ctx context.Context, token string) error {
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
	s.add(`^I use the issued token with the claim "([^"]*)" set to (.+)$`, func(ctx context.Context, name, doc string) error {
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
