package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/connect"
	"github.com/pdemu/pdemu/emulator/internal/proxy"
)

// connectProxy forwards the proxy calls of every emulator in the process.
// It holds no emulator's state: each request carries its emulator's
// allow-list, and no upstream connection is reused across requests.
var connectProxy = proxy.New(0, 0)

// proxy serves /v1/connect/{project_id}/proxy/{url_64} for GET, POST, PUT,
// DELETE and PATCH: it calls the decoded URL as the external user's
// connected account and answers with the upstream status, Content-Type and
// body. Refused before any traffic: a bad url_64 (400), an account that is
// not the user's in this project environment (404), a host the allow-list
// does not name (403). The upstream unreachable or too slow is a 502/504.
//
// The checks run under the emulator lock; the upstream exchange runs after
// it is released (see continuation), and the call is metered then, so a
// call that spans a Reset is metered to the state after it.
func (e *Emulator) proxy(r *http.Request, c *call) (response, error) {
	userID, err := c.actingFor(r, true)
	if err != nil {
		return response{}, err
	}
	accountID := r.URL.Query().Get("account_id")
	if accountID == "" {
		return response{}, apperr.ErrInvalid.WithMessage("account_id is required: the connected account (apn_…) to call the API as")
	}
	target, err := proxy.DecodeURL64(c.vars["url_64"])
	if err != nil {
		return response{}, apperr.ErrInvalid.WithMessage("%v", err)
	}
	acc, err := e.connect.ProxyAccount(c.access(), c.projectID, c.env, userID, accountID)
	if err != nil {
		return response{}, err
	}
	policy := e.connect.ProxyPolicy()
	if !policy.AllowsName(target.Hostname()) {
		return response{}, errHostNotAllowed(&proxy.HostError{Host: target.Hostname()}, policy)
	}
	body, err := bodyBytes(r)
	if err != nil {
		return response{}, bodyError(err)
	}

	header := proxy.UpstreamHeader(r.Header)
	if err := proxy.ExpandMacros(header, acc.Credentials); err != nil {
		return response{}, apperr.ErrInvalid.WithMessage("%v", err)
	}
	if header.Get("Authorization") == "" {
		if a := proxy.Authorization(acc.AuthType, acc.Credentials); a != "" {
			header.Set("Authorization", a)
		}
	}
	if ct := r.Header.Get("Content-Type"); len(body) > 0 && header.Get("Content-Type") == "" && ct != "" {
		header.Set("Content-Type", ct)
	}
	// pdemu can answer with the upstream Content-Type but no other header,
	// so it must not ask for an encoding it would pass on undeclared: Go's
	// transport then negotiates gzip itself and decodes it.
	header.Del("Accept-Encoding")

	req := proxy.Request{Method: r.Method, URL: target, Header: header, Body: body, Policy: policy, Timeout: e.proxyTimeout}
	projectID, env := c.projectID, c.env
	return unlocked(e.proxyTimeout, func(ctx context.Context) (response, error) {
		resp, err := connectProxy.Do(ctx, req)
		if err != nil {
			return proxyFailure(target.Host, err, policy, e.proxyTimeout)
		}
		e.resetMu.RLock()
		e.connect.RecordProxyCall(projectID, env)
		e.resetMu.RUnlock()
		for k, vs := range resp.Header {
			c.header[k] = vs
		}
		ct := resp.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		raw := resp.Body
		if raw == nil {
			raw = []byte{}
		}
		return response{status: resp.Status, raw: raw, contentType: ct}, nil
	})
}

// errHostNotAllowed says which host was refused and how to allow it.
func errHostNotAllowed(he *proxy.HostError, policy connect.ProxyPolicy) error {
	return &apperr.Error{
		Kind: apperr.Forbidden, Code: "host_not_allowed",
		Message: fmt.Sprintf("%s; pdemu's proxy reaches only the hosts it is told to (default: loopback). "+
			`Allow it with PUT /_emulator/proxy/allowed-hosts {"hosts": [...]}, which replaces the list, `+
			"or Emulator.SetProxyAllowedHosts", he.Error()),
		Details: map[string]any{"host": he.Host, "allowed_hosts": policy.Hosts()},
	}
}

// proxyFailure answers an upstream exchange that failed: a refused host
// (reached through a redirect or DNS) is a 403, running out of timeout a
// 504, anything else a 502.
func proxyFailure(host string, err error, policy connect.ProxyPolicy, timeout time.Duration) (response, error) {
	var he *proxy.HostError
	if errors.As(err, &he) {
		return response{}, errHostNotAllowed(he, policy)
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return gatewayError(apperr.GatewayTimeout, "upstream_timeout",
			fmt.Sprintf("%s did not answer within %s", host, timeout))
	case errors.Is(err, proxy.ErrTooLarge):
		return gatewayError(apperr.BadGateway, "bad_gateway", fmt.Sprintf("%s: %v", host, err))
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the method and URL add nothing the caller didn't send
	}
	return gatewayError(apperr.BadGateway, "bad_gateway", fmt.Sprintf("could not reach %s: %v", host, err))
}

func gatewayError(kind apperr.Kind, code, msg string) (response, error) {
	return response{}, &apperr.Error{Kind: kind, Code: code, Message: msg}
}

// getProxyAllowedHosts serves GET /_emulator/proxy/allowed-hosts: the
// allow-list in force, so a script can put it back after changing it.
func (e *Emulator) getProxyAllowedHosts(*http.Request, *call) (response, error) {
	return ok(map[string][]string{"hosts": e.connect.ProxyPolicy().Hosts()})
}

// setProxyAllowedHosts serves PUT /_emulator/proxy/allowed-hosts
// {"hosts": [...]}: it replaces the proxy's allow-list until the next reset
// and answers with the list as stored.
func (e *Emulator) setProxyAllowedHosts(r *http.Request, _ *call) (response, error) {
	var body struct {
		Hosts *[]string `json:"hosts"`
	}
	if err := decodeStrictJSON(r, &body); err != nil {
		return response{}, err
	}
	if body.Hosts == nil {
		return response{}, apperr.ErrInvalid.WithMessage(`"hosts" is required: an array of names, *.names, IP addresses or CIDR ranges ([] allows nothing)`)
	}
	p, err := e.connect.SetProxyAllowedHosts(*body.Hosts)
	if err != nil {
		return response{}, err
	}
	return ok(map[string][]string{"hosts": p.Hosts()})
}
