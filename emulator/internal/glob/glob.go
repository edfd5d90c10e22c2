// Package glob matches the patterns that fault plans and rate-limit rules
// use to pick requests: "*" is any run of characters without "/", "**" any
// run at all, "?" one character other than "/", and "|" separates
// alternatives ("GET|DELETE", "components.*|actions.*"). Everything else
// is literal. Route names contain no "/", so "*" spans a whole name there.
package glob

import (
	"fmt"
	"strings"
)

// MaxLen bounds a pattern, so that a hostile one costs little to match.
const MaxLen = 1024

// Pattern is a compiled pattern. The zero Pattern matches everything.
type Pattern struct {
	src  string
	alts []string
}

// Compile checks a pattern. The empty pattern matches everything; an
// empty alternative ("a||b") or one longer than MaxLen is an error.
func Compile(p string) (Pattern, error) {
	if p == "" {
		return Pattern{}, nil
	}
	if len(p) > MaxLen {
		return Pattern{}, fmt.Errorf("pattern is longer than %d bytes", MaxLen)
	}
	alts := strings.Split(p, "|")
	for _, a := range alts {
		if a == "" {
			return Pattern{}, fmt.Errorf("pattern %q has an empty alternative", p)
		}
		if strings.Contains(a, "***") {
			return Pattern{}, fmt.Errorf("pattern %q: use * or **, not ***", p)
		}
	}
	return Pattern{src: p, alts: alts}, nil
}

// MustCompile is Compile for patterns known to be good; it panics otherwise.
func MustCompile(p string) Pattern {
	g, err := Compile(p)
	if err != nil {
		panic(err)
	}
	return g
}

// String returns the pattern as written.
func (g Pattern) String() string { return g.src }

// IsZero reports whether g matches everything (the empty pattern).
func (g Pattern) IsZero() bool { return len(g.alts) == 0 }

// Match reports whether s matches any alternative of g.
func (g Pattern) Match(s string) bool {
	if len(g.alts) == 0 {
		return true
	}
	for _, a := range g.alts {
		if match(a, s) {
			return true
		}
	}
	return false
}

// MatchFold is Match ignoring ASCII case, for methods and header names.
func (g Pattern) MatchFold(s string) bool {
	if len(g.alts) == 0 {
		return true
	}
	for _, a := range g.alts {
		if match(strings.ToUpper(a), strings.ToUpper(s)) {
			return true
		}
	}
	return false
}

// match is a backtracking matcher that remembers only the last star, as
// path.Match does, with "**" allowed to cross "/". Its cost is
// O(len(p)*len(s)) at worst.
func match(p, s string) bool {
	px, sx := 0, 0
	starP, starS, starDeep := -1, 0, false
	for sx < len(s) {
		if px < len(p) {
			switch c := p[px]; {
			case c == '*':
				deep := px+1 < len(p) && p[px+1] == '*'
				starP, starS, starDeep = px, sx, deep
				px++
				if deep {
					px++
				}
				continue
			case c == '?' && s[sx] != '/':
				px++
				sx++
				continue
			case c != '?' && c == s[sx]:
				px++
				sx++
				continue
			}
		}
		// Mismatch: let the last star take one more character, if it may.
		if starP >= 0 && (starDeep || s[starS] != '/') {
			starS++
			sx = starS
			px = starP + 1
			if starDeep {
				px++
			}
			continue
		}
		return false
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}
