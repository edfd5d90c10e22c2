Feature: Connect projects
  /v1/connect/projects manages the workspace's Connect projects with an OAuth
  access token: create (201), retrieve and update (the bare Project), delete
  (204), and a {data, page_info} list.

  @core
  Scenario: A project is created, retrieved, listed, updated and deleted
    Spec: OpenAPI "Pipedream API" projects.create/retrieve/update/delete/list; SDK types Project, ListProjectsResponse (Pipedream's OpenAPI document)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}", "app_name": "Conformance ${unique}", "support_email": "conf-${unique}@example.com"}
      """
    Then the status is 201
    And the response field "id" matches "^proj_[a-zA-Z0-9]+$"
    And the response field "name" is "conf-${unique}"
    And the response field "app_name" is "Conformance ${unique}"
    And the response field "support_email" is "conf-${unique}@example.com"
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I GET "/v1/connect/projects/${proj}"
    Then the status is 200
    And the response field "id" is "${proj}"
    And the response field "name" is "conf-${unique}"
    And the response field "data" is absent
    When I walk the pages of "/v1/connect/projects?limit=100" collecting "id"
    Then the collected values include "${proj}"
    When I PATCH "/v1/connect/projects/${proj}" with JSON:
      """
      {"name": "conf-${unique}-renamed", "support_email": "renamed-${unique}@example.com"}
      """
    Then the status is 200
    And the response field "id" is "${proj}"
    And the response field "name" is "conf-${unique}-renamed"
    And the response field "support_email" is "renamed-${unique}@example.com"
    When I GET "/v1/connect/projects/${proj}"
    Then the status is 200
    And the response field "name" is "conf-${unique}-renamed"
    When I DELETE "/v1/connect/projects/${proj}"
    Then the status is 204
    When I walk the pages of "/v1/connect/projects?limit=100" collecting "id"
    Then the collected values do not include "${proj}"

  @core
  Scenario: The project list has the paginated shape the SDK reads
    Spec: OpenAPI PageInfo; SDK ListProjectsResponse and its pager (Pipedream's OpenAPI document, "SDK paging rule")
    Given I have an access token
    When I GET "/v1/connect/projects"
    Then the status is 200
    And the response field "data" has at least 1 item
    And the response field "page_info" is present
    And the response field "page_info.count" is present
    And the response field "page_info.total_count" is present
    And the response field "page_info.start_cursor" is present
    And the response field "page_info.end_cursor" is present

  @core
  Scenario: The configured project can be retrieved as a bare Project
    Spec: OpenAPI projects.retrieve; SDK type Project (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/projects/${project_id}"
    Then the status is 200
    And the response field "id" is "${project_id}"
    And the response field "name" is present
    And the response body is a JSON object
    And the response field "data" is absent

  Scenario: A deleted project is gone
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-gone"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I DELETE "/v1/connect/projects/${proj}"
    Then the status is 204
    When I GET "/v1/connect/projects/${proj}"
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/projects/${proj}"
    Then the status is 404
    And the answer is a JSON error

  Scenario Outline: <method> of an unknown project is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I <method> "/v1/connect/projects/proj_conf${unique}nope"
    Then the status is 404
    And the answer is a JSON error

    Examples:
      | method |
      | GET    |
      | DELETE |

  Scenario: Updating an unknown project is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I PATCH "/v1/connect/projects/proj_conf${unique}nope" with JSON:
      """
      {"name": "conf-${unique}"}
      """
    Then the status is 404
    And the answer is a JSON error

  Scenario Outline: Creating a project with <case> is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — every malformed body a 400; docs/control-plane.md — Names: 1..200 characters)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error
    And the response field "id" is absent

    Examples:
      | case                    | body                        |
      | a truncated body        | {"name": "conf-${unique}"   |
      | no name                 | {"app_name": "x-${unique}"} |
      | a blank name            | {"name": "   "}             |
      | a name that is a number | {"name": 42}                |
      | a JSON array            | ["conf-${unique}"]          |

  Scenario: A project name longer than 200 characters is refused
    Spec: pdemu decision (docs/control-plane.md — Names: a client or project name is required, 1..200 characters)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}
      """
    Then the status is 400
    And the answer is a JSON error

  Scenario: Updating a project to a blank name is refused and changes nothing
    Spec: pdemu decision (docs/control-plane.md — Names: 1..200 characters, not only blank)
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "conf-${unique}-keep"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I PATCH "/v1/connect/projects/${proj}" with JSON:
      """
      {"name": ""}
      """
    Then the status is 400
    And the answer is a JSON error
    When I GET "/v1/connect/projects/${proj}"
    Then the status is 200
    And the response field "name" is "conf-${unique}-keep"

  Scenario: The project list filters by q
    Spec: pdemu decision (docs/behaviour.md — Pagination: "q filters case-insensitively")
    Given I have an access token
    When I POST "/v1/connect/projects" with JSON:
      """
      {"name": "Conf-${unique}-Filtered"}
      """
    Then the status is 201
    And I remember the response field "id" as "proj"
    And I will DELETE "/v1/connect/projects/${proj}" after the scenario
    When I GET "/v1/connect/projects?q=conf-${unique}-filtered"
    Then the status is 200
    And the response field "data" has 1 item
    And the response list "data" has an item whose "id" is "${proj}"
    And the response field "page_info.end_cursor" is null

  @core
  Scenario: A Connect token cannot manage projects
    Spec: OpenAPI security of projects.* — OAuth access token only (Pipedream's Connect authentication docs rows 41–45, D "As API credential")
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I GET "/v1/connect/projects/${project_id}"
    Then the answer is a JSON error
    And the response field "id" is absent
