package conformance_test

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/features"
)

var update = flag.Bool("update", false, "rewrite docs/conformance.md from the feature files")

// TestDocsConformance keeps docs/conformance.md, the list of every
// scenario with its tags and spec clause, equal to the feature files.
func TestDocsConformance(t *testing.T) {
	const path = "../docs/conformance.md"
	scenarios, err := conformance.Scenarios(features.FS)
	require.NoError(t, err)
	want := conformance.Markdown(scenarios)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err, "docs/conformance.md is missing: run %s", conformance.MarkdownRegenerate)
	require.Equal(t, want, string(got), "docs/conformance.md is stale: run %s", conformance.MarkdownRegenerate)
}

// TestDocsConformanceReports keeps the hand-written docs/conformance-reports.md
// in step with the code: it names every status a run reports and the
// current report and manifest formats.
func TestDocsConformanceReports(t *testing.T) {
	b, err := os.ReadFile("../docs/conformance-reports.md")
	require.NoError(t, err)
	doc := string(b)
	for _, st := range []conformance.Status{conformance.Passed, conformance.Failed, conformance.Skipped, conformance.ExpectedFailure,
		conformance.Stale, conformance.UnexpectedSkip, conformance.StaleSkip} {
		assert.Contains(t, doc, "`"+string(st)+"`", "the verdict table lacks the status %q", st)
	}
	assert.Contains(t, doc, `"format": "`+conformance.ReportFormat+`"`)
	assert.Contains(t, doc, `"format": "`+conformance.ManifestFormat+`"`)
}
