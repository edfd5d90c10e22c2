package faults

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func ptr[T any](v T) *T { return &v }

// answer is the smallest valid action, for tests about other fields.
var answer = Action{Status: 500}

func TestNormalizeRefuses(t *testing.T) {
	manyHeaders := make(map[string]string, MaxHeaders+1)
	for i := range MaxHeaders + 1 {
		manyHeaders["X-H"+strings.Repeat("a", i)] = "v"
	}
	bigBody := json.RawMessage(`"` + strings.Repeat("a", MaxBody-1) + `"`) // MaxBody+1 bytes
	for _, tc := range []struct {
		name string
		spec Spec
		want string // the message names the field
	}{
		{"route glob", Spec{Match: Match{Route: "a||b"}, Action: answer}, "match.route:"},
		{"path glob", Spec{Match: Match{Path: "/v1/***"}, Action: answer}, "match.path:"},
		{"method glob", Spec{Match: Match{Method: "GET|"}, Action: answer}, "match.method:"},
		{"method not a token", Spec{Match: Match{Method: "GET|DE LETE"}, Action: answer}, `match.method: "DE LETE" is not an HTTP method`},
		{"method with a slash", Spec{Match: Match{Method: "GET/"}, Action: answer}, "match.method:"},
		{"status 199", Spec{Action: Action{Status: 199}}, "action.status must be 200..599, not 199"},
		{"status 600", Spec{Action: Action{Status: 600}}, "action.status must be 200..599, not 600"},
		{"negative status", Spec{Action: Action{Status: -1}}, "action.status must be 200..599"},
		{"unknown preset", Spec{Action: Action{Preset: "slow"}}, `action.preset must be one of throttled, token_throttled, unavailable, internal_error, gateway_timeout, not "slow"`},
		{"preset case matters", Spec{Action: Action{Preset: "Throttled"}}, "action.preset"},
		{"nothing to do", Spec{}, "action must do something"},
		{"nothing to do but headers", Spec{Action: Action{Headers: map[string]string{"X-A": "b"}}}, "action.status is required with action.headers"},
		{"nothing to do but a body", Spec{Action: Action{Body: json.RawMessage(`{}`)}}, "action.status is required with action.body"},
		{"a delay with a body", Spec{Action: Action{DelayMS: 10, Body: json.RawMessage(`{}`)}}, "action.status is required with action.body"},
		{"nothing to do but retry-after", Spec{Action: Action{RetryAfterSeconds: 5}}, "action.status is required with action.retry_after_seconds"},
		{"drop with status", Spec{Action: Action{Drop: true, Status: 500}}, "action.drop cannot go with action.status"},
		{"drop with preset", Spec{Action: Action{Drop: true, Preset: PresetThrottled}}, "action.drop cannot go with action.preset"},
		{"drop with body", Spec{Action: Action{Drop: true, Body: json.RawMessage(`"x"`)}}, "action.drop cannot go with action.body"},
		{"drop with headers", Spec{Action: Action{Drop: true, Headers: map[string]string{"X-A": "b"}}}, "action.drop cannot go with action.headers"},
		{"drop with retry-after", Spec{Action: Action{Drop: true, RetryAfterSeconds: 1}}, "action.drop cannot go with action.retry_after_seconds"},
		{"body too large", Spec{Action: Action{Status: 500, Body: bigBody}}, "action.body is larger than 64 KiB"},
		{"body not JSON", Spec{Action: Action{Status: 500, Body: json.RawMessage(`{"a":`)}}, "action.body must be one JSON value"},
		{"body two JSON values", Spec{Action: Action{Status: 500, Body: json.RawMessage(`1 2`)}}, "action.body must be one JSON value"},
		{"body with 204", Spec{Action: Action{Status: 204, Body: json.RawMessage(`{}`)}}, "action.body is not allowed with action.status 204"},
		{"body with 304", Spec{Action: Action{Status: 304, Body: json.RawMessage(`"x"`)}}, "action.body is not allowed with action.status 304"},
		{"header name with a space", Spec{Action: Action{Status: 500, Headers: map[string]string{"X A": "b"}}}, `action.headers: "X A" is not a valid header name`},
		{"header name with a colon", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A:": "b"}}}, "is not a valid header name"},
		{"empty header name", Spec{Action: Action{Status: 500, Headers: map[string]string{"": "b"}}}, "is not a valid header name"},
		{"header value with CR", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": "a\rb"}}}, "action.headers: the value of X-A contains a control character"},
		{"header value with LF", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": "a\nSet-Cookie: x"}}}, "the value of X-A contains a control character"},
		{"header value with NUL", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": "a\x00"}}}, "the value of X-A contains a control character"},
		{"header value too long", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": strings.Repeat("a", MaxHeaderValue+1)}}}, "the value of X-A is longer than 8192 bytes"},
		{"header twice", Spec{Action: Action{Status: 500, Headers: map[string]string{"x-a": "1", "X-A": "2"}}}, "action.headers names X-A twice"},
		{"too many headers", Spec{Action: Action{Status: 500, Headers: manyHeaders}}, "action.headers has 101 headers; at most 100"},
		{"content-length", Spec{Action: Action{Status: 500, Headers: map[string]string{"content-length": "5"}}}, "action.headers: Content-Length is set by the server"},
		{"transfer-encoding", Spec{Action: Action{Status: 500, Headers: map[string]string{"Transfer-Encoding": "chunked"}}}, "Transfer-Encoding is set by the server"},
		{"negative delay", Spec{Action: Action{DelayMS: -1}}, "action.delay_ms must be 0..300000, not -1"},
		{"delay too long", Spec{Action: Action{DelayMS: MaxDelayMS + 1}}, "action.delay_ms must be 0..300000, not 300001"},
		{"negative retry-after", Spec{Action: Action{Preset: PresetThrottled, RetryAfterSeconds: -1}}, "action.retry_after_seconds must be 0..86400, not -1"},
		{"retry-after too long", Spec{Action: Action{Preset: PresetThrottled, RetryAfterSeconds: MaxRetryAfterSeconds + 1}}, "action.retry_after_seconds must be 0..86400"},
		{"negative times", Spec{Action: answer, Times: ptr(-1)}, "times must be >= 0"},
		{"negative after", Spec{Action: answer, After: -1}, "after must be >= 0, not -1"},
		{"probability above 1", Spec{Action: answer, Probability: ptr(1.0000001)}, "probability must be 0..1, not 1.0000001"},
		{"negative probability", Spec{Action: answer, Probability: ptr(-0.1)}, "probability must be 0..1"},
		{"NaN probability", Spec{Action: answer, Probability: ptr(math.NaN())}, "probability must be 0..1, not NaN"},
		{"infinite probability", Spec{Action: answer, Probability: ptr(math.Inf(1))}, "probability must be 0..1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := normalize(tc.spec)
			require.Error(t, err)
			assert.ErrorIs(t, err, apperr.ErrInvalid)
			assert.Contains(t, apperr.As(err).Message, tc.want)
		})
	}
}

func TestNormalizeAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
	}{
		{"status 200", Spec{Action: Action{Status: 200}}},
		{"status 599", Spec{Action: Action{Status: 599}}},
		{"a preset alone", Spec{Action: Action{Preset: PresetThrottled}}},
		{"a preset with a status", Spec{Action: Action{Preset: PresetUnavailable, Status: 502}}},
		{"a delay alone", Spec{Action: Action{DelayMS: 1}}},
		{"the longest delay", Spec{Action: Action{DelayMS: MaxDelayMS}}},
		{"a drop alone", Spec{Action: Action{Drop: true}}},
		{"a drop after a delay", Spec{Action: Action{Drop: true, DelayMS: 100}}},
		{"a status with a delay", Spec{Action: Action{Status: 500, DelayMS: 100}}},
		{"a status with retry-after", Spec{Action: Action{Status: 503, RetryAfterSeconds: MaxRetryAfterSeconds}}},
		{"204 without a body", Spec{Action: Action{Status: 204, Headers: map[string]string{"X-A": "b"}}}},
		{"204 with a null body", Spec{Action: Action{Status: 204, Body: json.RawMessage(`null`)}}},
		{"the largest body", Spec{Action: Action{Status: 500, Body: json.RawMessage(`"` + strings.Repeat("a", MaxBody-2) + `"`)}}},
		{"a header value with a tab", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": "a\tb"}}}},
		{"an empty header value", Spec{Action: Action{Status: 500, Headers: map[string]string{"X-A": ""}}}},
		{"method globs", Spec{Match: Match{Method: "get|P*|DEL?TE"}, Action: answer}},
		{"every match field", Spec{Match: Match{Route: "components.*|actions.*", Method: "POST", Path: "/v1/connect/**", ClientID: "oc_1", ExternalUserID: "u 1"}, Action: answer}},
		{"times 0", Spec{Action: answer, Times: ptr(0)}},
		{"probability 0", Spec{Action: answer, Probability: ptr(0.0)}},
		{"probability 1", Spec{Action: answer, Probability: ptr(1.0)}},
		{"a large after", Spec{Action: answer, After: math.MaxInt32}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := normalize(tc.spec)
			require.NoError(t, err)
		})
	}
	for _, p := range Presets() {
		_, _, err := normalize(Spec{Action: Action{Preset: p}})
		require.NoError(t, err, p)
	}
}

func TestNormalizeFillsInAndCopies(t *testing.T) {
	in := Spec{
		Match: Match{Method: "get"},
		Action: Action{
			Status:  500,
			Headers: map[string]string{"x-request-id": "r1", "retry-after": "3"},
			Body:    json.RawMessage("{ \"a\" : [1, 2] }"),
		},
		Seed: ptr(uint64(7)),
	}
	out, m, err := normalize(in)
	require.NoError(t, err)
	assert.Equal(t, 1, *out.Times, "times defaults to 1")
	assert.Equal(t, 1.0, *out.Probability, "probability defaults to 1")
	assert.Equal(t, "get", out.Match.Method, "the match is kept as written")
	assert.True(t, m.matches(Request{Method: "GET"}), "but matches any case")
	assert.Equal(t, map[string]string{"X-Request-Id": "r1", "Retry-After": "3"}, out.Action.Headers, "header names are canonical")
	assert.JSONEq(t, `{"a":[1,2]}`, string(out.Action.Body))
	assert.Equal(t, `{"a":[1,2]}`, string(out.Action.Body), "the body is compact")

	in.Action.Headers["X-Later"] = "x"
	*in.Seed = 8
	assert.NotContains(t, out.Action.Headers, "X-Later", "the plan keeps its own headers")
	assert.Equal(t, uint64(7), *out.Seed, "the plan keeps its own seed")

	out, _, err = normalize(Spec{Action: Action{Status: 500, Body: json.RawMessage(" null "), Headers: map[string]string{}}})
	require.NoError(t, err)
	assert.Nil(t, out.Action.Body, "a null body is no body")
	assert.Nil(t, out.Action.Headers, "no headers is nil")
	assert.Nil(t, out.Seed, "no seed stays nil: derived")
}

func TestMatcher(t *testing.T) {
	req := Request{Route: "accounts.list", Method: "GET", Path: "/v1/connect/proj_1/accounts", ClientID: "oc_1", ExternalUserID: "u1"}
	for _, tc := range []struct {
		match Match
		want  bool
	}{
		{Match{}, true},
		{Match{Route: "accounts.*"}, true},
		{Match{Route: "accounts"}, false},
		{Match{Route: "components.*|accounts.*"}, true},
		{Match{Route: "ACCOUNTS.*"}, false},
		{Match{Method: "get"}, true},
		{Match{Method: "POST|GET"}, true},
		{Match{Method: "POST"}, false},
		{Match{Method: "G?T"}, true},
		{Match{Path: "/v1/connect/*/accounts"}, true},
		{Match{Path: "/v1/connect/**"}, true},
		{Match{Path: "/v1/connect/*"}, false},
		{Match{ClientID: "oc_1"}, true},
		{Match{ClientID: "oc_2"}, false},
		{Match{ClientID: "OC_1"}, false},
		{Match{ExternalUserID: "u1"}, true},
		{Match{ExternalUserID: "u"}, false},
		{Match{Route: "accounts.list", Method: "GET", Path: "/v1/**", ClientID: "oc_1", ExternalUserID: "u1"}, true},
		{Match{Route: "accounts.list", Method: "GET", Path: "/v1/**", ClientID: "oc_1", ExternalUserID: "u2"}, false},
	} {
		m, err := compileMatch(tc.match)
		require.NoError(t, err)
		assert.Equal(t, tc.want, m.matches(req), "%+v", tc.match)
	}
	m, err := compileMatch(Match{ExternalUserID: "u1"})
	require.NoError(t, err)
	assert.False(t, m.matches(Request{}), "an exact field does not match an empty one")
}
