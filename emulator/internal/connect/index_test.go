package connect

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/internal/scope"
	"github.com/pdemu/pdemu/emulator/internal/seqset"
)

// checkIndexes compares every index with a scan of the family it indexes:
// what a list walks must be exactly what a scan and sort would find.
func checkIndexes(t *testing.T, s *Store) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := func(set *seqset.Set[*userRecord]) []string {
		var out []string
		for _, u := range set.All() {
			out = append(out, u.ID)
		}
		return out
	}
	scanned := func(keep func(*userRecord) bool) []string {
		var us []*userRecord
		for _, u := range s.users {
			if keep(u) {
				us = append(us, u)
			}
		}
		slices.SortFunc(us, func(a, b *userRecord) int { return cmp.Compare(a.seq, b.seq) })
		var out []string
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	sortedIDs := func(items map[uint64]string) []string {
		var seqs []uint64
		for k := range items {
			seqs = append(seqs, k)
		}
		slices.Sort(seqs)
		var out []string
		for _, k := range seqs {
			out = append(out, items[k])
		}
		return out
	}
	setIDs := func(all func(func(uint64, string) bool)) []string {
		var out []string
		for _, id := range all {
			out = append(out, id)
		}
		return out
	}
	for wid, w := range s.workspaces {
		want := map[uint64]string{}
		for _, p := range s.projects {
			if p.WorkspaceID == wid {
				want[p.seq] = p.ID
			}
		}
		require.Equal(t, sortedIDs(want), setIDs(func(yield func(uint64, string) bool) {
			for seq, p := range w.projects.All() {
				yield(seq, p.ID)
			}
		}), "projects of %s", wid)
	}
	allProjects := map[uint64]string{}
	for _, p := range s.projects {
		allProjects[p.seq] = p.ID
	}
	require.Equal(t, sortedIDs(allProjects), setIDs(func(yield func(uint64, string) bool) {
		for seq, p := range s.allProjects.All() {
			yield(seq, p.ID)
		}
	}), "every workspace's projects")
	for _, p := range s.projects {
		for _, env := range []Environment{Development, Production} {
			require.Equal(t, scanned(func(u *userRecord) bool { return u.ProjectID == p.ID && u.Environment == env }),
				ids(&p.users[env.index()]), "users of %s %s", p.ID, env)
			triggers := map[uint64]string{}
			for _, tr := range s.deployed.byKey {
				if tr.ProjectID == p.ID && tr.Environment == env {
					triggers[tr.seq] = tr.ID
				}
			}
			require.Equal(t, sortedIDs(triggers), setIDs(func(yield func(uint64, string) bool) {
				for seq, tr := range p.triggers[env.index()].All() {
					yield(seq, tr.ID)
				}
			}), "triggers of %s %s", p.ID, env)
			want := map[uint64]string{}
			for _, a := range s.accounts.byKey {
				if a.ProjectID == p.ID && a.Environment == env {
					want[a.seq] = a.ID
				}
			}
			require.Equal(t, sortedIDs(want), setIDs(func(yield func(uint64, string) bool) {
				for seq, a := range p.accounts[env.index()].All() {
					yield(seq, a.ID)
				}
			}), "accounts of %s %s", p.ID, env)
		}
	}
	for _, u := range s.users {
		accounts, triggers, tokens := map[uint64]string{}, map[uint64]string{}, map[uint64]string{}
		for _, a := range s.accounts.byKey {
			if a.ProjectID == u.ProjectID && a.Environment == u.Environment && a.ExternalUserID == u.ExternalID {
				accounts[a.seq] = a.ID
			}
		}
		for _, tr := range s.deployed.byKey {
			if tr.ProjectID == u.ProjectID && tr.Environment == u.Environment && tr.ExternalUserID == u.ExternalID {
				triggers[tr.seq] = tr.ID
			}
		}
		for _, tok := range s.tokens.byKey {
			if tok.ProjectID == u.ProjectID && tok.Environment == u.Environment && tok.ExternalUserID == u.ExternalID {
				tokens[tok.seq] = tok.Token
			}
		}
		require.Equal(t, sortedIDs(accounts), setIDs(func(yield func(uint64, string) bool) {
			for seq, a := range u.accounts.All() {
				yield(seq, a.ID)
			}
		}), "accounts of user %s", u.ExternalID)
		require.Equal(t, sortedIDs(triggers), setIDs(func(yield func(uint64, string) bool) {
			for seq, tr := range u.triggers.All() {
				yield(seq, tr.ID)
			}
		}), "triggers of user %s", u.ExternalID)
		require.Equal(t, sortedIDs(tokens), setIDs(func(yield func(uint64, string) bool) {
			for seq, tok := range u.tokens.All() {
				yield(seq, tok.Token)
			}
		}), "tokens of user %s", u.ExternalID)
	}
	for _, p := range s.projects {
		files, apps, overrides := map[uint64]string{}, map[uint64]string{}, map[uint64]string{}
		for _, f := range s.files.byKey {
			if f.ProjectID == p.ID {
				files[f.seq] = f.S3Key
			}
		}
		for _, o := range s.oauthApps.byKey {
			if o.OwnerID == p.ID {
				apps[o.seq] = o.ID
			}
		}
		for _, o := range s.overrides.byKey {
			if o.OwnerID == p.ID {
				overrides[o.seq] = o.ID
			}
		}
		require.Equal(t, sortedIDs(files), setIDs(func(yield func(uint64, string) bool) {
			for seq, f := range p.files.All() {
				yield(seq, f.S3Key)
			}
		}), "files of %s", p.ID)
		require.Equal(t, sortedIDs(apps), setIDs(func(yield func(uint64, string) bool) {
			for seq, o := range p.oauthApps.All() {
				yield(seq, o.ID)
			}
		}), "oauth apps of %s", p.ID)
		require.Equal(t, sortedIDs(overrides), setIDs(func(yield func(uint64, string) bool) {
			for seq, o := range p.overrides.All() {
				yield(seq, o.ID)
			}
		}), "overrides of %s", p.ID)
	}
	filed := 0
	for project, users := range s.dynamic.byProject {
		require.Contains(t, s.projects, project, "a deleted project's results went with it")
		for k, set := range users {
			require.Equal(t, project, k.project)
			for _, d := range set.All() {
				require.Equal(t, k, d.user)
				require.Same(t, d, s.dynamic.byID[d.ID], "every filed result is kept by id")
				filed++
			}
		}
	}
	require.Equal(t, len(s.dynamic.byID), filed, "every result is filed under its user")
	require.Equal(t, len(s.tokens.byKey), s.tokens.expiring.Len(), "every token is filed by expiry, and only they")
	require.Equal(t, len(s.files.byKey), s.files.expiring.Len(), "every file is filed by expiry, and only they")
}

// TestIndexesFollowRandomOperations runs random creates, deletes, cascades
// and clock moves, checking after each that every index still equals a
// scan of the family it indexes.
func TestIndexesFollowRandomOperations(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 11))
	s, clk := newStore(t)
	a := Access{WorkspaceID: "o_a"}
	var projects []string
	newProject := func() {
		p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr(fmt.Sprintf("p%d", len(projects)))})
		require.NoError(t, err)
		projects = append(projects, p.ID)
	}
	newProject()
	pick := func() (string, Environment, string) {
		env := []Environment{Development, Production}[rng.IntN(2)]
		return projects[rng.IntN(len(projects))], env, fmt.Sprintf("u%d", rng.IntN(12))
	}
	for step := range 3000 {
		pid, env, user := pick()
		sc := AccountScope{Access: a, ProjectID: pid, Environment: env}
		switch op := rng.IntN(100); {
		case op < 3:
			newProject()
		case op < 5 && len(projects) > 1:
			i := rng.IntN(len(projects))
			require.NoError(t, s.DeleteProject(a, projects[i]))
			projects = slices.Delete(projects, i, i+1)
		case op < 25:
			_, err := s.EnsureUser(a, pid, env, user)
			require.NoError(t, err)
		case op < 35:
			err := s.DeleteUser(a, pid, env, user)
			if err != nil {
				require.ErrorContains(t, err, "no external user")
			}
		case op < 55:
			_, err := s.ConnectAccount(sc, AccountSpec{ExternalUserID: user, App: "slack"})
			require.NoError(t, err)
		case op < 65:
			page, err := s.ListAccounts(sc, AccountFilter{ExternalUserID: user}, PageRequest{Limit: 100})
			require.NoError(t, err)
			if len(page.Data) > 0 {
				require.NoError(t, s.DeleteAccount(sc, page.Data[rng.IntN(len(page.Data))].ID))
			}
		case op < 80:
			ttl := 1 + rng.IntN(120)
			_, err := s.CreateToken(a, pid, env, scope.Set{scope.All}, TokenSpec{ExternalUserID: user, ExpiresIn: &ttl})
			require.NoError(t, err)
		case op < 90:
			acc, err := s.ConnectAccount(sc, AccountSpec{ExternalUserID: user, App: "slack"})
			require.NoError(t, err)
			_, err = s.DeployTrigger(a, pid, env, DeployRequest{PropsRequest: PropsRequest{ID: "slack-new-message-in-channels", ExternalUserID: user,
				ConfiguredProps: map[string]any{"slack": apn(acc.ID), "conversations": []any{"C01GENERAL0"}}}})
			require.NoError(t, err)
		case op < 95:
			page, err := s.ListDeployedTriggers(a, TriggerOwner{pid, env, user}, EmitterSource, PageRequest{Limit: 100})
			require.NoError(t, err)
			if len(page.Data) > 0 {
				require.NoError(t, s.DeleteDeployedTrigger(a, TriggerOwner{pid, env, user}, page.Data[0].ID))
			}
		case op < 96:
			_, err := s.PutFile(pid, env, fmt.Sprintf("1day/a/b/c/u/f%d", rng.IntN(8)), []byte("x"), "")
			require.NoError(t, err)
		case op < 97:
			_, err := s.CreateOAuthApp(a, pid, OAuthAppSpec{App: "slack", ClientID: ptr("c"), ClientSecret: ptr("s")})
			require.NoError(t, err)
		case op < 98:
			_, err := s.ReloadProps(a, pid, env, KindAction, PropsRequest{ID: "slack-send-message", ExternalUserID: user})
			require.NoError(t, err)
		default:
			clk.Advance(time.Duration(rng.IntN(90*60)) * time.Second)
			s.Prune()
		}
		if step%50 == 0 {
			checkIndexes(t, s)
		}
	}
	checkIndexes(t, s)
}
