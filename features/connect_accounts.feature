Feature: Connect accounts
  Connected accounts (apn_…) of external users: accounts.create with a
  Connect token and cfmap_json for key-based apps, retrieve (the bare
  Account), list ({data, page_info}), listByExternalUser (a bare array),
  delete and deleteByApp (204). Accounts stay in their project environment
  and, for Connect-token callers, with their external user.

  @core
  Scenario: A key-based account is connected, retrieved, listed and deleted
    Spec: OpenAPI accounts.create (Connect token only; cfmap_json a JSON string), accounts.retrieve/list/delete, accounts.listByExternalUser; SDK types Account, ListAccountsResponse (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}", "name": "conf ${unique}"}
      """
    Then the status is 200
    And the response field "id" matches "^apn_[a-zA-Z0-9]+$"
    And the response field "app.name_slug" is "openai"
    And the response field "data" is absent
    And the response field "credentials" is null or absent
    And the response does not contain "sk-conf-${unique}"
    And I remember the response field "id" as "acct"
    And I will DELETE "/v1/connect/${project_id}/accounts/${acct}" after the scenario
    Given I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 200
    And the response field "id" is "${acct}"
    And the response field "external_id" is "u-${unique}"
    And the response field "app.name_slug" is "openai"
    And the response field "healthy" is present
    And the response field "credentials" is null or absent
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${acct}"
    And the response field "page_info.end_cursor" is present
    When I GET "/v1/connect/${project_id}/users/u-${unique}/accounts"
    Then the status is 200
    And the response body is a JSON array
    And the response list "." has an item whose "id" is "${acct}"
    When I DELETE "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${acct}"

  @core
  Scenario: Credentials appear only when include_credentials=true asks for them
    Spec: SDK type Account ("credentials … only with include_credentials=true", plus the app's own keys) (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}?include_credentials=true"
    Then the status is 200
    And the response field "credentials.api_key" is "sk-conf-${unique}"
    When I GET "/v1/connect/${project_id}/accounts/${acct}?include_credentials=false"
    Then the status is 200
    And the response field "credentials" is null or absent
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&include_credentials=true"
    Then the status is 200
    And the response field "data.0.credentials.api_key" is "sk-conf-${unique}"

  Scenario: A Connect-token caller never sees credentials
    Spec: pdemu decision (docs/connect-api.md — Accounts "credentials … never to Connect-token callers")
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have a Connect token for external user "u-${unique}"
    When I GET "/v1/connect/${project_id}/accounts/${acct}?include_credentials=true"
    Then the status is 200
    And the response field "id" is "${acct}"
    And the response field "credentials" is null or absent
    And the response does not contain "sk-conf-${unique}"

  @core
  Scenario: A Connect token connects one account only
    Spec: Pipedream docs "Connect tokens" ("can only be used once"; "the token expires once it's used to create a connected account") (Pipedream's Connect token docs)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-1\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-2\"}", "connect_token": "${connect_token}"}
      """
    Then the answer is a JSON error
    And the response field "id" is absent

  Scenario: A used Connect token is refused everywhere
    Spec: pdemu decision (docs/connect-api.md — "once accounts.create succeeded with it, it is refused everywhere")
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    When I GET "/v1/connect/${project_id}/accounts"
    Then the error is "invalid_token" with status 401

  @core
  Scenario: A Connect token lists its own accounts on the project-less path the SDK uses
    Spec: SDK wire test connectTokenProjectId ("the backend derives [the project] from the token": GET /v1/connect/accounts) (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have a Connect token for external user "u-${unique}"
    When I GET "/v1/connect/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${acct}"
    And the response field "page_info" is present

  @core
  Scenario: A Connect token's user does not see another user's accounts
    Spec: Pipedream docs "Connect tokens" (a token is scoped to its external_user_id and environment) (Pipedream's Connect token docs)
    Given I have a Connect token for external user "u-${unique}-owner"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-owner" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have a Connect token for external user "u-${unique}-intruder"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-intruder" after the scenario
    When I GET "/v1/connect/${project_id}/accounts"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${acct}"
    And the response does not contain "${acct}"
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the answer is a JSON error
    And the response does not contain "sk-conf-${unique}"

  Scenario: Another user's account looks absent to a Connect token
    Spec: pdemu decision (docs/connect-api.md — "another user's resources are 404s"; a Connect token naming another external_user_id is a 400)
    Given I have a Connect token for external user "u-${unique}-owner"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-owner" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have a Connect token for external user "u-${unique}-intruder"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-intruder" after the scenario
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}-owner"
    Then the status is 400
    And the answer is a JSON error
    Given I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 200
    And the response field "id" is "${acct}"

  @core
  Scenario: An account of one environment is not listed in the other
    Spec: Pipedream docs "Environments" (accounts and credentials of development "remain separate from" production) (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I remember the other environment as "other_env"
    And I have an access token
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${acct}"
    When I GET "/v1/connect/${project_id}/accounts?limit=100"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${acct}"

  Scenario: An account of one environment cannot be retrieved or deleted from the other
    Spec: pdemu decision (docs/connect-api.md — resources never leak across environments: they look absent, 404)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I remember the other environment as "other_env"
    And I have an access token
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
    When I switch back to the configured environment
    And I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 200
    And the response field "id" is "${acct}"

  Scenario: A Connect token for one environment is refused with the other's header
    Spec: pdemu decision (docs/connect-api.md — "an x-pd-environment other than the token's is a 400")
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I remember the other environment as "other_env"
    When I send the header "X-PD-Environment" as "${other_env}"
    And I GET "/v1/connect/${project_id}/accounts"
    Then the status is 400
    And the answer is a JSON error

  Scenario Outline: accounts.create with <case> is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — Accounts: "cfmap_json must hold a JSON object; keys apps must supply every required custom field; connect_token must equal the bearer"; every malformed body a 400)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error
    And the response field "id" is absent

    Examples:
      | case                             | body                                                                                                               |
      | a truncated body                 | {"app_slug": "openai", "cfmap_json": "{}"                                                                          |
      | no app_slug                      | {"cfmap_json": "{\"api_key\": \"sk-${unique}\"}", "connect_token": "${connect_token}"}                             |
      | cfmap_json that is not an object | {"app_slug": "openai", "cfmap_json": "[1, 2]", "connect_token": "${connect_token}"}                                |
      | cfmap_json that is not JSON      | {"app_slug": "openai", "cfmap_json": "api_key=sk", "connect_token": "${connect_token}"}                            |
      | a required custom field missing  | {"app_slug": "openai", "cfmap_json": "{\"organization\": \"org-${unique}\"}", "connect_token": "${connect_token}"} |
      | another connect_token            | {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-${unique}\"}", "connect_token": "ctok_00000000000000000000000000000000"} |

  Scenario: accounts.create takes a Connect token, not an OAuth access token
    Spec: OpenAPI accounts.create security (Connect token only); pdemu decision for the answer (docs/connect-api.md — "The wrong kind is a 401 invalid_token")
    Given I have an access token
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "ctok_00000000000000000000000000000000"}
      """
    Then the error is "invalid_token" with status 401

  Scenario Outline: <method> of an unknown account is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I <method> "/v1/connect/${project_id}/accounts/apn_conf${unique}"
    Then the status is 404
    And the answer is a JSON error

    Examples:
      | method |
      | GET    |
      | DELETE |

  Scenario: A deleted account is gone
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have an access token
    When I DELETE "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/users/u-${unique}/accounts"
    Then the status is 200
    And the response field "." has 0 items

  Scenario: A query boolean other than true or false is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — Accounts "Query booleans accept only true/false")
    Given I have an access token
    When I GET "/v1/connect/${project_id}/accounts?include_credentials=yes"
    Then the status is 400
    And the answer is a JSON error

  Scenario: Reconnecting with account_id replaces the credentials of the same account
    Spec: SDK CreateAccountOpts account_id ("reconnect"); pdemu decision for the outcome (docs/connect-api.md — Accounts "account_id reconnects")
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-old\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have a Connect token for external user "u-${unique}"
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-new\"}", "connect_token": "${connect_token}", "account_id": "${acct}"}
      """
    Then the status is 200
    And the response field "id" is "${acct}"
    Given I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}?include_credentials=true"
    Then the status is 200
    And the response field "credentials.api_key" is "sk-conf-${unique}-new"
    When I GET "/v1/connect/${project_id}/users/u-${unique}/accounts"
    Then the response body is a JSON array
    And the response field "." has 1 item

  @destructive
  Scenario: deleteByApp with a Connect token removes that user's accounts of the app
    Spec: SDK accounts.deleteByApp (DELETE …/apps/{app_id}/accounts, 204); pdemu decision that a Connect token removes only its own user's (docs/connect-api.md). Destructive: on a real server the scope of deleteByApp is not documented and it could remove other users' accounts
    Given I have a Connect token for external user "u-${unique}-other"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-other" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-other\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "other_acct"
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have a Connect token for external user "u-${unique}"
    When I DELETE "/v1/connect/${project_id}/apps/openai/accounts"
    Then the status is 204
    Given I have an access token
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the response list "data" has no item whose "id" is "${acct}"
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}-other"
    Then the response list "data" has an item whose "id" is "${other_acct}"

  @emulator-only @requires:connect_accounts
  Scenario: An OAuth account connected by the control plane shows its token in development
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/projects/{project_id}/accounts; The Connect API — Accounts "OAuth accounts show a one-hour access token"); production rule: Pipedream docs list-accounts (Pipedream's OpenAPI document)
    Given I switch to the environment "development"
    And the emulator has connected an account of app "slack" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}?include_credentials=true"
    Then the status is 200
    And the response field "app.auth_type" is "oauth"
    And the response field "healthy" is true
    And the response field "credentials.oauth_access_token" is present
    And the response field "expires_at" matches "^\d{4}-\d{2}-\d{2}T"

  @emulator-only @requires:connect_accounts
  Scenario: An account with no expiry answers without expires_at
    Spec: Pipedream OpenAPI Account (expires_at a date-time string, not nullable; https://pipedream.com/docs/connect/api-reference); pdemu decision: left out when the account has none
    Given the emulator has connected an account of app "stripe" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 200
    And the response field "id" is "${acct}"
    And the response field "app.auth_type" is "keys"
    And the response field "expires_at" is absent
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${acct}"
    And the response field "data.0.expires_at" is absent

  @emulator-only @requires:connect_accounts
  Scenario: Production OAuth credentials are withheld without the developer's own OAuth client
    Spec: Pipedream docs list-accounts ("production OAuth credentials are only returned for accounts using your own OAuth client") (Pipedream's OpenAPI document)
    Given I switch to the environment "production"
    And the emulator has connected an account of app "slack" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/accounts/${acct}?include_credentials=true"
    Then the status is 200
    And the response field "id" is "${acct}"
    And the response field "credentials.oauth_access_token" is absent

  @emulator-only @requires:connect_accounts
  Scenario: listByExternalUser filters by app
    Spec: SDK accounts.listByExternalUser (query app; a bare array) (Pipedream's OpenAPI document)
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "openai_acct"
    And the emulator has connected an account of app "github" for external user "u-${unique}" as "github_acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/users/u-${unique}/accounts?app=github"
    Then the status is 200
    And the response body is a JSON array
    And the response list "." has an item whose "id" is "${github_acct}"
    And the response list "." has no item whose "id" is "${openai_acct}"
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&app=openai"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${openai_acct}"
    And the response list "data" has no item whose "id" is "${github_acct}"

  @emulator-only @requires:connect_accounts
  Scenario: Deleting an external user removes their accounts
    Spec: OpenAPI users.deleteExternalUser ("and all their associated accounts and resources") (Pipedream's OpenAPI document)
    Given the emulator has connected an account of app "github" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the status is 404
    And the answer is a JSON error
