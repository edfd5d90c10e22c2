package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The cucumber JSON the kit writes (--format cucumber:FILE): the format
// cucumber's report tools read, features with their scenarios
// ("elements") and steps, from the kit's verdicts rather than godog's, so
// that reasons come along. A skipped scenario has a before hook "skipped"
// with the skip's reason (cucumber-jvm's shape for a scenario a hook
// skipped); an unexpected skip has it "failed". An expected failure's
// failed step is "skipped", its error message saying which ledger entry
// expected it (the way pytest reports an expected failure). A stale
// ledger entry, and whatever a scenario left behind, is an after hook
// "failed" with the reason: those fail the run though every step passed.
type cucumberFeature struct {
	URI      string            `json:"uri"`
	ID       string            `json:"id"`
	Keyword  string            `json:"keyword"`
	Name     string            `json:"name"`
	Elements []cucumberElement `json:"elements"`
}

type cucumberElement struct {
	ID      string         `json:"id"`
	Keyword string         `json:"keyword"`
	Name    string         `json:"name"`
	Line    int            `json:"line"`
	Type    string         `json:"type"`
	Tags    []cucumberTag  `json:"tags"`
	Before  []cucumberHook `json:"before,omitempty"`
	Steps   []cucumberStep `json:"steps"`
	After   []cucumberHook `json:"after,omitempty"`
}

type cucumberTag struct {
	Name string `json:"name"`
}

type cucumberHook struct {
	Match  cucumberMatch  `json:"match"`
	Result cucumberResult `json:"result"`
}

type cucumberStep struct {
	Keyword string         `json:"keyword"`
	Name    string         `json:"name"`
	Line    int            `json:"line"`
	Match   cucumberMatch  `json:"match"`
	Result  cucumberResult `json:"result"`
}

type cucumberMatch struct {
	Location string `json:"location"`
}

type cucumberResult struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// cucumberID is cucumber's id of a name: lower case, dashes for spaces.
func cucumberID(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), " ", "-")
}

// WriteCucumber writes the run as cucumber JSON.
func (s Summary) WriteCucumber(w io.Writer) error {
	rep := s.Report()
	features := []cucumberFeature{}
	index := map[string]int{}
	for j, sc := range rep.Scenarios {
		i, ok := index[sc.File]
		if !ok {
			i = len(features)
			index[sc.File] = i
			features = append(features, cucumberFeature{URI: "features/" + sc.File, ID: cucumberID(sc.Feature), Keyword: "Feature", Name: sc.Feature})
		}
		f := &features[i]
		kw := s.Results[j].Scenario.Keyword // the report is the results, in order
		if kw == "" {
			kw = "Scenario"
		}
		el := cucumberElement{ID: f.ID + ";" + cucumberID(sc.Name), Keyword: kw, Name: sc.Name, Line: sc.Line, Type: "scenario",
			Tags: []cucumberTag{}, Steps: []cucumberStep{}}
		for _, t := range sc.Tags {
			el.Tags = append(el.Tags, cucumberTag{Name: t})
		}
		kit := cucumberMatch{Location: "pdemu conformance"}
		ledger := ""
		if e := sc.Expectation; e != nil {
			ledger = fmt.Sprintf(" (%s:%d: %s)", e.Source, e.Line, e)
		}
		switch sc.Status {
		case Skipped:
			el.Before = append(el.Before, cucumberHook{kit, cucumberResult{"skipped", sc.Reason + ledger}})
		case UnexpectedSkip:
			el.Before = append(el.Before, cucumberHook{kit, cucumberResult{"failed", string(sc.Status) + ": " + sc.Reason}})
		case Stale, StaleSkip:
			el.After = append(el.After, cucumberHook{kit, cucumberResult{"failed", string(sc.Status) + ledger}})
		}
		for _, c := range sc.Cleanup {
			el.After = append(el.After, cucumberHook{kit, cucumberResult{"failed", "left behind " + c.What + ": " + c.Error}})
		}
		for _, st := range sc.Steps {
			res := cucumberResult{Status: st.Status, ErrorMessage: st.Error}
			if sc.Status == ExpectedFailure && st.Status == "failed" {
				res = cucumberResult{"skipped", "expected failure" + ledger + ": " + st.Error}
			}
			el.Steps = append(el.Steps, cucumberStep{Keyword: st.Keyword, Name: st.Text, Line: st.Line,
				Match: cucumberMatch{Location: fmt.Sprintf("features/%s:%d", sc.File, st.Line)}, Result: res})
		}
		f.Elements = append(f.Elements, el)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(features)
}
