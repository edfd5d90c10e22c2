// Package proxy forwards the Connect proxy's requests to upstream APIs: it
// decodes the target URL the SDK sends, maps the caller's x-pd-proxy-*
// headers, injects the connected account's credentials, and sends the
// request through a dialer that reaches only the hosts a Policy allows,
// checking every address it connects to, so neither a redirect nor a DNS
// answer can lead it elsewhere.
package proxy

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Forwarder.
const (
	// DefaultTimeout bounds one upstream exchange, redirects and the body
	// included. It is wall-clock time: it protects the process, it is not
	// emulated time.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes bounds an upstream body pdemu buffers;
	// larger answers are a 502.
	DefaultMaxResponseBytes = 10 << 20
	// MaxRedirects is how many redirects are followed; each target is
	// checked against the policy like the first.
	MaxRedirects = 5
	// HeaderPrefix marks the caller's headers meant for the upstream API.
	HeaderPrefix = "x-pd-proxy-"
)

// Policy says which hosts and addresses may be reached.
// connect.ProxyPolicy implements it.
type Policy interface {
	// AllowsName reports whether host (a name or an IP literal) may be
	// reached at all; it must not resolve anything.
	AllowsName(host string) bool
	// AllowsAddr reports whether ip, which host resolved to, may be
	// connected to.
	AllowsAddr(host string, ip netip.Addr) bool
}

// HostError is a request refused because its host, or an address the host
// resolved to, is not allowed. No connection was made.
type HostError struct {
	Host string
	// Addr is the refused address, when the name passed but an address
	// it resolved to did not.
	Addr netip.Addr
}

func (e *HostError) Error() string {
	if e.Addr.IsValid() {
		return fmt.Sprintf("host %s resolves to %s, which the proxy may not reach", e.Host, e.Addr)
	}
	return fmt.Sprintf("the proxy may not reach host %s", e.Host)
}

// ErrTooLarge is returned when the upstream body exceeds the limit.
var ErrTooLarge = errors.New("upstream response body is too large")

// DecodeURL64 decodes the url_64 path parameter (already percent-decoded):
// base64 in the standard or URL-safe alphabet, padded or not, of an
// absolute http or https URL. The SDK appends its params with "?" even to
// a URL that has a query (".../x?y=1?a=b"), so every "?" after the first is
// read as "&": a literal "?" in a query value must be sent as %3F. The
// fragment is dropped; user info is refused (credentials come from the
// account).
func DecodeURL64(s string) (*url.URL, error) {
	norm := strings.TrimRight(strings.NewReplacer("-", "+", "_", "/").Replace(s), "=")
	raw, err := base64.RawStdEncoding.DecodeString(norm)
	if s == "" || err != nil {
		return nil, errors.New("url_64 must be the base64 (standard or URL-safe) of the target URL")
	}
	str := string(raw)
	if i := strings.IndexByte(str, '?'); i >= 0 {
		str = str[:i+1] + strings.ReplaceAll(str[i+1:], "?", "&")
	}
	u, err := url.Parse(str)
	if err != nil {
		return nil, fmt.Errorf("url_64 decodes to something that is not a URL: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return nil, errors.New("url_64 must decode to an absolute http:// or https:// URL (pdemu cannot resolve relative paths against an app's base URL)")
	}
	if u.User != nil {
		return nil, errors.New("the target URL may not carry user info: the account's credentials are injected")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, errors.New("the target URL's port must be 1..65535")
		}
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// hopByHop are never forwarded (RFC 9110 §7.6.1), nor are Host and
// Content-Length, which the target URL and the body decide.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length"}

// UpstreamHeader maps the caller's headers to the upstream request's:
// "x-pd-proxy-<name>: v" becomes "<name>: v"; every other header (the
// caller's Authorization above all) stays with pdemu. Hop-by-hop headers
// are dropped.
func UpstreamHeader(in http.Header) http.Header {
	out := http.Header{}
	for k, vs := range in {
		name, ok := cutPrefixFold(k, HeaderPrefix)
		if !ok || name == "" {
			continue
		}
		name = http.CanonicalHeaderKey(name)
		if slices.Contains(hopByHop, name) {
			continue
		}
		out[name] = append(out[name], vs...)
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// macro is a credential reference in a header value, as Pipedream's proxy
// documents: "Bearer {{api_key}}".
var macro = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}`)

// ExpandMacros replaces {{field}} in header values with the account's
// credential of that name. An unknown field is an error, so a typo does not
// reach the upstream API as a literal.
func ExpandMacros(h http.Header, creds map[string]any) error {
	var missing string
	for name, vs := range h {
		for i, v := range vs {
			vs[i] = macro.ReplaceAllStringFunc(v, func(m string) string {
				field := macro.FindStringSubmatch(m)[1]
				val, ok := creds[field]
				if !ok || val == nil {
					if missing == "" {
						missing = field
					}
					return m
				}
				if s, ok := val.(string); ok {
					return s
				}
				return fmt.Sprint(val)
			})
		}
		h[name] = vs
	}
	if missing != "" {
		return fmt.Errorf("the header macro {{%s}} names no credential of this account", missing)
	}
	return nil
}

// Authorization is the header pdemu injects for an account when the caller
// set none: "Bearer <oauth_access_token>" for OAuth accounts, "Bearer
// <api_key>" for keys accounts that have an api_key; otherwise nothing (the
// caller names the fields with macros, e.g. x-pd-proxy-authorization:
// "Basic {{token}}").
func Authorization(authType string, creds map[string]any) string {
	field := "api_key"
	if authType == "oauth" {
		field = "oauth_access_token"
	}
	if v, ok := creds[field].(string); ok && v != "" {
		return "Bearer " + v
	}
	return ""
}

// Request is one upstream request to send.
type Request struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
	Policy Policy
	// Timeout bounds this exchange as the Forwarder's timeout would; zero
	// means the Forwarder's. An emulator passes its own (every emulator in
	// a process shares one Forwarder).
	Timeout time.Duration
}

// ViaPseudonym is how the proxy names itself in the Via header of every
// request it forwards.
const ViaPseudonym = "pdemu"

// RelayedBy reports whether a request came through a pdemu Connect proxy:
// whether its Via header names ViaPseudonym as a recipient. The control
// plane refuses such requests, since whoever holds a proxy-capable token
// is an API caller, not the local user (the default allow-list reaches
// loopback, where pdemu itself listens).
func RelayedBy(h http.Header) bool {
	for _, v := range h.Values("Via") {
		for entry := range strings.SplitSeq(v, ",") {
			// received-protocol SP received-by [ SP comment ]
			fields := strings.Fields(entry)
			if len(fields) >= 2 && strings.EqualFold(fields[1], ViaPseudonym) {
				return true
			}
		}
	}
	return false
}

// Response is an upstream answer, body read.
type Response struct {
	Status      int
	ContentType string
	// Header holds the upstream's end-to-end headers to pass on (Retry-After,
	// X-RateLimit-*, ETag, …): not hop-by-hop ones, nor Content-Type,
	// Content-Length or Content-Encoding, which the body as read decides.
	Header http.Header
	Body   []byte
}

// Forwarder sends requests upstream. Its transport keeps no idle
// connections: each request dials afresh, so every connection is checked
// against the policy in force when it is made. The zero value is not
// usable; call New. A Forwarder is safe for concurrent use.
type Forwarder struct {
	client *http.Client
	// lookup resolves a host name; tests replace it to stage DNS answers.
	lookup           func(ctx context.Context, network, host string) ([]netip.Addr, error)
	timeout          time.Duration
	maxResponseBytes int64
}

// New returns a Forwarder that gives an exchange at most timeout (unless
// the Request sets its own) and reads at most maxResponseBytes of an
// answer; zero values mean DefaultTimeout and DefaultMaxResponseBytes.
func New(timeout time.Duration, maxResponseBytes int64) *Forwarder {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if maxResponseBytes <= 0 {
		maxResponseBytes = DefaultMaxResponseBytes
	}
	f := &Forwarder{lookup: net.DefaultResolver.LookupNetIP, timeout: timeout, maxResponseBytes: maxResponseBytes}
	tr := &http.Transport{
		Proxy:                  nil, // HTTP_PROXY would take requests around the policy
		DialContext:            f.dial,
		DisableKeepAlives:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: 1 << 20,
		// No ResponseHeaderTimeout: Do's context deadline bounds the whole
		// exchange, and a request's own timeout may be longer than New's.
	}
	f.client = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s: URL", req.URL.Scheme)
			}
			// The dialer checks the new host; checking the name here too
			// refuses it before any DNS query.
			if p := policyOf(req.Context()); p == nil || !p.AllowsName(req.URL.Hostname()) {
				return &HostError{Host: req.URL.Hostname()}
			}
			return nil
		},
	}
	return f
}

type policyKey struct{}

func policyOf(ctx context.Context) Policy {
	p, _ := ctx.Value(policyKey{}).(Policy)
	return p
}

// Do sends req and reads the answer, within req.Timeout or else the
// Forwarder's timeout; running out of it is an error that wraps
// context.DeadlineExceeded. A host the policy refuses is a *HostError,
// before any network traffic when the name itself is refused.
func (f *Forwarder) Do(ctx context.Context, req Request) (Response, error) {
	if req.Policy == nil || !req.Policy.AllowsName(req.URL.Hostname()) {
		return Response{}, &HostError{Host: req.URL.Hostname()}
	}
	timeout := f.timeout
	if req.Timeout > 0 {
		timeout = req.Timeout
	}
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, policyKey{}, req.Policy), timeout)
	defer cancel()
	var body io.Reader
	if len(req.Body) > 0 {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, req.URL.String(), body)
	if err != nil {
		return Response{}, err
	}
	hreq.Header = req.Header.Clone()
	if hreq.Header == nil {
		hreq.Header = http.Header{}
	}
	if _, ok := hreq.Header["User-Agent"]; !ok {
		hreq.Header.Set("User-Agent", "pdemu-connect-proxy")
	}
	// RFC 9110 §7.6.3: a proxy names itself in Via. It also lets pdemu's
	// control plane refuse what its own proxy relays (see RelayedBy).
	hreq.Header.Add("Via", "1.1 "+ViaPseudonym)
	resp, err := f.client.Do(hreq)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, f.maxResponseBytes+1))
	if err != nil {
		return Response{}, err
	}
	if int64(len(b)) > f.maxResponseBytes {
		return Response{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, f.maxResponseBytes)
	}
	return Response{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Header: passOn(resp.Header), Body: b}, nil
}

// passOn returns the headers of an upstream answer a proxy passes on.
func passOn(in http.Header) http.Header {
	out := in.Clone()
	for _, v := range in.Values("Connection") {
		for name := range strings.SplitSeq(v, ",") {
			out.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range append(hopByHop, "Content-Type", "Content-Encoding", "Set-Cookie") {
		out.Del(name)
	}
	return out
}

// dial connects to addr only if the policy allows its host and every
// address the host resolves to; it then dials those checked addresses
// (never resolving again), and a socket-level check refuses any other.
func (f *Forwarder) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	policy := policyOf(ctx)
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if policy == nil || !policy.AllowsName(host) {
		return nil, &HostError{Host: host}
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("bad port %q", portStr)
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else if addrs, err = f.lookup(ctx, "ip", host); err != nil {
		return nil, err
	}
	for _, ip := range addrs {
		if !policy.AllowsAddr(host, ip) {
			return nil, &HostError{Host: host, Addr: ip.Unmap()}
		}
	}
	d := net.Dialer{
		Timeout: 10 * time.Second,
		ControlContext: func(_ context.Context, _, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !policy.AllowsAddr(host, ap.Addr()) {
				return &HostError{Host: host, Addr: ap.Addr()}
			}
			return nil
		},
	}
	var firstErr error
	for _, ip := range addrs {
		conn, err := d.DialContext(ctx, network, netip.AddrPortFrom(ip.Unmap(), uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("host %s has no address", host)
	}
	return nil, firstErr
}
