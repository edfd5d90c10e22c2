package connect

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/google/btree"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// usageKind is what consumed Connect credits.
type usageKind string

// The metered operations.
const (
	usageActionRun  usageKind = "action_run"
	usageProxy      usageKind = "proxy"
	usageSourceEmit usageKind = "source_emit"
)

// Credits each metered operation costs. Pipedream prices Connect in
// credits but publishes no per-operation weights for this endpoint, so
// pdemu counts one credit per operation: a test can predict the numbers.
const (
	CreditsPerActionRun  = 1
	CreditsPerProxyCall  = 1
	CreditsPerSourceEmit = 1
)

// Usage windows: GET /v1/connect/usage answers one record per UTC day of
// the window (clipped to it), and a window is at most MaxUsageWindow long,
// so an answer has at most 91 records.
const (
	UsageBucket    = 24 * time.Hour
	MaxUsageWindow = 90 * 24 * time.Hour
	// maxUsageTS is 9999-12-31T23:59:59Z: later instants are typos, and the
	// bound keeps the arithmetic far from overflow.
	maxUsageTS = 253402300799
)

// UsageRecord is the credits a workspace used in [Start, End), Unix
// seconds.
type UsageRecord struct {
	Start, End        int64
	ActionRunCredits  int64
	ProxyCredits      int64
	SourceEmitCredits int64
}

// Credits is the record's total.
func (r UsageRecord) Credits() int64 {
	return r.ActionRunCredits + r.ProxyCredits + r.SourceEmitCredits
}

// usageBucket counts one workspace project's operations in one second:
// memory grows with the seconds in which something was metered, not with
// the number of operations. Counts are of operations, not credits, so a
// change of weights applies to what was recorded before it too.
type usageBucket struct {
	sec       int64
	workspace string
	project   string

	actionRuns, proxyCalls, sourceEmits int64
}

func usageLess(a, b *usageBucket) bool {
	return cmp.Or(cmp.Compare(a.sec, b.sec), cmp.Compare(a.workspace, b.workspace), cmp.Compare(a.project, b.project)) < 0
}

// usageState keeps the buckets in time order, so that a window's usage is
// a range walk and, past the usage-seconds limit, the oldest bucket is the
// one dropped: usage is history, and a metered operation is never refused
// for want of room to count it. Deleting a user or a project keeps their
// usage: the credits were spent, and a bill does not shrink.
type usageState struct {
	buckets *btree.BTreeG[*usageBucket]
}

func (st *usageState) reset() { st.buckets = btree.NewG(32, usageLess) }

// record counts one metered operation; callers hold the store's lock for
// writing. env is accepted for symmetry with the other families: usage is
// reported across environments. max is the usage-seconds limit.
func (st *usageState) record(workspaceID, projectID string, env Environment, kind usageKind, at time.Time, max int) {
	key := &usageBucket{sec: at.Unix(), workspace: workspaceID, project: projectID}
	b, ok := st.buckets.Get(key)
	if !ok {
		b = key
		st.buckets.ReplaceOrInsert(b)
		for st.buckets.Len() > max {
			st.buckets.DeleteMin()
		}
	}
	switch kind {
	case usageActionRun:
		b.actionRuns++
	case usageProxy:
		b.proxyCalls++
	case usageSourceEmit:
		b.sourceEmits++
	}
}

// ParseUsageWindow reads the raw start_ts and end_ts query values: Unix
// seconds, both required, 0 <= start < end <= 9999-12-31, and the window at
// most MaxUsageWindow long. The window is half-open: an operation at
// exactly end is not in it. Errors: invalid_request saying which rule broke.
func ParseUsageWindow(startRaw, endRaw string) (start, end int64, err error) {
	parse := func(name, v string) (int64, error) {
		if v == "" {
			return 0, apperr.ErrInvalid.WithMessage("%s is required: a Unix time in seconds", name)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || v[0] == '+' || n < 0 || n > maxUsageTS {
			return 0, apperr.ErrInvalid.WithMessage("%s must be a Unix time in whole seconds from 0 to %d, not %q", name, int64(maxUsageTS), clipInput(v, 40))
		}
		return n, nil
	}
	if start, err = parse("start_ts", startRaw); err != nil {
		return 0, 0, err
	}
	if end, err = parse("end_ts", endRaw); err != nil {
		return 0, 0, err
	}
	if err := validateUsageWindow(start, end); err != nil {
		return 0, 0, err
	}
	return start, end, nil
}

func validateUsageWindow(start, end int64) error {
	if start < 0 || end > maxUsageTS {
		return apperr.ErrInvalid.WithMessage("start_ts and end_ts must be Unix times from 0 to %d", int64(maxUsageTS))
	}
	if end <= start {
		return apperr.ErrInvalid.WithMessage("end_ts must be after start_ts (the window [start_ts, end_ts) is empty)")
	}
	if limit := int64(MaxUsageWindow / time.Second); end-start > limit {
		return apperr.ErrInvalid.WithMessage("the window may be at most %d days (%d seconds) long", limit/86400, limit)
	}
	return nil
}

// Usage reports the credits the caller's workspace used in [start, end)
// (see ParseUsageWindow), one record per UTC day, clipped to the window,
// oldest first; days without usage are included with zeros, so the records
// tile the window. A caller limited to some projects sees only theirs.
// Errors: invalid_request for a window ParseUsageWindow refuses.
func (s *Store) Usage(a Access, start, end int64) ([]UsageRecord, error) {
	if err := validateUsageWindow(start, end); err != nil {
		return nil, err
	}
	const day = int64(UsageBucket / time.Second)
	first := start - start%day
	var out []UsageRecord
	for b := first; b < end; b += day {
		out = append(out, UsageRecord{Start: max(b, start), End: min(b+day, end)})
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.usage.buckets.AscendGreaterOrEqual(&usageBucket{sec: start}, func(b *usageBucket) bool {
		if b.sec >= end {
			return false
		}
		if b.workspace != a.WorkspaceID || (a.ProjectIDs != nil && !slices.Contains(a.ProjectIDs, b.project)) {
			return true
		}
		r := &out[(b.sec-first)/day]
		r.ActionRunCredits += b.actionRuns * CreditsPerActionRun
		r.ProxyCredits += b.proxyCalls * CreditsPerProxyCall
		r.SourceEmitCredits += b.sourceEmits * CreditsPerSourceEmit
		return true
	})
	return out, nil
}

// clipInput shortens what a caller sent before a message echoes it.
func clipInput(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
