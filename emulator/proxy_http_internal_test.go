package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/proxy"
)

// TestProxyFailureMapping maps each kind of failed exchange, including
// those awkward to provoke over the network; a timeout is provoked end to
// end in TestProxyTimeoutIsA504.
func TestProxyFailureMapping(t *testing.T) {
	pol, err := connect.ParseProxyPolicy(connect.DefaultProxyHosts())
	require.NoError(t, err)
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://h/secret?x", Err: err} }
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		desc   string
	}{
		{"timeout", urlErr(context.DeadlineExceeded), http.StatusGatewayTimeout, "upstream_timeout", "did not answer within 1m30s"},
		{"too large", fmt.Errorf("%w: over 10 bytes", proxy.ErrTooLarge), http.StatusBadGateway, "bad_gateway", "too large"},
		{"refused", urlErr(errors.New("connect: connection refused")), http.StatusBadGateway, "bad_gateway", "could not reach h:1: connect: connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proxyFailure("h:1", tc.err, pol, 90*time.Second)
			ae := apperr.As(err)
			assert.Equal(t, tc.status, statusOf[ae.Kind])
			assert.Equal(t, tc.code, ae.Code)
			assert.Contains(t, ae.Message, tc.desc)
			assert.NotContains(t, ae.Message, "secret", "the URL is not echoed twice")
		})
	}
	_, err = proxyFailure("h:1", urlErr(&proxy.HostError{Host: "evil.test"}), pol, time.Second)
	ae := apperr.As(err)
	assert.Equal(t, apperr.Forbidden, ae.Kind, "a redirect to a refused host is a 403")
	assert.Equal(t, "host_not_allowed", ae.Code)
	assert.Equal(t, "evil.test", ae.Details["host"])
}
