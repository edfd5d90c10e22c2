package connect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

func projectIDs(ps []Project) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// TestListAllProjects: every workspace's projects, oldest first, paged,
// and the index follows deletions, resets and imports.
func TestListAllProjects(t *testing.T) {
	s, _ := newStore(t)
	var want []string
	for i, ws := range []string{"o_a", "o_b", "o_a", "o_b", "o_a"} {
		p, err := s.CreateProject(ws, ProjectSpec{Name: ptr("p" + string(rune('0'+i)))})
		require.NoError(t, err)
		want = append(want, p.ID)
	}
	page, err := s.ListAllProjects(PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, want, projectIDs(page.Data))
	assert.Equal(t, 5, page.PageInfo.TotalCount)
	assert.Equal(t, "o_b", page.Data[1].WorkspaceID)

	tests := []struct {
		name  string
		limit int
		want  []string
	}{
		{"one", 1, want[:1]},
		{"two", 2, want[:2]},
		{"all but one", 4, want[:4]},
		{"exactly all", 5, want},
		{"more than all", 6, want},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListAllProjects(PageRequest{Limit: tc.limit})
			require.NoError(t, err)
			assert.Equal(t, tc.want, projectIDs(page.Data))
			if len(tc.want) < len(want) {
				after, err := decodeCursor("after", *page.PageInfo.EndCursor)
				require.NoError(t, err)
				next, err := s.ListAllProjects(PageRequest{Limit: 100, After: after})
				require.NoError(t, err)
				assert.Equal(t, want[len(tc.want):], projectIDs(next.Data), "after the page comes the rest")
			}
		})
	}

	require.NoError(t, s.DeleteProject(Access{WorkspaceID: "o_b"}, want[1]))
	page, err = s.ListAllProjects(PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, []string{want[0], want[2], want[3], want[4]}, projectIDs(page.Data))
	checkIndexes(t, s)

	n := NewStore(s.clock)
	require.NoError(t, n.Import(s.Export()))
	imported, err := n.ListAllProjects(PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, page.Data, imported.Data, "an import lists them as the exporter did")
	checkIndexes(t, n)

	_, err = s.ListAllProjects(PageRequest{After: "not-a-cursor"})
	assert.ErrorIs(t, err, apperr.ErrInvalid)

	s.Reset()
	page, err = s.ListAllProjects(PageRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Data)
}

func TestListUserSummaries(t *testing.T) {
	f := newCompFixture(t) // u1 has a Slack account in development
	f.account(t, Development, "u1", "github")
	f.account(t, Development, "u2", "slack")
	f.account(t, Production, "u1", "slack")
	_, err := f.s.EnsureUser(f.a, f.project, Development, "u3")
	require.NoError(t, err)

	page, err := f.s.ListUserSummaries(f.a, f.project, Development, "", PageRequest{})
	require.NoError(t, err)
	got := map[string]int{}
	for _, u := range page.Data {
		got[u.ExternalID] = u.AccountCount
	}
	assert.Equal(t, map[string]int{"u1": 2, "u2": 1, "u3": 0}, got)
	assert.Equal(t, "u1", page.Data[0].ExternalID, "oldest first")

	users, err := f.s.ListUsers(f.a, f.project, Development, "", PageRequest{})
	require.NoError(t, err)
	for i, u := range users.Data {
		assert.Equal(t, u, page.Data[i].ExternalUser, "the users ListUsers lists")
	}
	assert.Equal(t, users.PageInfo, page.PageInfo)

	page, err = f.s.ListUserSummaries(f.a, f.project, Production, "U", PageRequest{})
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	assert.Equal(t, 1, page.Data[0].AccountCount)

	_, err = f.s.ListUserSummaries(f.a, "proj_nope", Development, "", PageRequest{})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
	_, err = f.s.ListUserSummaries(Access{WorkspaceID: "o_b"}, f.project, Development, "", PageRequest{})
	assert.ErrorIs(t, err, apperr.ErrNotFound, "another workspace's project looks absent")
}

func triggerIDs(ts []DeployedTrigger) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.ID
	}
	return out
}

func TestListProjectTriggers(t *testing.T) {
	f := newCompFixture(t)
	first := f.deploy(t, f.slackTrigger())
	req := f.slackTrigger()
	req.ExternalUserID = "u2"
	req.ConfiguredProps = map[string]any{"slack": apn(f.account(t, Development, "u2", "slack")), "conversations": []any{"C01GENERAL0"}}
	second := f.deploy(t, req)
	third := f.deploy(t, f.slackTrigger())

	tests := []struct {
		name string
		env  Environment
		user string
		want []string
	}{
		{"everyone's", Development, "", []string{first.ID, second.ID, third.ID}},
		{"one user's", Development, "u1", []string{first.ID, third.ID}},
		{"another user's", Development, "u2", []string{second.ID}},
		{"an unknown user's", Development, "nobody", []string{}},
		{"another environment", Production, "", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := f.s.ListProjectTriggers(f.a, f.project, tc.env, tc.user, PageRequest{})
			require.NoError(t, err)
			assert.Equal(t, tc.want, triggerIDs(page.Data))
			assert.Equal(t, len(tc.want), page.PageInfo.TotalCount)
		})
	}

	page, err := f.s.ListProjectTriggers(f.a, f.project, Development, "", PageRequest{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{first.ID, second.ID}, triggerIDs(page.Data))
	after, err := decodeCursor("after", *page.PageInfo.EndCursor)
	require.NoError(t, err)
	next, err := f.s.ListProjectTriggers(f.a, f.project, Development, "", PageRequest{After: after})
	require.NoError(t, err)
	assert.Equal(t, []string{third.ID}, triggerIDs(next.Data))

	require.NoError(t, f.s.DeleteUser(f.a, f.project, Development, "u1"))
	page, err = f.s.ListProjectTriggers(f.a, f.project, Development, "", PageRequest{})
	require.NoError(t, err)
	assert.Equal(t, []string{second.ID}, triggerIDs(page.Data), "a deleted user's triggers went with them")
	checkIndexes(t, f.s)

	_, err = f.s.ListProjectTriggers(f.a, "proj_nope", Development, "", PageRequest{})
	assert.ErrorIs(t, err, apperr.ErrNotFound)
}

func TestAnyTriggerEvents(t *testing.T) {
	f := newCompFixture(t)
	tr := f.deploy(t, f.slackTrigger())
	for i := range 3 {
		_, err := f.s.EmitEvent(tr.ID, EmitSpec{Event: map[string]any{"i": i}, ID: "ev" + string(rune('0'+i))})
		require.NoError(t, err)
	}
	tests := []struct {
		name    string
		id      string
		n       int
		want    []string
		wantErr error
	}{
		{name: "newest first", id: tr.ID, n: 20, want: []string{"ev2", "ev1", "ev0"}},
		{name: "n=1", id: tr.ID, n: 1, want: []string{"ev2"}},
		{name: "n=100", id: tr.ID, n: MaxTriggerEvents, want: []string{"ev2", "ev1", "ev0"}},
		{name: "n=0", id: tr.ID, n: 0, wantErr: apperr.ErrInvalid},
		{name: "n=101", id: tr.ID, n: MaxTriggerEvents + 1, wantErr: apperr.ErrInvalid},
		{name: "unknown trigger", id: "dc_nope", n: 20, wantErr: apperr.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := f.s.AnyTriggerEvents(tc.id, tc.n)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var ids []string
			for _, ev := range evs {
				ids = append(ids, ev.ID)
			}
			assert.Equal(t, tc.want, ids)
			owned, err := f.s.TriggerEvents(f.a, f.owner(Development, "u1"), tc.id, tc.n)
			require.NoError(t, err)
			assert.Equal(t, owned, evs, "what the owner's listEvents shows")
		})
	}
}

// TestInspectTokenAgreesWithAuthenticateToken judges Connect tokens at the
// edges of every rule, and checks for each that AuthenticateToken accepts
// the token exactly when InspectToken calls it usable.
func TestInspectTokenAgreesWithAuthenticateToken(t *testing.T) {
	const ttl = 600
	tests := []struct {
		name string
		// setup makes the token and moves the world, on a fresh store.
		setup     func(t *testing.T, f compFixture, tok ConnectToken) string
		want      TokenStatus
		wantFound bool
	}{
		{name: "fresh", setup: advance(0), want: TokenUsable, wantFound: true},
		{name: "one second before expiry", setup: advance((ttl - 1) * time.Second), want: TokenUsable, wantFound: true},
		{name: "one nanosecond before expiry", setup: advance(ttl*time.Second - time.Nanosecond), want: TokenUsable, wantFound: true},
		{name: "at expiry", setup: advance(ttl * time.Second), want: TokenExpired, wantFound: true},
		{name: "after expiry, not yet pruned", setup: advance(2 * ttl * time.Second), want: TokenExpired, wantFound: true},
		{name: "after expiry, pruned", setup: func(t *testing.T, f compFixture, tok ConnectToken) string {
			f.clk.Advance(ttl * time.Second)
			f.s.Prune()
			return tok.Token
		}, want: TokenUnknown},
		{name: "used to connect an account", setup: func(t *testing.T, f compFixture, tok ConnectToken) string {
			_, err := f.s.CreateAccountWithToken(tok.Token, AccountSpec{App: "slack", ExternalUserID: tok.ExternalUserID})
			require.NoError(t, err)
			return tok.Token
		}, want: TokenUsed, wantFound: true},
		{name: "revoked", setup: func(t *testing.T, f compFixture, tok ConnectToken) string {
			require.True(t, f.s.RevokeToken(f.a, tok.Token))
			return tok.Token
		}, want: TokenUnknown},
		{name: "user deleted", setup: func(t *testing.T, f compFixture, tok ConnectToken) string {
			require.NoError(t, f.s.DeleteUser(f.a, f.project, Development, tok.ExternalUserID))
			return tok.Token
		}, want: TokenUnknown},
		{name: "well-formed, never made", setup: fixed("ctok_0123456789abcdef0123456789abcdef"), want: TokenUnknown},
		{name: "upper-case hex", setup: fixed("ctok_0123456789ABCDEF0123456789ABCDEF"), want: TokenMalformed},
		{name: "31 hex digits", setup: fixed("ctok_0123456789abcdef0123456789abcde"), want: TokenMalformed},
		{name: "33 hex digits", setup: fixed("ctok_0123456789abcdef0123456789abcdef0"), want: TokenMalformed},
		{name: "prefix only", setup: fixed("ctok_"), want: TokenMalformed},
		{name: "not a Connect token", setup: fixed("hello"), want: TokenMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newCompFixture(t)
			tok, err := f.s.CreateToken(f.a, f.project, Development, scope.Set{scope.All}, TokenSpec{ExternalUserID: "u9", ExpiresIn: ptr(ttl)})
			require.NoError(t, err)
			raw := tc.setup(t, f, tok)
			in := f.s.InspectToken(raw)
			assert.Equal(t, tc.want, in.Status)
			assert.NotEmpty(t, in.Message)
			assert.Equal(t, tc.wantFound, in.Found)
			assert.Equal(t, f.clk.Now(), in.Now)
			if tc.wantFound {
				assert.Equal(t, tok.ExpiresAt, in.Token.ExpiresAt)
				assert.Equal(t, "u9", in.Token.ExternalUserID)
				assert.Equal(t, f.project, in.Token.ProjectID)
			}
			_, err = f.s.AuthenticateToken(raw)
			assert.Equal(t, in.Status == TokenUsable, err == nil, "AuthenticateToken accepts exactly the usable tokens (error: %v)", err)
		})
	}
}

func advance(d time.Duration) func(*testing.T, compFixture, ConnectToken) string {
	return func(_ *testing.T, f compFixture, tok ConnectToken) string {
		f.clk.Advance(d)
		return tok.Token
	}
}

func fixed(raw string) func(*testing.T, compFixture, ConnectToken) string {
	return func(*testing.T, compFixture, ConnectToken) string { return raw }
}
