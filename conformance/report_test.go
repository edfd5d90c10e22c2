package conformance

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportRoundTrip: a report says which outcomes failed the run, and
// reads back as written.
func TestReportRoundTrip(t *testing.T) {
	sc := func(name string) Scenario {
		return Scenario{Name: name, Feature: "F", Path: "f.feature:7", Tags: []string{"@core"}, Clause: "RFC 6749 §5.2",
			Steps: []Step{{Keyword: "When ", Text: `I GET "/"`, Line: 9}}}
	}
	e := &Expectation{Scenario: "expected", Reason: "a bug", Link: "https://example.com/1", Source: "x.txt", Line: 2}
	sum := Summary{BaseURL: "http://127.0.0.1:1", Started: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Duration: time.Second,
		Results: []Result{
			{Scenario: sc("passed"), Status: Passed, Steps: []StepResult{{Step: sc("passed").Steps[0], Status: "passed"}}},
			{Scenario: sc("failed"), Status: Failed, Reason: "want status 200"},
			{Scenario: sc("expected"), Status: ExpectedFailure, Reason: "want status 200", Expectation: e},
			{Scenario: sc("stale"), Status: Stale, Expectation: e},
			{Scenario: sc("unexpected skip"), Status: UnexpectedSkip, Reason: "needs a control plane"},
			{Scenario: sc("skipped"), Status: Skipped, Reason: "needs a control plane"},
			{Scenario: sc("left"), Status: Passed, Cleanup: []CleanupFailure{{What: "the OAuth client oc_1", Error: "answered 500"}}},
		}}
	var b bytes.Buffer
	require.NoError(t, sum.WriteReport(&b))
	rep, err := ReadReport(&b)
	require.NoError(t, err)
	assert.Equal(t, sum.Report(), rep)
	assert.Equal(t, []string{"failed", "stale", "unexpected skip", "left"}, rep.Failed())
	assert.False(t, rep.OK)
	assert.Equal(t, map[string]int{"passed": 2, "failed": 1, "skipped": 1, "expected failure": 1,
		string(Stale): 1, string(UnexpectedSkip): 1, string(StaleSkip): 0, "cleanup failures": 1}, rep.Counts)
	assert.Equal(t, ReportScenario{Name: "expected", Feature: "F", File: "f.feature", Line: 7, Tags: []string{"@core"},
		Spec: "RFC 6749 §5.2", Status: ExpectedFailure, Reason: "want status 200", Expectation: e}, rep.Scenarios[2])

	for _, bad := range []string{`[]`, `{"format": "something else"}`, `{`} {
		_, err := ReadReport(strings.NewReader(bad))
		assert.ErrorContains(t, err, "not a conformance report", bad)
	}
}
