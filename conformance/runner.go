package conformance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cucumber/godog"

	"github.com/pdemu/pdemu/features"
)

// Status is how a scenario ended.
type Status string

// The outcomes a run reports.
const (
	Passed          Status = "passed"
	Failed          Status = "failed"
	Skipped         Status = "skipped"
	ExpectedFailure Status = "expected failure"
	// Stale is an expected failure that passed: the expectations file
	// should lose that entry.
	Stale Status = "passed, but listed as an expected failure"
)

// Result is one scenario's outcome.
type Result struct {
	Scenario Scenario
	Status   Status
	// Reason is why it failed or was skipped.
	Reason string
	// Cleanup lists what the scenario left behind on the target: changes
	// it could not undo.
	Cleanup []CleanupFailure
}

// Summary is a whole run's outcome.
type Summary struct {
	Results []Result
}

// Count returns how many scenarios ended with status s.
func (s Summary) Count(st Status) int {
	n := 0
	for _, r := range s.Results {
		if r.Status == st {
			n++
		}
	}
	return n
}

// LeftBehind returns the results of the scenarios whose cleanup failed:
// they left something on the target.
func (s Summary) LeftBehind() []Result {
	var out []Result
	for _, r := range s.Results {
		if len(r.Cleanup) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// OK reports whether the run passes: no unexpected failure, and nothing
// left behind on the target.
func (s Summary) OK() bool { return s.Count(Failed) == 0 && len(s.LeftBehind()) == 0 }

// recorder collects outcomes from godog's hooks, which may run at once.
type recorder struct {
	mu      sync.Mutex
	results map[string]Result
}

func (r *recorder) set(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[res.Scenario.Name] = res
}

// Options configures Run.
type Options struct {
	Config
	// Tags is a godog tag expression selecting scenarios ("" for all).
	Tags string
	// Format is godog's formatter list: "pretty", "progress",
	// "junit:FILE", "cucumber:FILE", comma-separated.
	Format string
	// Expected names scenarios that may fail without failing the run.
	Expected []string
	// Seed, when not zero, runs scenarios in an order shuffled by it.
	Seed int64
	// Output receives the formatters' output and the summary.
	Output io.Writer
	// FS holds the feature files (default: the embedded features).
	FS fs.FS
}

// ReadExpectations reads an expected-failures file: one scenario name a
// line; blank lines and lines starting with # are ignored.
func ReadExpectations(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// Run judges the target in opts against the selected scenarios, one at a
// time (a real server should not see bursts), and prints the formatters'
// output and a summary.
func Run(ctx context.Context, opts Options) (Summary, error) {
	cfg, err := opts.Config.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if opts.FS == nil {
		opts.FS = features.FS
	}
	if opts.Output == nil {
		opts.Output = os.Stdout
	}
	if opts.Format == "" {
		opts.Format = "progress"
	}
	all, err := Scenarios(opts.FS)
	if err != nil {
		return Summary{}, err
	}
	caps, err := DiscoverCapabilities(ctx, cfg.HTTPClient, cfg.BaseURL)
	if err != nil {
		return Summary{}, err
	}
	byName := map[string]Scenario{}
	for _, s := range all {
		byName[s.Name] = s
	}
	for _, name := range opts.Expected {
		if _, ok := byName[name]; !ok {
			return Summary{}, fmt.Errorf("conformance: the expectations name no scenario %q", name)
		}
	}
	rec := &recorder{results: map[string]Result{}}
	suite := godog.TestSuite{
		Name:                "pdemu conformance",
		ScenarioInitializer: (&suite{cfg: cfg, caps: caps, byName: byName, steps: newSteps(), rec: rec}).InitializeScenario,
		Options: &godog.Options{
			Format: opts.Format, Output: opts.Output, FS: opts.FS, Paths: []string{"."},
			Tags: opts.Tags, Strict: true, Randomize: opts.Seed, Concurrency: 1,
			DefaultContext: ctx,
		},
	}
	// The outcome is judged from the recorder, against the expectations;
	// godog's status only tells whether it could run at all.
	if status := suite.Run(); status != 0 && len(rec.results) == 0 {
		return Summary{}, fmt.Errorf("conformance: godog ran no scenario (status %d): check --format and --tags", status)
	}
	var sum Summary
	for _, s := range all {
		res, ran := rec.results[s.Name]
		if !ran {
			continue // not selected by the tags
		}
		if slices.Contains(opts.Expected, s.Name) {
			switch res.Status {
			case Failed:
				res.Status = ExpectedFailure
			case Passed:
				res.Status = Stale
			}
		}
		sum.Results = append(sum.Results, res)
	}
	printSummary(opts.Output, caps, sum)
	return sum, nil
}

func printSummary(w io.Writer, caps Capabilities, sum Summary) {
	target := "a server without a control plane"
	if caps.IsEmulator() {
		target = "an emulator (capabilities: " + strings.Join(caps, ", ") + ")"
	}
	fmt.Fprintf(w, "\nconformance against %s\n", target)
	for _, st := range []Status{Failed, Skipped, ExpectedFailure, Stale} {
		for _, r := range sum.Results {
			if r.Status == st {
				fmt.Fprintf(w, "  %-17s %s\n", strings.ToUpper(string(st[:1]))+string(st[1:]), r.Scenario.Name)
				if r.Reason != "" {
					fmt.Fprintf(w, "  %17s %s\n", "", firstLines(r.Reason, 3))
				}
			}
		}
	}
	// What a scenario could not undo is not a verdict on the server (the
	// scenario passed or failed on its own), but the server is not as the
	// run found it: said apart, with what is left.
	for _, r := range sum.LeftBehind() {
		fmt.Fprintf(w, "  %-17s %s\n", "Cleanup failed", r.Scenario.Name)
		for _, c := range r.Cleanup {
			fmt.Fprintf(w, "  %17s left behind %s: %s\n", "", c.What, firstLines(c.Error, 3))
		}
	}
	fmt.Fprintf(w, "conformance: %d passed, %d failed, %d skipped, %d expected failures, %d stale expectations, %d cleanup failures\n",
		sum.Count(Passed), sum.Count(Failed), sum.Count(Skipped), sum.Count(ExpectedFailure), sum.Count(Stale), len(sum.LeftBehind()))
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n                    ")
}

// RunTests runs every scenario as a Go subtest of t (TestConformance/<name>),
// in a random order, several at once: scenarios tagged @serial (they move
// the clock or reset) run first, one at a time, the rest in parallel. A
// scenario the target cannot run is skipped with the reason; undefined or
// pending steps fail.
func RunTests(t *testing.T, cfg Config) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	all, err := Scenarios(features.FS)
	if err != nil {
		t.Fatal(err)
	}
	caps, err := DiscoverCapabilities(context.Background(), cfg.HTTPClient, cfg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Scenario{}
	for _, s := range all {
		if _, dup := byName[s.Name]; dup {
			t.Fatalf("two scenarios are named %q: names must be unique (outlines: put a placeholder in the title)", s.Name)
		}
		byName[s.Name] = s
	}
	seed := rand.Int64()
	t.Logf("scenario order seed %d", seed)
	r := rand.New(rand.NewPCG(uint64(seed), 0))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	// Serial scenarios first: subtests that don't call t.Parallel run (one
	// at a time) before any parallel one starts.
	slices.SortStableFunc(all, func(a, b Scenario) int {
		return boolInt(!a.HasTag("@serial")) - boolInt(!b.HasTag("@serial"))
	})
	// The rows of an outline share a feature line, and godog filters by
	// line only: the first row's subtest runs the whole outline once, and
	// every row reports its own recorded outcome.
	type group struct {
		once sync.Once
		rec  *recorder
		out  bytes.Buffer
		ran  int
	}
	defs := newSteps() // compiled once for every group's suite
	groups := map[string]*group{}
	for _, s := range all {
		if groups[s.Path] == nil {
			groups[s.Path] = &group{rec: &recorder{results: map[string]Result{}}}
		}
	}
	for _, s := range all {
		g := groups[s.Path]
		t.Run(s.Name, func(t *testing.T) {
			if reason := SkipReason(s, caps, cfg); reason != "" {
				t.Skip(reason)
			}
			if !s.HasTag("@serial") {
				t.Parallel()
			}
			g.once.Do(func() {
				g.ran = godog.TestSuite{
					Name:                s.Path,
					ScenarioInitializer: (&suite{cfg: cfg, caps: caps, byName: byName, steps: defs, rec: g.rec}).InitializeScenario,
					Options: &godog.Options{
						Format: "pretty", NoColors: true, Output: &g.out, FS: features.FS,
						Paths: []string{s.Path}, Strict: true,
					},
				}.Run()
			})
			g.rec.mu.Lock()
			res, ran := g.rec.results[s.Name]
			g.rec.mu.Unlock()
			switch {
			case !ran:
				t.Fatalf("the scenario did not run (godog status %d):\n%s", g.ran, g.out.String())
			case res.Status == Failed:
				t.Errorf("%s\n%s", res.Reason, scenarioOutput(g.out.String()))
			}
			for _, c := range res.Cleanup {
				t.Errorf("the scenario left behind %s: %s", c.What, c.Error)
			}
		})
	}
}

// scenarioOutput cuts godog's pretty output of an outline down to its
// failed steps when it can, so a failing row's report is short.
func scenarioOutput(out string) string {
	if i := strings.Index(out, "--- Failed steps:"); i >= 0 {
		return out[i:]
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
