package conformance

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadLedger(t *testing.T) {
	l, err := ReadLedger(strings.NewReader(`# Expected failures of the mock

A wrong client secret is refused
    reason: the mock hands a token to any secret
    link: https://github.com/axa-group/oauth2-mock-server/issues/1
	# a comment inside an entry
Tokens expire after an hour
	reason:   expiry: checked by hand   
`), "mock.txt", FailureLedger)
	require.NoError(t, err)
	assert.Equal(t, Ledger{Kind: FailureLedger, Source: "mock.txt", Entries: []Expectation{
		{Scenario: "A wrong client secret is refused", Reason: "the mock hands a token to any secret",
			Link: "https://github.com/axa-group/oauth2-mock-server/issues/1", Source: "mock.txt", Line: 3},
		{Scenario: "Tokens expire after an hour", Reason: "expiry: checked by hand", Source: "mock.txt", Line: 7},
	}}, l)
	assert.Equal(t, "the mock hands a token to any secret (https://github.com/axa-group/oauth2-mock-server/issues/1)", l.Entries[0].String())

	skips, err := ReadLedger(strings.NewReader("@emulator-only\n  reason: no control plane\n"), "skips.txt", SkipLedger)
	require.NoError(t, err)
	assert.Equal(t, "@emulator-only", skips.Entries[0].Scenario)

	empty, err := ReadLedger(strings.NewReader("# nothing expected\n"), "empty.txt", SkipLedger)
	require.NoError(t, err)
	assert.Empty(t, empty.Entries)
}

func TestReadLedgerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		kind     LedgerKind
		err      string
	}{
		{"the old format, a name a line", "# names\nA\nB\n", FailureLedger, `f.txt:2: the expected failure "A" has no reason`},
		{"the last entry without a reason", "A\n  reason: r\nB\n", FailureLedger, `f.txt:3: the expected failure "B" has no reason`},
		{"a skip without a reason", "@destructive\n", SkipLedger, `the expected skip "@destructive" has no reason`},
		{"a tag as an expected failure", "@core\n  reason: r\n", FailureLedger, "f.txt:1: an expected failure names one scenario, not a tag"},
		{"an entry twice", "A\n  reason: r\nA\n  reason: s\n", FailureLedger, `f.txt:3: "A" is listed twice`},
		{"an indented line first", "  reason: r\n", FailureLedger, "f.txt:1: an indented line before any entry"},
		{"no colon", "A\n  because it fails\n", FailureLedger, `want "reason: …" or "link: …"`},
		{"an empty reason", "A\n  reason:\n", FailureLedger, `want "reason: …" or "link: …"`},
		{"two reasons", "A\n  reason: r\n  reason: s\n", FailureLedger, "two reasons"},
		{"two links", "A\n  reason: r\n  link: https://a.example\n  link: https://b.example\n", FailureLedger, "two links"},
		{"a relative link", "A\n  reason: r\n  link: /issues/1\n", FailureLedger, "not an absolute http or https URL"},
		{"a link of another scheme", "A\n  reason: r\n  link: ftp://example.com/1\n", FailureLedger, "not an absolute http or https URL"},
		{"an unknown key", "A\n  reason: r\n  owner: me\n", FailureLedger, `unknown key "owner"`},
	} {
		_, err := ReadLedger(strings.NewReader(tc.in), "f.txt", tc.kind)
		if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.err, tc.name)
		}
	}
}

func TestLedgerMatchAndCheck(t *testing.T) {
	all := []Scenario{
		{Name: "A", Tags: []string{"@core"}},
		{Name: "B", Tags: []string{"@emulator-only", "@serial"}},
	}
	l := Ledger{Kind: SkipLedger, Source: "s.txt", Entries: []Expectation{
		{Scenario: "@emulator-only", Reason: "by tag"},
		{Scenario: "B", Reason: "by name"},
	}}
	e, ok := l.Match(all[1])
	assert.True(t, ok)
	assert.Equal(t, "by name", e.Reason, "an entry naming the scenario wins over a tag")
	_, ok = l.Match(all[0])
	assert.False(t, ok)
	assert.NoError(t, l.Check(all))

	l.Entries = append(l.Entries, Expectation{Scenario: "C", Reason: "a typo", Line: 9})
	assert.ErrorContains(t, l.Check(all), `s.txt:9: the expected skip names no scenario "C"`)
	l.Entries[2].Scenario = "@nope"
	assert.ErrorContains(t, l.Check(all), `names a tag no scenario carries: "@nope"`)
}

// TestJudge is the table of verdicts under the ledgers: what fails the run
// and what does not.
func TestJudge(t *testing.T) {
	s := Scenario{Name: "S", Tags: []string{"@emulator-only"}}
	failures := Ledger{Entries: []Expectation{{Scenario: "S", Reason: "a bug"}}}
	skipsByTag := &Ledger{Entries: []Expectation{{Scenario: "@emulator-only", Reason: "no control plane"}}}
	noSkips := &Ledger{}
	for _, tc := range []struct {
		name     string
		verdict  Status
		failures Ledger
		skips    *Ledger
		want     Status
		excused  string
		fails    bool // the run
	}{
		{"a pass", Passed, Ledger{}, nil, Passed, "", false},
		{"a failure", Failed, Ledger{}, nil, Failed, "", true},
		{"a skip, no skip ledger", Skipped, Ledger{}, nil, Skipped, "", false},
		{"an expected failure", Failed, failures, nil, ExpectedFailure, "a bug", false},
		{"an expected failure that passed", Passed, failures, nil, Stale, "a bug", true},
		{"an expected failure skipped", Skipped, failures, nil, Skipped, "", false},
		{"an expected skip", Skipped, Ledger{}, skipsByTag, Skipped, "no control plane", false},
		{"an unexpected skip", Skipped, Ledger{}, noSkips, UnexpectedSkip, "", true},
		{"an expected skip that passed", Passed, Ledger{}, skipsByTag, StaleSkip, "no control plane", true},
		{"an expected skip that failed", Failed, Ledger{}, skipsByTag, Failed, "", true},
		{"listed in both, failed", Failed, failures, skipsByTag, ExpectedFailure, "a bug", false},
	} {
		got := judge(Result{Scenario: s, Status: tc.verdict}, tc.failures, tc.skips)
		assert.Equal(t, tc.want, got.Status, tc.name)
		if tc.excused == "" {
			assert.Nil(t, got.Expectation, tc.name)
		} else if assert.NotNil(t, got.Expectation, tc.name) {
			assert.Equal(t, tc.excused, got.Expectation.Reason, tc.name)
		}
		assert.Equal(t, tc.fails, !Summary{Results: []Result{got}}.OK(), tc.name)
	}
}
