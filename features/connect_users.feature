Feature: Connect external users
  GET /v1/connect/{project_id}/users lists a project environment's external
  users ({data, page_info}, filtered by q); DELETE …/users/{external_user_id}
  removes one with all their accounts.

  @core
  Scenario: The user list has the paginated shape the SDK reads
    Spec: OpenAPI users.list (security OAuth2 connect:users:read); SDK GetUsersResponse, PageInfo (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/users?limit=5"
    Then the status is 200
    And the response field "data" is present
    And the response field "page_info.count" is present
    And the response field "page_info.end_cursor" is present

  @core
  Scenario: A user who connected an account is listed, found by q, and deleted with their accounts
    Spec: OpenAPI users.list ("q: filter users by external_id, partial match"), users.deleteExternalUser ("removes the user and all their associated accounts") (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}-listed"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-listed" after the scenario
    When I POST "/v1/connect/${project_id}/accounts" with JSON:
      """
      {"app_slug": "openai", "cfmap_json": "{\"api_key\": \"sk-conf-${unique}\"}", "connect_token": "${connect_token}"}
      """
    Then the status is 200
    And I remember the response field "id" as "acct"
    Given I have an access token
    When I GET "/v1/connect/${project_id}/users?q=${unique}-list"
    Then the status is 200
    And the response list "data" has an item whose "external_id" is "u-${unique}-listed"
    And every item of the response list "data" has "external_id" matching "${unique}-list"
    And every item of the response list "data" has "id" matching "^exu_"
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}-listed"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/users?q=${unique}-list"
    Then the status is 200
    And the response list "data" has no item whose "external_id" is "u-${unique}-listed"
    When I GET "/v1/connect/${project_id}/accounts/${acct}"
    Then the answer is a JSON error
    And the response field "id" is absent

  Scenario: Making a Connect token for a new external user creates the user
    Spec: pdemu decision (docs/connect-api.md — External users "appear when a token or account is made for them")
    Given I have a Connect token for external user "u-${unique}-new"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-new" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/users?q=u-${unique}-new"
    Then the status is 200
    And the response field "data" has 1 item
    And the response field "data.0.external_id" is "u-${unique}-new"
    And the response field "data.0.id" matches "^exu_"
    And the response field "data.0.created_at" matches "^\d{4}-\d{2}-\d{2}T"

  Scenario: The q filter matches part of the external id, case-insensitively
    Spec: OpenAPI users.list q "partial match"; pdemu decision for case (docs/behaviour.md — Pagination "q filters case-insensitively")
    Given I have a Connect token for external user "User-${unique}-MixedCase"
    And I will DELETE "/v1/connect/${project_id}/users/User-${unique}-MixedCase" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/users?q=${unique}-mixedcase"
    Then the status is 200
    And the response list "data" has an item whose "external_id" is "User-${unique}-MixedCase"

  Scenario: External users of development and production are separate
    Spec: Pipedream docs "Environments" (accounts of the two environments "remain separate"); pdemu decision for users (docs/behaviour.md — Environments)
    Given I have a Connect token for external user "u-${unique}-env"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-env" after the scenario
    And I remember the other environment as "other_env"
    And I have an access token
    When I GET "/v1/connect/${project_id}/users?q=u-${unique}-env"
    Then the status is 200
    And the response list "data" has an item whose "external_id" is "u-${unique}-env"
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${project_id}/users?q=u-${unique}-env"
    Then the status is 200
    And the response list "data" has no item whose "external_id" is "u-${unique}-env"
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}-env"
    Then the status is 404
    And the answer is a JSON error

  Scenario: Deleting an unknown external user is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I DELETE "/v1/connect/${project_id}/users/nobody-${unique}"
    Then the status is 404
    And the answer is a JSON error

  Scenario: An unknown x-pd-environment is a 400 JSON error
    Spec: OpenAPI header x-pd-environment (enum development | production); pdemu decision for the status (docs/behaviour.md — Environments)
    Given I have an access token
    When I send the header "X-PD-Environment" as "staging"
    And I GET "/v1/connect/${project_id}/users"
    Then the status is 400
    And the answer is a JSON error

  Scenario: An unknown project's users are a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404; resources never leak across projects)
    Given I have an access token
    When I GET "/v1/connect/proj_conf${unique}nope/users"
    Then the status is 404
    And the answer is a JSON error

  Scenario: A Connect token deletes its own external user but not another one
    Spec: OpenAPI users.deleteExternalUser (security: Connect token or OAuth); pdemu decision for another user (docs/connect-api.md — "another user's resources are 404s")
    Given I have a Connect token for external user "u-${unique}-other"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-other" after the scenario
    And I have a Connect token for external user "u-${unique}-self"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-self" after the scenario
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}-other"
    Then the status is 404
    And the answer is a JSON error
    Given I have an access token
    When I GET "/v1/connect/${project_id}/users?q=u-${unique}-other"
    Then the response list "data" has an item whose "external_id" is "u-${unique}-other"
    Given I have a Connect token for external user "u-${unique}-self"
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}-self"
    Then the status is 204
    Given I have an access token
    When I GET "/v1/connect/${project_id}/users?q=u-${unique}-self"
    Then the response list "data" has no item whose "external_id" is "u-${unique}-self"

  @core
  Scenario: A Connect token cannot list external users
    Spec: OpenAPI users.list security — OAuth2 only (Pipedream's Connect authentication docs row 7, D "As API credential")
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/users"
    Then the answer is a JSON error
    And the response field "data" is absent

  @emulator-only @requires:external_users
  Scenario: Users added through the control plane are listed oldest first
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/projects/{project_id}/users; Features and limitations — "Lists are oldest first")
    Given the control plane accepts POST "/_emulator/projects/${project_id}/users" with JSON:
      """
      {"external_id": "u-${unique}-a", "environment": "${environment}"}
      """
    And the control plane accepts POST "/_emulator/projects/${project_id}/users" with JSON:
      """
      {"external_id": "u-${unique}-b", "environment": "${environment}"}
      """
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-a" after the scenario
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-b" after the scenario
    And I have an access token
    When I GET "/v1/connect/${project_id}/users?q=u-${unique}-"
    Then the status is 200
    And the response field "data" has 2 items
    And the response field "data.0.external_id" is "u-${unique}-a"
    And the response field "data.1.external_id" is "u-${unique}-b"
    And the response field "page_info.total_count" is 2
