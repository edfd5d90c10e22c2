Feature: The request journal
  An emulator records the requests it answers in a journal
  (GET /_emulator/requests, newest first): the route each one matched, its
  status, the OAuth client and the kind of token behind it, its external
  user, the fault that answered it, and the request and the answer, every
  secret replaced by a redaction marker ("[redacted:1a2b3c4d]").

  The kit may share the server with other users, and runs scenarios side
  by side, so these scenarios read only their own requests: those of an
  OAuth client they created, or of an external user whose id carries
  their random suffix, made since they began watching (the emulator
  clock then, the journal's `since` filter). None assumes the journal is
  otherwise empty, and only a @serial scenario clears it: clearing
  empties the journal every user of the server reads, and would take
  from scenarios running meanwhile the entries they are about to check.

  @emulator-only @requires:journal @requires:admin_clients
  Scenario: A token request and a bearer call are journalled with their route, client and token kind
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: the filters, route, client_id, token_kind)
    Given I have created an OAuth client named "conformance-${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the status is 200
    And the journal has 1 request of the created client for route "oauthTokens.create" with status 200
    And the journal has 1 request of the created client for route "projects.list" with status 200
    And the journal has 0 requests of the created client for route "projects.list" with status 404
    And in the latest journal entry of the created client for route "oauthTokens.create", "method" is "POST"
    And in the latest journal entry of the created client for route "oauthTokens.create", "path" is "/v1/oauth/token"
    And in the latest journal entry of the created client for route "oauthTokens.create", "client_id" is "${created_client_id}"
    And in the latest journal entry of the created client for route "oauthTokens.create", "token_kind" is "none"
    And in the latest journal entry of the created client for route "oauthTokens.create", "status" is "200"
    And in the latest journal entry of the created client for route "projects.list", "method" is "GET"
    And in the latest journal entry of the created client for route "projects.list", "client_id" is "${created_client_id}"
    And in the latest journal entry of the created client for route "projects.list", "token_kind" is "oauth"
    And in the latest journal entry of the created client for route "projects.list", "fault_id" is ""
    And in the latest journal entry of the created client for route "projects.list", "near_misses" is absent

  @emulator-only @requires:journal @requires:admin_clients
  Scenario: The journal shows a client secret and an access token only as redaction markers
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: "Secrets never appear whole", "one secret shows the same everywhere")
    Given I have created an OAuth client named "conformance-${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the status is 200
    And in the latest journal entry of the created client for route "oauthTokens.create", "request.body.client_secret" matches "^\[redacted:[0-9a-f]{8}\]$"
    And in the latest journal entry of the created client for route "oauthTokens.create", "response.body.access_token" matches "^\[redacted:[0-9a-f]{8}\]$"
    And in the latest journal entry of the created client for route "oauthTokens.create", "response.body.token_type" is "Bearer"
    And I remember, from the latest journal entry of the created client for route "oauthTokens.create", "response.body.access_token" as "marker"
    And in the latest journal entry of the created client for route "projects.list", "request.headers.Authorization" is "Bearer ${marker}"
    And the journal shows none of this scenario's secrets in the requests of the created client

  @emulator-only @requires:journal @requires:admin_clients
  Scenario: Client credentials sent as a form with HTTP Basic are journalled redacted
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: redaction "in bodies, forms, queries, paths and headers"; docs/behaviour.md — form bodies and HTTP Basic); RFC 6749 §2.3.1
    Given I have created an OAuth client named "conformance-${unique}"
    And I watch the request journal from now
    And I send the client credentials "${created_client_id}" and "${created_client_secret}" with HTTP Basic
    When I POST "/v1/oauth/token" with the form:
      | grant_type | client_credentials |
    Then the status is 200
    And the journal has 1 request of the created client for route "oauthTokens.create" with status 200
    And in the latest journal entry of the created client for route "oauthTokens.create", "request.headers.Authorization" matches "^Basic \[redacted:[0-9a-f]{8}\]$"
    And in the latest journal entry of the created client for route "oauthTokens.create", "request.body" is "grant_type=client_credentials"
    And the journal shows none of this scenario's secrets in the requests of the created client

  @emulator-only @requires:journal @requires:rate_limits @requires:admin_clients
  Scenario: A custom rate-limit token is journalled only as a redaction marker
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: "x-pd-rate-limit tokens … are replaced")
    Given I have created an OAuth client named "conformance-${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I POST "/v1/connect/rate_limits" with JSON:
      """
      {"window_size_seconds": 60, "requests_per_window": 100}
      """
    Then the status is 200
    And I remember the response field "token" as "rate_limit_token"
    When I send the header "x-pd-rate-limit" as "${rate_limit_token}"
    And I GET "/v1/connect/projects"
    Then the status is 200
    And in the latest journal entry of the created client for route "rateLimits.create", "response.body.token" matches "^\[redacted:[0-9a-f]{8}\]$"
    And in the latest journal entry of the created client for route "projects.list", "request.headers.X-Pd-Rate-Limit" matches "^\[redacted:[0-9a-f]{8}\]$"
    And the journal shows none of this scenario's secrets in the requests of the created client

  @emulator-only @requires:journal
  Scenario: A call with a Connect token is journalled with its external user and token kind
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: external_user_id, "a Connect token's user"; token_kind connect)
    Given I watch the request journal from now
    And I have a Connect token for external user "journal-${unique}"
    When I GET "/v1/connect/accounts"
    Then the status is 200
    And the journal has 1 request of the external user "journal-${unique}" for route "tokens.create" with status 200
    And the journal has 1 request of the external user "journal-${unique}" for route "accounts.list" with status 200
    And in the latest journal entry of the external user "journal-${unique}" for route "accounts.list", "token_kind" is "connect"
    And in the latest journal entry of the external user "journal-${unique}" for route "accounts.list", "request.headers.Authorization" matches "^Bearer \[redacted:[0-9a-f]{8}\]$"
    And in the latest journal entry of the external user "journal-${unique}" for route "tokens.create", "response.body.token" matches "^\[redacted:[0-9a-f]{8}\]$"
    And the journal shows none of this scenario's secrets in the requests of the external user "journal-${unique}"

  @emulator-only @requires:journal @requires:faults @requires:admin_clients
  Scenario: A call a fault answered is journalled with the fault's id
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: fault_id, faults_only, and a fault's error code; docs/journal-faults-rate-limits.md — Fault plans)
    Given I have created an OAuth client named "conformance-${unique}"
    And I have an access token as the created client
    And I watch the request journal from now
    And the emulator plans a fault remembered as "fault" with JSON:
      """
      {"match": {"route": "projects.list", "client_id": "${created_client_id}"}, "action": {"preset": "unavailable"}}
      """
    When I GET "/v1/connect/projects"
    Then the status is 503
    And the journal has 1 request of the created client for route "projects.list" with status 503
    And in the latest journal entry of the created client for route "projects.list", "fault_id" is "${fault}"
    And in the latest journal entry of the created client for route "projects.list", "error" is "Service Unavailable"
    And in the latest journal entry of the created client for route "projects.list", "response.body.error" is "Service Unavailable"
    When I GET "/_emulator/requests?faults_only=true&client_id=${created_client_id}"
    Then the status is 200
    And the response field "data" has 1 item
    And the response field "data.0.fault_id" is "${fault}"

  Scenario: A mistyped path is answered 404
    Spec: RFC 9110 §15.5.5 (404 Not Found); pdemu decision (docs/behaviour.md — "Unknown paths are 404 not_found")
    Given I have an access token
    When I GET "/v1/connect/projectz?probe=${unique}"
    Then the status is 404
    And the response field "data" is absent

  @emulator-only @requires:journal
  Scenario: A mistyped path's 404 and its journal entry name the route it nearly matches
    Spec: pdemu decision (docs/behaviour.md — "Unknown paths are 404 not_found"; docs/journal-faults-rate-limits.md — The request journal: near_misses, "and the 404 says so too")
    Given I watch the request journal from now
    And I have an access token
    When I GET "/v1/connect/projectz?probe=${unique}"
    Then the error is "not_found" with status 404
    And the response list "details.near_misses" contains the value "GET /v1/connect/projects (projects.list)"
    And the response field "error_description" matches "did you mean GET /v1/connect/projects \(projects\.list\)"
    And the journal has an unmatched GET "/v1/connect/projectz?probe=${unique}" whose near misses include "GET /v1/connect/projects (projects.list)"

  @emulator-only @requires:journal @requires:admin_clients @serial
  Scenario: Clearing the journal forgets every request
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — The request journal: DELETE /_emulator/requests)
    Given I have created an OAuth client named "conformance-${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    And the journal has 1 request of the created client for route "oauthTokens.create" with status 200
    When I clear the request journal
    Then the status is 204
    And the journal has 0 requests of the created client for route "oauthTokens.create"
    When I GET "/_emulator/requests?client_id=${created_client_id}"
    Then the status is 200
    And the response field "data" has 0 items
    And the response field "page_info.total_count" is 0
