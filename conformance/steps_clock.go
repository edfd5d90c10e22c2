package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pdemu/pdemu/conformance/internal/jwtcheck"
	"github.com/pdemu/pdemu/conformance/internal/wire"
)

// Time: the target's clock (the emulator's when it has one, the local one
// otherwise), the steps that move the emulator clock, and putting it back
// after the scenario.

// registerClockSteps adds the steps that read, compare with and move the
// clock.
func registerClockSteps(s *steps) {
	s.add(`^the issued token's claim "([^"]*)" is within (\d+) seconds? of the (target's|emulator) clock(?: plus (\d+) seconds?)?$`, func(ctx context.Context, name string, tolerance int, which string, plus string) error {
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
	s.add(`^the response field "([^"]*)" is within (\d+) seconds? of the (target's|emulator) clock(?: plus (\d+) seconds?)?$`, func(ctx context.Context, field string, tolerance int, which, plus string) error {
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
	s.add(`^the emulator clock stands at a whole second$`, func(ctx context.Context) error {
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
	s.add(`^the emulator clock is set to the issued token's claim "([^"]*)" minus (\d+) seconds?$`, func(ctx context.Context, name string, n int64) error {
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
	s.add(`^the emulator clock advances by (\d+) seconds?$`, func(ctx context.Context, seconds int) error {
		w := worldFrom(ctx)
		if err := w.clockWillMove(ctx); err != nil {
			return err
		}
		_, err := w.control(ctx, http.MethodPost, "/_emulator/clock/advance", fmt.Sprintf(`{"seconds":%d}`, seconds))
		return err
	})
	s.add(`^I remember the Unix time (\d+) (seconds?|minutes?|hours?|days?) (ago|from now) as "([^"]*)"$`, rememberUnixTime)
	s.add(`^I remember the Unix time now as "([^"]*)"$`, func(ctx context.Context, name string) error {
		return rememberUnixTime(ctx, 0, "seconds", "ago", name)
	})
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
	sent := time.Now()
	before, frozen, err := readEmulatorClockMode(ctx, w)
	if err != nil {
		return err
	}
	at := sent.Add(time.Since(sent) / 2) // when the target most likely read it
	runs := frozen != nil && !*frozen
	if frozen == nil {
		// An emulator that does not say: two readings tell a running clock
		// from a still one, since a running one shows nanoseconds and two
		// requests take microseconds at least.
		again, err := readEmulatorClock(ctx, w)
		if err != nil {
			return err
		}
		runs = !again.Equal(before)
	}
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

// readEmulatorClock reads GET /_emulator/clock.
func readEmulatorClock(ctx context.Context, w *world) (time.Time, error) {
	t, _, err := readEmulatorClockMode(ctx, w)
	return t, err
}

// readEmulatorClockMode reads GET /_emulator/clock: the instant, and
// whether the clock stands still until moved when the emulator says (nil
// when it does not).
func readEmulatorClockMode(ctx context.Context, w *world) (time.Time, *bool, error) {
	if !w.caps.Has("clock") {
		return time.Time{}, nil, fmt.Errorf("%w (the capability clock)", errNotEmulator)
	}
	x, err := w.control(ctx, http.MethodGet, "/_emulator/clock", "")
	if err != nil {
		return time.Time{}, nil, err
	}
	now := x.str("now")
	t, err := time.Parse(time.RFC3339Nano, now)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("the emulator's clock is not an RFC 3339 time; %s", x.describe())
	}
	var frozen *bool
	if v, ok := x.field("frozen"); ok {
		if b, isBool := v.(bool); isBool {
			frozen = &b
		}
	}
	return t, frozen, nil
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

// jsonTime reads a time from JSON: a number of Unix seconds or an RFC 3339
// string.
func jsonTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case float64, json.Number:
		f, ok := wire.Float(t)
		if !ok {
			return time.Time{}, fmt.Errorf("%s is not a number", text(v))
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)), nil
	case string:
		tm, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", t)
		}
		return tm, nil
	}
	return time.Time{}, fmt.Errorf("%s is neither Unix seconds nor an RFC 3339 time", text(v))
}

// rememberUnixTime remembers now ± an offset in Unix seconds. "Now" is the
// emulator's clock when the target has one (it may stand still, far from
// the local clock), else the local clock.
func rememberUnixTime(ctx context.Context, n int, unit, dir, name string) error {
	w := worldFrom(ctx)
	now, _, err := referenceNow(ctx, w)
	if err != nil {
		return err
	}
	d := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(unit, "s")]
	offset := time.Duration(n) * d
	if dir == "ago" {
		offset = -offset
	}
	return w.remember(name, strconv.FormatInt(now.Add(offset).Unix(), 10))
}
