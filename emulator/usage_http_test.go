package emulator_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

func usagePath(start, end string) string {
	return "/v1/connect/usage?start_ts=" + start + "&end_ts=" + end
}

func TestUsageWindowValidation(t *testing.T) {
	srv := testutil.NewServer(t)
	tok := srv.Token("connect:usage:read")
	tests := []struct {
		name       string
		start, end string
		status     int
	}{
		{"one second", "100", "101", 200},
		{"exactly 90 days", "0", "7776000", 200},
		{"90 days and a second", "0", "7776001", 400},
		{"start equals end", "100", "100", 400},
		{"end before start", "101", "100", 400},
		{"missing start", "", "100", 400},
		{"missing end", "100", "", 400},
		{"negative", "-5", "100", 400},
		{"fraction", "1.5", "100", 400},
		{"milliseconds", "1893456000000", "1893456000001", 400},
		{"not a number", "today", "100", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.Do("GET", usagePath(tc.start, tc.end), tok, nil)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			if tc.status == 400 {
				assert.Equal(t, "invalid_request", r.JSON(t)["error"])
				assert.NotEmpty(t, r.JSON(t)["error_description"])
			}
		})
	}
	r := srv.Do("GET", usagePath("100", "101"), srv.ConnectToken("alice"), nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status, "usage takes OAuth tokens only")
}

func TestUsageRecordsAndBoundaries(t *testing.T) {
	f := newProxyFixture(t)
	srv := f.srv
	var tok string
	day0 := srv.Now().Unix() // 2030-01-01T00:00:00Z, a UTC midnight

	call := func() {
		t.Helper()
		f.oauth = srv.Token("connect:proxy") // tokens last an hour; the clock moves more
		r := f.do("GET", f.path(f.up.URL+"/x", "alice", f.slack), nil)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	}
	call()                 // at day0
	srv.Advance(time.Hour) // 01:00
	call()                 // at day0+3600
	srv.Advance(23 * time.Hour)
	call() // at day0+86400, the next day
	tok = srv.Token("connect:usage:read")

	r := srv.Do("GET", usagePath(itoa(day0), itoa(day0+2*86400)), tok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.JSONEq(t, `{"data":[
		{"credits_used":2,"action_run_credits_used":0,"proxy_credits_used":2,"source_emit_credits_used":0,"usage_start_ts":`+itoa(day0)+`,"usage_end_ts":`+itoa(day0+86400)+`},
		{"credits_used":1,"action_run_credits_used":0,"proxy_credits_used":1,"source_emit_credits_used":0,"usage_start_ts":`+itoa(day0+86400)+`,"usage_end_ts":`+itoa(day0+2*86400)+`}
	]}`, string(r.Body))

	// [start, end): a call at exactly end_ts is excluded, one at start_ts included.
	r = srv.Do("GET", usagePath(itoa(day0+1), itoa(day0+3600)), tok, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.EqualValues(t, 0, r.JSON(t)["data"].([]any)[0].(map[string]any)["credits_used"])
	r = srv.Do("GET", usagePath(itoa(day0+3600), itoa(day0+3601)), tok, nil)
	assert.EqualValues(t, 1, r.JSON(t)["data"].([]any)[0].(map[string]any)["credits_used"])

	r = srv.Do("GET", usagePath(itoa(day0), itoa(day0+86400)), srv.Token("connect:*"), nil)
	assert.EqualValues(t, 2, r.JSON(t)["data"].([]any)[0].(map[string]any)["credits_used"], "connect:* reads usage too")

	// A client limited to another project sees none of it.
	r = srv.Do("POST", "/v1/connect/projects", srv.Token("connect:projects:write"), map[string]any{"name": "Quiet"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	quiet := r.JSON(t)["id"].(string)
	r = srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "limited", "project_ids": []string{quiet}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	limited := r.JSON(t)
	ltok := srv.TokenFor(emulator.ClientCredentials{ClientID: limited["client_id"].(string), ClientSecret: limited["client_secret"].(string)})
	r = srv.Do("GET", usagePath(itoa(day0), itoa(day0+86400)), ltok, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.EqualValues(t, 0, r.JSON(t)["data"].([]any)[0].(map[string]any)["credits_used"])
}
