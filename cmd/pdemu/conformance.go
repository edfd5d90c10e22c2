package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/features"
)

// conformanceConfig is what `pdemu conformance` was asked for.
type conformanceConfig struct {
	baseURL      string
	projectID    string
	tags         string
	format       string
	expectFile   string
	skipFile     string
	strictExpect bool
	destructive  bool
	seed         int64
	list         bool
	report       string
	rerunFailed  string
}

const conformanceUsageText = `Usage:
  pdemu conformance [flags]

conformance runs the conformance kit, the Gherkin scenarios embedded in
pdemu (features/*.feature; docs/conformance.md lists them), against a
server that claims to be Pipedream's API: pdemu, Pipedream itself, a proxy
or a re-implementation. It speaks only HTTP to the base URL and reads the
rest from the environment, as the official SDKs do:

  PIPEDREAM_BASE_URL                 the server (or --base-url)
  PIPEDREAM_CLIENT_ID                an OAuth client of the server (required)
  PIPEDREAM_CLIENT_SECRET            its secret (required)
  PIPEDREAM_PROJECT_ID               a project the client may use (or --project-id)
  PIPEDREAM_PROJECT_ENVIRONMENT      development (the default) or production
  PDEMU_CONFORMANCE_CLIENT_ID_2      a second client of the same workspace, for
  PDEMU_CONFORMANCE_CLIENT_SECRET_2  cross-client scenarios (optional)
  PDEMU_CONTROL_TOKEN                pdemu's control token, when it has one (sent
                                     only to the server's /_emulator/ paths)

The kit asks the server for /_emulator/capabilities. Scenarios the server
can't be driven to run are reported as skipped with the reason, never as
passed: @emulator-only and @requires:<capability> ones against a server
without that control plane, @destructive ones (they rotate or delete
clients) against a real server unless --destructive is given.

The server is left as the run found it: what a scenario creates is deleted
after it, and a clock it moves is put back. What cannot be undone is
reported with the scenario, and fails the run.

Exit status: 0 when every selected scenario passed, was skipped or failed
as the ledgers allow; 1 when one failed unexpectedly, was skipped though
--expect-skip does not list it, or contradicts its ledger entry (it
passed), or when a scenario could not undo what it changed on the server;
2 for a command line or environment it cannot act on (a pdemu whose
control plane refuses the kit, for want of PDEMU_CONTROL_TOKEN, among them).
The ledgers' format is in docs/conformance-reports.md.

Flags of conformance:
`

// newConformanceFlagSet is shared by conformance and help, so the help
// lists exactly the flags conformance parses. The environment's defaults
// are applied after parsing, so the help names the variables rather than
// showing their values.
func newConformanceFlagSet(cfg *conformanceConfig) *flag.FlagSet {
	fs := flag.NewFlagSet("pdemu conformance", flag.ContinueOnError)
	fs.StringVar(&cfg.baseURL, "base-url", "", "`URL` of the server to judge (default $"+conformance.EnvBaseURL+")")
	fs.StringVar(&cfg.projectID, "project-id", "", "`id` of a project the client may use, proj_... (default $"+conformance.EnvProjectID+")")
	fs.StringVar(&cfg.tags, "tags", "", "run only the scenarios this tag `expression` selects: @a,@b is @a or @b;\n"+
		"@a && ~@b is @a and not @b (default: all)")
	fs.StringVar(&cfg.format, "format", "progress", "`formatters`, comma-separated: pretty or progress stream the run;\n"+
		"junit:FILE and cucumber:FILE are written after it, with every skip's\n"+
		"and failure's reason and ledger entry (without :FILE, to stdout)")
	fs.StringVar(&cfg.expectFile, "expect", "", "ledger `file` of the scenarios this server may fail, each with its\n"+
		"reason (and a link); one that passes fails the run, as stale")
	fs.StringVar(&cfg.skipFile, "expect-skip", "", "ledger `file` of the scenarios (or @tags) this server may skip, each\n"+
		"with its reason; with it, any other skip fails the run, and so does\n"+
		"a listed scenario that passes")
	fs.BoolVar(&cfg.strictExpect, "strict-expect", false, "kept for old scripts: a stale expectation always fails the run now")
	fs.BoolVar(&cfg.destructive, "destructive", false, "also run the @destructive scenarios, which rotate or delete clients,\n"+
		"against a real server (an emulator always runs them)")
	fs.Int64Var(&cfg.seed, "seed", 0, "shuffle the scenarios' order with this `number`; 0 keeps the files'\n"+
		"order, -1 picks a number and prints it")
	fs.StringVar(&cfg.report, "report", "", "write the run's JSON report to `file`: every scenario's outcome, reason,\n"+
		"ledger entry, steps and cleanup failures (docs/conformance-reports.md)")
	fs.StringVar(&cfg.rerunFailed, "rerun-failed", "", "run only the scenarios whose outcome failed the run that wrote this\n"+
		"`report` (--report): failures, unexpected skips, stale entries, cleanups")
	fs.BoolVar(&cfg.list, "list", false, "print every scenario (with --tags, the selected ones) with its tags and\n"+
		"the spec clause it checks, and exit; needs no server. With --format json,\n"+
		"the manifest: the same as JSON, for tools")
	return fs
}

func printConformanceUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, conformanceUsageText)
	printFlags(w, fs, "")
}

// runConformance is `pdemu conformance`; getenv is os.Getenv but in tests.
func runConformance(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (err error) {
	var cfg conformanceConfig
	fs := newConformanceFlagSet(&cfg)
	if _, err := parseFlags(fs, "conformance", args, "", getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printConformanceUsage(stdout, newConformanceFlagSet(&conformanceConfig{}))
			return nil
		}
		return err
	}
	defer func() { err = withHint(err, "conformance") }()
	if cfg.baseURL == "" {
		cfg.baseURL = getenv(conformance.EnvBaseURL)
	}
	if cfg.projectID == "" {
		cfg.projectID = getenv(conformance.EnvProjectID)
	}

	all, err := conformance.Scenarios(features.FS)
	if err != nil {
		return fmt.Errorf("conformance: the embedded features: %w", err)
	}
	selected, err := selectByTags(all, cfg.tags)
	if err != nil {
		return err
	}
	var only []string
	if cfg.rerunFailed != "" {
		if only, err = failedIn(cfg.rerunFailed, all); err != nil {
			return err
		}
		if len(only) == 0 {
			fmt.Fprintf(stdout, "conformance: nothing failed the run %s records: nothing to rerun\n", cfg.rerunFailed)
			return nil
		}
		selected = slices.DeleteFunc(selected, func(s conformance.Scenario) bool { return !slices.Contains(only, s.Name) })
		if len(selected) == 0 && !cfg.list {
			return usageErrorf("--tags %q selects none of the %s that failed the run %s records", cfg.tags, plural(len(only), "scenario"), cfg.rerunFailed)
		}
	}
	if cfg.list {
		format := "text"
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "format" {
				format = cfg.format
			}
		})
		switch format {
		case "text":
			return conformance.List(stdout, selected)
		case "json":
			return conformance.WriteManifest(stdout, selected)
		}
		return usageErrorf("--list prints --format text (the default) or json, not %q", format)
	}
	if len(selected) == 0 {
		return usageErrorf("--tags %q selects no scenario; pdemu conformance --list shows every scenario's tags", cfg.tags)
	}
	if err := checkFormat(cfg.format); err != nil {
		return err
	}
	if cfg.report != "" {
		if err := checkFolder("--report", cfg.report); err != nil {
			return err
		}
	}
	target, err := conformanceTarget(cfg, getenv)
	if err != nil {
		return err
	}
	var failures conformance.Ledger
	if cfg.expectFile != "" {
		if failures, err = readLedger("--expect", cfg.expectFile, conformance.FailureLedger, all); err != nil {
			return err
		}
	}
	var skips *conformance.Ledger
	if cfg.skipFile != "" {
		l, err := readLedger("--expect-skip", cfg.skipFile, conformance.SkipLedger, all)
		if err != nil {
			return err
		}
		skips = &l
	}
	if cfg.seed == -1 {
		cfg.seed = rand.Int64N(1<<53) + 1
		fmt.Fprintf(stdout, "conformance: scenario order seed %d (rerun with --seed %d)\n", cfg.seed, cfg.seed)
	}

	out := stdout
	if !colorTerminal(stdout, getenv) {
		// godog colours pretty and progress output wherever it goes.
		out = &plainWriter{w: stdout}
	}
	sum, err := conformance.Run(ctx, conformance.Options{
		Config: target, Tags: cfg.tags, Format: cfg.format, ExpectedFailures: failures, ExpectedSkips: skips,
		Only: only, Seed: cfg.seed, Output: out,
	})
	if errors.Is(err, conformance.ErrControlPlaneRefused) {
		// Nothing ran: the environment lacks what the target asks for.
		return &usageError{err: err}
	}
	if err != nil {
		return err
	}
	if cfg.report != "" {
		if err := writeReport(cfg.report, sum); err != nil {
			return err
		}
	}
	return verdict(sum, len(selected))
}

// failedIn reads a report --report wrote and returns the names of the
// scenarios whose outcome failed that run, refusing one the features no
// longer have.
func failedIn(path string, all []conformance.Scenario) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErrorf("--rerun-failed: %v", err)
	}
	defer f.Close()
	rep, err := conformance.ReadReport(f)
	if err != nil {
		return nil, usageErrorf("--rerun-failed %s: %v", path, err)
	}
	names := rep.Failed()
	for _, n := range names {
		if !slices.ContainsFunc(all, func(s conformance.Scenario) bool { return s.Name == n }) {
			return nil, usageErrorf("--rerun-failed %s: the report names a scenario the kit no longer has: %q", path, n)
		}
	}
	return names, nil
}

// writeReport writes the run's JSON report to path.
func writeReport(path string, sum conformance.Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	if err := sum.WriteReport(f); err != nil {
		f.Close()
		return fmt.Errorf("--report %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--report %s: %w", path, err)
	}
	return nil
}

// verdict turns a run's summary into the exit status: an error saying
// every reason the run fails, nil for a pass.
func verdict(sum conformance.Summary, selected int) error {
	if len(sum.Results) == 0 {
		// The selection was not empty, so nothing ran at all: godog refused
		// its options (it says why on stderr).
		return fmt.Errorf("conformance: none of the %d selected scenarios ran", selected)
	}
	var why []string
	if n := sum.Count(conformance.Failed); n > 0 {
		why = append(why, fmt.Sprintf("%s of %d failed", plural(n, "scenario"), len(sum.Results)))
	}
	if n := sum.Count(conformance.UnexpectedSkip); n > 0 {
		why = append(why, fmt.Sprintf("%s skipped that --expect-skip does not list", plural(n, "scenario")))
	}
	if n := sum.Count(conformance.Stale); n > 0 {
		why = append(why, fmt.Sprintf("%s passed: remove %s from --expect", plural(n, "expected failure"), itOrThem(n)))
	}
	if n := sum.Count(conformance.StaleSkip); n > 0 {
		why = append(why, fmt.Sprintf("%s ran and passed: --expect-skip should not list %s", plural(n, "expected skip"), itOrThem(n)))
	}
	if n := len(sum.LeftBehind()); n > 0 {
		why = append(why, fmt.Sprintf("%s left something behind on the server (\"Cleanup failed\" above says what)", plural(n, "scenario")))
	}
	if len(why) > 0 {
		return errors.New("conformance: " + strings.Join(why, "; "))
	}
	return nil
}

func itOrThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// conformanceTarget gathers the server and credentials from the flags and
// the environment, naming every variable that is missing.
func conformanceTarget(cfg conformanceConfig, getenv func(string) string) (conformance.Config, error) {
	c := conformance.FromEnv(getenv)
	c.BaseURL, c.ProjectID, c.Destructive = cfg.baseURL, cfg.projectID, cfg.destructive
	var missing []string
	if c.BaseURL == "" {
		missing = append(missing, "no server: pass --base-url or set "+conformance.EnvBaseURL)
	} else if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return c, usageErrorf("invalid --base-url %q: want an http:// or https:// URL", c.BaseURL)
	}
	for _, v := range []struct{ name, value string }{
		{conformance.EnvClientID, c.Client.ClientID}, {conformance.EnvClientSecret, c.Client.ClientSecret},
	} {
		if v.value == "" {
			missing = append(missing, v.name+" is not set")
		}
	}
	if c.ProjectID == "" {
		missing = append(missing, "no project: pass --project-id or set "+conformance.EnvProjectID)
	}
	if c.Environment != "" && !conformance.ValidEnvironment(c.Environment) {
		missing = append(missing, conformance.EnvEnvironment+" is "+strconv.Quote(c.Environment)+": want development or production")
	}
	if (c.SecondClient.ClientID == "") != (c.SecondClient.ClientSecret == "") {
		missing = append(missing, "the second client needs both "+conformance.EnvClientID2+" and "+conformance.EnvClientSecret2)
	}
	if len(missing) > 0 {
		return c, usageErrorf("conformance: %s", strings.Join(missing, "; "))
	}
	return c, nil
}

// readLedger reads the ledger a flag names, refusing an entry that
// matches no scenario: a typo there would otherwise excuse nothing and go
// unnoticed.
func readLedger(flagName, path string, kind conformance.LedgerKind, all []conformance.Scenario) (conformance.Ledger, error) {
	f, err := os.Open(path)
	if err != nil {
		return conformance.Ledger{}, usageErrorf("%s: %v", flagName, err)
	}
	defer f.Close()
	l, err := conformance.ReadLedger(f, path, kind)
	if err == nil {
		err = l.Check(all)
	}
	if err != nil {
		return conformance.Ledger{}, usageErrorf("%s %v", flagName, err)
	}
	return l, nil
}

// checkFormat refuses what godog would refuse only once the run has begun,
// with a message on stderr and no results.
func checkFormat(format string) error {
	known := godog.AvailableFormatters()
	for part := range strings.SplitSeq(format, ",") {
		name, file, hasFile := strings.Cut(strings.TrimSpace(part), ":")
		if _, ok := known[name]; !ok {
			names := make([]string, 0, len(known))
			for n := range known {
				names = append(names, n)
			}
			slices.Sort(names)
			return usageErrorf("invalid --format %q: unknown formatter %q; known: %s", format, name, strings.Join(names, ", "))
		}
		if hasFile {
			if file == "" {
				return usageErrorf("invalid --format %q: %s: wants a file name after the colon", format, name)
			}
			if err := checkFolder("invalid --format "+strconv.Quote(format)+":", file); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkFolder refuses, before the run rather than after it, a file whose
// folder does not exist.
func checkFolder(what, file string) error {
	if st, err := os.Stat(filepath.Dir(file)); err != nil || !st.IsDir() {
		return usageErrorf("%s the folder of %s does not exist", what, file)
	}
	return nil
}

// selectByTags returns the scenarios a godog tag expression selects, with
// godog's meaning: commas separate alternatives, && joins terms, ~ negates
// a term. It also refuses expressions godog would choke on.
func selectByTags(all []conformance.Scenario, expr string) ([]conformance.Scenario, error) {
	if strings.TrimSpace(expr) == "" {
		return all, nil
	}
	type term struct {
		tag string
		not bool
	}
	var alternatives [][]term
	for alt := range strings.SplitSeq(expr, ",") {
		var terms []term
		for t := range strings.SplitSeq(alt, "&&") {
			t = strings.TrimSpace(t)
			// As godog does: drop every @, then a leading ~ negates.
			tag := strings.ReplaceAll(t, "@", "")
			not := strings.HasPrefix(tag, "~")
			tag = strings.TrimSpace(strings.TrimPrefix(tag, "~"))
			if tag == "" || strings.ContainsAny(tag, " \t") {
				return nil, usageErrorf("invalid --tags %q: want tags joined by && (and) or , (or), each maybe negated by ~, such as \"@core && ~@destructive\"", expr)
			}
			terms = append(terms, term{"@" + tag, not})
		}
		alternatives = append(alternatives, terms)
	}
	var out []conformance.Scenario
	for _, s := range all {
		for _, terms := range alternatives {
			if !slices.ContainsFunc(terms, func(t term) bool { return s.HasTag(t.tag) == t.not }) {
				out = append(out, s)
				break
			}
		}
	}
	return out, nil
}

// colorTerminal reports whether w is a terminal that wants colours: not a
// file or a pipe, and no NO_COLOR (https://no-color.org) in the environment.
func colorTerminal(w io.Writer, getenv func(string) string) bool {
	f, ok := w.(*os.File)
	if !ok || getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// plainWriter drops ANSI escape sequences (ESC [ ... final byte), so logs
// and files get the formatters' text without colour codes. A sequence cut
// between two writes is held back until its end arrives.
type plainWriter struct {
	w       io.Writer
	pending []byte
}

func (p *plainWriter) Write(b []byte) (int, error) {
	in := append(p.pending, b...)
	p.pending = nil
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		if in[i] != 0x1b {
			out = append(out, in[i])
			continue
		}
		j := i + 1
		if j == len(in) {
			p.pending = append(p.pending, in[i:]...)
			break
		}
		if in[j] != '[' {
			out = append(out, in[i])
			continue
		}
		for j++; j < len(in) && (in[j] < 0x40 || in[j] > 0x7e); j++ {
		}
		if j == len(in) {
			p.pending = append(p.pending, in[i:]...)
			break
		}
		i = j
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
