@emulator-only
Feature: Who may drive the control plane
  pdemu runs beside a developer's browser, so no web page may drive its
  control plane. A page can send a "simple" request across origins without
  asking first (a form post, or fetch with text/plain); every control-plane
  write therefore needs Content-Type: application/json, bodyless ones too,
  which a browser sends to another origin only after a CORS preflight, and
  pdemu grants no preflight. A request that carries an Origin other than
  the emulator's own is refused. (The kit sends the JSON type on its
  control-plane writes, and the control token when it is given one: these
  scenarios hold whether the target requires a token or not.)

  @requires:admin_clients
  Scenario: A control-plane write sent as text/plain is refused and creates nothing
    Spec: pdemu decision (docs/running-safely.md — "Content-Type: application/json on every write"; Fetch standard, CORS-safelisted request headers)
    When I POST "/_emulator/oauth-clients" with a body of type "text/plain":
      """
      {"name": "conformance-${unique}"}
      """
    Then the status is 415
    And the answer is a JSON error
    And the response field "client_secret" is absent
    When I GET "/_emulator/oauth-clients"
    Then the status is 200
    And the response list "data" has no item whose "name" is "conformance-${unique}"

  @requires:admin_clients
  Scenario: A control-plane write sent as a form is refused and creates nothing
    Spec: pdemu decision (docs/running-safely.md — "Content-Type: application/json on every write"; HTML, form submission)
    When I POST "/_emulator/oauth-clients" with body "name=conformance-${unique}" of type "application/x-www-form-urlencoded"
    Then the status is 415
    And the answer is a JSON error
    And the response field "client_secret" is absent
    When I GET "/_emulator/oauth-clients"
    Then the status is 200
    And the response list "data" has no item whose "name" is "conformance-${unique}"

  @requires:admin_clients
  Scenario: A bodyless control-plane write sent as text/plain is refused and rotates nothing
    Spec: pdemu decision (docs/running-safely.md — "bodyless ones too")
    Given I have created an OAuth client named "conformance-${unique}"
    When I POST "/_emulator/oauth-clients/${created_client_id}/rotate-secret" with body "" of type "text/plain"
    Then the status is 415
    And the answer is a JSON error
    And the response field "client_secret" is absent
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${created_client_id}", "client_secret": "${created_client_secret}"}
      """
    Then the status is 200

  @requires:admin_clients
  Scenario: A control-plane write sent as JSON with a charset is served
    Spec: pdemu decision (docs/running-safely.md — "Content-Type: application/json", parameters allowed; RFC 8259 §11)
    When I POST "/_emulator/oauth-clients" with a body of type "application/json; charset=utf-8":
      """
      {"name": "conformance-${unique}"}
      """
    Then the status is 201
    And the response field "name" is "conformance-${unique}"
    And I remember the response field "client_id" as "charset_client"
    When I DELETE "/_emulator/oauth-clients/${charset_client}"
    Then the status is 204

  @requires:admin_clients
  Scenario Outline: A control-plane read from the origin <origin> is refused
    Spec: pdemu decision (docs/running-safely.md — "a request carrying a foreign Origin is refused"; RFC 6454 §7)
    Given I send the header "Origin" as "<origin>"
    When I GET "/_emulator/oauth-clients"
    Then the status is 403
    And the answer is a JSON error
    And the response field "data" is absent

    Examples:
      | origin                    |
      | http://evil.example       |
      | null                      |
      | https://evil.example:8443 |

  @requires:admin_clients
  Scenario: A control-plane write from a foreign origin is refused and creates nothing
    Spec: pdemu decision (docs/running-safely.md — "a request carrying a foreign Origin is refused")
    Given I send the header "Origin" as "http://evil.example"
    When I POST "/_emulator/oauth-clients" with JSON:
      """
      {"name": "conformance-${unique}"}
      """
    Then the status is 403
    And the answer is a JSON error
    And the response field "client_secret" is absent
    When I GET "/_emulator/oauth-clients"
    Then the status is 200
    And the response list "data" has no item whose "name" is "conformance-${unique}"

  Scenario: A CORS preflight to the control plane grants nothing
    Spec: pdemu decision (docs/running-safely.md — "pdemu never sends an Access-Control-* header"); Fetch standard, CORS preflight
    Given I send the header "Origin" as "http://evil.example"
    And I send the header "Access-Control-Request-Method" as "POST"
    And I send the header "Access-Control-Request-Headers" as "content-type"
    When I OPTIONS "/_emulator/reset"
    Then the status is 403
    And the answer is a JSON error
    And the response header "Access-Control-Allow-Origin" is absent
    And the response header "Access-Control-Allow-Methods" is absent
    And the response header "Access-Control-Allow-Headers" is absent
    And the response header "Access-Control-Allow-Credentials" is absent
