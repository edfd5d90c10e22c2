package connect

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// DefaultProxyHosts returns what the Connect proxy may reach unless told
// otherwise: this machine's loopback interface only, so a pdemu listening
// on a shared network is never an open relay.
func DefaultProxyHosts() []string { return []string{"localhost", "127.0.0.0/8", "::1"} }

// MaxProxyHostRules bounds an allow-list; hundreds of rules would be a
// mistake, not a policy.
const MaxProxyHostRules = 100

// ProxyPolicy is the set of upstream hosts the Connect proxy may reach. A
// rule is one of:
//
//   - a host name, "api.example.com" (case-insensitive, no port);
//   - a wildcard, "*.example.com": any subdomain, at any depth, but not
//     example.com itself; "*" alone matches every name;
//   - an IP address, "203.0.113.7" or "::1";
//   - a CIDR range, "10.0.0.0/8".
//
// Names are matched before anything is resolved, so a refused name costs
// no DNS query. A name that matches may still only be reached at a public
// address, or at one an IP or CIDR rule covers: a DNS answer (or rebinding)
// cannot turn an allowed name into a way into a private network. The one
// exception is loopback reached through a localhost name ("localhost",
// "x.localhost"), which that name means: a rule must name it ("localhost",
// "x.localhost" or "*.localhost"); "*" does not, since it stands for any
// host on the internet and the services on this machine are not among
// them. The zero value allows nothing. ProxyPolicy is immutable and safe to
// share.
type ProxyPolicy struct {
	hosts    []string // the rules, normalised, in the order given
	names    map[string]bool
	suffixes []string // ".example.com" for "*.example.com"
	anyName  bool     // "*"
	prefixes []netip.Prefix
}

// ParseProxyPolicy reads an allow-list. Rules are trimmed and lower-cased;
// duplicates collapse. Errors: invalid_request naming the first bad rule.
func ParseProxyPolicy(hosts []string) (ProxyPolicy, error) {
	if len(hosts) > MaxProxyHostRules {
		return ProxyPolicy{}, apperr.ErrInvalid.WithMessage("at most %d host rules", MaxProxyHostRules)
	}
	p := ProxyPolicy{hosts: []string{}, names: map[string]bool{}}
	for _, raw := range hosts {
		rule, err := p.add(raw)
		if err != nil {
			return ProxyPolicy{}, err
		}
		if !slices.Contains(p.hosts, rule) {
			p.hosts = append(p.hosts, rule)
		}
	}
	return p, nil
}

// add adds one rule and returns its normal form.
func (p *ProxyPolicy) add(raw string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(raw))
	bad := func(why string) (string, error) {
		return "", apperr.ErrInvalid.WithMessage("host rule %q: %s (a name, *.name, an IP address or a CIDR range such as 10.0.0.0/8)", clipInput(raw, 100), why)
	}
	switch {
	case h == "":
		return bad("empty")
	case h == "*":
		p.anyName = true
		return h, nil
	case strings.Contains(h, "/"):
		pfx, err := netip.ParsePrefix(h)
		if err != nil || pfx.Addr().Zone() != "" {
			return bad("not a CIDR range")
		}
		pfx = pfx.Masked()
		p.prefixes = append(p.prefixes, pfx)
		return pfx.String(), nil
	}
	if ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")); err == nil {
		if ip.Zone() != "" {
			return bad("zones are not supported")
		}
		ip = ip.Unmap()
		p.prefixes = append(p.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
		return ip.String(), nil
	}
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		if !validHostName(rest) {
			return bad("not a host name after *.")
		}
		p.suffixes = append(p.suffixes, "."+rest)
		return h, nil
	}
	if strings.Contains(h, ":") {
		return bad("no ports: rules name hosts, and every port of an allowed host is allowed")
	}
	h = strings.TrimSuffix(h, ".")
	if !validHostName(h) {
		return bad("not a host name")
	}
	p.names[h] = true
	return h, nil
}

// validHostName checks DNS syntax loosely: dot-separated labels of 1..63
// letters, digits, hyphens or underscores, 253 characters at most.
func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || strings.IndexFunc(label, func(r rune) bool {
			return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_')
		}) >= 0 {
			return false
		}
	}
	return true
}

// Hosts returns the rules in their normal form.
func (p ProxyPolicy) Hosts() []string { return slices.Clone(p.hosts) }

// AllowsName reports whether a request may be sent to host (a name or an
// IP literal, without port or brackets) at all. It never resolves host.
func (p ProxyPolicy) AllowsName(host string) bool {
	if ip, ok := parseIP(host); ok {
		return p.coversIP(ip)
	}
	return p.matchesName(normalName(host))
}

// AllowsAddr reports whether the proxy may connect to ip, reached by
// resolving host (or host itself when it is an IP literal): ip is covered
// by an IP or CIDR rule, or host matches a name rule and ip is public, or
// ip is loopback and host is a localhost name a rule names explicitly (see
// ProxyPolicy). Callers have checked AllowsName(host).
func (p ProxyPolicy) AllowsAddr(host string, ip netip.Addr) bool {
	ip = ip.Unmap()
	if p.coversIP(ip) {
		return true
	}
	if _, literal := parseIP(host); literal {
		return false
	}
	name := normalName(host)
	if ip.IsLoopback() {
		return isLocalhostName(name) && p.namesExplicitly(name)
	}
	return p.matchesName(name) && isPublic(ip)
}

// isLocalhostName reports whether name is localhost or under it (RFC 6761
// §6.3), the names that mean this machine.
func isLocalhostName(name string) bool {
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

func (p ProxyPolicy) matchesName(name string) bool {
	return p.anyName || p.namesExplicitly(name)
}

// namesExplicitly reports whether a name rule or a *.domain rule matches
// name; "*" does not count.
func (p ProxyPolicy) namesExplicitly(name string) bool {
	if p.names[name] {
		return true
	}
	for _, s := range p.suffixes {
		if len(name) > len(s) && strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func (p ProxyPolicy) coversIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, pfx := range p.prefixes {
		if pfx.Contains(ip) {
			return true
		}
	}
	return false
}

func parseIP(host string) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

func normalName(host string) string { return strings.TrimSuffix(strings.ToLower(host), ".") }

// nonPublic are the ranges no name rule reaches on its own: private,
// shared (CGNAT), loopback, link-local (cloud metadata lives there),
// "this network", benchmarking, multicast and reserved space.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/3"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
}

func isPublic(ip netip.Addr) bool {
	if !ip.IsValid() || ip.Zone() != "" {
		return false
	}
	for _, pfx := range nonPublic {
		if pfx.Contains(ip) {
			return false
		}
	}
	return true
}

// proxyState holds the proxy's allow-list: base is what the emulator was
// configured with (restored by Reset), current what the control plane set
// since.
type proxyState struct {
	base    *ProxyPolicy // nil means DefaultProxyHosts
	current ProxyPolicy
}

func defaultProxyPolicy() ProxyPolicy {
	p, err := ParseProxyPolicy(DefaultProxyHosts())
	if err != nil {
		panic(err) // a constant list
	}
	return p
}

func (st *proxyState) reset() {
	if st.base != nil {
		st.current = *st.base
		return
	}
	st.current = defaultProxyPolicy()
}

// proxyHosts returns the proxy's allow-list state.
func (s *Store) proxyHosts() *proxyState { return &s.proxy }

// ProxyPolicy returns the allow-list the Connect proxy enforces now.
func (s *Store) ProxyPolicy() ProxyPolicy {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.proxyHosts().current
}

// SetProxyAllowedHosts replaces the allow-list until the next Reset, which
// restores the configured one. Errors: invalid_request.
func (s *Store) SetProxyAllowedHosts(hosts []string) (ProxyPolicy, error) {
	p, err := ParseProxyPolicy(hosts)
	if err != nil {
		return ProxyPolicy{}, err
	}
	s.lock()
	defer s.mu.Unlock()
	s.proxyHosts().current = p
	return p, nil
}

// SetProxyBaseHosts sets the configured allow-list (an emulator option):
// it takes effect now and is what Reset restores. Errors: invalid_request.
func (s *Store) SetProxyBaseHosts(hosts []string) (ProxyPolicy, error) {
	p, err := ParseProxyPolicy(hosts)
	if err != nil {
		return ProxyPolicy{}, err
	}
	s.lock()
	defer s.mu.Unlock()
	s.proxyHosts().base = &p
	s.proxyHosts().current = p
	return p, nil
}
