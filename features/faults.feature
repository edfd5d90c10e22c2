Feature: Fault plans
  An emulator can be told to answer some requests with a failure
  (POST /_emulator/faults): a status and body of one's own, or a preset
  shaped as Pipedream answers (throttled: 429 {"error":"Throttled"} with
  Retry-After and X-RateLimit-*; token_throttled: the load balancer's
  bodyless 429 on the token endpoint; unavailable 503; internal_error 500;
  gateway_timeout 504), after letting some matching requests through and
  for so many times. Faults never answer the control plane.

  A fault fires on every request it matches, whoever sends it, so a
  scenario here matches only its own requests (those of an OAuth client it
  created), or is @serial; every fault it plans is deleted after it.

  @emulator-only @requires:faults @requires:admin_clients
  Scenario: A throttled fault answers one call as Pipedream's API throttles, and the next call is served
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Fault plans: the throttled preset, "the Connect API's throttle")
    Given I have created an OAuth client named "conformance-${unique}"
    And I have an access token as the created client
    And the emulator plans a fault remembered as "throttle" with JSON:
      """
      {"match": {"route": "projects.list", "client_id": "${created_client_id}"}, "action": {"preset": "throttled", "retry_after_seconds": 7}}
      """
    When I GET "/v1/connect/projects"
    Then the status is 429
    And the response field "error" is "Throttled"
    And the response header "Retry-After" is "7"
    And the response header "X-RateLimit-Limit" is a whole number from 1 to 1000000
    And the response header "X-RateLimit-Remaining" is "0"
    And the response header "X-RateLimit-Reset" is a Unix time within 2 seconds of the emulator clock plus 7 seconds
    When I GET "/v1/connect/projects"
    Then the status is 200
    And the response field "data" is present
    When I GET "/_emulator/faults/${throttle}"
    Then the status is 200
    And the response field "hits" is 1
    And the response field "remaining" is 0

  @emulator-only @requires:faults @requires:admin_clients
  Scenario: A token_throttled fault answers the token endpoint 429 with an empty body, as Pipedream's load balancer does
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Fault plans: the token_throttled preset, "as the load balancer in front of POST /v1/oauth/token answers")
    Given I have created an OAuth client named "conformance-${unique}"
    And the emulator plans a fault with JSON:
      """
      {"match": {"route": "oauthTokens.create", "client_id": "${created_client_id}"}, "action": {"preset": "token_throttled"}}
      """
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the status is 429
    And the response body is the text ""
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the status is 200
    And the response field "access_token" is present

  @emulator-only @requires:faults @requires:admin_clients
  Scenario: A fault lets its first matches through, then fires only so many times
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Fault plans: times, after, hits, remaining)
    Given I have created an OAuth client named "conformance-${unique}"
    And I have an access token as the created client
    And the emulator plans a fault remembered as "flaky" with JSON:
      """
      {"match": {"route": "projects.list", "client_id": "${created_client_id}"}, "action": {"preset": "unavailable"}, "after": 1, "times": 2}
      """
    When I GET "/v1/connect/projects"
    Then the status is 200
    When I GET "/v1/connect/projects"
    Then the error is "Service Unavailable" with status 503
    When I GET "/v1/connect/projects"
    Then the error is "Service Unavailable" with status 503
    When I GET "/v1/connect/projects"
    Then the status is 200
    When I GET "/_emulator/faults/${flaky}"
    Then the status is 200
    And the response field "hits" is 2
    And the response field "remaining" is 0

  @emulator-only @requires:faults @requires:admin_clients
  Scenario: A fault of one client's requests leaves another client's alone
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Fault plans: match, "every field given must match")
    Given I have created an OAuth client named "conformance-${unique}"
    And the emulator plans a fault with JSON:
      """
      {"match": {"route": "projects.list", "client_id": "${created_client_id}"}, "action": {"status": 500, "body": {"error": "planned"}}, "times": 0}
      """
    And I have an access token
    When I GET "/v1/connect/projects"
    Then the status is 200
    Given I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the error is "planned" with status 500
    When I GET "/v1/connect/projects"
    Then the error is "planned" with status 500

  @emulator-only @requires:faults @serial
  Scenario: A fault never answers the control plane
    Spec: pdemu decision (docs/journal-faults-rate-limits.md: "None of it applies to the control plane itself")
    Given the emulator plans a fault remembered as "control" with JSON:
      """
      {"match": {"path": "/_emulator/**"}, "action": {"preset": "internal_error"}, "times": 0}
      """
    When I GET "/_emulator/clock"
    Then the status is 200
    And the response field "now" is present
    When I GET "/_emulator/faults/${control}"
    Then the status is 200
    And the response field "hits" is 0
    And the response field "matched" is 0
