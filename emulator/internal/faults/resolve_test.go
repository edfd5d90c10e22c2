package faults

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resolve adds a spec to a plan, fires it and resolves it, as the HTTP
// layer will.
func resolve(t *testing.T, a Action, now time.Time) Response {
	t.Helper()
	p := NewPlan(1)
	mustAdd(t, p, Spec{Action: a})
	f, ok := p.Pick(listReq)
	require.True(t, ok)
	return f.Resolve(now)
}

func TestResolve(t *testing.T) {
	now := start.Add(500 * time.Millisecond) // X-RateLimit-Reset is whole seconds
	reset := func(n int) string { return strconv.FormatInt(start.Unix()+int64(n), 10) }
	for _, tc := range []struct {
		name   string
		action Action
		want   Response
	}{
		{
			name:   "throttled",
			action: Action{Preset: PresetThrottled},
			want: Response{
				Status: 429, Body: []byte(`{"error":"Throttled"}`), ContentType: ContentTypeJSON,
				Headers: map[string]string{"Retry-After": "1", "X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset(1)},
			},
		},
		{
			name:   "throttled with retry-after",
			action: Action{Preset: PresetThrottled, RetryAfterSeconds: 30},
			want: Response{
				Status: 429, Body: []byte(`{"error":"Throttled"}`), ContentType: ContentTypeJSON,
				Headers: map[string]string{"Retry-After": "30", "X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset(30)},
			},
		},
		{
			name:   "token_throttled has no body and no retry-after",
			action: Action{Preset: PresetTokenThrottled},
			want:   Response{Status: 429, Headers: map[string]string{"Server": "awselb/2.0"}},
		},
		{
			name:   "token_throttled with retry-after",
			action: Action{Preset: PresetTokenThrottled, RetryAfterSeconds: 2},
			want:   Response{Status: 429, Headers: map[string]string{"Server": "awselb/2.0", "Retry-After": "2"}},
		},
		{
			name:   "unavailable",
			action: Action{Preset: PresetUnavailable},
			want:   Response{Status: 503, Body: []byte(`{"error":"Service Unavailable"}`), ContentType: ContentTypeJSON},
		},
		{
			name:   "unavailable with retry-after",
			action: Action{Preset: PresetUnavailable, RetryAfterSeconds: 120},
			want:   Response{Status: 503, Body: []byte(`{"error":"Service Unavailable"}`), ContentType: ContentTypeJSON, Headers: map[string]string{"Retry-After": "120"}},
		},
		{
			name:   "internal_error",
			action: Action{Preset: PresetInternalError},
			want:   Response{Status: 500, Body: []byte(`{"error":"Internal Server Error"}`), ContentType: ContentTypeJSON},
		},
		{
			name:   "gateway_timeout after a delay",
			action: Action{Preset: PresetGatewayTimeout, DelayMS: 1500},
			want:   Response{Status: 504, Body: []byte(`{"error":"Gateway Timeout"}`), ContentType: ContentTypeJSON, Delay: 1500 * time.Millisecond},
		},
		{
			name:   "a status overrides the preset's, the body stays",
			action: Action{Preset: PresetUnavailable, Status: 502},
			want:   Response{Status: 502, Body: []byte(`{"error":"Service Unavailable"}`), ContentType: ContentTypeJSON},
		},
		{
			name:   "a body overrides the preset's",
			action: Action{Preset: PresetThrottled, Body: json.RawMessage(`{"error": "slow down", "code": 42}`)},
			want: Response{
				Status: 429, Body: []byte(`{"error":"slow down","code":42}`), ContentType: ContentTypeJSON,
				Headers: map[string]string{"Retry-After": "1", "X-Ratelimit-Limit": "100", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset(1)},
			},
		},
		{
			name:   "headers override the preset's, whatever their case",
			action: Action{Preset: PresetThrottled, Headers: map[string]string{"retry-after": "9", "x-ratelimit-limit": "5", "X-Extra": "e"}},
			want: Response{
				Status: 429, Body: []byte(`{"error":"Throttled"}`), ContentType: ContentTypeJSON,
				Headers: map[string]string{"Retry-After": "9", "X-Ratelimit-Limit": "5", "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset(1), "X-Extra": "e"},
			},
		},
		{
			name:   "a header overrides the load balancer's Server",
			action: Action{Preset: PresetTokenThrottled, Headers: map[string]string{"Server": "nginx"}},
			want:   Response{Status: 429, Headers: map[string]string{"Server": "nginx"}},
		},
		{
			name:   "a status alone has no body",
			action: Action{Status: 418},
			want:   Response{Status: 418},
		},
		{
			name:   "a status with a JSON body",
			action: Action{Status: 400, Body: json.RawMessage(`[1, 2]`)},
			want:   Response{Status: 400, Body: []byte(`[1,2]`), ContentType: ContentTypeJSON},
		},
		{
			name:   "a JSON string is written as its text",
			action: Action{Status: 502, Body: json.RawMessage(`"<html>bad gateway</html>\n"`)},
			want:   Response{Status: 502, Body: []byte("<html>bad gateway</html>\n"), ContentType: ContentTypeText},
		},
		{
			name:   "an empty JSON string is no body",
			action: Action{Status: 502, Body: json.RawMessage(`""`)},
			want:   Response{Status: 502},
		},
		{
			name:   "other JSON scalars are JSON",
			action: Action{Status: 500, Body: json.RawMessage(`false`)},
			want:   Response{Status: 500, Body: []byte(`false`), ContentType: ContentTypeJSON},
		},
		{
			name:   "a Content-Type header wins",
			action: Action{Status: 502, Body: json.RawMessage(`"<html></html>"`), Headers: map[string]string{"content-type": "text/html"}},
			want:   Response{Status: 502, Body: []byte("<html></html>"), ContentType: "text/html", Headers: map[string]string{"Content-Type": "text/html"}},
		},
		{
			name:   "a Content-Type header wins over a preset's",
			action: Action{Preset: PresetInternalError, Headers: map[string]string{"Content-Type": "application/problem+json"}},
			want:   Response{Status: 500, Body: []byte(`{"error":"Internal Server Error"}`), ContentType: "application/problem+json", Headers: map[string]string{"Content-Type": "application/problem+json"}},
		},
		{
			name:   "a Content-Type header without a body is only a header",
			action: Action{Status: 500, Headers: map[string]string{"Content-Type": "text/html"}},
			want:   Response{Status: 500, Headers: map[string]string{"Content-Type": "text/html"}},
		},
		{
			name:   "a status without a body drops the preset's",
			action: Action{Preset: PresetUnavailable, Status: 204},
			want:   Response{Status: 204},
		},
		{
			name:   "a status with retry-after",
			action: Action{Status: 503, RetryAfterSeconds: 5},
			want:   Response{Status: 503, Headers: map[string]string{"Retry-After": "5"}},
		},
		{
			name:   "a delay alone passes the real answer through",
			action: Action{DelayMS: 250},
			want:   Response{Delay: 250 * time.Millisecond, PassThrough: true},
		},
		{
			name:   "a drop",
			action: Action{Drop: true},
			want:   Response{Drop: true},
		},
		{
			name:   "a drop after a delay",
			action: Action{Drop: true, DelayMS: MaxDelayMS},
			want:   Response{Drop: true, Delay: 5 * time.Minute},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, resolve(t, tc.action, now))
		})
	}
}

func TestResolveCopies(t *testing.T) {
	p := NewPlan(1)
	mustAdd(t, p, Spec{Action: Action{Status: 500, Body: json.RawMessage(`{"a":1}`), Headers: map[string]string{"X-A": "1"}}, Times: ptr(0)})
	f, ok := p.Pick(listReq)
	require.True(t, ok)
	r := f.Resolve(start)
	r.Body[2] = 'b'
	r.Headers["X-A"] = "2"
	assert.Equal(t, `{"a":1}`, string(f.Spec.Action.Body), "the response has its own body")
	assert.Equal(t, "1", f.Spec.Action.Headers["X-A"], "and its own headers")
	assert.Equal(t, r.Status, f.Resolve(start).Status)
	assert.Equal(t, `{"a":1}`, string(f.Resolve(start).Body))
}
