package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSetJSONPath: a value set in a document leaves every other value as
// it was written, a 64-bit number included.
func TestSetJSONPath(t *testing.T) {
	doc := []byte(`{"faults":{"seed":18446744073709551615},"connect":{"projects":[{"id":"proj_a","name":"<&>"}]},"format":"pdemu-state/1"}`)
	out, err := setJSONPath(doc, "connect.projects.0.id", `"nope"`)
	require.NoError(t, err)
	assert.JSONEq(t, `{"faults":{"seed":18446744073709551615},"connect":{"projects":[{"id":"nope","name":"<&>"}]},"format":"pdemu-state/1"}`, string(out))
	assert.Contains(t, string(out), `18446744073709551615`, "not rounded to a float")
	assert.Contains(t, string(out), `"<&>"`, "not escaped for HTML")

	out, err = setJSONPath(doc, "format", `null`)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"format":null`)

	for path, want := range map[string]string{
		"connect.projects.1.id":   "has no connect.projects.1",
		"connect.users.0":         "has no connect.users",
		"format.version":          "format is not an object or a list",
		"connect.projects.x.name": "has no connect.projects.x",
	} {
		_, err := setJSONPath(doc, path, `1`)
		require.Error(t, err, path)
		assert.Contains(t, err.Error(), want, path)
	}
	_, err = setJSONPath(doc, "format", `not json`)
	assert.ErrorContains(t, err, "is not a JSON value")
}

// TestSameState: two readings of a clock that follows real time differ in
// the instant and are one state; anything else that differs is named by
// its path alone.
func TestSameState(t *testing.T) {
	following := func(now, shift string) []byte {
		return []byte(`{"format":"pdemu-state/1","clock":{"now":"` + now + `","frozen":false,"shift_seconds":` + shift + `},"signing_key":{"ed25519_seed":"SECRET"},"oauth":{"clients":[{"id":"oc_1"}]}}`)
	}
	assert.NoError(t, sameState(following("2030-01-01T00:00:00Z", "3.5"), following("2030-01-01T00:00:09Z", "3.5000000001")))
	assert.ErrorContains(t, sameState(following("2030-01-01T00:00:00Z", "3.5"), following("2030-01-01T00:00:00Z", "3603.5")), "at clock.shift_seconds")

	frozen := func(now string) []byte {
		return []byte(`{"clock":{"now":"` + now + `","frozen":true}}`)
	}
	assert.NoError(t, sameState(frozen("2030-01-01T00:00:00Z"), frozen("2030-01-01T00:00:00Z")))
	assert.ErrorContains(t, sameState(frozen("2030-01-01T00:00:00Z"), frozen("2030-01-01T00:00:01Z")), "at clock.now")

	a := []byte(`{"signing_key":{"ed25519_seed":"SECRET"},"oauth":{"clients":[{"id":"oc_1"},{"id":"oc_2"}]}}`)
	for other, where := range map[string]string{
		`{"signing_key":{"ed25519_seed":"OTHER"},"oauth":{"clients":[{"id":"oc_1"},{"id":"oc_2"}]}}`:  "at signing_key.ed25519_seed",
		`{"signing_key":{"ed25519_seed":"SECRET"},"oauth":{"clients":[{"id":"oc_1"}]}}`:               "at oauth.clients (1 items, not 2)",
		`{"signing_key":{"ed25519_seed":"SECRET"},"oauth":{"clients":[{"id":"oc_1"},{"id":"oc_3"}]}}`: "at oauth.clients[1].id",
		`{"signing_key":{"ed25519_seed":"SECRET"}}`:                                                   "at oauth",
		`[]`: "at its root",
	} {
		err := sameState(a, []byte(other))
		require.Error(t, err, other)
		assert.Contains(t, err.Error(), where)
		assert.NotContains(t, err.Error(), "SECRET")
		assert.NotContains(t, err.Error(), "OTHER")
	}
}

// TestReplacesState: the requests that replace the whole state.
func TestReplacesState(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		want         bool
	}{
		{"PUT", "/_emulator/state", true},
		{"PUT", "/_emulator/state?x=1", true},
		{"GET", "/_emulator/state", false},
		{"POST", "/_emulator/snapshots/a/restore", true},
		{"POST", "/_emulator/snapshots/a%2Fb/restore", true},
		{"POST", "/_emulator/snapshots", false},
		{"DELETE", "/_emulator/snapshots/a", false},
		{"POST", "/_emulator/snapshots/a/b/restore", false},
		{"POST", "/_emulator/reset", false},
	} {
		assert.Equal(t, tc.want, replacesState(tc.method, tc.path), "%s %s", tc.method, tc.path)
	}
}
