package connect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func TestParseUsageWindow(t *testing.T) {
	tests := []struct {
		name       string
		start, end string
		wantErr    string
	}{
		{name: "one second", start: "100", end: "101"},
		{name: "exactly 90 days", start: "0", end: "7776000"},
		{name: "90 days and a second", start: "0", end: "7776001", wantErr: "at most 90 days"},
		{name: "start equals end", start: "100", end: "100", wantErr: "after start_ts"},
		{name: "end before start", start: "100", end: "99", wantErr: "after start_ts"},
		{name: "missing start", end: "100", wantErr: "start_ts is required"},
		{name: "missing end", start: "100", wantErr: "end_ts is required"},
		{name: "negative", start: "-1", end: "100", wantErr: "whole seconds"},
		{name: "fraction", start: "1.5", end: "100", wantErr: "whole seconds"},
		{name: "milliseconds overflow the year 9999", start: "1893456000000", end: "1893456000001", wantErr: "whole seconds"},
		{name: "plus sign", start: "+1", end: "100", wantErr: "whole seconds"},
		{name: "words", start: "yesterday", end: "100", wantErr: "whole seconds"},
		{name: "last second of 9999", start: "253402300798", end: "253402300799"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseUsageWindow(tc.start, tc.end)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestUsageBucketsAndBoundaries(t *testing.T) {
	s, _ := newStore(t)
	pa, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("A")})
	require.NoError(t, err)
	pa2, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("A2")})
	require.NoError(t, err)
	pb, err := s.CreateProject("o_b", ProjectSpec{Name: ptr("B")})
	require.NoError(t, err)

	day0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // a UTC midnight
	rec := func(ws, project string, kind usageKind, at time.Time) {
		s.mu.Lock()
		s.usage.record(ws, project, Development, kind, at, s.limits[LimitUsageSeconds])
		s.mu.Unlock()
	}
	rec("o_a", pa.ID, usageActionRun, day0)                               // first second of day 0
	rec("o_a", pa.ID, usageProxy, day0.Add(12*time.Hour))                 // day 0
	rec("o_a", pa.ID, usageProxy, day0.Add(24*time.Hour-time.Nanosecond)) // last instant of day 0
	rec("o_a", pa2.ID, usageSourceEmit, day0.Add(24*time.Hour))           // first second of day 1
	rec("o_a", pa.ID, usageActionRun, day0.Add(36*time.Hour))             // day 1
	rec("o_b", pb.ID, usageActionRun, day0.Add(time.Hour))                // another workspace

	all := Access{WorkspaceID: "o_a"}
	start, end := day0.Unix(), day0.Add(48*time.Hour).Unix()
	got, err := s.Usage(all, start, end)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, UsageRecord{Start: start, End: start + 86400, ActionRunCredits: 1, ProxyCredits: 2}, got[0])
	assert.Equal(t, UsageRecord{Start: start + 86400, End: end, ActionRunCredits: 1, SourceEmitCredits: 1}, got[1])
	assert.EqualValues(t, 3, got[0].Credits())

	// Half-open: an operation at exactly end_ts is outside, one at start_ts inside.
	got, err = s.Usage(all, day0.Add(12*time.Hour).Unix(), day0.Add(24*time.Hour).Unix())
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.EqualValues(t, 2, got[0].ProxyCredits, "12:00:00 (= start) and 23:59:59.999 count")
	assert.EqualValues(t, 0, got[0].SourceEmitCredits, "the emit at end_ts does not")

	// A window that starts mid-day is clipped, and empty days still appear.
	got, err = s.Usage(all, day0.Add(-6*time.Hour).Unix(), day0.Add(6*time.Hour).Unix())
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, UsageRecord{Start: day0.Add(-6 * time.Hour).Unix(), End: start}, got[0])
	assert.Equal(t, UsageRecord{Start: start, End: day0.Add(6 * time.Hour).Unix(), ActionRunCredits: 1}, got[1])

	// A caller limited to a project sees only its usage.
	got, err = s.Usage(Access{WorkspaceID: "o_a", ProjectIDs: []string{pa2.ID}}, start, end)
	require.NoError(t, err)
	assert.EqualValues(t, 0, got[0].Credits())
	assert.Equal(t, UsageRecord{Start: start + 86400, End: end, SourceEmitCredits: 1}, got[1])

	// Workspace B sees only its own.
	got, err = s.Usage(Access{WorkspaceID: "o_b"}, start, end)
	require.NoError(t, err)
	assert.EqualValues(t, 1, got[0].ActionRunCredits)
	assert.EqualValues(t, 0, got[1].Credits())

	// The longest window has 91 records at most (90 days, not aligned).
	got, err = s.Usage(all, start+1, start+1+90*86400)
	require.NoError(t, err)
	assert.Len(t, got, 91)

	// Deleting users and projects keeps usage; reset clears it.
	require.NoError(t, s.DeleteProject(all, pa.ID))
	got, err = s.Usage(all, start, end)
	require.NoError(t, err)
	assert.EqualValues(t, 3, got[0].Credits(), "credits spent stay spent")
	s.Reset()
	got, err = s.Usage(all, start, end)
	require.NoError(t, err)
	assert.EqualValues(t, 0, got[0].Credits()+got[1].Credits())

	_, err = s.Usage(all, end, start)
	require.ErrorIs(t, err, apperr.ErrInvalid)
}

func TestRecordProxyCallUsesTheClock(t *testing.T) {
	s, clk := newStore(t)
	p, err := s.CreateProject("o_a", ProjectSpec{Name: ptr("P")})
	require.NoError(t, err)
	s.RecordProxyCall(p.ID, Production)
	clk.Advance(time.Second)
	s.RecordProxyCall(p.ID, Development)
	s.RecordProxyCall("proj_gone", Production) // unknown project: not metered, no panic
	now := clk.Now().Unix()
	got, err := s.Usage(Access{WorkspaceID: "o_a"}, now-1, now)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.EqualValues(t, 1, got[0].ProxyCredits, "the call at now is outside [now-1, now)")
	got, err = s.Usage(Access{WorkspaceID: "o_a"}, now-1, now+1)
	require.NoError(t, err)
	assert.EqualValues(t, 2, got[0].ProxyCredits, "both environments count")
}
