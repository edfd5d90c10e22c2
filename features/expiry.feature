Feature: Access-token expiry
  An access token lives one hour: exp = iat + expires_in = iat + 3600.
  Against any server this is checked arithmetically, with iat near the
  target's clock (the local clock, or an emulator's own clock, which need
  not be the wall clock's). An emulator with a clock also runs the hour:
  its clock is moved to the token's last second, and one second further.
  Those scenarios are @serial: they move the clock every scenario shares.

  @core
  Scenario: An access token lives expires_in seconds from its iat
    Spec: Pipedream Connect API, Authentication ("Access tokens expire after 1 hour"); Pipedream REST API, "Get a new access token" (expires_in 3600); a real token's exp − iat = 3600 (Pipedream's token endpoint docs)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response field "expires_in" is 3600
    And the issued token's claim "exp" is the claim "iat" plus the response field "expires_in"
    And the issued token's claim "iat" is within 300 seconds of the target's clock
    And the issued token's claim "exp" is within 300 seconds of the target's clock plus 3600 seconds

  @emulator-only @requires:clock @serial
  Scenario: An access token is accepted in its last second and refused from exp on
    Spec: RFC 7519 §4.1.4 (exp: "MUST NOT be accepted for processing" on or after it); RFC 6750 §3.1 invalid_token; pdemu decision (docs/behaviour.md — Expiry "is exact")
    Given the emulator clock stands at a whole second
    And I have an access token
    When the emulator clock advances by 3599 seconds
    And I GET "/v1/connect/projects"
    Then the status is 200
    When the emulator clock advances by 1 second
    And I GET "/v1/connect/projects"
    Then the error is "invalid_token" with status 401
    And the response challenges with "Bearer" and the error "invalid_token"

  @emulator-only @requires:clock @serial
  Scenario: Token times come from the emulator clock
    Spec: pdemu decision ("every time the emulator reads comes from its Clock"; docs/control-plane.md — clock)
    Given the emulator clock stands at a whole second
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response field "created_at" is within 1 second of the emulator clock
    And the issued token's claim "iat" is within 1 second of the emulator clock
    And the issued token's claim "exp" is within 1 second of the emulator clock plus 3600 seconds
    And I remember the issued token's claim "iat" as "first_iat"
    When the emulator clock advances by 1000 seconds
    And I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the issued token's claim "iat" is within 1 second of "${first_iat}" plus 1000 seconds
    And the response field "created_at" is within 1 second of the emulator clock

  @emulator-only @requires:clock @serial
  Scenario: An access token is refused before its nbf
    Spec: RFC 7519 §4.1.5 (nbf: "MUST NOT be accepted for processing" before it); pdemu decision (docs/behaviour.md — Expiry, "as is nbf")
    Given I have an access token
    When the emulator clock is set to the issued token's claim "nbf" minus 1 second
    And I GET "/v1/connect/projects"
    Then the error is "invalid_token" with status 401
    When the emulator clock advances by 1 second
    And I GET "/v1/connect/projects"
    Then the status is 200
