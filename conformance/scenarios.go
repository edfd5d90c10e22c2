package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
)

// Scenario is one runnable scenario (an outline's example row is one).
type Scenario struct {
	// Name is unique across the suite; outlines carry their placeholders.
	Name string
	// Feature is its feature's name.
	Feature string
	// Path is the feature file and the scenario's line, as godog takes it.
	Path string
	// Tags are its tags with their @, its feature's (and rule's and
	// examples') included.
	Tags []string
	// Clause is the spec clause the scenario checks (its "Spec:" line).
	Clause string
	// Keyword is the scenario's keyword as written ("Scenario",
	// "Scenario Outline").
	Keyword string
	// Steps are the steps it runs, the background's first.
	Steps []Step
}

// Step is one step of a scenario, an outline's placeholders filled in.
type Step struct {
	// Keyword is the step's keyword as written, with its space ("Given ").
	Keyword string `json:"keyword"`
	// Text is the step's text, after its keyword.
	Text string `json:"text"`
	// Line is the step's line in its feature file.
	Line int `json:"line"`
}

// HasTag reports whether the scenario carries tag (with its @).
func (s Scenario) HasTag(tag string) bool { return slices.Contains(s.Tags, tag) }

// File returns the scenario's feature file, relative to the features.
func (s Scenario) File() string {
	file, _, _ := strings.Cut(s.Path, ":")
	return file
}

// Line returns the scenario's line in its feature file (an outline's row
// shares its outline's).
func (s Scenario) Line() int {
	_, line, _ := strings.Cut(s.Path, ":")
	n, _ := strconv.Atoi(line)
	return n
}

// featureFile is one parsed feature file: its document, the runnable
// scenarios (pickles) it makes, and its AST nodes by id.
type featureFile struct {
	path      string
	doc       *messages.GherkinDocument
	pickles   []*messages.Pickle
	scenarios map[string]*messages.Scenario
	steps     map[string]*messages.Step
}

// walkFeatures parses every feature file of fsys, in lexical order.
func walkFeatures(fsys fs.FS, fn func(*featureFile) error) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".feature" {
			return err
		}
		f, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		ids := (&messages.Incrementing{}).NewId
		doc, err := gherkin.ParseGherkinDocument(f, ids)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if doc.Feature == nil {
			return nil
		}
		ff := &featureFile{path: p, doc: doc, scenarios: map[string]*messages.Scenario{}, steps: map[string]*messages.Step{}}
		addSteps := func(steps []*messages.Step) {
			for _, st := range steps {
				ff.steps[st.Id] = st
			}
		}
		var collect func(children []*messages.FeatureChild)
		collect = func(children []*messages.FeatureChild) {
			for _, c := range children {
				switch {
				case c.Scenario != nil:
					ff.scenarios[c.Scenario.Id] = c.Scenario
					addSteps(c.Scenario.Steps)
				case c.Background != nil:
					addSteps(c.Background.Steps)
				case c.Rule != nil:
					for _, rc := range c.Rule.Children {
						collect([]*messages.FeatureChild{{Scenario: rc.Scenario, Background: rc.Background}})
					}
				}
			}
		}
		collect(doc.Feature.Children)
		ff.pickles = gherkin.Pickles(*doc, p, ids)
		return fn(ff)
	})
}

// Scenarios lists every scenario of the feature files in fsys.
func Scenarios(fsys fs.FS) ([]Scenario, error) {
	var out []Scenario
	err := walkFeatures(fsys, func(ff *featureFile) error {
		for _, pk := range ff.pickles {
			sc := ff.scenarios[pk.AstNodeIds[0]]
			s := Scenario{Name: pk.Name, Feature: ff.doc.Feature.Name, Path: fmt.Sprintf("%s:%d", ff.path, sc.Location.Line),
				Keyword: sc.Keyword}
			for _, t := range pk.Tags {
				s.Tags = append(s.Tags, t.Name)
			}
			for line := range strings.SplitSeq(sc.Description, "\n") {
				if c, ok := strings.CutPrefix(strings.TrimSpace(line), "Spec:"); ok {
					s.Clause = strings.TrimSpace(c)
				}
			}
			for _, ps := range pk.Steps {
				st := ff.steps[ps.AstNodeIds[0]]
				s.Steps = append(s.Steps, Step{Keyword: st.Keyword, Text: ps.Text, Line: int(st.Location.Line)})
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// Capabilities is what a target's control plane says it can do; empty for
// a real server, which has no control plane.
type Capabilities []string

// Has reports whether the target has a capability.
func (c Capabilities) Has(name string) bool { return slices.Contains(c, name) }

// IsEmulator reports whether the target has an emulator's control plane.
func (c Capabilities) IsEmulator() bool { return len(c) > 0 }

// ErrControlPlaneRefused is returned by DiscoverCapabilities (and so by Run)
// when the target is a pdemu whose control plane refused the kit: it needs
// a control token (PDEMU_CONTROL_TOKEN), or is reached by a name it does
// not answer. Running on would skip every @emulator-only scenario as if
// the target had no control plane, which is not the truth.
var ErrControlPlaneRefused = errors.New("conformance: the target's control plane refused the kit")

// controlPlaneRefusals are the error codes of pdemu's control-plane guard.
var controlPlaneRefusals = map[string]bool{
	"control_token_required": true, "invalid_control_token": true,
	"control_host_not_allowed": true, "control_origin_not_allowed": true,
}

// DiscoverCapabilities asks the target's GET /_emulator/capabilities. Any
// answer but a 200 with a capability list means a server without a control
// plane, except a refusal by pdemu's control-plane guard, which is
// ErrControlPlaneRefused; a failure to reach the server at all is an
// error too.
func DiscoverCapabilities(ctx context.Context, client *http.Client, baseURL string) (Capabilities, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/_emulator/capabilities", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("conformance: cannot reach %s: %w", baseURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		var refusal struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&refusal) == nil && controlPlaneRefusals[refusal.Error] {
			// A 403 says which Host or Origin it refused and what to do.
			hint := refusal.Description
			if resp.StatusCode == http.StatusUnauthorized {
				hint = "set " + EnvControlToken + " to the token pdemu printed (or was given)"
			}
			return nil, fmt.Errorf("%w (%d %s): %s", ErrControlPlaneRefused, resp.StatusCode, refusal.Error, hint)
		}
	}
	if resp.StatusCode != http.StatusOK {
		return Capabilities{}, nil
	}
	var body struct {
		Capabilities []string `json:"capabilities"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return Capabilities{}, nil
	}
	return body.Capabilities, nil
}

// SkipReason says why a scenario cannot run against a target, or "" when
// it can.
func SkipReason(s Scenario, caps Capabilities, cfg Config) string {
	for _, t := range s.Tags {
		switch {
		case t == "@emulator-only" && !caps.IsEmulator():
			return "needs an emulator's control plane (/_emulator/capabilities): the target has none"
		case strings.HasPrefix(t, "@requires:"):
			need := strings.TrimPrefix(t, "@requires:")
			if need == "second-client" {
				if cfg.SecondClient.ClientID == "" && !caps.Has("admin_clients") {
					return "needs a second OAuth client: set " + EnvClientID2 + " and " + EnvClientSecret2
				}
				continue
			}
			if !caps.Has(need) {
				return fmt.Sprintf("needs the capability %q, which the target's control plane does not list", need)
			}
		case t == "@destructive" && !cfg.Destructive && !caps.IsEmulator():
			return "changes shared state (rotates or deletes clients) of a real server: run with --destructive to include it"
		}
	}
	return ""
}
