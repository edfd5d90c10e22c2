package conformance

import (
	"context"
	"fmt"
	"time"

	"github.com/cucumber/godog"
)

// suite is what one run shares between its scenarios, read-only once
// made: the target, the scenarios by name, the compiled step definitions
// and the recorder of outcomes.
type suite struct {
	cfg    Config
	caps   Capabilities
	byName map[string]Scenario
	steps  steps
	rec    *recorder
	// keys is the target's key set, fetched once a run (checks.go).
	keys *keySets
}

// InitializeScenario is godog's ScenarioInitializer, called for every
// scenario: it adds the hooks and every step definition.
func (s *suite) InitializeScenario(sc *godog.ScenarioContext) {
	sc.Before(s.before)
	sc.After(s.after)
	sc.StepContext().After(s.afterStep)
	for _, d := range s.steps {
		sc.Step(d.re, d.fn)
	}
}

// before skips, with its reason recorded, a scenario the target cannot
// run, and gives every other one a fresh world.
func (s *suite) before(ctx context.Context, p *godog.Scenario) (context.Context, error) {
	sc := s.byName[p.Name]
	if reason := SkipReason(sc, s.caps, s.cfg); reason != "" {
		s.rec.set(Result{Scenario: sc, Status: Skipped, Reason: reason, Steps: stepResults(sc.Steps, nil)})
		return ctx, fmt.Errorf("%w: %s", godog.ErrSkip, reason)
	}
	w := newWorld(s.cfg, s.caps, sc)
	w.keys = s.keys
	return context.WithValue(ctx, worldKey{}, w), nil
}

// after undoes what the scenario changed, whatever its outcome, and
// records the outcome with whatever could not be undone.
func (s *suite) after(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
	w, ok := ctx.Value(worldKey{}).(*world)
	if !ok {
		return ctx, nil // skipped
	}
	res := Result{Scenario: w.scenario, Status: Passed, Cleanup: w.cleanups.run(context.WithoutCancel(ctx)),
		Steps: stepResults(w.scenario.Steps, w.steps), Duration: time.Since(w.started)}
	if err != nil {
		res.Status, res.Reason = Failed, err.Error()
	}
	s.rec.set(res)
	return ctx, nil
}

// afterStep records how a step ended. godog calls it for every step in
// order, the failed one before after (which runs at a failed step), the
// ones it skips after that.
//
// A step that passed fails here when an answer it brought broke a rule
// every answer of its kind keeps (checks.go).
func (s *suite) afterStep(ctx context.Context, _ *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
	w, ok := ctx.Value(worldKey{}).(*world)
	if !ok {
		return ctx, nil
	}
	var broken error
	if status == godog.StepPassed {
		if broken = w.newViolations(); broken != nil {
			status, err = godog.StepFailed, broken
		}
	}
	r := StepResult{Status: status.String()}
	if err != nil {
		r.Error = err.Error()
	}
	w.steps = append(w.steps, r)
	return ctx, broken
}
