package connect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// TestRevokeToken: a Connect token is revoked by a caller that may reach
// it, and by no one else; a revoked token is refused as an unknown one and
// leaves no trace in its user's index.
func TestRevokeToken(t *testing.T) {
	s, clk := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	q, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("Q")})
	require.NoError(t, err)
	wsA := Access{WorkspaceID: "o_a"}
	newToken := func(user string, ttl int) ConnectToken {
		t.Helper()
		tok, err := s.CreateToken(wsA, p.ID, Development, scope.Set{scope.All}, TokenSpec{ExternalUserID: user, ExpiresIn: ptr(ttl)})
		require.NoError(t, err)
		return tok
	}
	tok := newToken("u1", 600)

	for name, a := range map[string]Access{
		"another workspace":                   {WorkspaceID: "o_b"},
		"a client limited to another project": {WorkspaceID: "o_a", ProjectIDs: []string{q.ID}},
		"another user's Connect token":        {WorkspaceID: "o_a", ProjectIDs: []string{p.ID}, ExternalUserID: "u2"},
	} {
		assert.False(t, s.RevokeToken(a, tok.Token), name)
		_, err := s.AuthenticateToken(tok.Token)
		require.NoError(t, err, "%s: the token still works", name)
	}
	assert.False(t, s.RevokeToken(wsA, "ctok_unknown"))

	assert.True(t, s.RevokeToken(Access{WorkspaceID: "o_a", ProjectIDs: []string{p.ID}}, tok.Token))
	_, err = s.AuthenticateToken(tok.Token)
	assert.ErrorContains(t, err, "unknown Connect token")
	assert.False(t, s.RevokeToken(wsA, tok.Token), "revoked once")
	v, err := s.ValidateToken(tok.Token, "slack", "", "")
	require.NoError(t, err)
	assert.False(t, v.Success)
	checkIndexes(t, s)

	own := newToken("u1", 600)
	assert.True(t, s.RevokeToken(own.Access(), own.Token), "a token's own access reaches it")

	expiring := newToken("u1", 60)
	clk.Advance(60 * time.Second)
	assert.False(t, s.RevokeToken(wsA, expiring.Token), "an expired token is gone already")
	s.mu.RLock()
	assert.Empty(t, s.tokens.byKey)
	assert.Zero(t, s.tokens.expiring.Len())
	s.mu.RUnlock()
	checkIndexes(t, s)
}
