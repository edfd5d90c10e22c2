package emulator_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/testutil"
)

func TestControlPlaneBadInput(t *testing.T) {
	srv := testutil.NewServer(t, emulator.WithMaxBodyBytes(512))
	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		contentType string
		status      int
	}{
		{"no body", "POST", "/_emulator/oauth-clients", "", "application/json", 400},
		{"malformed json", "POST", "/_emulator/oauth-clients", `{"name":`, "application/json", 400},
		{"not an object", "POST", "/_emulator/oauth-clients", `["x"]`, "application/json", 400},
		{"unknown field", "POST", "/_emulator/oauth-clients", `{"name":"x","scope":"*"}`, "application/json", 400},
		{"name missing", "POST", "/_emulator/oauth-clients", `{}`, "application/json", 400},
		{"name empty", "POST", "/_emulator/oauth-clients", `{"name":""}`, "application/json", 400},
		{"name too long", "POST", "/_emulator/oauth-clients", `{"name":"` + strings.Repeat("n", 201) + `"}`, "application/json", 400},
		{"name not a string", "POST", "/_emulator/oauth-clients", `{"name":7}`, "application/json", 400},
		{"unknown scope", "POST", "/_emulator/oauth-clients", `{"name":"x","scopes":"root"}`, "application/json", 400},
		{"scopes of wrong type", "POST", "/_emulator/oauth-clients", `{"name":"x","scopes":5}`, "application/json", 400},
		{"unknown project", "POST", "/_emulator/oauth-clients", `{"name":"x","project_ids":["proj_nope"]}`, "application/json", 404},
		{"unknown workspace", "POST", "/_emulator/oauth-clients", `{"name":"x","workspace_id":"o_nope"}`, "application/json", 404},
		{"form content type", "POST", "/_emulator/oauth-clients", `name=x`, "application/x-www-form-urlencoded", 415},
		{"body too large", "POST", "/_emulator/oauth-clients", `{"name":"` + strings.Repeat("n", 1000) + `"}`, "application/json", 413},
		{"trailing data", "POST", "/_emulator/oauth-clients", `{"name":"x"} {}`, "application/json", 400},
		{"get unknown client", "GET", "/_emulator/oauth-clients/oc_nope", "", "", 404},
		{"rotate unknown client", "POST", "/_emulator/oauth-clients/oc_nope/rotate-secret", "", "", 404},
		{"delete unknown client", "DELETE", "/_emulator/oauth-clients/oc_nope", "", "", 404},
		{"set clock without now", "PUT", "/_emulator/clock", `{}`, "application/json", 400},
		{"set clock to junk", "PUT", "/_emulator/clock", `{"now":"tomorrow"}`, "application/json", 400},
		{"set clock to a number", "PUT", "/_emulator/clock", `{"now":1893456000}`, "application/json", 400},
		{"advance negative", "POST", "/_emulator/clock/advance", `{"seconds":-1}`, "application/json", 400},
		{"advance non-numeric", "POST", "/_emulator/clock/advance", `{"seconds":"60"}`, "application/json", 400},
		{"advance missing", "POST", "/_emulator/clock/advance", `{}`, "application/json", 400},
		{"advance absurd", "POST", "/_emulator/clock/advance", `{"seconds":1e300}`, "application/json", 400},
		{"advance overflowing number", "POST", "/_emulator/clock/advance", `{"seconds":1e400}`, "application/json", 400},
		{"add user without id", "POST", "/_emulator/projects/" + srv.Credentials.ProjectID + "/users", `{}`, "application/json", 400},
		{"add user bad environment", "POST", "/_emulator/projects/" + srv.Credentials.ProjectID + "/users", `{"external_id":"u","environment":"staging"}`, "application/json", 400},
		{"add user unknown project", "POST", "/_emulator/projects/proj_nope/users", `{"external_id":"u"}`, "application/json", 404},
		{"wrong method", "PATCH", "/_emulator/clock", `{}`, "application/json", 405},
		{"unknown control path", "GET", "/_emulator/nope", "", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clientsBefore, nowBefore := srv.Emulator.Clients(), srv.Now()
			var headers []string
			if tc.contentType != "" {
				headers = []string{"Content-Type", tc.contentType}
			}
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := srv.Do(tc.method, tc.path, "", body, headers...)
			assert.Equal(t, tc.status, r.Status, string(r.Body))
			m := r.JSON(t)
			assert.NotEmpty(t, m["error"], "every error has an error field")
			assert.NotEmpty(t, m["error_description"])
			assert.Equal(t, clientsBefore, srv.Emulator.Clients(), "nothing created or changed")
			assert.Equal(t, nowBefore, srv.Now(), "clock untouched")
		})
	}
	assert.Equal(t, 200, srv.Do("GET", "/_emulator/health", "", nil).Status, "still serving")
}

func TestControlPlaneClock(t *testing.T) {
	srv := testutil.NewServer(t)
	get := func() string { return srv.Do("GET", "/_emulator/clock", "", nil).JSON(t)["now"].(string) }
	assert.Equal(t, "2030-01-01T00:00:00Z", get())
	assert.Equal(t, get(), get(), "the test clock stands still")

	r := srv.Do("POST", "/_emulator/clock/advance", "", `{"seconds":90}`)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "2030-01-01T00:01:30Z", r.JSON(t)["now"])

	r = srv.Do("POST", "/_emulator/clock/advance", "", `{"seconds":0.25}`)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "2030-01-01T00:01:30.25Z", r.JSON(t)["now"])

	r = srv.Do("PUT", "/_emulator/clock", "", `{"now":"2029-06-01T12:00:00+02:00"}`)
	require.Equal(t, 200, r.Status, string(r.Body))
	assert.Equal(t, "2029-06-01T10:00:00Z", r.JSON(t)["now"], "earlier instants allowed; shown in UTC")
	assert.Equal(t, time.Date(2029, 6, 1, 10, 0, 0, 0, time.UTC), srv.Now())
}

// TestClockSaysWhetherItIsFrozen: a script that moves the clock and wants
// to put it back must know whether it runs on meanwhile.
func TestClockSaysWhetherItIsFrozen(t *testing.T) {
	tests := []struct {
		name  string
		clock clock.Controllable
		want  bool
	}{
		{"a test's fake clock", clock.NewFake(time.Time{}), true},
		{"pdemu serve --freeze-clock", clock.NewFrozenOffset(), true},
		{"pdemu serve", clock.NewOffset(), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t, emulator.WithClock(tc.clock))
			body := srv.Do("GET", "/_emulator/clock", "", nil).JSON(t)
			assert.Equal(t, tc.want, body["frozen"])
			assert.Equal(t, tc.want, srv.Do("POST", "/_emulator/clock/advance", "", `{"seconds":1}`).JSON(t)["frozen"])
		})
	}
}

func TestHealthCapabilitiesAndReset(t *testing.T) {
	srv := testutil.NewServer(t)
	assert.Equal(t, map[string]any{"status": "ok"}, srv.Do("GET", "/_emulator/health", "", nil).JSON(t))
	caps := srv.Do("GET", "/_emulator/capabilities", "", nil).JSON(t)["capabilities"]
	assert.Subset(t, caps, []any{"admin_clients", "clock", "reset"})
	assert.NotContains(t, caps, "rotation_revokes_tokens")
	revoking := testutil.NewServer(t, emulator.WithRotationRevokesTokens())
	assert.Contains(t, revoking.Do("GET", "/_emulator/capabilities", "", nil).JSON(t)["capabilities"], "rotation_revokes_tokens")

	oldTok := srv.Token()
	extra := srv.CreateClient("extra")
	require.Equal(t, 201, srv.Do("POST", "/v1/connect/projects", oldTok, map[string]string{"name": "temp"}).Status)
	srv.Advance(time.Minute)

	r := srv.Do("POST", "/_emulator/reset", "", nil)
	require.Equal(t, 200, r.Status, string(r.Body))

	assert.Equal(t, 401, srv.Do("GET", "/v1/connect/projects", oldTok, nil).Status, "tokens from before a reset fail")
	_, err := srv.Emulator.GetClient(extra.ClientID)
	assert.Error(t, err, "clients made since are gone")
	tok := srv.Token() // the seeded credentials still work
	projects := srv.Do("GET", "/v1/connect/projects", tok, nil).JSON(t)["data"].([]any)
	require.Len(t, projects, 1, "projects made since are gone")
	assert.Equal(t, srv.Credentials.ProjectID, projects[0].(map[string]any)["id"])
	assert.Equal(t, clock.DefaultStart.Add(time.Minute), srv.Now(), "reset leaves the clock alone")
}

func TestLogsNeverContainSecrets(t *testing.T) {
	var buf bytes.Buffer
	srv := testutil.NewServer(t, emulator.WithLogger(slog.New(slog.NewJSONHandler(&buf, nil))))
	tok := srv.Token()
	srv.Do("POST", "/v1/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": srv.Credentials.ClientID, "client_secret": srv.Credentials.ClientSecret})
	srv.Do("POST", "/v1/oauth/token", "", map[string]string{"grant_type": "client_credentials", "client_id": srv.Credentials.ClientID, "client_secret": "wrong-secret-xyz"})
	srv.Do("GET", "/v1/connect/projects", tok, nil)
	created := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "logged"}).JSON(t)
	rotated := srv.Do("POST", "/_emulator/oauth-clients/"+created["client_id"].(string)+"/rotate-secret", "", nil).JSON(t)
	srv.Do("GET", "/nope/"+tok, "", nil)

	logs := buf.String()
	require.Contains(t, logs, `"route":"oauthTokens.create"`)
	require.Contains(t, logs, `"route":"projects.list"`)
	require.Contains(t, logs, `"status":401`)
	for _, secret := range []string{srv.Credentials.ClientSecret, "wrong-secret-xyz", tok, created["client_secret"].(string), rotated["client_secret"].(string)} {
		assert.NotContains(t, logs, secret)
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := testutil.NewServer(t)
	extra := srv.CreateClient("churn")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				switch (i + j) % 4 {
				case 0:
					tok, err := srv.Emulator.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: srv.Credentials.ClientID, ClientSecret: srv.Credentials.ClientSecret})
					if assert.NoError(t, err) {
						assert.Equal(t, 200, srv.Do("GET", "/v1/connect/projects", tok.AccessToken, nil).Status)
					}
				case 1:
					_, _ = srv.Emulator.RotateSecret(extra.ClientID)
				case 2:
					_ = srv.Clock.Advance(time.Second)
				case 3:
					srv.Do("GET", "/_emulator/oauth-clients", "", nil)
				}
			}
		}(i)
	}
	wg.Wait()
}
