package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"github.com/pdemu/pdemu/features"
)

// Options configures Run.
type Options struct {
	Config
	// Tags is a godog tag expression selecting scenarios ("" for all).
	Tags string
	// Format is the formatter list, comma-separated: godog's "pretty" and
	// "progress" stream the run; "junit" and "cucumber", the kit's own,
	// are written after it with the verdicts and their reasons, each to
	// its file ("junit:FILE") or to Output.
	Format string
	// ExpectedFailures lists the scenarios that may fail without failing
	// the run; one that passes fails it (Stale).
	ExpectedFailures Ledger
	// ExpectedSkips, when not nil, lists the scenarios that may be
	// skipped: a skip it does not list fails the run (UnexpectedSkip), and
	// so does a pass it lists (StaleSkip). When nil, skips fail nothing.
	ExpectedSkips *Ledger
	// Only, when not nil, names the scenarios to run, and no other (the
	// tags still select among them): a rerun of what failed, say.
	Only []string
	// Seed, when not zero, runs scenarios in an order shuffled by it.
	Seed int64
	// Output receives the formatters' output and the summary.
	Output io.Writer
	// FS holds the feature files (default: the embedded features).
	FS fs.FS
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
	if err := opts.ExpectedFailures.Check(all); err != nil {
		return Summary{}, fmt.Errorf("conformance: %w", err)
	}
	if opts.ExpectedSkips != nil {
		if err := opts.ExpectedSkips.Check(all); err != nil {
			return Summary{}, fmt.Errorf("conformance: %w", err)
		}
	}
	fsys := opts.FS
	if opts.Only != nil {
		if len(opts.Only) == 0 {
			return Summary{}, errors.New("conformance: the run is to hold only the scenarios named, and none is")
		}
		if fsys, err = onlyScenarios(opts.FS, opts.Only); err != nil {
			return Summary{}, err
		}
	}
	streamed, kit := splitFormats(opts.Format)
	streamOut := opts.Output
	if streamed == "" {
		// godog wants a formatter; only the kit's were asked for.
		streamed, streamOut = "progress", io.Discard
	}
	rec := &recorder{results: map[string]Result{}}
	ts := godog.TestSuite{
		Name:                "pdemu conformance",
		ScenarioInitializer: (&suite{cfg: cfg, caps: caps, byName: byName, steps: newSteps(), rec: rec, keys: &keySets{}}).InitializeScenario,
		Options: &godog.Options{
			Format: streamed, Output: streamOut, FS: fsys, Paths: []string{"."},
			Tags: opts.Tags, Strict: true, Randomize: opts.Seed, Concurrency: 1,
			DefaultContext: ctx,
		},
	}
	sum := Summary{BaseURL: cfg.BaseURL, Capabilities: caps, Tags: opts.Tags, Seed: opts.Seed, Started: time.Now()}
	// The outcome is judged from the recorder, against the ledgers;
	// godog's status only tells whether it could run at all.
	if status := ts.Run(); status != 0 && len(rec.results) == 0 {
		return Summary{}, fmt.Errorf("conformance: godog ran no scenario (status %d): check --format and --tags", status)
	}
	sum.Duration = time.Since(sum.Started)
	for _, s := range all {
		res, ran := rec.results[s.Name]
		if !ran {
			continue // not selected
		}
		sum.Results = append(sum.Results, judge(res, opts.ExpectedFailures, opts.ExpectedSkips))
	}
	for _, f := range kit {
		if err := f.writeTo(sum, opts.Output); err != nil {
			return sum, err
		}
	}
	printSummary(opts.Output, caps, sum)
	return sum, nil
}

// summaryOrder is the order of the summary's sections: what fails the run
// first.
var summaryOrder = []Status{Failed, UnexpectedSkip, Stale, StaleSkip, ExpectedFailure, Skipped}

func printSummary(w io.Writer, caps Capabilities, sum Summary) {
	target := "a server without a control plane"
	if caps.IsEmulator() {
		target = "an emulator (capabilities: " + strings.Join(caps, ", ") + ")"
	}
	fmt.Fprintf(w, "\nconformance against %s\n", target)
	for _, st := range summaryOrder {
		for _, r := range sum.Results {
			if r.Status != st {
				continue
			}
			fmt.Fprintf(w, "  %-17s %s\n", strings.ToUpper(string(st[:1]))+string(st[1:]), r.Scenario.Name)
			if e := r.Expectation; e != nil {
				fmt.Fprintf(w, "  %17s listed in %s:%d: %s\n", "", e.Source, e.Line, e)
			}
			if r.Reason != "" {
				fmt.Fprintf(w, "  %17s %s\n", "", firstLines(r.Reason, 3))
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
	fmt.Fprintf(w, "conformance: %d passed, %d failed, %d skipped, %d expected failures, %d stale expectations, %d unexpected skips, %d cleanup failures\n",
		sum.Count(Passed), sum.Count(Failed), sum.Count(Skipped), sum.Count(ExpectedFailure),
		sum.Count(Stale)+sum.Count(StaleSkip), sum.Count(UnexpectedSkip), len(sum.LeftBehind()))
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
	keys := &keySets{} // fetched once for every group's suite
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
					ScenarioInitializer: (&suite{cfg: cfg, caps: caps, byName: byName, steps: defs, rec: g.rec, keys: keys}).InitializeScenario,
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
