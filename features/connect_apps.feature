Feature: Connect apps and app categories
  The app catalog: apps.list ({data, page_info}), apps.retrieve by id or
  name slug ({data: App}), appCategories.list (a bare array) and
  appCategories.retrieve (a bare category). Either an OAuth access token or a
  Connect token may read it.

  @core
  Scenario: The app list has the paginated shape the SDK reads
    Spec: OpenAPI apps.list; SDK ListAppsResponse, App, PageInfo (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/apps?limit=5"
    Then the status is 200
    And the response field "data" has at least 1 item
    And the response field "page_info.count" is present
    And the response field "page_info.end_cursor" is present
    And the response field "data.0.name_slug" is present
    And the response field "data.0.name" is present
    And every item of the response list "data" has "auth_type" matching "^(keys|oauth|none)$"

  @core
  Scenario: An app is retrieved by name slug and by id, wrapped in data
    Spec: OpenAPI apps.retrieve ("app_id = id or name slug"; response {data: App}) (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/apps/slack"
    Then the status is 200
    And the response field "data.name_slug" is "slack"
    And the response field "data.auth_type" is "oauth"
    And the response field "data.id" matches "^app_"
    And the response field "data.img_src" is present
    And the response field "data.categories" is present
    And I remember the response field "data.id" as "slack_id"
    When I GET "/v1/connect/apps/${slack_id}"
    Then the status is 200
    And the response field "data.id" is "${slack_id}"
    And the response field "data.name_slug" is "slack"

  @core
  Scenario: A key-based app describes its custom fields as a JSON string
    Spec: SDK type App (custom_fields_json is a JSON string; auth_type keys) (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/apps/openai"
    Then the status is 200
    And the response field "data.name_slug" is "openai"
    And the response field "data.auth_type" is "keys"
    And the response field "data.custom_fields_json" matches "^\[.*api_key.*\]$"

  @core
  Scenario: App categories are a bare array and each is retrieved bare
    Spec: SDK appCategories.list (a bare array of {id, name, description}) and appCategories.retrieve (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/app_categories"
    Then the status is 200
    And the response body is a JSON array
    And the response field "." has at least 1 item
    And the response field "0.id" is present
    And the response field "0.name" is present
    And I remember the response field "0.id" as "category"
    And I remember the response field "0.name" as "category_name"
    When I GET "/v1/connect/app_categories/${category}"
    Then the status is 200
    And the response body is a JSON object
    And the response field "id" is "${category}"
    And the response field "name" is "${category_name}"
    And the response field "data" is absent

  @core
  Scenario: A Connect token reads the app catalog
    Spec: OpenAPI security of apps.list/retrieve, appCategories.list (Connect token or OAuth) (Pipedream's Connect authentication docs rows 49–52)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I GET "/v1/connect/apps?limit=1"
    Then the status is 200
    And the response field "data" has 1 item
    When I GET "/v1/connect/apps/slack"
    Then the status is 200
    And the response field "data.name_slug" is "slack"
    When I GET "/v1/connect/app_categories"
    Then the status is 200
    And the response body is a JSON array

  Scenario: An unknown app is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/apps/conf_${unique}_nope"
    Then the status is 404
    And the answer is a JSON error

  Scenario: An unknown app category is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/app_categories/appcat_conf${unique}"
    Then the status is 404
    And the answer is a JSON error

  Scenario Outline: apps.list with <case> is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — every bad query value a 400; Accounts "Query booleans accept only true/false")
    Given I have an access token
    When I GET "/v1/connect/apps?<query>"
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | case                    | query                |
      | an unknown sort_key     | sort_key=popularity  |
      | an unknown direction    | sort_direction=up    |
      | a non-boolean has_actions | has_actions=maybe  |

  Scenario: q finds an app by part of its name
    Spec: OpenAPI apps.list q; pdemu decision for what q matches (docs/behaviour.md — "q filters case-insensitively")
    Given I have an access token
    When I GET "/v1/connect/apps?q=SLAC&limit=100"
    Then the status is 200
    And the response list "data" has an item whose "name_slug" is "slack"

  Scenario: sort_direction desc reverses the default name_slug order
    Spec: OpenAPI apps.list sort_key/sort_direction; pdemu decision for the default order (docs/connect-api.md — Apps "Default order is name_slug ascending")
    Given I have an access token
    When I GET "/v1/connect/apps?q=google_&sort_key=name_slug&sort_direction=asc&limit=100"
    Then the status is 200
    And the response field "data.0.name_slug" is "google_calendar"
    When I GET "/v1/connect/apps?q=google_&sort_key=name_slug&sort_direction=desc&limit=100"
    Then the status is 200
    And the response field "data.0.name_slug" is "google_sheets"

  Scenario: category_ids filters the apps of a category
    Spec: OpenAPI apps.list category_ids; pdemu decision for the filter's meaning (docs/connect-api.md — Apps and categories)
    Given I have an access token
    When I GET "/v1/connect/app_categories"
    Then the status is 200
    And I remember the response field "0.id" as "category"
    And I remember the response field "0.name" as "category_name"
    When I GET "/v1/connect/apps?category_ids=${category}&limit=100"
    Then the status is 200
    And the response field "data" has at least 1 item
    And every item of the response list "data" has "categories" containing "${category_name}"

  Scenario: The /v1 aliases serve the same catalog
    Spec: pdemu decision (docs/endpoints.md — /v1/apps, /v1/app_categories aliases)
    Given I have an access token
    When I GET "/v1/apps/slack"
    Then the status is 200
    And the response field "data.name_slug" is "slack"
    When I GET "/v1/app_categories"
    Then the status is 200
    And the response body is a JSON array

  @emulator-only @requires:apps
  Scenario: An app added through the control plane is listed and retrieved
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/apps; The Connect API — Apps and categories)
    Given the control plane accepts POST "/_emulator/apps" with JSON:
      """
      {"name_slug": "conf_${unique}", "name": "Conformance ${unique}", "auth_type": "keys",
       "custom_fields_json": [{"name": "api_key", "label": "API key", "type": "password"}]}
      """
    And I have an access token
    When I GET "/v1/connect/apps/conf_${unique}"
    Then the status is 200
    And the response field "data.name" is "Conformance ${unique}"
    And the response field "data.auth_type" is "keys"
    When I GET "/v1/connect/apps?q=conf_${unique}"
    Then the status is 200
    And the response list "data" has an item whose "name_slug" is "conf_${unique}"

  @emulator-only @requires:apps
  Scenario: Adding an app whose slug is taken is a 409
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/apps "409 for a taken slug")
    When I POST "/_emulator/apps" with JSON:
      """
      {"name_slug": "slack", "name": "Another Slack", "auth_type": "oauth"}
      """
    Then the status is 409
    And the answer is a JSON error
