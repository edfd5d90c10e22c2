package conformance

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The JUnit XML the kit writes (--format junit:FILE). godog's own has no
// reasons for skips, counts no skips, and knows nothing of the ledgers; the
// kit writes the verdicts it judged instead, the way pytest reports its
// expected failures: an expected failure or skip is <skipped> with the
// reason, and every outcome that fails the run is a <failure> (a stale
// ledger entry and an unexpected skip among them); what a scenario could
// not undo is an <error> when nothing else failed it.
type junitSuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	File      string `xml:"file,attr"`
	Line      int    `xml:"line,attr"`
	// Status is the kit's verdict, word for word.
	Status  string         `xml:"status,attr"`
	Time    string         `xml:"time,attr"`
	Failure *junitProblem  `xml:"failure,omitempty"`
	Error   *junitProblem  `xml:"error,omitempty"`
	Skipped *junitProblem  `xml:"skipped,omitempty"`
	Out     *junitCharData `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

type junitCharData struct {
	Text string `xml:",chardata"`
}

func seconds(d float64) string { return strconv.FormatFloat(d, 'f', 3, 64) }

// WriteJUnit writes the run as JUnit XML.
func (s Summary) WriteJUnit(w io.Writer) error {
	rep := s.Report()
	out := junitSuites{Name: "pdemu conformance", Time: seconds(rep.Seconds), Timestamp: rep.StartedAt.Format("2006-01-02T15:04:05Z")}
	props := []junitProperty{{"base_url", rep.Target.BaseURL}, {"capabilities", strings.Join(rep.Target.Capabilities, " ")}}
	index := map[string]int{}
	var times []float64 // each suite's
	for _, sc := range rep.Scenarios {
		i, ok := index[sc.File]
		if !ok {
			i = len(out.Suites)
			index[sc.File] = i
			out.Suites = append(out.Suites, junitSuite{Name: sc.Feature, Properties: props})
			times = append(times, 0)
		}
		suite := &out.Suites[i]
		c := junitCase{Name: sc.Name, Classname: "features/" + sc.File, File: "features/" + sc.File, Line: sc.Line,
			Status: string(sc.Status), Time: seconds(sc.Seconds)}
		ledger := ""
		if e := sc.Expectation; e != nil {
			ledger = fmt.Sprintf(" (%s:%d: %s)", e.Source, e.Line, e)
		}
		switch sc.Status {
		case Failed:
			c.Failure = &junitProblem{Type: "failed", Message: headline(sc.Reason), Text: sc.Reason + "\n\n" + stepsText(sc.Steps)}
		case UnexpectedSkip:
			c.Failure = &junitProblem{Type: "unexpected skip", Message: string(sc.Status) + ": " + sc.Reason}
		case Stale, StaleSkip:
			c.Failure = &junitProblem{Type: "stale expectation", Message: string(sc.Status) + ledger}
		case ExpectedFailure:
			c.Skipped = &junitProblem{Type: "expected failure", Message: "expected failure" + ledger + ": " + headline(sc.Reason),
				Text: sc.Reason + "\n\n" + stepsText(sc.Steps)}
		case Skipped:
			c.Skipped = &junitProblem{Message: sc.Reason + ledger}
		}
		if len(sc.Cleanup) > 0 {
			var b strings.Builder
			for _, f := range sc.Cleanup {
				fmt.Fprintf(&b, "left behind %s: %s\n", f.What, f.Error)
			}
			if c.Failure != nil {
				c.Failure.Text += "\n" + b.String()
			} else {
				c.Error = &junitProblem{Type: "cleanup failed", Message: headline(b.String()), Text: b.String()}
			}
		}
		suite.Tests++
		out.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
			out.Failures++
		case c.Error != nil:
			suite.Errors++
			out.Errors++
		case c.Skipped != nil:
			suite.Skipped++
			out.Skipped++
		}
		times[i] += sc.Seconds
		suite.Time = seconds(times[i])
		suite.Cases = append(suite.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// firstLine is the first line of s, for a message attribute.
func headline(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// stepsText lists a scenario's steps with their outcomes, for a report.
func stepsText(steps []StepResult) string {
	var b strings.Builder
	for _, st := range steps {
		fmt.Fprintf(&b, "%-9s %s%s (line %d)\n", st.Status, st.Keyword, st.Text, st.Line)
	}
	return b.String()
}
