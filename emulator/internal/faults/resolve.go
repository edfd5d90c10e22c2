package faults

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Content types of a Response's body.
const (
	ContentTypeJSON = "application/json"          // any JSON body but a string
	ContentTypeText = "text/plain; charset=utf-8" // a JSON string's text
)

// preset is a canned answer's status and body; its headers depend on the
// action and the clock, so presetHeaders makes them.
type preset struct {
	status int
	body   string // JSON; "" for none
}

var presets = map[string]preset{
	PresetThrottled: {429, `{"error":"Throttled"}`},
	// Pipedream's load balancer throttles the token endpoint before the
	// API sees the request, and answers with nothing but a status.
	PresetTokenThrottled: {429, ""},
	PresetUnavailable:    {503, `{"error":"Service Unavailable"}`},
	PresetInternalError:  {500, `{"error":"Internal Server Error"}`},
	PresetGatewayTimeout: {504, `{"error":"Gateway Timeout"}`},
}

// throttledLimit is the X-RateLimit-Limit the throttled preset reports.
const throttledLimit = "100"

// Resolve builds the answer of a fault that fired, from its preset (if
// any) overridden by its own status, body and headers. now is the
// emulator's clock, for X-RateLimit-Reset. f is expected to come from a
// Plan, which has checked and normalised its spec.
func (f Fault) Resolve(now time.Time) Response {
	a := f.Spec.Action
	r := Response{Delay: time.Duration(a.DelayMS) * time.Millisecond}
	switch {
	case a.Drop:
		r.Drop = true
		return r
	case a.Status == 0 && a.Preset == "":
		r.PassThrough = true
		return r
	}
	p := presets[a.Preset]
	r.Status = p.status
	if a.Status != 0 {
		r.Status = a.Status
	}
	headers := presetHeaders(a, now)
	for name, value := range a.Headers {
		headers[name] = value
	}
	if len(headers) > 0 {
		r.Headers = headers
	}
	body := a.Body
	if len(body) == 0 && p.body != "" {
		body = json.RawMessage(p.body)
	}
	if bodyAllowed(r.Status) {
		r.Body, r.ContentType = encodeBody(body)
	}
	if ct, ok := headers["Content-Type"]; ok && r.Body != nil {
		r.ContentType = ct
	}
	return r
}

// presetHeaders returns the headers of the action's preset and
// Retry-After, in a map the caller may add to.
func presetHeaders(a Action, now time.Time) map[string]string {
	h := make(map[string]string, 4+len(a.Headers))
	switch a.Preset {
	case PresetThrottled:
		n := a.RetryAfterSeconds
		if n == 0 {
			n = 1
		}
		h["Retry-After"] = strconv.Itoa(n)
		h["X-Ratelimit-Limit"] = throttledLimit
		h["X-Ratelimit-Remaining"] = "0"
		h["X-Ratelimit-Reset"] = strconv.FormatInt(now.Add(time.Duration(n)*time.Second).Unix(), 10)
		return h
	case PresetTokenThrottled:
		h["Server"] = "awselb/2.0"
	}
	if a.RetryAfterSeconds > 0 {
		h["Retry-After"] = strconv.Itoa(a.RetryAfterSeconds)
	}
	return h
}

// encodeBody turns a JSON body into the bytes to write: a JSON string's
// text as plain text, any other value compactly as JSON. An empty body,
// or an empty string, is no body.
func encodeBody(raw json.RawMessage) ([]byte, string) {
	if len(raw) == 0 {
		return nil, ""
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			if s == "" {
				return nil, ""
			}
			return []byte(s), ContentTypeText
		}
	}
	// Compacting also copies, so the Response never shares the Fault's
	// buffer.
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return bytes.Clone(raw), ContentTypeJSON
	}
	return buf.Bytes(), ContentTypeJSON
}
