package conformance

import (
	"io"
	"testing"

	"github.com/cucumber/godog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/features"
)

// featureSteps returns the text of every step of every scenario (outline
// rows filled in), with the scenario it first appears in.
func featureSteps(t *testing.T) map[string]string {
	t.Helper()
	all, err := Scenarios(features.FS)
	require.NoError(t, err)
	texts := map[string]string{}
	for _, s := range all {
		for _, st := range s.Steps {
			if _, seen := texts[st.Text]; !seen {
				texts[st.Text] = s.Path + ": " + s.Name
			}
		}
	}
	require.NotEmpty(t, texts)
	return texts
}

// TestEveryStepHasOneDefinition: godog runs the first definition whose
// pattern matches a step, so a step two patterns match would silently
// depend on the order of registration; and a definition no feature uses is
// dead code.
func TestEveryStepHasOneDefinition(t *testing.T) {
	defs := newSteps()
	used := make([]bool, len(defs))
	for text, where := range featureSteps(t) {
		var matched []string
		for i, d := range defs {
			if d.re.MatchString(text) {
				matched = append(matched, d.re.String())
				used[i] = true
			}
		}
		assert.Len(t, matched, 1, "the step %q (%s) matches %d definitions: %q", text, where, len(matched), matched)
	}
	seen := map[string]bool{}
	for i, d := range defs {
		assert.True(t, used[i], "no feature uses the step definition %s", d.re)
		assert.False(t, seen[d.re.String()], "the pattern %s is defined twice", d.re)
		seen[d.re.String()] = true
	}
}

// BenchmarkInitializeScenario measures what godog does before every
// scenario: register the hooks and every step definition. With string
// patterns it compiled each of them each time (about 1.3 ms a scenario);
// with patterns compiled once it registers them only.
func BenchmarkInitializeScenario(b *testing.B) {
	s := &suite{steps: newSteps()}
	// godog gives an initializer a ScenarioContext only inside a run; the
	// step-definitions listing runs it once without any scenario.
	for b.Loop() {
		godog.TestSuite{ScenarioInitializer: s.InitializeScenario, Options: &godog.Options{
			ShowStepDefinitions: true, Output: io.Discard, Format: "progress", NoColors: true,
		}}.Run()
	}
}
