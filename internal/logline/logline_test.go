package logline

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var at = time.Date(2026, 12, 1, 9, 30, 15, 123_456_789, time.UTC)

// same logs r through this handler and through slog.TextHandler and
// requires the same bytes.
func same(t *testing.T, opts *slog.HandlerOptions, r slog.Record) string {
	t.Helper()
	var got, want bytes.Buffer
	require.NoError(t, NewTextHandler(&got, opts).Handle(context.Background(), r))
	require.NoError(t, slog.NewTextHandler(&want, opts).Handle(context.Background(), r))
	require.Equal(t, want.String(), got.String())
	return got.String()
}

func record(tm time.Time, level slog.Level, msg string, attrs ...slog.Attr) slog.Record {
	r := slog.NewRecord(tm, level, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

func TestHandleWritesWhatTextHandlerWrites(t *testing.T) {
	requestLine := []slog.Attr{
		slog.String("method", "GET"), slog.String("path", "/v1/connect/projects"), slog.String("route", "projects.list"),
		slog.Int("status", 200), slog.Float64("duration_ms", 0.123), slog.String("client_id", "oc_bench"),
	}
	cases := []struct {
		name string
		r    slog.Record
	}{
		{"a request line", record(at, slog.LevelInfo, "request", requestLine...)},
		{"no time", record(time.Time{}, slog.LevelInfo, "request", requestLine...)},
		{"a time with no milliseconds", record(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), slog.LevelInfo, "m")},
		{"a time at 999.9 ms", record(time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.UTC), slog.LevelInfo, "m")},
		{"a zone", record(at.In(time.FixedZone("X", -7*3600-30*60)), slog.LevelInfo, "m")},
		{"a monotonic reading", record(time.Now(), slog.LevelInfo, "m")},
		{"debug", record(at, slog.LevelDebug, "m")},
		{"warn", record(at, slog.LevelWarn, "m")},
		{"error", record(at, slog.LevelError, "m")},
		{"a level between", record(at, slog.LevelInfo+2, "m")},
		{"a message with a space", record(at, slog.LevelInfo, "internal error", slog.String("route", "x"))},
		{"an empty message", record(at, slog.LevelInfo, "")},
		{"a value with a space", record(at, slog.LevelInfo, "m", slog.String("error", "no such client"))},
		{"an empty value", record(at, slog.LevelInfo, "m", slog.String("a", ""))},
		{"a value with =", record(at, slog.LevelInfo, "m", slog.String("q", "a=b"))},
		{"a value with a quote", record(at, slog.LevelInfo, "m", slog.String("q", `say "hi"`))},
		{"a value with a backslash", record(at, slog.LevelInfo, "m", slog.String("q", `a\b`))},
		{"a value with a newline", record(at, slog.LevelInfo, "m", slog.String("q", "a\nb"))},
		{"a value with UTF-8", record(at, slog.LevelInfo, "m", slog.String("q", "café"))},
		{"a value with invalid UTF-8", record(at, slog.LevelInfo, "m", slog.String("q", "\xff"))},
		{"a value with DEL", record(at, slog.LevelInfo, "m", slog.String("q", "a\x7f"))},
		{"a key with a space", record(at, slog.LevelInfo, "m", slog.String("a b", "c"))},
		{"integers", record(at, slog.LevelInfo, "m", slog.Int("i", -42), slog.Int64("j", math.MinInt64), slog.Uint64("u", math.MaxUint64))},
		{"floats", record(at, slog.LevelInfo, "m", slog.Float64("a", 0), slog.Float64("b", 1e21), slog.Float64("c", 1.5e-7),
			slog.Float64("d", math.Inf(-1)), slog.Float64("e", math.NaN()), slog.Float64("f", 12.5))},
		{"booleans", record(at, slog.LevelInfo, "m", slog.Bool("t", true), slog.Bool("f", false))},
		{"a duration", record(at, slog.LevelInfo, "m", slog.Duration("d", 1500*time.Millisecond))},
		{"a time value", record(at, slog.LevelInfo, "m", slog.Time("t", at))},
		{"an any", record(at, slog.LevelInfo, "m", slog.Any("v", []int{1, 2}), slog.Any("e", assert.AnError))},
		{"a group", record(at, slog.LevelInfo, "m", slog.Group("request", slog.String("a", "b")))},
		{"an empty group", record(at, slog.LevelInfo, "m", slog.Group("g"))},
		{"a fast attribute after a slow one", record(at, slog.LevelInfo, "m", slog.String("a", "x y"), slog.String("b", "z"))},
		{"many attributes", record(at, slog.LevelInfo, "m", append(append(append([]slog.Attr{}, requestLine...), requestLine...), requestLine...)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { same(t, nil, c.r) })
	}

	line := same(t, nil, cases[0].r)
	assert.Equal(t, "time=2026-12-01T09:30:15.123Z level=INFO msg=request method=GET path=/v1/connect/projects route=projects.list status=200 duration_ms=0.123 client_id=oc_bench\n", line)
	_, fast := appendRecord(nil, cases[0].r)
	assert.True(t, fast, "a request line takes the fast path")
	_, fast = appendRecord(nil, cases[12].r)
	assert.False(t, fast, "a value that needs quotes goes to slog")
}

func TestOptionsThatChangeTheFormatGoToSlog(t *testing.T) {
	r := record(at, slog.LevelInfo, "request", slog.String("a", "b"))
	upper := func(_ []string, a slog.Attr) slog.Attr {
		if a.Value.Kind() == slog.KindString {
			a.Value = slog.StringValue(strings.ToUpper(a.Value.String()))
		}
		return a
	}
	assert.Contains(t, same(t, &slog.HandlerOptions{ReplaceAttr: upper}, r), "a=B")
	var pcs [1]uintptr
	runtime.Callers(1, pcs[:])
	withSource := slog.NewRecord(at, slog.LevelInfo, "request", pcs[0])
	assert.Contains(t, same(t, &slog.HandlerOptions{AddSource: true}, withSource), "source=")
}

func TestLevelsAndDerivedHandlers(t *testing.T) {
	var buf bytes.Buffer
	lv := new(slog.LevelVar)
	h := NewTextHandler(&buf, &slog.HandlerOptions{Level: lv})
	ctx := context.Background()
	assert.True(t, h.Enabled(ctx, slog.LevelInfo))
	assert.False(t, h.Enabled(ctx, slog.LevelDebug))
	lv.Set(slog.LevelDebug)
	assert.True(t, h.Enabled(ctx, slog.LevelDebug), "the level is read on each call")
	assert.True(t, NewTextHandler(&buf, nil).Enabled(ctx, slog.LevelInfo), "info by default")
	assert.False(t, NewTextHandler(&buf, nil).Enabled(ctx, slog.LevelDebug))

	logger := slog.New(h).With("component", "x").WithGroup("g")
	logger.Info("hello", "k", "v")
	assert.Contains(t, buf.String(), "level=INFO msg=hello component=x g.k=v\n")
}

// TestWritesAreWholeLines logs from many goroutines through both paths
// into one writer that fails the test if two writes overlap.
func TestWritesAreWholeLines(t *testing.T) {
	w := &exclusive{t: t}
	logger := slog.New(NewTextHandler(w, nil))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				if i%2 == 0 {
					logger.Info("fast", "i", i)
				} else {
					logger.Info("slow path", "i", i)
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 8*200, strings.Count(w.buf.String(), "\n"))
	for _, line := range strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n") {
		assert.True(t, strings.HasPrefix(line, "time="), line)
	}
}

type exclusive struct {
	t    *testing.T
	busy sync.Mutex
	buf  bytes.Buffer
}

func (e *exclusive) Write(p []byte) (int, error) {
	if !e.busy.TryLock() {
		e.t.Error("two writes at once")
		return 0, nil
	}
	defer e.busy.Unlock()
	return e.buf.Write(p)
}

// FuzzHandle holds the fast path to slog's output for any string and key.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{"GET", "/v1/x y", "a=b", `"`, "\\", "\x00", "é", "\xff", ""} {
		f.Add("request", "path", s, int64(7), 0.25)
	}
	f.Fuzz(func(t *testing.T, msg, key, value string, n int64, x float64) {
		same(t, nil, record(at, slog.LevelInfo, msg, slog.String(key, value), slog.Int64("n", n), slog.Float64("x", x)))
	})
}

func BenchmarkRequestLine(b *testing.B) {
	attrs := []slog.Attr{
		slog.String("method", "GET"), slog.String("path", "/v1/connect/projects"), slog.String("route", "projects.list"),
		slog.Int("status", 200), slog.Float64("duration_ms", 0.123), slog.String("client_id", "oc_bench"),
	}
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{{"logline", NewTextHandler(discard{}, nil)}, {"slog", slog.NewTextHandler(discard{}, nil)}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := slog.NewRecord(at, slog.LevelInfo, "request", 0)
				r.AddAttrs(attrs...)
				_ = h.h.Handle(context.Background(), r)
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
