Feature: The OAuth token endpoint
  POST /v1/oauth/token exchanges client credentials for a one-hour access
  token, as Pipedream documents it and RFC 6749 specifies the grant.

  @core
  Scenario: A client gets a token with the JSON body the SDKs send
    Spec: Pipedream REST API, "Get a new access token"; RFC 6749 §4.4.2–4.4.3
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response field "token_type" is "Bearer"
    And the response field "expires_in" is 3600
    And the response field "access_token" matches "^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
    And the response header "Cache-Control" contains "no-store"

  @core
  Scenario: A wrong client secret is refused
    Spec: RFC 6749 §5.2 (invalid_client)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "wrong-${unique}"}
      """
    Then the error is "invalid_client" with status 401
    And the response field "access_token" is absent
