package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
	"github.com/pdemu/pdemu/emulator/internal/proxy"
)

// Who may drive the control plane. pdemu runs beside a developer's browser,
// and a web page can reach a local port in two ways this guard closes:
//
//   - A cross-origin "simple" request (a form post, or fetch with no
//     Content-Type or text/plain) is sent without asking first; the page
//     cannot read the answer, but the emulator has already acted on it.
//     Requiring Content-Type: application/json on every write makes the
//     browser preflight, and pdemu never answers a preflight with CORS
//     headers, so the write is never sent. A foreign Origin is refused too.
//   - DNS rebinding points a page's own name at 127.0.0.1, making it
//     same-origin with pdemu: it can then read answers (and the secret a
//     created client comes with). Its requests carry its own name as Host,
//     so only loopback Hosts, and the one pdemu was told it is reached at,
//     are answered.
//
// With a control token the token replaces the Host rule: a server bound to
// a LAN address is reached by names pdemu cannot know, and a page cannot
// learn the token.

// The control plane's refusals. They say what is allowed and why, since
// whoever meets one is usually a developer whose script used another name.
// The codes differ from the emulated API's (such as the proxy's
// host_not_allowed), so that a client can tell the guard answered.
var (
	errControlHost         = &apperr.Error{Kind: apperr.Forbidden, Code: "control_host_not_allowed"}
	errControlOrigin       = &apperr.Error{Kind: apperr.Forbidden, Code: "control_origin_not_allowed"}
	errControlTokenMissing = &apperr.Error{Kind: apperr.Unauthenticated, Code: "control_token_required"}
	errControlTokenWrong   = &apperr.Error{Kind: apperr.Unauthenticated, Code: "invalid_control_token"}
	errControlRelayed      = &apperr.Error{Kind: apperr.Forbidden, Code: "control_relayed_by_proxy",
		Message: "the Connect proxy may not drive the control plane: whoever holds a token with connect:proxy " +
			"is an API caller, not this machine's user (the default allow-list reaches loopback, where pdemu listens)"}
)

// controlRealm names the control plane in its WWW-Authenticate challenge,
// apart from the emulated API's realm.
const controlRealm = "pdemu control plane"

// controlPrefix is where the control plane lives; every path under it,
// routed or not, goes through the guard.
const controlPrefix = "/_emulator/"

// controlPolicy is what New was told about the control plane's callers.
type controlPolicy struct {
	// tokenDigest is the SHA-256 of the control token, nil without one.
	// Digests of equal length are compared, so the comparison's time says
	// nothing about the token's length either.
	tokenDigest *[sha256.Size]byte
	// advertised is the origin pdemu is reached at (WithAdvertiseURL), or nil.
	advertised *origin
}

// origin is a scheme, host and port, the port always explicit, compared
// case-insensitively: the unit browsers isolate pages by.
type origin struct {
	scheme, host, port string
}

func (o origin) String() string {
	return o.scheme + "://" + net.JoinHostPort(o.host, o.port)
}

func (o origin) equal(p origin) bool {
	return strings.EqualFold(o.scheme, p.scheme) && strings.EqualFold(o.host, p.host) && o.port == p.port
}

func defaultPort(scheme string) string {
	if strings.EqualFold(scheme, "https") {
		return "443"
	}
	return "80"
}

// CheckAdvertiseURL reports whether u can be given to WithAdvertiseURL: an
// absolute http or https URL with a host and nothing after it but "/". It
// is the check New applies, for command lines that report it before
// starting anything.
func CheckAdvertiseURL(u string) error {
	_, err := parseAdvertiseURL(u)
	return err
}

func parseAdvertiseURL(s string) (origin, error) {
	u, err := url.Parse(s)
	if err != nil {
		return origin{}, fmt.Errorf("advertise URL %q: %w", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return origin{}, fmt.Errorf("advertise URL %q: want an http:// or https:// URL", s)
	case u.Host == "" || u.Hostname() == "":
		return origin{}, fmt.Errorf("advertise URL %q: has no host", s)
	case u.User != nil:
		return origin{}, fmt.Errorf("advertise URL %q: must not carry user information", s)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return origin{}, fmt.Errorf("advertise URL %q: want scheme://host[:port] only, without a path, query or fragment", s)
	}
	host, port, ok := splitHost(u.Host)
	if !ok {
		return origin{}, fmt.Errorf("advertise URL %q: the host or port is malformed", s)
	}
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	return origin{scheme: u.Scheme, host: host, port: port}, nil
}

// CheckControlToken reports whether tok can be given to WithControlToken:
// not empty, and printable ASCII without spaces, so that it travels in an
// Authorization header and a shell's export line unchanged. The error never
// repeats the token.
func CheckControlToken(tok string) error {
	if tok == "" {
		return errors.New("the control token is empty")
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return fmt.Errorf("the control token holds a character that is not printable ASCII (at byte %d); use letters, digits and punctuation only", i)
		}
	}
	return nil
}

// newControlPolicy checks New's control-plane options; token is nil when
// WithControlToken was not given.
func newControlPolicy(token *string, advertise string) (controlPolicy, error) {
	var p controlPolicy
	if token != nil {
		// An empty token is refused rather than read as "none": a caller
		// who passes an unset variable would otherwise get an open control
		// plane without noticing.
		if err := CheckControlToken(*token); err != nil {
			return p, err
		}
		d := sha256.Sum256([]byte(*token))
		p.tokenDigest = &d
	}
	if advertise != "" {
		o, err := parseAdvertiseURL(advertise)
		if err != nil {
			return p, err
		}
		p.advertised = &o
	}
	return p, nil
}

// authorizeControl decides whether a request may reach the control plane.
// wrap calls it for every ControlPlane row, and for unrouted paths under
// /_emulator/, before the body is read and before resetMu is taken: a
// refused request costs nothing and waits for nothing.
//
// needToken is false for quiet rows (the console's files, health).
func (e *Emulator) authorizeControl(r *http.Request, needToken bool) error {
	p := &e.control
	if proxy.RelayedBy(r.Header) {
		return errControlRelayed
	}
	if p.tokenDigest == nil {
		if err := p.checkHost(r.Host); err != nil {
			return err
		}
	}
	if err := p.checkOrigin(r); err != nil {
		return err
	}
	if p.tokenDigest != nil && needToken {
		if err := p.checkToken(r.Header.Get("Authorization")); err != nil {
			return err
		}
	}
	return checkControlContentType(r)
}

// checkHost accepts loopback names and addresses, with any port, and the
// advertised host.
func (p *controlPolicy) checkHost(hostport string) error {
	host, port, ok := splitHost(hostport)
	if ok && isLoopbackHost(hostport, host) {
		return nil
	}
	if a := p.advertised; ok && a != nil {
		if port == "" {
			// The client reached the advertised URL, whose scheme says
			// which port an absent one is; a TLS proxy in front of pdemu
			// may well pass the Host on over plain HTTP.
			port = defaultPort(a.scheme)
		}
		if strings.EqualFold(host, a.host) && port == a.port {
			return nil
		}
	}
	also := ""
	if p.advertised != nil {
		also = " or " + net.JoinHostPort(p.advertised.host, p.advertised.port) + " (--advertise-url)"
	}
	return errControlHost.WithMessage("the control plane answers only requests addressed to this machine's loopback "+
		"(Host localhost, *.localhost, 127.0.0.0/8 or [::1], any port)%s, so that a web page cannot reach it through DNS rebinding; "+
		"Host %q is not one. To drive pdemu by another name, start it with --advertise-url or a control token (PDEMU_CONTROL_TOKEN)",
		also, truncate(hostport, 100))
}

// splitHost splits a Host header into its host and port (empty when
// absent). An IPv6 address must be in brackets, which are removed; the
// port, when present, must be a number from 0 to 65535 (an empty one, as in
// "localhost:", means the default).
func splitHost(hostport string) (host, port string, ok bool) {
	switch {
	case hostport == "":
		return "", "", false
	case strings.HasPrefix(hostport, "[") && strings.HasSuffix(hostport, "]"):
		host = hostport[1 : len(hostport)-1]
	case strings.Contains(hostport, ":"):
		var err error
		if host, port, err = net.SplitHostPort(hostport); err != nil {
			return "", "", false
		}
	default:
		host = hostport
	}
	if strings.HasPrefix(hostport, "[") {
		// Brackets hold an IPv6 address and nothing else.
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", "", false
		}
	}
	if port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", "", false
		}
	}
	return host, port, host != ""
}

// isLoopbackHost reports whether host (split from hostport) names this
// machine's loopback: localhost or a name under it (RFC 6761: they resolve
// to loopback, and browsers never ask DNS for them), an IPv4 address in
// 127.0.0.0/8, or [::1]. IPv4-mapped forms such as [::ffff:7f00:1] are
// refused: no client needs them to reach a loopback listener, and netip
// would otherwise count them as loopback.
func isLoopbackHost(hostport, host string) bool {
	if strings.HasPrefix(hostport, "[") {
		a, _ := netip.ParseAddr(host) // splitHost checked it
		return a == netip.IPv6Loopback()
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4() && a.IsLoopback()
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	return name == "localhost" || strings.HasSuffix(name, ".localhost") && len(name) > len(".localhost")
}

// checkOrigin refuses a request that carries an Origin other than the
// emulator's own: the request's own scheme and Host, or the advertised
// URL's origin. Browsers send Origin on cross-origin requests and on
// POSTs; curl, scripts and SDKs send none, and a request without one is
// not a web page's. "null" (sandboxed frames, file: pages) is foreign.
func (p *controlPolicy) checkOrigin(r *http.Request) error {
	raw, sent := r.Header["Origin"]
	if !sent {
		return nil
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	own, okOwn := originOf(scheme, r.Host)
	if len(raw) == 1 {
		if got, ok := parseOrigin(raw[0]); ok {
			if okOwn && got.equal(own) || p.advertised != nil && got.equal(*p.advertised) {
				return nil
			}
		}
	}
	allowed := scheme + "://" + r.Host
	if p.advertised != nil {
		allowed += " or " + p.advertised.String()
	}
	return errControlOrigin.WithMessage("the control plane refuses requests made by web pages of other origins: "+
		"Origin %q is not this server's own (%s). Browsers send Origin; curl, scripts and SDKs send none",
		truncate(strings.Join(raw, ", "), 100), truncate(allowed, 200))
}

// originOf is the origin of scheme://hostport, its port made explicit.
func originOf(scheme, hostport string) (origin, bool) {
	host, port, ok := splitHost(hostport)
	if port == "" {
		port = defaultPort(scheme)
	}
	return origin{scheme: scheme, host: host, port: port}, ok
}

// parseOrigin reads an Origin header: scheme "://" host [":" port], as
// RFC 6454 §6.1 serialises one; anything else is not an origin pdemu has.
func parseOrigin(s string) (origin, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return origin{}, false
	}
	return originOf(u.Scheme, u.Host)
}

// checkToken wants Authorization: Bearer <the control token>. The presented
// token is hashed and the digests compared in constant time, so neither the
// token's bytes nor its length show in the time taken.
func (p *controlPolicy) checkToken(header string) error {
	scheme, tok, _ := strings.Cut(header, " ")
	tok = strings.TrimLeft(tok, " ")
	if header == "" || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return errControlTokenMissing.WithMessage("this pdemu's control plane needs its control token: " +
			"send Authorization: Bearer <token>, the token pdemu printed as PDEMU_CONTROL_TOKEN (or was given)")
	}
	d := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(d[:], p.tokenDigest[:]) != 1 {
		return errControlTokenWrong.WithMessage("the bearer token is not this pdemu's control token (PDEMU_CONTROL_TOKEN)")
	}
	return nil
}

// checkControlContentType wants Content-Type: application/json (parameters
// such as charset allowed) on every write, bodyless ones too: no browser
// sends that type across origins without a preflight, which pdemu never
// grants. Reads need none.
func checkControlContentType(r *http.Request) error {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "application/json" {
		return nil
	}
	return &apperr.Error{Kind: apperr.UnsupportedMedia, Code: "invalid_request",
		Message: "control-plane writes need Content-Type: application/json, bodyless ones (reset, rotate-secret, delete) too: " +
			"a web page cannot send that type to another origin without a CORS preflight, which pdemu never grants"}
}
