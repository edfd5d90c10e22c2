// Package challenge reads an HTTP authentication challenge, the value of a
// WWW-Authenticate header (RFC 7235 §2.1), and checks a Bearer challenge's
// parameters against the grammar of RFC 6750 §3. The conformance kit
// judges a server's refusals with it, so it is strict: what a client's
// parser may choke on is an error here.
package challenge

import (
	"errors"
	"fmt"
	"strings"
)

// Challenge is one parsed challenge.
type Challenge struct {
	// Raw is the header value as received, for error messages.
	Raw string
	// Scheme is the auth-scheme as sent (compare it case-insensitively).
	Scheme string
	// Params are the auth-params, names lowercased (RFC 7235 §2.1 makes
	// them case-insensitive), values unquoted.
	Params map[string]string
}

// Parse reads a challenge with auth-params: a scheme, then comma-separated
// name=value pairs whose values are tokens or quoted strings. It reads one
// challenge: a header holding several is an error, as is a parameter given
// twice.
func Parse(h string) (Challenge, error) {
	ch := Challenge{Raw: h, Params: map[string]string{}}
	s := strings.TrimLeft(h, " ")
	i := tokenLen(s)
	if i == 0 {
		return ch, errors.New("no auth-scheme")
	}
	ch.Scheme, s = s[:i], s[i:]
	if s == "" {
		return ch, nil
	}
	if s[0] != ' ' {
		return ch, fmt.Errorf("the scheme %q is followed by %q, not a space", ch.Scheme, s[:1])
	}
	s = strings.TrimLeft(s, " ")
	for s != "" {
		j := tokenLen(s)
		if j == 0 {
			return ch, fmt.Errorf("expected a parameter name at %q", s)
		}
		name := strings.ToLower(s[:j])
		s = strings.TrimLeft(s[j:], " \t")
		if !strings.HasPrefix(s, "=") {
			return ch, fmt.Errorf("parameter %s has no =", name)
		}
		s = strings.TrimLeft(s[1:], " \t")
		var value string
		var err error
		if strings.HasPrefix(s, `"`) {
			if value, s, err = quoted(s); err != nil {
				return ch, fmt.Errorf("parameter %s %w", name, err)
			}
		} else {
			k := tokenLen(s)
			if k == 0 {
				return ch, fmt.Errorf("parameter %s has no value", name)
			}
			value, s = s[:k], s[k:]
		}
		if _, dup := ch.Params[name]; dup {
			return ch, fmt.Errorf("parameter %s appears twice", name)
		}
		ch.Params[name] = value
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		if s[0] != ',' {
			return ch, fmt.Errorf("expected a comma at %q", s)
		}
		s = strings.TrimLeft(s[1:], " \t")
	}
	return ch, nil
}

// quoted reads the quoted-string s starts with and returns its value
// (escapes undone) and what follows it.
func quoted(s string) (value, rest string, err error) {
	var b strings.Builder
	for k := 1; k < len(s); k++ {
		switch c := s[k]; {
		case c == '\\' && k+1 < len(s):
			k++
			b.WriteByte(s[k])
		case c == '"':
			return b.String(), s[k+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("has an unterminated quoted string")
}

// tokenLen is the length of the RFC 7230 token s starts with.
func tokenLen(s string) int {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return i
}

// isTokenChar reports whether c may appear in an RFC 7230 token.
func isTokenChar(c byte) bool {
	if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// CheckBearer applies RFC 6750 §3's grammar to a Bearer challenge's
// parameters: error, error_description and error_uri use %x20-21 /
// %x23-5B / %x5D-7E (printable ASCII but " and \); scope is scope-tokens
// (%x21 / %x23-5B / %x5D-7E) separated by single spaces.
func CheckBearer(ch Challenge) error {
	for _, name := range []string{"error", "error_description", "error_uri"} {
		v, ok := ch.Params[name]
		if !ok {
			continue
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				return fmt.Errorf("the challenge's %s holds the byte 0x%02X, which RFC 6750 §3 does not allow there (only printable ASCII but \" and \\): %q", name, c, v)
			}
		}
	}
	v, ok := ch.Params["scope"]
	if !ok {
		return nil
	}
	if v == "" {
		return errors.New("the challenge's scope is empty")
	}
	for tok := range strings.SplitSeq(v, " ") {
		if tok == "" {
			return fmt.Errorf("the challenge's scope %q is not single-space separated", v)
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return fmt.Errorf("the challenge's scope %q holds the byte 0x%02X, which RFC 6749 §3.3 does not allow", v, c)
			}
		}
	}
	return nil
}
