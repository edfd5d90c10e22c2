package conformance

import (
	"sync"
	"time"
)

// Status is how a scenario ended, judged against the ledgers.
type Status string

// The outcomes a run reports. Failed, UnexpectedSkip, Stale and StaleSkip
// fail the run.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
	// ExpectedFailure is a failure the failure ledger lists.
	ExpectedFailure Status = "expected failure"
	// Stale is a pass the failure ledger lists as a failure: the target
	// was fixed, and the ledger should lose the entry.
	Stale Status = "passed, but listed as an expected failure"
	// UnexpectedSkip is a skip the skip ledger, when there is one, does
	// not list.
	UnexpectedSkip Status = "skipped, but not listed as an expected skip"
	// StaleSkip is a pass the skip ledger lists as a skip: the target can
	// now be driven to run it.
	StaleSkip Status = "passed, but listed as an expected skip"
)

// failsTheRun reports whether a scenario that ended st makes the run fail.
func (st Status) failsTheRun() bool {
	return st == Failed || st == UnexpectedSkip || st == Stale || st == StaleSkip
}

// Result is one scenario's outcome.
type Result struct {
	Scenario Scenario
	// Status is its outcome, judged against the ledgers.
	Status Status
	// Reason is why it failed or was skipped.
	Reason string
	// Expectation is the ledger entry that applies to the scenario, if
	// one does (it excused the outcome, or the outcome contradicts it).
	Expectation *Expectation
	// Cleanup lists what the scenario left behind on the target: changes
	// it could not undo.
	Cleanup []CleanupFailure
	// Steps are its steps' outcomes, in order.
	Steps []StepResult
	// Duration is how long it ran, cleanups included.
	Duration time.Duration
}

// StepResult is how one step of a scenario ended.
type StepResult struct {
	Step
	// Status is godog's word for it: passed, failed, skipped, undefined,
	// pending or ambiguous.
	Status string `json:"status"`
	// Error is why it did not pass.
	Error string `json:"error,omitempty"`
}

// stepResults pairs a scenario's steps with the outcomes recorded for the
// first of them; a step without one did not run.
func stepResults(steps []Step, recorded []StepResult) []StepResult {
	out := make([]StepResult, len(steps))
	for i, st := range steps {
		out[i] = StepResult{Step: st, Status: "skipped"}
		if i < len(recorded) {
			out[i].Status, out[i].Error = recorded[i].Status, recorded[i].Error
		}
	}
	return out
}

// Summary is a whole run's outcome.
type Summary struct {
	// BaseURL and Capabilities describe the target.
	BaseURL      string
	Capabilities Capabilities
	// Tags and Seed are the run's selection and order.
	Tags string
	Seed int64
	// Started is when the run started, Duration how long it took.
	Started  time.Time
	Duration time.Duration
	// Results are the selected scenarios' outcomes, in the files' order.
	Results []Result
}

// Count returns how many scenarios ended with status st.
func (s Summary) Count(st Status) int {
	n := 0
	for _, r := range s.Results {
		if r.Status == st {
			n++
		}
	}
	return n
}

// LeftBehind returns the results of the scenarios whose cleanup failed:
// they left something on the target.
func (s Summary) LeftBehind() []Result {
	var out []Result
	for _, r := range s.Results {
		if len(r.Cleanup) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// OK reports whether the run passes: no unexpected failure or skip, no
// stale ledger entry, and nothing left behind on the target.
func (s Summary) OK() bool {
	for _, r := range s.Results {
		if r.Status.failsTheRun() || len(r.Cleanup) > 0 {
			return false
		}
	}
	return true
}

// judge turns a scenario's verdict (passed, failed or skipped) into its
// status under the ledgers. Without a skip ledger (skips nil), skips are
// reported and judge nothing.
func judge(res Result, failures Ledger, skips *Ledger) Result {
	if e, ok := failures.Match(res.Scenario); ok {
		switch res.Status {
		case Failed:
			res.Status, res.Expectation = ExpectedFailure, &e
			return res
		case Passed:
			res.Status, res.Expectation = Stale, &e
			return res
		}
	}
	if skips == nil {
		return res
	}
	e, listed := skips.Match(res.Scenario)
	switch {
	case res.Status == Skipped && listed:
		res.Expectation = &e
	case res.Status == Skipped:
		res.Status = UnexpectedSkip
	case res.Status == Passed && listed:
		res.Status, res.Expectation = StaleSkip, &e
	}
	return res
}

// recorder collects outcomes from godog's hooks, which may run at once.
type recorder struct {
	mu      sync.Mutex
	results map[string]Result
}

func (r *recorder) set(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[res.Scenario.Name] = res
}
