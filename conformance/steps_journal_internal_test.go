package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecretsTheScenarioHolds(t *testing.T) {
	w := newWorld(Config{Client: Credentials{ClientID: "oc_1", ClientSecret: "the-configured-secret"}, ControlToken: "short"},
		Capabilities{"journal"}, Scenario{})
	w.accessToken = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJvXzEifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
	w.vars["rate_limit_token"] = "AbCdEfGhIjKlMnOpQrStUvWxYz"
	w.vars["project"] = "proj_not_a_secret_at_all"
	var names []string
	for _, s := range w.secrets() {
		names = append(names, s.name)
	}
	assert.Equal(t, []string{"the configured client's secret", "the scenario's access token",
		"the signature of the scenario's access token", "the value remembered as rate_limit_token"}, names,
		"a value too short to look for is left out, as is a remembered value not named as a secret")

	sec := namedSecret{"a secret", `a/b"c<d>`}
	assert.True(t, sec.in(`{"x":"a/b\"c<d>"}`), "found as a JSON string escapes it")
	assert.True(t, sec.in(`{"x":"a/b\"c\u003cd\u003e"}`), "found as a JSON string escapes it for HTML")
	assert.True(t, sec.in(`a/b"c<d>`))
	assert.False(t, sec.in(`a/b c<d>`))

	assert.Equal(t, "got <the signature of the scenario's access token> and <the configured client's secret>",
		w.maskSecrets("got c2lnbmF0dXJlLW9mLXRoZS10b2tlbg and the-configured-secret"))
}
