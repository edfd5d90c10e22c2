@emulator-only @requires:admin_clients
Feature: OAuth clients of the control plane
  Pipedream's OAuth clients are made, rotated and deleted in the workspace's
  API settings, by hand; the emulator does it through /_emulator/oauth-clients.
  The secret is shown once, when the client is made or its secret rotated.
  A rotated secret fails at once (tokens already issued stay valid unless
  the target lists the capability rotation_revokes_tokens); a deleted
  client's tokens fail at once. Every client made here is deleted after its
  scenario.

  Scenario: A new OAuth client's secret is shown once
    Spec: Pipedream Connect API, Authentication ("Copy the client ID and secret (the secret will not be accessible again)"); docs/control-plane.md
    When I create an OAuth client with JSON:
      """
      {"name": "conformance-${unique}"}
      """
    Then the status is 201
    And the response field "client_id" is present
    And the response field "client_secret" is present
    And the response field "name" is "conformance-${unique}"
    When I walk the pages of "/_emulator/oauth-clients?limit=100" collecting "client_id"
    Then the collected values include "${created_client_id}"
    And the collected values have no duplicates
    And the response field "page_info.end_cursor" is null
    When I GET "/_emulator/oauth-clients?limit=1"
    Then the status is 200
    And the response field "data" has 1 item
    And the response field "page_info.count" is 1
    When I GET "/_emulator/oauth-clients?limit=100"
    Then the status is 200
    And the response does not contain "${created_client_secret}"
    When I GET "/_emulator/oauth-clients/${created_client_id}"
    Then the status is 200
    And the response field "client_id" is "${created_client_id}"
    And the response field "client_secret" is absent
    And the response does not contain "${created_client_secret}"

  Scenario: A new OAuth client gets a token of its workspace
    Spec: Pipedream Connect API, Authentication (clients "are tied to the Pipedream workspace"; tokens' sub is the workspace, Pipedream's token endpoint docs, Pipedream's REST API auth docs)
    Given I have created an OAuth client named "conformance-${unique}"
    And I have an access token
    And I remember the issued token's claim "sub" as "workspace"
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the status is 200
    And the issued token's claim "sub" is "${workspace}"
    And the issued token's claim "scopes" is the JSON ["*"]
    Given I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the status is 200

  @destructive
  Scenario: Rotating a secret refuses the old one at once
    Spec: Pipedream Connect API, Authentication ("Revoking a client secret … Rotate client secret"); pdemu decision (docs/behaviour.md — Secret rotation; Pipedream's REST API auth docs)
    Given I have created an OAuth client named "conformance-${unique}"
    And I have an access token as the created client
    And I remember the response field "access_token" as "token_before"
    When I POST "/_emulator/oauth-clients/${created_client_id}/rotate-secret"
    Then the status is 200
    And the response field "client_id" is "${created_client_id}"
    And the response field "client_secret" is present
    And the response does not contain "${created_client_secret}"
    And I remember the response field "client_secret" as "new_secret"
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the error is "invalid_client" with status 401
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${new_secret}"}
      """
    Then the status is 200
    When I use the token "${token_before}"
    And I GET "/v1/connect/projects"
    Then the status is 200, or the error is "invalid_token" with status 401 if the target lists the capability "rotation_revokes_tokens"

  @destructive
  Scenario: Deleting a client refuses its tokens at once
    Spec: pdemu decision (docs/behaviour.md — "Deleting a client makes its tokens fail at once"; Pipedream's REST API auth docs: deletion is undocumented)
    Given I have created an OAuth client named "conformance-${unique}"
    And I have an access token as the created client
    When I DELETE "/_emulator/oauth-clients/${created_client_id}"
    Then the status is 204
    When I GET "/v1/connect/projects"
    Then the error is "invalid_token" with status 401
    When I GET "/_emulator/oauth-clients/${created_client_id}"
    Then the status is 404
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the error is "invalid_client" with status 401
    When I DELETE "/_emulator/oauth-clients/${created_client_id}"
    Then the status is 404

  Scenario Outline: An OAuth client name of <length> characters padded with "<pad>" is answered <status>
    Spec: pdemu decision ("a client or project name is required, 1..200 characters; anything else is a 400"; docs/behaviour.md — Names, "characters (not bytes), not only blank")
    When I create an OAuth client whose name is <length> characters long, padded with "<pad>"
    Then the status is <status>

    Examples:
      | length | pad | status |
      | 1      | x   | 201    |
      | 200    | x   | 201    |
      | 200    | é   | 201    |
      | 0      | x   | 400    |
      | 201    | x   | 400    |
      | 201    | é   | 400    |

  Scenario: A blank OAuth client name is refused
    Spec: pdemu decision (docs/behaviour.md — Names, "not only blank")
    When I create an OAuth client with JSON:
      """
      {"name": "   "}
      """
    Then the status is 400
    And the answer is a JSON error

  Scenario: A client limited to a scope gets at most that scope
    Spec: pdemu decision (docs/behaviour.md — OAuth clients, "optionally a client is limited to some scopes"; RFC 6749 §3.3)
    When I create an OAuth client with JSON:
      """
      {"name": "conformance-${unique}", "scopes": "connect:users:read"}
      """
    Then the status is 201
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the status is 200
    And the issued token's claim "scopes" holds exactly "connect:users:read"
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}", "scope": "*"}
      """
    Then the error is "invalid_scope" with status 400
