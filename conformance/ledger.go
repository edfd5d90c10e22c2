package conformance

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Expectation is one entry of a ledger: a scenario a target is expected
// to fail (or to skip), and why.
type Expectation struct {
	// Scenario is a scenario's name or, in a skip ledger, a tag with its @
	// (every scenario that carries it).
	Scenario string `json:"scenario"`
	// Reason says why; every entry has one.
	Reason string `json:"reason"`
	// Link, optional, points at the bug report, the issue or the page that
	// explains the entry.
	Link string `json:"link,omitempty"`
	// Source and Line say where the entry is: its ledger's file and line.
	Source string `json:"source,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// LedgerKind is what a ledger's entries are expected to do.
type LedgerKind int

// The two ledgers.
const (
	// FailureLedger lists scenarios expected to fail: known bugs of the
	// target, each named, each with its reason.
	FailureLedger LedgerKind = iota
	// SkipLedger lists scenarios expected to be skipped, by name or by
	// tag: what the target cannot be driven to do.
	SkipLedger
)

// String names what a ledger of kind k lists, for messages.
func (k LedgerKind) String() string {
	if k == SkipLedger {
		return "expected skip"
	}
	return "expected failure"
}

// Ledger is a file of expectations of one kind. Its format, one entry a
// paragraph:
//
//	# Comments and blank lines are ignored.
//	A wrong client secret is refused
//	    reason: the mock hands a token to any secret
//	    link: https://github.com/axa-group/oauth2-mock-server/issues/1
//
// An entry starts at the first column with the scenario's name (in a skip
// ledger, or a tag such as @emulator-only); its indented lines give the
// reason (required) and a link (optional, an absolute http or https URL).
type Ledger struct {
	// Kind says what the entries are expected to do.
	Kind LedgerKind
	// Source names the ledger's file, for messages.
	Source string
	// Entries are the expectations, in the file's order.
	Entries []Expectation
}

// ReadLedger reads a ledger of kind from r; source names it in errors.
func ReadLedger(r io.Reader, source string, kind LedgerKind) (Ledger, error) {
	l := Ledger{Kind: kind, Source: source}
	errorf := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", source, line, fmt.Sprintf(format, args...))
	}
	sc := bufio.NewScanner(r)
	var cur *Expectation
	// done checks the entry being read before the next one starts.
	done := func() error {
		if cur != nil && cur.Reason == "" {
			return errorf(cur.Line, "the %s %q has no reason: add an indented line \"reason: why\" under it (docs/conformance-reports.md)", kind, cur.Scenario)
		}
		return nil
	}
	for n := 1; sc.Scan(); n++ {
		raw := strings.TrimRight(sc.Text(), " \t\r")
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if raw[0] != ' ' && raw[0] != '\t' {
			if err := done(); err != nil {
				return l, err
			}
			if kind == FailureLedger && strings.HasPrefix(line, "@") {
				return l, errorf(n, "an expected failure names one scenario, not a tag (%s): a known bug is a scenario's", line)
			}
			if slices.ContainsFunc(l.Entries, func(e Expectation) bool { return e.Scenario == line }) {
				return l, errorf(n, "%q is listed twice", line)
			}
			l.Entries = append(l.Entries, Expectation{Scenario: line, Source: source, Line: n})
			cur = &l.Entries[len(l.Entries)-1]
			continue
		}
		if cur == nil {
			return l, errorf(n, "an indented line before any entry: an entry starts at the first column with a scenario's name")
		}
		key, value, ok := strings.Cut(line, ":")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || value == "" {
			return l, errorf(n, "want \"reason: …\" or \"link: …\" under %q, got %q", cur.Scenario, line)
		}
		switch key {
		case "reason":
			if cur.Reason != "" {
				return l, errorf(n, "%q has two reasons", cur.Scenario)
			}
			cur.Reason = value
		case "link":
			if cur.Link != "" {
				return l, errorf(n, "%q has two links", cur.Scenario)
			}
			if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return l, errorf(n, "the link of %q is not an absolute http or https URL: %q", cur.Scenario, value)
			}
			cur.Link = value
		default:
			return l, errorf(n, "unknown key %q under %q: an entry has a reason and maybe a link", key, cur.Scenario)
		}
	}
	if err := sc.Err(); err != nil {
		return l, fmt.Errorf("%s: %w", source, err)
	}
	return l, done()
}

// Match returns the entry that applies to s: the one naming it, else the
// first naming one of its tags.
func (l Ledger) Match(s Scenario) (Expectation, bool) {
	for _, e := range l.Entries {
		if e.Scenario == s.Name {
			return e, true
		}
	}
	for _, e := range l.Entries {
		if strings.HasPrefix(e.Scenario, "@") && s.HasTag(e.Scenario) {
			return e, true
		}
	}
	return Expectation{}, false
}

// Check refuses an entry that matches none of the scenarios: a typo would
// otherwise excuse nothing, unnoticed.
func (l Ledger) Check(all []Scenario) error {
	for _, e := range l.Entries {
		if !slices.ContainsFunc(all, func(s Scenario) bool { return s.Name == e.Scenario || s.HasTag(e.Scenario) }) {
			what := "no scenario"
			if strings.HasPrefix(e.Scenario, "@") {
				what = "a tag no scenario carries:"
			}
			return fmt.Errorf("%s:%d: the %s names %s %q; pdemu conformance --list shows every scenario and its tags",
				l.Source, e.Line, l.Kind, what, e.Scenario)
		}
	}
	return nil
}

// String renders an expectation for a report line: its reason and link.
func (e Expectation) String() string {
	if e.Link == "" {
		return e.Reason
	}
	return e.Reason + " (" + e.Link + ")"
}
