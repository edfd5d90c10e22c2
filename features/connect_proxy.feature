Feature: The Connect proxy
  /v1/connect/{project_id}/proxy/{url_64} calls the base64-encoded URL as an
  external user's connected account and answers with the upstream's status
  and body. Against an emulator the upstream is the emulator itself (its
  public JWKS document or a workflow endpoint, never its control plane,
  which may want a token the proxy does not send), which its default
  allow-list (loopback) lets the proxy reach; against a real server
  proxying needs a real account, so every scenario here needs the control
  plane.

  Background:
    Given I remember the base URL as "base_url"
    And I remember the base64 of "${base_url}/.well-known/jwks.json" as "jwks_64"

  @emulator-only @requires:connect_accounts
  Scenario: An OAuth caller proxies a GET as a user's account
    Spec: OpenAPI proxy.get (query external_user_id, account_id; the upstream body verbatim) (Pipedream's OpenAPI document)
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/${jwks_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the status is 200
    And the response field "keys" has at least 1 item
    And the response header "Content-Type" contains "application/json"

  @emulator-only @requires:connect_accounts
  Scenario: A Connect token proxies on the double-slash path the SDK sends
    Spec: SDK proxy.* with a Connect token (request line /v1/connect//proxy/<url_64>, project derived from the token) (Pipedream's OpenAPI document)
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have a Connect token for external user "u-${unique}"
    When I GET "/v1/connect//proxy/${jwks_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the status is 200
    And the response field "keys" has at least 1 item
    When I GET "/v1/connect/${project_id}/proxy/${jwks_64}?account_id=${acct}"
    Then the status is 200
    And the response field "keys" has at least 1 item

  @emulator-only @requires:connect_accounts
  Scenario: url_64 may be URL-safe and unpadded
    Spec:  (accept standard and URL-safe base64, padded or not); pdemu decision (docs/connect-api.md — Proxy)
    Given I remember the URL-safe unpadded base64 of "${base_url}/.well-known/jwks.json?conf=${unique}~~" as "safe_64"
    And the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/${safe_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the status is 200
    And the response field "keys" has at least 1 item

  @emulator-only @requires:connect_accounts
  Scenario: Another user's account cannot be proxied through
    Spec: pdemu decision (docs/connect-api.md — "another user's resources are 404s"; Proxy)
    Given the emulator has connected an account of app "openai" for external user "u-${unique}-owner" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-owner" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/${jwks_64}?external_user_id=u-${unique}-other&account_id=${acct}"
    Then the status is 404
    And the answer is a JSON error
    And the response field "keys" is absent
    Given I have a Connect token for external user "u-${unique}-other"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-other" after the scenario
    When I GET "/v1/connect//proxy/${jwks_64}?account_id=${acct}"
    Then the status is 404
    And the answer is a JSON error

  @emulator-only @requires:connect_accounts
  Scenario Outline: A proxy call with <case> is a 400 JSON error
    Spec: OpenAPI proxy query (external_user_id and account_id required) (Pipedream's OpenAPI document); pdemu decision for the status (docs/connect-api.md — Proxy "url_64 … must decode to an absolute http(s) URL")
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I remember the base64 of "<url>" as "bad_64"
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/<url_64>?<query>"
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | case                        | url                    | url_64      | query                                           |
      | no account_id               | unused                 | ${jwks_64}  | external_user_id=u-${unique}                    |
      | no external_user_id         | unused                 | ${jwks_64}  | account_id=${acct}                              |
      | a url_64 that is not base64 | unused                 | not*base64! | external_user_id=u-${unique}&account_id=${acct} |
      | a relative URL              | /.well-known/jwks.json | ${bad_64}   | external_user_id=u-${unique}&account_id=${acct} |
      | an ftp URL                  | ftp://127.0.0.1/x      | ${bad_64}   | external_user_id=u-${unique}&account_id=${acct} |

  @emulator-only @requires:connect_accounts
  Scenario: The proxy is not an open relay
    Spec: pdemu decision (docs/connect-api.md — Proxy "Never an open relay: by default only loopback is reachable … a refused host is a 403 host_not_allowed")
    Given I remember the base64 of "http://conformance-${unique}.example.com/" as "far_64"
    And the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/${far_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the error is "host_not_allowed" with status 403

  @emulator-only @requires:connect_accounts @requires:workflows
  Scenario: Only x-pd-proxy- headers go upstream, with credentials filled in
    Spec: SDK proxy (caller headers sent as x-pd-proxy-<name>; JSON body for POST) (Pipedream's OpenAPI document); pdemu decision (docs/connect-api.md — Proxy "Only x-pd-proxy-<name> headers go upstream, as <name>"; "{{field}} macros … filled from the account's credentials")
    Given the control plane accepts POST "/_emulator/workflows" with JSON:
      """
      {"endpoint_id": "en${unique}", "auth": "none"}
      """
    And the control plane accepts POST "/_emulator/projects/${project_id}/accounts", remembering "id" as "acct", with JSON:
      """
      {"external_user_id": "u-${unique}", "app": "openai", "environment": "${environment}", "credentials": {"api_key": "sk-conf-${unique}"}}
      """
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I remember the base64 of "${base_url}/_workflows/en${unique}/echo?x=1" as "echo_64"
    And I have an access token
    When I send the header "x-pd-proxy-x-conf" as "hello-${unique}"
    And I send the header "x-pd-proxy-x-key" as "Key {{api_key}}"
    And I send the header "x-conf-direct" as "not-forwarded"
    And I POST "/v1/connect/${project_id}/proxy/${echo_64}?external_user_id=u-${unique}&account_id=${acct}" with JSON:
      """
      {"greeting": "hi ${unique}"}
      """
    Then the status is 200
    And the response field "received.greeting" is "hi ${unique}"
    When I GET "/_emulator/workflows/en${unique}/invocations"
    Then the status is 200
    And the response field "data" has 1 item
    And the response field "data.0.method" is "POST"
    And the response field "data.0.path" is "/echo"
    And the response field "data.0.query" is "x=1"
    And the response field "data.0.headers.x-conf" is "hello-${unique}"
    And the response field "data.0.headers.x-key" is "Key sk-conf-${unique}"
    And the response field "data.0.headers.x-pd-proxy-x-conf" is absent
    And the response field "data.0.headers.x-conf-direct" is absent
    And the response field "data.0.headers.x-pd-environment" is absent
    And the response field "data.0.body.greeting" is "hi ${unique}"

  @emulator-only @requires:connect_accounts @requires:workflows
  Scenario: The upstream's error status comes back as it is
    Spec: OpenAPI proxy response (the upstream response verbatim) (Pipedream's OpenAPI document)
    Given the control plane accepts POST "/_emulator/workflows" with JSON:
      """
      {"endpoint_id": "en${unique}", "auth": "none", "status": 418, "headers": {"Content-Type": "text/plain"}, "body": "short and stout ${unique}"}
      """
    And the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I remember the base64 of "${base_url}/_workflows/en${unique}" as "teapot_64"
    And I have an access token
    When I DELETE "/v1/connect/${project_id}/proxy/${teapot_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the status is 418
    And the response header "Content-Type" contains "text/plain"
    And the response body is the text "short and stout ${unique}"

  @emulator-only @serial @requires:connect_accounts @requires:proxy_allowed_hosts
  Scenario: The allow-list set through the control plane decides what the proxy reaches
    Spec: pdemu decision (docs/control-plane.md — PUT /_emulator/proxy/allowed-hosts; The Connect API — Proxy)
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And the proxy allow-list is restored after the scenario
    And the control plane accepts PUT "/_emulator/proxy/allowed-hosts" with JSON:
      """
      {"hosts": ["api.example.com"]}
      """
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/${jwks_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the error is "host_not_allowed" with status 403
    Given the control plane accepts PUT "/_emulator/proxy/allowed-hosts" with JSON:
      """
      {"hosts": ["localhost", "127.0.0.0/8", "::1"]}
      """
    When I GET "/v1/connect/${project_id}/proxy/${jwks_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the status is 200
    And the response field "keys" has at least 1 item
