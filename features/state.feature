@emulator-only @requires:state
Feature: The emulator's state, kept and replayed
  An emulator keeps its whole state (the clock, the signing key, the OAuth
  clients, the Connect records, the fault plans and the rate limits; not
  the request journal) as one versioned document: GET /_emulator/state
  exports it, PUT /_emulator/state replaces the state with one, whole or
  not at all. Named snapshots keep it in memory (POST /_emulator/snapshots),
  to restore as often as wanted (POST /_emulator/snapshots/{name}/restore)
  until deleted. A document keeps a client's secret only as its hash.

  Exporting and taking a snapshot change nothing, so those scenarios run
  beside the others; a snapshot a scenario takes carries its random suffix
  and is deleted after it. Restoring and importing replace every user's
  state and set the clock to the document's, so a scenario that does
  either is @serial, and the kit snapshots the state before its first
  such request and restores it after the scenario: the server, clock
  included, is left as the scenario found it.

  @requires:admin_clients
  Scenario: An exported state names its format, has every part, and shows no client secret or access token
    Spec: pdemu decision (emulator.ExportState, GET /_emulator/state: a "pdemu-state/1" document of the clock, signing key, OAuth clients, Connect records, faults and rate limits; "secret hashes only, never secrets")
    Given I have created an OAuth client named "state-${unique}"
    And I have an access token as the created client
    When I export the emulator's state
    Then the status is 200
    And the response field "format" is "pdemu-state/1"
    And the response field "clock.now" is present
    And the response field "signing_key" is present
    And the response field "oauth" is present
    And the response field "connect" is present
    And the response field "faults" is present
    And the response field "rate_limits" is present
    And the response list "oauth.clients" has an item whose "id" is "${client_id}"
    And the response list "oauth.clients" has an item whose "id" is "${created_client_id}"
    And the exported state shows none of the scenario's client secrets or access tokens

  @requires:clock
  Scenario: A snapshot is listed until it is deleted
    Spec: pdemu decision (POST /_emulator/snapshots 201 {name, created_at}; GET /_emulator/snapshots {data}; DELETE /_emulator/snapshots/{name} 204, then 404)
    Given a snapshot "state-${unique}" of the emulator
    Then the status is 201
    And the response field "name" is "state-${unique}"
    And the response field "created_at" is within 5 seconds of the emulator clock
    When I GET "/_emulator/snapshots"
    Then the status is 200
    And the response list "data" has an item whose "name" is "state-${unique}"
    When I DELETE "/_emulator/snapshots/state-${unique}"
    Then the status is 204
    When I DELETE "/_emulator/snapshots/state-${unique}"
    Then the error is "not_found" with status 404
    When I GET "/_emulator/snapshots"
    Then the response list "data" has no item whose "name" is "state-${unique}"

  Scenario: A snapshot's name is required, and taken only once
    Spec: pdemu decision (POST /_emulator/snapshots: 409 for a name in use, 400 for an empty one)
    Given a snapshot "state-${unique}" of the emulator
    When I POST "/_emulator/snapshots" with JSON:
      """
      {"name": "state-${unique}"}
      """
    Then the error is "conflict" with status 409
    When I POST "/_emulator/snapshots" with JSON:
      """
      {"name": ""}
      """
    Then the error is "invalid_request" with status 400

  @serial @requires:admin_clients
  Scenario: Restoring a snapshot brings back the state it was taken of, as often as asked
    Spec: pdemu decision (emulator.Restore, POST /_emulator/snapshots/{name}/restore: "returns the whole state to a snapshot, which stays for another Restore"; 404 for an unknown one)
    Given a snapshot "state-${unique}" of the emulator
    And I have created an OAuth client named "state-${unique}"
    When I restore the snapshot "state-${unique}"
    Then the status is 200
    And the response field "name" is "state-${unique}"
    And the response field "clock.now" is present
    When I GET "/_emulator/oauth-clients/${created_client_id}"
    Then the error is "not_found" with status 404
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the error is "invalid_client" with status 401
    Given I have a Connect token for external user "state-${unique}"
    And I have an access token
    When I GET "/v1/connect/${project_id}/users?q=state-${unique}"
    Then the response list "data" has an item whose "external_id" is "state-${unique}"
    When I restore the snapshot "state-${unique}"
    Then the status is 200
    When I GET "/v1/connect/${project_id}/users?q=state-${unique}"
    Then the status is 200
    And the response list "data" has no item whose "external_id" is "state-${unique}"
    When I GET "/_emulator/snapshots"
    Then the response list "data" has an item whose "name" is "state-${unique}"
    When I DELETE "/_emulator/snapshots/state-${unique}"
    Then the status is 204
    When I restore the snapshot "state-${unique}"
    Then the error is "not_found" with status 404

  @serial @requires:clock
  Scenario: Restoring a snapshot sets the clock back to the snapshot's
    Spec: pdemu decision (a state document keeps the clock: the instant, and for a clock that follows real time how far ahead of it it runs)
    Given I remember the Unix time now as "taken"
    And a snapshot "clock-${unique}" of the emulator
    And the emulator clock advances by 3600 seconds
    When I restore the snapshot "clock-${unique}"
    Then the status is 200
    Given I have an access token
    Then the issued token's claim "iat" is within 5 seconds of "${taken}" plus 0 seconds

  @serial
  Scenario Outline: A state document with <what> is refused, naming <named>, and changes nothing
    Spec: pdemu decision (emulator.ImportState, PUT /_emulator/state: "validated whole first: an invalid document changes nothing and its error names the JSON path of the first bad value")
    When I export the emulator's state
    And I put the exported state back with "<path>" set to <value>
    Then the error is "invalid_request" with status 400
    And the response field "error_description" starts with "<named>: "
    And the emulator's state is the exported one

    Examples:
      | what                        | path                         | value           | named                         |
      | a format of another version | format                       | "pdemu-state/0" | format                        |
      | a malformed project id      | connect.projects.0.id        | "nope"          | connect.projects[0].id        |
      | a client of no workspace    | oauth.clients.0.workspace_id | "o_missing"     | oauth.clients[0].workspace_id |
      | no clock                    | clock.now                    | null            | clock.now                     |

  @serial
  Scenario: An exported state put back is taken whole, and a token issued before still works
    Spec: pdemu decision (emulator.ImportState, PUT /_emulator/state 200 {status, clock}: export, import, export gives the same document; "a token issued before the export verifies after the import")
    Given I have an access token
    When I export the emulator's state
    And I put the exported state back
    Then the status is 200
    And the response field "status" is "ok"
    And the response field "clock.now" is present
    And the emulator's state is the exported one
    When I GET "/v1/connect/projects"
    Then the status is 200
