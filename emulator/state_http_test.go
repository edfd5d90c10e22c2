package emulator_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// populate gives srv something of every kind of state, over HTTP, and
// returns a client's credentials and a token issued before any export.
func populate(t *testing.T, srv *testutil.Server) (emulator.ClientCredentials, string) {
	t.Helper()
	resp := srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "exported", "scopes": "connect:*"})
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	body := resp.JSON(t)
	creds := emulator.ClientCredentials{ClientID: body["client_id"].(string), ClientSecret: body["client_secret"].(string)}
	tok := srv.TokenFor(creds)
	revoked := srv.TokenFor(creds)
	require.Equal(t, 200, srv.Do("POST", "/v1/oauth/revoke", "", map[string]string{"token": revoked, "client_id": creds.ClientID, "client_secret": creds.ClientSecret}).Status)
	pid := srv.Credentials.ProjectID
	env := []string{"X-PD-Environment", "development"}
	require.Equal(t, 200, srv.Do("POST", "/v1/connect/"+pid+"/tokens", tok, map[string]any{"external_user_id": "alice"}, env...).Status)
	srv.ConnectAccount("alice", "slack", map[string]any{"oauth_access_token": "xoxb-1"})
	require.Equal(t, 201, srv.Do("POST", "/_emulator/faults", "", `{"match":{"route":"jwks"},"action":{"status":503},"times":0,"after":1000}`).Status)
	require.Equal(t, 200, srv.Do("POST", "/v1/connect/rate_limits", tok, map[string]any{"window_size_seconds": 60, "requests_per_window": 5}).Status)
	require.Equal(t, 201, srv.Do("POST", "/v1/connect/projects", tok, map[string]any{"name": "second"}).Status)
	srv.Advance(90 * time.Second)
	return creds, tok
}

func getState(t *testing.T, srv *testutil.Server) []byte {
	t.Helper()
	resp := srv.Do("GET", "/_emulator/state", "", nil)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	return resp.Body
}

func TestStateRoundTrip(t *testing.T) {
	src := testutil.NewServer(t)
	creds, tok := populate(t, src)
	doc := getState(t, src)
	var parsed map[string]any
	require.NoError(t, json.Unmarshal(doc, &parsed))
	assert.Equal(t, emulator.StateFormat, parsed["format"])
	for _, part := range []string{"clock", "signing_key", "oauth", "connect", "faults", "rate_limits"} {
		assert.Contains(t, parsed, part)
	}
	assert.NotContains(t, string(doc), creds.ClientSecret, "secret hashes only, never secrets")

	dst := testutil.NewServer(t)
	resp := dst.Do("PUT", "/_emulator/state", "", doc)
	require.Equal(t, http.StatusOK, resp.Status, "%s", resp.Body)
	assert.JSONEq(t, string(doc), string(getState(t, dst)), "export, import, export gives the same document")
	assert.Equal(t, src.Now(), dst.Now(), "the clock comes along")

	assert.Equal(t, 200, dst.Do("GET", "/v1/connect/projects", tok, nil).Status, "a token issued before the export verifies after the import")
	assert.NotEmpty(t, dst.TokenFor(creds), "the client's secret still works")
	users := dst.Do("GET", "/v1/connect/"+src.Credentials.ProjectID+"/users", tok, nil, "X-PD-Environment", "development").JSON(t)
	assert.EqualValues(t, 1, users["page_info"].(map[string]any)["total_count"])
	assert.Len(t, dst.Emulator.Faults(), 1)
	assert.Equal(t, 1, dst.Emulator.RateLimits().Stats.Tokens)
}

func TestStateImportIsAllOrNothing(t *testing.T) {
	src := testutil.NewServer(t)
	populate(t, src)
	good := getState(t, src)
	mutate := func(f func(doc map[string]any)) []byte {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(good, &doc))
		f(doc)
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		return b
	}
	part := func(doc map[string]any, name string) map[string]any { return doc[name].(map[string]any) }
	for _, tc := range []struct {
		name, want string
		doc        []byte
	}{
		{"not JSON", "not valid JSON", []byte("{")},
		{"old format", `format: "pdemu-state/0"`, mutate(func(d map[string]any) { d["format"] = "pdemu-state/0" })},
		{"no format", "format: missing", mutate(func(d map[string]any) { delete(d, "format") })},
		{"unknown field", "unknown field", mutate(func(d map[string]any) { d["extra"] = 1 })},
		{"bad project id", "connect.projects[0].id", mutate(func(d map[string]any) {
			part(d, "connect")["projects"].([]any)[0].(map[string]any)["id"] = "nope"
		})},
		{"client of no workspace", "oauth.clients[0].workspace_id", mutate(func(d map[string]any) {
			part(d, "oauth")["clients"].([]any)[0].(map[string]any)["workspace_id"] = "o_missing"
		})},
		{"bad secret hash", "oauth.clients[1].secret_hash", mutate(func(d map[string]any) {
			part(d, "oauth")["clients"].([]any)[1].(map[string]any)["secret_hash"] = "xyz"
		})},
		{"bad key", "signing_key", mutate(func(d map[string]any) { part(d, "signing_key")["ed25519_seed"] = "short" })},
		{"no clock", "clock.now", mutate(func(d map[string]any) { delete(part(d, "clock"), "now") })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := testutil.NewServer(t)
			before := getState(t, dst)
			resp := dst.Do("PUT", "/_emulator/state", "", tc.doc)
			require.Equal(t, http.StatusBadRequest, resp.Status, "%s", resp.Body)
			assert.Contains(t, resp.JSON(t)["error_description"], tc.want)
			assert.JSONEq(t, string(before), string(getState(t, dst)), "a refused document changes nothing")
		})
	}
}

func TestSnapshots(t *testing.T) {
	srv := testutil.NewServer(t)
	resp := srv.Do("POST", "/_emulator/snapshots", "", map[string]string{"name": "clean"})
	require.Equal(t, http.StatusCreated, resp.Status, "%s", resp.Body)
	assert.Equal(t, "clean", resp.JSON(t)["name"])
	clean := getState(t, srv)

	populate(t, srv)
	assert.Equal(t, http.StatusConflict, srv.Do("POST", "/_emulator/snapshots", "", map[string]string{"name": "clean"}).Status)
	require.Equal(t, http.StatusCreated, srv.Do("POST", "/_emulator/snapshots", "", map[string]string{"name": "dirty"}).Status)
	dirty := getState(t, srv)

	for range 2 { // a snapshot stays for another restore
		require.Equal(t, http.StatusOK, srv.Do("POST", "/_emulator/snapshots/clean/restore", "", nil).Status)
		assert.JSONEq(t, string(clean), string(getState(t, srv)))
		srv.CreateClient("between restores")
	}
	require.Equal(t, http.StatusOK, srv.Do("POST", "/_emulator/snapshots/dirty/restore", "", nil).Status)
	assert.JSONEq(t, string(dirty), string(getState(t, srv)))

	list := srv.Do("GET", "/_emulator/snapshots", "", nil).JSON(t)["data"].([]any)
	require.Len(t, list, 2)
	assert.Equal(t, "clean", list[0].(map[string]any)["name"], "oldest first")

	assert.Equal(t, http.StatusNoContent, srv.Do("DELETE", "/_emulator/snapshots/clean", "", nil).Status)
	assert.Equal(t, http.StatusNotFound, srv.Do("DELETE", "/_emulator/snapshots/clean", "", nil).Status)
	assert.Equal(t, http.StatusNotFound, srv.Do("POST", "/_emulator/snapshots/clean/restore", "", nil).Status)
	assert.Equal(t, http.StatusBadRequest, srv.Do("POST", "/_emulator/snapshots", "", map[string]string{"name": ""}).Status)

	// Go API.
	_, err := srv.Emulator.Snapshot("go")
	require.NoError(t, err)
	srv.CreateClient("after go")
	require.NoError(t, srv.Emulator.Restore("go"))
	for _, c := range srv.Emulator.Clients() {
		assert.NotEqual(t, "after go", c.Name)
	}
	require.Error(t, srv.Emulator.Restore("missing"))
	require.NoError(t, srv.Emulator.DeleteSnapshot("go"))
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdemu.state")
	emu, err := emulator.New(emulator.WithStateFile(path))
	require.NoError(t, err)
	srv := testutil.Wrap(t, emu)
	creds, tok := populate(t, srv)
	require.Equal(t, 201, srv.Do("POST", "/_emulator/projects/"+srv.Credentials.ProjectID+"/users", "", map[string]any{"external_id": "bob"}).Status)
	want := getState(t, srv)

	_, err = emulator.New(emulator.WithStateFile(path))
	require.ErrorContains(t, err, "in use", "one process per state file")

	// A crash: the file as it is now, with the emulator still running and
	// nothing compacted since the changes.
	crashed := filepath.Join(t.TempDir(), "copy.state")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(crashed, data, 0o600))
	again, err := emulator.New(emulator.WithStateFile(crashed))
	require.NoError(t, err)
	t.Cleanup(func() { again.Close() })
	srv2 := testutil.Wrap(t, again)
	assert.JSONEq(t, string(want), string(getState(t, srv2)), "replaying the changes rebuilds the state")
	assert.Equal(t, 200, srv2.Do("GET", "/v1/connect/projects", tok, nil).Status)
	assert.NotEmpty(t, srv2.TokenFor(creds))

	require.NoError(t, emu.Close())
	reopened, err := emulator.New(emulator.WithStateFile(path))
	require.NoError(t, err, "Close releases the file")
	defer reopened.Close()
	assert.JSONEq(t, string(want), string(getState(t, testutil.Wrap(t, reopened))))
}

func TestStateFileRefusesGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdemu.state")
	garbage := []byte(`{"this": "is not a state file"}` + "\n")
	require.NoError(t, os.WriteFile(path, garbage, 0o600))
	_, err := emulator.New(emulator.WithStateFile(path))
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), path) && strings.Contains(err.Error(), "byte 0"), "%v", err)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, garbage, after, "never overwritten")
}

func TestJournalHidesTheSigningKey(t *testing.T) {
	srv := testutil.NewServer(t)
	doc := getState(t, srv)
	var parsed struct {
		SigningKey struct {
			Seed string `json:"ed25519_seed"`
		} `json:"signing_key"`
	}
	require.NoError(t, json.Unmarshal(doc, &parsed))
	require.NotEmpty(t, parsed.SigningKey.Seed)
	got := srv.Requests(emulator.RequestFilter{Route: "state.export"})
	require.Len(t, got, 1)
	assert.NotContains(t, string(got[0].Response.Body), parsed.SigningKey.Seed, "a state document's key is a secret in the journal too")
}

func TestStateFileClockMoves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pdemu.state")
	emu, err := emulator.New(emulator.WithStateFile(path))
	require.NoError(t, err)
	srv := testutil.Wrap(t, emu)
	resp := srv.Do("PUT", "/_emulator/clock", "", map[string]string{"now": "2031-05-01T00:00:00Z"})
	require.Equal(t, http.StatusOK, resp.Status)
	assert.Equal(t, "2031-05-01T00:00:00Z", resp.JSON(t)["now"], "the answer shows the new instant")
	resp = srv.Do("POST", "/_emulator/clock/advance", "", map[string]any{"seconds": 60})
	assert.Equal(t, "2031-05-01T00:01:00Z", resp.JSON(t)["now"])
	require.Equal(t, 201, srv.Do("POST", "/_emulator/oauth-clients", "", map[string]any{"name": "after the move"}).Status)

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	crashed := filepath.Join(t.TempDir(), "copy.state")
	require.NoError(t, os.WriteFile(crashed, data, 0o600))
	again, err := emulator.New(emulator.WithStateFile(crashed))
	require.NoError(t, err)
	defer again.Close()
	assert.Equal(t, time.Date(2031, 5, 1, 0, 1, 0, 0, time.UTC), again.Clock().Now())
	var found bool
	for _, c := range again.Clients() {
		if c.Name == "after the move" {
			found = true
			assert.Equal(t, time.Date(2031, 5, 1, 0, 1, 0, 0, time.UTC), c.CreatedAt, "replayed at the instant it was made")
		}
	}
	assert.True(t, found)
	require.NoError(t, emu.Close())
}

func TestStateDocumentNeedsEveryPart(t *testing.T) {
	src := testutil.NewServer(t)
	good := getState(t, src)
	for _, part := range []string{"oauth", "faults", "rate_limits", "signing_key", "connect", "clock"} {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(good, &doc))
		delete(doc, part)
		b, _ := json.Marshal(doc)
		dst := testutil.NewServer(t)
		resp := dst.Do("PUT", "/_emulator/state", "", b)
		require.Equal(t, http.StatusBadRequest, resp.Status, part)
		assert.True(t, strings.HasPrefix(resp.JSON(t)["error_description"].(string), part+": missing"), "%s: %s", part, resp.Body)
	}
}

func TestSnapshotsListInTheOrderTaken(t *testing.T) {
	srv := testutil.NewServer(t) // a clock that stands still
	for _, name := range []string{"zeta", "alpha", "mid"} {
		srv.Snapshot(name)
	}
	var names []string
	for _, s := range srv.Emulator.Snapshots() {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"zeta", "alpha", "mid"}, names)
}

// With a seed, a reset rewinds the id generator to where it stood before
// it drew the ids a snapshot holds; a restore must not hand them out again.
func TestSeededRestoreAfterResetDrawsNewIDs(t *testing.T) {
	srv := testutil.NewServer(t) // seeded
	tok := srv.Token()
	require.Equal(t, 201, srv.Do("POST", "/v1/connect/projects", tok, map[string]any{"name": "p1"}).Status)
	srv.Snapshot("with-p1")
	srv.Reset()
	srv.Restore("with-p1")
	resp := srv.Do("POST", "/v1/connect/projects", srv.Token(), map[string]any{"name": "p2"})
	assert.Equal(t, 201, resp.Status, "%s", resp.Body)
}

func TestStateDecodingErrorsNameThePath(t *testing.T) {
	src := testutil.NewServer(t)
	populate(t, src)
	good := getState(t, src)
	for _, tc := range []struct {
		name, want string
		edit       func(d map[string]any)
	}{
		{"type", "connect.projects[1].name: must be a JSON string", func(d map[string]any) {
			d["connect"].(map[string]any)["projects"].([]any)[1].(map[string]any)["name"] = 5
		}},
		{"unknown nested field", "oauth.clients[1].bogus: unknown field", func(d map[string]any) {
			d["oauth"].(map[string]any)["clients"].([]any)[1].(map[string]any)["bogus"] = true
		}},
	} {
		var doc map[string]any
		require.NoError(t, json.Unmarshal(good, &doc))
		tc.edit(doc)
		b, _ := json.Marshal(doc)
		resp := testutil.NewServer(t).Do("PUT", "/_emulator/state", "", b)
		require.Equal(t, http.StatusBadRequest, resp.Status, tc.name)
		assert.True(t, strings.HasPrefix(resp.JSON(t)["error_description"].(string), tc.want), "%s: %s", tc.name, resp.Body)
	}
}

func FuzzPathAt(f *testing.F) {
	f.Add([]byte(`{"a":[{"b":1},{"c":[2,3]}]}`), int64(10), "b")
	f.Fuzz(func(t *testing.T, data []byte, offset int64, field string) {
		emulator.PathAtForTest(data, offset, field) // must not panic
	})
}
