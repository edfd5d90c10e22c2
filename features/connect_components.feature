Feature: Connect components, actions and triggers
  The component catalog of a project (components, actions, triggers: lists
  {data, page_info}, retrieve {data: Component}), prop configuration
  (configure, props) and actions.run.

  @core
  Scenario Outline: The <kind> list has the paginated shape the SDK reads
    Spec: OpenAPI <kind>.list; SDK types Component, PageInfo (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/<kind>?limit=3"
    Then the status is 200
    And the response field "data" has at least 1 item
    And the response field "data.0.key" is present
    And the response field "data.0.name" is present
    And the response field "data.0.configurable_props" is present
    And every item of the response list "data" has "version" matching "^\d+\.\d+\.\d+"
    And the response field "page_info.end_cursor" is present

    Examples:
      | kind       |
      | components |
      | actions    |
      | triggers   |

  @core
  Scenario Outline: An entry of the <kind> list is retrieved by key, wrapped in data
    Spec: OpenAPI <kind>.retrieve (component_id = the key; response {data: Component}) (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/<kind>?limit=1"
    Then the status is 200
    And I remember the response field "data.0.key" as "key"
    When I GET "/v1/connect/${project_id}/<kind>/${key}"
    Then the status is 200
    And the response field "data.key" is "${key}"
    And the response field "data.version" matches "^\d+\.\d+\.\d+"
    And the response field "data.configurable_props" is present

    Examples:
      | kind       |
      | components |
      | actions    |
      | triggers   |

  @core
  Scenario: The HTTP source is a trigger with an HTTP interface prop
    Spec: OpenAPI triggers.retrieve; Pipedream component registry http-new-requests (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/triggers/http-new-requests"
    Then the status is 200
    And the response field "data.key" is "http-new-requests"
    And the response list "data.configurable_props" has an item whose "type" is "$.interface.http"

  @core
  Scenario: An invalid registry is a 400 JSON error
    Spec: OpenAPI components.list registry (public | private | all; invalid → 400 ErrorResponse) (Pipedream's OpenAPI document)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/components?registry=everything"
    Then the status is 400
    And the answer is a JSON error

  @core
  Scenario: A Connect token reads the component catalog
    Spec: OpenAPI security of components/actions/triggers list and retrieve (Connect token or OAuth) (Pipedream's Connect authentication docs rows 9–20)
    Given I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I GET "/v1/connect/${project_id}/actions?limit=1"
    Then the status is 200
    And the response field "data" has 1 item

  Scenario: component_type narrows the components list
    Spec: OpenAPI components.list component_type (trigger | action); pdemu decision for the answer's component_type field (docs/connect-api.md — Components)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/components?component_type=trigger&limit=100"
    Then the status is 200
    And the response field "data" has at least 1 item
    And every item of the response list "data" has "component_type" matching "^trigger$"
    When I GET "/v1/connect/${project_id}/components?component_type=action&limit=100"
    Then the status is 200
    And every item of the response list "data" has "component_type" matching "^action$"

  Scenario: The app filter narrows the actions list
    Spec: OpenAPI actions.list app; pdemu decision for the match (docs/connect-api.md — Components)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/actions?app=github&limit=100"
    Then the status is 200
    And the response field "data" has at least 1 item
    And every item of the response list "data" has "key" matching "^github-"

  Scenario Outline: An unknown <kind> key is a 404 JSON error
    Spec: pdemu decision (docs/connect-api.md — every unknown id is a 404)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/<kind>/conf-${unique}-nope"
    Then the status is 404
    And the answer is a JSON error

    Examples:
      | kind       |
      | components |
      | actions    |
      | triggers   |

  Scenario: An action is not found among triggers
    Spec: pdemu decision (docs/connect-api.md — Components; actions and triggers are separate kinds)
    Given I have an access token
    When I GET "/v1/connect/${project_id}/triggers/slack-send-message"
    Then the status is 404
    And the answer is a JSON error

  Scenario Outline: <endpoint> with a malformed body is a 400 JSON error
    Spec: pdemu decision (docs/connect-api.md — every malformed body a 400)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/<endpoint>" with JSON:
      """
      {}
      """
    Then the status is not 404
    When I POST "/v1/connect/${project_id}/<endpoint>" with JSON:
      """
      {"id": "conf-${unique}", "external_user_id":
      """
    Then the status is 400
    And the answer is a JSON error

    Examples:
      | endpoint             |
      | actions/run          |
      | actions/configure    |
      | actions/props        |
      | components/configure |
      | triggers/deploy      |

  Scenario: actions.run without an external user is a 400 JSON error
    Spec: OpenAPI actions.run body (external_user_id required); pdemu decision for the status (docs/connect-api.md)
    Given I have an access token
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "slack-send-message", "configured_props": {}}
      """
    Then the status is 400
    And the answer is a JSON error

  @emulator-only @requires:components
  Scenario: A registered action runs and returns what was registered
    Spec: pdemu decision (docs/control-plane.md — POST /_emulator/components; The Connect API — Components "what actions.run returns for it"); SDK RunActionResponse {exports, os, ret} (Pipedream's OpenAPI document)
    Given the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-echo", "name": "Echo ${unique}", "version": "1.2.0", "component_type": "action",
       "configurable_props": [{"name": "text", "type": "string", "label": "Text"}],
       "run": {"ret": {"echoed": "fixed ${unique}"}, "exports": {"$summary": "Echoed ${unique}"}}}
      """
    And I have an access token
    When I GET "/v1/connect/${project_id}/actions/conf-${unique}-echo"
    Then the status is 200
    And the response field "data.name" is "Echo ${unique}"
    And the response field "data.version" is "1.2.0"
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "conf-${unique}-echo", "external_user_id": "u-${unique}", "configured_props": {"text": "hello"}}
      """
    Then the status is 200
    And the response field "ret.echoed" is "fixed ${unique}"
    And the response field "exports.$summary" is "Echoed ${unique}"
    And the response field "os" is present

  @emulator-only @requires:components
  Scenario: A run missing a required prop is a 400 naming it
    Spec: pdemu decision (docs/connect-api.md — Components "actions.run checks required props, value types")
    Given the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-needs", "name": "Needs ${unique}", "version": "0.1.0", "component_type": "action",
       "configurable_props": [{"name": "text", "type": "string"}, {"name": "count", "type": "integer", "optional": true}]}
      """
    And I have an access token
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "conf-${unique}-needs", "external_user_id": "u-${unique}", "configured_props": {}}
      """
    Then the status is 400
    And the answer is a JSON error
    And the response field "details.missing_props.0" is "text"
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "conf-${unique}-needs", "external_user_id": "u-${unique}", "configured_props": {"text": "x", "count": "many"}}
      """
    Then the status is 400
    And the answer is a JSON error

  @emulator-only @requires:components
  Scenario: By default a run echoes the input and leaves secret props out
    Spec: pdemu decision (docs/connect-api.md — Components "by default it returns ret {component, version, external_user_id, configured_props} (secret props left out)")
    Given the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-plain", "name": "Plain ${unique}", "version": "2.0.0", "component_type": "action",
       "configurable_props": [{"name": "text", "type": "string"}, {"name": "password", "type": "string", "secret": true}]}
      """
    And I have a Connect token for external user "u-${unique}"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}" after the scenario
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "conf-${unique}-plain", "external_user_id": "u-${unique}", "configured_props": {"text": "hi ${unique}", "password": "pw-${unique}"}}
      """
    Then the status is 200
    And the response field "ret.component" is "conf-${unique}-plain"
    And the response field "ret.version" is "2.0.0"
    And the response field "ret.external_user_id" is "u-${unique}"
    And the response field "ret.configured_props.text" is "hi ${unique}"
    And the response field "ret.configured_props.password" is absent
    And the response does not contain "pw-${unique}"

  @emulator-only @requires:components
  Scenario: A newer registered version becomes the default and older ones stay reachable
    Spec: pdemu decision (docs/connect-api.md — Components "its versions (newest SemVer is the default)"); OpenAPI retrieve query version (Pipedream's OpenAPI document)
    Given the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-versioned", "name": "Versioned", "version": "1.9.0", "component_type": "action"}
      """
    And the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-versioned", "name": "Versioned", "version": "1.10.0", "component_type": "action"}
      """
    And I have an access token
    When I GET "/v1/connect/${project_id}/actions/conf-${unique}-versioned"
    Then the status is 200
    And the response field "data.version" is "1.10.0"
    When I GET "/v1/connect/${project_id}/actions/conf-${unique}-versioned?version=1.9.0"
    Then the status is 200
    And the response field "data.version" is "1.9.0"

  @emulator-only @requires:components
  Scenario: configureProp answers a registered prop's options
    Spec: pdemu decision (docs/connect-api.md — Components "configureProp answers registered options"); SDK ConfigurePropResponse (Pipedream's OpenAPI document)
    Given the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-pick", "name": "Pick", "version": "0.0.1", "component_type": "action",
       "configurable_props": [{"name": "color", "type": "string", "remoteOptions": true}],
       "configure_options": {"color": ["red-${unique}", "blue-${unique}"]}}
      """
    And I have an access token
    When I POST "/v1/connect/${project_id}/actions/configure" with JSON:
      """
      {"id": "conf-${unique}-pick", "external_user_id": "u-${unique}", "prop_name": "color", "configured_props": {}}
      """
    Then the status is 200
    And the response list "stringOptions" contains the value "red-${unique}"
    And the response list "stringOptions" contains the value "blue-${unique}"
    When I POST "/v1/connect/${project_id}/components/configure" with JSON:
      """
      {"id": "conf-${unique}-pick", "external_user_id": "u-${unique}", "prop_name": "color", "configured_props": {}}
      """
    Then the status is 200
    And the response list "stringOptions" contains the value "red-${unique}"

  @emulator-only @requires:components
  Scenario: reloadProps answers a dyp_ id and the dynamic props
    Spec: pdemu decision (docs/connect-api.md — Components "reloadProps answers a dyp_ id usable by configure, run and deploy"); SDK ReloadPropsResponse (Pipedream's OpenAPI document)
    Given the control plane accepts POST "/_emulator/components" with JSON:
      """
      {"key": "conf-${unique}-dyn", "name": "Dynamic", "version": "0.0.1", "component_type": "action",
       "configurable_props": [{"name": "mode", "type": "string", "reloadProps": true}],
       "dynamic_props": [{"name": "extra_${unique}", "type": "string", "optional": true}]}
      """
    And I have an access token
    When I POST "/v1/connect/${project_id}/actions/props" with JSON:
      """
      {"id": "conf-${unique}-dyn", "external_user_id": "u-${unique}", "configured_props": {"mode": "advanced"}}
      """
    Then the status is 200
    And the response field "dynamicProps.id" matches "^dyp_"
    And the response list "dynamicProps.configurableProps" has an item whose "name" is "extra_${unique}"
    And I remember the response field "dynamicProps.id" as "dyp"
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "conf-${unique}-dyn", "external_user_id": "u-${unique}", "configured_props": {"mode": "advanced", "extra_${unique}": "x"}, "dynamic_props_id": "${dyp}"}
      """
    Then the status is 200
    And the response field "ret.configured_props.extra_${unique}" is "x"

  @emulator-only @requires:connect_accounts
  Scenario: An action's app prop must name the caller's own account
    Spec: pdemu decision (docs/connect-api.md — Components "every app prop names the caller's own account for the right app")
    Given the emulator has connected an account of app "slack" for external user "u-${unique}-owner" as "acct"
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-owner" after the scenario
    And I will DELETE "/v1/connect/${project_id}/users/u-${unique}-other" after the scenario
    And I have an access token
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "slack-send-message", "external_user_id": "u-${unique}-other",
       "configured_props": {"slack": {"authProvisionId": "${acct}"}, "channel": "C123", "text": "hi"}}
      """
    Then the status is 400
    And the answer is a JSON error
    When I POST "/v1/connect/${project_id}/actions/run" with JSON:
      """
      {"id": "slack-send-message", "external_user_id": "u-${unique}-owner",
       "configured_props": {"slack": {"authProvisionId": "${acct}"}, "channel": "C123", "text": "hi"}}
      """
    Then the status is 200
    And the response field "ret" is present
