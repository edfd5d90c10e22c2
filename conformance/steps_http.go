package conformance

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"
)

// registerHTTPSteps adds the generic steps: send a request, then check the
// status, headers and JSON fields of the answer. Every Then step checks the
// last response; none sends anything.
func registerHTTPSteps(sc *godog.ScenarioContext) {
	// OPTIONS is there for preflights: a scenario can check what a
	// browser's CORS preflight is (not) granted.
	const method = `(GET|POST|PUT|PATCH|DELETE|OPTIONS)`
	sc.Step(`^I `+method+` "([^"]*)"$`, func(ctx context.Context, m, path string) error {
		return worldFrom(ctx).do(ctx, m, path, "", "")
	})
	sc.Step(`^I `+method+` "([^"]*)" with JSON:$`, func(ctx context.Context, m, path string, doc *godog.DocString) error {
		return worldFrom(ctx).do(ctx, m, path, "application/json", doc.Content)
	})
	sc.Step(`^I `+method+` "([^"]*)" with body "([^"]*)" of type "([^"]*)"$`, func(ctx context.Context, m, path, body, ct string) error {
		return worldFrom(ctx).do(ctx, m, path, ct, body)
	})
	// A body the one-line form cannot hold (it has quotes) with a type of
	// the scenario's choosing, e.g. JSON sent as text/plain.
	sc.Step(`^I `+method+` "([^"]*)" with a body of type "([^"]*)":$`, func(ctx context.Context, m, path, ct string, doc *godog.DocString) error {
		return worldFrom(ctx).do(ctx, m, path, ct, doc.Content)
	})
	sc.Step(`^I send the header "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, name, value string) error {
		w := worldFrom(ctx)
		v, err := w.expand(value)
		if err != nil {
			return err
		}
		w.header.Set(name, v)
		return nil
	})

	sc.Step(`^the status is (\d+)$`, func(ctx context.Context, want int) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status != want {
			return fmt.Errorf("want status %d; %s", want, x.describe())
		}
		return nil
	})
	sc.Step(`^the status is (\d+) or (\d+)$`, func(ctx context.Context, a, b int) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status != a && x.status != b {
			return fmt.Errorf("want status %d or %d; %s", a, b, x.describe())
		}
		return nil
	})
	// A first request proves the endpoint exists, so that a later "400 for
	// malformed input" cannot pass on a server that answers 400 to anything.
	sc.Step(`^the status is not (\d+)$`, func(ctx context.Context, unwanted int) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status == unwanted {
			return fmt.Errorf("want any status but %d; %s", unwanted, x.describe())
		}
		return nil
	})
	sc.Step(`^the request succeeds$`, func(ctx context.Context) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status < 200 || x.status > 299 {
			return fmt.Errorf("want a 2xx status; %s", x.describe())
		}
		return nil
	})
	sc.Step(`^the error is "([^"]*)" with status (\d+)$`, func(ctx context.Context, code string, status int) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		got, _ := x.field("error")
		if x.status != status || text(got) != code {
			return fmt.Errorf("want error %q with status %d; %s", code, status, x.describe())
		}
		return nil
	})
	sc.Step(`^the answer is a JSON error$`, func(ctx context.Context) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status < 400 {
			return fmt.Errorf("want an error status; %s", x.describe())
		}
		if s, ok := x.field("error"); !ok || text(s) == "" {
			return fmt.Errorf("want a JSON body with an error field; %s", x.describe())
		}
		return nil
	})

	sc.Step(`^the response header "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		return checkHeader(ctx, name, want, func(got, want string) bool { return got == want }, "is")
	})
	sc.Step(`^the response header "([^"]*)" contains "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		return checkHeader(ctx, name, want, strings.Contains, "contains")
	})
	sc.Step(`^the response header "([^"]*)" is absent$`, func(ctx context.Context, name string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if v := x.header.Values(name); len(v) > 0 {
			return fmt.Errorf("want no %s header, got %q; %s", name, v, x.describe())
		}
		return nil
	})

	sc.Step(`^the response field "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, path, want string) error {
		return checkField(ctx, path, want, func(got any, want string) bool { return text(got) == want }, "is")
	})
	sc.Step(`^the response field "([^"]*)" is (-?\d+(?:\.\d+)?|true|false|null)$`, func(ctx context.Context, path, want string) error {
		return checkField(ctx, path, want, func(got any, want string) bool {
			if _, isString := got.(string); isString {
				return false // 3600 is not "3600"
			}
			return text(got) == want
		}, "is the JSON value")
	})
	sc.Step(`^the response field "([^"]*)" matches "([^"]*)"$`, func(ctx context.Context, path, pattern string) error {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return err
		}
		return checkField(ctx, path, pattern, func(got any, _ string) bool {
			s, isString := got.(string)
			return isString && re.MatchString(s)
		}, "matches")
	})
	sc.Step(`^the response field "([^"]*)" is present$`, func(ctx context.Context, path string) error {
		return checkField(ctx, path, "", func(any, string) bool { return true }, "is present")
	})
	sc.Step(`^the response field "([^"]*)" is absent$`, func(ctx context.Context, path string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if v, ok := x.field(path); ok {
			return fmt.Errorf("want no field %s, got %s; %s", path, text(v), x.describe())
		}
		return nil
	})
	sc.Step(`^the response field "([^"]*)" has (\d+) items?$`, func(ctx context.Context, path string, n int) error {
		return checkField(ctx, path, strconv.Itoa(n), func(got any, _ string) bool {
			list, ok := got.([]any)
			return ok && len(list) == n
		}, "has this many items")
	})
	sc.Step(`^the response field "([^"]*)" has at least (\d+) items?$`, func(ctx context.Context, path string, n int) error {
		return checkField(ctx, path, strconv.Itoa(n), func(got any, _ string) bool {
			list, ok := got.([]any)
			return ok && len(list) >= n
		}, "has at least this many items")
	})
	sc.Step(`^the response list "([^"]*)" has an item whose "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, list, key, want string) error {
		return checkListItem(ctx, list, key, want, true)
	})
	sc.Step(`^the response list "([^"]*)" has no item whose "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, list, key, want string) error {
		return checkListItem(ctx, list, key, want, false)
	})
	sc.Step(`^the response does not contain "([^"]*)"$`, func(ctx context.Context, s string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		s, err = w.expand(s)
		if err != nil {
			return err
		}
		if strings.Contains(string(x.body), s) {
			return fmt.Errorf("the body contains what it must not (%d bytes); %s %s answered %d", len(s), x.method, x.url, x.status)
		}
		return nil
	})

	sc.Step(`^I remember the response field "([^"]*)" as "([^"]*)"$`, func(ctx context.Context, path, name string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		v, ok := x.field(path)
		if !ok || v == nil {
			return fmt.Errorf("no field %s to remember; %s", path, x.describe())
		}
		w.vars[name] = text(v)
		return nil
	})
}

func checkHeader(ctx context.Context, name, want string, match func(got, want string) bool, verb string) error {
	w := worldFrom(ctx)
	x, want, err := w.responseAnd(want)
	if err != nil {
		return err
	}
	got := strings.Join(x.header.Values(name), ", ")
	if !match(got, want) {
		return fmt.Errorf("want header %s that %s %q, got %q; %s", name, verb, want, got, x.describe())
	}
	return nil
}

func checkField(ctx context.Context, path, want string, match func(got any, want string) bool, verb string) error {
	w := worldFrom(ctx)
	x, want, err := w.responseAnd(want)
	if err != nil {
		return err
	}
	if path, err = w.expand(path); err != nil {
		return err
	}
	got, ok := x.field(path)
	if !ok {
		return fmt.Errorf("want field %s that %s %q, but it is missing; %s", path, verb, want, x.describe())
	}
	if !match(got, want) {
		return fmt.Errorf("want field %s that %s %q, got %s; %s", path, verb, want, text(got), x.describe())
	}
	return nil
}

func checkListItem(ctx context.Context, list, key, want string, present bool) error {
	w := worldFrom(ctx)
	x, want, err := w.responseAnd(want)
	if err != nil {
		return err
	}
	items, err := x.list(list)
	if err != nil {
		return err
	}
	found := false
	for _, it := range items {
		if m, ok := it.(map[string]any); ok && text(m[key]) == want {
			found = true
			break
		}
	}
	if found != present {
		if present {
			return fmt.Errorf("want an item of %s whose %s is %q; %s", list, key, want, x.describe())
		}
		return fmt.Errorf("want no item of %s whose %s is %q; %s", list, key, want, x.describe())
	}
	return nil
}
