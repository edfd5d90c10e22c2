package conformance

import (
	"regexp"
)

// stepDef is one step definition: its pattern, compiled once, and its
// handler.
type stepDef struct {
	re *regexp.Regexp
	fn any
}

// steps is the kit's step definitions, every family's. godog compiles a
// string pattern each time a scenario registers it, and every scenario
// (every row of an outline) registers every step: 150 patterns compiled
// for each of some 400 scenarios, two thirds of the time godog spends
// setting a scenario up. So each family adds its patterns here, compiled
// once a run, and InitializeScenario hands godog the compiled
// *regexp.Regexp values, which it takes as they are.
type steps []stepDef

// add adds a step definition; a pattern that does not compile is a bug of
// the kit, found by any test that runs it.
func (s *steps) add(pattern string, fn any) {
	*s = append(*s, stepDef{re: regexp.MustCompile(pattern), fn: fn})
}

// newSteps builds the step definitions of every family, each family in a
// file of its own (steps_<family>.go).
func newSteps() steps {
	var s steps
	registerHTTPSteps(&s)
	registerResponseSteps(&s)
	registerTokenSteps(&s)
	registerJWTSteps(&s)
	registerScopeSteps(&s)
	registerClockSteps(&s)
	registerClientSteps(&s)
	registerConnectTokenSteps(&s)
	registerConnectSteps(&s)
	registerJournalSteps(&s)
	registerFaultSteps(&s)
	registerRateLimitSteps(&s)
	registerStateSteps(&s)
	return s
}
