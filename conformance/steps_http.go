package conformance

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/cucumber/godog"
)

// The generic requests: any method to any path, with a JSON body, a body
// of a chosen type, or extra headers for the next request; and values a
// scenario remembers for later ${name}s (a response field, the base URL,
// a base64 encoding).

// registerHTTPSteps adds the steps that send the scenario's own requests
// and remember values for later ones.
func registerHTTPSteps(s *steps) {
	// OPTIONS is there for preflights: a scenario can check what a
	// browser's CORS preflight is (not) granted.
	const method = `(GET|POST|PUT|PATCH|DELETE|OPTIONS)`
	s.add(`^I `+method+` "([^"]*)"$`, func(ctx context.Context, m, path string) error {
		return worldFrom(ctx).do(ctx, m, path, "", "")
	})
	s.add(`^I `+method+` "([^"]*)" with JSON:$`, func(ctx context.Context, m, path string, doc *godog.DocString) error {
		return worldFrom(ctx).do(ctx, m, path, "application/json", doc.Content)
	})
	s.add(`^I `+method+` "([^"]*)" with body "([^"]*)" of type "([^"]*)"$`, func(ctx context.Context, m, path, body, ct string) error {
		return worldFrom(ctx).do(ctx, m, path, ct, body)
	})
	// A body the one-line form cannot hold (it has quotes) with a type of
	// the scenario's choosing, e.g. JSON sent as text/plain.
	s.add(`^I `+method+` "([^"]*)" with a body of type "([^"]*)":$`, func(ctx context.Context, m, path, ct string, doc *godog.DocString) error {
		return worldFrom(ctx).do(ctx, m, path, ct, doc.Content)
	})
	s.add(`^I send the header "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, name, value string) error {
		w := worldFrom(ctx)
		v, err := w.expand(value)
		if err != nil {
			return err
		}
		w.header.Set(name, v)
		return nil
	})
	s.add(`^I remember the response field "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, path, name string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		v, ok := x.field(path)
		if !ok || v == nil {
			return fmt.Errorf("no field %s to remember; %s", path, x.describe())
		}
		return w.remember(name, text(v))
	})
	s.add(`^I remember the base URL as "([^"]*)"$`, func(ctx context.Context, name string) error {
		w := worldFrom(ctx)
		return w.remember(name, w.cfg.BaseURL)
	})
	s.add(`^I remember the (URL-safe unpadded )?base64 of "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, urlSafe, value, name string) error {
		w := worldFrom(ctx)
		value, err := w.expand(value)
		if err != nil {
			return err
		}
		enc := base64.StdEncoding
		if urlSafe != "" {
			enc = base64.RawURLEncoding
		}
		return w.remember(name, enc.EncodeToString([]byte(value)))
	})
}
