Feature: Connect deployed triggers
  triggers.deploy makes a deployed trigger (dc_…) for an external user; the
  deployed-triggers endpoints read, update and delete it and manage its
  events, workflows (pipelines) and webhooks. Single triggers come wrapped in
  {data}, lists as {data, page_info}; webhook signing keys are shown to OAuth
  callers only.

  @core
  Scenario: A trigger is deployed, retrieved, listed, updated and deleted
    Spec: OpenAPI triggers.deploy ({data: Emitter}), deployedTriggers.retrieve/list/update/delete; SDK DeployedComponent (Pipedream's OpenAPI document)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And the response field "data.id" matches "^dc_[a-zA-Z0-9]+$"
    And the response field "data.type" is "DeployedComponent"
    And the response field "data.component_key" is "http-new-requests"
    And the response field "data.active" is true
    And the response field "data.owner_id" is present
    And the response field "data.created_at" is a number of at least 1000000000000
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data.id" is "${trigger}"
    And the response field "data.component_key" is "http-new-requests"
    When I GET "/v1/connect/${project_id}/deployed-triggers?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${trigger}"
    And the response field "page_info.end_cursor" is present
    When I PUT "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" with JSON:
      """
      {"active": false, "name": "conf ${unique}"}
      """
    Then the status is 200
    And the response field "data.id" is "${trigger}"
    And the response field "data.active" is false
    And the response field "data.name" is "conf ${unique}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data.active" is false
    When I DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/deployed-triggers?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${trigger}"

  @core
  Scenario: Events, workflows and webhooks of a deployed trigger have the SDK's shapes
    Spec: OpenAPI deployedTriggers.listEvents ({data}, no page_info), listWorkflows ({workflow_ids}), listWebhooks/updateWebhooks ({webhook_urls, webhooks}) (Pipedream's OpenAPI document)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/events?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data" is present
    And the response field "page_info" is absent
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/pipelines?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "workflow_ids" is present
    When I PUT "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks?external_user_id=u-${unique}" with JSON:
      """
      {"webhook_urls": ["https://example.com/conf-${unique}"]}
      """
    Then the status is 200
    And the response list "webhook_urls" contains the value "https://example.com/conf-${unique}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "webhook_urls" has 1 item
    And the response list "webhook_urls" contains the value "https://example.com/conf-${unique}"
    When I PUT "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks?external_user_id=u-${unique}" with JSON:
      """
      {"webhook_urls": []}
      """
    Then the status is 200
    And the response field "webhook_urls" has 0 items

  @core
  Scenario: An OAuth deploy with a webhook URL shows the signing key
    Spec: SDK DeployedComponent.webhook_signing_key ("only returned for OAuth-authenticated requests when webhook_url is supplied"); deployedTriggers.listWebhooks {webhook_urls} (Pipedream's OpenAPI document)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}, "webhook_url": "https://example.com/conf-${unique}"}
      """
    Then the status is 200
    And the response field "data.webhook_signing_key" is present
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "webhook_urls" contains the value "https://example.com/conf-${unique}"

  Scenario: A trigger webhook is retrieved with its signing key, which can be regenerated
    Spec: SDK deployedTriggers.retrieveWebhook / regenerateWebhookSigningKey (OAuth only; {data: {id, url, signing_key, signing_key_set, …}}) (Pipedream's OpenAPI document); the webhook id comes from listWebhooks' optional webhooks field
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}, "webhook_url": "https://example.com/conf-${unique}"}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "webhooks" has an item whose "url" is "https://example.com/conf-${unique}"
    And the response field "webhooks.0.signing_key_set" is true
    And I remember the response field "webhooks.0.id" as "webhook"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks/${webhook}?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data.id" is "${webhook}"
    And the response field "data.url" is "https://example.com/conf-${unique}"
    And the response field "data.signing_key" is present
    And I remember the response field "data.signing_key" as "old_key"
    When I POST "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks/${webhook}/regenerate_signing_key?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data.id" is "${webhook}"
    And the response field "data.signing_key" is present
    And the response field "data.signing_key" is not "${old_key}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks/${webhook}?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data.signing_key" is not "${old_key}"
    Given I have a Connect token for external user "u-${unique}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks/${webhook}?external_user_id=u-${unique}"
    Then the answer is a JSON error
    And the response does not contain "${old_key}"

  @core
  Scenario: A Connect token deploys and manages its own trigger without seeing signing keys
    Spec: OpenAPI security of triggers.deploy and deployedTriggers.* (Connect token or OAuth); "signing_key is only returned for OAuth-authenticated requests" (Pipedream's OpenAPI document)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}, "webhook_url": "https://example.com/conf-${unique}"}
      """
    Then the status is 200
    And the response field "data.id" matches "^dc_"
    And the response field "data.webhook_signing_key" is absent
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has an item whose "id" is "${trigger}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/webhooks?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "webhook_urls" contains the value "https://example.com/conf-${unique}"
    And the response field "webhooks.0.signing_key" is absent
    When I DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 204

  Scenario: Another external user's trigger looks absent
    Spec: pdemu decision (docs/connect-api.md — "another user's resources are 404s"; Deployed triggers)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}-other"
    Then the status is 404
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/deployed-triggers?external_user_id=u-${unique}-other"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${trigger}"
    Given I have a Connect token for external user "u-${unique}-other"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-other" after the scenario
    When I DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}"
    Then the status is 404
    And the answer is a JSON error
    Given I have an access token
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data.id" is "${trigger}"

  Scenario: A trigger deployed in one environment is absent from the other
    Spec: Pipedream docs "Environments"; pdemu decision for the 404 (docs/connect-api.md — resources never leak across environments)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    Given I remember the other environment as "other_env"
    When I switch to the environment "${other_env}"
    And I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/deployed-triggers?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "data" has no item whose "id" is "${trigger}"

  Scenario: Workflows of a deployed trigger are replaced as a whole
    Spec: OpenAPI deployedTriggers.updateWorkflows (body workflow_ids, ids p_…) (Pipedream's OpenAPI document id formats); pdemu decision for accepting unknown ids (docs/connect-api.md — Deployed triggers)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}, "workflow_id": "p_conf${unique}"}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/pipelines?external_user_id=u-${unique}"
    Then the status is 200
    And the response list "workflow_ids" contains the value "p_conf${unique}"
    When I PUT "/v1/connect/${project_id}/deployed-triggers/${trigger}/pipelines?external_user_id=u-${unique}" with JSON:
      """
      {"workflow_ids": ["p_conf${unique}a", "p_conf${unique}b"]}
      """
    Then the status is 200
    And the response field "workflow_ids" has 2 items
    And the response list "workflow_ids" does not contain the value "p_conf${unique}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/pipelines?external_user_id=u-${unique}"
    Then the response list "workflow_ids" contains the value "p_conf${unique}b"

  Scenario Outline: <case> is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — every malformed body or bad query value a 400); OpenAPI external_user_id required (Pipedream's OpenAPI document)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    And I will DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" after the scenario
    When I <method> "/v1/connect/${project_id}/deployed-triggers/${trigger}<path>" with JSON:
      """
      <body>
      """
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | case                               | method | path                                          | body                         |
      | A workflow id that is not p_…      | PUT    | /pipelines?external_user_id=u-${unique}       | {"workflow_ids": ["bad id"]} |
      | Workflows without workflow_ids     | PUT    | /pipelines?external_user_id=u-${unique}       | {}                           |
      | A webhook URL that is not absolute | PUT    | /webhooks?external_user_id=u-${unique}        | {"webhook_urls": ["/hook"]}  |
      | A truncated update body            | PUT    | ?external_user_id=u-${unique}                 | {"active":                   |
      | An OAuth call without external_user_id | PUT | /webhooks                                   | {"webhook_urls": []}         |

  Scenario: Deploying an unknown trigger is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "conf-${unique}-nope", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 404
    And the answer is a JSON error

  Scenario: A deleted trigger is gone
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    When I DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}&ignore_hook_errors=true"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/events?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error
    When I DELETE "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error

  Scenario: An unknown deployed trigger is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/deployed-triggers/dc_conf${unique}?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error

  @emulator-only @requires:trigger_events
  Scenario: Emitted events are listed newest first and n limits them
    Spec: SDK EmittedEvent {e, k, ts, id, sum} (Pipedream's OpenAPI document); pdemu decision (docs/connect-api.md — Deployed triggers — events come from POST /_emulator/deployed-triggers/{trigger_id}/events, "listEvents returns the newest first")
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}, "emit_on_deploy": false}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    Given the control plane accepts POST "/_emulator/deployed-triggers/${trigger}/events" with JSON:
      """
      {"event": {"n": 1, "tag": "first-${unique}"}, "summary": "first event"}
      """
    And the control plane accepts POST "/_emulator/deployed-triggers/${trigger}/events" with JSON:
      """
      {"event": {"n": 2, "tag": "second-${unique}"}, "summary": "second event"}
      """
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/events?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data" has 2 items
    And the response field "data.0.e.tag" is "second-${unique}"
    And the response field "data.0.k" is "emit"
    And the response field "data.0.sum" is "second event"
    And the response field "data.0.ts" is a number of at least 1000000000000
    And the response field "data.1.e.tag" is "first-${unique}"
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/events?external_user_id=u-${unique}&n=1"
    Then the status is 200
    And the response field "data" has 1 item
    And the response field "data.0.e.n" is 2

  @emulator-only @requires:trigger_events
  Scenario: An inactive trigger emits nothing
    Spec: pdemu decision (docs/connect-api.md — Deployed triggers — the control plane "returns 409 for an inactive trigger")
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}, "emit_on_deploy": false}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    When I PUT "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}" with JSON:
      """
      {"active": false}
      """
    Then the status is 200
    When I POST "/_emulator/deployed-triggers/${trigger}/events" with JSON:
      """
      {"event": {"n": 1}}
      """
    Then the status is 409
    And the answer is a JSON error
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}/events?external_user_id=u-${unique}"
    Then the status is 200
    And the response field "data" has 0 items

  @emulator-only @requires:connect_accounts
  Scenario: A trigger of an app is deployed with the user's own account
    Spec: OpenAPI triggers.deploy configured_props (an app prop is {"authProvisionId": "apn_…"}) (Pipedream's OpenAPI document); pdemu decision that the account must be the user's (docs/connect-api.md — Components)
    Given the emulator has connected an account of app "github" for external user "u-${unique}" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    And I have an access token
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "github-new-issue", "external_user_id": "u-${unique}",
       "configured_props": {"github": {"authProvisionId": "${acct}"}, "repoFullname": "octocat/hello-world"}}
      """
    Then the status is 200
    And the response field "data.component_key" is "github-new-issue"
    And the response field "data.configured_props.repoFullname" is "octocat/hello-world"
    And the response field "data.configured_props.github.authProvisionId" is "${acct}"
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "github-new-issue", "external_user_id": "u-${unique}-other",
       "configured_props": {"github": {"authProvisionId": "${acct}"}, "repoFullname": "octocat/hello-world"}}
      """
    Then the status is 400
    And the answer is a JSON error

  Scenario: Deleting an external user removes their deployed triggers
    Spec: OpenAPI users.deleteExternalUser ("and all their associated accounts and resources") (Pipedream's OpenAPI document); pdemu decision for the 404 (docs/connect-api.md)
    Given I have an access token
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/triggers/deploy" with JSON:
      """
      {"id": "http-new-requests", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 200
    And I remember the response field "data.id" as "trigger"
    When I DELETE "/v1/connect/${project_id}/users/u-${unique}"
    Then the status is 204
    When I GET "/v1/connect/${project_id}/deployed-triggers/${trigger}?external_user_id=u-${unique}"
    Then the status is 404
    And the answer is a JSON error
