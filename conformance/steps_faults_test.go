package conformance_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/testutil"
)

// TestFaultStepsPlanOnlyTheScenariosOwnFaults: outside a @serial scenario
// a fault must match the scenario's own client or external user, since it
// would fire on anyone's requests; every fault planned is gone after the
// scenario, fired or not.
func TestFaultStepsPlanOnlyTheScenariosOwnFaults(t *testing.T) {
	srv := testutil.NewServer(t)
	results := runFeature(t, configFor(srv), `Feature: Faults
  @emulator-only
  Scenario: A fault of anyone's requests
    Spec: test
    Given the emulator plans a fault with JSON:
      """
      {"match": {"route": "projects.list"}, "action": {"preset": "unavailable"}}
      """

  @emulator-only
  Scenario: A fault of the configured client's requests
    Spec: test
    Given the emulator plans a fault with JSON:
      """
      {"match": {"client_id": "${client_id}"}, "action": {"preset": "unavailable"}}
      """

  @emulator-only
  Scenario: Faults of its own client and external user, never fired
    Spec: test
    Given I have created an OAuth client named "faults ${unique}"
    And the emulator plans a fault with JSON:
      """
      {"match": {"client_id": "${created_client_id}"}, "action": {"preset": "unavailable"}, "times": 0}
      """
    And the emulator plans a fault remembered as "user_fault" with JSON:
      """
      {"match": {"external_user_id": "u-${unique}"}, "action": {"status": 418}}
      """
    When I GET "/_emulator/faults/${user_fault}"
    Then the status is 200

  @emulator-only @serial
  Scenario: A serial scenario's fault of anyone's requests
    Spec: test
    Given the emulator plans a fault with JSON:
      """
      {"match": {"route": "projects.list"}, "action": {"preset": "unavailable"}}
      """
    And I have an access token
    When I GET "/v1/connect/projects"
    Then the error is "Service Unavailable" with status 503
`)
	const why = "match the client_id of an OAuth client the scenario created"
	requireOutcome(t, results, "A fault of anyone's requests", conformance.Failed, why, "or tag the scenario @serial")
	requireOutcome(t, results, "A fault of the configured client's requests", conformance.Failed, why)
	requireOutcome(t, results, "Faults of its own client and external user, never fired", conformance.Passed)
	requireOutcome(t, results, "A serial scenario's fault of anyone's requests", conformance.Passed)
	assert.Empty(t, srv.Emulator.Faults(), "every fault planned is deleted, and none was planned for the refused ones")
}

// TestFaultCleanupLeavesAnothersFault: after a reset, the id of a fault
// the scenario planned may name someone else's: the cleanup leaves that
// one alone.
func TestFaultCleanupLeavesAnothersFault(t *testing.T) {
	srv := testutil.NewServer(t)
	results := runFeature(t, configFor(srv), `Feature: Faults and resets
  @emulator-only @serial
  Scenario: The server is reset and another fault takes the id
    Spec: test
    Given the emulator plans a fault remembered as "mine" with JSON:
      """
      {"match": {"route": "projects.list", "client_id": "oc_mine"}, "action": {"preset": "unavailable"}}
      """
    When I POST "/_emulator/reset"
    Then the status is 200
    Given the control plane accepts POST "/_emulator/faults", remembering "id" as "theirs", with JSON:
      """
      {"match": {"route": "projects.list", "client_id": "oc_theirs"}, "action": {"preset": "unavailable"}}
      """
    When I GET "/_emulator/faults/${mine}"
    Then the response field "id" is "${theirs}"
`)
	requireOutcome(t, results, "The server is reset and another fault takes the id", conformance.Passed)
	left := srv.Emulator.Faults()
	require.Len(t, left, 1, "the other fault is still there")
	assert.Equal(t, "oc_theirs", left[0].Spec.Match.ClientID)
}
