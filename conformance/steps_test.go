package conformance

import (
	"io"
	"io/fs"
	"path"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v42"
	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/features"
)

// featureSteps returns the text of every step of every scenario (outline
// rows filled in), by text, with where it first appears.
func featureSteps(t *testing.T) map[string]string {
	t.Helper()
	texts := map[string]string{}
	err := fs.WalkDir(features.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".feature" {
			return err
		}
		f, err := features.FS.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		ids := (&messages.Incrementing{}).NewId
		doc, err := gherkin.ParseGherkinDocument(f, ids)
		if err != nil {
			return err
		}
		for _, pk := range gherkin.Pickles(*doc, p, ids) {
			for _, st := range pk.Steps {
				if _, seen := texts[st.Text]; !seen {
					texts[st.Text] = p + ": " + pk.Name
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
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
