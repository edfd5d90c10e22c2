package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReportFormat names the JSON report's format and version; a reader
// refuses any other.
const ReportFormat = "pdemu-conformance-report/1"

// Report is the JSON record of a run (pdemu conformance --report FILE), and
// what --rerun-failed reads back. docs/conformance-reports.md describes it.
type Report struct {
	// Format is ReportFormat.
	Format string `json:"format"`
	// Target is the server the run judged.
	Target ReportTarget `json:"target"`
	// Tags and Seed are the run's selection and order ("", 0: all, the
	// files' order).
	Tags string `json:"tags,omitempty"`
	Seed int64  `json:"seed,omitempty"`
	// StartedAt is when the run started, Seconds how long it took.
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"duration_seconds"`
	// OK is the run's verdict: whether it passed.
	OK bool `json:"ok"`
	// Counts are how many scenarios ended with each status, and how many
	// left something behind ("cleanup failures").
	Counts map[string]int `json:"counts"`
	// Scenarios are the selected scenarios' outcomes, in the files' order.
	Scenarios []ReportScenario `json:"scenarios"`
}

// ReportTarget is the server a run judged.
type ReportTarget struct {
	BaseURL string `json:"base_url"`
	// Capabilities are its control plane's; none for a real server.
	Capabilities []string `json:"capabilities"`
}

// ReportScenario is one scenario's outcome in a Report.
type ReportScenario struct {
	// Name, Feature, File, Line, Tags and Spec are the scenario's, as in
	// the manifest.
	Name    string   `json:"name"`
	Feature string   `json:"feature"`
	File    string   `json:"file"`
	Line    int      `json:"line"`
	Tags    []string `json:"tags"`
	Spec    string   `json:"spec,omitempty"`
	// Status is its outcome, judged against the ledgers.
	Status Status `json:"status"`
	// FailsTheRun says whether this outcome made the run fail: what
	// --rerun-failed reruns.
	FailsTheRun bool `json:"fails_the_run"`
	// Reason is why it failed or was skipped.
	Reason string `json:"reason,omitempty"`
	// Expectation is the ledger entry that applies, if one does.
	Expectation *Expectation `json:"expectation,omitempty"`
	// Cleanup lists what it left behind on the target.
	Cleanup []CleanupFailure `json:"cleanup_failures,omitempty"`
	// Seconds is how long it ran; Steps are its steps' outcomes.
	Seconds float64      `json:"duration_seconds"`
	Steps   []StepResult `json:"steps"`
}

// Report returns the run's JSON record.
func (s Summary) Report() Report {
	caps := s.Capabilities
	if caps == nil {
		caps = Capabilities{}
	}
	r := Report{Format: ReportFormat, Target: ReportTarget{BaseURL: s.BaseURL, Capabilities: caps},
		Tags: s.Tags, Seed: s.Seed, StartedAt: s.Started.UTC(), Seconds: s.Duration.Seconds(), OK: s.OK(),
		Counts: map[string]int{"cleanup failures": len(s.LeftBehind())}, Scenarios: []ReportScenario{}}
	for _, st := range summaryOrder {
		r.Counts[string(st)] = s.Count(st)
	}
	r.Counts[string(Passed)] = s.Count(Passed)
	for _, res := range s.Results {
		sc := res.Scenario
		tags := sc.Tags
		if tags == nil {
			tags = []string{}
		}
		r.Scenarios = append(r.Scenarios, ReportScenario{Name: sc.Name, Feature: sc.Feature, File: sc.File(), Line: sc.Line(),
			Tags: tags, Spec: sc.Clause, Status: res.Status, FailsTheRun: res.Status.failsTheRun() || len(res.Cleanup) > 0,
			Reason: res.Reason, Expectation: res.Expectation, Cleanup: res.Cleanup, Seconds: res.Duration.Seconds(),
			Steps: res.Steps})
	}
	return r
}

// WriteReport writes the run's JSON record to w.
func (s Summary) WriteReport(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s.Report())
}

// ReadReport reads a JSON report that WriteReport wrote.
func ReadReport(r io.Reader) (Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return rep, fmt.Errorf("not a conformance report: %w", err)
	}
	if rep.Format != ReportFormat {
		return rep, fmt.Errorf("not a conformance report of this version: format %q, want %q", rep.Format, ReportFormat)
	}
	return rep, nil
}

// Failed returns the names of the scenarios whose outcome made the run
// fail: a failure, a skip the skip ledger did not list, a ledger entry the
// outcome contradicted, or a cleanup that failed.
func (r Report) Failed() []string {
	var names []string
	for _, s := range r.Scenarios {
		if s.FailsTheRun {
			names = append(names, s.Name)
		}
	}
	return names
}
