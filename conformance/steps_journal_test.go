package conformance_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// TestJournalStepsReadOnlyTheScenariosOwnRequests: the journal steps count
// what the scenario's own client did since it began watching, whatever
// else the journal holds, and refuse to read what could be anyone's.
func TestJournalStepsReadOnlyTheScenariosOwnRequests(t *testing.T) {
	srv := testutil.NewServer(t)
	// Someone else's traffic, before and during the run: the seeded
	// client's calls to the same route.
	tok := srv.Token()
	for range 3 {
		require.Equal(t, http.StatusOK, srv.Do(http.MethodGet, "/v1/connect/projects", tok, nil).Status)
	}
	results := runFeature(t, configFor(srv), `Feature: Journal
  @emulator-only
  Scenario: Its own requests are counted
    Spec: test
    Given I have created an OAuth client named "journal ${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the journal has 1 request of the created client for route "projects.list" with status 200
    And the journal has 2 requests of the created client for route "*"

  @emulator-only
  Scenario: A wrong count fails
    Spec: test
    Given I have created an OAuth client named "journal ${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the journal has 2 requests of the created client for route "projects.list"

  @emulator-only
  Scenario: A wrong field fails
    Spec: test
    Given I have created an OAuth client named "journal ${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then in the latest journal entry of the created client for route "projects.list", "token_kind" is "connect"

  @emulator-only
  Scenario: Reading without watching fails
    Spec: test
    Given I have created an OAuth client named "journal ${unique}"
    Then the journal has 0 requests of the created client for route "projects.list"

  @emulator-only
  Scenario: Reading another's external user fails
    Spec: test
    Given I watch the request journal from now
    Then the journal has 0 requests of the external user "alice" for route "accounts.list"

  @emulator-only
  Scenario: Clearing outside a serial scenario fails
    Spec: test
    Given I watch the request journal from now
    When I clear the request journal
`)
	requireOutcome(t, results, "Its own requests are counted", conformance.Passed)
	requireOutcome(t, results, "A wrong count fails", conformance.Failed, "want 2 requests of the created client oc_", "to route projects.list", `"count":1`)
	requireOutcome(t, results, "A wrong field fails", conformance.Failed, `want token_kind of the journal entry req_`, `to is "connect", got oauth`)
	requireOutcome(t, results, "Reading without watching fails", conformance.Failed, "I watch the request journal from now")
	requireOutcome(t, results, "Reading another's external user fails", conformance.Failed, `the external user "alice" is not the scenario's own`)
	requireOutcome(t, results, "Clearing outside a serial scenario fails", conformance.Failed, "tag the scenario @serial")
	seeded := srv.Requests(emulator.RequestFilter{ClientID: srv.Credentials.ClientID, Route: "projects.list"})
	assert.Len(t, seeded, 3, "the journal was not cleared, and holds the others' requests still")
}

// leakyJournal is a target whose journal fails to redact: it answers
// GET /_emulator/requests with every redaction marker replaced by the
// last client secret the control plane handed out.
type leakyJournal struct {
	mu     sync.Mutex
	secret string
}

var markerRe = regexp.MustCompile(`\[redacted:[0-9a-f]{8}\]`)

func (l *leakyJournal) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasPrefix(r.URL.Path, "/_emulator/") {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/_emulator/oauth-clients":
		var c struct {
			Secret string `json:"client_secret"`
		}
		if json.Unmarshal(b, &c) == nil && c.Secret != "" {
			l.secret = c.Secret
		}
	case r.Method == http.MethodGet && r.URL.Path == "/_emulator/requests" && l.secret != "":
		b = markerRe.ReplaceAll(b, []byte(l.secret))
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestJournalStepsCatchASecretAndNeverPrintIt: against a journal that shows
// a client secret, the secrets step fails naming the secret, and neither
// its reason nor another journal step's quotes the secret itself.
func TestJournalStepsCatchASecretAndNeverPrintIt(t *testing.T) {
	srv := testutil.NewServer(t)
	leaky := &leakyJournal{}
	cfg := configFor(srv)
	cfg.HTTPClient = &http.Client{Transport: leaky}
	results := runFeature(t, cfg, `Feature: A journal that leaks
  @emulator-only
  Scenario: The secrets step catches it
    Spec: test
    Given I have created an OAuth client named "leaky ${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the journal shows none of this scenario's secrets in the requests of the created client

  @emulator-only
  Scenario: A field step masks it
    Spec: test
    Given I have created an OAuth client named "leaky ${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    Then in the latest journal entry of the created client for route "oauthTokens.create", "request.body.client_secret" matches "^\[redacted:"
`)
	requireOutcome(t, results, "The secrets step catches it", conformance.Failed, "the journal shows the created client's secret in the requests of the created client oc_")
	requireOutcome(t, results, "A field step masks it", conformance.Failed, "got <the created client's secret>")
	leaky.mu.Lock()
	secret := leaky.secret
	leaky.mu.Unlock()
	require.NotEmpty(t, secret)
	for name, r := range results {
		assert.NotContains(t, r.Reason, secret, "%q quotes the secret", name)
	}
	// Against pdemu as it is, the same scenario passes.
	results = runFeature(t, configFor(srv), `Feature: A journal that redacts
  @emulator-only
  Scenario: The secrets step passes
    Spec: test
    Given I have created an OAuth client named "redacts ${unique}"
    And I watch the request journal from now
    And I have an access token as the created client
    When I GET "/v1/connect/projects"
    Then the journal shows none of this scenario's secrets in the requests of the created client
`)
	requireOutcome(t, results, "The secrets step passes", conformance.Passed)
}
