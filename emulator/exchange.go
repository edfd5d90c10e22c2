package emulator

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/journal"
)

// DefaultJournalBodyBytes is how much of each request and response body
// the request journal keeps; a longer body is kept cut, and marked so.
const DefaultJournalBodyBytes = 8 << 10

// exchange is one request as the emulator handled it: what the journal and
// the request log need to know about it. The top-level handler makes one
// per request and passes it down (no context lookup on the hot path); the
// route's adapter fills in who called and how it ended.
type exchange struct {
	req *http.Request // as received, before any rewriting
	cw  captureWriter
	sw  clock.Stopwatch
	at  time.Time

	route          string
	errCode        string
	clientID       string
	externalUserID string
	faultID        string
	nearMisses     []string
	// reqBody is the body as read (bounded by the emulator's limit).
	reqBody []byte
	// dropped says the connection was closed on purpose with no answer.
	dropped bool
	// quiet says the request was to a quiet row (a console file, health).
	quiet bool
}

// begin starts an exchange for r. Recording (capturing the answer) costs
// only when the journal is on or debug logging wants the bodies.
func (e *Emulator) begin(w http.ResponseWriter, r *http.Request) *exchange {
	x := &exchange{req: r}
	x.cw = captureWriter{ResponseWriter: w, capture: e.journal.Enabled() || e.logBodies(), show: e.redact.Header}
	if e.journal.Enabled() || e.logger != nil {
		x.sw, x.at = clock.StartStopwatch(), e.clock.Now()
	}
	return x
}

// w is what handlers write the answer to.
func (x *exchange) w() http.ResponseWriter { return &x.cw }

// finish records the exchange in the journal and logs it. It runs deferred,
// so a connection dropped with http.ErrAbortHandler is recorded as well.
func (e *Emulator) finish(x *exchange) {
	if !e.journal.Enabled() && e.logger == nil {
		return
	}
	status := x.cw.status
	if status == 0 && x.errCode == "" {
		x.errCode = "connection_dropped" // a drop fault, or a panic past recovery
	}
	entry := journal.Entry{
		Method: x.req.Method, Path: e.redact.Path(x.req.URL.Path), Query: e.redact.Query(x.req.URL.RawQuery),
		Route: x.route, Status: status, Error: x.errCode, Duration: x.sw.Elapsed(),
		ClientID: x.clientID, TokenKind: tokenKind(x.req), ExternalUserID: x.externalUserID,
		FaultID: x.faultID, NearMisses: x.nearMisses, At: x.at,
	}
	if x.cw.capture {
		entry.Request = journal.Message{Header: journal.EncodeHeader(x.req.Header, x.req.Host, e.redact.Header), BodySize: int64(len(x.reqBody))}
		entry.Request.Body, entry.Request.Truncated = keepPrefix(x.reqBody, DefaultJournalBodyBytes)
		entry.Response = journal.Message{Header: x.cw.header, Body: x.cw.body, BodySize: x.cw.size, Truncated: x.cw.size > int64(len(x.cw.body))}
	}
	if !x.skipJournal() {
		e.journal.Add(entry)
	}
	if e.logger != nil {
		level := slog.LevelInfo
		if x.consoleRead() {
			level = slog.LevelDebug
		}
		e.logExchange(x.req.Context(), &entry, level)
	}
}

// skipJournal keeps the journal's own reads out of it, and a console's
// reads and page loads: a console or a script polling the journal, or a
// console refreshing its views, would otherwise fill it with its polling.
func (x *exchange) skipJournal() bool {
	return x.route == "requests.list" || x.route == "requests.count" || x.consoleRead()
}

// ConsoleHeader marks the requests a console sends. Its reads of the
// control plane (GET, with the value "1") stay out of the journal and are
// logged at debug level; its writes are recorded as any other.
const ConsoleHeader = "X-Pdemu-Console"

// consoleRead reports whether the exchange is a console's read of a
// control-plane route that the guard let through. One the guard refused
// is recorded as always (a page that sends the header is not thereby the
// console, and a refusal is worth seeing), and so is a path no route
// matched, whose near misses show a console's mistake.
//
// A quiet row's exchange (the console's files, the health check) counts as
// such a read: a browser opening the console or a probe, not a call.
func (x *exchange) consoleRead() bool {
	// The cheap tests first: every request of the API ends here.
	if !x.quiet && (x.req.Method != http.MethodGet || x.route == "" || !strings.HasPrefix(x.req.URL.Path, controlPrefix) ||
		x.req.Header.Get(ConsoleHeader) != "1") {
		return false
	}
	return !isControlRefusal(x.errCode)
}

// isControlRefusal reports whether code is one of the control plane
// guard's refusals.
func isControlRefusal(code string) bool {
	for _, e := range [...]*apperr.Error{errControlHost, errControlOrigin, errControlTokenMissing, errControlTokenWrong, errControlRelayed} {
		if code == e.Code {
			return true
		}
	}
	return false
}

// keepPrefix returns at most n bytes of b, copied when cut so the rest can
// be collected, and whether it cut.
func keepPrefix(b []byte, n int) ([]byte, bool) {
	if len(b) <= n {
		return b, false
	}
	return append([]byte(nil), b[:n]...), true
}

// tokenKind names the kind of bearer token a request presented, valid or
// not: "connect" for a Connect token, "oauth" for any other bearer on the
// API, "none" otherwise (no token, Basic, or the control plane's token).
func tokenKind(r *http.Request) string {
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case !ok || !strings.EqualFold(scheme, "Bearer") || strings.HasPrefix(r.URL.Path, controlPrefix):
		return "none"
	case strings.HasPrefix(strings.TrimSpace(cred), "ctok_"):
		return "connect"
	}
	return "oauth"
}

// clientIP is the address a request came from, for rate limits keyed by
// IP. Forwarding headers are not trusted: pdemu is not behind a proxy it
// knows.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// captureWriter passes the answer through and, when capture is set, keeps
// its status, headers and the first DefaultJournalBodyBytes of its body.
type captureWriter struct {
	http.ResponseWriter
	capture bool
	show    func(name, value string) string // redacts a header value
	status  int
	header  journal.Header
	body    []byte
	size    int64
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
		if c.capture {
			c.header = journal.EncodeHeader(c.ResponseWriter.Header(), "", c.show)
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.capture {
		c.size += int64(len(b))
		if room := DefaultJournalBodyBytes - len(c.body); room > 0 {
			c.body = append(c.body, b[:min(room, len(b))]...)
		}
	}
	return c.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (to move its
// write deadline) through the capture.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// logBodies reports whether the request log shows headers and bodies.
func (e *Emulator) logBodies() bool {
	return e.logger != nil && e.logger.Enabled(context.Background(), slog.LevelDebug)
}

// logExchange writes the request's log line at level: what the journal
// knows of it, and when debug lines are logged its redacted headers and
// bodies.
func (e *Emulator) logExchange(ctx context.Context, en *journal.Entry, level slog.Level) {
	h := e.logger.Handler()
	if !h.Enabled(ctx, level) {
		return // a console's read, below the logger's level: build nothing
	}
	// The record goes straight to the handler, as Logger.LogAttrs would
	// send it but without the caller's program counter: finding it costs
	// a stack walk per request, for a source position no one asks of a
	// request line (it would name this function).
	r := slog.NewRecord(clock.Wall(), level, "request", 0)
	attrs := make([]slog.Attr, 0, 14)
	attrs = append(attrs,
		slog.String("method", en.Method),
		slog.String("path", en.Path),
		slog.String("route", en.Route),
		slog.Int("status", en.Status),
		slog.Float64("duration_ms", durationMS(en.Duration)),
	)
	for _, kv := range [...][2]string{{"error", en.Error}, {"client_id", en.ClientID}, {"external_user_id", en.ExternalUserID}, {"fault_id", en.FaultID}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	if e.logBodies() {
		req, resp := e.messageJSON(en.Request), e.messageJSON(en.Response)
		attrs = append(attrs, slog.Any("request", req), slog.Any("response", resp))
	}
	r.AddAttrs(attrs...)
	_ = h.Handle(ctx, r) // as Logger does: a log that cannot be written is not the request's error
}
