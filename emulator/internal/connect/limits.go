package connect

import (
	"fmt"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// The names of the Store's limits, as Limits keys them and as pdemu's
// --limit flag and limit_exceeded errors spell them.
const (
	LimitProjects         = "projects"
	LimitExternalUsers    = "external-users"
	LimitAccounts         = "accounts"
	LimitConnectTokens    = "connect-tokens"
	LimitDeployedTriggers = "deployed-triggers"
	LimitOAuthApps        = "oauth-apps"
	LimitAppOverrides     = "app-overrides"
	LimitApps             = "apps"
	LimitComponents       = "components"
	LimitFiles            = "files"
	LimitDynamicProps     = "dynamic-props"
	LimitWorkflows        = "workflows"
	LimitUsageSeconds     = "usage-seconds"
)

// LimitInfo describes one limit: its name, default and what it counts.
type LimitInfo struct {
	Name    string
	Default int
	// Counts says what is counted, as a plural noun phrase.
	Counts string
	// Evicts is set for limits that drop the oldest record instead of
	// refusing a new one (history nobody creates on purpose).
	Evicts bool
}

// limitTable is every limit of the Store, in the order documentation
// lists them. Defaults keep each family's worst case to a few hundred
// megabytes (measured: an external user takes about 400 bytes, a Connect
// token 650, an account 1.6 KB) while leaving room for load tests and a
// million-user list.
var limitTable = []LimitInfo{
	{Name: LimitProjects, Default: 10_000, Counts: "projects"},
	{Name: LimitExternalUsers, Default: 1_000_000, Counts: "external users"},
	{Name: LimitAccounts, Default: 200_000, Counts: "connected accounts"},
	{Name: LimitConnectTokens, Default: 500_000, Counts: "unexpired Connect tokens"},
	{Name: LimitDeployedTriggers, Default: 10_000, Counts: "deployed triggers (each keeps its newest 100 events)"},
	{Name: LimitOAuthApps, Default: 10_000, Counts: "custom OAuth clients of apps (oauth_apps)"},
	{Name: LimitAppOverrides, Default: 10_000, Counts: "app overrides"},
	{Name: LimitApps, Default: 10_000, Counts: "apps registered beyond the built-in catalog"},
	{Name: LimitComponents, Default: 10_000, Counts: "component versions registered beyond the built-in catalog"},
	{Name: LimitFiles, Default: 10_000, Counts: "unexpired File Stash files"},
	{Name: LimitDynamicProps, Default: 100_000, Counts: "reloadProps results kept (each user keeps its newest 100)"},
	{Name: LimitWorkflows, Default: MaxWorkflowEndpoints, Counts: "workflow endpoints registered or invoked (each keeps its newest 1000 invocations)"},
	{Name: LimitUsageSeconds, Default: 100_000, Counts: "seconds of metered usage (the oldest are dropped first)", Evicts: true},
}

// LimitTable returns every limit of the Store with its default.
func LimitTable() []LimitInfo { return append([]LimitInfo(nil), limitTable...) }

// Limits caps how many records of each family a Store keeps, by limit
// name; a name left out takes its default. Past a cap, creating a record
// fails with apperr.ErrLimitExceeded and nothing stored changes, so a
// runaway test meets a clear error rather than exhausting the machine.
type Limits map[string]int

// resolve fills in the defaults. Errors: an unknown name or a value < 1.
func (l Limits) resolve() (Limits, error) {
	out := make(Limits, len(limitTable))
	for _, info := range limitTable {
		out[info.Name] = info.Default
	}
	for name, n := range l {
		if _, ok := out[name]; !ok {
			return nil, fmt.Errorf("unknown limit %q", name)
		}
		if n < 1 {
			return nil, fmt.Errorf("limit %q must be at least 1, not %d", name, n)
		}
		out[name] = n
	}
	return out, nil
}

// check refuses one more record of a family that holds n already.
func (l Limits) check(name string, n int) error {
	if max := l[name]; n >= max {
		counts := name
		for _, info := range limitTable {
			if info.Name == name {
				counts = info.Counts
			}
		}
		return apperr.Limit(name, max, counts)
	}
	return nil
}

// Counts reports how many records each limit counts now, by limit name,
// after dropping what has expired: how close each family is to its cap.
func (s *Store) Counts() map[string]int {
	s.lock()
	defer s.mu.Unlock()
	return map[string]int{
		LimitProjects:         len(s.projects),
		LimitExternalUsers:    len(s.users),
		LimitAccounts:         s.accounts.size(),
		LimitConnectTokens:    s.tokens.size(),
		LimitDeployedTriggers: s.deployed.size(),
		LimitOAuthApps:        s.oauthApps.size(),
		LimitAppOverrides:     s.overrides.size(),
		LimitApps:             len(s.apps.bySlug) - len(builtinApps),
		LimitComponents:       len(s.components.byID) - len(builtinComponents),
		LimitFiles:            s.files.size(),
		LimitDynamicProps:     s.dynamic.size(),
		LimitWorkflows:        max(len(s.workflows.registered), len(s.workflows.invocations)),
		LimitUsageSeconds:     s.usage.buckets.Len(),
	}
}

// LimitValues returns the limits in force, by name.
func (s *Store) LimitValues() Limits {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(Limits, len(s.limits))
	for k, v := range s.limits {
		out[k] = v
	}
	return out
}
