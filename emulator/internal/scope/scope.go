// Package scope parses, normalises and matches Pipedream OAuth scopes.
//
// Scopes are case-sensitive names separated by single spaces (RFC 6749
// §3.3). Matching knows exactly three implications, all wildcards in a final
// segment: "*" covers everything, "connect:*" covers every "connect:" scope,
// and "connect:<family>:*" covers that family. Nothing else is implied: a
// write scope does not grant read.
package scope

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The scope names Pipedream documents (reference B.1): the 16 of the OpenAPI
// document plus connect:apps:*, which staff confirmed on the forum.
const (
	All                          = "*"
	Connect                      = "connect:*"
	ConnectActions               = "connect:actions:*"
	ConnectTriggers              = "connect:triggers:*"
	ConnectApps                  = "connect:apps:*"
	ConnectAccountsRead          = "connect:accounts:read"
	ConnectAccountsWrite         = "connect:accounts:write"
	ConnectDeployedTriggersRead  = "connect:deployed_triggers:read"
	ConnectDeployedTriggersWrite = "connect:deployed_triggers:write"
	ConnectUsersRead             = "connect:users:read"
	ConnectUsersWrite            = "connect:users:write"
	ConnectProjectsRead          = "connect:projects:read"
	ConnectProjectsWrite         = "connect:projects:write"
	ConnectUsageRead             = "connect:usage:read"
	ConnectTokensCreate          = "connect:tokens:create"
	ConnectProxy                 = "connect:proxy"
	ConnectWorkflowInvoke        = "connect:workflow:invoke"
)

// Known lists every scope a token may be granted, in documentation order.
var Known = []string{
	All, Connect, ConnectActions, ConnectTriggers, ConnectApps,
	ConnectAccountsRead, ConnectAccountsWrite,
	ConnectDeployedTriggersRead, ConnectDeployedTriggersWrite,
	ConnectUsersRead, ConnectUsersWrite,
	ConnectProjectsRead, ConnectProjectsWrite,
	ConnectUsageRead, ConnectTokensCreate, ConnectProxy, ConnectWorkflowInvoke,
}

var known = func() map[string]bool {
	m := make(map[string]bool, len(Known))
	for _, s := range Known {
		m[s] = true
	}
	return m
}()

// IsKnown reports whether name is a scope a token may be granted.
func IsKnown(name string) bool { return known[name] }

// ErrMalformed reports a scope string that is not a space-separated list of
// RFC 6749 scope-tokens.
var ErrMalformed = errors.New("malformed scope")

// ErrUnknown reports a well-formed scope name Pipedream does not define.
var ErrUnknown = errors.New("unknown scope")

// Set is a normalised list of scopes: no duplicates, in first-seen order.
// The zero value is the empty set.
type Set []string

// Parse turns a request's scope parameter into a Set. An empty or blank
// string yields the default, {"*"}. Duplicates collapse; every name must be
// a known scope.
func Parse(s string) (Set, error) {
	if strings.Trim(s, " ") == "" {
		return Set{All}, nil
	}
	var out Set
	for _, name := range strings.Split(s, " ") {
		if name == "" {
			continue // tolerate runs of spaces; they separate, they don't name
		}
		if !wellFormed(name) {
			return nil, fmt.Errorf("%w: %q contains a character RFC 6749 §3.3 forbids", ErrMalformed, name)
		}
		if !known[name] {
			return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// wellFormed checks scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
func wellFormed(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// String joins the set with single spaces, the wire form.
func (s Set) String() string { return strings.Join(s, " ") }

// Covers reports whether a token granted s may use an endpoint guarded by
// required. See the package comment for the three wildcard rules.
func (s Set) Covers(required string) bool {
	for _, g := range s {
		if Implies(g, required) {
			return true
		}
	}
	return false
}

// CoversAny reports whether s covers at least one of required; an endpoint
// that several scope families may use lists them all.
func (s Set) CoversAny(required []string) bool {
	for _, r := range required {
		if s.Covers(r) {
			return true
		}
	}
	return false
}

// CoversAll reports whether every scope in other is covered by s.
func (s Set) CoversAll(other Set) bool {
	for _, r := range other {
		if !s.Covers(r) {
			return false
		}
	}
	return true
}

// Implies reports whether the granted scope grants required.
func Implies(granted, required string) bool {
	if granted == required || granted == All {
		return true
	}
	prefix, ok := strings.CutSuffix(granted, "*")
	// Only a whole final segment is a wildcard: "connect:*", not "conn*".
	return ok && strings.HasSuffix(prefix, ":") && strings.HasPrefix(required, prefix)
}
