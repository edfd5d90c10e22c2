package connect

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/emulator/internal/scope"
)

// TestExpiredConnectTokensAreForgotten: a Connect token is stored until
// the store's clock reaches its expiry and gone at the first write (or
// Prune) from then on, with every index that held it.
func TestExpiredConnectTokensAreForgotten(t *testing.T) {
	const n, ttl = 1000, 60
	tests := []struct {
		name   string
		after  time.Duration
		write  bool // a write follows (rather than Prune)
		stored int
	}{
		{"one second before expiry, after a write", ttl*time.Second - time.Second, true, n},
		{"one nanosecond before expiry", ttl*time.Second - 1, false, n},
		{"at expiry, after a write", ttl * time.Second, true, 0},
		{"at expiry, after Prune", ttl * time.Second, false, 0},
		{"two hours later", 2 * time.Hour, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newStore(t)
			p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
			require.NoError(t, err)
			a := Access{WorkspaceID: "o_a"}
			var last ConnectToken
			for i := range n {
				last, err = s.CreateToken(a, p.ID, Development, scope.Set{scope.All},
					TokenSpec{ExternalUserID: fmt.Sprintf("u%d", i%7), ExpiresIn: ptr(ttl)})
				require.NoError(t, err)
			}
			clk.Advance(tc.after)
			if tc.write {
				_, err := s.EnsureUser(a, p.ID, Production, "someone-else")
				require.NoError(t, err)
			} else {
				s.Prune()
			}
			s.mu.RLock()
			assert.Len(t, s.tokens.byKey, tc.stored)
			assert.Equal(t, tc.stored, s.tokens.expiring.Len())
			held := 0
			for _, u := range s.users {
				held += u.tokens.Len()
			}
			assert.Equal(t, tc.stored, held, "the users' indexes let go too")
			s.mu.RUnlock()
			_, err = s.AuthenticateToken(last.Token)
			if tc.stored == n {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, "invalid_token")
			}
			checkIndexes(t, s)
		})
	}
}

func TestExpiredStashFilesAreForgotten(t *testing.T) {
	s, clk := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	for i := range 50 {
		_, err := s.PutFile(p.ID, Development, fmt.Sprintf("1day/a/b/c/u/f%d", i), []byte("x"), "")
		require.NoError(t, err)
	}
	clk.Advance(FileStashTTL - time.Second)
	s.Prune()
	assert.Len(t, s.files.byKey, 50, "a second before their day is up they are kept")
	clk.Advance(time.Second)
	_, err = s.PutFile(p.ID, Production, "1day/a/b/c/u/new", []byte("y"), "")
	require.NoError(t, err)
	assert.Len(t, s.files.byKey, 1, "at their expiry a write drops them")
	checkIndexes(t, s)
}

// TestLimitsRefuseAndTouchNothing fills each capped family to a limit of
// 2, then checks that one more is refused with limit_exceeded naming the
// limit, and that nothing stored changed.
func TestLimitsRefuseAndTouchNothing(t *testing.T) {
	type fixture struct {
		s   *Store
		a   Access
		pid string
	}
	setup := func(t *testing.T, limits Limits) fixture {
		s := NewStore(clock.NewFake(time.Time{}))
		require.NoError(t, s.SetLimits(limits))
		_, err := s.AddWorkspace(Workspace{ID: "o_a", Name: "A"})
		require.NoError(t, err)
		p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
		require.NoError(t, err)
		return fixture{s, Access{WorkspaceID: "o_a"}, p.ID}
	}
	dev := func(f fixture) AccountScope {
		return AccountScope{Access: f.a, ProjectID: f.pid, Environment: Development}
	}
	tests := []struct {
		limit  string
		create func(f fixture, i int) error
		count  func(f fixture) int
	}{
		{LimitProjects, func(f fixture, i int) error {
			_, err := f.s.CreateProject("o_a", ProjectSpec{Name: ptr(fmt.Sprint(i))})
			return err
		}, func(f fixture) int { return len(f.s.projects) }},
		{LimitExternalUsers, func(f fixture, i int) error {
			_, err := f.s.EnsureUser(f.a, f.pid, Development, fmt.Sprint("u", i))
			return err
		}, func(f fixture) int { return len(f.s.users) }},
		{LimitAccounts, func(f fixture, i int) error {
			_, err := f.s.ConnectAccount(dev(f), AccountSpec{ExternalUserID: "u", App: "slack"})
			return err
		}, func(f fixture) int { return len(f.s.accounts.byKey) }},
		{LimitConnectTokens, func(f fixture, i int) error {
			_, err := f.s.CreateToken(f.a, f.pid, Development, scope.Set{scope.All}, TokenSpec{ExternalUserID: "u"})
			return err
		}, func(f fixture) int { return len(f.s.tokens.byKey) }},
		{LimitDeployedTriggers, func(f fixture, i int) error {
			acc, err := f.s.ConnectAccount(dev(f), AccountSpec{ExternalUserID: "u", App: "slack"})
			if err != nil {
				return err
			}
			_, err = f.s.DeployTrigger(f.a, f.pid, Development, DeployRequest{PropsRequest: PropsRequest{ID: "slack-new-message-in-channels", ExternalUserID: "u",
				ConfiguredProps: map[string]any{"slack": apn(acc.ID), "conversations": []any{"C01GENERAL0"}}}})
			return err
		}, func(f fixture) int { return len(f.s.deployed.byKey) }},
		{LimitOAuthApps, func(f fixture, i int) error {
			_, err := f.s.CreateOAuthApp(f.a, f.pid, OAuthAppSpec{App: "slack", ClientID: ptr("c"), ClientSecret: ptr("s")})
			return err
		}, func(f fixture) int { return len(f.s.oauthApps.byKey) }},
		{LimitAppOverrides, func(f fixture, i int) error {
			_, err := f.s.CreateAppOverride(f.a, f.pid, AppOverrideSpec{App: "slack", Name: ptr(fmt.Sprint("o", i))})
			return err
		}, func(f fixture) int { return len(f.s.overrides.byKey) }},
		{LimitApps, func(f fixture, i int) error {
			_, err := f.s.AddApp(AppSpec{NameSlug: fmt.Sprint("acme_", i), Name: "Acme", AuthType: AuthNone})
			return err
		}, func(f fixture) int { return len(f.s.apps.bySlug) - len(builtinApps) }},
		{LimitComponents, func(f fixture, i int) error {
			_, err := f.s.RegisterComponent(ComponentSpec{Key: "acme-action", Name: "x", Version: fmt.Sprint("1.0.", i), ComponentType: KindAction})
			return err
		}, func(f fixture) int { return len(f.s.components.byID) - len(builtinComponents) }},
		{LimitWorkflows, func(f fixture, i int) error {
			_, err := f.s.RegisterWorkflow(WorkflowSpec{EndpointID: fmt.Sprint("en", i)})
			return err
		}, func(f fixture) int { return len(f.s.workflows.registered) }},
		{LimitDynamicProps, func(f fixture, i int) error {
			_, err := f.s.ReloadProps(f.a, f.pid, Development, KindAction, PropsRequest{ID: "slack-send-message", ExternalUserID: "u"})
			return err
		}, func(f fixture) int { return f.s.dynamic.size() }},
		{LimitFiles, func(f fixture, i int) error {
			_, err := f.s.PutFile(f.pid, Development, fmt.Sprint("1day/a/b/c/u/f", i), nil, "")
			return err
		}, func(f fixture) int { return len(f.s.files.byKey) }},
	}
	for _, tc := range tests {
		t.Run(tc.limit, func(t *testing.T) {
			limits := Limits{tc.limit: 2}
			if tc.limit == LimitProjects {
				limits[tc.limit] = 3 // the fixture's project is one
			}
			f := setup(t, limits)
			for i := 0; tc.count(f) < limits[tc.limit]; i++ {
				require.NoError(t, tc.create(f, i), "below the limit")
			}
			before := tc.count(f)
			users, seq := len(f.s.users), f.s.seq
			err := tc.create(f, 99)
			require.ErrorIs(t, err, apperr.ErrLimitExceeded)
			ae := apperr.As(err)
			assert.Equal(t, apperr.Forbidden, ae.Kind)
			assert.Equal(t, map[string]any{"limit": tc.limit, "max": limits[tc.limit]}, ae.Details)
			assert.Contains(t, ae.Message, fmt.Sprintf("at most %d", limits[tc.limit]))
			assert.Equal(t, before, tc.count(f), "nothing was added")
			switch tc.limit {
			case LimitDeployedTriggers, LimitAccounts: // their create connects an account first
			default:
				assert.Equal(t, users, len(f.s.users), "no user was made on the way")
				assert.Equal(t, seq, f.s.seq, "no record was made on the way")
			}
			checkIndexes(t, f.s)
		})
	}
}

func TestSetLimitsRefusesUnknownNamesAndZero(t *testing.T) {
	s := NewStore(clock.NewFake(time.Time{}))
	assert.ErrorContains(t, s.SetLimits(Limits{"users": 5}), `unknown limit "users"`)
	assert.ErrorContains(t, s.SetLimits(Limits{LimitAccounts: 0}), "at least 1")
	require.NoError(t, s.SetLimits(Limits{LimitAccounts: 1}))
	assert.Equal(t, 1, s.limits[LimitAccounts])
	assert.Equal(t, 1_000_000, s.limits[LimitExternalUsers], "names left out keep their defaults")
}

func TestUsageKeepsTheNewestSeconds(t *testing.T) {
	s, clk := newStore(t)
	require.NoError(t, s.SetLimits(Limits{LimitUsageSeconds: 3}))
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	start := clk.Now()
	for range 5 {
		s.RecordProxyCall(p.ID, Development)
		s.RecordProxyCall(p.ID, Development) // the same second: the same bucket
		clk.Advance(time.Second)
	}
	recs, err := s.Usage(Access{WorkspaceID: "o_a"}, start.Unix(), start.Unix()+86400)
	require.NoError(t, err)
	var total int64
	for _, r := range recs {
		total += r.ProxyCredits
	}
	assert.Equal(t, int64(6), total, "the oldest two seconds were dropped, the newest three kept")
	assert.Equal(t, 3, s.usage.buckets.Len())
}
