package ratelimit

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// t0 is a round instant: a whole day, so every window of a day or less
// starts exactly there.
var t0 = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

func newLimiter(t testing.TB, rules ...Rule) *Limiter {
	t.Helper()
	l := New()
	require.NoError(t, l.Set(Config{Rules: rules}))
	return l
}

func check(t testing.TB, l *Limiter, req Request, now time.Time) Verdict {
	t.Helper()
	v, err := l.Check(req, now)
	require.NoError(t, err)
	return v
}

// perProject is a rule of limit n per minute that tests vary the patterns
// of.
func perProject(name string, n int) Rule {
	return Rule{Name: name, Route: "**", Key: KeyProject, Limit: n, Window: time.Minute}
}

func TestNewIsOff(t *testing.T) {
	l := New()
	assert.False(t, l.Active())
	assert.Equal(t, Config{Profile: ProfileOff, Rules: []Rule{}}, l.Config())
	for range 1000 {
		assert.Equal(t, Verdict{Allowed: true}, check(t, l, Request{Route: "accounts.list", Method: "GET", ProjectID: "proj_1"}, t0))
	}
	assert.Empty(t, l.Counters(t0))
}

func TestMatching(t *testing.T) {
	const p = "/v1/connect/proj_1"
	tests := []struct {
		name                string
		route, path, method string // the rule's patterns
		req                 Request
		want                bool
	}{
		{"route exact", "proxy.get", "", "", Request{Route: "proxy.get"}, true},
		{"route exact, other route", "proxy.get", "", "", Request{Route: "proxy.post"}, false},
		{"route star", "accounts.*", "", "", Request{Route: "accounts.listByExternalUser"}, true},
		{"route star is a prefix match only", "accounts.*", "", "", Request{Route: "account.list"}, false},
		{"route star, other family", "accounts.*", "", "", Request{Route: "projects.list"}, false},
		{"route leading star", "*.list", "", "", Request{Route: "users.list"}, true},
		{"route alternatives", "components.*|actions.*", "", "", Request{Route: "actions.run"}, true},
		{"route alternatives, none", "components.*|actions.*", "", "", Request{Route: "triggers.deploy"}, false},
		{"route is case-sensitive", "accounts.list", "", "", Request{Route: "Accounts.list"}, false},
		{"route question mark", "proxy.p?t", "", "", Request{Route: "proxy.put"}, true},
		{"path star", "", "/v1/connect/*/accounts", "", Request{Path: p + "/accounts"}, true},
		{"path star stops at a slash", "", "/v1/connect/*/accounts", "", Request{Path: p + "/accounts/apn_1"}, false},
		{"path double star", "", "/v1/connect/*/accounts/**", "", Request{Path: p + "/accounts/apn_1"}, true},
		{"path double star crosses slashes", "", "/v1/connect/**", "", Request{Path: p + "/proxy/aGVsbG8"}, true},
		{"path, other prefix", "", "/v1/connect/**", "", Request{Path: "/v1/oauth/token"}, false},
		{"route and path both match", "accounts.*", "/v1/connect/**", "", Request{Route: "accounts.list", Path: p + "/accounts"}, true},
		{"route matches, path does not", "accounts.*", "/v1/apps/**", "", Request{Route: "accounts.list", Path: p + "/accounts"}, false},
		{"path matches, route does not", "proxy.*", "/v1/connect/**", "", Request{Route: "accounts.list", Path: p + "/accounts"}, false},
		{"any method", "accounts.*", "", "", Request{Route: "accounts.list", Method: "OPTIONS"}, true},
		{"method alternatives", "accounts.*", "", "GET|DELETE", Request{Route: "accounts.delete", Method: "DELETE"}, true},
		{"method alternatives, none", "accounts.*", "", "GET|DELETE", Request{Route: "accounts.create", Method: "POST"}, false},
		{"method in lower case", "accounts.*", "", "GET|DELETE", Request{Route: "accounts.list", Method: "get"}, true},
		{"method pattern in lower case", "accounts.*", "", "get", Request{Route: "accounts.list", Method: "GET"}, true},
		{"method glob", "proxy.*", "", "P*", Request{Route: "proxy.patch", Method: "PATCH"}, true},
		{"method glob, no match", "proxy.*", "", "P*", Request{Route: "proxy.get", Method: "GET"}, false},
		{"method required but absent", "proxy.*", "", "GET", Request{Route: "proxy.get"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(t, Rule{Name: "r", Route: tc.route, Path: tc.path, Method: tc.method, Key: KeyProject, Limit: 1, Window: time.Minute})
			tc.req.ProjectID = "proj_1"
			first := check(t, l, tc.req, t0)
			second := check(t, l, tc.req, t0)
			assert.True(t, first.Allowed)
			if tc.want {
				assert.Equal(t, "r", first.Rule)
				assert.False(t, second.Allowed, "the rule applies, so its limit of 1 throttles the second request")
			} else {
				assert.Equal(t, Verdict{Allowed: true}, first, "no rule applies")
				assert.Equal(t, Verdict{Allowed: true}, second)
				assert.Empty(t, l.Counters(t0), "a rule that does not apply counts nothing")
			}
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		key Key
		// a and same share the key value, other differs, none lacks it.
		a, same, other, none Request
		wantKey              string // as Counters shows a's counter
	}{
		{
			key:     KeyIP,
			a:       Request{IP: "192.0.2.1", ProjectID: "proj_1", ClientID: "oc_1"},
			same:    Request{IP: "192.0.2.1", ProjectID: "proj_2", ClientID: "oc_2"},
			other:   Request{IP: "192.0.2.2", ProjectID: "proj_1", ClientID: "oc_1"},
			none:    Request{ProjectID: "proj_1", ClientID: "oc_1"},
			wantKey: "192.0.2.1",
		},
		{
			key:     KeyClient,
			a:       Request{ClientID: "oc_1", IP: "192.0.2.1"},
			same:    Request{ClientID: "oc_1", IP: "192.0.2.2"},
			other:   Request{ClientID: "oc_2", IP: "192.0.2.1"},
			none:    Request{IP: "192.0.2.1"},
			wantKey: "oc_1",
		},
		{
			key:     KeyProject,
			a:       Request{ProjectID: "proj_1", ExternalUserID: "u1"},
			same:    Request{ProjectID: "proj_1", ExternalUserID: "u2"},
			other:   Request{ProjectID: "proj_2", ExternalUserID: "u1"},
			none:    Request{ExternalUserID: "u1", IP: "192.0.2.1"},
			wantKey: "proj_1",
		},
		{
			key:  KeyExternalUser,
			a:    Request{ProjectID: "proj_1", ExternalUserID: "u1", IP: "192.0.2.1"},
			same: Request{ProjectID: "proj_1", ExternalUserID: "u1", IP: "192.0.2.2"},
			// The same external user id in another project is another user.
			other:   Request{ProjectID: "proj_2", ExternalUserID: "u1", IP: "192.0.2.1"},
			none:    Request{ProjectID: "proj_1", IP: "192.0.2.1"},
			wantKey: "proj_1/u1",
		},
	}
	for _, tc := range tests {
		t.Run(string(tc.key), func(t *testing.T) {
			l := newLimiter(t, Rule{Name: "r", Route: "x", Key: tc.key, Limit: 1, Window: time.Minute})
			at := func(r Request) Request { r.Route = "x"; return r }
			assert.True(t, check(t, l, at(tc.a), t0).Allowed)
			assert.False(t, check(t, l, at(tc.same), t0).Allowed, "the same key value shares the counter")
			assert.True(t, check(t, l, at(tc.other), t0).Allowed, "another key value has its own counter")
			for range 3 {
				assert.Equal(t, Verdict{Allowed: true}, check(t, l, at(tc.none), t0), "a request without the key value is not limited by the rule")
			}
			counters := l.Counters(t0)
			require.Len(t, counters, 2)
			keys := []string{counters[0].Key, counters[1].Key}
			assert.Contains(t, keys, tc.wantKey)
		})
	}
}

func TestPipedreamProfile(t *testing.T) {
	const p = "/v1/connect/proj_1"
	tests := []struct {
		route, method, path string
		want                string // the rule that counts it, "" for none
	}{
		{"tokens.create", "POST", p + "/tokens", "connect-tokens"},
		{"accounts.list", "GET", p + "/accounts", "accounts"},
		{"accounts.create", "POST", p + "/accounts", ""},
		{"accounts.retrieve", "GET", p + "/accounts/apn_1", "accounts"},
		{"accounts.delete", "DELETE", p + "/accounts/apn_1", "accounts"},
		{"accounts.deleteByApp", "DELETE", p + "/apps/app_1/accounts", "accounts"},
		{"accounts.listByExternalUser", "GET", p + "/users/u1/accounts", "accounts"},
		{"components.list", "GET", p + "/components", "list-tools"},
		{"components.retrieve", "GET", p + "/components/gitlab-list-commits", "list-tools"},
		{"components.configureProp", "POST", p + "/components/configure", "tool-execution"},
		{"components.reloadProps", "POST", p + "/components/props", "tool-execution"},
		{"actions.list", "GET", p + "/actions", "list-tools"},
		{"actions.retrieve", "GET", p + "/actions/gitlab-list-commits", "list-tools"},
		{"actions.configureProp", "POST", p + "/actions/configure", "tool-execution"},
		{"actions.reloadProps", "POST", p + "/actions/props", "tool-execution"},
		{"actions.run", "POST", p + "/actions/run", "tool-execution"},
		{"triggers.list", "GET", p + "/triggers", "list-tools"},
		{"triggers.retrieve", "GET", p + "/triggers/gitlab-new-commit", "list-tools"},
		{"triggers.configureProp", "POST", p + "/triggers/configure", "tool-execution"},
		{"triggers.reloadProps", "POST", p + "/triggers/props", "tool-execution"},
		{"triggers.deploy", "POST", p + "/triggers/deploy", "tool-execution"},
		{"proxy.get", "GET", p + "/proxy/aGVsbG8", "proxy"},
		{"proxy.post", "POST", p + "/proxy/aGVsbG8", "proxy"},
		{"proxy.put", "PUT", p + "/proxy/aGVsbG8", ""},
		{"proxy.delete", "DELETE", p + "/proxy/aGVsbG8", ""},
		{"proxy.patch", "PATCH", p + "/proxy/aGVsbG8", ""},
		{"oauthTokens.create", "POST", "/v1/oauth/token", ""},
		{"projects.list", "GET", "/v1/connect/projects", ""},
		{"users.list", "GET", p + "/users", ""},
	}
	limits := map[string]int{"connect-tokens": 100, "accounts": 2000, "list-tools": 3000, "tool-execution": 2000, "proxy": 1000}
	for _, tc := range tests {
		t.Run(tc.route, func(t *testing.T) {
			l := New()
			require.NoError(t, l.Set(Config{Profile: ProfilePipedream}))
			req := Request{
				Route: tc.route, Method: tc.method, Path: tc.path,
				IP: "192.0.2.1", ClientID: "oc_1", ExternalUserID: "u1", ProjectID: "proj_1", WorkspaceID: "o_1",
			}
			v := check(t, l, req, t0.Add(90*time.Second))
			if tc.want == "" {
				assert.Equal(t, Verdict{Allowed: true}, v)
				return
			}
			reset := t0.Add(5 * time.Minute)
			if tc.want == "connect-tokens" {
				reset = t0.Add(2 * time.Minute) // a one-minute window
			}
			assert.Equal(t, Verdict{
				Allowed: true, Rule: tc.want, Limit: limits[tc.want], Remaining: limits[tc.want] - 1,
				Reset: reset,
			}, v)
		})
	}
}

func TestPipedreamProfileShares(t *testing.T) {
	l := New()
	require.NoError(t, l.Set(Config{Profile: ProfilePipedream}))
	now := t0.Add(10 * time.Second)
	req := func(route, method, project, user string) Request {
		return Request{Route: route, Method: method, ProjectID: project, ExternalUserID: user, IP: "192.0.2.1"}
	}

	// Connect tokens: 100 per minute per external user.
	for i := range 100 {
		require.True(t, check(t, l, req("tokens.create", "POST", "proj_1", "u1"), now).Allowed, "token %d", i+1)
	}
	v := check(t, l, req("tokens.create", "POST", "proj_1", "u1"), now)
	assert.Equal(t, Verdict{Rule: "connect-tokens", Limit: 100, Reset: t0.Add(time.Minute), RetryAfter: 50 * time.Second}, v)
	assert.True(t, check(t, l, req("tokens.create", "POST", "proj_1", "u2"), now).Allowed, "another user of the project has his own 100")
	assert.True(t, check(t, l, req("tokens.create", "POST", "proj_2", "u1"), now).Allowed, "u1 of another project is another user")
	assert.True(t, check(t, l, req("accounts.list", "GET", "proj_1", "u1"), now).Allowed, "other endpoints are not affected")

	// Every POST to a component endpoint shares tool-execution, per project.
	posts := []string{"actions.run", "components.configureProp", "triggers.reloadProps", "triggers.deploy"}
	for i := range 2000 {
		require.True(t, check(t, l, req(posts[i%len(posts)], "POST", "proj_1", ""), now).Allowed, "post %d", i+1)
	}
	for _, route := range posts {
		v := check(t, l, req(route, "POST", "proj_1", "u1"), now)
		assert.Equal(t, "tool-execution", v.Rule, route)
		assert.False(t, v.Allowed, route)
	}
	assert.True(t, check(t, l, req("actions.run", "POST", "proj_2", "u1"), now).Allowed, "another project has its own 2,000")
	assert.True(t, check(t, l, req("actions.list", "GET", "proj_1", "u1"), now).Allowed, "listing tools is a separate limit")

	// The accounts routes share one counter per project, GET and DELETE.
	gets := []struct{ route, method string }{{"accounts.list", "GET"}, {"accounts.retrieve", "GET"}, {"accounts.delete", "DELETE"}, {"accounts.deleteByApp", "DELETE"}, {"accounts.listByExternalUser", "GET"}}
	for i := range 2000 - 1 { // one accounts.list above
		g := gets[i%len(gets)]
		require.True(t, check(t, l, req(g.route, g.method, "proj_1", ""), now).Allowed, "accounts request %d", i+2)
	}
	assert.False(t, check(t, l, req("accounts.retrieve", "GET", "proj_1", ""), now).Allowed)
	assert.True(t, check(t, l, req("accounts.create", "POST", "proj_1", "u1"), now).Allowed, "creating an account is not an accounts request of the limit")

	// Windows are five minutes long, aligned on the epoch.
	later := t0.Add(5 * time.Minute)
	assert.True(t, check(t, l, req("accounts.retrieve", "GET", "proj_1", ""), later).Allowed)
	assert.True(t, check(t, l, req("actions.run", "POST", "proj_1", ""), later).Allowed)
}

func TestBoundaries(t *testing.T) {
	l := newLimiter(t, perProject("r", 3))
	req := Request{Route: "x", ProjectID: "proj_1"}
	reset := t0.Add(time.Minute)

	for i, want := range []int{2, 1, 0} {
		v := check(t, l, req, t0.Add(10*time.Second))
		assert.Equal(t, Verdict{Allowed: true, Rule: "r", Limit: 3, Remaining: want, Reset: reset}, v, "request %d", i+1)
	}
	throttled := func(now time.Time, retry time.Duration) {
		t.Helper()
		assert.Equal(t, Verdict{Rule: "r", Limit: 3, Reset: reset, RetryAfter: retry}, check(t, l, req, now), "at %v", now.Sub(t0))
	}
	throttled(t0.Add(10*time.Second), 50*time.Second)
	throttled(t0.Add(58*time.Second+200*time.Millisecond), 2*time.Second)
	throttled(t0.Add(59*time.Second), time.Second)
	throttled(t0.Add(59*time.Second+999*time.Millisecond), time.Second)

	// At reset a new window starts, with a fresh count.
	v := check(t, l, req, reset)
	assert.Equal(t, Verdict{Allowed: true, Rule: "r", Limit: 3, Remaining: 2, Reset: t0.Add(2 * time.Minute)}, v)
	assert.Equal(t, []Counter{{Rule: "r", Key: "proj_1", Count: 1, Limit: 3, WindowStart: reset, Reset: t0.Add(2 * time.Minute)}}, l.Counters(reset))
}

func TestWindowsAreEpochAligned(t *testing.T) {
	l := newLimiter(t, Rule{Name: "five", Route: "x", Key: KeyProject, Limit: 1, Window: 5 * time.Minute})
	req := Request{Route: "x", ProjectID: "proj_1"}

	// The last second of one window and the first of the next.
	last := t0.Add(-time.Second)
	assert.True(t, check(t, l, req, last).Allowed)
	v := check(t, l, req, last.Add(999*time.Millisecond))
	assert.Equal(t, Verdict{Rule: "five", Limit: 1, Reset: t0, RetryAfter: time.Second}, v)
	assert.True(t, check(t, l, req, t0).Allowed)

	// A request in the middle of a window is in the window that began at
	// the last multiple of five minutes, whenever the first request came.
	v = check(t, l, Request{Route: "x", ProjectID: "proj_2"}, t0.Add(7*time.Minute+30*time.Second))
	assert.Equal(t, t0.Add(10*time.Minute), v.Reset)
	v = check(t, l, Request{Route: "x", ProjectID: "proj_2"}, t0.Add(9*time.Minute))
	assert.Equal(t, time.Minute, v.RetryAfter)

	// Before 1970 too.
	old := time.Unix(-1, 0)
	v = check(t, l, Request{Route: "x", ProjectID: "proj_3"}, old)
	assert.Equal(t, time.Unix(0, 0).UTC(), v.Reset)
}

func TestThrottledRequestCountsNothing(t *testing.T) {
	l := newLimiter(t, perProject("wide", 5), perProject("narrow", 1), perProject("also-narrow", 1))
	req := Request{Route: "x", ProjectID: "proj_1"}

	v := check(t, l, req, t0)
	assert.Equal(t, Verdict{Allowed: true, Rule: "narrow", Limit: 1, Remaining: 0, Reset: t0.Add(time.Minute)}, v,
		"an allowed request reports the rule with the fewest requests left, the first of equals")
	for range 10 {
		v = check(t, l, req, t0)
		assert.False(t, v.Allowed)
		assert.Equal(t, "narrow", v.Rule, "the first rule at its limit, in rule order, throttles")
	}
	for _, c := range l.Counters(t0) {
		assert.Equal(t, 1, c.Count, "%s: throttled requests were not counted", c.Rule)
	}

	// Rule order decides, not the names.
	require.NoError(t, l.Set(Config{Rules: []Rule{perProject("also-narrow", 1), perProject("narrow", 1)}}))
	check(t, l, req, t0)
	assert.Equal(t, "also-narrow", check(t, l, req, t0).Rule)
}

func TestVerdictReportsTheClosestRule(t *testing.T) {
	l := newLimiter(t,
		Rule{Name: "minute", Route: "x", Key: KeyProject, Limit: 10, Window: time.Minute},
		Rule{Name: "hour", Route: "x", Key: KeyProject, Limit: 12, Window: time.Hour},
	)
	req := Request{Route: "x", ProjectID: "proj_1"}
	v := check(t, l, req, t0)
	assert.Equal(t, Verdict{Allowed: true, Rule: "minute", Limit: 10, Remaining: 9, Reset: t0.Add(time.Minute)}, v)
	for range 9 {
		check(t, l, req, t0)
	}
	v = check(t, l, req, t0.Add(time.Minute))
	assert.Equal(t, Verdict{Allowed: true, Rule: "hour", Limit: 12, Remaining: 1, Reset: t0.Add(time.Hour)}, v,
		"a new minute, but the hour has 11 counted")
	check(t, l, req, t0.Add(time.Minute))
	v = check(t, l, req, t0.Add(time.Minute))
	assert.Equal(t, Verdict{Rule: "hour", Limit: 12, Reset: t0.Add(time.Hour), RetryAfter: 59 * time.Minute}, v)
}

func TestClockSetBack(t *testing.T) {
	l := newLimiter(t, perProject("r", 1))
	req := Request{Route: "x", ProjectID: "proj_1"}
	assert.True(t, check(t, l, req, t0.Add(time.Minute)).Allowed)
	assert.False(t, check(t, l, req, t0.Add(time.Minute+time.Second)).Allowed)

	assert.Empty(t, l.Counters(t0), "a window ahead of the clock is not live")
	assert.True(t, check(t, l, req, t0.Add(30*time.Second)).Allowed, "an earlier window counts afresh")
	assert.False(t, check(t, l, req, t0.Add(31*time.Second)).Allowed)
}

func TestSetReplacesRulesAndClearsCounters(t *testing.T) {
	l := newLimiter(t, perProject("r", 1))
	req := Request{Route: "x", ProjectID: "proj_1"}
	check(t, l, req, t0)
	require.False(t, check(t, l, req, t0).Allowed)

	// A failed Set changes nothing.
	err := l.Set(Config{Rules: []Rule{perProject("ok", 5), {Name: "bad", Route: "x", Key: KeyProject, Window: time.Minute}}})
	require.ErrorIs(t, err, apperr.ErrInvalid)
	assert.Equal(t, "rules[1].limit must be 1..1000000", err.(*apperr.Error).Message)
	assert.Equal(t, Config{Profile: ProfileCustom, Rules: []Rule{perProject("r", 1)}}, l.Config())
	assert.False(t, check(t, l, req, t0).Allowed, "the counters survive a failed Set")

	// The same rules again: a fresh count.
	require.NoError(t, l.Set(Config{Rules: []Rule{perProject("r", 1)}}))
	assert.Empty(t, l.Counters(t0))
	assert.True(t, check(t, l, req, t0).Allowed)

	// Other rules.
	require.NoError(t, l.Set(Config{Rules: []Rule{{Route: "y", Key: KeyIP, Limit: 2, Window: time.Second}}}))
	assert.Equal(t, Config{Profile: ProfileCustom, Rules: []Rule{{Name: "rule-1", Route: "y", Key: KeyIP, Limit: 2, Window: time.Second}}}, l.Config())
	assert.Equal(t, Verdict{Allowed: true}, check(t, l, req, t0), "the old rule is gone")

	// The profile; then off.
	require.NoError(t, l.Set(Config{Profile: ProfilePipedream}))
	pd, _ := Profile(ProfilePipedream)
	assert.Equal(t, Config{Profile: ProfilePipedream, Rules: pd}, l.Config())
	assert.True(t, l.Active())
	require.NoError(t, l.Set(Config{Profile: ProfileOff}))
	assert.Equal(t, Config{Profile: ProfileOff, Rules: []Rule{}}, l.Config())
	assert.False(t, l.Active())
}

func TestConfigIsACopy(t *testing.T) {
	l := newLimiter(t, perProject("r", 1))
	cfg := l.Config()
	cfg.Rules[0].Limit = 100
	assert.Equal(t, 1, l.Config().Rules[0].Limit)
}

func TestReset(t *testing.T) {
	l := newLimiter(t, perProject("r", 1))
	req := Request{Route: "x", ProjectID: "proj_1"}
	check(t, l, req, t0)
	require.False(t, check(t, l, req, t0).Allowed)

	l.Reset()
	assert.Empty(t, l.Counters(t0))
	assert.True(t, l.Active(), "the rules stay")
	assert.Equal(t, []Rule{perProject("r", 1)}, l.Config().Rules)
	assert.True(t, check(t, l, req, t0).Allowed)
}

func TestCounters(t *testing.T) {
	l := newLimiter(t,
		Rule{Name: "z-users", Route: "x", Key: KeyExternalUser, Limit: 5, Window: time.Minute},
		Rule{Name: "a-projects", Route: "x", Key: KeyProject, Limit: 9, Window: time.Hour},
	)
	for _, r := range []Request{
		{Route: "x", ProjectID: "proj_2", ExternalUserID: "u1"},
		{Route: "x", ProjectID: "proj_1", ExternalUserID: "u2"},
		{Route: "x", ProjectID: "proj_1", ExternalUserID: "u2"},
		{Route: "x", ProjectID: "proj_1"},
	} {
		check(t, l, r, t0.Add(30*time.Second))
	}
	minute, hour := t0.Add(time.Minute), t0.Add(time.Hour)
	assert.Equal(t, []Counter{
		{Rule: "z-users", Key: "proj_1/u2", Count: 2, Limit: 5, WindowStart: t0, Reset: minute},
		{Rule: "z-users", Key: "proj_2/u1", Count: 1, Limit: 5, WindowStart: t0, Reset: minute},
		{Rule: "a-projects", Key: "proj_1", Count: 3, Limit: 9, WindowStart: t0, Reset: hour},
		{Rule: "a-projects", Key: "proj_2", Count: 1, Limit: 9, WindowStart: t0, Reset: hour},
	}, l.Counters(t0.Add(59*time.Second)), "in rule order, then by key")

	assert.Equal(t, []Counter{
		{Rule: "a-projects", Key: "proj_1", Count: 3, Limit: 9, WindowStart: t0, Reset: hour},
		{Rule: "a-projects", Key: "proj_2", Count: 1, Limit: 9, WindowStart: t0, Reset: hour},
	}, l.Counters(minute), "finished windows are not shown")
	assert.Equal(t, 2, l.Stats().Counters, "and no longer stored")
	assert.Empty(t, l.Counters(hour))
	assert.Equal(t, 0, l.Stats().Counters)
}

func TestSweepDropsFinishedWindows(t *testing.T) {
	l := newLimiter(t, Rule{Name: "r", Route: "x", Key: KeyIP, Limit: 1, Window: time.Second})
	const n = 3 * minSweep
	for s := range 5 {
		now := t0.Add(time.Duration(s) * time.Second)
		for i := range n {
			require.True(t, check(t, l, Request{Route: "x", IP: strconv.Itoa(i)}, now).Allowed)
		}
		assert.LessOrEqual(t, l.Stats().Counters, n, "second %d: the previous second's counters were dropped", s)
	}
}

func TestCounterBound(t *testing.T) {
	if testing.Short() {
		t.Skip("fills MaxCounters counters")
	}
	l := newLimiter(t,
		Rule{Name: "ip", Route: "x", Key: KeyIP, Limit: 1, Window: time.Minute},
		Rule{Name: "project", Route: "x", Key: KeyProject, Limit: 1000, Window: time.Hour},
	)
	for i := range MaxCounters - 1 {
		l.Check(Request{Route: "x", IP: strconv.Itoa(i)}, t0)
	}
	require.Equal(t, MaxCounters-1, l.Stats().Counters)

	// The last counter there is room for.
	v := check(t, l, Request{Route: "x", ProjectID: "proj_1"}, t0)
	assert.Equal(t, "project", v.Rule)
	assert.Equal(t, Stats{Counters: MaxCounters}, l.Stats())

	// A new IP finds no room: allowed, uncounted by "ip", still counted
	// by "project".
	for range 3 {
		v = check(t, l, Request{Route: "x", IP: "new", ProjectID: "proj_1"}, t0)
		assert.True(t, v.Allowed)
		assert.Equal(t, "project", v.Rule)
	}
	assert.Equal(t, Stats{Counters: MaxCounters, Untracked: 3}, l.Stats())
	assert.Equal(t, 995, check(t, l, Request{Route: "x", ProjectID: "proj_1"}, t0).Remaining)
	assert.False(t, check(t, l, Request{Route: "x", IP: "0"}, t0).Allowed, "existing counters still count")

	// Once the minute is over its counters make room.
	v = check(t, l, Request{Route: "x", IP: "new"}, t0.Add(time.Minute))
	assert.Equal(t, Verdict{Allowed: true, Rule: "ip", Limit: 1, Remaining: 0, Reset: t0.Add(2 * time.Minute)}, v)
	assert.Equal(t, Stats{Counters: 2, Untracked: 3}, l.Stats())

	// Set and Reset start the untracked count over.
	l.Reset()
	assert.Equal(t, Stats{}, l.Stats())
}

func TestCounterBoundClockSetBack(t *testing.T) {
	if testing.Short() {
		t.Skip("fills MaxCounters counters")
	}
	l := newLimiter(t, Rule{Name: "ip", Route: "x", Key: KeyIP, Limit: 1, Window: time.Minute})
	later := t0.Add(time.Hour)
	for i := range MaxCounters {
		l.Check(Request{Route: "x", IP: strconv.Itoa(i)}, later)
	}
	require.Equal(t, MaxCounters, l.Stats().Counters)
	check(t, l, Request{Route: "x", IP: "new"}, later)
	require.Equal(t, 1, l.Stats().Untracked)

	// Back an hour: every counter is of a window ahead of the clock.
	v := check(t, l, Request{Route: "x", IP: "new"}, t0)
	assert.Equal(t, "ip", v.Rule, "counted: the counters of the future were dropped")
	assert.Equal(t, 1, l.Stats().Counters)
}

func TestConcurrentChecksAllowExactlyTheLimit(t *testing.T) {
	const goroutines, each, limit = 32, 50, 300
	l := newLimiter(t, perProject("r", limit), Rule{Name: "per-ip", Route: "x", Key: KeyIP, Limit: 1000, Window: time.Minute})
	var allowed, throttled atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				v, err := l.Check(Request{Route: "x", ProjectID: "proj_1", IP: fmt.Sprint(g, ".", i%3)}, t0.Add(time.Duration(i)*time.Millisecond))
				if err != nil {
					t.Error(err)
					return
				}
				if v.Allowed {
					allowed.Add(1)
				} else {
					throttled.Add(1)
				}
			}
		})
	}
	// Readers alongside, for the race detector.
	wg.Go(func() {
		for range 100 {
			l.Counters(t0)
			l.Config()
			l.Stats()
			l.Active()
		}
	})
	wg.Wait()
	assert.Equal(t, int64(limit), allowed.Load())
	assert.Equal(t, int64(goroutines*each-limit), throttled.Load())
	assert.Equal(t, limit, l.Counters(t0)[0].Count)
}

func TestConcurrentSetAndReset(t *testing.T) {
	l := New()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				switch (g + i) % 4 {
				case 0:
					_ = l.Set(Config{Profile: ProfilePipedream})
				case 1:
					l.Reset()
				case 2:
					l.Counters(t0)
				default:
					_, _ = l.Check(Request{Route: "actions.run", Method: "POST", ProjectID: "proj_1"}, t0)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkCheckNoRules(b *testing.B) {
	l := New()
	req := Request{Route: "actions.run", Method: "POST", Path: "/v1/connect/proj_1/actions/run", IP: "192.0.2.1", ClientID: "oc_1", ExternalUserID: "u1", ProjectID: "proj_1", WorkspaceID: "o_1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Check(req, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckProfile(b *testing.B) {
	l := New()
	if err := l.Set(Config{Profile: ProfilePipedream}); err != nil {
		b.Fatal(err)
	}
	req := Request{Route: "actions.run", Method: "POST", Path: "/v1/connect/proj_1/actions/run", IP: "192.0.2.1", ClientID: "oc_1", ExternalUserID: "u1", ProjectID: "proj_1", WorkspaceID: "o_1"}
	b.ReportAllocs()
	now := t0
	for b.Loop() {
		// 1,500 requests per 5-minute window: under the limit of 2,000,
		// so every request is counted.
		now = now.Add(200 * time.Millisecond)
		v, err := l.Check(req, now)
		if err != nil || !v.Allowed {
			b.Fatal(v, err)
		}
	}
}

func TestManyRulesApply(t *testing.T) {
	rules := make([]Rule, MaxRules)
	for i := range rules {
		// Limits 100, 99, ..., 1: the last rule is the tightest.
		rules[i] = Rule{Route: "x", Key: KeyProject, Limit: MaxRules - i, Window: time.Minute}
	}
	l := newLimiter(t, rules...)
	req := Request{Route: "x", ProjectID: "proj_1"}
	v := check(t, l, req, t0)
	assert.Equal(t, Verdict{Allowed: true, Rule: "rule-100", Limit: 1, Remaining: 0, Reset: t0.Add(time.Minute)}, v)
	v = check(t, l, req, t0)
	assert.Equal(t, "rule-100", v.Rule)
	assert.False(t, v.Allowed)
	counters := l.Counters(t0)
	require.Len(t, counters, MaxRules)
	for i, c := range counters {
		assert.Equal(t, fmt.Sprintf("rule-%d", i+1), c.Rule)
		assert.Equal(t, 1, c.Count)
	}
}
