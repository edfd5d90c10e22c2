package conformance

import (
	"net/http"
	"net/url"
	"strings"
)

// controlPlaneTransport adds what every request to the target's control
// plane (its /_emulator/ paths) must carry, in the one place every request
// of the kit passes: scenario steps, side requests, cleanups and capability
// discovery alike.
//
// Control-plane writes (POST, PUT, PATCH, DELETE) get Content-Type:
// application/json when they have none, bodyless ones included (reset,
// rotate-secret, delete): pdemu refuses a control-plane write without it,
// since that type is what makes a browser ask first before sending a
// request across origins. A request that names a type keeps it, so a
// scenario can still send text/plain on purpose.
//
// With a control token (Config.ControlToken), every control-plane request
// carries it as Authorization: Bearer, in place of whatever bearer the
// scenario holds: a pdemu bound beyond loopback requires it.
type controlPlaneTransport struct {
	next http.RoundTripper
	// scheme, host and path are the base URL's: only requests to its
	// control plane are touched, and the token never goes to another host
	// (a redirect elsewhere, say).
	scheme, host, path string
	token              string
}

// newControlPlaneTransport wraps next (nil: http.DefaultTransport) for the
// server at baseURL.
func newControlPlaneTransport(next http.RoundTripper, baseURL, token string) (*controlPlaneTransport, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	if next == nil {
		next = http.DefaultTransport
	}
	return &controlPlaneTransport{next: next, scheme: u.Scheme, host: u.Host, path: strings.TrimRight(u.Path, "/"), token: token}, nil
}

// RoundTrip implements http.RoundTripper. It leaves req alone, as the
// interface requires, and sends a copy when it adds a header.
func (t *controlPlaneTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.isControlPlane(req.URL) {
		return t.next.RoundTrip(req)
	}
	addType := isWrite(req.Method) && req.Header.Get("Content-Type") == ""
	if !addType && t.token == "" {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	if addType {
		r.Header.Set("Content-Type", "application/json")
	}
	if t.token != "" {
		r.Header.Set("Authorization", "Bearer "+t.token)
	}
	return t.next.RoundTrip(r)
}

func (t *controlPlaneTransport) isControlPlane(u *url.URL) bool {
	return strings.EqualFold(u.Scheme, t.scheme) && strings.EqualFold(u.Host, t.host) &&
		strings.HasPrefix(u.Path, t.path+"/_emulator/")
}

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}
