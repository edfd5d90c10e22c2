package connect

import "github.com/pdemu/pdemu/emulator/apperr"

// Environment separates a project's development data from its production
// data, as the x-pd-environment header selects.
type Environment string

// The two environments Pipedream defines.
const (
	Development Environment = "development"
	Production  Environment = "production"
)

// ParseEnvironment reads an x-pd-environment value. An absent header means
// production, as older docs and the SDK's default say; any other value than
// the two names is an invalid_request.
func ParseEnvironment(v string) (Environment, error) {
	switch Environment(v) {
	case "":
		return Production, nil
	case Development, Production:
		return Environment(v), nil
	}
	return "", apperr.ErrInvalid.WithMessage("x-pd-environment must be %q or %q", Development, Production)
}

// numEnvironments sizes the per-environment indexes of a project.
const numEnvironments = 2

// index is the environment's slot in a project's per-environment indexes.
func (e Environment) index() int {
	if e == Development {
		return 1
	}
	return 0
}
