Feature: Workflow invocation
  The SDK's workflows.invoke and invokeForExternalUser call a workflow's HTTP
  endpoint (https://<endpoint_id>.m.pipedream.net on Pipedream). An emulator
  serves endpoints at /_workflows/<endpoint_id> and records every invocation
  for GET /_emulator/workflows/<endpoint_id>/invocations, so every scenario
  here needs its control plane.

  @emulator-only @requires:workflows
  Scenario: An unregistered endpoint answers and records the invocation
    Spec: pdemu decision (docs/connect-api.md — Workflows "answered with … 200 {ok, endpoint_id, invocation_id, received}"; invocations recorded)
    When I POST "/_workflows/en${unique}" with JSON:
      """
      {"order": "conf-${unique}", "qty": 3}
      """
    Then the status is 200
    And the response field "ok" is true
    And the response field "endpoint_id" is "en${unique}"
    And the response field "received.order" is "conf-${unique}"
    And the response field "invocation_id" is present
    And I remember the response field "invocation_id" as "invocation"
    When I GET "/_emulator/workflows/en${unique}/invocations"
    Then the status is 200
    And the response field "data" has 1 item
    And the response list "data" has an item whose "id" is "${invocation}"
    And the response field "data.0.method" is "POST"
    And the response field "data.0.body.qty" is 3
    And the response field "data.0.auth" is "none"
    And the response field "data.0.external_user_id" is null

  @emulator-only @requires:workflows
  Scenario: A registered workflow answers with its registered status, headers and body
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/workflows {endpoint_id, status?, headers?, body?, auth?})
    Given the control plane accepts POST "/_emulator/workflows" with JSON:
      """
      {"endpoint_id": "en${unique}", "status": 202, "headers": {"X-Conf": "queued-${unique}"}, "body": {"queued": true, "id": "job-${unique}"}}
      """
    When I PUT "/_workflows/en${unique}/jobs/7?dry=1" with JSON:
      """
      {"a": 1}
      """
    Then the status is 202
    And the response header "X-Conf" is "queued-${unique}"
    And the response field "queued" is true
    And the response field "id" is "job-${unique}"
    When I GET "/_emulator/workflows/en${unique}/invocations"
    Then the status is 200
    And the response field "data.0.method" is "PUT"
    And the response field "data.0.path" is "/jobs/7"
    And the response field "data.0.query" is "dry=1"

  @emulator-only @requires:workflows
  Scenario: invokeForExternalUser with an access token is recorded for that user, without the token
    Spec: SDK workflows.invokeForExternalUser (OAuth bearer plus X-PD-External-User-ID) (Pipedream's OpenAPI document); pdemu decision (docs/connect-api.md — Workflows "recorded … without the Authorization header")
    Given I have an access token
    When I send the header "X-PD-External-User-ID" as "u-${unique}"
    And I POST "/_workflows/en${unique}" with JSON:
      """
      {"hello": "world"}
      """
    Then the status is 200
    And the response field "ok" is true
    When I GET "/_emulator/workflows/en${unique}/invocations"
    Then the status is 200
    And the response field "data.0.external_user_id" is "u-${unique}"
    And the response field "data.0.auth" is "oauth"
    And the response field "data.0.headers.authorization" is absent
    And the response does not contain "${access_token}"

  @emulator-only @requires:workflows
  Scenario: invokeForExternalUser without a token is refused
    Spec: SDK workflows.invokeForExternalUser ("forces OAuth … refuses if no token") (Pipedream's OpenAPI document); pdemu decision for the 401 (docs/connect-api.md — Workflows)
    When I send the header "X-PD-External-User-ID" as "u-${unique}"
    And I POST "/_workflows/en${unique}" with JSON:
      """
      {"hello": "world"}
      """
    Then the status is 401
    And the answer is a JSON error
    And the response header "WWW-Authenticate" contains "Bearer"

  @emulator-only @requires:workflows
  Scenario: A bearer token without connect:workflow:invoke is refused
    Spec: Pipedream docs "Authentication" scope connect:workflow:invoke (Pipedream's OpenAPI document); RFC 6750 §3.1 insufficient_scope
    Given I have an access token with scope "connect:projects:read"
    When I POST "/_workflows/en${unique}" with JSON:
      """
      {"hello": "world"}
      """
    Then the error is "insufficient_scope" with status 403
    And the response header "WWW-Authenticate" contains "connect:workflow:invoke"
    Given I have an access token with scope "connect:workflow:invoke"
    When I POST "/_workflows/en${unique}" with JSON:
      """
      {"hello": "world"}
      """
    Then the status is 200

  @emulator-only @requires:workflows
  Scenario: A workflow with a static bearer token needs that token
    Spec: SDK workflows.invoke authType StaticBearer (Pipedream's OpenAPI document); pdemu decision (docs/control-plane.md — POST /_emulator/workflows auth)
    Given the control plane accepts POST "/_emulator/workflows" with JSON:
      """
      {"endpoint_id": "en${unique}", "auth": "static_bearer", "token": "static-${unique}"}
      """
    When I POST "/_workflows/en${unique}" with JSON:
      """
      {"n": 1}
      """
    Then the status is 401
    And the answer is a JSON error
    When I use the token "wrong-${unique}"
    And I POST "/_workflows/en${unique}" with JSON:
      """
      {"n": 2}
      """
    Then the status is 401
    And the answer is a JSON error
    When I use the token "static-${unique}"
    And I POST "/_workflows/en${unique}" with JSON:
      """
      {"n": 3}
      """
    Then the status is 200
    And the response field "received.n" is 3
    When I GET "/_emulator/workflows/en${unique}/invocations"
    Then the response field "data.0.auth" is "static_bearer"
    And the response does not contain "static-${unique}"

  @emulator-only @requires:workflows
  Scenario: A Connect token invokes for its own user only
    Spec: pdemu decision (docs/connect-api.md — Workflows "A bearer token, when sent, must carry connect:workflow:invoke"; a Connect token naming another user is a 400)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/_workflows/en${unique}" with JSON:
      """
      {"n": 1}
      """
    Then the status is 200
    When I send the header "X-PD-External-User-ID" as "u-${unique}-other"
    And I POST "/_workflows/en${unique}" with JSON:
      """
      {"n": 2}
      """
    Then the status is 400
    And the answer is a JSON error
    When I GET "/_emulator/workflows/en${unique}/invocations"
    Then the response field "data" has 1 item
    And the response field "data.0.auth" is "connect_token"
    And the response field "data.0.external_user_id" is "u-${unique}"

  @emulator-only @requires:workflows
  Scenario: An endpoint id that is not en… or eo… is a 404
    Spec: SDK workflow endpoint ids ^e(n|o)[a-z0-9-]+$ (Pipedream's OpenAPI document id formats); pdemu decision for the 404 (docs/connect-api.md — Workflows)
    When I POST "/_workflows/p_${unique}" with JSON:
      """
      {"n": 1}
      """
    Then the status is 404
    And the answer is a JSON error

  @emulator-only @requires:workflows
  Scenario: Registering a workflow with a bad endpoint id is a 400
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/workflows)
    When I POST "/_emulator/workflows" with JSON:
      """
      {"endpoint_id": "Not An Id ${unique}"}
      """
    Then the status is 400
    And the answer is a JSON error
