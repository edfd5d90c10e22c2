package connect

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator/apperr"
)

func TestParseProxyPolicy(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []string
		want    []string
		wantErr string
	}{
		{name: "empty allows nothing", hosts: []string{}, want: []string{}},
		{name: "default", hosts: DefaultProxyHosts(), want: []string{"localhost", "127.0.0.0/8", "::1"}},
		{name: "normalised", hosts: []string{" API.Example.COM. ", "*.Example.com", "10.1.2.3/8", "[::1]", "::ffff:10.0.0.1"},
			want: []string{"api.example.com", "*.example.com", "10.0.0.0/8", "::1", "10.0.0.1"}},
		{name: "duplicates collapse", hosts: []string{"a.test", "A.test", "a.test."}, want: []string{"a.test"}},
		{name: "star", hosts: []string{"*"}, want: []string{"*"}},
		{name: "underscore label", hosts: []string{"_dmarc.example.com"}, want: []string{"_dmarc.example.com"}},
		{name: "longest label", hosts: []string{strings.Repeat("a", 63) + ".test"}, want: []string{strings.Repeat("a", 63) + ".test"}},
		{name: "label too long", hosts: []string{strings.Repeat("a", 64) + ".test"}, wantErr: "not a host name"},
		{name: "blank", hosts: []string{" "}, wantErr: "empty"},
		{name: "port", hosts: []string{"api.example.com:443"}, wantErr: "no ports"},
		{name: "url", hosts: []string{"https://api.example.com"}, wantErr: "CIDR"},
		{name: "bad cidr", hosts: []string{"10.0.0.0/33"}, wantErr: "CIDR"},
		{name: "inner wildcard", hosts: []string{"api.*.com"}, wantErr: "not a host name"},
		{name: "bare wildcard dot", hosts: []string{"*."}, wantErr: "after *."},
		{name: "zone", hosts: []string{"fe80::1%eth0"}, wantErr: "zones"},
		{name: "empty label", hosts: []string{"a..b"}, wantErr: "not a host name"},
		{name: "too many", hosts: make([]string, MaxProxyHostRules+1), wantErr: "at most"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseProxyPolicy(tc.hosts)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, apperr.ErrInvalid)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, p.Hosts())
		})
	}
}

func TestProxyPolicyMatching(t *testing.T) {
	p, err := ParseProxyPolicy([]string{"localhost", "127.0.0.0/8", "::1", "api.example.com", "*.svc.test", "10.0.0.0/8", "203.0.113.7"})
	require.NoError(t, err)
	ip := netip.MustParseAddr
	names := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST.", true},
		{"127.0.0.1", true},
		{"127.255.255.255", true},
		{"128.0.0.1", false},
		{"::1", true},
		{"[::1]", true},
		{"::2", false},
		{"::ffff:127.0.0.1", true}, // IPv4-mapped loopback
		{"api.example.com", true},
		{"example.com", false},
		{"evil-api.example.com", false},
		{"api.example.com.evil.test", false},
		{"svc.test", false}, // a wildcard does not match its apex
		{"a.svc.test", true},
		{"a.b.svc.test", true},
		{"203.0.113.7", true},
		{"203.0.113.8", false},
		{"10.9.8.7", true},
		{"", false},
	}
	for _, tc := range names {
		assert.Equal(t, tc.want, p.AllowsName(tc.host), "AllowsName(%q)", tc.host)
	}
	addrs := []struct {
		host string
		ip   netip.Addr
		want bool
	}{
		{"localhost", ip("127.0.0.1"), true},
		{"localhost", ip("::1"), true},
		{"localhost", ip("192.168.1.1"), false}, // localhost pointing elsewhere
		{"api.example.com", ip("93.184.216.34"), true},
		{"api.example.com", ip("127.0.0.1"), true},        // a CIDR rule covers it
		{"api.example.com", ip("192.168.1.10"), false},    // rebinding to a private address
		{"api.example.com", ip("169.254.169.254"), false}, // cloud metadata
		{"api.example.com", ip("100.64.0.1"), false},
		{"api.example.com", ip("fd00::1"), false},
		{"api.example.com", ip("fe80::1"), false},
		{"api.example.com", ip("::ffff:192.168.1.1"), false},
		{"api.example.com", ip("10.1.1.1"), true}, // covered by 10.0.0.0/8
		{"a.svc.test", ip("2001:db8::1"), true},
		{"example.com", ip("93.184.216.34"), false}, // the name itself is not allowed
		{"203.0.113.7", ip("203.0.113.7"), true},
		{"203.0.113.8", ip("203.0.113.8"), false},
	}
	for _, tc := range addrs {
		assert.Equal(t, tc.want, p.AllowsAddr(tc.host, tc.ip), "AllowsAddr(%q, %s)", tc.host, tc.ip)
	}

	only, err := ParseProxyPolicy([]string{"localhost"})
	require.NoError(t, err)
	assert.True(t, only.AllowsAddr("localhost", ip("127.0.0.1")), "the name localhost means loopback")
	assert.False(t, only.AllowsName("127.0.0.1"), "but the IP literal needs its own rule")

	star, err := ParseProxyPolicy([]string{"*"})
	require.NoError(t, err)
	assert.True(t, star.AllowsName("anything.test"))
	assert.False(t, star.AllowsName("10.0.0.1"), "* is for names; IP literals need IP rules")
	assert.False(t, star.AllowsAddr("anything.test", ip("10.0.0.1")), "* never reaches private addresses")
	assert.True(t, star.AllowsAddr("anything.test", ip("8.8.8.8")))

	var zero ProxyPolicy
	assert.False(t, zero.AllowsName("localhost"), "the zero policy allows nothing")
}

// TestProxyPolicyLoopback: "*" and name rules reach public addresses only;
// loopback takes a rule that names localhost, or an IP or CIDR rule. name
// is AllowsName(host), addr AllowsAddr(host, ip); a request gets through
// only when both hold.
func TestProxyPolicyLoopback(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		rules      []string
		host       string
		ip         netip.Addr
		name, addr bool
	}{
		{[]string{"*"}, "localhost", ip("127.0.0.1"), true, false},
		{[]string{"*"}, "localhost", ip("::1"), true, false},
		{[]string{"*"}, "localhost", ip("::ffff:127.0.0.1"), true, false},
		{[]string{"*"}, "a.localhost", ip("127.0.0.1"), true, false},
		{[]string{"*"}, "127.0.0.1", ip("127.0.0.1"), false, false},
		{[]string{"*"}, "::1", ip("::1"), false, false},
		{[]string{"*"}, "example.com", ip("93.184.216.34"), true, true},
		{[]string{"*"}, "example.com", ip("2606:2800:220:1::1"), true, true},
		{[]string{"*"}, "example.com", ip("127.0.0.1"), true, false},
		{[]string{"*"}, "example.com", ip("10.0.0.1"), true, false},
		{[]string{"localhost"}, "localhost", ip("127.0.0.1"), true, true},
		{[]string{"localhost"}, "localhost", ip("127.255.255.254"), true, true},
		{[]string{"localhost"}, "LocalHost.", ip("::1"), true, true},
		{[]string{"localhost"}, "localhost", ip("10.0.0.1"), true, false},
		{[]string{"localhost"}, "a.localhost", ip("127.0.0.1"), false, false},
		{[]string{"foo.localhost"}, "foo.localhost", ip("127.0.0.1"), true, true},
		{[]string{"*.localhost"}, "a.localhost", ip("127.0.0.1"), true, true},
		{[]string{"*.localhost"}, "a.b.localhost", ip("::1"), true, true},
		{[]string{"*.localhost"}, "localhost", ip("127.0.0.1"), false, false},
		{[]string{"*", "*.localhost"}, "a.localhost", ip("127.0.0.1"), true, true},
		{[]string{"127.0.0.0/8"}, "localhost", ip("127.0.0.1"), false, true},
		{[]string{"*", "127.0.0.0/8"}, "localhost", ip("127.0.0.1"), true, true},
		{[]string{"*", "127.0.0.0/8"}, "localhost", ip("::1"), true, false},
		{[]string{"*", "127.0.0.1"}, "127.0.0.1", ip("127.0.0.1"), true, true},
		{[]string{"*", "127.0.0.1"}, "localhost", ip("127.0.0.2"), true, false},
		{[]string{"::1"}, "::1", ip("::1"), true, true},
		{[]string{"*.example.com"}, "a.example.com", ip("127.0.0.1"), true, false},
		{[]string{"*.example.com"}, "a.example.com", ip("203.0.114.1"), true, true},
		{[]string{"api.example.com"}, "api.example.com", ip("::1"), true, false},
		{[]string{"api.localhost.example.com"}, "api.localhost.example.com", ip("127.0.0.1"), true, false},
	}
	for _, tc := range tests {
		p, err := ParseProxyPolicy(tc.rules)
		require.NoError(t, err)
		assert.Equal(t, tc.name, p.AllowsName(tc.host), "rules %q: AllowsName(%q)", tc.rules, tc.host)
		assert.Equal(t, tc.addr, p.AllowsAddr(tc.host, tc.ip), "rules %q: AllowsAddr(%q, %s)", tc.rules, tc.host, tc.ip)
	}
}

func TestProxyPolicyStateAndReset(t *testing.T) {
	s, _ := newStore(t)
	assert.Equal(t, DefaultProxyHosts(), s.ProxyPolicy().Hosts())

	_, err := s.SetProxyAllowedHosts([]string{"bad host"})
	require.ErrorIs(t, err, apperr.ErrInvalid)
	assert.Equal(t, DefaultProxyHosts(), s.ProxyPolicy().Hosts(), "a refused list changes nothing")

	p, err := s.SetProxyAllowedHosts([]string{"api.example.com"})
	require.NoError(t, err)
	assert.Equal(t, []string{"api.example.com"}, p.Hosts())
	assert.False(t, s.ProxyPolicy().AllowsName("localhost"), "the list is replaced, not extended")
	s.Reset()
	assert.Equal(t, DefaultProxyHosts(), s.ProxyPolicy().Hosts(), "reset restores the default")

	_, err = s.SetProxyBaseHosts([]string{"*.corp.test", "10.0.0.0/8"})
	require.NoError(t, err)
	_, err = s.SetProxyAllowedHosts([]string{})
	require.NoError(t, err)
	assert.Empty(t, s.ProxyPolicy().Hosts())
	s.Reset()
	assert.Equal(t, []string{"*.corp.test", "10.0.0.0/8"}, s.ProxyPolicy().Hosts(), "reset restores the configured list")
}
