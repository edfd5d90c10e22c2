package connect

import (
	"strings"
	"testing"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsers(t *testing.T) {
	s, _ := newStore(t)
	a := Access{WorkspaceID: "o_a"}
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)

	u1, err := s.EnsureUser(a, p.ID, Production, "alice@example.com")
	require.NoError(t, err)
	assert.Regexp(t, `^exu_`, u1.ID)
	again, err := s.EnsureUser(a, p.ID, Production, "alice@example.com")
	require.NoError(t, err)
	assert.Equal(t, u1, again, "idempotent")
	dev, err := s.EnsureUser(a, p.ID, Development, "alice@example.com")
	require.NoError(t, err)
	assert.NotEqual(t, u1.ID, dev.ID, "environments are separate")
	_, err = s.EnsureUser(a, p.ID, Production, "bob")
	require.NoError(t, err)

	prod, err := s.ListUsers(a, p.ID, Production, "", PageRequest{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 2, prod.PageInfo.TotalCount)
	devs, err := s.ListUsers(a, p.ID, Development, "", PageRequest{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, devs.PageInfo.TotalCount)
	q, err := s.ListUsers(a, p.ID, Production, "ALICE", PageRequest{Limit: 10})
	require.NoError(t, err)
	require.Len(t, q.Data, 1)
	assert.Equal(t, "alice@example.com", q.Data[0].ExternalID)

	_, err = s.ListUsers(Access{WorkspaceID: "o_b"}, p.ID, Production, "", PageRequest{Limit: 10})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	for _, bad := range []string{"", "   ", strings.Repeat("x", 251)} {
		_, err = s.EnsureUser(a, p.ID, Production, bad)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
	}
	_, err = s.EnsureUser(a, "proj_missing", Production, "x")
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

// TestAccessActingFor is the Connect API's one rule for whose records a
// call acts on.
func TestAccessActingFor(t *testing.T) {
	oauth := Access{WorkspaceID: "o_a"}
	token := Access{WorkspaceID: "o_a", ProjectIDs: []string{"proj_a"}, ExternalUserID: "alice"}
	tests := []struct {
		name      string
		a         Access
		requested string
		required  bool
		want      string
		wantErr   string
	}{
		{"OAuth names a user", oauth, "bob", true, "bob", ""},
		{"OAuth names none, optional", oauth, "", false, "", ""},
		{"OAuth names none, required", oauth, "", true, "", "external_user_id is required"},
		{"token, none named", token, "", true, "alice", ""},
		{"token names its own", token, "alice", true, "alice", ""},
		{"token names another", token, "bob", false, "", "belongs to another external user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.a.ActingFor(tc.requested, tc.required)
			if tc.wantErr != "" {
				assert.ErrorIs(t, err, apperr.ErrInvalid)
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	assert.True(t, oauth.reaches("anyone"))
	assert.True(t, token.reaches("alice"))
	assert.False(t, token.reaches("bob"))
}

func TestDeleteUserFollowsTheAccessRule(t *testing.T) {
	s, _ := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	a := Access{WorkspaceID: "o_a"}
	for _, u := range []string{"alice", "bob"} {
		_, err := s.EnsureUser(a, p.ID, Development, u)
		require.NoError(t, err)
	}
	alice := Access{WorkspaceID: "o_a", ProjectIDs: []string{p.ID}, ExternalUserID: "alice"}
	assert.ErrorIs(t, s.DeleteUser(alice, p.ID, Development, "bob"), apperr.ErrNotFound, "another user looks absent")
	require.NoError(t, s.DeleteUser(alice, p.ID, Development, "alice"))
	require.NoError(t, s.DeleteUser(a, p.ID, Development, "bob"))
}
