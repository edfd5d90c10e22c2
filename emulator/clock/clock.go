// Package clock is the only source of time for the emulator.
//
// Every instant pdemu reads (token issuance, expiry checks, created_at
// stamps) comes from a Clock, so tests can pin time and move it an hour
// forward without sleeping. This file is the only one in the emulator that
// may call time.Now; a test enforces that.
package clock

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Clock reads the current time. It is the smallest interface that fits:
// the emulator checks expiry lazily and never sleeps or sets timers.
type Clock interface {
	// Now returns the current instant, in UTC.
	Now() time.Time
}

// Controllable is a Clock that can be set and advanced, as the control
// plane (`/_emulator/clock`) and the Go API require.
type Controllable interface {
	Clock
	// Set moves the clock to t; earlier instants are allowed.
	Set(t time.Time)
	// Advance moves the clock forward by d. It returns ErrNegative for d < 0.
	Advance(d time.Duration) error
}

// ErrNegative is returned by Advance for a negative duration: time moves
// backwards only through Set, so a typo cannot silently rewind it.
var ErrNegative = errors.New("clock: cannot advance by a negative duration")

// DefaultStart is where a Fake clock starts when none is given: a fixed,
// round instant far enough in the future that no real token collides.
var DefaultStart = time.Date(2030, time.January, 1, 0, 0, 0, 0, time.UTC)

// Fake is a Controllable clock that stands still until moved. It is safe
// for concurrent use. The zero value is not usable; call NewFake.
type Fake struct {
	mu  sync.RWMutex
	now time.Time
}

var _ Controllable = (*Fake)(nil)

// NewFake returns a Fake clock at start (DefaultStart when start is zero).
func NewFake(start time.Time) *Fake {
	if start.IsZero() {
		start = DefaultStart
	}
	return &Fake{now: start.UTC()}
}

// Now returns the clock's instant.
func (f *Fake) Now() time.Time {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.now
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t.UTC()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) error {
	if d < 0 {
		return ErrNegative
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	return nil
}

// Offset follows real time from its start, shifted by whatever was set or
// advanced (the tailscale FollowRealTime model): a standalone emulator whose
// tokens expire after a real hour, yet whose clock scripts can move. A
// frozen Offset stands still until moved, like Fake.
type Offset struct {
	mu     sync.RWMutex
	real   func() time.Time
	shift  time.Duration
	frozen bool
	fixed  time.Time // the instant a frozen clock shows
}

var _ Controllable = (*Offset)(nil)

// NewOffset returns a clock that follows real time from now on, shifted
// by whatever is set or advanced.
func NewOffset() *Offset { return &Offset{real: time.Now} }

// NewFrozenOffset returns a clock that starts at the current real instant
// and stands still until moved, for scripts that want every instant to be
// the one they set.
func NewFrozenOffset() *Offset {
	return &Offset{real: time.Now, frozen: true, fixed: time.Now().UTC()}
}

// Now returns real time plus the offset, or the frozen instant.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.frozen {
		return o.fixed
	}
	return o.real().UTC().Add(o.shift)
}

// Set makes Now return t at this moment; a following clock keeps running from there.
func (o *Offset) Set(t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.frozen {
		o.fixed = t.UTC()
		return
	}
	o.shift = t.Sub(o.real())
}

// Advance moves the clock forward by d.
func (o *Offset) Advance(d time.Duration) error {
	if d < 0 {
		return ErrNegative
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.frozen {
		o.fixed = o.fixed.Add(d)
		return nil
	}
	o.shift += d
	return nil
}

// Shift is how far a following Offset runs ahead of real time (behind,
// when negative); 0 for a frozen one. A saved state keeps it, so that a
// clock that follows real time goes on following it after a restart
// instead of resuming from the instant it was saved at.
func (o *Offset) Shift() time.Duration {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if o.frozen {
		return 0
	}
	return o.shift
}

// SetShift makes a following Offset run d ahead of real time; on a frozen
// one it does nothing (Set moves that).
func (o *Offset) SetShift(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.frozen {
		o.shift = d
	}
}

// Frozen reports whether c stands still until moved, as a Fake and a
// frozen Offset do; a clock that cannot say is taken to follow real time.
func Frozen(c Clock) bool {
	f, ok := c.(interface{ Frozen() bool })
	return ok && f.Frozen()
}

// Frozen reports true: a Fake moves only when told to.
func (f *Fake) Frozen() bool { return true }

// Frozen reports whether the clock stands still until moved.
func (o *Offset) Frozen() bool { return o.frozen }

// WallDeadline returns the real instant d from now, for deadlines of
// network I/O (a connection's write deadline), which protect the process
// and have nothing to do with the emulated time a Clock shows.
func WallDeadline(d time.Duration) time.Time { return time.Now().Add(d) }

// Stopwatch measures real elapsed time, for request logs: durations of work
// on this machine, unrelated to the emulated time a Clock shows.
type Stopwatch struct{ start time.Time }

// StartStopwatch starts a Stopwatch.
func StartStopwatch() Stopwatch { return Stopwatch{start: time.Now()} }

// Elapsed returns the real time since the Stopwatch started.
func (s Stopwatch) Elapsed() time.Duration { return time.Since(s.start) }

// Wall returns the real time, for the timestamps of log lines: a log tells
// when on this machine something happened, whatever a Clock shows.
func Wall() time.Time { return time.Now() }

// WallSleep waits d of real time, or until ctx is done (a client that went
// away), and returns ctx's error in that case. A fault plan's delay uses
// it: the delay stands for a slow network, which the emulated clock does
// not model, and a test waiting on it would otherwise never finish.
func WallSleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
