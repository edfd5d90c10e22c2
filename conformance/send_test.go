package conformance

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSendRecordsOnlyTheScenarioRequests: a side request leaves the last
// response, the bearer and the queued headers as they were; the
// scenario's own request carries them and becomes the last response.
func TestSendRecordsOnlyTheScenarioRequests(t *testing.T) {
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Clone())
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
	}))
	t.Cleanup(srv.Close)
	cfg, err := Config{BaseURL: srv.URL, Client: Credentials{ClientID: "c", ClientSecret: "s"}, ProjectID: "proj_x"}.withDefaults()
	require.NoError(t, err)
	w := newWorld(cfg, nil, Scenario{})
	w.token = "scenario-token"
	w.header.Set("X-Extra", "once")
	ctx := t.Context()

	x, err := w.send(ctx, request{method: http.MethodGet, path: "/aside", env: "production"}, aside)
	require.NoError(t, err)
	assert.Equal(t, "/aside", x.str("path"))
	assert.Nil(t, w.last, "a side request is not the last response")
	assert.Empty(t, seen[0].Get("Authorization"), "nor does it carry the scenario's bearer")
	assert.Empty(t, seen[0].Get("X-Extra"), "or its queued headers")
	assert.Equal(t, "production", seen[0].Get("X-PD-Environment"))

	require.NoError(t, w.do(ctx, http.MethodGet, "/own/${unique}", "", ""))
	require.NotNil(t, w.last)
	assert.Equal(t, "/own/"+w.unique, w.last.str("path"))
	assert.Equal(t, "Bearer scenario-token", seen[1].Get("Authorization"))
	assert.Equal(t, "once", seen[1].Get("X-Extra"))
	assert.Equal(t, "development", seen[1].Get("X-PD-Environment"))

	_, err = w.send(ctx, request{method: http.MethodGet, path: "/aside-again"}, aside)
	require.NoError(t, err)
	assert.Equal(t, "/own/"+w.unique, w.last.str("path"), "the last response is still the scenario's")
	require.NoError(t, w.do(ctx, http.MethodGet, "/own", "", ""))
	assert.Empty(t, seen[3].Get("X-Extra"), "queued headers go with one request only")
}

func TestExpandAndRemember(t *testing.T) {
	w := newWorld(Config{ProjectID: "proj_x", Environment: "development", Client: Credentials{ClientID: "oc_1", ClientSecret: "sec"}}, nil, Scenario{})
	require.NoError(t, w.remember("acct", "apn_1"))
	w.accessToken = "at"
	for _, tc := range []struct{ in, want, err string }{
		{"/v1/connect/${project_id}/accounts/${acct}", "/v1/connect/proj_x/accounts/apn_1", ""},
		{"${client_id}:${client_secret} ${environment} ${access_token}", "oc_1:sec development at", ""},
		{"${connect_token}", "", "nothing remembered as connect_token"},
		{"${created_client_id} ${nope}", "", "nothing remembered as created_client_id, nope"},
		{"no names", "no names", ""},
	} {
		got, err := w.expand(tc.in)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
	}
	w.env = "production"
	got, err := w.expand("${environment}")
	require.NoError(t, err)
	assert.Equal(t, "production", got, "${environment} follows a switch")
	assert.Error(t, w.remember("access_token", "x"), "a name the kit defines is not a scenario's to remember")
}

func TestOtherEnvironment(t *testing.T) {
	assert.Equal(t, "production", otherEnvironment("development"))
	assert.Equal(t, "development", otherEnvironment("production"))
}

// TestConfigEnvironment: "the other environment" is only defined for
// Pipedream's two, so the configuration admits no third.
func TestConfigEnvironment(t *testing.T) {
	base := Config{BaseURL: "http://127.0.0.1:1", Client: Credentials{ClientID: "c", ClientSecret: "s"}, ProjectID: "proj_x"}
	for env, want := range map[string]string{"": "development", "development": "development", "production": "production"} {
		c := base
		c.Environment = env
		got, err := c.withDefaults()
		require.NoError(t, err, env)
		assert.Equal(t, want, got.Environment)
	}
	c := base
	c.Environment = "staging"
	_, err := c.withDefaults()
	assert.ErrorContains(t, err, `environment "staging"`)
}
