package connect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
)

func TestParseEnvironment(t *testing.T) {
	for in, want := range map[string]Environment{"": Production, "production": Production, "development": Development} {
		got, err := ParseEnvironment(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"Production", "dev", "staging", " production"} {
		_, err := ParseEnvironment(bad)
		assert.ErrorIs(t, err, apperr.ErrInvalid, bad)
	}
}

func newStore(t *testing.T) (*Store, *clock.Fake) {
	t.Helper()
	c := clock.NewFake(time.Time{})
	s := NewStore(c)
	_, err := s.AddWorkspace(Workspace{ID: "o_a", Name: "A"})
	require.NoError(t, err)
	_, err = s.AddWorkspace(Workspace{ID: "o_b", Name: "B"})
	require.NoError(t, err)
	return s, c
}

func ptr[T any](v T) *T { return &v }

func TestProjectsLifecycle(t *testing.T) {
	s, c := newStore(t)
	a := Access{WorkspaceID: "o_a"}

	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("First"), SupportEmail: ptr("help@example.com")})
	require.NoError(t, err)
	assert.Regexp(t, `^proj_[a-zA-Z0-9]+$`, p.ID)
	assert.Equal(t, clock.DefaultStart, p.CreatedAt)

	c.Set(clock.DefaultStart.Add(time.Minute))
	up, err := s.UpdateProject(a, p.ID, ProjectSpec{AppName: ptr("My App")})
	require.NoError(t, err)
	assert.Equal(t, "First", up.Name, "absent fields stay")
	assert.Equal(t, "My App", up.AppName)
	assert.Equal(t, "help@example.com", up.SupportEmail)
	assert.Equal(t, clock.DefaultStart.Add(time.Minute), up.UpdatedAt)

	got, err := s.Project(a, p.ID)
	require.NoError(t, err)
	assert.Equal(t, up, got)

	_, err = s.Project(Access{WorkspaceID: "o_b"}, p.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "another workspace sees nothing")
	_, err = s.Project(Access{WorkspaceID: "o_a", ProjectIDs: []string{"proj_other"}}, p.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound, "a project-restricted caller sees only its projects")

	_, err = s.EnsureUser(a, p.ID, Production, "u1")
	require.NoError(t, err)
	require.NoError(t, s.DeleteProject(a, p.ID))
	_, err = s.Project(a, p.ID)
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	assert.ErrorIs(t, s.DeleteProject(a, p.ID), apperr.ErrNotFound)
	assert.Empty(t, s.users, "a project's users go with it")
}

func TestProjectValidation(t *testing.T) {
	s, _ := newStore(t)
	tests := []struct {
		name    string
		ws      string
		spec    ProjectSpec
		wantErr error
	}{
		{name: "no name", ws: "o_a", spec: ProjectSpec{}, wantErr: apperr.ErrInvalid},
		{name: "blank name", ws: "o_a", spec: ProjectSpec{Name: ptr("  ")}, wantErr: apperr.ErrInvalid},
		{name: "201 chars", ws: "o_a", spec: ProjectSpec{Name: ptr(strings.Repeat("x", 201))}, wantErr: apperr.ErrInvalid},
		{name: "bad fixed id", ws: "o_a", spec: ProjectSpec{ID: "project-1", Name: ptr("x")}, wantErr: apperr.ErrInvalid},
		{name: "unknown workspace", ws: "o_zz", spec: ProjectSpec{Name: ptr("x")}, wantErr: apperr.ErrNotFound},
		{name: "200 chars", ws: "o_a", spec: ProjectSpec{Name: ptr(strings.Repeat("x", 200))}},
		{name: "fixed id", ws: "o_a", spec: ProjectSpec{ID: "proj_fixed1", Name: ptr("x")}},
		{name: "taken id", ws: "o_b", spec: ProjectSpec{ID: "proj_fixed1", Name: ptr("x")}, wantErr: apperr.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.projects)
			_, err := s.CreateProject(tc.ws, tc.spec)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
				assert.Len(t, s.projects, before)
				return
			}
			assert.NoError(t, err)
		})
	}
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("keep")})
	require.NoError(t, err)
	_, err = s.UpdateProject(Access{WorkspaceID: "o_a"}, p.ID, ProjectSpec{Name: ptr("")})
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	got, err := s.Project(Access{WorkspaceID: "o_a"}, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "keep", got.Name, "a refused update changes nothing")
}

func TestListProjectsIsScopedAndFiltered(t *testing.T) {
	s, _ := newStore(t)
	var mine []string
	for i := 0; i < 12; i++ {
		p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr(fmt.Sprintf("Alpha %d", i))})
		require.NoError(t, err)
		mine = append(mine, p.ID)
	}
	_, err := s.CreateProject("o_b", ProjectSpec{Name: ptr("Alpha elsewhere")})
	require.NoError(t, err)

	page, err := s.ListProjects(Access{WorkspaceID: "o_a"}, "", PageRequest{Limit: 100})
	require.NoError(t, err)
	require.Len(t, page.Data, 12)
	for i, p := range page.Data {
		assert.Equal(t, mine[i], p.ID, "oldest first")
	}
	page, err = s.ListProjects(Access{WorkspaceID: "o_a"}, "alpha 1", PageRequest{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Data, 3, "q matches names case-insensitively: 1, 10, 11")
	page, err = s.ListProjects(Access{WorkspaceID: "o_a", ProjectIDs: mine[:2]}, "", PageRequest{Limit: 100})
	require.NoError(t, err)
	assert.Len(t, page.Data, 2)
}

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

// decodeCursor reads a cursor as a list request's after or before would.
func decodeCursor(name, c string) (string, error) {
	if name == "before" {
		r, err := ParsePageRequest("", "", c)
		return r.Before, err
	}
	r, err := ParsePageRequest("", c, "")
	return r.After, err
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
