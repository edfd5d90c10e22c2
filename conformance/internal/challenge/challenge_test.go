package challenge

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in     string
		scheme string
		params map[string]string
	}{
		{`Bearer`, "Bearer", map[string]string{}},
		{`  Bearer`, "Bearer", map[string]string{}},
		{`Bearer realm="api.pipedream.com"`, "Bearer", map[string]string{"realm": "api.pipedream.com"}},
		{`Bearer realm="api", error="insufficient_scope", scope="connect:actions:* connect:triggers:*"`, "Bearer",
			map[string]string{"realm": "api", "error": "insufficient_scope", "scope": "connect:actions:* connect:triggers:*"}},
		{`bearer Error=invalid_token,error_description="a \"quoted\" word"`, "bearer",
			map[string]string{"error": "invalid_token", "error_description": `a "quoted" word`}},
		{`Bearer realm = "x" ,	error=e`, "Bearer", map[string]string{"realm": "x", "error": "e"}},
		{`Bearer realm="a\\b"`, "Bearer", map[string]string{"realm": `a\b`}},
		{`Basic realm="api.pipedream.com"`, "Basic", map[string]string{"realm": "api.pipedream.com"}},
	} {
		ch, err := Parse(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.in, ch.Raw)
		assert.Equal(t, tc.scheme, ch.Scheme, tc.in)
		assert.Equal(t, tc.params, ch.Params, tc.in)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		{``, "no auth-scheme"},
		{`"Bearer"`, "no auth-scheme"},
		{`Bearer,realm="x"`, "not a space"},
		{`Bearer realm`, "has no ="},
		{`Bearer realm="x`, "unterminated"},
		{`Bearer realm="x\`, "unterminated"},
		{`Bearer realm="x" error="y"`, "expected a comma"},
		{`Bearer realm="x", realm="y"`, "appears twice"},
		{`Bearer realm="x", Realm="y"`, "appears twice"},
		{`Bearer realm=`, "has no value"},
		{`Bearer ="x"`, "parameter name"},
	} {
		_, err := Parse(tc.in)
		if assert.Error(t, err, "%q", tc.in) {
			assert.Contains(t, err.Error(), tc.why, "%q", tc.in)
		}
	}
}

func TestCheckBearer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		ok     bool
	}{
		{"a full refusal", map[string]string{"error": "invalid_token", "error_description": "the access token expired at 2030-01-01T01:00:00Z", "scope": "connect:* *"}, true},
		{"no parameters", map[string]string{}, true},
		{"an error_uri", map[string]string{"error_uri": "https://example.com/e"}, true},
		{"non-ASCII description", map[string]string{"error_description": "takes a Connect token (ctok_…)"}, false},
		{"quote in description", map[string]string{"error_description": `say "hi"`}, false},
		{"backslash in error_uri", map[string]string{"error_uri": `a\b`}, false},
		{"newline in error", map[string]string{"error": "invalid\ntoken"}, false},
		{"double space in scope", map[string]string{"scope": "connect:*  *"}, false},
		{"leading space in scope", map[string]string{"scope": " connect:*"}, false},
		{"empty scope", map[string]string{"scope": ""}, false},
		{"backslash in scope", map[string]string{"scope": `connect:\*`}, false},
		{"quote in scope", map[string]string{"scope": `connect:"x"`}, false},
	} {
		err := CheckBearer(Challenge{Params: tc.params})
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.Error(t, err, tc.name)
		}
	}
}
