Feature: Scope enforcement on protected endpoints
  Every endpoint that takes an OAuth access token is guarded by a scope. A
  token without it gets 403 insufficient_scope naming the scope; no token, a
  junk token or a token of the wrong kind gets 401 (RFC 6750 §3.1).
  Pipedream documents the scope names, the wildcards * and connect:*, and
  the scope of one endpoint (users.list): those scenarios are @core. Which
  scope guards every other endpoint, and the status codes, are pdemu's
  decisions (docs/endpoints.md), so those are not.

  The outlines' Examples are the route table's rows, path templates as
  written there: conformance/scopes_table_test.go fails when an endpoint is
  added to pdemu without its row here (@scope-table: every endpoint that
  takes an OAuth token, with its scopes; @oauth-only-table: those that take
  nothing else). Calls send no body; GETs use the configured project and
  every other method a project that does not exist, so no row can change
  anything shared; other ids are made up, so a call that passes the scope
  check may still answer 400 or 404. "<scopes>" lists the scopes any one of
  which grants access.

  @core
  Scenario: A token with the default scope * may call OAuth endpoints of every family
    Spec: Pipedream Connect API, Authentication ("*: Full access to every OAuth-protected endpoint", the default when no scope is asked)
    Given I have an access token
    When I GET "/v1/connect/projects"
    Then the status is 200
    When I GET "/v1/connect/${project_id}/users"
    Then the status is 200
    When I GET "/v1/connect/apps"
    Then the status is 200

  @core
  Scenario: connect:* covers the Connect API
    Spec: Pipedream Connect API, Authentication ("connect:*: Full access to all Connect API endpoints")
    Given I have an access token with scope "connect:*"
    When I GET "/v1/connect/projects"
    Then the status is 200
    When I GET "/v1/connect/${project_id}/users"
    Then the status is 200
    When I GET "/v1/connect/apps"
    Then the status is 200

  @core
  Scenario: Listing external users needs connect:users:read
    Spec: Pipedream OpenAPI users.list (security OAuth2: [connect:users:read]; Pipedream's Connect authentication docs row 7). The refusal's status is undocumented: only the error shape is checked.
    Given I have an access token with scope "connect:users:read"
    When I GET "/v1/connect/${project_id}/users"
    Then the status is 200
    Given I have an access token with scope "connect:projects:read"
    When I GET "/v1/connect/${project_id}/users"
    Then the answer is a JSON error
    And the response field "data" is absent

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Projects; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Projects
      | method | path                                   | scopes                 |
      | GET    | /v1/connect/projects                   | connect:projects:read  |
      | POST   | /v1/connect/projects                   | connect:projects:write |
      | GET    | /v1/connect/projects/{project_id}      | connect:projects:read  |
      | PATCH  | /v1/connect/projects/{project_id}      | connect:projects:write |
      | DELETE | /v1/connect/projects/{project_id}      | connect:projects:write |
      | POST   | /v1/connect/projects/{project_id}/logo | connect:projects:write |
      | GET    | /v1/connect/{project_id}/projects/info | connect:projects:read  |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Connect tokens and external users; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Connect tokens and external users
      | method | path                                              | scopes                |
      | POST   | /v1/connect/{project_id}/tokens                   | connect:tokens:create |
      | GET    | /v1/connect/{project_id}/users                    | connect:users:read    |
      | DELETE | /v1/connect/{project_id}/users/{external_user_id} | connect:users:write   |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Accounts; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Accounts
      | method | path                                                       | scopes                 |
      | GET    | /v1/connect/{project_id}/accounts                          | connect:accounts:read  |
      | GET    | /v1/connect/{project_id}/accounts/{account_id}             | connect:accounts:read  |
      | DELETE | /v1/connect/{project_id}/accounts/{account_id}             | connect:accounts:write |
      | DELETE | /v1/connect/{project_id}/apps/{app_id}/accounts            | connect:accounts:write |
      | GET    | /v1/connect/{project_id}/users/{external_user_id}/accounts | connect:accounts:read  |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Apps and app categories (and their /v1 aliases); Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Apps and app categories (and their /v1 aliases)
      | method | path                            | scopes         |
      | GET    | /v1/connect/apps                | connect:apps:* |
      | GET    | /v1/connect/apps/{app_id}       | connect:apps:* |
      | GET    | /v1/connect/app_categories      | connect:apps:* |
      | GET    | /v1/connect/app_categories/{id} | connect:apps:* |
      | GET    | /v1/apps                        | connect:apps:* |
      | GET    | /v1/apps/{app_id}               | connect:apps:* |
      | GET    | /v1/app_categories              | connect:apps:* |
      | GET    | /v1/app_categories/{id}         | connect:apps:* |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Components and actions; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Components and actions
      | method | path                                               | scopes                               |
      | GET    | /v1/connect/{project_id}/components                | connect:actions:* connect:triggers:* |
      | POST   | /v1/connect/{project_id}/components/configure      | connect:actions:* connect:triggers:* |
      | POST   | /v1/connect/{project_id}/components/props          | connect:actions:* connect:triggers:* |
      | GET    | /v1/connect/{project_id}/components/{component_id} | connect:actions:* connect:triggers:* |
      | GET    | /v1/connect/{project_id}/actions                   | connect:actions:*                    |
      | POST   | /v1/connect/{project_id}/actions/configure         | connect:actions:*                    |
      | POST   | /v1/connect/{project_id}/actions/props             | connect:actions:*                    |
      | POST   | /v1/connect/{project_id}/actions/run               | connect:actions:*                    |
      | GET    | /v1/connect/{project_id}/actions/{component_id}    | connect:actions:*                    |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Triggers; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Triggers
      | method | path                                             | scopes             |
      | GET    | /v1/connect/{project_id}/triggers                | connect:triggers:* |
      | POST   | /v1/connect/{project_id}/triggers/configure      | connect:triggers:* |
      | POST   | /v1/connect/{project_id}/triggers/props          | connect:triggers:* |
      | POST   | /v1/connect/{project_id}/triggers/deploy         | connect:triggers:* |
      | GET    | /v1/connect/{project_id}/triggers/{component_id} | connect:triggers:* |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Deployed triggers; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Deployed triggers
      | method | path                                                                                                 | scopes                          |
      | GET    | /v1/connect/{project_id}/deployed-triggers                                                           | connect:deployed_triggers:read  |
      | GET    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}                                              | connect:deployed_triggers:read  |
      | PUT    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}                                              | connect:deployed_triggers:write |
      | DELETE | /v1/connect/{project_id}/deployed-triggers/{trigger_id}                                              | connect:deployed_triggers:write |
      | GET    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/events                                       | connect:deployed_triggers:read  |
      | GET    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/pipelines                                    | connect:deployed_triggers:read  |
      | PUT    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/pipelines                                    | connect:deployed_triggers:write |
      | GET    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/webhooks                                     | connect:deployed_triggers:read  |
      | PUT    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/webhooks                                     | connect:deployed_triggers:write |
      | GET    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/webhooks/{webhook_id}                        | connect:deployed_triggers:read  |
      | POST   | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/webhooks/{webhook_id}/regenerate_signing_key | connect:deployed_triggers:write |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — The Connect proxy; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: The Connect proxy
      | method | path                                    | scopes        |
      | GET    | /v1/connect/{project_id}/proxy/{url_64} | connect:proxy |
      | POST   | /v1/connect/{project_id}/proxy/{url_64} | connect:proxy |
      | PUT    | /v1/connect/{project_id}/proxy/{url_64} | connect:proxy |
      | DELETE | /v1/connect/{project_id}/proxy/{url_64} | connect:proxy |
      | PATCH  | /v1/connect/{project_id}/proxy/{url_64} | connect:proxy |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — The project webhook; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: The project webhook
      | method | path                                                    | scopes    |
      | GET    | /v1/connect/{project_id}/webhook                        | connect:* |
      | PUT    | /v1/connect/{project_id}/webhook                        | connect:* |
      | DELETE | /v1/connect/{project_id}/webhook                        | connect:* |
      | POST   | /v1/connect/{project_id}/webhook/regenerate_signing_key | connect:* |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — OAuth apps and app overrides; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: OAuth apps and app overrides
      | method | path                                        | scopes    |
      | GET    | /v1/connect/{project_id}/oauth_apps         | connect:* |
      | POST   | /v1/connect/{project_id}/oauth_apps         | connect:* |
      | GET    | /v1/connect/{project_id}/oauth_apps/{id}    | connect:* |
      | PUT    | /v1/connect/{project_id}/oauth_apps/{id}    | connect:* |
      | DELETE | /v1/connect/{project_id}/oauth_apps/{id}    | connect:* |
      | GET    | /v1/connect/{project_id}/app_overrides      | connect:* |
      | POST   | /v1/connect/{project_id}/app_overrides      | connect:* |
      | GET    | /v1/connect/{project_id}/app_overrides/{id} | connect:* |
      | PUT    | /v1/connect/{project_id}/app_overrides/{id} | connect:* |
      | DELETE | /v1/connect/{project_id}/app_overrides/{id} | connect:* |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/endpoints.md — Usage and the file stash; Features and limitations — Protected endpoints, Scope matching); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with an access token of each scope of "<scopes> connect:* *"
    Then none of those calls was refused
    When I call it with no token
    Then it is refused for want of a token
    When I call it with the bearer token "junk-${unique}"
    Then it is refused as an invalid token

    @scope-table
    Examples: Usage and the file stash
      | method | path                                         | scopes             |
      | GET    | /v1/connect/usage                            | connect:usage:read |
      | GET    | /v1/connect/{project_id}/file_stash/download | connect:*          |

  @rfc6750
  Scenario Outline: <method> <path> is guarded by <scopes>
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Rate limits, custom limits: Pipedream names no scope for them); https://pipedream.com/docs/connect/api-reference/rate-limits; RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    When I call it with an access token whose scope is unrelated to "<scopes>"
    Then it is refused for want of one of the scopes "<scopes>"
    When I call it with no token
    Then it is refused for want of a token

    @scope-table
    Examples: Custom rate limits
      | method | path                    | scopes    |
      | POST   | /v1/connect/rate_limits | connect:* |

  Scenario Outline: A Connect token is refused on the OAuth-only <method> <path>
    Spec: Pipedream OpenAPI security lists (OAuth2 only; https://pipedream.com/docs/connect/api-reference/rate-limits uses an OAuth access token); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    And I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I call it
    Then it is refused as an invalid token

    @oauth-only-table
    Examples: Custom rate limits
      | method | path                    |
      | POST   | /v1/connect/rate_limits |

  Scenario Outline: A Connect token is refused on the OAuth-only <method> <path>
    Spec: Pipedream OpenAPI security lists (OAuth2 only; Pipedream's Connect token docs); pdemu decision for the answer (docs/connect-api.md — Credentials and paths); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    And I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I call it
    Then it is refused as an invalid token

    @oauth-only-table
    Examples: Projects
      | method | path                                   |
      | GET    | /v1/connect/projects                   |
      | POST   | /v1/connect/projects                   |
      | GET    | /v1/connect/projects/{project_id}      |
      | PATCH  | /v1/connect/projects/{project_id}      |
      | DELETE | /v1/connect/projects/{project_id}      |
      | POST   | /v1/connect/projects/{project_id}/logo |

  Scenario Outline: A Connect token is refused on the OAuth-only <method> <path>
    Spec: Pipedream OpenAPI security lists (OAuth2 only; Pipedream's Connect token docs); pdemu decision for the answer (docs/connect-api.md — Credentials and paths); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    And I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I call it
    Then it is refused as an invalid token

    @oauth-only-table
    Examples: Connect tokens, external users, trigger webhooks and usage
      | method | path                                                                                                 |
      | POST   | /v1/connect/{project_id}/tokens                                                                      |
      | GET    | /v1/connect/{project_id}/users                                                                       |
      | GET    | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/webhooks/{webhook_id}                        |
      | POST   | /v1/connect/{project_id}/deployed-triggers/{trigger_id}/webhooks/{webhook_id}/regenerate_signing_key |
      | GET    | /v1/connect/usage                                                                                    |

  Scenario Outline: A Connect token is refused on the OAuth-only <method> <path>
    Spec: Pipedream OpenAPI security lists (OAuth2 only; Pipedream's Connect token docs); pdemu decision for the answer (docs/connect-api.md — Credentials and paths); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    And I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I call it
    Then it is refused as an invalid token

    @oauth-only-table
    Examples: The project webhook
      | method | path                                                    |
      | GET    | /v1/connect/{project_id}/webhook                        |
      | PUT    | /v1/connect/{project_id}/webhook                        |
      | DELETE | /v1/connect/{project_id}/webhook                        |
      | POST   | /v1/connect/{project_id}/webhook/regenerate_signing_key |

  Scenario Outline: A Connect token is refused on the OAuth-only <method> <path>
    Spec: Pipedream OpenAPI security lists (OAuth2 only; Pipedream's Connect token docs); pdemu decision for the answer (docs/connect-api.md — Credentials and paths); RFC 6750 §3.1
    Given the endpoint <method> "<path>"
    And I have a Connect token for external user "u-${unique}"
    And the external user "u-${unique}" is deleted afterwards
    When I call it
    Then it is refused as an invalid token

    @oauth-only-table
    Examples: OAuth apps and app overrides
      | method | path                                        |
      | GET    | /v1/connect/{project_id}/oauth_apps         |
      | POST   | /v1/connect/{project_id}/oauth_apps         |
      | GET    | /v1/connect/{project_id}/oauth_apps/{id}    |
      | PUT    | /v1/connect/{project_id}/oauth_apps/{id}    |
      | DELETE | /v1/connect/{project_id}/oauth_apps/{id}    |
      | GET    | /v1/connect/{project_id}/app_overrides      |
      | POST   | /v1/connect/{project_id}/app_overrides      |
      | GET    | /v1/connect/{project_id}/app_overrides/{id} |
      | PUT    | /v1/connect/{project_id}/app_overrides/{id} |
      | DELETE | /v1/connect/{project_id}/app_overrides/{id} |

  Scenario Outline: A token of <granted> is refused on <method> <path>
    Spec: pdemu decision (docs/behaviour.md — Scope matching, "nothing else is implied (write does not grant read)"; Pipedream's Connect authentication docs: write ⇒ read and triggers:* ⇒ deployed triggers are UNKNOWN)
    Given the endpoint <method> "<path>"
    When I call it with an access token of scope "<granted>"
    Then it is refused for want of one of the scopes "<needed>"

    Examples:
      | granted                         | method | path                                              | needed                         |
      | connect:users:write             | GET    | /v1/connect/{project_id}/users                    | connect:users:read             |
      | connect:accounts:write          | GET    | /v1/connect/{project_id}/accounts                 | connect:accounts:read          |
      | connect:projects:write          | GET    | /v1/connect/projects                              | connect:projects:read          |
      | connect:deployed_triggers:write | GET    | /v1/connect/{project_id}/deployed-triggers        | connect:deployed_triggers:read |
      | connect:projects:read           | POST   | /v1/connect/projects                              | connect:projects:write         |
      | connect:users:read              | DELETE | /v1/connect/{project_id}/users/{external_user_id} | connect:users:write            |
      | connect:actions:*               | GET    | /v1/connect/{project_id}/triggers                 | connect:triggers:*             |
      | connect:triggers:*              | GET    | /v1/connect/{project_id}/actions                  | connect:actions:*              |
      | connect:triggers:*              | GET    | /v1/connect/{project_id}/deployed-triggers        | connect:deployed_triggers:read |
      | connect:apps:*                  | GET    | /v1/connect/{project_id}/users                    | connect:users:read             |
      | connect:tokens:create           | GET    | /v1/connect/{project_id}/accounts                 | connect:accounts:read          |

  Scenario: An OAuth access token cannot create an account
    Spec: Pipedream OpenAPI accounts.create (security: ConnectToken only; Pipedream's Connect authentication docs row 2); pdemu decision (docs/connect-api.md — "accounts.create takes only a Connect token")
    Given the endpoint POST "/v1/connect/{project_id}/accounts"
    When I call it with an access token of scope "*"
    Then it is refused as an invalid token

  @rfc6750
  Scenario: The bearer scheme is case-insensitive
    Spec: RFC 6750 §2.1 with RFC 7235 §2.1 (the auth-scheme is case-insensitive); pdemu decision (docs/behaviour.md — Protected endpoints)
    Given I have an access token
    When I send the header "Authorization" as "bearer ${access_token}"
    And I GET "/v1/connect/projects"
    Then the status is 200
