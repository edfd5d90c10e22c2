package conformance_test

import (
	"io"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
)

// runFeature runs one feature file's scenarios against cfg's target, one
// at a time in file order, and returns their results by name.
func runFeature(t *testing.T, cfg conformance.Config, feature string) map[string]conformance.Result {
	t.Helper()
	sum, err := conformance.Run(t.Context(), conformance.Options{Config: cfg, Output: io.Discard,
		FS: fstest.MapFS{"test.feature": {Data: []byte(feature)}}})
	require.NoError(t, err)
	out := map[string]conformance.Result{}
	for _, r := range sum.Results {
		out[r.Scenario.Name] = r
	}
	return out
}

// requireOutcome checks a scenario's status and that its reason says
// what it should; it must have left nothing behind.
func requireOutcome(t *testing.T, results map[string]conformance.Result, name string, want conformance.Status, reason ...string) {
	t.Helper()
	r, ok := results[name]
	require.True(t, ok, "the scenario %q did not run", name)
	assert.Equal(t, want, r.Status, "%q: %s", name, r.Reason)
	for _, s := range reason {
		assert.Contains(t, r.Reason, s, name)
	}
	assert.Empty(t, r.Cleanup, "%q left something behind", name)
}
