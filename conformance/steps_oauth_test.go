package conformance

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScopeImpliesAndUnrelatedScope(t *testing.T) {
	for _, tc := range []struct {
		granted, required string
		want              bool
	}{
		{"*", "connect:users:read", true},
		{"connect:*", "connect:users:read", true},
		{"connect:*", "connect:actions:*", true},
		{"connect:actions:*", "connect:actions:*", true},
		{"connect:users:*", "connect:users:read", true},
		{"connect:users:write", "connect:users:read", false},
		{"connect:triggers:*", "connect:deployed_triggers:read", false},
		{"conn*", "connect:users:read", false},
		{"connect:users:read", "connect:*", false},
	} {
		assert.Equal(t, tc.want, scopeImplies(tc.granted, tc.required), "%s grants %s", tc.granted, tc.required)
	}
	for _, required := range [][]string{{"connect:users:read"}, {"connect:*"}, {"connect:usage:read"}, {"connect:usage:read", "connect:proxy"}, {"connect:actions:*", "connect:triggers:*"}} {
		got, err := unrelatedScope(required)
		require.NoError(t, err)
		for _, r := range required {
			assert.False(t, scopeImplies(got, r), "%s must not grant %s", got, r)
		}
	}
	_, err := unrelatedScope(nil)
	assert.Error(t, err)
	_, err = unrelatedScope(probeScopes)
	assert.Error(t, err, "every probe scope is needed")
}

func TestConcretePath(t *testing.T) {
	assert.Equal(t, "/v1/connect/proj_abc/accounts/absent-u1", concretePath("GET", "/v1/connect/{project_id}/accounts/{account_id}", "proj_abc", "u1"))
	assert.Equal(t, "/v1/connect/proj_absentu1/accounts/absent-u1", concretePath("DELETE", "/v1/connect/{project_id}/accounts/{account_id}", "proj_abc", "u1"),
		"a call that could change something goes to a project that does not exist")
	assert.Equal(t, "/v1/connect/projects/proj_absentu1", concretePath("DELETE", "/v1/connect/projects/{project_id}", "proj_abc", "u1"),
		"never the configured project")
	assert.Equal(t, "/_workflows/absent-u1/absent-u1", concretePath("GET", "/_workflows/{endpoint_id}/{path:.*}", "proj_abc", "u1"))
	assert.Equal(t, "/v1/connect/usage", concretePath("GET", "/v1/connect/usage", "proj_abc", "u1"))
}

func TestBasicCredentialsAreFormEncoded(t *testing.T) {
	decode := func(h string) (string, string) {
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		require.NoError(t, err)
		id, secret, found := strings.Cut(string(b), ":")
		require.True(t, found)
		id, err = url.QueryUnescape(id)
		require.NoError(t, err)
		secret, err = url.QueryUnescape(secret)
		require.NoError(t, err)
		return id, secret
	}
	for _, enc := range []func(string) string{url.QueryEscape, percentEncodeAll} {
		h := basicCredentials("oc_a:b", "s e+c%r/é", enc)
		require.True(t, strings.HasPrefix(h, "Basic "))
		id, secret := decode(h)
		assert.Equal(t, "oc_a:b", id)
		assert.Equal(t, "s e+c%r/é", secret)
	}
	assert.Equal(t, "%6F%63%5F", percentEncodeAll("oc_"))
}

func TestJSONTime(t *testing.T) {
	got, err := jsonTime(float64(1893456000))
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1893456000, 0), got)
	got, err = jsonTime(json.Number("1893456000"))
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Unix(1893456000, 0)))
	got, err = jsonTime("2030-01-01T04:00:00Z")
	require.NoError(t, err)
	assert.True(t, got.Equal(time.Date(2030, 1, 1, 4, 0, 0, 0, time.UTC)))
	for _, bad := range []any{"tomorrow", true, nil} {
		_, err := jsonTime(bad)
		assert.Error(t, err, "%v", bad)
	}
}

func TestPaddedClientName(t *testing.T) {
	for _, tc := range []struct {
		n   int
		pad string
	}{{0, "x"}, {1, "x"}, {7, "x"}, {8, "x"}, {200, "x"}, {200, "é"}, {201, "é"}} {
		name, err := paddedClientName("0123abcd", tc.n, tc.pad)
		require.NoError(t, err)
		assert.Equal(t, tc.n, utf8.RuneCountInString(name), "%d × %q", tc.n, tc.pad)
		if tc.n >= 8 {
			assert.True(t, strings.HasPrefix(name, "0123abcd"), "a long name carries the scenario's suffix")
		}
	}
	_, err := paddedClientName("0123abcd", 5, "ab")
	assert.Error(t, err)
}
