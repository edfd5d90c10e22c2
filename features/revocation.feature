Feature: Token revocation
  POST /v1/oauth/revoke ends an access token before it expires: the client
  that was issued it sends the token with its own credentials, and the
  token is refused from then on. Pipedream documents the JSON body
  {token, client_id, client_secret} and the answer 200 {}; RFC 7009
  specifies the rest.

  What Pipedream documents is @core: the JSON body, the 200 answer with a
  JSON object, the token refused afterwards, and a JSON error for a
  request that cannot be honoured. A token there is nothing to revoke of
  (unknown, malformed) answers 200 as RFC 7009 §2.2 requires, which
  Pipedream's "200 OK … if the token was successfully revoked" leaves open,
  and is @core too: it is harmless everywhere. Form bodies, HTTP Basic and
  the exact error codes are RFC 7009 behaviour (its errors are RFC 6749
  §5.2's) that Pipedream does not document (tagged @rfc7009, not @core).
  Each scenario revokes only a token it was just issued.

  @core
  Scenario: A client revokes an access token it was issued, which is then refused
    Spec: Pipedream REST API, "Revoke an access token" (JSON {token, client_id, client_secret}; "200 OK … {}"; "rendering it invalid for future requests"); RFC 7009 §2.1–2.2
    Given I have an access token
    When I GET "/v1/connect/projects"
    Then the status is 200
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response body is a JSON object
    When I use the token "${access_token}"
    And I GET "/v1/connect/projects"
    Then the status is 401
    And the answer is a JSON error

  @core
  Scenario Outline: Revoking <case> answers 200
    Spec: RFC 7009 §2.2 ("invalid tokens do not cause an error response since the client cannot handle such an error in a reasonable way"); Pipedream REST API, "Revoke an access token" (200 {})
    When I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "<token>", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response body is a JSON object

    Examples:
      | case                   | token                              |
      | an unknown token       | unknown-${unique}                  |
      | a malformed JWT        | header-${unique}.payload.signature |

  @core
  Scenario Outline: A revocation with <case> gets a JSON error and revokes nothing
    Spec: Pipedream OpenAPI ErrorResponse {error, code?, details?}; Pipedream REST API, "Revoke an access token" (client_id and client_secret authenticate the call; the status of a refusal is undocumented, so only the error shape is checked)
    Given I have an access token
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      <body>
      """
    Then the answer is a JSON error
    When I use the token "${access_token}"
    And I GET "/v1/connect/projects"
    Then the status is 200

    Examples:
      | case                | body                                                                                        |
      | a wrong secret      | {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "wrong-${unique}"} |
      | no token            | {"client_id": "${client_id}", "client_secret": "${client_secret}"}                          |
      | no client secret    | {"token": "${access_token}", "client_id": "${client_id}"}                                   |

  @rfc7009
  Scenario Outline: The revocation endpoint answers <error> when <case>
    Spec: RFC 7009 §2.2.1 (errors as RFC 6749 §5.2: invalid_client 401, invalid_request 400); pdemu decision (docs/behaviour.md — The token endpoint — Revocation)
    When I POST "/v1/oauth/revoke" with JSON:
      """
      <body>
      """
    Then the error is "<error>" with status <status>

    Examples:
      | case                       | status | error           | body                                                                                           |
      | the client secret is wrong | 401    | invalid_client  | {"token": "unknown-${unique}", "client_id": "${client_id}", "client_secret": "wrong-${unique}"} |
      | the client is unknown      | 401    | invalid_client  | {"token": "unknown-${unique}", "client_id": "oc_unknown${unique}", "client_secret": "x"}        |
      | token is missing           | 400    | invalid_request | {"client_id": "${client_id}", "client_secret": "${client_secret}"}                             |
      | token is empty             | 400    | invalid_request | {"token": "", "client_id": "${client_id}", "client_secret": "${client_secret}"}                |
      | client_id is missing       | 400    | invalid_request | {"token": "unknown-${unique}", "client_secret": "${client_secret}"}                            |
      | client_secret is missing   | 400    | invalid_request | {"token": "unknown-${unique}", "client_id": "${client_id}"}                                    |
      | the body is malformed JSON | 400    | invalid_request | {"token": "unknown-${unique}", "client_id":                                                    |

  @rfc7009
  Scenario: The revocation endpoint takes a form body
    Spec: RFC 7009 §2.1 ("using the application/x-www-form-urlencoded format"); pdemu decision (docs/behaviour.md — The token endpoint — Revocation)
    Given I have an access token
    When I use no token
    And I POST "/v1/oauth/revoke" with the form:
      | token         | ${access_token}  |
      | client_id     | ${client_id}     |
      | client_secret | ${client_secret} |
    Then the status is 200
    When I use the token "${access_token}"
    And I GET "/v1/connect/projects"
    Then it is refused as an invalid token

  @rfc7009
  Scenario: The revocation endpoint takes HTTP Basic client authentication and ignores token_type_hint
    Spec: RFC 7009 §2.1 (client authentication as RFC 6749 §2.3.1; "the authorization server … MAY ignore" token_type_hint, here a wrong one); pdemu decision (docs/behaviour.md — The token endpoint — Revocation)
    Given I have an access token
    When I use no token
    And I send the client credentials "${client_id}" and "${client_secret}" with HTTP Basic
    And I POST "/v1/oauth/revoke" with the form:
      | token           | ${access_token} |
      | token_type_hint | refresh_token   |
    Then the status is 200
    When I use the token "${access_token}"
    And I GET "/v1/connect/projects"
    Then it is refused as an invalid token

  @rfc7009
  Scenario: Client credentials sent by two methods at once are refused by the revocation endpoint
    Spec: RFC 6749 §2.3 ("The client MUST NOT use more than one authentication method in each request"), §5.2 invalid_request, as RFC 7009 §2.1 requires client authentication per RFC 6749
    Given I send the client credentials "${client_id}" and "${client_secret}" with HTTP Basic
    When I POST "/v1/oauth/revoke" with the form:
      | token         | unknown-${unique} |
      | client_id     | ${client_id}      |
      | client_secret | ${client_secret}  |
    Then the error is "invalid_request" with status 400

  @rfc7009
  Scenario: A wrong secret sent to the revocation endpoint with HTTP Basic gets a Basic challenge
    Spec: RFC 7009 §2.2.1 and RFC 6749 §5.2 (invalid_client: a client that used the Authorization header gets 401 and a WWW-Authenticate "matching the authentication scheme used by the client")
    Given I send the client credentials "${client_id}" and "wrong-${unique}" with HTTP Basic
    When I POST "/v1/oauth/revoke" with the form:
      | token | unknown-${unique} |
    Then the error is "invalid_client" with status 401
    And the response challenges with "Basic"

  @rfc7009
  Scenario: Revoking a token twice answers 200 both times
    Spec: RFC 7009 §2.2 (an invalid token, a revoked one among them, is no error)
    Given I have an access token
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    When I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response body is a JSON object

  @rfc6750
  Scenario: A revoked access token is refused with invalid_token
    Spec: RFC 6750 §3.1 (invalid_token: "The access token provided is … revoked"); pdemu decision (docs/behaviour.md — Protected endpoints, "a malformed, forged, expired, not-yet-valid or revoked token → 401 invalid_token")
    Given I have an access token
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    When I use the token "${access_token}"
    And I GET "/v1/connect/${project_id}/users"
    Then it is refused as an invalid token
    And the response challenges with "Bearer" and the error "invalid_token"

  Scenario: A revocation answer must not be cached
    Spec: pdemu decision (docs/behaviour.md — The token endpoint — Revocation: Cache-Control: no-store, as on the token endpoint; RFC 6749 §5.1)
    When I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "unknown-${unique}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response header "Cache-Control" contains "no-store"

  @requires:second-client
  Scenario: A client cannot revoke another client's token, and is told nothing
    Spec: RFC 7009 §2.1 ("The authorization server … verifies whether the token was issued to the client making the revocation request"); pdemu decision (docs/behaviour.md — The token endpoint — Revocation: 200 as for an unknown token, the token untouched, as ory/fosite answers)
    Given I have an access token as the second client
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response body is a JSON object
    When I use the token "${access_token}"
    And I GET "/v1/connect/projects"
    Then the status is 200

  @emulator-only @requires:clock @serial
  Scenario: Revoking an expired access token answers 200 and it stays refused
    Spec: RFC 7009 §2.2 (an expired token is an invalid token: no error); RFC 7519 §4.1.4; pdemu decision (docs/behaviour.md — Expiry "is exact")
    Given the emulator clock stands at a whole second
    And I have an access token
    When the emulator clock advances by 3599 seconds
    And I GET "/v1/connect/projects"
    Then the status is 200
    When the emulator clock advances by 1 second
    And I GET "/v1/connect/projects"
    Then it is refused as an invalid token
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${access_token}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response body is a JSON object
    When I use the token "${access_token}"
    And I GET "/v1/connect/projects"
    Then it is refused as an invalid token

  @pdemu-extension
  Scenario: A Connect token revoked by its workspace's client is refused
    Spec: pdemu decision (docs/behaviour.md — The token endpoint — Revocation: "A Connect token (ctok_…) of a project the client may reach is revoked too"). Pipedream has not said its revocation endpoint takes Connect tokens: a real server may well fail this.
    Given I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    And I remember the response field "token" as "ctok"
    When I GET "/v1/connect/accounts?external_user_id=u-${unique}"
    Then the status is 200
    When I use no token
    And I POST "/v1/oauth/revoke" with JSON:
      """
      {"token": "${ctok}", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response body is a JSON object
    When I use the token "${ctok}"
    And I GET "/v1/connect/accounts?external_user_id=u-${unique}"
    Then it is refused as an invalid token
