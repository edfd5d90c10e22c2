package conformance

import (
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/features"
)

var onlyFS = fstest.MapFS{
	"a.feature": {Data: []byte(`@feature-tag
Feature: A

  Background:
    Given I use no token

  @one
  Scenario: First
    Spec: x
    When I POST "/a" with JSON:
      """
      {"Scenario": "not a keyword in here"}
      """
    Then the status is 200

  Scenario Outline: Row <n>
    Spec: x
    When I GET "/<n>"

    @even
    Examples:
      | n |
      | 2 |
      | 4 |

    Examples:
      | n |
      | 1 |
      | 3 |

  Rule: A rule

    @ruled
    Scenario: In a rule
      Spec: x
      When I GET "/rule"
    Scenario: Last in the rule
      Spec: x
      When I GET "/last"
`)},
	"b.feature": {Data: []byte(`Feature: B
  Scenario: Elsewhere
    Spec: x
    When I GET "/b"
`)},
}

// TestOnlyScenarios: every selection of the scenarios yields exactly those,
// each at its line with its steps and tags, in files that keep their lines.
func TestOnlyScenarios(t *testing.T) {
	all, err := Scenarios(onlyFS)
	require.NoError(t, err)
	require.Len(t, all, 8)
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	// Every subset of the eight scenarios.
	for mask := 1; mask < 1<<len(all); mask++ {
		var want []Scenario
		var pick []string
		for i, s := range all {
			if mask&(1<<i) != 0 {
				want = append(want, s)
				pick = append(pick, names[i])
			}
		}
		got := onlyScenariosOf(t, onlyFS, pick)
		require.Equal(t, want, got, "selecting %q", pick)
	}
	_, err = onlyScenarios(onlyFS, []string{"First", "No such scenario"})
	assert.ErrorContains(t, err, `no scenario is named "No such scenario"`)
}

// TestOnlyScenariosOfTheSuite does the same on the kit's own features, for a
// random sample.
func TestOnlyScenariosOfTheSuite(t *testing.T) {
	all, err := Scenarios(features.FS)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(rand.Uint64(), 0))
	for range 20 {
		var want []Scenario
		var pick []string
		for _, s := range all {
			if r.IntN(10) == 0 {
				want = append(want, s)
				pick = append(pick, s.Name)
			}
		}
		if len(pick) == 0 {
			continue
		}
		assert.Equal(t, want, onlyScenariosOf(t, features.FS, pick))
	}
}

func onlyScenariosOf(t *testing.T, fsys fs.FS, names []string) []Scenario {
	t.Helper()
	only, err := onlyScenarios(fsys, names)
	require.NoError(t, err)
	got, err := Scenarios(only)
	require.NoError(t, err)
	for _, s := range got {
		// The files keep their lines: a commented line is still a line.
		orig, err := fs.ReadFile(fsys, s.File())
		require.NoError(t, err)
		cut, err := fs.ReadFile(only, s.File())
		require.NoError(t, err)
		assert.Equal(t, strings.Count(string(orig), "\n"), strings.Count(string(cut), "\n"))
	}
	return got
}
