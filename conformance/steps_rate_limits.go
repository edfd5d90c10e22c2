package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
)

// Rate limits: the emulator's rules (PUT /_emulator/rate-limits), put back
// after the scenario; the emulator clock at the edges of the fixed,
// epoch-aligned windows they count in; a request sent many times; and the
// headers of a 429.
//
// The rules apply to every request of the server, whoever sends it, and
// setting them starts every count afresh, so a scenario that sets them
// must be @serial, as one that moves the clock must; afterwards the rules
// are put back as GET /_emulator/rate-limits showed them before (the
// counts start afresh once more: they cannot be put back).

// maxRepeat bounds "I GET … N times": a kit that sends more is probing
// the target, not a limit of it.
const maxRepeat = 1000

// registerRateLimitSteps adds the rate-limit, window and repetition steps.
func registerRateLimitSteps(s *steps) {
	s.add(`^the emulator's rate limits are set with JSON:$`, func(ctx context.Context, doc *godog.DocString) error {
		w := worldFrom(ctx)
		body, err := w.expand(doc.Content)
		if err != nil {
			return err
		}
		if err := w.rateLimitsWillChange(ctx); err != nil {
			return err
		}
		_, err = w.control(ctx, http.MethodPut, "/_emulator/rate-limits", body)
		return err
	})
	s.add(`^the emulator clock is moved to the start of the next (\d+)-second window, whose end is remembered as "([^"]*)"$`, func(ctx context.Context, seconds int64, name string) error {
		w := worldFrom(ctx)
		if seconds < 1 {
			return fmt.Errorf("a window lasts a second at least")
		}
		now, err := readEmulatorClock(ctx, w)
		if err != nil {
			return err
		}
		start := nextWindowStart(now, seconds)
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
		if err := putEmulatorClock(ctx, w, time.Unix(start, 0)); err != nil {
			return err
		}
		return w.remember(name, strconv.FormatInt(start+seconds, 10))
	})
	s.add(`^the emulator clock is set to the Unix time "([^"]*)"(?: minus (\d+) seconds?)?$`, func(ctx context.Context, at, minus string) error {
		w := worldFrom(ctx)
		at, err := w.expand(at)
		if err != nil {
			return err
		}
		sec, err := strconv.ParseInt(at, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a Unix time in seconds", at)
		}
		if minus != "" {
			n, _ := strconv.ParseInt(minus, 10, 64)
			sec -= n
		}
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
		return putEmulatorClock(ctx, w, time.Unix(sec, 0))
	})

	const method = `(GET|POST|PUT|PATCH|DELETE)`
	s.add(`^I `+method+` "([^"]*)" (\d+) times$`, func(ctx context.Context, m, path string, n int) error {
		return repeatRequest(ctx, m, path, n, "", "")
	})
	s.add(`^I `+method+` "([^"]*)" (\d+) times with JSON:$`, func(ctx context.Context, m, path string, n int, doc *godog.DocString) error {
		return repeatRequest(ctx, m, path, n, "application/json", doc.Content)
	})
	s.add(`^each of those (\d+) answers had status (\d+)$`, func(ctx context.Context, n, status int) error {
		w := worldFrom(ctx)
		if len(w.calls) != n {
			return fmt.Errorf("want %d answers, and %d requests were sent", n, len(w.calls))
		}
		for _, c := range w.calls {
			if c.x.status != status {
				return fmt.Errorf("%s: want status %d; %s", c.scope, status, c.x.describe())
			}
		}
		return nil
	})

	s.add(`^the response header "([^"]*)" is a whole number from (\d+) to (\d+)$`, func(ctx context.Context, name string, lo, hi int64) error {
		x, err := worldFrom(ctx).response()
		if err != nil {
			return err
		}
		got := x.header.Get(name)
		n, err := strconv.ParseInt(got, 10, 64)
		if err != nil || n < lo || n > hi || strings.TrimSpace(got) != got {
			return fmt.Errorf("want the %s header to be a whole number from %d to %d, got %q; %s", name, lo, hi, got, x.describe())
		}
		return nil
	})
}

// nextWindowStart is the start, in Unix seconds, of the first window of
// the given length (aligned on the Unix epoch) that starts at now or
// after it.
func nextWindowStart(now time.Time, window int64) int64 {
	sec := now.Unix()
	start := sec - ((sec%window)+window)%window
	if start == sec && now.Nanosecond() == 0 {
		return start
	}
	return start + window
}

// rateLimitsWillChange is called by every step before it changes the
// emulator's rate limits: the scenario must be @serial, and the first
// change registers putting back the rules GET /_emulator/rate-limits shows
// now: Pipedream's profile or none by name, one's own rules as they are.
func (w *world) rateLimitsWillChange(ctx context.Context) error {
	if !w.caps.Has("rate_limits") {
		return fmt.Errorf("%w (the capability rate_limits)", errNotEmulator)
	}
	if !w.scenario.HasTag("@serial") {
		return fmt.Errorf("this step changes the emulator's rate limits, which apply to every request of the server and start every count afresh: tag the scenario @serial")
	}
	if w.cleanups.has("rate limits") {
		return nil
	}
	x, err := w.control(ctx, http.MethodGet, "/_emulator/rate-limits", "")
	if err != nil {
		return err
	}
	restore, err := rateLimitsRestoreBody(x)
	if err != nil {
		return err
	}
	w.cleanups.add("rate limits", "the emulator's rate limits, as they were: "+restore, func(ctx context.Context) error {
		_, err := w.control(ctx, http.MethodPut, "/_emulator/rate-limits", restore)
		return err
	})
	return nil
}

// rateLimitsRestoreBody is the PUT /_emulator/rate-limits body that puts
// back what a GET answered: {"profile": …} for a named profile, {"rules":
// […]} for one's own.
func rateLimitsRestoreBody(x *exchange) (string, error) {
	profile := x.str("profile")
	switch profile {
	case "":
		return "", fmt.Errorf("GET /_emulator/rate-limits names no profile; %s", x.describe())
	case "custom":
		rules, err := x.list("rules")
		if err != nil {
			return "", err
		}
		b, err := json.Marshal(map[string]any{"rules": rules})
		return string(b), err
	}
	b, err := json.Marshal(map[string]string{"profile": profile})
	return string(b), err
}

// repeatRequest sends the scenario's request n times, as "I GET …" sends
// it once, with the headers queued for the next request on every one of
// them; the answers are the scenario's calls, the last one its last
// response.
func repeatRequest(ctx context.Context, method, path string, n int, contentType, body string) error {
	w := worldFrom(ctx)
	if n < 1 || n > maxRepeat {
		return fmt.Errorf("send a request 1 to %d times, not %d", maxRepeat, n)
	}
	path, err := w.expand(path)
	if err != nil {
		return err
	}
	if body, err = w.expand(body); err != nil {
		return err
	}
	if err := w.beforeOwnRequest(ctx, method, path); err != nil {
		return err
	}
	header := w.header
	w.header = http.Header{}
	w.calls = nil
	for i := 1; i <= n; i++ {
		x, err := w.send(ctx, request{method: method, path: path, contentType: contentType, body: body,
			token: w.token, env: w.env, header: header.Clone()}, record)
		if err != nil {
			return fmt.Errorf("request %d of %d: %w", i, n, err)
		}
		w.afterOwnRequest(method, path, x)
		w.calls = append(w.calls, scopedCall{scope: fmt.Sprintf("request %d of %d", i, n), x: x})
	}
	return nil
}
