// Package faults is the emulator's fault plan: the failures a test asks
// for through POST /_emulator/faults (a 429 on the third token request, a
// dropped connection, a slow answer) and which requests they hit. It
// decides which fault fires and what it answers; the HTTP layer fills in a
// Request and writes the Response. It knows nothing of HTTP.
//
// Everything is reproducible: ids are sequence numbers and every
// probabilistic fault rolls its own seeded generator, so the same plan
// seed, the same specs and the same requests fire the same faults on
// every run.
package faults

import (
	"encoding/json"
	"time"
)

// Caps on what a plan holds, so that a runaway or hostile control-plane
// client costs little memory and can stall a request only so long.
const (
	// MaxFaults is how many faults a plan lists at once, exhausted ones
	// included.
	MaxFaults = 1000
	// LimitFaults names MaxFaults in limit_exceeded errors.
	LimitFaults = "faults"
	// MaxBody is the largest Action.Body, in bytes as sent.
	MaxBody = 64 << 10
	// MaxHeaders is how many headers an Action may set.
	MaxHeaders = 100
	// MaxHeaderValue is the longest header value an Action may set, in bytes.
	MaxHeaderValue = 8 << 10
	// MaxDelayMS is the longest Action.DelayMS: five minutes, longer than
	// any client timeout worth testing.
	MaxDelayMS = 300_000
	// MaxRetryAfterSeconds is the largest Action.RetryAfterSeconds: a day.
	MaxRetryAfterSeconds = 86_400
)

// The presets an Action may name: the failures Pipedream's API and its
// load balancer are seen to answer with.
const (
	// PresetThrottled is the API's rate limit: 429 {"error":"Throttled"}
	// with Retry-After and X-RateLimit-* headers.
	PresetThrottled = "throttled"
	// PresetTokenThrottled is the load balancer's rate limit in front of
	// the token endpoint: 429 with an empty body and Server: awselb/2.0.
	PresetTokenThrottled = "token_throttled"
	// PresetUnavailable is 503 {"error":"Service Unavailable"}.
	PresetUnavailable = "unavailable"
	// PresetInternalError is 500 {"error":"Internal Server Error"}.
	PresetInternalError = "internal_error"
	// PresetGatewayTimeout is 504 {"error":"Gateway Timeout"}.
	PresetGatewayTimeout = "gateway_timeout"
)

// Presets returns the preset names in the order documentation lists them.
func Presets() []string {
	return []string{PresetThrottled, PresetTokenThrottled, PresetUnavailable, PresetInternalError, PresetGatewayTimeout}
}

// Request is what a fault can match on; the HTTP layer fills it.
type Request struct {
	// Route is the name of the route the request was routed to, e.g.
	// "projects.list".
	Route string
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is the URL path, without the query.
	Path string
	// ClientID is the OAuth client the request authenticated as, if any.
	ClientID string
	// ExternalUserID is the Connect external user the request acts for, if
	// any.
	ExternalUserID string
}

// Match selects requests. Every field empty matches all; a request must
// match every field that is set.
type Match struct {
	// Route is a glob over route names: "projects.list", "accounts.*",
	// "components.*|actions.*".
	Route string
	// Method is a case-insensitive glob over methods: "GET", "GET|DELETE".
	// Each alternative must be an HTTP token (with * and ? as wildcards).
	Method string
	// Path is a glob over the URL path: "/v1/connect/*/users",
	// "/v1/connect/**".
	Path string
	// ClientID is an exact OAuth client id.
	ClientID string
	// ExternalUserID is an exact external user id.
	ExternalUserID string
}

// Action is what a firing fault does: answer with a status (its own, or a
// preset's), drop the connection, or only delay the real answer.
type Action struct {
	// Status is the answer's status, 200..599. Zero takes the preset's; it
	// is required unless the action is a drop or only a delay.
	Status int
	// Headers are added to the preset's, a header named here replacing the
	// preset's of the same name (names are case-insensitive and kept in
	// canonical form). Content-Length and Transfer-Encoding belong to the
	// server and are refused.
	Headers map[string]string
	// Body is a JSON value. A JSON string is written as its text, as
	// text/plain; anything else is written compactly, as application/json.
	// JSON null is the same as no body.
	Body json.RawMessage
	// Preset names a canned failure: one of Presets().
	Preset string
	// RetryAfterSeconds is the Retry-After value. The throttled preset sends
	// 1 when it is zero; any other answer sends Retry-After only when it is
	// set.
	RetryAfterSeconds int
	// DelayMS is a wall-clock delay before the answer, 0..MaxDelayMS. Alone,
	// it delays the real answer.
	DelayMS int
	// Drop closes the connection with no answer, after DelayMS. It cannot go
	// with a status, preset, body, headers or Retry-After.
	Drop bool
}

// Spec is a fault to add to a plan.
type Spec struct {
	// Match selects the requests the fault applies to.
	Match Match
	// Action is what the fault does when it fires.
	Action Action
	// Times is how many times the fault fires: nil means once, 0 until it
	// is deleted.
	Times *int
	// After lets this many matching requests through before the fault may
	// fire ("fail the third call": After 2).
	After int
	// Probability is the chance, 0..1, that a matching request past After
	// fires the fault; nil means 1.
	Probability *float64
	// Seed seeds the fault's own generator for Probability; nil derives it
	// from the plan's seed and the fault's sequence number. A fixed Seed
	// makes the fault roll the same whatever else the plan holds.
	Seed *uint64
}

// Fault is a fault of a plan, with what it has seen.
type Fault struct {
	// ID is "flt_" and a decimal sequence number, so that a run's ids are
	// the same every time.
	ID string
	// Spec is the spec as normalised: Times and Probability filled in,
	// header names canonical, Body compact.
	Spec Spec
	// Hits is how many times the fault fired.
	Hits int
	// Matched is how many matching requests the fault saw while it could
	// still fire, those let through by After or by the dice included.
	Matched int
	// Remaining is how many more times the fault may fire: nil when it is
	// unlimited (Times 0), else Times - Hits.
	Remaining *int
	// CreatedAt is when the fault was added, on the emulator's clock.
	CreatedAt time.Time
}

// Response is a resolved action, ready for the HTTP layer to write.
type Response struct {
	// Status is the answer's status; zero for a drop or a pass-through.
	Status int
	// Headers are the headers to set, in canonical form; nil when none.
	Headers map[string]string
	// Body is the answer's body; nil when empty.
	Body []byte
	// ContentType is the Content-Type of Body; "" when there is no body.
	ContentType string
	// Delay is how long to wait before answering, dropping or passing on.
	Delay time.Duration
	// Drop says to close the connection with no answer.
	Drop bool
	// PassThrough says the action is only a delay: serve the real answer
	// after Delay.
	PassThrough bool
}
