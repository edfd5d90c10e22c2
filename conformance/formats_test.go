package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// everyOutcome is a run with one scenario of each outcome.
func everyOutcome() Summary {
	steps := []Step{{Keyword: "Given ", Text: "I have an access token", Line: 8}, {Keyword: "Then ", Text: "the status is 200", Line: 9}}
	sc := func(name string) Scenario {
		return Scenario{Name: name, Feature: "Tokens", Path: "token.feature:7", Tags: []string{"@core"}, Keyword: "Scenario", Steps: steps}
	}
	ran := func(last string, err string) []StepResult {
		return []StepResult{{Step: steps[0], Status: "passed"}, {Step: steps[1], Status: last, Error: err}}
	}
	e := &Expectation{Scenario: "x", Reason: "a known bug", Link: "https://example.com/1", Source: "expect.txt", Line: 3}
	return Summary{BaseURL: "http://127.0.0.1:1", Capabilities: Capabilities{"clock"}, Started: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		Results: []Result{
			{Scenario: sc("passed"), Status: Passed, Steps: ran("passed", "")},
			{Scenario: sc("failed"), Status: Failed, Reason: "want status 200; GET / answered 500", Steps: ran("failed", "want status 200; GET / answered 500")},
			{Scenario: sc("expected"), Status: ExpectedFailure, Reason: "want status 200", Expectation: e, Steps: ran("failed", "want status 200")},
			{Scenario: sc("stale"), Status: Stale, Expectation: e, Steps: ran("passed", "")},
			{Scenario: sc("skipped"), Status: Skipped, Reason: "needs an emulator's control plane", Steps: stepResults(steps, nil)},
			{Scenario: sc("unexpected skip"), Status: UnexpectedSkip, Reason: "needs the capability \"clock\"", Steps: stepResults(steps, nil)},
			{Scenario: sc("left"), Status: Passed, Steps: ran("passed", ""), Cleanup: []CleanupFailure{{What: "the OAuth client oc_1", Error: "answered 500"}}},
		}}
}

func TestJUnitCarriesReasons(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, everyOutcome().WriteJUnit(&b))
	type problem struct {
		Type    string `xml:"type,attr"`
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string   `xml:"name,attr"`
				File    string   `xml:"file,attr"`
				Line    int      `xml:"line,attr"`
				Failure *problem `xml:"failure"`
				Error   *problem `xml:"error"`
				Skipped *problem `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc), b.String())
	assert.Equal(t, 7, doc.Tests)
	assert.Equal(t, 3, doc.Failures, "failed, stale, unexpected skip")
	assert.Equal(t, 1, doc.Errors, "a cleanup alone")
	assert.Equal(t, 2, doc.Skipped, "skipped, expected failure")
	require.Len(t, doc.Suites, 1)
	assert.Equal(t, "Tokens", doc.Suites[0].Name)
	cases := map[string]int{}
	for i, c := range doc.Suites[0].Cases {
		cases[c.Name] = i
		assert.Equal(t, "features/token.feature", c.File)
		assert.Equal(t, 7, c.Line)
	}
	get := func(name string) (f, e, s *problem) {
		c := doc.Suites[0].Cases[cases[name]]
		return c.Failure, c.Error, c.Skipped
	}
	f, e, s := get("passed")
	assert.Nil(t, f)
	assert.Nil(t, e)
	assert.Nil(t, s)
	f, _, _ = get("failed")
	require.NotNil(t, f)
	assert.Equal(t, "want status 200; GET / answered 500", f.Message)
	assert.Contains(t, f.Text, "failed    Then the status is 200 (line 9)")
	_, _, s = get("expected")
	require.NotNil(t, s)
	assert.Equal(t, "expected failure (expect.txt:3: a known bug (https://example.com/1)): want status 200", s.Message)
	f, _, _ = get("stale")
	require.NotNil(t, f)
	assert.Equal(t, "passed, but listed as an expected failure (expect.txt:3: a known bug (https://example.com/1))", f.Message)
	_, _, s = get("skipped")
	require.NotNil(t, s)
	assert.Equal(t, "needs an emulator's control plane", s.Message)
	f, _, _ = get("unexpected skip")
	require.NotNil(t, f)
	assert.Equal(t, `skipped, but not listed as an expected skip: needs the capability "clock"`, f.Message)
	f, e, _ = get("left")
	assert.Nil(t, f)
	require.NotNil(t, e)
	assert.Equal(t, "left behind the OAuth client oc_1: answered 500", e.Message)
}

func TestCucumberCarriesReasons(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, everyOutcome().WriteCucumber(&b))
	type result struct {
		Status string `json:"status"`
		Error  string `json:"error_message"`
	}
	type hook struct {
		Result result `json:"result"`
	}
	var doc []struct {
		URI      string `json:"uri"`
		Name     string `json:"name"`
		Elements []struct {
			Name    string `json:"name"`
			Keyword string `json:"keyword"`
			Line    int    `json:"line"`
			Tags    []struct {
				Name string `json:"name"`
			} `json:"tags"`
			Before []hook `json:"before"`
			After  []hook `json:"after"`
			Steps  []struct {
				Keyword string `json:"keyword"`
				Name    string `json:"name"`
				Line    int    `json:"line"`
				Result  result `json:"result"`
			} `json:"steps"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc), b.String())
	require.Len(t, doc, 1)
	assert.Equal(t, "features/token.feature", doc[0].URI)
	byName := map[string]int{}
	for i, el := range doc[0].Elements {
		byName[el.Name] = i
		assert.Equal(t, "Scenario", el.Keyword)
		assert.Equal(t, "@core", el.Tags[0].Name)
		require.Len(t, el.Steps, 2)
		assert.Equal(t, "Then ", el.Steps[1].Keyword)
		assert.Equal(t, 9, el.Steps[1].Line)
	}
	el := func(name string) int { return byName[name] }
	els := doc[0].Elements
	assert.Equal(t, result{"failed", "want status 200; GET / answered 500"}, els[el("failed")].Steps[1].Result)
	assert.Equal(t, result{"skipped", "expected failure (expect.txt:3: a known bug (https://example.com/1)): want status 200"}, els[el("expected")].Steps[1].Result)
	assert.Equal(t, []hook{{result{"failed", "passed, but listed as an expected failure (expect.txt:3: a known bug (https://example.com/1))"}}}, els[el("stale")].After)
	assert.Equal(t, []hook{{result{"skipped", "needs an emulator's control plane"}}}, els[el("skipped")].Before)
	assert.Equal(t, "skipped", els[el("skipped")].Steps[0].Result.Status)
	assert.Equal(t, []hook{{result{"failed", `skipped, but not listed as an expected skip: needs the capability "clock"`}}}, els[el("unexpected skip")].Before)
	assert.Equal(t, []hook{{result{"failed", "left behind the OAuth client oc_1: answered 500"}}}, els[el("left")].After)
	assert.Empty(t, els[el("passed")].Before)
	assert.Empty(t, els[el("passed")].After)
}

func TestSplitFormats(t *testing.T) {
	for _, tc := range []struct {
		in, godog string
		kit       []string
	}{
		{"progress", "progress", nil},
		{"progress,junit:r.xml", "progress", []string{"junit r.xml"}},
		{"junit, cucumber:c.json ,pretty", "pretty", []string{"junit ", "cucumber c.json"}},
		{"junit:r.xml", "", []string{"junit r.xml"}},
	} {
		godog, kit := splitFormats(tc.in)
		assert.Equal(t, tc.godog, godog, tc.in)
		var got []string
		for _, k := range kit {
			got = append(got, k.name+" "+k.file)
		}
		assert.Equal(t, tc.kit, got, tc.in)
	}
}
