Feature: The OAuth token endpoint
  POST /v1/oauth/token exchanges client credentials for a one-hour access
  token, as Pipedream documents it and RFC 6749 specifies the grant.

  What Pipedream documents is @core: the JSON body, the 200 answer, the
  default scope and the claims of real tokens. Form bodies, HTTP Basic and
  the exact error codes are RFC 6749 behaviour Pipedream does not document
  (tagged @rfc6749, not @core); pdemu decides them as the RFC says.

  @core
  Scenario: A client gets a token with the JSON body the SDKs send
    Spec: Pipedream REST API, "Get a new access token"; RFC 6749 §4.4.2–4.4.3, §5.1 (token_type "Value is case insensitive")
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response header "Content-Type" contains "application/json"
    And the response field "token_type" is "Bearer" in any letter case
    And the response field "expires_in" is 3600
    And the response field "access_token" matches "^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"

  @core
  Scenario: The token response says when the token was created
    Spec: Pipedream REST API, "Get a new access token" (created_at, integer Unix seconds; Pipedream's token endpoint docs)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response field "created_at" is within 300 seconds of the target's clock

  @core
  Scenario: The access token is an EdDSA JWT with the claims of real Pipedream tokens
    Spec: a real Pipedream access token (GitHub PipedreamHQ/pipedream#18245, decoded in Pipedream's token endpoint docs); "Access tokens expire after 1 hour" (Pipedream Connect API, Authentication)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the issued token's header "alg" is "EdDSA"
    And the issued token's header "typ" is "JWT"
    And the issued token's claim "jti" matches "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
    And the issued token's claim "iss" is "https://api.pipedream.com"
    And the issued token's claim "token_type" is "oauth_access_token"
    And the issued token's claim "aud" is the JSON ["api", "catcher"]
    And the issued token's claim "sub" matches "^o_[A-Za-z0-9]+$"
    And the issued token's claim "nbf" is the claim "iat" minus 5
    And the issued token's claim "exp" is the claim "iat" plus 3600
    And the issued token's claim "exp" is the claim "iat" plus the response field "expires_in"

  @core
  Scenario: A token requested without a scope has the scope *
    Spec: Pipedream Connect API, Authentication ("If no scope is specified, the token defaults to * (full access)"); the scopes claim of a real token (Pipedream's token endpoint docs)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the issued token's claim "scopes" is the JSON ["*"]

  @core
  Scenario Outline: Bad client credentials get a JSON error and no token: <case>
    Spec: Pipedream OpenAPI ErrorResponse {error, code?, details?} (Pipedream's token endpoint docs: the status for bad credentials is undocumented, so only the error shape is checked)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "<client_id>", "client_secret": "<client_secret>"}
      """
    Then the answer is a JSON error
    And the response field "access_token" is absent

    Examples:
      | case           | client_id                | client_secret    |
      | a wrong secret | ${client_id}             | wrong-${unique}  |
      | unknown client | oc_unknown${unique}      | ${client_secret} |

  @rfc6749
  Scenario: A wrong client secret is refused
    Spec: RFC 6749 §5.2 (invalid_client, 401); pdemu decision (docs/behaviour.md — Token-endpoint errors)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "wrong-${unique}"}
      """
    Then the error is "invalid_client" with status 401
    And the response field "access_token" is absent

  @rfc6749
  Scenario Outline: The token endpoint answers <error> when <case>
    Spec: RFC 6749 §5.2 and §3.3; pdemu decision (docs/behaviour.md — Token-endpoint errors, Scope matching)
    When I POST "/v1/oauth/token" with JSON:
      """
      <body>
      """
    Then the error is "<error>" with status <status>
    And the response field "access_token" is absent

    Examples:
      | case                          | status | error                  | body                                                                                                                                                 |
      | the client is unknown         | 401    | invalid_client         | {"grant_type": "client_credentials", "client_id": "oc_unknown${unique}", "client_secret": "${client_secret}"}                                        |
      | the grant type is device_code | 400    | unsupported_grant_type | {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": "${client_id}", "client_secret": "${client_secret}", "device_code": "d"} |
      | the grant type is unknown     | 400    | unsupported_grant_type | {"grant_type": "urn:pdemu:nope", "client_id": "${client_id}", "client_secret": "${client_secret}"}                                                   |
      | grant_type is missing         | 400    | invalid_request        | {"client_id": "${client_id}", "client_secret": "${client_secret}"}                                                                                   |
      | client_id is missing          | 400    | invalid_request        | {"grant_type": "client_credentials", "client_secret": "${client_secret}"}                                                                            |
      | client_secret is missing      | 400    | invalid_request        | {"grant_type": "client_credentials", "client_id": "${client_id}"}                                                                                    |
      | the body is malformed JSON    | 400    | invalid_request        | {"grant_type": "client_credentials", "client_id":                                                                                                    |
      | a scope is unknown            | 400    | invalid_scope          | {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "connect:users:read connect:nope"}   |
      | a scope differs only in case  | 400    | invalid_scope          | {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "Connect:Users:Read"}                |
      | scopes are separated by a tab | 400    | invalid_scope          | {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "connect:users:read\\tconnect:*"}    |
      | a scope holds a double quote  | 400    | invalid_scope          | {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "connect:users:read\\""}             |

  @rfc6749
  Scenario: A token response must not be cached
    Spec: RFC 6749 §5.1 ("Cache-Control: no-store", "Pragma: no-cache"); pdemu decision (docs/behaviour.md — Token-endpoint errors)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response header "Cache-Control" contains "no-store"
    And the response header "Pragma" contains "no-cache"

  @rfc6749
  Scenario: The token endpoint takes a form body
    Spec: RFC 6749 §4.4.2 and §2.3.1 (client credentials in the request body); pdemu decision (docs/behaviour.md — Form bodies and HTTP Basic)
    When I POST "/v1/oauth/token" with the form:
      | grant_type    | client_credentials |
      | client_id     | ${client_id}       |
      | client_secret | ${client_secret}   |
      | scope         | connect:users:read |
    Then the status is 200
    And the response field "token_type" is "Bearer" in any letter case
    And the response field "expires_in" is 3600
    And the issued token's claim "scopes" holds exactly "connect:users:read"

  @rfc6749
  Scenario: The token endpoint takes HTTP Basic client authentication
    Spec: RFC 6749 §2.3.1 ("The authorization server MUST support the HTTP Basic authentication scheme"); pdemu decision (docs/behaviour.md — Form bodies and HTTP Basic)
    Given I send the client credentials "${client_id}" and "${client_secret}" with HTTP Basic
    When I POST "/v1/oauth/token" with the form:
      | grant_type | client_credentials |
    Then the status is 200
    And the response field "token_type" is "Bearer" in any letter case
    And the response field "access_token" is present

  @rfc6749
  Scenario: HTTP Basic credentials are form-decoded before they are compared
    Spec: RFC 6749 §2.3.1 (client id and secret "encoded using the application/x-www-form-urlencoded encoding algorithm"), Appendix B
    Given I send the client credentials "${client_id}" and "${client_secret}" with HTTP Basic, every character percent-encoded
    When I POST "/v1/oauth/token" with the form:
      | grant_type | client_credentials |
    Then the status is 200
    And the response field "access_token" is present

  @rfc6749
  Scenario: Client credentials sent by two methods at once are refused
    Spec: RFC 6749 §2.3 ("The client MUST NOT use more than one authentication method in each request"), §5.2 invalid_request
    Given I send the client credentials "${client_id}" and "${client_secret}" with HTTP Basic
    When I POST "/v1/oauth/token" with the form:
      | grant_type    | client_credentials |
      | client_id     | ${client_id}       |
      | client_secret | ${client_secret}   |
    Then the error is "invalid_request" with status 400
    And the response field "access_token" is absent

  @rfc6749
  Scenario: A wrong secret sent with HTTP Basic gets a Basic challenge
    Spec: RFC 6749 §5.2 (invalid_client: "If the client attempted to authenticate via the Authorization request header field, the authorization server MUST respond with an HTTP 401 … and include the WWW-Authenticate response header field matching the authentication scheme used by the client")
    Given I send the client credentials "${client_id}" and "wrong-${unique}" with HTTP Basic
    When I POST "/v1/oauth/token" with the form:
      | grant_type | client_credentials |
    Then the error is "invalid_client" with status 401
    And the response challenges with "Basic"

  Scenario: Requested scopes are carried in the token's scopes claim
    Spec: pdemu decision (docs/behaviour.md — Scope matching: the granted set is the JWT's scopes array)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "connect:users:read connect:projects:read"}
      """
    Then the status is 200
    And the issued token's claim "scopes" holds exactly "connect:users:read connect:projects:read"

  Scenario: Duplicate scopes collapse
    Spec: RFC 6749 §3.3 (the scope is a set); pdemu decision (docs/behaviour.md — Scope matching, "duplicates collapse")
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "connect:users:read connect:users:read"}
      """
    Then the status is 200
    And the issued token's claim "scopes" holds exactly "connect:users:read"

  Scenario: A blank scope means the default scope *
    Spec: pdemu decision (docs/behaviour.md — "scope omitted or blank → *")
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": ""}
      """
    Then the status is 200
    And the issued token's claim "scopes" is the JSON ["*"]

  Scenario: created_at is the token's iat
    Spec: pdemu decision (: created_at = iat)
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the issued token's claim "iat" equals the response field "created_at"

  @pdemu-extension
  Scenario: The key set at /.well-known/jwks.json verifies the access token
    Spec: pdemu decision (docs/behaviour.md — "The public key is at GET /.well-known/jwks.json"; RFC 7517, RFC 8037). Pipedream documents no key set: a real server may well fail this.
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And I remember the response field "access_token" as "issued"
    When I GET "/.well-known/jwks.json"
    Then the status is 200
    And the response list "keys" has an item whose "kty" is "OKP"
    And the response list "keys" has an item whose "crv" is "Ed25519"
    And the token "${issued}" is signed by a key of this key set

  @rfc6750
  Scenario: A token whose claims were altered is refused
    Spec: RFC 6750 §3.1 (invalid_token: "The access token provided is … invalid"); pdemu decision (docs/behaviour.md — Protected endpoints, "forged … token → 401 invalid_token")
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}", "scope": "connect:users:read"}
      """
    Then the status is 200
    When I use the issued token with the claim "scopes" set to ["*"]
    And I GET "/v1/connect/projects"
    Then the error is "invalid_token" with status 401
    And the response challenges with "Bearer" and the error "invalid_token"
