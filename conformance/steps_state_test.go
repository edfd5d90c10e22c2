package conformance_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/emulator/clock"
	"github.com/pdemu/pdemu/testutil"
)

// stateFeature replaces the whole state in a @serial scenario: it takes a
// snapshot, makes a client, moves the clock, restores, makes another
// client, and puts back a document the emulator takes (the rate limits
// changed), as a target taking a document it should refuse would.
const stateFeature = `Feature: State
  @emulator-only @serial
  Scenario: A serial scenario replaces the state, twice over
    Spec: test
    Given a snapshot "kit-${unique}" of the emulator
    And I have created an OAuth client named "before ${unique}"
    And the emulator clock advances by 3600 seconds
    When I restore the snapshot "kit-${unique}"
    Then the status is 200
    Given I have created an OAuth client named "after ${unique}"
    When I export the emulator's state
    And I put the exported state back with "rate_limits.profile" set to "pipedream"
    Then the status is 200
    When I GET "/_emulator/rate-limits"
    Then the response field "profile" is "pipedream"
`

// serverState is what the state steps must leave as they found it.
type serverState struct {
	clients   []string
	snapshots []string
	profile   string
	now       time.Time
}

func stateOf(srv *testutil.Server) serverState {
	var s serverState
	for _, c := range srv.Emulator.Clients() {
		s.clients = append(s.clients, c.ID)
	}
	for _, sn := range srv.Emulator.Snapshots() {
		s.snapshots = append(s.snapshots, sn.Name)
	}
	s.profile = srv.Emulator.RateLimits().Profile
	s.now = srv.Now()
	return s
}

// TestStateStepsPutTheStateBack: a scenario that restores a snapshot or
// puts a state document must be @serial, and after it the state is as it
// found it, snapshots and clock included: the guard snapshot the kit
// took restored and deleted, the scenario's own snapshot deleted.
func TestStateStepsPutTheStateBack(t *testing.T) {
	srv := testutil.NewServer(t)
	srv.Snapshot("someone else's")
	before := stateOf(srv)
	require.Equal(t, "off", before.profile)

	results := runFeature(t, configFor(srv), stateFeature)
	requireOutcome(t, results, "A serial scenario replaces the state, twice over", conformance.Passed)
	after := stateOf(srv)
	assert.Equal(t, before, after, "the clients, the snapshots, the rate limits and the clock are as they were")
}

// TestStateStepsFollowRealTime: against a clock that follows real time
// (pdemu serve), the clock reads real time again after a scenario that
// moved it and restored the state.
func TestStateStepsFollowRealTime(t *testing.T) {
	emu, err := emulator.New(emulator.WithClock(clock.NewOffset()))
	require.NoError(t, err)
	srv := testutil.Wrap(t, emu)
	results := runFeature(t, configFor(srv), stateFeature)
	requireOutcome(t, results, "A serial scenario replaces the state, twice over", conformance.Passed)
	assert.WithinDuration(t, time.Now(), srv.Now(), time.Second, "the clock follows real time again")
	assert.Empty(t, srv.Emulator.Snapshots())
	assert.Len(t, srv.Emulator.Clients(), 1)
}

// TestStateStepsNeedASerialScenario: restoring a snapshot or putting a
// state document, by the state steps or by any other request, takes a
// @serial scenario, and is refused before anything is sent otherwise;
// a snapshot's name must carry the scenario's suffix; a snapshot the
// scenario takes is deleted after it, however it was taken.
func TestStateStepsNeedASerialScenario(t *testing.T) {
	srv := testutil.NewServer(t)
	before := stateOf(srv)
	results := runFeature(t, configFor(srv), `Feature: State beside others
  @emulator-only
  Scenario: A restore beside others
    Spec: test
    Given a snapshot "kit-${unique}" of the emulator
    When I restore the snapshot "kit-${unique}"

  @emulator-only
  Scenario: A state document put beside others
    Spec: test
    When I export the emulator's state
    And I put the exported state back

  @emulator-only
  Scenario: A restore sent as a plain request beside others
    Spec: test
    When I POST "/_emulator/snapshots/anything/restore"

  @emulator-only
  Scenario: A state document sent as a plain request beside others
    Spec: test
    When I PUT "/_emulator/state" with JSON:
      """
      {"format": "pdemu-state/1"}
      """

  @emulator-only
  Scenario: A snapshot of a name every user could take
    Spec: test
    Given a snapshot "shared" of the emulator

  @emulator-only
  Scenario: A snapshot taken as a plain request
    Spec: test
    When I POST "/_emulator/snapshots" with JSON:
      """
      {"name": "plain-${unique}"}
      """
    Then the status is 201
`)
	const why = "replaces the emulator's whole state, which every user of the server shares"
	requireOutcome(t, results, "A restore beside others", conformance.Failed, why, "tag the scenario @serial")
	requireOutcome(t, results, "A state document put beside others", conformance.Failed, why)
	requireOutcome(t, results, "A restore sent as a plain request beside others", conformance.Failed, why)
	requireOutcome(t, results, "A state document sent as a plain request beside others", conformance.Failed, why)
	requireOutcome(t, results, "A snapshot of a name every user could take", conformance.Failed, "put ${unique} in its name")
	requireOutcome(t, results, "A snapshot taken as a plain request", conformance.Passed)
	assert.Equal(t, before, stateOf(srv), "nothing was restored or put, and every snapshot taken is gone")
	sent, err := srv.Emulator.Requests(emulator.RequestFilter{Route: "state.import|snapshots.restore"})
	require.NoError(t, err)
	assert.Empty(t, sent, "no restore or import was sent")
}

// TestStateGuardThatCannotBeRestoredIsReported: when the state cannot be
// put back, the run says so, and the guard snapshot is left on the server
// for its users to restore.
func TestStateGuardThatCannotBeRestoredIsReported(t *testing.T) {
	srv := testutil.NewServer(t)
	cfg := configFor(srv)
	cfg.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if strings.Contains(r.URL.Path, "/_emulator/snapshots/pdemu-conformance-guard-") && strings.HasSuffix(r.URL.Path, "/restore") {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Request: r,
				Header: http.Header{"Content-Type": {"application/json"}},
				Body:   io.NopCloser(strings.NewReader(`{"error":"unavailable","error_description":"try later"}`))}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	results := runFeature(t, cfg, `Feature: State
  @emulator-only @serial
  Scenario: A state put back whose guard cannot be restored
    Spec: test
    When I export the emulator's state
    And I put the exported state back
    Then the status is 200
`)
	r := results["A state put back whose guard cannot be restored"]
	assert.Equal(t, conformance.Passed, r.Status, r.Reason)
	require.Len(t, r.Cleanup, 1)
	assert.Contains(t, r.Cleanup[0].What, "the emulator's whole state, as the scenario found it (the snapshot pdemu-conformance-guard-")
	assert.Contains(t, r.Cleanup[0].Error, "left the snapshot on the server to restore by hand")
	assert.Contains(t, r.Cleanup[0].Error, "answered 503")
	snaps := srv.Emulator.Snapshots()
	require.Len(t, snaps, 1)
	assert.True(t, strings.HasPrefix(snaps[0].Name, "pdemu-conformance-guard-"), snaps[0].Name)
}

// TestStateComparison: the state compared with an export names where it
// differs, never what it holds there.
func TestStateComparison(t *testing.T) {
	srv := testutil.NewServer(t)
	results := runFeature(t, configFor(srv), `Feature: State
  @emulator-only
  Scenario: A client made after the export
    Spec: test
    When I export the emulator's state
    And I have created an OAuth client named "changed ${unique}"
    Then the emulator's state is the exported one

  @emulator-only
  Scenario: Nothing made after the export
    Spec: test
    When I export the emulator's state
    Then the emulator's state is the exported one
    And the exported state shows none of the scenario's client secrets or access tokens
`)
	requireOutcome(t, results, "A client made after the export", conformance.Failed, "the state differs from the exported one at oauth.")
	requireOutcome(t, results, "Nothing made after the export", conformance.Passed)
	var doc map[string]any
	raw, err := srv.Emulator.ExportState()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &doc))
	seed := doc["signing_key"].(map[string]any)["ed25519_seed"].(string)
	for _, r := range results {
		assert.NotContains(t, r.Reason, seed, "a report never shows the signing key")
	}
}
