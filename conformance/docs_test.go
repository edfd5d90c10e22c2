package conformance_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/features"
)

var update = flag.Bool("update", false, "rewrite docs/conformance.md from the feature files and the precision run")

// conformanceDoc is docs/conformance.md: the list of scenarios, then the
// section on the kit's precision (TestKitPrecision). Each test keeps its
// own part and rewrites only that one.
const (
	conformanceDoc   = "../docs/conformance.md"
	precisionHeading = "\n## The kit's precision\n"
)

// conformanceDocParts returns the doc's list and its precision section
// (from the heading on, "" when it has none).
func conformanceDocParts(t *testing.T) (list, precision string) {
	b, err := os.ReadFile(conformanceDoc)
	require.NoError(t, err, "docs/conformance.md is missing: run %s", conformance.MarkdownRegenerate)
	list, precision, found := strings.Cut(string(b), precisionHeading)
	if found {
		precision = precisionHeading + precision
	}
	return list, precision
}

// TestDocsConformance keeps docs/conformance.md, the list of every
// scenario with its tags and spec clause, equal to the feature files.
func TestDocsConformance(t *testing.T) {
	scenarios, err := conformance.Scenarios(features.FS)
	require.NoError(t, err)
	want := conformance.Markdown(scenarios)
	got, precision := conformanceDocParts(t)
	if *update {
		require.NoError(t, os.WriteFile(conformanceDoc, []byte(want+precision), 0o644))
		return
	}
	require.Equal(t, want, got, "docs/conformance.md is stale: run %s", conformance.MarkdownRegenerate)
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
