package ratelimit

import (
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func mustToken(t testing.TB, l *Limiter, workspaceID string, window time.Duration, n int) string {
	t.Helper()
	tok, err := l.CreateToken(workspaceID, window, n)
	require.NoError(t, err)
	return tok
}

func TestCreateToken(t *testing.T) {
	l := New()
	seen := map[string]bool{}
	for range 100 {
		tok := mustToken(t, l, "o_1", time.Minute, 10)
		assert.Regexp(t, regexp.MustCompile(`^[A-Za-z]{50}$`), tok, "50 ASCII letters, like Pipedream's example")
		assert.False(t, seen[tok])
		seen[tok] = true
	}
	assert.True(t, l.Active(), "a token makes the limiter active with no rules")
	assert.Equal(t, Stats{Tokens: 100}, l.Stats())
	assert.Equal(t, ProfileOff, l.Config().Profile, "tokens are not rules")
}

func TestCreateTokenErrors(t *testing.T) {
	tests := []struct {
		name      string
		workspace string
		window    time.Duration
		n         int
		want      string
	}{
		{"no window", "o_1", 0, 1, "window_size_seconds must be a whole number of seconds 1..86400"},
		{"negative window", "o_1", -time.Second, 1, "window_size_seconds must be"},
		{"window under a second", "o_1", 500 * time.Millisecond, 1, "window_size_seconds must be"},
		{"window not whole seconds", "o_1", 1500 * time.Millisecond, 1, "window_size_seconds must be"},
		{"window over a day", "o_1", 86401 * time.Second, 1, "window_size_seconds must be"},
		{"no requests", "o_1", time.Second, 0, "requests_per_window must be 1..1000000"},
		{"negative requests", "o_1", time.Second, -5, "requests_per_window must be 1..1000000"},
		{"too many requests", "o_1", time.Second, MaxLimit + 1, "requests_per_window must be 1..1000000"},
		{"no workspace", "", time.Second, 1, "workspace is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := New()
			_, err := l.CreateToken(tc.workspace, tc.window, tc.n)
			require.ErrorIs(t, err, apperr.ErrInvalid)
			assert.Contains(t, err.(*apperr.Error).Message, tc.want)
			assert.False(t, l.Active(), "nothing was created")
		})
	}
	l := New()
	for _, ok := range []struct {
		window time.Duration
		n      int
	}{{time.Second, 1}, {86400 * time.Second, MaxLimit}} {
		_, err := l.CreateToken("o_1", ok.window, ok.n)
		assert.NoError(t, err, "%v %d is at the edge, and valid", ok.window, ok.n)
	}
}

func TestMaxTokens(t *testing.T) {
	l := New()
	for range MaxTokens {
		mustToken(t, l, "o_1", time.Minute, 1)
	}
	_, err := l.CreateToken("o_2", time.Minute, 1)
	require.ErrorIs(t, err, apperr.ErrLimitExceeded)
	assert.Equal(t, map[string]any{"limit": LimitTokens, "max": MaxTokens}, err.(*apperr.Error).Details)
	assert.Equal(t, MaxTokens, l.Stats().Tokens)

	l.Reset()
	mustToken(t, l, "o_1", time.Minute, 1)
}

func TestCustomToken(t *testing.T) {
	l := New()
	tok := mustToken(t, l, "o_1", 10*time.Second, 2)
	req := Request{Route: "actions.run", Method: "POST", ProjectID: "proj_1", WorkspaceID: "o_1", CustomToken: tok}
	now := t0.Add(3 * time.Second)
	reset := t0.Add(10 * time.Second)

	assert.Equal(t, Verdict{Allowed: true, Rule: CustomRule, Limit: 2, Remaining: 1, Reset: reset}, check(t, l, req, now),
		"custom tokens apply while the rules are off")
	assert.Equal(t, Verdict{Allowed: true, Rule: CustomRule, Limit: 2, Remaining: 0, Reset: reset}, check(t, l, req, now))
	assert.Equal(t, Verdict{Rule: CustomRule, Limit: 2, Reset: reset, RetryAfter: 7 * time.Second}, check(t, l, req, now))

	noToken := req
	noToken.CustomToken = ""
	assert.Equal(t, Verdict{Allowed: true}, check(t, l, noToken, now), "a request without the header is not limited by it")

	other := req
	other.CustomToken = mustToken(t, l, "o_1", 10*time.Second, 2)
	assert.True(t, check(t, l, other, now).Allowed, "each token counts separately")

	assert.Equal(t, Verdict{Rule: CustomRule, Limit: 2, Reset: reset, RetryAfter: time.Second}, check(t, l, req, reset.Add(-time.Second)))
	assert.Equal(t, Verdict{Allowed: true, Rule: CustomRule, Limit: 2, Remaining: 1, Reset: reset.Add(10 * time.Second)}, check(t, l, req, reset))
}

func TestCustomTokenOfAnotherWorkspace(t *testing.T) {
	l := New()
	tok := mustToken(t, l, "o_1", time.Minute, 5)
	for name, req := range map[string]Request{
		"another workspace": {Route: "x", WorkspaceID: "o_2", CustomToken: tok},
		"no workspace":      {Route: "x", CustomToken: tok},
		"unknown token":     {Route: "x", WorkspaceID: "o_1", CustomToken: "CiKpqRdTmNwLfhzSvYxBjAkMnVbXuQrWeZyHgPtJsDcEvFpLnE"},
		"a token's prefix":  {Route: "x", WorkspaceID: "o_1", CustomToken: tok[:49]},
	} {
		_, err := l.Check(req, t0)
		require.ErrorIs(t, err, apperr.ErrInvalid, name)
		assert.Equal(t, "x-pd-rate-limit is not a rate limit token of this workspace", err.(*apperr.Error).Message, name)
	}
	assert.Empty(t, l.Counters(t0), "a refused token counts nothing")

	// Even with no tokens and no rules at all, a token is checked.
	_, err := New().Check(Request{Route: "x", WorkspaceID: "o_1", CustomToken: tok}, t0)
	assert.ErrorIs(t, err, apperr.ErrInvalid)
}

func TestCustomTokenWithRules(t *testing.T) {
	t.Run("the token is closer to its limit", func(t *testing.T) {
		l := newLimiter(t, perProject("r", 5))
		req := Request{Route: "x", ProjectID: "proj_1", WorkspaceID: "o_1", CustomToken: mustToken(t, l, "o_1", time.Minute, 2)}
		assert.Equal(t, CustomRule, check(t, l, req, t0).Rule, "the verdict names the limit with the fewest requests left")
		check(t, l, req, t0)
		v := check(t, l, req, t0)
		assert.False(t, v.Allowed)
		assert.Equal(t, CustomRule, v.Rule)
		assert.Equal(t, []Counter{
			{Rule: "r", Key: "proj_1", Count: 2, Limit: 5, WindowStart: t0, Reset: t0.Add(time.Minute)},
			{Rule: CustomRule, Key: req.CustomToken[:6] + "…", Count: 2, Limit: 2, WindowStart: t0, Reset: t0.Add(time.Minute)},
		}, l.Counters(t0), "custom counters come after the rules', and a token is not shown whole")
	})
	t.Run("the rule is at its limit first", func(t *testing.T) {
		l := newLimiter(t, perProject("r", 1))
		req := Request{Route: "x", ProjectID: "proj_1", WorkspaceID: "o_1", CustomToken: mustToken(t, l, "o_1", time.Minute, 1)}
		check(t, l, req, t0)
		assert.Equal(t, "r", check(t, l, req, t0).Rule, "both are at their limit: rules come before the custom token")
		l2 := newLimiter(t, perProject("r", 1))
		req.CustomToken = mustToken(t, l2, "o_1", time.Minute, 5)
		check(t, l2, req, t0)
		assert.Equal(t, "r", check(t, l2, req, t0).Rule)
		for _, c := range l2.Counters(t0) {
			assert.Equal(t, 1, c.Count, "%s: a request the rule throttles does not count on the token", c.Rule)
		}
	})
}

func TestSetKeepsTokensAndTheirCountsResetDropsThem(t *testing.T) {
	l := New()
	tok := mustToken(t, l, "o_1", time.Minute, 1)
	req := Request{Route: "x", WorkspaceID: "o_1", CustomToken: tok}
	check(t, l, req, t0)
	require.False(t, check(t, l, req, t0).Allowed)

	require.NoError(t, l.Set(Config{Profile: ProfilePipedream}))
	assert.False(t, check(t, l, req, t0).Allowed, "Set keeps the token and its count: new rules refill no user's quota")
	assert.True(t, check(t, l, req, t0.Add(time.Minute)).Allowed, "the token's next window")
	require.NoError(t, l.Set(Config{Profile: ProfileOff}))
	assert.True(t, l.Active(), "off, but a token exists")

	l.Reset()
	assert.False(t, l.Active())
	assert.Equal(t, Stats{}, l.Stats())
	_, err := l.Check(req, t0)
	assert.ErrorIs(t, err, apperr.ErrInvalid, "Reset drops the tokens")
}

func TestConcurrentTokens(t *testing.T) {
	const goroutines, each, limit = 16, 40, 100
	l := New()
	tok := mustToken(t, l, "o_1", time.Hour, limit)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range goroutines {
		wg.Go(func() {
			if _, err := l.CreateToken("o_2", time.Minute, 1); err != nil {
				t.Error(err)
			}
			for range each {
				v, err := l.Check(Request{Route: "x", WorkspaceID: "o_1", CustomToken: tok}, t0)
				if err != nil {
					t.Error(err)
					return
				}
				if v.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, limit, allowed)
	assert.Equal(t, goroutines+1, l.Stats().Tokens)
}

func BenchmarkCheckCustomToken(b *testing.B) {
	l := New()
	tok, err := l.CreateToken("o_1", time.Minute, MaxLimit)
	if err != nil {
		b.Fatal(err)
	}
	req := Request{Route: "actions.run", Method: "POST", ProjectID: "proj_1", WorkspaceID: "o_1", CustomToken: tok}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Check(req, t0); err != nil {
			b.Fatal(err)
		}
	}
}
