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

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k%02d", i)
	}
	return out
}

func id(s string) string { return s }

func TestParsePageRequest(t *testing.T) {
	tests := []struct {
		name                 string
		limit, after, before string
		want                 PageRequest
		wantErr              bool
	}{
		{name: "defaults", want: PageRequest{Limit: 10}},
		{name: "min", limit: "1", want: PageRequest{Limit: 1}},
		{name: "max", limit: "100", want: PageRequest{Limit: 100}},
		{name: "zero", limit: "0", wantErr: true},
		{name: "over max", limit: "101", wantErr: true},
		{name: "negative", limit: "-1", wantErr: true},
		{name: "not a number", limit: "ten", wantErr: true},
		{name: "fraction", limit: "1.5", wantErr: true},
		{name: "cursor", after: *encodeCursor("k03"), want: PageRequest{Limit: 10, After: "k03"}},
		{name: "padded std cursor", before: "azAz", want: PageRequest{Limit: 10, Before: "k03"}},
		{name: "junk cursor", after: "%%%", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePageRequest(tc.limit, tc.after, tc.before)
			if tc.wantErr {
				assert.ErrorIs(t, err, apperr.ErrInvalid)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestPaginate(t *testing.T) {
	items := keys(25)
	tests := []struct {
		name      string
		items     []string
		req       PageRequest
		want      []string
		wantStart string // "" means null
		wantEnd   string
	}{
		{name: "empty list", items: nil, req: PageRequest{Limit: 10}, want: []string{}},
		{name: "first page", items: items, req: PageRequest{Limit: 10}, want: items[:10], wantStart: "k00", wantEnd: "k09"},
		{name: "middle page", items: items, req: PageRequest{Limit: 10, After: "k09"}, want: items[10:20], wantStart: "k10", wantEnd: "k19"},
		{name: "last page has null end cursor", items: items, req: PageRequest{Limit: 10, After: "k19"}, want: items[20:], wantStart: "k20"},
		{name: "exact fit has null end cursor", items: items[:10], req: PageRequest{Limit: 10}, want: items[:10], wantStart: "k00"},
		{name: "past the end", items: items, req: PageRequest{Limit: 10, After: "k24"}, want: []string{}},
		{name: "cursor of a deleted item", items: append(append([]string{}, items[:5]...), items[6:]...), req: PageRequest{Limit: 2, After: "k05"}, want: []string{"k06", "k07"}, wantStart: "k06", wantEnd: "k07"},
		{name: "before takes the preceding page", items: items, req: PageRequest{Limit: 10, Before: "k20"}, want: items[10:20], wantStart: "k10", wantEnd: "k19"},
		{name: "before near the start", items: items, req: PageRequest{Limit: 10, Before: "k03"}, want: items[:3], wantStart: "k00", wantEnd: "k02"},
		{name: "between", items: items, req: PageRequest{Limit: 10, After: "k02", Before: "k06"}, want: items[3:6], wantStart: "k03", wantEnd: "k05"},
		{name: "crossed cursors", items: items, req: PageRequest{Limit: 10, After: "k10", Before: "k05"}, want: []string{}},
		{name: "zero limit means default", items: items, req: PageRequest{}, want: items[:10], wantStart: "k00", wantEnd: "k09"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Paginate(tc.items, id, tc.req)
			assert.Equal(t, tc.want, p.Data)
			assert.Equal(t, len(tc.want), p.PageInfo.Count)
			assert.Equal(t, len(tc.items), p.PageInfo.TotalCount)
			assert.Equal(t, cursorOrNil(tc.wantStart), p.PageInfo.StartCursor)
			assert.Equal(t, cursorOrNil(tc.wantEnd), p.PageInfo.EndCursor)
		})
	}
}

func cursorOrNil(key string) *string {
	if key == "" {
		return nil
	}
	return encodeCursor(key)
}

func TestWalkingEveryPageSeesEachItemOnce(t *testing.T) {
	items := keys(57)
	var seen []string
	req := PageRequest{Limit: 7}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 20, "pagination must end")
		p := Paginate(items, id, req)
		seen = append(seen, p.Data...)
		if p.PageInfo.EndCursor == nil {
			break
		}
		next, err := ParsePageRequest("7", *p.PageInfo.EndCursor, "")
		require.NoError(t, err)
		req = next
	}
	assert.Equal(t, items, seen)
}

func TestSeqKeySortsNumerically(t *testing.T) {
	assert.Less(t, seqKey(9), seqKey(10))
	assert.Less(t, seqKey(255), seqKey(256))
	assert.Less(t, seqKey(1<<40), seqKey(1<<40+1))
}

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

	page := s.ListProjects(Access{WorkspaceID: "o_a"}, "", PageRequest{Limit: 100})
	require.Len(t, page.Data, 12)
	for i, p := range page.Data {
		assert.Equal(t, mine[i], p.ID, "oldest first")
	}
	assert.Len(t, s.ListProjects(Access{WorkspaceID: "o_a"}, "alpha 1", PageRequest{Limit: 100}).Data, 3, "q matches names case-insensitively: 1, 10, 11")
	assert.Len(t, s.ListProjects(Access{WorkspaceID: "o_a", ProjectIDs: mine[:2]}, "", PageRequest{Limit: 100}).Data, 2)
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
