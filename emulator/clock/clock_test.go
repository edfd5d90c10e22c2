package clock

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFake(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		move    func(c *Fake) error
		want    time.Time
		wantErr error
	}{
		{name: "stands still", move: func(*Fake) error { return nil }, want: start},
		{name: "advance zero", move: func(c *Fake) error { return c.Advance(0) }, want: start},
		{name: "advance one hour", move: func(c *Fake) error { return c.Advance(time.Hour) }, want: start.Add(time.Hour)},
		{name: "advance negative is refused", move: func(c *Fake) error { return c.Advance(-time.Nanosecond) }, want: start, wantErr: ErrNegative},
		{name: "set earlier", move: func(c *Fake) error { c.Set(start.Add(-24 * time.Hour)); return nil }, want: start.Add(-24 * time.Hour)},
		{name: "set converts to UTC", move: func(c *Fake) error {
			c.Set(time.Date(2031, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)))
			return nil
		}, want: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewFake(start)
			err := tc.move(c)
			assert.ErrorIs(t, err, tc.wantErr)
			assert.True(t, tc.want.Equal(c.Now()), "got %v; want %v", c.Now(), tc.want)
			assert.Equal(t, time.UTC, c.Now().Location())
		})
	}
}

func TestFakeZeroStartUsesDefault(t *testing.T) {
	assert.Equal(t, DefaultStart, NewFake(time.Time{}).Now())
}

func TestFakeConcurrent(t *testing.T) {
	c := NewFake(time.Time{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				_ = c.Advance(time.Second)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, DefaultStart.Add(800*time.Second), c.Now())
}

// fakeReal drives an Offset clock's notion of real time in tests.
type fakeReal struct{ now time.Time }

func (f *fakeReal) Now() time.Time { return f.now }

func TestOffsetFollowsRealTime(t *testing.T) {
	r := &fakeReal{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := &Offset{real: r.Now}
	assert.Equal(t, r.now, o.Now())

	r.now = r.now.Add(10 * time.Second)
	assert.Equal(t, r.now, o.Now(), "follows real time")

	require.NoError(t, o.Advance(time.Hour))
	assert.Equal(t, r.now.Add(time.Hour), o.Now())
	r.now = r.now.Add(time.Second)
	assert.Equal(t, r.now.Add(time.Hour), o.Now(), "keeps running after an advance")

	target := time.Date(2020, 6, 1, 12, 0, 0, 0, time.UTC)
	o.Set(target)
	assert.Equal(t, target, o.Now())
	r.now = r.now.Add(5 * time.Second)
	assert.Equal(t, target.Add(5*time.Second), o.Now(), "keeps running after a set")

	assert.ErrorIs(t, o.Advance(-time.Second), ErrNegative)
}

func TestOffsetFrozen(t *testing.T) {
	o := NewFrozenOffset()
	first := o.Now()
	assert.Equal(t, first, o.Now(), "a frozen clock stands still")
	require.NoError(t, o.Advance(90*time.Second))
	assert.Equal(t, first.Add(90*time.Second), o.Now())
	target := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	o.Set(target)
	assert.Equal(t, target, o.Now())
}

func TestWallDeadline(t *testing.T) {
	before := time.Now()
	got := WallDeadline(time.Hour)
	after := time.Now()
	assert.False(t, got.Before(before.Add(time.Hour)), "%v is earlier than an hour after %v", got, before)
	assert.False(t, got.After(after.Add(time.Hour)), "%v is later than an hour after %v", got, after)
}

type plainClock struct{}

func (plainClock) Now() time.Time { return time.Time{} }

func TestFrozen(t *testing.T) {
	tests := []struct {
		name string
		c    Clock
		want bool
	}{
		{"fake", NewFake(time.Time{}), true},
		{"frozen offset", NewFrozenOffset(), true},
		{"following offset", NewOffset(), false},
		{"a clock that cannot say", plainClock{}, false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Frozen(tc.c), tc.name)
	}
}

func TestWallSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if err := WallSleep(ctx, 0); err != nil {
		t.Fatalf("a zero wait: %v", err)
	}
	if err := WallSleep(ctx, time.Nanosecond); err != nil {
		t.Fatalf("a short wait: %v", err)
	}
	cancel()
	if err := WallSleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled wait must return at once with the context's error, got %v", err)
	}
}

func TestOffsetShift(t *testing.T) {
	real := &fakeReal{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := &Offset{real: real.Now}
	o.SetShift(time.Hour)
	require.Equal(t, time.Hour, o.Shift())
	require.Equal(t, real.now.Add(time.Hour), o.Now())
	real.now = real.now.Add(time.Minute)
	require.Equal(t, real.now.Add(time.Hour), o.Now(), "a shifted clock follows real time")

	frozen := NewFrozenOffset()
	at := frozen.Now()
	frozen.SetShift(time.Hour)
	require.Zero(t, frozen.Shift())
	require.Equal(t, at, frozen.Now(), "a frozen clock is moved by Set, not SetShift")
}
