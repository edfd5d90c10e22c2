package conformance

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextWindowStart(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return tm
	}
	unix := func(s string) int64 { return at(s).Unix() }
	for _, tc := range []struct {
		now    string
		window int64
		want   string
	}{
		{"2030-01-01T00:00:00Z", 60, "2030-01-01T00:00:00Z"}, // at a start already
		{"2030-01-01T00:00:00.000000001Z", 60, "2030-01-01T00:01:00Z"},
		{"2030-01-01T00:00:59.999Z", 60, "2030-01-01T00:01:00Z"},
		{"2030-01-01T00:01:00Z", 60, "2030-01-01T00:01:00Z"},
		{"2030-01-01T00:04:59Z", 300, "2030-01-01T00:05:00Z"},
		{"2030-01-01T13:00:00Z", 86400, "2030-01-02T00:00:00Z"},
		{"1969-12-31T23:59:30Z", 60, "1970-01-01T00:00:00Z"}, // before the epoch too
	} {
		assert.Equal(t, unix(tc.want), nextWindowStart(at(tc.now), tc.window), "%s, %d s", tc.now, tc.window)
	}
}

func TestRateLimitsRestoreBody(t *testing.T) {
	answer := func(doc string) *exchange {
		var v any
		require.NoError(t, json.Unmarshal([]byte(doc), &v))
		return &exchange{method: "GET", url: "/_emulator/rate-limits", status: 200, decoded: v}
	}
	got, err := rateLimitsRestoreBody(answer(`{"profile":"pipedream","rules":[{"name":"connect-tokens","key":"external_user","limit":100,"window_seconds":60}],"counters":[]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"profile":"pipedream"}`, got, "a profile is put back by name")
	got, err = rateLimitsRestoreBody(answer(`{"profile":"off","rules":[],"counters":[]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"profile":"off"}`, got)
	got, err = rateLimitsRestoreBody(answer(`{"profile":"custom","rules":[{"name":"rule-1","route":"accounts.*","key":"project","limit":7,"window_seconds":90}],"counters":[{"rule":"rule-1"}]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"rules":[{"name":"rule-1","route":"accounts.*","key":"project","limit":7,"window_seconds":90}]}`, got, "rules of one's own are put back as they are, without the counters")
	_, err = rateLimitsRestoreBody(answer(`{"rules":[]}`))
	assert.ErrorContains(t, err, "names no profile")
}
