package connect

import (
	"cmp"
	"strconv"
	"strings"
)

// Component versions are Semantic Versions 2.0.0 (MAJOR.MINOR.PATCH, with
// an optional -prerelease and +build), as Pipedream's registry uses them.

// semVer is a parsed version; build metadata is dropped (it does not
// affect precedence).
type semVer struct {
	core [3]uint64
	pre  []string
}

func parseSemVer(v string) (semVer, bool) {
	var out semVer
	if v == "" || len(v) > 128 {
		return out, false
	}
	v, build, hasBuild := strings.Cut(v, "+")
	if hasBuild && !validIdents(build, false) {
		return out, false
	}
	v, pre, hasPre := strings.Cut(v, "-")
	if hasPre {
		if !validIdents(pre, true) {
			return out, false
		}
		out.pre = strings.Split(pre, ".")
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		if !numericIdent(p) {
			return out, false
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return out, false
		}
		out.core[i] = n
	}
	return out, true
}

// numericIdent is a number without leading zeros.
func numericIdent(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// validIdents checks dot-separated identifiers of [0-9A-Za-z-]; in a
// prerelease, numeric ones must not have leading zeros.
func validIdents(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for _, r := range id {
			switch {
			case '0' <= r && r <= '9':
			case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', r == '-':
				digits = false
			default:
				return false
			}
		}
		if pre && digits && !numericIdent(id) {
			return false
		}
	}
	return true
}

func validSemVer(v string) bool {
	_, ok := parseSemVer(v)
	return ok
}

// compareSemVer orders two valid versions by SemVer precedence; invalid
// ones sort first, by their text.
func compareSemVer(a, b string) int {
	va, okA := parseSemVer(a)
	vb, okB := parseSemVer(b)
	if !okA || !okB {
		if okA != okB {
			if okA {
				return 1
			}
			return -1
		}
		return cmp.Compare(a, b)
	}
	for i := range va.core {
		if c := cmp.Compare(va.core[i], vb.core[i]); c != 0 {
			return c
		}
	}
	// A version without a prerelease outranks one with.
	switch {
	case len(va.pre) == 0 && len(vb.pre) == 0:
		return 0
	case len(va.pre) == 0:
		return 1
	case len(vb.pre) == 0:
		return -1
	}
	for i := 0; i < len(va.pre) && i < len(vb.pre); i++ {
		if c := comparePreIdent(va.pre[i], vb.pre[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(va.pre), len(vb.pre))
}

// comparePreIdent: numeric identifiers compare as numbers and rank below
// alphanumeric ones, which compare as ASCII.
func comparePreIdent(a, b string) int {
	na, errA := strconv.ParseUint(a, 10, 64)
	nb, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return cmp.Compare(na, nb)
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return cmp.Compare(a, b)
}
