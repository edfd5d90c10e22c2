package conformance_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/features"
)

var listFS = fstest.MapFS{
	"a.feature": {Data: []byte(`Feature: First feature

  @core
  Scenario: Plain one
    Spec: RFC 6749 §5.2
    Then the status is 200

  @emulator-only @serial
  Scenario Outline: Outline with <what> | pipe
    Spec: pdemu decision (docs/control-plane.md — clocks)
    Then the status is 200
    Examples:
      | what |
      | x    |
      | y    |
`)},
	"b.feature": {Data: []byte(`Feature: Second feature
  Scenario: No spec line
    Then the status is 200
`)},
}

func TestListAndMarkdown(t *testing.T) {
	scenarios, err := conformance.Scenarios(listFS)
	require.NoError(t, err)
	require.Len(t, scenarios, 4)

	var b strings.Builder
	require.NoError(t, conformance.List(&b, scenarios))
	assert.Equal(t, `Feature: First feature (features/a.feature)
  Plain one
      tags: @core
      spec: RFC 6749 §5.2
  Outline with x | pipe
      tags: @emulator-only @serial
      spec: pdemu decision (docs/control-plane.md — clocks)
  Outline with y | pipe
      tags: @emulator-only @serial
      spec: pdemu decision (docs/control-plane.md — clocks)

Feature: Second feature (features/b.feature)
  No spec line
      tags: (none)
      spec: (no Spec: line)

4 scenarios in 2 features (@emulator-only 2, @serial 2, @core 1)
`, b.String())

	md := conformance.Markdown(scenarios)
	assert.Contains(t, md, "4 scenarios in 2 features: `@emulator-only` 2, `@serial` 2, `@core` 1.\n")
	assert.Contains(t, md, "\n## First feature\n\n`features/a.feature`\n\n| Scenario | Tags | Spec clause |\n|---|---|---|\n"+
		"| Plain one | `@core` | RFC 6749 §5.2 |\n"+
		"| Outline with x \\| pipe | `@emulator-only` `@serial` | pdemu decision (docs/control-plane.md — clocks) |\n")
	assert.Contains(t, md, "| No spec line |  | (no Spec: line) |\n")
	assert.Contains(t, md, conformance.MarkdownRegenerate)
}

// TestListEmbedded lists the real suite: every scenario appears with its
// clause, and every scenario has one (the kit's rule).
func TestListEmbedded(t *testing.T) {
	scenarios, err := conformance.Scenarios(features.FS)
	require.NoError(t, err)
	require.NotEmpty(t, scenarios)
	var b strings.Builder
	require.NoError(t, conformance.List(&b, scenarios))
	for _, s := range scenarios {
		assert.Contains(t, b.String(), "  "+s.Name+"\n")
		assert.NotEmpty(t, s.Clause, "scenario %q (%s) has no Spec: line", s.Name, s.Path)
	}
}

func TestManifest(t *testing.T) {
	scenarios, err := conformance.Scenarios(listFS)
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, conformance.WriteManifest(&b, scenarios))
	var m conformance.Manifest
	require.NoError(t, json.Unmarshal([]byte(b.String()), &m))
	assert.Equal(t, conformance.Manifest{
		Format: conformance.ManifestFormat, Count: 4,
		Tags: map[string]int{"@core": 1, "@emulator-only": 2, "@serial": 2},
		Scenarios: []conformance.ManifestScenario{
			{Name: "Plain one", Feature: "First feature", File: "a.feature", Line: 4, Tags: []string{"@core"}, Spec: "RFC 6749 §5.2"},
			{Name: "Outline with x | pipe", Feature: "First feature", File: "a.feature", Line: 9, Tags: []string{"@emulator-only", "@serial"}, Spec: "pdemu decision (docs/control-plane.md — clocks)"},
			{Name: "Outline with y | pipe", Feature: "First feature", File: "a.feature", Line: 9, Tags: []string{"@emulator-only", "@serial"}, Spec: "pdemu decision (docs/control-plane.md — clocks)"},
			{Name: "No spec line", Feature: "Second feature", File: "b.feature", Line: 2, Tags: []string{}, Spec: ""},
		},
	}, m)
}
