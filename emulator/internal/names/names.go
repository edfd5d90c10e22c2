// Package names holds the one rule for the names people give things in the
// emulator (OAuth clients, projects): required, 1..200 characters.
package names

import (
	"strings"
	"unicode/utf8"

	"github.com/pdemu/pdemu/emulator/apperr"
)

// MaxLen is the longest name accepted, in characters (not bytes).
const MaxLen = 200

// Validate checks a name of a thing called what: required, 1..200
// characters of valid UTF-8, not only white space. Errors: apperr
// invalid_request naming what is wrong.
func Validate(what, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return apperr.ErrInvalid.WithMessage("%s name is required", what)
	case !utf8.ValidString(name):
		return apperr.ErrInvalid.WithMessage("%s name is not valid UTF-8", what)
	case utf8.RuneCountInString(name) > MaxLen:
		return apperr.ErrInvalid.WithMessage("%s name is longer than %d characters", what, MaxLen)
	}
	return nil
}
