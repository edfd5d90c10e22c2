Feature: Pagination of Connect lists
  Connect lists answer {data, page_info}; the SDK's pager asks for the next
  page with after=<page_info.end_cursor> and stops when end_cursor is null.
  Walking a list that way must show every item exactly once.

  @core
  Scenario: Walking the project list by end_cursor sees every project once
    Spec: OpenAPI PageInfo; SDK pager ("next page with after=end_cursor; stops when end_cursor is null") (Pipedream's OpenAPI document, "SDK paging rule")
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-page-1"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj_1"
    And I will DELETE "/v1/connect/projects/${proj_1}" after the scenario
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-page-2"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj_2"
    And I will DELETE "/v1/connect/projects/${proj_2}" after the scenario
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-page-3"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj_3"
    And I will DELETE "/v1/connect/projects/${proj_3}" after the scenario
    When I walk the pages of "/v1/connect/projects?limit=2" collecting "id"
    Then the collected values include everything remembered as "proj_*"
    And the collected values include "${project_id}"
    And the collected values have no duplicates
    And the walk took at least 2 pages
    And the response field "page_info.end_cursor" is null

  @core
  Scenario: Walking a user's accounts by end_cursor sees every account once
    Spec: OpenAPI accounts.list (after, limit; PageInfo); SDK pager (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-1\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct_1"
    Given I have a Connect token for external user "u-${unique}"
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-2\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct_2"
    Given I have a Connect token for external user "u-${unique}"
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}-3\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct_3"
    Given I have an access token
    When I walk the pages of "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2" collecting "id"
    Then the collected values include everything remembered as "acct_*"
    And the collected values have no duplicates
    And the walk took at least 2 pages
    And the response field "page_info.end_cursor" is null

  @emulator-only @requires:connect_accounts
  Scenario: Walking five accounts two at a time takes three pages
    Spec: OpenAPI PageInfo (count, end_cursor); pdemu decision for exact page sizes (docs/behaviour.md — Pagination)
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct_1"
    And the emulator has connected an account of app "github" for external user "u-${unique}" as "acct_2"
    And the emulator has connected an account of app "slack" for external user "u-${unique}" as "acct_3"
    And the emulator has connected an account of app "stripe" for external user "u-${unique}" as "acct_4"
    And the emulator has connected an account of app "notion" for external user "u-${unique}" as "acct_5"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I walk the pages of "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2" collecting "id"
    Then the collected values include everything remembered as "acct_*"
    And the collected values have no duplicates
    And the walk took at least 3 pages
    And the response field "data" has 1 item
    And the response field "page_info.count" is 1
    And the response field "page_info.total_count" is 5
    And the response field "page_info.end_cursor" is null

  @emulator-only @requires:external_users
  Scenario: Walking the users found by q sees every user once
    Spec: OpenAPI users.list (q, after, limit) (Pipedream's OpenAPI document)
    Given the control plane accepts POST "/_emulator/projects/${project_id}/users" with JSON:
      """
      {"external_id": "u-${unique}-1", "environment": "${environment}"}
      """
    And the control plane accepts POST "/_emulator/projects/${project_id}/users" with JSON:
      """
      {"external_id": "u-${unique}-2", "environment": "${environment}"}
      """
    And the control plane accepts POST "/_emulator/projects/${project_id}/users" with JSON:
      """
      {"external_id": "u-${unique}-3", "environment": "${environment}"}
      """
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-1" after the scenario
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-2" after the scenario
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-3" after the scenario
    And I have an access token
    When I walk the pages of "/v1/connect/${project_id}/users?q=u-${unique}-&limit=1" collecting "external_id"
    Then the collected values include "u-${unique}-1"
    And the collected values include "u-${unique}-2"
    And the collected values include "u-${unique}-3"
    And the collected values have no duplicates
    And the walk took at least 3 pages

  @emulator-only @requires:connect_accounts
  Scenario: A cursor stays valid when items before it are deleted
    Spec: pdemu decision (docs/behaviour.md — Pagination "cursors … stay valid when earlier items are deleted")
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct_1"
    And the emulator has connected an account of app "github" for external user "u-${unique}" as "acct_2"
    And the emulator has connected an account of app "slack" for external user "u-${unique}" as "acct_3"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2"
    Then the status is 200
    And the response field "data.1.id" is "${acct_2}"
    And I remember the response field "page_info.end_cursor" as "cursor"
    When I DELETE "/v1/connect/${project_id}/accounts/${acct_1}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2&after=${cursor}"
    Then the status is 200
    And the response field "data" has 1 item
    And the response field "data.0.id" is "${acct_3}"

  @emulator-only @requires:connect_accounts
  Scenario: before returns the page that precedes the cursor
    Spec: OpenAPI list parameter before; pdemu decision for its meaning (docs/behaviour.md — Pagination "before returns the page that precedes the cursor")
    Given the emulator has connected an account of app "openai" for external user "u-${unique}" as "acct_1"
    And the emulator has connected an account of app "github" for external user "u-${unique}" as "acct_2"
    And the emulator has connected an account of app "slack" for external user "u-${unique}" as "acct_3"
    And the emulator has connected an account of app "stripe" for external user "u-${unique}" as "acct_4"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2"
    Then the status is 200
    And I remember the response field "page_info.end_cursor" as "first_end"
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2&after=${first_end}"
    Then the status is 200
    And the response field "data.0.id" is "${acct_3}"
    And I remember the response field "page_info.start_cursor" as "second_start"
    When I GET "/v1/connect/${project_id}/accounts?external_user_id=u-${unique}&limit=2&before=${second_start}"
    Then the status is 200
    And the response field "data" has 2 items
    And the response field "data.0.id" is "${acct_1}"
    And the response field "data.1.id" is "${acct_2}"

  Scenario: Walking apps found by q sees every app once
    Spec: OpenAPI apps.list (q, after, limit); pdemu decision for what q matches (docs/behaviour.md — "q filters case-insensitively")
    Given I have an access token
    When I walk the pages of "/v1/connect/apps?q=google_&limit=1" collecting "name_slug"
    Then the collected values include "google_sheets"
    And the collected values include "google_calendar"
    And the collected values have no duplicates
    And the walk took at least 2 pages

  Scenario: Walking the components list by end_cursor sees every component once
    Spec: OpenAPI components.list (after, limit; PageInfo); SDK pager (Pipedream's OpenAPI document)
    Given I have an access token
    When I walk the pages of "/v1/connect/${project_id}/triggers?limit=3&registry=public" collecting "key"
    Then the collected values include "http-new-requests"
    And the collected values have no duplicates

  Scenario Outline: A list asked for <case> is a 400 JSON error
    Spec: Pipedream REST API pagination (limit 1..100) (Pipedream's OpenAPI document); pdemu decision for the 400 and for cursors it did not issue (docs/behaviour.md — Pagination)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/users?<query>"
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | case                       | query            |
      | a limit of 0               | limit=0          |
      | a limit of 101             | limit=101        |
      | a limit that is no number  | limit=ten        |
      | a cursor it did not issue  | after=%21%21%21  |

  Scenario Outline: The <family> list answers page_info even when it is empty
    Spec: OpenAPI PageInfo; SDK pager dereferences page_info.end_cursor (Pipedream's OpenAPI document); pdemu decision (docs/behaviour.md — "page_info is always present, with end_cursor: null on the last page")
    Given I have an access token
    When I GET "<path>"
    Then the status is 200
    And the response field "data" has 0 items
    And the response field "page_info.count" is 0
    And the response field "page_info.end_cursor" is null

    Examples:
      | family            | path                                                                        |
      | projects          | /v1/connect/projects?q=conf-${unique}-none                                  |
      | users             | /v1/connect/${project_id}/users?q=conf-${unique}-none                       |
      | accounts          | /v1/connect/${project_id}/accounts?external_user_id=conf-${unique}-none     |
      | apps              | /v1/connect/apps?q=conf-${unique}-none                                      |
      | components        | /v1/connect/${project_id}/components?q=conf-${unique}-none                  |
      | deployed triggers | /v1/connect/${project_id}/deployed-triggers?external_user_id=conf-${unique}-none |
      | oauth apps        | /v1/connect/${project_id}/oauth_apps?q=conf-${unique}-none                  |
      | app overrides     | /v1/connect/${project_id}/app_overrides?app=conf_${unique}_none             |
