package emulator

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/glob"
	"github.com/pdemu/pdemu/emulator/internal/journal"
	"github.com/pdemu/pdemu/emulator/internal/paging"
)

// The request journal on the control plane: GET /_emulator/requests (a
// page, newest first), GET /_emulator/requests/count, DELETE
// /_emulator/requests. Entries are redacted as they are shown.

// requestJSON is a journal entry on the wire.
type requestJSON struct {
	ID             string      `json:"id"`
	At             string      `json:"at"`
	Method         string      `json:"method"`
	Path           string      `json:"path"`
	Query          string      `json:"query"`
	Route          string      `json:"route"`
	Status         int         `json:"status"`
	Error          string      `json:"error"`
	DurationMS     float64     `json:"duration_ms"`
	ClientID       string      `json:"client_id"`
	TokenKind      string      `json:"token_kind"`
	ExternalUserID string      `json:"external_user_id"`
	FaultID        string      `json:"fault_id"`
	NearMisses     []string    `json:"near_misses,omitempty"`
	Request        messageJSON `json:"request"`
	Response       messageJSON `json:"response"`
}

// messageJSON is one side of an exchange on the wire. body is the JSON
// value itself when the body is JSON, a string when it is text (a form, a
// page), base64 when it is binary; body_encoding says which ("" for none).
type messageJSON struct {
	Headers      map[string]string `json:"headers"`
	Body         json.RawMessage   `json:"body"`
	BodyEncoding string            `json:"body_encoding"`
	BodySize     int64             `json:"body_size"`
	Truncated    bool              `json:"truncated"`
}

// durationMS is a duration in milliseconds, to the microsecond.
func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (e *Emulator) requestJSON(en *journal.Entry) requestJSON {
	return requestJSON{
		ID: en.ID(), At: en.At.UTC().Format(time.RFC3339Nano), Method: en.Method, Path: en.Path, Query: en.Query,
		Route: en.Route, Status: en.Status, Error: en.Error, DurationMS: durationMS(en.Duration),
		ClientID: en.ClientID, TokenKind: en.TokenKind, ExternalUserID: en.ExternalUserID, FaultID: en.FaultID,
		NearMisses: en.NearMisses, Request: e.messageJSON(en.Request), Response: e.messageJSON(en.Response),
	}
}

// messageJSON redacts one side of an exchange for showing.
func (e *Emulator) messageJSON(m journal.Message) messageJSON {
	out := messageJSON{Headers: map[string]string{}, BodySize: m.BodySize, Truncated: m.Truncated, Body: json.RawMessage("null")}
	m.Header.All(func(k, v string) { // redacted as it was recorded
		if prev, ok := out.Headers[k]; ok {
			v = prev + ", " + v
		}
		out.Headers[k] = v
	})
	body, enc := e.redactBody(m)
	out.BodyEncoding = enc
	switch enc {
	case "json":
		out.Body = body
	case "text", "base64":
		out.Body, _ = json.Marshal(string(body))
	}
	return out
}

// redactBody returns a body as it may be shown and how it is encoded:
// "json" (a redacted JSON document), "text" (a redacted form or other
// text), "base64" (binary), or "" for no body.
func (e *Emulator) redactBody(m journal.Message) ([]byte, string) {
	if len(m.Body) == 0 {
		return nil, ""
	}
	ct := ""
	if v := m.Header.Get("Content-Type"); v != "" {
		ct, _, _ = mime.ParseMediaType(v)
	}
	if !m.Truncated && (ct == "" || ct == "application/json" || strings.HasSuffix(ct, "+json")) {
		if doc, ok := e.redact.JSON(m.Body); ok {
			return doc, "json"
		}
	}
	if !utf8.Valid(m.Body) {
		if m.Truncated && utf8.Valid(trimPartialRune(m.Body)) {
			m.Body = trimPartialRune(m.Body)
		} else {
			return []byte(base64.StdEncoding.EncodeToString(m.Body)), "base64"
		}
	}
	text := string(m.Body)
	switch trimmed := strings.TrimLeft(text, " \t\r\n"); {
	case ct == "application/x-www-form-urlencoded":
		return []byte(e.redact.Form(text)), "text"
	case ct == "application/json" || strings.HasSuffix(ct, "+json") || strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "["):
		// JSON cut at the bound, or not quite JSON: redacted token by token.
		return []byte(e.redact.PartialJSON(text)), "text"
	}
	return []byte(e.redact.Text(text)), "text"
}

// trimPartialRune drops a UTF-8 sequence cut at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// parseRequestFilter reads the journal's filters from a query.
func parseRequestFilter(q url.Values) (journal.Filter, error) {
	f := journal.Filter{Method: q.Get("method"), PathPrefix: q.Get("path"), ClientID: q.Get("client_id"), ExternalUserID: q.Get("external_user_id")}
	var err error
	if f.Route, err = glob.Compile(q.Get("route")); err != nil {
		return f, apperr.ErrInvalid.WithMessage("route: %v", err)
	}
	if s := q.Get("status"); s != "" {
		if f.Status, f.StatusClass, err = journal.ParseStatus(s); err != nil {
			return f, err
		}
	}
	if s := q.Get("since"); s != "" {
		if f.Since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return f, apperr.ErrInvalid.WithMessage(`since must be an RFC 3339 time such as "2030-01-01T00:00:00Z"`)
		}
	}
	// In a fixed order, so that of several bad values the same one is named.
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"faults_only", &f.FaultsOnly}, {"unmatched", &f.UnmatchedOnly}} {
		v, err := queryBool(q, b.name)
		if err != nil {
			return f, err
		}
		if v != nil {
			*b.dst = *v
		}
	}
	return f, nil
}

// requestsPageJSON is a page of the journal: the API's {data, page_info},
// and how many entries the ring has dropped to make room.
type requestsPageJSON struct {
	pageJSON[requestJSON]
	Dropped uint64 `json:"dropped"`
	Size    int    `json:"size"`
}

func (e *Emulator) listRequests(r *http.Request, _ *call) (response, error) {
	q := r.URL.Query()
	f, err := parseRequestFilter(q)
	if err != nil {
		return response{}, err
	}
	req, err := paging.Parse(q.Get("limit"), q.Get("after"), q.Get("before"))
	if err != nil {
		return response{}, err
	}
	page, err := e.journal.Page(f, req)
	if err != nil {
		return response{}, err
	}
	st := e.journal.Stats()
	out := requestsPageJSON{pageJSON: toPageJSON(page, func(en journal.Entry) requestJSON { return e.requestJSON(&en) }),
		Dropped: st.Dropped, Size: e.journal.Size()}
	return ok(out)
}

func (e *Emulator) countRequests(r *http.Request, _ *call) (response, error) {
	f, err := parseRequestFilter(r.URL.Query())
	if err != nil {
		return response{}, err
	}
	return ok(map[string]int{"count": e.journal.Count(f)})
}

func (e *Emulator) clearRequests(*http.Request, *call) (response, error) {
	e.journal.Clear()
	return noContent()
}

// recorded is a journal entry as the Go API shows it.
func (e *Emulator) recorded(en *journal.Entry) RecordedRequest {
	return RecordedRequest{
		ID: en.ID(), At: en.At, Method: en.Method, Path: en.Path, Query: en.Query, Route: en.Route,
		Status: en.Status, Error: en.Error, Duration: en.Duration, ClientID: en.ClientID, TokenKind: en.TokenKind,
		NearMisses: en.NearMisses, ExternalUserID: en.ExternalUserID, FaultID: en.FaultID,
		Request: e.recordedMessage(en.Request), Response: e.recordedMessage(en.Response),
	}
}

func (e *Emulator) recordedMessage(m journal.Message) RecordedMessage {
	out := RecordedMessage{Header: http.Header(m.Header.Map()), BodySize: m.BodySize, Truncated: m.Truncated}
	body, enc := e.redactBody(m)
	if enc == "base64" {
		body = m.Body // the Go API holds bytes as they are
	}
	out.Body, out.BodyEncoding = body, enc
	return out
}
