package conformance

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// The checks of the last response: status, headers, body and JSON fields
// and lists. Every step here checks; none sends anything.

// registerResponseSteps adds the checks of the last response.
func registerResponseSteps(s *steps) {
	s.add(`^the response body is a JSON (array|object)$`, func(ctx context.Context, kind string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		_, isArray := x.decoded.([]any)
		_, isObject := x.decoded.(map[string]any)
		if (kind == "array" && !isArray) || (kind == "object" && !isObject) {
			return fmt.Errorf("want a JSON %s as the body; %s", kind, x.describe())
		}
		return nil
	})
	s.add(`^the response body is the text "([^"]*)"$`, func(ctx context.Context, want string) error {
		w := worldFrom(ctx)
		x, want, err := w.responseAnd(want)
		if err != nil {
			return err
		}
		if string(x.body) != want {
			return fmt.Errorf("want the body %q; %s", want, x.describe())
		}
		return nil
	})
	s.add(`^the response field "([^"]*)" is a number of at least (\S+)$`, func(ctx context.Context, p, bound string) error {
		bound, err := worldFrom(ctx).expand(bound)
		if err != nil {
			return err
		}
		min, err := strconv.ParseFloat(bound, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", bound)
		}
		return checkField(ctx, p, bound, func(got any, _ string) bool {
			f, ok := wire.Float(got)
			return ok && f >= min
		}, "is a number of at least")
	})
	s.add(`^the response field "([^"]*)" is not "([^"]*)"$`, func(ctx context.Context, p, want string) error {
		return checkField(ctx, p, want, func(got any, want string) bool { return text(got) != want }, "is not")
	})
	s.add(`^the response field "([^"]*)" is null or absent$`, func(ctx context.Context, p string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if v, ok := x.field(p); ok && v != nil {
			return fmt.Errorf("want field %s null or absent, got %s; %s", p, text(v), x.describe())
		}
		return nil
	})
	s.add(`^the response list "([^"]*)" (contains|does not contain) the value "([^"]*)"$`, func(ctx context.Context, list, verb, want string) error {
		w := worldFrom(ctx)
		x, want, err := w.responseAnd(want)
		if err != nil {
			return err
		}
		items, err := x.list(list)
		if err != nil {
			return err
		}
		found := slices.ContainsFunc(items, func(it any) bool { return text(it) == want })
		if found != (verb == "contains") {
			return fmt.Errorf("want the list %s that %s %q; %s", list, verb, want, x.describe())
		}
		return nil
	})
	s.add(`^every item of the response list "([^"]*)" has "([^"]*)" present$`, func(ctx context.Context, list, key string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		items, err := x.list(list)
		if err != nil {
			return err
		}
		for i, it := range items {
			m, _ := it.(map[string]any)
			if _, ok := m[key]; !ok {
				return fmt.Errorf("item %d of %s has no %s; %s", i, list, key, x.describe())
			}
		}
		return nil
	})
	s.add(`^every item of the response list "([^"]*)" has "([^"]*)" containing "([^"]*)"$`, func(ctx context.Context, list, key, want string) error {
		w := worldFrom(ctx)
		x, want, err := w.responseAnd(want)
		if err != nil {
			return err
		}
		items, err := x.list(list)
		if err != nil {
			return err
		}
		for i, it := range items {
			m, _ := it.(map[string]any)
			values, _ := m[key].([]any)
			if !slices.ContainsFunc(values, func(v any) bool { return text(v) == want }) {
				return fmt.Errorf("item %d of %s has %s %s, without %q; %s", i, list, key, text(m[key]), want, x.describe())
			}
		}
		return nil
	})
	s.add(`^every item of the response list "([^"]*)" has "([^"]*)" matching "([^"]*)"$`, func(ctx context.Context, list, key, pattern string) error {
		w := worldFrom(ctx)
		x, pattern, err := w.responseAnd(pattern)
		if err != nil {
			return err
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return err
		}
		items, err := x.list(list)
		if err != nil {
			return err
		}
		for i, it := range items {
			m, _ := it.(map[string]any)
			s, isStr := m[key].(string)
			if !isStr || !re.MatchString(s) {
				return fmt.Errorf("item %d of %s has %s %s, which does not match %q; %s", i, list, key, text(m[key]), pattern, x.describe())
			}
		}
		return nil
	})

	s.add(`^the status is (\d+)$`, func(ctx context.Context, want int) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status != want {
			return fmt.Errorf("want status %d; %s", want, x.describe())
		}
		return nil
	})
	s.add(`^the status is not (\d+)$`, func(ctx context.Context, unwanted int) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status == unwanted {
			return fmt.Errorf("want any status but %d; %s", unwanted, x.describe())
		}
		return nil
	})
	s.add(`^the request succeeds$`, func(ctx context.Context) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if x.status < 200 || x.status > 299 {
			return fmt.Errorf("want a 2xx status; %s", x.describe())
		}
		return nil
	})
	s.add(`^the error is "([^"]*)" with status (\d+)$`, func(ctx context.Context, code string, status int) error {
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
	s.add(`^the answer is a JSON error$`, func(ctx context.Context) error {
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

	s.add(`^the response header "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		// Under the header's own rules: a media type in any case with any
		// charset, cache directives in any case (package wire).
		return checkHeader(ctx, name, want, func(got, want string) bool { return wire.HeaderIs(name, got, want) }, "is")
	})
	s.add(`^the response header "([^"]*)" contains "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		return checkHeader(ctx, name, want, func(got, want string) bool { return wire.HeaderContains(name, got, want) }, "contains")
	})
	s.add(`^the response header "([^"]*)" is absent$`, func(ctx context.Context, name string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if v := x.header.Values(name); len(v) > 0 {
			return fmt.Errorf("want no %s header, got %q; %s", name, v, x.describe())
		}
		return nil
	})

	s.add(`^the response field "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, path, want string) error {
		return checkField(ctx, path, want, func(got any, want string) bool { return text(got) == want }, "is")
	})
	// For values the specifications make case-insensitive, such as
	// token_type (RFC 6749 §5.1): "bearer" is a faithful "Bearer".
	s.add(`^the response field "([^"]*)" is "([^"]*)" in any letter case$`, func(ctx context.Context, path, want string) error {
		return checkField(ctx, path, want, func(got any, want string) bool {
			s, isString := got.(string)
			return isString && wire.EqualFold(s, want)
		}, "is, in any letter case,")
	})
	s.add(`^the response field "([^"]*)" is (-?\d+(?:\.\d+)?|true|false|null)$`, func(ctx context.Context, path, want string) error {
		// Typed as clients parse it: 3600 is neither "3600" nor 3600.0.
		return checkField(ctx, path, want, func(got any, want string) bool { return wire.MatchLiteral(got, want) == nil }, "is the JSON value")
	})
	s.add(`^the response field "([^"]*)" matches "([^"]*)"$`, func(ctx context.Context, path, pattern string) error {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return err
		}
		return checkField(ctx, path, pattern, func(got any, _ string) bool {
			s, isString := got.(string)
			return isString && re.MatchString(s)
		}, "matches")
	})
	s.add(`^the response field "([^"]*)" starts with "([^"]*)"$`, func(ctx context.Context, path, prefix string) error {
		return checkField(ctx, path, prefix, func(got any, prefix string) bool {
			s, isString := got.(string)
			return isString && strings.HasPrefix(s, prefix)
		}, "starts with")
	})
	s.add(`^the response field "([^"]*)" is present$`, func(ctx context.Context, path string) error {
		return checkField(ctx, path, "", func(any, string) bool { return true }, "is present")
	})
	s.add(`^the response field "([^"]*)" is absent$`, func(ctx context.Context, path string) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		if v, ok := x.field(path); ok {
			return fmt.Errorf("want no field %s, got %s; %s", path, text(v), x.describe())
		}
		return nil
	})
	s.add(`^the response field "([^"]*)" has (\d+) items?$`, func(ctx context.Context, path string, n int) error {
		return checkField(ctx, path, strconv.Itoa(n), func(got any, _ string) bool {
			list, ok := got.([]any)
			return ok && len(list) == n
		}, "has this many items")
	})
	s.add(`^the response field "([^"]*)" has at least (\d+) items?$`, func(ctx context.Context, path string, n int) error {
		return checkField(ctx, path, strconv.Itoa(n), func(got any, _ string) bool {
			list, ok := got.([]any)
			return ok && len(list) >= n
		}, "has at least this many items")
	})
	s.add(`^the response list "([^"]*)" has an item whose "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, list, key, want string) error {
		return checkListItem(ctx, list, key, want, true)
	})
	s.add(`^the response list "([^"]*)" has no item whose "([^"]*)" is "([^"]*)"$`, func(ctx context.Context, list, key, want string) error {
		return checkListItem(ctx, list, key, want, false)
	})
	s.add(`^the response does not contain "([^"]*)"$`, func(ctx context.Context, unwanted string) error {
		w := worldFrom(ctx)
		x, err := w.response()
		if err != nil {
			return err
		}
		unwanted, err = w.expand(unwanted)
		if err != nil {
			return err
		}
		if strings.Contains(string(x.body), unwanted) {
			return fmt.Errorf("the body contains what it must not (%d bytes); %s %s answered %d", len(unwanted), x.method, x.url, x.status)
		}
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
