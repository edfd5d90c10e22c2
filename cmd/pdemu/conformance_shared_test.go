package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// target is a running pdemu, seen only through HTTP, as a user sharing it
// sees it.
type target struct {
	t   *testing.T
	env map[string]string
}

// do sends a request and decodes a JSON answer into out (when not nil),
// failing the test unless the status is want.
func (tg target) do(method, path, token, env, body string, want int, out any) {
	tg.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(tg.t.Context(), method, tg.env["PIPEDREAM_BASE_URL"]+path, rd)
	require.NoError(tg.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if env != "" {
		req.Header.Set("X-PD-Environment", env)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(tg.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(tg.t, err)
	require.Equal(tg.t, want, resp.StatusCode, "%s %s: %s", method, path, b)
	if out != nil {
		require.NoError(tg.t, json.Unmarshal(b, out), "%s %s: %s", method, path, b)
	}
}

// token mints an access token with the exported client.
func (tg target) token() string {
	tg.t.Helper()
	b, _ := json.Marshal(map[string]string{"grant_type": "client_credentials",
		"client_id": tg.env["PIPEDREAM_CLIENT_ID"], "client_secret": tg.env["PIPEDREAM_CLIENT_SECRET"]})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	tg.do(http.MethodPost, "/v1/oauth/token", "", "", string(b), http.StatusOK, &tok)
	return tok.AccessToken
}

// ids walks a {data, page_info} list by its cursors and returns one field
// of every item, sorted.
func (tg target) ids(path, token, env, field string) []string {
	tg.t.Helper()
	var out []string
	for after := ""; ; {
		p := path
		if after != "" {
			p += "?after=" + url.QueryEscape(after)
		}
		var page struct {
			Data     []map[string]any `json:"data"`
			PageInfo struct {
				EndCursor *string `json:"end_cursor"`
			} `json:"page_info"`
		}
		tg.do(http.MethodGet, p, token, env, "", http.StatusOK, &page)
		for _, item := range page.Data {
			s, _ := item[field].(string)
			out = append(out, s)
		}
		if page.PageInfo.EndCursor == nil || *page.PageInfo.EndCursor == "" {
			break
		}
		after = *page.PageInfo.EndCursor
	}
	slices.Sort(out)
	return out
}

// state is what a run must leave as it found it: the OAuth clients, the
// external users of both environments, the projects, the proxy's
// allow-list, the fault plans, the rate-limit rules and the snapshots
// (the kit's own are deleted after it, its guards restored first).
func (tg target) state(token string) map[string][]string {
	tg.t.Helper()
	project := "/v1/connect/" + tg.env["PIPEDREAM_PROJECT_ID"]
	var proxy struct {
		Hosts []string `json:"hosts"`
	}
	tg.do(http.MethodGet, "/_emulator/proxy/allowed-hosts", "", "", "", http.StatusOK, &proxy)
	var faults struct {
		Data []json.RawMessage `json:"data"`
	}
	tg.do(http.MethodGet, "/_emulator/faults", "", "", "", http.StatusOK, &faults)
	var limits struct {
		Profile string          `json:"profile"`
		Rules   json.RawMessage `json:"rules"`
	}
	tg.do(http.MethodGet, "/_emulator/rate-limits", "", "", "", http.StatusOK, &limits)
	plans := []string{}
	for _, f := range faults.Data {
		plans = append(plans, string(f))
	}
	var snaps struct {
		Data []struct {
			Name string `json:"name"`
		} `json:"data"`
	}
	tg.do(http.MethodGet, "/_emulator/snapshots", "", "", "", http.StatusOK, &snaps)
	snapshots := []string{}
	for _, s := range snaps.Data {
		snapshots = append(snapshots, s.Name)
	}
	return map[string][]string{
		"clients":             tg.ids("/_emulator/oauth-clients", "", "", "client_id"),
		"development users":   tg.ids(project+"/users", token, "development", "external_id"),
		"production users":    tg.ids(project+"/users", token, "production", "external_id"),
		"projects":            tg.ids("/v1/connect/projects", token, "", "id"),
		"proxy allowed hosts": proxy.Hosts,
		"faults":              plans,
		"rate limits":         {limits.Profile, string(limits.Rules)},
		"snapshots":           snapshots,
	}
}

// clock reads the emulator clock.
func (tg target) clock() time.Time {
	tg.t.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	tg.do(http.MethodGet, "/_emulator/clock", "", "", "", http.StatusOK, &c)
	return c.Now
}

// TestConformanceLeavesTheServerAsItFoundIt runs the kit against a shared
// pdemu serve, whose clock follows real time, as the README promises one
// can: after the run, a token minted before it still works, the clock
// reads real time again, and no client, user, project or snapshot the run
// made is left. The @serial scenarios alone move the clock hours forward,
// and restore snapshots and state documents, which set it too. With
// --freeze-clock the clock stands exactly where it stood.
func TestConformanceLeavesTheServerAsItFoundIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		serve []string
		tags  string
	}{
		{"a clock that follows real time, the whole kit", []string{"--proxy-allow-host", "localhost", "--proxy-allow-host", "127.0.0.0/8",
			"--proxy-allow-host", "::1", "--proxy-allow-host", "api.example.com"}, ""},
		// Pipedream's limits in force: the scenarios that set rules of
		// their own put the profile back.
		{"a frozen clock, the scenarios that move it", []string{"--freeze-clock", "--rate-limits", "pipedream"}, "@serial"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pd := start(t, append([]string{"--addr", anyPort}, tc.serve...)...)
			tg := target{t: t, env: pd.env}
			token := tg.token()
			// Another user's snapshot, which the run must leave alone.
			tg.do(http.MethodPost, "/_emulator/snapshots", "", "", `{"name":"another user's"}`, http.StatusCreated, nil)
			before := tg.state(token)
			require.NotEmpty(t, before["clients"])
			clockBefore, wallBefore := tg.clock(), time.Now()

			var lines []string
			for k, v := range pd.env {
				lines = append(lines, k+"="+v)
			}
			args := []string{"--format", "progress"}
			if tc.tags != "" {
				args = append(args, "--tags", tc.tags)
			}
			stdout, stderr, err, status := conformanceRun(t, envOf(lines...), args...)
			require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			require.Equal(t, 0, status)
			c := summaryCounts(t, stdout)
			require.Positive(t, c.passed)
			require.Zero(t, c.failed)

			// The token minted before the run is still good: the clock is
			// not an hour ahead of it.
			tg.do(http.MethodGet, "/v1/connect/projects", token, "", "", http.StatusOK, nil)
			clockAfter := tg.clock()
			if !slices.Contains(tc.serve, "--freeze-clock") {
				// Where the clock would stand had nobody moved it.
				want := clockBefore.Add(time.Since(wallBefore))
				assert.WithinDuration(t, want, clockAfter, 2*time.Second, "the clock follows real time again")
				assert.WithinDuration(t, time.Now(), clockAfter, 2*time.Second, "a clock that started at real time reads it")
			} else {
				assert.True(t, clockAfter.Equal(clockBefore), "a frozen clock stands where it stood: %s, not %s", clockAfter, clockBefore)
			}
			assert.Equal(t, before, tg.state(token), "the run left nothing behind")
		})
	}
}
