package conformance_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// rateLimitsFeature sets rules of its own in a @serial scenario, and tries
// to in one that is not.
const rateLimitsFeature = `Feature: Rate limits
  @emulator-only @serial
  Scenario: A serial scenario sets its own rules
    Spec: test
    Given the emulator's rate limits are set with JSON:
      """
      {"rules": [{"name": "kit", "route": "projects.list", "key": "client", "limit": 1, "window_seconds": 60}]}
      """
    And the emulator's rate limits are set with JSON:
      """
      {"rules": [{"name": "kit-again", "route": "projects.list", "key": "client", "limit": 1, "window_seconds": 60}]}
      """
    When I GET "/_emulator/rate-limits"
    Then the response field "profile" is "custom"
    And the response list "rules" has an item whose "name" is "kit-again"

  @emulator-only
  Scenario: Another sets rules too
    Spec: test
    Given the emulator's rate limits are set with JSON:
      """
      {"profile": "pipedream"}
      """
`

// TestRateLimitStepsPutTheRulesBack: a scenario that sets rate limits must
// be @serial, and the rules are back as they were after it, whatever they
// were: none, Pipedream's profile, or rules of one's own.
func TestRateLimitStepsPutTheRulesBack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before emulator.RateLimitConfig
	}{
		{"none", emulator.RateLimitConfig{Profile: "off"}},
		{"Pipedream's profile", emulator.RateLimitConfig{Profile: "pipedream"}},
		{"rules of one's own", emulator.RateLimitConfig{Rules: []emulator.RateLimitRule{
			{Name: "mine", Route: "accounts.*", Method: "GET", Key: "project", Limit: 7, Window: 90 * time.Second},
			{Path: "/v1/connect/**", Key: "ip", Limit: 1000, Window: time.Hour},
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testutil.NewServer(t)
			require.NoError(t, srv.Emulator.SetRateLimits(tc.before))
			before := srv.Do(http.MethodGet, "/_emulator/rate-limits", "", nil).JSON(t)
			results := runFeature(t, configFor(srv), rateLimitsFeature)
			requireOutcome(t, results, "A serial scenario sets its own rules", conformance.Passed)
			requireOutcome(t, results, "Another sets rules too", conformance.Failed, "tag the scenario @serial")
			after := srv.Do(http.MethodGet, "/_emulator/rate-limits", "", nil).JSON(t)
			assert.Equal(t, before["profile"], after["profile"])
			assert.Equal(t, before["rules"], after["rules"])
		})
	}
}

// TestWindowStepsPutTheClockBack: the window steps move the clock, so they
// take a @serial scenario, and the clock is back where it stood after it.
func TestWindowStepsPutTheClockBack(t *testing.T) {
	srv := testutil.NewServer(t)
	start := time.Date(2030, 1, 1, 0, 0, 17, 250_000_000, time.UTC)
	srv.SetNow(start)
	results := runFeature(t, configFor(srv), `Feature: Windows
  @emulator-only @serial
  Scenario: The clock goes to the next window's start, then near its end
    Spec: test
    Given the emulator clock is moved to the start of the next 60-second window, whose end is remembered as "end"
    When I GET "/_emulator/clock"
    Then the response field "now" is "2030-01-01T00:01:00Z"
    When the emulator clock is set to the Unix time "${end}" minus 1 second
    And I GET "/_emulator/clock"
    Then the response field "now" is "2030-01-01T00:01:59Z"

  @emulator-only
  Scenario: A scenario beside others moves it
    Spec: test
    Given the emulator clock is moved to the start of the next 60-second window, whose end is remembered as "end"
`)
	requireOutcome(t, results, "The clock goes to the next window's start, then near its end", conformance.Passed)
	requireOutcome(t, results, "A scenario beside others moves it", conformance.Failed, "tag the scenario @serial")
	assert.True(t, srv.Now().Equal(start), "the clock is back at %s, not %s", start, srv.Now())
}

// TestRepeatedRequests: a request sent N times carries the queued headers
// every time, and the check of its answers names the first that differs.
func TestRepeatedRequests(t *testing.T) {
	srv := testutil.NewServer(t)
	results := runFeature(t, configFor(srv), `Feature: Repeats
  Scenario: Every answer as expected
    Spec: test
    Given I have an access token
    When I GET "/v1/connect/projects" 3 times
    Then each of those 3 answers had status 200

  Scenario: The queued header goes with every request, and no further
    Spec: test
    Given I have an access token
    When I send the header "x-pd-rate-limit" as "no-such-token"
    And I GET "/v1/connect/projects" 2 times
    Then each of those 2 answers had status 400
    When I GET "/v1/connect/projects"
    Then the status is 200

  Scenario: An answer that differs
    Spec: test
    Given I have an access token
    When I send the header "x-pd-rate-limit" as "no-such-token"
    And I GET "/v1/connect/projects" 2 times
    Then each of those 2 answers had status 200

  Scenario: A count that differs
    Spec: test
    Given I have an access token
    When I GET "/v1/connect/projects" 2 times
    Then each of those 3 answers had status 200
`)
	requireOutcome(t, results, "Every answer as expected", conformance.Passed)
	requireOutcome(t, results, "The queued header goes with every request, and no further", conformance.Passed)
	requireOutcome(t, results, "An answer that differs", conformance.Failed,
		"request 1 of 2: want status 200; GET /v1/connect/projects answered 400")
	requireOutcome(t, results, "A count that differs", conformance.Failed, "want 3 answers, and 2 requests were sent")
}
