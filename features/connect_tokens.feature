Feature: Connect tokens
  POST /v1/connect/{project_id}/tokens (OAuth only) makes a short-lived
  ctok_ token for one external user of one project environment. It is a
  bearer credential on the endpoints whose OpenAPI security lists
  ConnectToken, bound to its project, environment and user. What Pipedream
  documents (Pipedream's Connect token docs: the ctok_ format, expires_in 1..14400 with 4 hours
  by default, the default scope connect:*, * never granted) is @core; the
  status codes of refusals are pdemu's decisions. Every external user made
  here is deleted after its scenario.

  @core
  Scenario: A Connect token made with the defaults lives four hours
    Spec: Pipedream OpenAPI tokens.create (200 {token, expires_at, connect_link_url}); Pipedream Connect API, Authentication ("Connect token TTL": default 14400 s); Pipedream's Connect token docs
    Given I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}"}
      """
    Then the status is 200
    And the response field "token" matches "^ctok_[0-9a-f]{32}$"
    And the response field "expires_at" is within 300 seconds of the target's clock plus 14400 seconds
    And the response field "connect_link_url" matches "^https://"

  @core
  Scenario Outline: A Connect token may live <seconds> seconds
    Spec: Pipedream Connect API, Authentication ("Connect token TTL": expires_in from 1 to 14400 seconds); Pipedream's Connect token docs
    Given I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "expires_in": <seconds>}
      """
    Then the status is 200
    And the response field "token" matches "^ctok_[0-9a-f]{32}$"
    And the response field "expires_at" is within 300 seconds of the target's clock plus <seconds> seconds

    Examples:
      | seconds |
      | 1       |
      | 14400   |

  @core
  Scenario: A Connect token made without a scope works across Connect families
    Spec: Pipedream Connect API, Authentication (Connect tokens default to connect:*, "Full access to all Connect API endpoints"); OpenAPI security of accounts.list and apps.list (ConnectToken accepted)
    Given I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data" is present
    When I GET "/v1/connect/apps"
    Then the status is 200
    And the response field "data" is present

  @core
  Scenario: A Connect token is accepted with and without the project in the path
    Spec: SDK 3.1.6 with a Connect token calls /v1/connect/<resource> without a project id, "the backend derives it from the token" (Pipedream's OpenAPI document, TS-REPO tests/wire/connectTokenProjectId.test.ts); OpenAPI accounts.list security
    Given I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I GET "/v1/connect/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data" is present
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data" is present

  @core
  Scenario: A Connect token cannot be granted *
    Spec: Pipedream Connect API, Authentication ("Connect tokens cannot be granted the * scope. The maximum scope available is connect:*"); Pipedream's Connect token docs. The refusal's status is undocumented: only the error shape is checked.
    Given I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "scope": "*"}
      """
    Then the answer is a JSON error
    And the response field "token" is absent

  Scenario Outline: An expires_in of <expires_in> is refused
    Spec: Pipedream Connect API, Authentication (expires_in 1..14400); pdemu decision (docs/connect-api.md — Connect tokens, "fractions, strings and out-of-range values are 400s")
    Given I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "expires_in": <expires_in>}
      """
    Then the status is 400
    And the answer is a JSON error
    And the response field "token" is absent

    Examples:
      | expires_in |
      | 0          |
      | 14401      |
      | -1         |
      | 1.5        |
      | "60"       |

  Scenario Outline: Asking a Connect token for "<scope>" is a 400 invalid_scope
    Spec: Pipedream Connect API, Authentication (* is not grantable; the scope names); pdemu decision (docs/connect-api.md — Connect tokens); RFC 6749 §5.2 invalid_scope
    Given I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "scope": "<scope>"}
      """
    Then the error is "invalid_scope" with status 400
    And the response field "token" is absent

    Examples:
      | scope                 |
      | *                     |
      | connect:* *           |
      | connect:nope:read     |
      | Connect:Accounts:Read |

  Scenario: A Connect token is never wider than the token that made it
    Spec: pdemu decision (docs/connect-api.md — Connect tokens, "never wider than the creating OAuth token")
    Given I have an access token with scope "connect:tokens:create connect:accounts:read"
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "scope": "connect:users:write"}
      """
    Then the error is "invalid_scope" with status 400
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "scope": "connect:accounts:read"}
      """
    Then the status is 200
    And the response field "token" matches "^ctok_"

  Scenario: A Connect token's scope is enforced
    Spec: Pipedream Connect API, Authentication ("Connect token scopes": the same scopes as OAuth tokens); pdemu decision for the refusal (docs/behaviour.md — Protected endpoints); RFC 6750 §3.1
    Given I have a Connect token for external user "u-${unique}" with scope "connect:accounts:read"
    And the external user "u-${unique}" is deleted afterwards
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}"
    Then it is refused for want of one of the scopes "connect:users:write"

  Scenario: Validating an unknown Connect token answers success false
    Spec: SDK ValidateTokenResponse {success, error, …} (Pipedream's Connect token docs); pdemu decision (docs/connect-api.md — Connect tokens, "answers 200 {success: false, error} for an unknown … token")
    Given I use no token
    When I GET "/v1/connect/tokens/ctok_00000000000000000000000000000000/validate?app_id=slack"
    Then the status is 200
    And the response field "success" is false
    And the response field "error" is present

  Scenario: A fresh Connect token validates without credentials
    Spec: OpenAPI tokens.validate (no security; ValidateTokenResponse requires error, null on success; https://pipedream.com/docs/connect/api-reference); SDK ValidateTokenResponse; pdemu decision (docs/connect-api.md — Connect tokens)
    Given I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}"}
      """
    Then the status is 200
    And I remember the response field "token" as "ctok"
    Given I use no token
    When I GET "/v1/connect/tokens/${ctok}/validate?app_id=slack"
    Then the status is 200
    And the response field "success" is true
    And the response field "error" is null
    And the response field "project_id" is "${project_id}"

  @rfc6750
  Scenario: A Connect token is refused on users.list, which takes an OAuth token only
    Spec: Pipedream OpenAPI users.list (security: OAuth2 only; Pipedream's Connect token docs); pdemu decision for the answer (docs/connect-api.md — Credentials and paths); RFC 6750 §3.1
    Given I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I GET "/v1/connect/${project_id}/users"
    Then it is refused as an invalid token

  Scenario: A Connect token is bound to its project
    Spec: Pipedream Connect docs ("project is derived from the token", Pipedream's Connect token docs); pdemu decision (docs/connect-api.md — "Another project is a 404")
    Given I have a project of my own named "conformance-${unique}", remembered as "other_project"
    And I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I GET "/v1/connect/${other_project}/accounts?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200

  Scenario: A Connect token is bound to its environment
    Spec: Pipedream Connect docs (a Connect token is scoped to the environment given at creation, Pipedream's Connect token docs); pdemu decision (docs/connect-api.md — "an x-pd-environment other than the token's is a 400")
    Given I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I send X-PD-Environment as the other environment
    And I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 400
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200

  @emulator-only @requires:clock @serial
  Scenario: A Connect token is refused from its expires_at on
    Spec: Pipedream Connect API, Authentication (Connect token TTL); pdemu decision (docs/connect-api.md — Connect tokens, "the token is refused from that instant on")
    Given the emulator clock stands at a whole second
    And I have an access token
    When I create a Connect token with JSON:
      """
      {"external_user_id": "u-${unique}", "expires_in": 60}
      """
    Then the status is 200
    And the response field "expires_at" is within 1 second of the emulator clock plus 60 seconds
    When I use the Connect token from the response
    And the emulator clock advances by 59 seconds
    And I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    When the emulator clock advances by 1 second
    And I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then it is refused as an invalid token
    Given I use no token
    When I GET "/v1/connect/tokens/${connect_token}/validate?app_id=slack"
    Then the status is 200
    And the response field "success" is false
