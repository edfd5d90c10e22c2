// Package conformance is pdemu's conformance kit: Gherkin scenarios
// (package features) with godog step definitions that speak only HTTP to a
// base URL, so the same suite judges pdemu and any real server that claims
// to be Pipedream's API. It never imports the emulator.
//
// A target is driven as far as it can be: the kit reads
// /_emulator/capabilities, and scenarios that need what a target lacks
// (@emulator-only, @requires:<capability>) or that change shared state
// (@destructive, unless asked) are reported as skipped with the reason,
// never as passed.
package conformance

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Credentials are an OAuth client's id and secret.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// Config says which server to judge and with what.
type Config struct {
	// BaseURL is the API's root, e.g. https://api.pipedream.com.
	BaseURL string
	// Client is the OAuth client the scenarios authenticate with.
	Client Credentials
	// SecondClient, optional, is another client of the same workspace for
	// cross-client scenarios. Against an emulator the kit creates one.
	SecondClient Credentials
	// ProjectID is a project the client may use (proj_…).
	ProjectID string
	// Environment is sent as x-pd-environment (default development).
	Environment string
	// Destructive allows scenarios that rotate or delete clients against a
	// real server; against an emulator they always run.
	Destructive bool
	// ControlToken, when set, is sent as Authorization: Bearer on every
	// request to the target's control plane (/_emulator/ under BaseURL,
	// and nowhere else): pdemu requires it when it listens beyond loopback
	// or was given one.
	ControlToken string
	// HTTPClient sends every request; nil means a client with a 30 s
	// timeout. The kit wraps a copy's transport, to send what the control
	// plane needs (controlPlaneTransport).
	HTTPClient *http.Client
}

// Environment variables read by FromEnv: the ones the official SDKs read,
// plus an optional second client and pdemu's control token.
const (
	EnvBaseURL       = "PIPEDREAM_BASE_URL"
	EnvClientID      = "PIPEDREAM_CLIENT_ID"
	EnvClientSecret  = "PIPEDREAM_CLIENT_SECRET"
	EnvProjectID     = "PIPEDREAM_PROJECT_ID"
	EnvEnvironment   = "PIPEDREAM_PROJECT_ENVIRONMENT"
	EnvClientID2     = "PDEMU_CONFORMANCE_CLIENT_ID_2"
	EnvClientSecret2 = "PDEMU_CONFORMANCE_CLIENT_SECRET_2"
	EnvControlToken  = "PDEMU_CONTROL_TOKEN"
)

// FromEnv reads a Config from the environment variables above, through
// getenv (os.Getenv, or a test's map).
func FromEnv(getenv func(string) string) Config {
	return Config{
		BaseURL:      getenv(EnvBaseURL),
		Client:       Credentials{ClientID: getenv(EnvClientID), ClientSecret: getenv(EnvClientSecret)},
		SecondClient: Credentials{ClientID: getenv(EnvClientID2), ClientSecret: getenv(EnvClientSecret2)},
		ProjectID:    getenv(EnvProjectID),
		Environment:  getenv(EnvEnvironment),
		ControlToken: getenv(EnvControlToken),
	}
}

// ValidEnvironment reports whether env is an environment of a Pipedream
// project: development or production. Scenarios that cross to "the other
// environment" need to know which that is.
func ValidEnvironment(env string) bool { return env == "development" || env == "production" }

// withDefaults checks what is required and fills in the rest.
func (c Config) withDefaults() (Config, error) {
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	var missing []string
	if c.BaseURL == "" {
		missing = append(missing, "base URL ("+EnvBaseURL+")")
	}
	if c.Client.ClientID == "" || c.Client.ClientSecret == "" {
		missing = append(missing, "client credentials ("+EnvClientID+", "+EnvClientSecret+")")
	}
	if c.ProjectID == "" {
		missing = append(missing, "project id ("+EnvProjectID+")")
	}
	if len(missing) > 0 {
		return c, errors.New("conformance: missing " + strings.Join(missing, ", "))
	}
	if c.Environment == "" {
		c.Environment = "development"
	}
	if !ValidEnvironment(c.Environment) {
		return c, fmt.Errorf("conformance: environment %q (%s): a Pipedream project has two, development and production", c.Environment, EnvEnvironment)
	}
	// A copy of the caller's client, so wrapping its transport changes
	// nothing the caller holds.
	hc := http.Client{Timeout: 30 * time.Second}
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	t, err := newControlPlaneTransport(hc.Transport, c.BaseURL, c.ControlToken)
	if err != nil {
		return c, fmt.Errorf("conformance: base URL %q: %w", c.BaseURL, err)
	}
	hc.Transport = t
	c.HTTPClient = &hc
	return c, nil
}
