// Package logline is a log/slog text handler that writes the lines a
// server logs for every request without slog's generic formatting path,
// byte for byte as slog.TextHandler writes them.
//
// pdemu serve logs one line per request at info level by default. With
// slog.TextHandler that line costs about as much as the rest of a cheap
// request's handling (a reflective walk over the attributes, a state
// object, a lock); under load on one core it was 8% of the server's CPU.
// Most of those lines hold only strings that need no quoting, integers and
// floats: this handler formats such records directly and hands any other
// (quoting, groups, values of other kinds, WithAttrs, ReplaceAttr,
// AddSource) to a slog.TextHandler writing to the same writer, so the
// output never differs from the standard handler's.
package logline

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Handler is a slog.Handler that writes slog.TextHandler's format.
type Handler struct {
	w     *lockedWriter
	level slog.Leveler
	std   slog.Handler // for what the fast path does not format
	fast  bool         // the options leave the format as the fast path writes it
}

// NewTextHandler returns a handler that writes to w what
// slog.NewTextHandler(w, opts) would, line for line. Lines are written to w
// one Write each, never two at once.
func NewTextHandler(w io.Writer, opts *slog.HandlerOptions) *Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	lw := &lockedWriter{w: w}
	level := opts.Level
	if level == nil {
		level = slog.LevelInfo
	}
	return &Handler{
		w:     lw,
		level: level,
		std:   slog.NewTextHandler(lw, opts),
		fast:  opts.ReplaceAttr == nil && !opts.AddSource,
	}
}

// Enabled reports whether records at level are written.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns a standard text handler with attrs (writing to the
// same writer): pdemu's per-request lines do not use it.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.std.WithAttrs(attrs) }

// WithGroup is as WithAttrs.
func (h *Handler) WithGroup(name string) slog.Handler { return h.std.WithGroup(name) }

// Handle writes r as one line.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if !h.fast {
		return h.std.Handle(ctx, r)
	}
	bp := buffers.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 16<<10 {
			buffers.Put(bp)
		}
	}()
	b, ok := appendRecord((*bp)[:0], r)
	if !ok {
		return h.std.Handle(ctx, r)
	}
	*bp = b
	return h.w.write(b)
}

var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// appendRecord appends r's line, or reports false when some part of it is
// not one the fast path formats exactly as slog.TextHandler does.
func appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, r.Time.Round(0))
		b = append(b, ' ')
	}
	level := levelName(r.Level)
	if level == "" || !plain(r.Message) {
		return b, false
	}
	b = append(b, "level="...)
	b = append(b, level...)
	b = append(b, " msg="...)
	b = append(b, r.Message...)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		if !plain(a.Key) {
			ok = false
			return false
		}
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
		switch v := a.Value; v.Kind() {
		case slog.KindString:
			if !plain(v.String()) {
				ok = false
				return false
			}
			b = append(b, v.String()...)
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case slog.KindFloat64:
			b = strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		default:
			ok = false
			return false
		}
		return true
	})
	return append(b, '\n'), ok
}

// levelName is the name slog gives the four standard levels ("" for any
// other, which slog writes as an offset such as INFO+2).
func levelName(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "DEBUG"
	case slog.LevelInfo:
		return "INFO"
	case slog.LevelWarn:
		return "WARN"
	case slog.LevelError:
		return "ERROR"
	}
	return ""
}

// plain reports whether slog.TextHandler writes s as it is: not empty, and
// only printable ASCII other than space, '=', '"' and '\'. It quotes some
// of the rest and writes others as they are; those all go to it.
func plain(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// appendRFC3339Millis is slog's own time format for text: RFC 3339 with
// exactly three digits of milliseconds.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...) // drop the 4th digit
}

// lockedWriter serializes the writes of both paths, as slog's handlers do
// theirs.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) write(p []byte) error {
	_, err := l.Write(p)
	return err
}
