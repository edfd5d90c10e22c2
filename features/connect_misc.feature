Feature: Connect project webhook, OAuth apps, app overrides, usage, file stash, logo and project info
  The smaller Connect families: a project environment's webhook, custom
  OAuth clients (oauth_apps) and app overrides of a project, the usage
  report, the File Stash download, the project logo and the deprecated
  project info. Scenarios that change a project-wide setting work on a
  project of their own, so they leave the configured one as it was.

  # The project webhook

  @core
  Scenario: A project webhook is created, read, changed, re-keyed and deleted
    Spec: SDK projectEnvironment.updateWebhook/retrieveWebhook/regenerateWebhookSigningKey/deleteWebhook ("Creating a webhook returns signing_key; updating an existing webhook does not") (Pipedream's OpenAPI document)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-webhook"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I PUT "/v1/connect/${proj}/webhook" with JSON:
      """
      {"url": "https://example.com/conf-${unique}/one"}
      """
    Then the status is 200
    And the response field "data.url" is "https://example.com/conf-${unique}/one"
    And the response field "data.signing_key" is present
    And the response field "data.id" is present
    And I remember the response field "data.signing_key" as "first_key"
    And I will DELETE "/v1/connect/${proj}/webhook" after the scenario
    When I GET "/v1/connect/${proj}/webhook"
    Then the status is 200
    And the response field "data.url" is "https://example.com/conf-${unique}/one"
    And the response field "data.signing_key_set" is true
    When I PUT "/v1/connect/${proj}/webhook" with JSON:
      """
      {"url": "https://example.com/conf-${unique}/two"}
      """
    Then the status is 200
    And the response field "data.url" is "https://example.com/conf-${unique}/two"
    And the response field "data.signing_key" is absent
    When I POST "/v1/connect/${proj}/webhook/regenerate_signing_key"
    Then the status is 200
    And the response field "data.signing_key" is present
    And the response field "data.signing_key" is not "${first_key}"
    And the response field "data.url" is "https://example.com/conf-${unique}/two"
    When I DELETE "/v1/connect/${proj}/webhook"
    Then the status is 204
    When I GET "/v1/connect/${proj}/webhook"
    Then the status is 200
    And the response field "data" is null or absent

  Scenario: Each environment of a project has its own webhook
    Spec: OpenAPI x-pd-environment on /v1/connect/{project_id}/webhook (a project-environment resource) (Pipedream's OpenAPI document); pdemu decision (docs/connect-api.md — "The project webhook is per project and environment")
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-webhook-env"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I PUT "/v1/connect/${proj}/webhook" with JSON:
      """
      {"url": "https://example.com/conf-${unique}"}
      """
    Then the status is 200
    And I will DELETE "/v1/connect/${proj}/webhook" after the scenario
    Given I remember the other environment as "other_env"
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${proj}/webhook"
    Then the status is 200
    And the response field "data" is null or absent
    When I DELETE "/v1/connect/${proj}/webhook"
    Then the status is 404
    And the answer is a JSON error
    When I POST "/v1/connect/${proj}/webhook/regenerate_signing_key"
    Then the status is 404
    And the answer is a JSON error

  Scenario Outline: A project webhook with <case> is a 400 JSON error
    Spec: OpenAPI projectEnvironment.updateWebhook (url required) (Pipedream's OpenAPI document); pdemu decision for the status (docs/connect-api.md — every malformed body a 400)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-webhook-bad"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I PUT "/v1/connect/${proj}/webhook" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error
    When I GET "/v1/connect/${proj}/webhook"
    Then the response field "data" is null or absent

    Examples:
      | case             | body                  |
      | no url           | {}                    |
      | a relative url   | {"url": "/hook"}      |
      | a truncated body | {"url": "https://exa  |

  Scenario: The project webhook of an unknown project is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/proj_conf${unique}nope/webhook"
    Then the status is 404
    And the answer is a JSON error

  # OAuth apps (custom OAuth clients)

  @core
  Scenario: A custom OAuth client is created, read, listed, updated and deleted, its secret never shown
    Spec: SDK oauthApps.create/retrieve/list/update/delete; types OauthApp (no client_secret: write-only), ListOauthAppsResponse (Pipedream's OpenAPI document id formats oa_…)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/oauth_apps" with JSON:
      """
      {"app": "slack", "client_id": "conf-client-${unique}", "client_secret": "conf-secret-${unique}"}
      """
    Then the request succeeds
    And the response field "id" matches "^oa_[0-9a-zA-Z]+$"
    And the response field "client_id" is "conf-client-${unique}"
    And the response field "client_secret" is absent
    And the response does not contain "conf-secret-${unique}"
    And I remember the response field "id" as "oauth_app"
    And I will DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}" after the scenario
    When I GET "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the status is 200
    And the response field "id" is "${oauth_app}"
    And the response field "client_id" is "conf-client-${unique}"
    And the response does not contain "conf-secret-${unique}"
    When I walk the pages of "/v1/connect/${project_id}/oauth_apps?limit=100" collecting "id"
    Then the collected values include "${oauth_app}"
    And the response does not contain "conf-secret-${unique}"
    When I PUT "/v1/connect/${project_id}/oauth_apps/${oauth_app}" with JSON:
      """
      {"client_id": "conf-client-${unique}-2", "client_secret": "conf-secret-${unique}-2"}
      """
    Then the status is 200
    And the response field "client_id" is "conf-client-${unique}-2"
    And the response does not contain "conf-secret-${unique}-2"
    When I DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the request succeeds
    When I walk the pages of "/v1/connect/${project_id}/oauth_apps?limit=100" collecting "id"
    Then the collected values do not include "${oauth_app}"

  Scenario: An OAuth client update is partial and shows the given name
    Spec: SDK UpdateOauthAppOpts (every field optional); pdemu decision (docs/connect-api.md — "updates are partial"; owner_id = proj_…)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/oauth_apps" with JSON:
      """
      {"app": "github", "client_id": "conf-client-${unique}", "client_secret": "conf-secret-${unique}", "name": "Conf ${unique}", "scopes": ["repo"]}
      """
    Then the status is 201
    And the response field "name" is "Conf ${unique}"
    And the response field "owner_id" is "${project_id}"
    And the response field "name_slug" is "github"
    And I remember the response field "id" as "oauth_app"
    And I will DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}" after the scenario
    When I PUT "/v1/connect/${project_id}/oauth_apps/${oauth_app}" with JSON:
      """
      {"name": "Conf ${unique} renamed"}
      """
    Then the status is 200
    And the response field "name" is "Conf ${unique} renamed"
    And the response field "client_id" is "conf-client-${unique}"
    And the response list "scopes" contains the value "repo"
    When I GET "/v1/connect/${project_id}/oauth_apps?app=github&limit=100"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${oauth_app}"
    And every item of the response list "data" has "name_slug" matching "^github$"

  Scenario: OAuth clients belong to the project, in both environments
    Spec: pdemu decision (docs/connect-api.md — "OAuth apps … and app overrides … belong to the project (owner_id = proj_…) across both environments")
    Given I have an access token
    When I POST "/v1/connect/${project_id}/oauth_apps" with JSON:
      """
      {"app": "slack", "client_id": "conf-client-${unique}", "client_secret": "conf-secret-${unique}"}
      """
    Then the status is 201
    And I remember the response field "id" as "oauth_app"
    And I will DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}" after the scenario
    Given I remember the other environment as "other_env"
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the status is 200
    And the response field "id" is "${oauth_app}"

  Scenario Outline: Creating an OAuth client with <case> is a 400 JSON error
    Spec: SDK CreateOauthAppOpts (app, client_id, client_secret required; BadRequestError on create) (Pipedream's OpenAPI document, @pipedream/sdk 3.1.6); pdemu decision (docs/connect-api.md — "OAuth apps (oa_…, OAuth apps only)")
    Given I have an access token
    When I POST "/v1/connect/${project_id}/oauth_apps" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error
    And the response field "id" is absent

    Examples:
      | case              | body                                                                                   |
      | a key-based app   | {"app": "openai", "client_id": "c-${unique}", "client_secret": "s-${unique}"}          |
      | no client_secret  | {"app": "slack", "client_id": "c-${unique}"}                                           |
      | no client_id      | {"app": "slack", "client_secret": "s-${unique}"}                                       |
      | no app            | {"client_id": "c-${unique}", "client_secret": "s-${unique}"}                           |
      | a truncated body  | {"app": "slack",                                                                       |

  Scenario: A deleted OAuth client and a deleted app override are gone
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/oauth_apps" with JSON:
      """
      {"app": "slack", "client_id": "conf-client-${unique}", "client_secret": "conf-secret-${unique}"}
      """
    Then the status is 201
    And I remember the response field "id" as "oauth_app"
    And I will DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}" after the scenario
    When I POST "/v1/connect/${project_id}/app_overrides" with JSON:
      """
      {"app": "slack", "name": "conf-${unique}-gone"}
      """
    Then the status is 201
    And I remember the response field "id" as "override"
    And I will DELETE "/v1/connect/${project_id}/app_overrides/${override}" after the scenario
    When I DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the status is 404
    And the answer is a JSON error
    When I PUT "/v1/connect/${project_id}/oauth_apps/${oauth_app}" with JSON:
      """
      {"name": "too late"}
      """
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/${project_id}/app_overrides/${override}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/app_overrides/${override}"
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/${project_id}/app_overrides/${override}"
    Then the status is 404
    And the answer is a JSON error

  Scenario Outline: <method> of an unknown OAuth client is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I <method> "/v1/connect/${project_id}/oauth_apps/oa_conf${unique}"
    Then the status is 404
    And the answer is a JSON error

    Examples:
      | method |
      | GET    |
      | DELETE |

  # App overrides

  @core
  Scenario: An app override is created, read, listed, updated and deleted
    Spec: SDK appOverrides.create/retrieve/list/update/delete; types AppOverride, ListAppOverridesResponse (Pipedream's OpenAPI document)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/app_overrides" with JSON:
      """
      {"app": "slack", "name": "conf-${unique}"}
      """
    Then the request succeeds
    And the response field "id" is present
    And the response field "name" is "conf-${unique}"
    And I remember the response field "id" as "override"
    And I will DELETE "/v1/connect/${project_id}/app_overrides/${override}" after the scenario
    When I GET "/v1/connect/${project_id}/app_overrides/${override}"
    Then the status is 200
    And the response field "id" is "${override}"
    And the response field "name" is "conf-${unique}"
    When I walk the pages of "/v1/connect/${project_id}/app_overrides?limit=100" collecting "id"
    Then the collected values include "${override}"
    When I PUT "/v1/connect/${project_id}/app_overrides/${override}" with JSON:
      """
      {"name": "conf-${unique}-renamed"}
      """
    Then the status is 200
    And the response field "name" is "conf-${unique}-renamed"
    When I DELETE "/v1/connect/${project_id}/app_overrides/${override}"
    Then the request succeeds
    When I walk the pages of "/v1/connect/${project_id}/app_overrides?limit=100" collecting "id"
    Then the collected values do not include "${override}"

  Scenario: An app override pre-fills custom fields and selects a custom OAuth client, which then cannot be deleted
    Spec: SDK AppOverride {cfmap, oauth_app_id} (Pipedream's OpenAPI document); pdemu decision (docs/connect-api.md — "an OAuth app in use by an override or account cannot be deleted (400)"; ids ao_…)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/oauth_apps" with JSON:
      """
      {"app": "github", "client_id": "conf-client-${unique}", "client_secret": "conf-secret-${unique}"}
      """
    Then the status is 201
    And I remember the response field "id" as "oauth_app"
    And I will DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}" after the scenario
    When I POST "/v1/connect/${project_id}/app_overrides" with JSON:
      """
      {"app": "github", "name": "conf-${unique}-gh", "oauth_app_id": "${oauth_app}"}
      """
    Then the status is 201
    And the response field "id" matches "^ao_"
    And the response field "oauth_app_id" is "${oauth_app}"
    And the response field "app.name_slug" is "github"
    And I remember the response field "id" as "override"
    And I will DELETE "/v1/connect/${project_id}/app_overrides/${override}" after the scenario
    When I DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the status is 400
    And the answer is a JSON error
    When I PUT "/v1/connect/${project_id}/app_overrides/${override}" with JSON:
      """
      {"oauth_app_id": null}
      """
    Then the status is 200
    And the response field "oauth_app_id" is null or absent
    When I DELETE "/v1/connect/${project_id}/oauth_apps/${oauth_app}"
    Then the status is 204
    When I POST "/v1/connect/${project_id}/app_overrides" with JSON:
      """
      {"app": "openai", "name": "conf-${unique}-ai", "cfmap": {"organization": "org-${unique}"}}
      """
    Then the status is 201
    And the response field "cfmap.organization" is "org-${unique}"
    And the response field "oauth_app_id" is null or absent
    And I remember the response field "id" as "override_ai"
    And I will DELETE "/v1/connect/${project_id}/app_overrides/${override_ai}" after the scenario

  Scenario Outline: Creating an app override with <case> is a 400 JSON error
    Spec: SDK CreateAppOverrideOpts (app and name required; BadRequestError on create) (Pipedream's OpenAPI document, @pipedream/sdk 3.1.6); pdemu decision (docs/connect-api.md)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/app_overrides" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error
    And the response field "id" is absent

    Examples:
      | case                         | body                                                                          |
      | no name                      | {"app": "slack"}                                                              |
      | an unknown app               | {"app": "conf_${unique}_nope", "name": "conf-${unique}"}                      |
      | a secret custom field        | {"app": "openai", "name": "conf-${unique}", "cfmap": {"api_key": "sk-x"}}     |
      | a field the app does not have | {"app": "openai", "name": "conf-${unique}", "cfmap": {"nope": "x"}}          |
      | an unknown OAuth client      | {"app": "slack", "name": "conf-${unique}", "oauth_app_id": "oa_conf${unique}"} |
      | a truncated body             | {"app": "slack", "name":                                                      |

  Scenario: An unknown app override is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/app_overrides/ao_conf${unique}"
    Then the status is 404
    And the answer is a JSON error

  # Usage

  @core
  Scenario: Usage is reported for a time window
    Spec: SDK usage.list (start_ts, end_ts Unix seconds; {data: [{credits_used, usage_start_ts, usage_end_ts, …}]}) (Pipedream's OpenAPI document)
    Given I have an access token
    And I remember the Unix time 2 days ago as "start"
    And I remember the Unix time now as "end"
    When I GET "/v1/connect/usage?start_ts=${start}&end_ts=${end}"
    Then the status is 200
    And the response body is a JSON object
    And the response field "data" is present
    And every item of the response list "data" has "usage_start_ts" present

  Scenario: Usage comes as one record per UTC day of the window
    Spec: pdemu decision (docs/connect-api.md — Usage "reports the window [start_ts, end_ts) … as one record per UTC day")
    Given I have an access token
    When I GET "/v1/connect/usage?start_ts=1893369600&end_ts=1893542400"
    Then the status is 200
    And the response field "data" has 2 items
    And the response field "data.0.usage_start_ts" is 1893369600
    And the response field "data.0.usage_end_ts" is 1893456000
    And the response field "data.1.usage_start_ts" is 1893456000
    And the response field "data.1.usage_end_ts" is 1893542400
    And the response field "data.0.credits_used" is a number of at least 0

  @core
  Scenario Outline: A usage window with <case> is a 400 JSON error
    Spec: SDK usage.list (BadRequestError; "invalid timestamps" → 400 ErrorResponse) (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/usage?<query>"
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | case                     | query                        |
      | a start that is not a time | start_ts=yesterday&end_ts=1700000000 |
      | no start                 | end_ts=1700000000            |

  Scenario: A usage window that ends before it starts is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — Usage "the window [start_ts, end_ts) (at most 90 days)")
    Given I have an access token
    When I GET "/v1/connect/usage?start_ts=1700000000&end_ts=1690000000"
    Then the status is 400
    And the answer is a JSON error
    When I GET "/v1/connect/usage?start_ts=1600000000&end_ts=1700000000"
    Then the status is 400
    And the answer is a JSON error

  @emulator-only @requires:connect_accounts
  Scenario: An answered proxy call counts as proxy usage
    Spec: pdemu decision (docs/connect-api.md — Usage "One credit per action run, answered proxy call and trigger event")
    Given I remember the base URL as "base_url"
    And I remember the base64 of "${base_url}/.well-known/jwks.json" as "upstream_64"
    And I remember the Unix time now as "start"
    And I remember the Unix time 1 hour from now as "end"
    And the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/proxy/${upstream_64}?external_user_id=u-${unique}&account_id=${acct}"
    Then the status is 200
    When I GET "/v1/connect/usage?start_ts=${start}&end_ts=${end}"
    Then the status is 200
    And the response field "data.0.proxy_credits_used" is a number of at least 1
    And the response field "data.0.credits_used" is a number of at least 1

  # The File Stash

  @emulator-only @requires:file_stash
  Scenario: A stashed file is downloaded as application/octet-stream with its bytes
    Spec: OpenAPI downloadFileStashFile (200 application/octet-stream; https://pipedream.com/docs/connect/api-reference/download-file); SDK fileStash.downloadFile (query s3_key; 200 with the bytes) (Pipedream's OpenAPI document); pdemu decision (docs/connect-api.md — Usage and the file stash "download answers 200 with the bytes (never a 302)"; the type a file was put with is not sent)
    Given I remember the base64 of "hello from ${unique}" as "content"
    And the control plane accepts PUT "/_emulator/projects/${project_id}/files" with JSON:
      """
      {"s3_key": "1day/conf/${unique}/x/u/hello.txt", "content_base64": "${content}", "environment": "${environment}", "content_type": "text/plain"}
      """
    And I have an access token
    When I GET "/v1/connect/${project_id}/file_stash/download?s3_key=1day/conf/${unique}/x/u/hello.txt"
    Then the status is 200
    And the response header "Content-Type" is "application/octet-stream"
    And the response body is the text "hello from ${unique}"

  @emulator-only @requires:file_stash
  Scenario: A stashed file belongs to its environment
    Spec: pdemu decision (docs/connect-api.md — resources never leak across environments)
    Given I remember the base64 of "dev only ${unique}" as "content"
    And the control plane accepts PUT "/_emulator/projects/${project_id}/files" with JSON:
      """
      {"s3_key": "1day/conf/${unique}/y/u/env.txt", "content_base64": "${content}", "environment": "${environment}"}
      """
    And I remember the other environment as "other_env"
    And I have an access token
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${project_id}/file_stash/download?s3_key=1day/conf/${unique}/y/u/env.txt"
    Then the status is 404
    And the answer is a JSON error

  Scenario: Downloading an unknown file is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/file_stash/download?s3_key=1day/conf/${unique}/z/u/none.txt"
    Then the status is 404
    And the answer is a JSON error

  Scenario: Downloading without s3_key is a 400 JSON error
    Spec: SDK fileStash.downloadFile (s3_key required) (Pipedream's OpenAPI document); pdemu decision for the status (docs/connect-api.md — every bad query value a 400)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/file_stash/download"
    Then the status is 400
    And the answer is a JSON error

  # The project logo

  @core
  Scenario: A PNG data URI is accepted as the project logo
    Spec: OpenAPI updateProjectLogo (200 "logo updated", no content; https://pipedream.com/docs/connect/api-reference/update-project-logo); SDK projects.updateLogo ({logo: "data:image/png;base64,…"}; 200, returns void) (Pipedream's OpenAPI document)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-logo"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I POST "/v1/connect/projects/${proj}/logo" with JSON:
      """
      {"logo": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="}
      """
    Then the status is 200
    And the response body is the text ""

  @core
  Scenario: A logo that is not an image data URI is a 400
    Spec: SDK projects.updateLogo (400 "invalid logo data", BadRequestError) (Pipedream's OpenAPI document, @pipedream/sdk 3.1.6)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-badlogo"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I POST "/v1/connect/projects/${proj}/logo" with JSON:
      """
      {"logo": "https://example.com/logo-${unique}.png"}
      """
    Then the status is 400
    And the answer is a JSON error

  Scenario Outline: A logo with <case> is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — "projects.updateLogo takes a png/jpeg/gif/webp/svg data URI of at most 32 KiB whose bytes match its type")
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-logo-case"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I POST "/v1/connect/projects/${proj}/logo" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | case                           | body                                                    |
      | bytes that do not match the type | {"logo": "data:image/jpeg;base64,iVBORw0KGgoAAAANSUhEUg=="} |
      | a type that is not an image    | {"logo": "data:text/plain;base64,aGVsbG8="}             |
      | no logo                        | {}                                                      |

  # Project info (deprecated)

  @core
  Scenario: Project info lists the apps of the project
    Spec: SDK projects.retrieveInfo ({apps: [{id?, name_slug?}]}) (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/projects/info"
    Then the status is 200
    And the response field "apps" is present

  @emulator-only @requires:connect_accounts
  Scenario: Project info names an app once an account of it is connected
    Spec: pdemu decision (docs/connect-api.md — "projects.retrieveInfo lists the apps the project uses")
    Given the emulator has connected an account of app "notion" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/projects/info"
    Then the status is 200
    And the response list "apps" has an item whose "name_slug" is "notion"
