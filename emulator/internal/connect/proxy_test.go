package connect

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func TestProxyAccount(t *testing.T) {
	s, _ := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	a := Access{WorkspaceID: "o_a"}
	dev := AccountScope{Access: a, ProjectID: p.ID, Environment: Development}
	slack, err := s.ConnectAccount(dev, AccountSpec{ExternalUserID: "alice", App: "slack"})
	require.NoError(t, err)
	openai, err := s.ConnectAccount(dev, AccountSpec{ExternalUserID: "alice", App: "openai", Credentials: map[string]any{"api_key": "sk-1"}})
	require.NoError(t, err)

	got, err := s.ProxyAccount(a, p.ID, Development, "alice", slack.ID)
	require.NoError(t, err)
	assert.Equal(t, AuthOAuth, got.AuthType)
	assert.Equal(t, "o_a", got.WorkspaceID)
	assert.Equal(t, slack.Credentials["oauth_access_token"], got.Credentials["oauth_access_token"])
	got.Credentials["oauth_access_token"] = "changed"
	again, _ := s.ProxyAccount(a, p.ID, Development, "alice", slack.ID)
	assert.NotEqual(t, "changed", again.Credentials["oauth_access_token"], "callers get a copy")

	got, err = s.ProxyAccount(a, p.ID, Development, "alice", openai.ID)
	require.NoError(t, err)
	assert.Equal(t, AuthKeys, got.AuthType)
	assert.Equal(t, "sk-1", got.Credentials["api_key"])

	for name, tc := range map[string]struct {
		a       Access
		project string
		env     Environment
		user    string
		id      string
		want    error
	}{
		"another user":       {a, p.ID, Development, "bob", slack.ID, apperr.ErrNotFound},
		"another env":        {a, p.ID, Production, "alice", slack.ID, apperr.ErrNotFound},
		"another workspace":  {Access{WorkspaceID: "o_b"}, p.ID, Development, "alice", slack.ID, apperr.ErrNotFound},
		"unknown account":    {a, p.ID, Development, "alice", "apn_nope", apperr.ErrNotFound},
		"not an account id":  {a, p.ID, Development, "alice", "dc_123", apperr.ErrInvalid},
		"unknown project":    {a, "proj_nope", Development, "alice", slack.ID, apperr.ErrNotFound},
		"restricted project": {Access{WorkspaceID: "o_a", ProjectIDs: []string{"proj_other"}}, p.ID, Development, "alice", slack.ID, apperr.ErrNotFound},
	} {
		_, err := s.ProxyAccount(tc.a, tc.project, tc.env, tc.user, tc.id)
		assert.ErrorIs(t, err, tc.want, name)
	}
}
