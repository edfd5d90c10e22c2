package conformance

import (
	"testing"

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
