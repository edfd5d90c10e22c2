Feature: Rate limits
  Pipedream publishes per-minute and per-five-minute limits on the Connect
  API (Create Connect Token: 100 a minute per external user, …) and lets a
  developer create limits of their own: POST /v1/connect/rate_limits
  {window_size_seconds, requests_per_window} answers a token, and requests
  that send it in x-pd-rate-limit are limited by it. An emulator counts
  them in fixed windows aligned on the Unix epoch, by its own clock, and
  can be given rules of one's own (PUT /_emulator/rate-limits). A throttled
  Connect API call is answered 429 {"error":"Throttled"} with Retry-After
  (seconds), X-RateLimit-Limit, X-RateLimit-Remaining: 0 and
  X-RateLimit-Reset (Unix seconds); a throttled token request, as
  Pipedream's load balancer answers it, 429 with an empty body.

  The rules apply to every request of the server and setting them starts
  every count afresh, so a scenario that sets them is @serial and puts them
  back afterwards as they were, as it puts back the clock it moves. A
  custom limit's token is the scenario's own (nobody else knows it), so
  scenarios that only use one run beside others.

  @core
  Scenario: A custom rate limit answers a token to send in x-pd-rate-limit
    Spec: Pipedream Connect API reference, Rate limits — Custom rate limits ("POST /rate_limits" with window_size_seconds and requests_per_window; "The API returns a rate_limit_token"; "Include the rate_limit_token in the x-pd-rate-limit header")
    Given I have an access token
    When I POST "/v1/connect/rate_limits" with JSON:
      """
      {"window_size_seconds": 10, "requests_per_window": 1000}
      """
    Then the request succeeds
    And the response field "token" matches "^\S+$"
    And I remember the response field "token" as "rate_limit_token"
    When I send the header "x-pd-rate-limit" as "${rate_limit_token}"
    And I GET "/v1/connect/projects"
    Then the status is 200

  @emulator-only @requires:rate_limits
  Scenario: Calls that send a custom rate-limit token are throttled past its limit, the others are not
    Spec: Pipedream Connect API reference, Rate limits — Custom rate limits; pdemu decision for the rest (docs/journal-faults-rate-limits.md — Rate limits: the token's 50 letters, epoch-aligned windows, 429 {"error":"Throttled"} with Retry-After and X-RateLimit-*)
    Given I have an access token
    When I POST "/v1/connect/rate_limits" with JSON:
      """
      {"window_size_seconds": 86400, "requests_per_window": 2}
      """
    Then the status is 200
    And the response field "token" matches "^[A-Za-z]{50}$"
    And I remember the response field "token" as "rate_limit_token"
    When I send the header "x-pd-rate-limit" as "${rate_limit_token}"
    And I GET "/v1/connect/projects" 2 times
    Then each of those 2 answers had status 200
    When I send the header "x-pd-rate-limit" as "${rate_limit_token}"
    And I GET "/v1/connect/projects"
    Then the status is 429
    And the response field "error" is "Throttled"
    And the response header "X-RateLimit-Limit" is "2"
    And the response header "X-RateLimit-Remaining" is "0"
    And the response header "Retry-After" is a whole number from 1 to 86400
    When I GET "/v1/connect/projects"
    Then the status is 200

  @pdemu-extension @requires:rate_limits
  Scenario: An x-pd-rate-limit token the API never issued is a 400 JSON error
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Rate limits: "a value in x-pd-rate-limit that is not a limit of the caller's workspace is a 400 (Pipedream does not document that case)"): a real server may well differ, so only a target that says it emulates rate limits runs this.
    Given I have an access token
    And I send the header "x-pd-rate-limit" as "NoSuchRateLimitTokenOfThisScenario${unique}"
    When I GET "/v1/connect/projects"
    Then the error is "invalid_request" with status 400
    And the response field "data" is absent

  @emulator-only @requires:rate_limits @requires:clock @serial
  Scenario: A rule on the token endpoint by IP allows its limit in a window, then answers 429 with an empty body
    Spec: pdemu decision (docs/journal-faults-rate-limits.md — Rate limits: rules of one's own, "Pipedream also throttles POST /v1/oauth/token per IP", "429 with an empty body, as Pipedream's load balancer answers")
    Given the emulator clock is moved to the start of the next 60-second window, whose end is remembered as "window_end"
    And the emulator's rate limits are set with JSON:
      """
      {"rules": [{"name": "kit-token-ip", "route": "oauthTokens.create", "key": "ip", "limit": 3, "window_seconds": 60}]}
      """
    When I POST "/v1/oauth/token" 3 times with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then each of those 3 answers had status 200
    When I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 429
    And the response body is the text ""
    When I GET "/_emulator/rate-limits"
    Then the status is 200
    And the response field "profile" is "custom"
    And the response list "counters" has an item whose "rule" is "kit-token-ip"
    When the emulator clock is set to the Unix time "${window_end}"
    And I POST "/v1/oauth/token" with JSON:
      """
      {"grant_type": "client_credentials", "client_id": "${client_id}", "client_secret": "${client_secret}"}
      """
    Then the status is 200
    And the response field "access_token" is present

  @emulator-only @requires:rate_limits @requires:clock @serial
  Scenario: Pipedream's limits allow 100 Connect tokens a minute per external user, counted in windows of the emulator clock
    Spec: Pipedream Connect API reference, Rate limits ("Create Connect Token, POST /token, 100 per minute, Per external user"); pdemu decision for the windows and the 429 (docs/journal-faults-rate-limits.md — Rate limits: "Windows are fixed, aligned on the epoch … and run on the emulator clock")
    Given the emulator clock is moved to the start of the next 60-second window, whose end is remembered as "window_end"
    And the external user "limited-${unique}" is deleted afterwards
    And the external user "other-${unique}" is deleted afterwards
    And the emulator's rate limits are set with JSON:
      """
      {"profile": "pipedream"}
      """
    And I have an access token
    When I POST "/v1/connect/${project_id}/tokens" 100 times with JSON:
      """
      {"external_user_id": "limited-${unique}"}
      """
    Then each of those 100 answers had status 200
    When I POST "/v1/connect/${project_id}/tokens" with JSON:
      """
      {"external_user_id": "limited-${unique}"}
      """
    Then the status is 429
    And the response field "error" is "Throttled"
    And the response header "X-RateLimit-Limit" is "100"
    And the response header "X-RateLimit-Remaining" is "0"
    And the response header "X-RateLimit-Reset" is "${window_end}"
    And the response header "Retry-After" is a whole number from 1 to 60
    When I POST "/v1/connect/${project_id}/tokens" with JSON:
      """
      {"external_user_id": "other-${unique}"}
      """
    Then the status is 200
    When the emulator clock is set to the Unix time "${window_end}" minus 1 second
    And I POST "/v1/connect/${project_id}/tokens" with JSON:
      """
      {"external_user_id": "limited-${unique}"}
      """
    Then the status is 429
    And the response header "Retry-After" is "1"
    When the emulator clock is set to the Unix time "${window_end}"
    And I POST "/v1/connect/${project_id}/tokens" with JSON:
      """
      {"external_user_id": "limited-${unique}"}
      """
    Then the status is 200
    And the response field "token" matches "^ctok_"
