package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/features"
	"github.com/pdemu/pdemu/testutil"
)

// envOf turns KEY=VALUE lines into the getenv runConformance reads, so
// tests never depend on (or change) the process's environment.
func envOf(lines ...string) func(string) string {
	env := map[string]string{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "=")
		env[k] = v
	}
	return func(k string) string { return env[k] }
}

// conformanceRun runs `pdemu conformance args...` with env and returns
// its output, its error and the exit status main would give it.
func conformanceRun(t *testing.T, env func(string) string, args ...string) (stdout, stderr string, err error, status int) {
	t.Helper()
	var out, errOut syncBuffer
	err = runConformance(t.Context(), args, &out, &errOut, env)
	var report strings.Builder
	status = exitStatus(&report, err)
	return out.String(), errOut.String() + report.String(), err, status
}

// summaryRe matches the kit's last line.
var summaryRe = regexp.MustCompile(`conformance: (\d+) passed, (\d+) failed, (\d+) skipped, (\d+) expected failures, (\d+) stale expectations, (\d+) unexpected skips, (\d+) cleanup failures\n`)

// counts are the summary's numbers: scenarios by outcome, and those whose
// cleanup failed (which also have an outcome, so total leaves them out).
type counts struct{ passed, failed, skipped, expected, stale, unexpectedSkips, leftBehind int }

func (c counts) total() int {
	return c.passed + c.failed + c.skipped + c.expected + c.stale + c.unexpectedSkips
}

func summaryCounts(t *testing.T, stdout string) counts {
	t.Helper()
	m := summaryRe.FindStringSubmatch(stdout)
	require.NotNil(t, m, "no summary line in the output:\n%s", stdout)
	n := make([]int, len(m)-1)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return counts{n[0], n[1], n[2], n[3], n[4], n[5], n[6]}
}

func allScenarios(t *testing.T) []conformance.Scenario {
	t.Helper()
	all, err := conformance.Scenarios(features.FS)
	require.NoError(t, err)
	require.NotEmpty(t, all)
	return all
}

// TestConformanceAgainstEmulator runs the whole kit through the command
// line against an in-process emulator: every scenario passes.
func TestConformanceAgainstEmulator(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	stdout, stderr, err, status := conformanceRun(t, envOf(srv.Env()...), "--seed", "-1")
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, 0, status)
	c := summaryCounts(t, stdout)
	t.Logf("pdemu: %d passed, %d failed, %d skipped", c.passed, c.failed, c.skipped)
	assert.Equal(t, len(allScenarios(t)), c.total(), "every scenario has an outcome")
	assert.Zero(t, c.failed, "no scenario fails against pdemu:\n%s", stdout)
	assert.Positive(t, c.passed)
	assert.Contains(t, stdout, "conformance against an emulator (capabilities: ")
	assert.Contains(t, stdout, "scenario order seed ")
	assert.NotContains(t, stdout, "\x1b[", "output to a non-terminal carries no colour codes")
}

// quickTags selects a part of the suite that runs alone on an emulator of
// its own: enough to check what the command does with the outcomes.
const quickTags = "@core && ~@serial && ~@destructive"

// ledger writes a ledger file of entries (name, reason) and returns its path.
func ledger(t *testing.T, entries ...[2]string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# written by a test\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "\n%s\n    reason: %s\n", e[0], e[1])
	}
	path := filepath.Join(t.TempDir(), "ledger.txt")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// TestConformanceExpectations: each subtest judges an emulator of its own,
// since the runs it compares must not see each other's changes.
func TestConformanceExpectations(t *testing.T) {
	t.Parallel()
	quick, err := selectByTags(allScenarios(t), quickTags)
	require.NoError(t, err)
	require.NotEmpty(t, quick)
	passing := quick[0].Name
	expect := filepath.Join(t.TempDir(), "expect.txt")
	require.NoError(t, os.WriteFile(expect, []byte("# known failures of this target\n\n"+passing+
		"\n    reason: a bug we have\n    link: https://example.com/issues/1\n"), 0o600))

	for _, args := range [][]string{{}, {"--strict-expect"}} {
		t.Run("a passing expectation is stale and fails the run "+strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			env := envOf(testutil.NewServer(t).Env()...)
			stdout, stderr, err, status := conformanceRun(t, env, append([]string{"--tags", quickTags, "--expect", expect}, args...)...)
			require.Error(t, err)
			assert.Equal(t, 1, status)
			assert.Equal(t, 1, summaryCounts(t, stdout).stale)
			assert.Contains(t, stdout, "Passed, but listed as an expected failure "+passing+"\n"+
				"                    listed in "+expect+":3: a bug we have (https://example.com/issues/1)\n")
			assert.Contains(t, stderr, "1 expected failure passed: remove it from --expect")
		})
	}
	t.Run("an expected failure does not fail the run", func(t *testing.T) {
		t.Parallel()
		// A wrong secret makes every scenario that needs a token fail;
		// expecting exactly those passes the run.
		wrong := envOf(append(testutil.NewServer(t).Env(), "PIPEDREAM_CLIENT_SECRET=not-the-secret")...)
		stdout, _, err, status := conformanceRun(t, wrong, "--tags", quickTags)
		require.Error(t, err)
		require.Equal(t, 1, status)
		c := summaryCounts(t, stdout)
		require.Positive(t, c.failed)
		var failed [][2]string
		for _, s := range allScenarios(t) {
			if strings.Contains(stdout, "  Failed            "+s.Name+"\n") {
				failed = append(failed, [2]string{s.Name, "the secret is wrong on purpose"})
			}
		}
		require.Len(t, failed, c.failed, "every failure is listed in the summary:\n%s", stdout)
		file := ledger(t, failed...)
		stdout, stderr, err, status := conformanceRun(t, wrong, "--tags", quickTags, "--expect", file)
		require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		assert.Equal(t, 0, status)
		c2 := summaryCounts(t, stdout)
		assert.Equal(t, counts{passed: c.passed, skipped: c.skipped, expected: c.failed}, c2)
		assert.Contains(t, stdout, "  Expected failure  "+failed[0][0]+"\n                    listed in "+file+":3: the secret is wrong on purpose\n")
	})
}

// proxyTo starts a proxy to srv and returns its URL; intercept answers
// what it wants to (and says so), the rest reaches srv. The proxy's
// loopback Host goes along, so srv's control plane accepts what passes.
func proxyTo(t *testing.T, srv *testutil.Server, intercept func(http.ResponseWriter, *http.Request) bool) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	upstream := httputil.NewSingleHostReverseProxy(u)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			upstream.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(proxy.Close)
	return proxy.URL
}

// withoutControlPlane is a proxy to srv that hides its control plane: the
// kit sees a server like Pipedream's.
func withoutControlPlane(t *testing.T, srv *testutil.Server) string {
	t.Helper()
	return proxyTo(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.URL.Path, "/_emulator/") {
			http.NotFound(w, r)
			return true
		}
		return false
	})
}

// TestConformanceExpectedSkips: with --expect-skip, the ledger is the whole
// list of what may be skipped: a skip it lists (here by tag) passes, one it
// does not fails the run, and so does a listed scenario that runs and
// passes. Without it, skips fail nothing (TestConformanceTags and the
// mock-server test run so).
func TestConformanceExpectedSkips(t *testing.T) {
	t.Parallel()
	const tags = "@requires:admin_clients"
	selected, err := selectByTags(allScenarios(t), tags)
	require.NoError(t, err)
	noControlPlane := ledger(t, [2]string{"@emulator-only", "Pipedream has no control plane"})
	onlyDestructive := ledger(t, [2]string{"@destructive", "we do not rotate shared clients"})

	for _, tc := range []struct {
		name          string
		hidden        bool // the control plane is hidden
		ledger        string
		status        int
		want          func(t *testing.T, c counts)
		stdout, error string
	}{
		{"a skip the ledger lists", true, noControlPlane, 0, func(t *testing.T, c counts) {
			assert.Equal(t, counts{skipped: len(selected)}, c)
		}, "                    listed in " + noControlPlane + ":3: Pipedream has no control plane\n", ""},
		{"a skip the ledger does not list", true, onlyDestructive, 1, func(t *testing.T, c counts) {
			assert.Positive(t, c.skipped, "the @destructive ones are listed")
			assert.Positive(t, c.unexpectedSkips)
			assert.Equal(t, len(selected), c.skipped+c.unexpectedSkips)
		}, "  Skipped, but not listed as an expected skip ", "skipped that --expect-skip does not list"},
		{"a listed skip that runs and passes", false, noControlPlane, 1, func(t *testing.T, c counts) {
			assert.Equal(t, counts{stale: len(selected)}, c)
		}, "  Passed, but listed as an expected skip ", "expected skips ran and passed: --expect-skip should not list them"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := testutil.NewServer(t)
			env := srv.Env()
			if tc.hidden {
				env = append(env, "PIPEDREAM_BASE_URL="+withoutControlPlane(t, srv))
			}
			stdout, stderr, err, status := conformanceRun(t, envOf(env...), "--tags", tags, "--expect-skip", tc.ledger)
			assert.Equal(t, tc.status, status, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Equal(t, tc.status != 0, err != nil)
			tc.want(t, summaryCounts(t, stdout))
			assert.Contains(t, stdout, tc.stdout)
			assert.Contains(t, stderr, tc.error)
		})
	}
}

// TestConformanceWrongSecretFails: a run with a failure exits 1 and says
// what failed, with the server's answer.
func TestConformanceWrongSecretFails(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	env := envOf(append(srv.Env(), "PIPEDREAM_CLIENT_SECRET=not-the-secret")...)
	stdout, stderr, err, status := conformanceRun(t, env, "--tags", quickTags)
	require.Error(t, err)
	assert.Equal(t, 1, status)
	assert.Contains(t, stdout, "  Failed            A client gets a token with the JSON body the SDKs send\n")
	assert.Contains(t, stdout, "401")
	assert.Regexp(t, `pdemu: conformance: \d+ scenarios? of \d+ failed\n`, stderr)
	assert.NotContains(t, stdout+stderr, srv.Credentials.ClientSecret)
}

func TestConformanceTags(t *testing.T) {
	t.Parallel()
	all := allScenarios(t)
	for _, expr := range []string{"@rfc6749", "@serial,@destructive", quickTags, "@rfc6749 && ~@core"} {
		want, err := selectByTags(all, expr)
		require.NoError(t, err)
		if len(want) == 0 {
			continue // the features carry no such scenario (yet)
		}
		t.Run(expr, func(t *testing.T) {
			t.Parallel()
			// An emulator of its own: some selections move its clock.
			env := envOf(testutil.NewServer(t).Env()...)
			stdout, stderr, err, _ := conformanceRun(t, env, "--tags", expr)
			require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Equal(t, len(want), summaryCounts(t, stdout).total())
		})
	}
}

func TestSelectByTags(t *testing.T) {
	t.Parallel()
	all := []conformance.Scenario{
		{Name: "a", Tags: []string{"@core"}},
		{Name: "b", Tags: []string{"@core", "@serial"}},
		{Name: "c", Tags: []string{"@emulator-only", "@requires:clock"}},
		{Name: "d"},
	}
	for expr, want := range map[string]string{
		"":                          "abcd",
		"@core":                     "ab",
		"core":                      "ab",
		"~@core":                    "cd",
		"@core && ~@serial":         "a",
		"@serial,@requires:clock":   "bc",
		"@core&&@serial , ~@core":   "bcd",
		"@nothing":                  "",
		"@emulator-only && ~@core ": "c",
	} {
		got, err := selectByTags(all, expr)
		require.NoError(t, err, expr)
		var names string
		for _, s := range got {
			names += s.Name
		}
		assert.Equal(t, want, names, "--tags %q", expr)
	}
	for _, bad := range []string{"@a,", "&& @a", "~", "@a b"} {
		_, err := selectByTags(all, bad)
		assert.Error(t, err, "--tags %q", bad)
	}
}

func TestConformanceJUnit(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	file := filepath.Join(t.TempDir(), "report.xml")
	stdout, stderr, err, _ := conformanceRun(t, envOf(srv.Env()...), "--tags", quickTags, "--format", "progress,junit:"+file)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	var report struct {
		XMLName xml.Name `xml:"testsuites"`
		Tests   int      `xml:"tests,attr"`
		Suites  []struct {
			Cases []struct {
				Name   string `xml:"name,attr"`
				Status string `xml:"status,attr"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(data, &report), "%s", data)
	all, err := selectByTags(allScenarios(t), quickTags)
	require.NoError(t, err)
	assert.Equal(t, len(all), report.Tests)
	var names []string
	for _, s := range report.Suites {
		for _, c := range s.Cases {
			names = append(names, c.Name)
			assert.Equal(t, "passed", c.Status, c.Name)
		}
	}
	for _, s := range all {
		assert.Contains(t, names, s.Name)
	}
	assert.Contains(t, stdout, "conformance: ", "the summary still goes to stdout")
}

func TestConformanceList(t *testing.T) {
	t.Parallel()
	// --list needs neither a server nor credentials.
	stdout, stderr, err, status := conformanceRun(t, envOf(), "--list")
	require.NoError(t, err, stderr)
	assert.Equal(t, 0, status)
	all := allScenarios(t)
	for _, s := range all {
		assert.Contains(t, stdout, "\n  "+s.Name+"\n", "--list names every scenario")
		if s.Clause != "" {
			assert.Contains(t, stdout, "spec: "+s.Clause+"\n")
		}
	}
	assert.Contains(t, stdout, "Feature: "+all[0].Feature+" (features/")

	core, err := selectByTags(all, "@core")
	require.NoError(t, err)
	stdout, _, err, _ = conformanceRun(t, envOf(), "--list", "--tags", "@core")
	require.NoError(t, err)
	assert.Equal(t, len(core), strings.Count(stdout, "\n      tags: "), "--list --tags lists the selection only")
}

func TestConformanceCommandLine(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	full := srv.Env()
	without := func(name string) func(string) string {
		var lines []string
		for _, l := range full {
			if !strings.HasPrefix(l, name+"=") {
				lines = append(lines, l)
			}
		}
		return envOf(lines...)
	}
	dir := t.TempDir()
	ledgerFile := func(name, content string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		return path
	}
	known := allScenarios(t)[0].Name
	unknownExpect := ledgerFile("unknown.txt", "No such scenario\n  reason: a typo\n")
	oldFormat := ledgerFile("old.txt", "# one name a line, as before\n"+known+"\n")
	tagFailure := ledgerFile("tag.txt", "@core\n  reason: everything\n")
	badLink := ledgerFile("link.txt", known+"\n  reason: a bug\n  link: issues/1\n")
	unknownTag := ledgerFile("unknown-tag.txt", "@no-such-tag\n  reason: a typo\n")

	tests := []struct {
		name    string
		env     func(string) string
		args    []string
		status  int
		wantErr []string
	}{
		{"no base URL", without("PIPEDREAM_BASE_URL"), nil, 2, []string{"--base-url", "PIPEDREAM_BASE_URL"}},
		{"base URL from the flag", without("PIPEDREAM_BASE_URL"), []string{"--base-url", srv.URL, "--tags", quickTags}, 0, nil},
		{"base URL not http", envOf(full...), []string{"--base-url", "localhost:8787"}, 2, []string{"http:// or https://"}},
		{"no client id", without("PIPEDREAM_CLIENT_ID"), nil, 2, []string{"PIPEDREAM_CLIENT_ID is not set"}},
		{"no secret", without("PIPEDREAM_CLIENT_SECRET"), nil, 2, []string{"PIPEDREAM_CLIENT_SECRET is not set"}},
		{"nothing set", envOf(), nil, 2, []string{"PIPEDREAM_BASE_URL", "PIPEDREAM_CLIENT_ID", "PIPEDREAM_CLIENT_SECRET", "PIPEDREAM_PROJECT_ID"}},
		{"no project", without("PIPEDREAM_PROJECT_ID"), nil, 2, []string{"--project-id", "PIPEDREAM_PROJECT_ID"}},
		{"project from the flag", without("PIPEDREAM_PROJECT_ID"), []string{"--project-id", srv.Credentials.ProjectID, "--tags", quickTags}, 0, nil},
		{"unknown environment", envOf(append(full, "PIPEDREAM_PROJECT_ENVIRONMENT=staging")...), nil, 2, []string{`PIPEDREAM_PROJECT_ENVIRONMENT is "staging": want development or production`}},
		{"half a second client", envOf(append(full, "PDEMU_CONFORMANCE_CLIENT_ID_2=oc_x")...), nil, 2, []string{"PDEMU_CONFORMANCE_CLIENT_SECRET_2"}},
		{"unknown formatter", envOf(full...), []string{"--format", "progress,html"}, 2, []string{`unknown formatter "html"`, "junit"}},
		{"formatter file in a missing folder", envOf(full...), []string{"--format", "junit:" + filepath.Join(dir, "no", "r.xml")}, 2, []string{"does not exist"}},
		{"formatter without its file", envOf(full...), []string{"--format", "junit:"}, 2, []string{"file name"}},
		{"tags select nothing", envOf(full...), []string{"--tags", "@no-such-tag"}, 2, []string{"selects no scenario"}},
		{"malformed tags", envOf(full...), []string{"--tags", "@core,"}, 2, []string{"invalid --tags"}},
		{"expectation names no scenario", envOf(full...), []string{"--expect", unknownExpect}, 2, []string{`names no scenario "No such scenario"`}},
		{"expectation without a reason", envOf(full...), []string{"--expect", oldFormat}, 2, []string{oldFormat + ":2: the expected failure", "has no reason", "docs/conformance-reports.md"}},
		{"expected failure by tag", envOf(full...), []string{"--expect", tagFailure}, 2, []string{"names one scenario, not a tag"}},
		{"expectation with a relative link", envOf(full...), []string{"--expect", badLink}, 2, []string{"not an absolute http or https URL"}},
		{"expected skip of an unknown tag", envOf(full...), []string{"--expect-skip", unknownTag}, 2, []string{`a tag no scenario carries: "@no-such-tag"`}},
		{"missing skip ledger", envOf(full...), []string{"--expect-skip", filepath.Join(dir, "none.txt")}, 2, []string{"--expect-skip", "none.txt"}},
		{"missing expectations file", envOf(full...), []string{"--expect", filepath.Join(dir, "none.txt")}, 2, []string{"--expect", "none.txt"}},
		{"rerun of a missing report", envOf(full...), []string{"--rerun-failed", filepath.Join(dir, "none.json")}, 2, []string{"--rerun-failed", "none.json"}},
		{"rerun of a file that is not a report", envOf(full...), []string{"--rerun-failed", unknownExpect}, 2, []string{"not a conformance report"}},
		{"rerun of a report of another version", envOf(full...), []string{"--rerun-failed", ledgerFile("v0.json", `{"format": "pdemu-conformance-report/0"}`)}, 2, []string{`format "pdemu-conformance-report/0"`}},
		{"rerun of a scenario the kit no longer has", envOf(full...), []string{"--rerun-failed", ledgerFile("gone.json",
			`{"format": "`+conformance.ReportFormat+`", "scenarios": [{"name": "A scenario since removed", "fails_the_run": true}]}`)}, 2, []string{`no longer has: "A scenario since removed"`}},
		{"rerun that the tags exclude", envOf(full...), []string{"--tags", "@core && ~@core", "--rerun-failed", ledgerFile("one.json",
			`{"format": "`+conformance.ReportFormat+`", "scenarios": [{"name": "`+known+`", "fails_the_run": true}]}`)}, 2, []string{"selects none of the 1 scenario that failed"}},
		{"report in a missing folder", envOf(full...), []string{"--report", filepath.Join(dir, "no", "r.json")}, 2, []string{"--report", "does not exist"}},
		{"positional argument", envOf(full...), []string{"extra"}, 2, []string{`"extra"`}},
		{"unknown flag", envOf(full...), []string{"--bogus"}, 2, []string{"-bogus"}},
		{"unreachable server", envOf(append(full, "PIPEDREAM_BASE_URL=http://127.0.0.1:1")...), nil, 1, []string{"cannot reach http://127.0.0.1:1"}},
		{"help", envOf(), []string{"-h"}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, err, status := conformanceRun(t, tt.env, tt.args...)
			assert.Equal(t, tt.status, status, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
			}
			for _, want := range tt.wantErr {
				assert.Contains(t, stderr, want)
			}
		})
	}
}

// TestConformanceDispatch: the subcommand is reachable from run, and help
// covers it.
func TestConformanceDispatch(t *testing.T) {
	t.Parallel()
	runOut := func(args ...string) string {
		t.Helper()
		var out, errOut syncBuffer
		require.NoError(t, run(t.Context(), args, &out, &errOut, envOf()), errOut.String())
		return out.String()
	}
	assert.Contains(t, runOut("conformance", "--list"), "scenarios in ")
	help := runOut("help", "conformance")
	for _, want := range []string{"pdemu conformance [flags]", "--base-url URL", "--expect file", "--strict-expect", "PIPEDREAM_CLIENT_SECRET", "Exit status"} {
		assert.Contains(t, help, want)
	}
	assert.Contains(t, runOut("help"), "pdemu conformance [flags]")
}

func TestPlainWriter(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	w := &plainWriter{w: &b}
	for _, chunk := range []string{"\x1b[32m.", "\x1b[0m\x1b", "[1;3", "7mFeature:\x1b[0m x\n", "\x1b", "no escape\n"} {
		n, err := w.Write([]byte(chunk))
		require.NoError(t, err)
		assert.Equal(t, len(chunk), n)
	}
	assert.Equal(t, ".Feature: x\n\x1bno escape\n", b.String())
}

// TestConformanceWithAControlToken is the user's path with pdemu bound
// beyond loopback: paste its export lines, PDEMU_CONTROL_TOKEN among them,
// and the kit drives the control plane. Without the token it stops at once
// (exit 2) and names the variable, rather than skipping every
// @emulator-only scenario.
func TestConformanceWithAControlToken(t *testing.T) {
	t.Parallel()
	pd := start(t, "--addr", "0.0.0.0:0")
	require.NotEmpty(t, pd.env["PDEMU_CONTROL_TOKEN"], "a non-loopback bind prints a token:\n%s", pd.stdout)
	var lines, withoutToken []string
	for k, v := range pd.env {
		lines = append(lines, k+"="+v)
		if k != "PDEMU_CONTROL_TOKEN" {
			withoutToken = append(withoutToken, k+"="+v)
		}
	}
	const tags = "@emulator-only && ~@serial"
	stdout, stderr, err, status := conformanceRun(t, envOf(lines...), "--tags", tags)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, 0, status)
	c := summaryCounts(t, stdout)
	want, err := selectByTags(allScenarios(t), tags)
	require.NoError(t, err)
	assert.Equal(t, counts{passed: len(want)}, c, "every control-plane scenario runs and passes:\n%s", stdout)

	stdout, stderr, err, status = conformanceRun(t, envOf(withoutToken...), "--tags", tags)
	require.Error(t, err)
	assert.Equal(t, 2, status)
	assert.ErrorIs(t, err, conformance.ErrControlPlaneRefused)
	assert.Contains(t, stderr, "PDEMU_CONTROL_TOKEN")
	assert.Contains(t, stderr, "control_token_required")
	assert.NotContains(t, stdout+stderr, pd.env["PDEMU_CONTROL_TOKEN"])
}

// TestConformanceReportsWhatItLeftBehind: against a server that refuses
// to delete OAuth clients, the scenarios that made one keep their verdict,
// the summary names each with what it left, and the run fails (exit 1).
func TestConformanceReportsWhatItLeftBehind(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	proxy := proxyTo(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodDelete || !strings.HasPrefix(r.URL.Path, "/_emulator/oauth-clients/") {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":"unavailable"}`))
		return true
	})
	env := envOf(append(srv.Env(), "PIPEDREAM_BASE_URL="+proxy)...)
	stdout, stderr, err, status := conformanceRun(t, env, "--tags", "@requires:admin_clients && ~@destructive")
	require.Error(t, err)
	assert.Equal(t, 1, status)
	c := summaryCounts(t, stdout)
	// One scenario deletes a client as what it checks, and fails here.
	assert.Equal(t, 1, c.failed, stdout)
	assert.Contains(t, stdout, "  Failed            A control-plane write sent as JSON with a charset is served\n")
	assert.Greater(t, c.leftBehind, 1)
	assert.Contains(t, stdout, "  Cleanup failed    A new OAuth client's secret is shown once\n")
	assert.Regexp(t, `left behind the OAuth client oc_\S+: control plane: DELETE /_emulator/oauth-clients/oc_\S+ answered 503`, stdout)
	assert.Regexp(t, `conformance: 1 scenario of \d+ failed; \d+ scenarios left something behind on the server`, stderr)
}

// readReport reads a report --report wrote.
func readReport(t *testing.T, path string) conformance.Report {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	rep, err := conformance.ReadReport(f)
	require.NoError(t, err)
	return rep
}

// TestConformanceReportAndRerun: --report records every outcome with its
// steps; --rerun-failed runs what failed that run, and nothing else.
func TestConformanceReportAndRerun(t *testing.T) {
	t.Parallel()
	srv := testutil.NewServer(t)
	dir := t.TempDir()
	first, second, third := filepath.Join(dir, "first.json"), filepath.Join(dir, "second.json"), filepath.Join(dir, "third.json")

	// A wrong secret fails every scenario that needs a token.
	wrong := envOf(append(srv.Env(), "PIPEDREAM_CLIENT_SECRET=not-the-secret")...)
	stdout, _, err, status := conformanceRun(t, wrong, "--tags", quickTags, "--report", first)
	require.Error(t, err)
	require.Equal(t, 1, status)
	c := summaryCounts(t, stdout)
	rep := readReport(t, first)
	assert.Equal(t, conformance.ReportFormat, rep.Format)
	assert.False(t, rep.OK)
	assert.Equal(t, srv.URL, rep.Target.BaseURL)
	assert.Contains(t, rep.Target.Capabilities, "clock")
	assert.Equal(t, quickTags, rep.Tags)
	assert.Equal(t, c.failed, rep.Counts["failed"])
	assert.Equal(t, c.passed, rep.Counts["passed"])
	assert.Len(t, rep.Scenarios, c.total())
	require.Len(t, rep.Failed(), c.failed)
	for _, s := range rep.Scenarios {
		require.NotEmpty(t, s.Steps, s.Name)
		assert.Equal(t, s.Status == conformance.Failed, s.FailsTheRun, s.Name)
		if s.Status != conformance.Failed {
			continue
		}
		// The failed step says why, and the steps after it did not run.
		i := slices.IndexFunc(s.Steps, func(st conformance.StepResult) bool { return st.Status == "failed" })
		require.GreaterOrEqual(t, i, 0, "%s: %+v", s.Name, s.Steps)
		assert.Equal(t, s.Reason, s.Steps[i].Error)
		assert.Positive(t, s.Steps[i].Line)
		for _, st := range s.Steps[i+1:] {
			assert.Equal(t, "skipped", st.Status, s.Name)
		}
	}
	assert.NotContains(t, mustRead(t, first), srv.Credentials.ClientSecret)

	// With the right secret, the rerun holds exactly what failed, and passes.
	right := envOf(srv.Env()...)
	stdout, stderr, err, status := conformanceRun(t, right, "--rerun-failed", first, "--report", second)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, 0, status)
	assert.Equal(t, counts{passed: c.failed}, summaryCounts(t, stdout))
	var rerun []string
	for _, s := range readReport(t, second).Scenarios {
		rerun = append(rerun, s.Name)
	}
	assert.ElementsMatch(t, rep.Failed(), rerun)

	// --list shows what a rerun would run; a report of a passing run has
	// nothing to rerun.
	stdout, _, err, _ = conformanceRun(t, right, "--rerun-failed", first, "--list")
	require.NoError(t, err)
	assert.Equal(t, c.failed, strings.Count(stdout, "\n      tags: "))
	stdout, _, err, status = conformanceRun(t, right, "--rerun-failed", second, "--report", third)
	require.NoError(t, err)
	assert.Equal(t, 0, status)
	assert.Contains(t, stdout, "nothing failed the run "+second+" records: nothing to rerun")
	assert.NoFileExists(t, third, "nothing ran, so no report")
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestConformanceReportsCarryReasons: against a server without a control
// plane, JUnit and cucumber JSON written by the command say, for every
// skipped scenario, why.
func TestConformanceReportsCarryReasons(t *testing.T) {
	t.Parallel()
	const tags = "@requires:admin_clients"
	selected, err := selectByTags(allScenarios(t), tags)
	require.NoError(t, err)
	srv := testutil.NewServer(t)
	env := envOf(append(srv.Env(), "PIPEDREAM_BASE_URL="+withoutControlPlane(t, srv))...)
	dir := t.TempDir()
	junit, cucumber := filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.json")
	stdout, stderr, err, status := conformanceRun(t, env, "--tags", tags, "--format", "junit:"+junit+",cucumber:"+cucumber)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, 0, status)
	assert.NotContains(t, stdout, "<testsuites", "the reports go to their files")

	var report struct {
		Skipped int `xml:"skipped,attr"`
		Suites  []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Skipped *struct {
					Message string `xml:"message,attr"`
				} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal([]byte(mustRead(t, junit)), &report))
	assert.Equal(t, len(selected), report.Skipped)
	for _, s := range report.Suites {
		for _, c := range s.Cases {
			require.NotNil(t, c.Skipped, c.Name)
			assert.Contains(t, c.Skipped.Message, "needs an emulator's control plane", c.Name)
		}
	}

	var features []struct {
		Elements []struct {
			Name   string `json:"name"`
			Before []struct {
				Result struct {
					Status string `json:"status"`
					Error  string `json:"error_message"`
				} `json:"result"`
			} `json:"before"`
		} `json:"elements"`
	}
	require.NoError(t, json.Unmarshal([]byte(mustRead(t, cucumber)), &features))
	n := 0
	for _, f := range features {
		for _, el := range f.Elements {
			n++
			require.Len(t, el.Before, 1, el.Name)
			assert.Equal(t, "skipped", el.Before[0].Result.Status)
			assert.Contains(t, el.Before[0].Result.Error, "needs an emulator's control plane", el.Name)
		}
	}
	assert.Equal(t, len(selected), n)
}

// TestConformanceManifest: --list --format json is the manifest, every
// scenario with its file, line, tags and clause; --tags selects in it too.
func TestConformanceManifest(t *testing.T) {
	t.Parallel()
	all := allScenarios(t)
	stdout, stderr, err, status := conformanceRun(t, envOf(), "--list", "--format", "json")
	require.NoError(t, err, stderr)
	assert.Equal(t, 0, status)
	var m conformance.Manifest
	require.NoError(t, json.Unmarshal([]byte(stdout), &m))
	assert.Equal(t, conformance.ManifestFormat, m.Format)
	assert.Equal(t, len(all), m.Count)
	require.Len(t, m.Scenarios, len(all))
	for i, s := range all {
		got := m.Scenarios[i]
		tags := s.Tags
		if tags == nil {
			tags = []string{} // the manifest writes [], not null
		}
		assert.Equal(t, conformance.ManifestScenario{Name: s.Name, Feature: s.Feature, File: s.File(), Line: s.Line(), Tags: tags, Spec: s.Clause}, got)
	}
	core, err := selectByTags(all, "@core")
	require.NoError(t, err)
	assert.Equal(t, len(core), m.Tags["@core"])
	stdout, _, err, _ = conformanceRun(t, envOf(), "--list", "--format", "json", "--tags", "@core")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(stdout), &m))
	assert.Equal(t, len(core), m.Count)

	text, _, err, _ := conformanceRun(t, envOf(), "--list", "--format", "text")
	require.NoError(t, err)
	plain, _, err, _ := conformanceRun(t, envOf(), "--list")
	require.NoError(t, err)
	assert.Equal(t, plain, text)
	_, stderr, _, status = conformanceRun(t, envOf(), "--list", "--format", "junit:x.xml")
	assert.Equal(t, 2, status)
	assert.Contains(t, stderr, `--list prints --format text (the default) or json, not "junit:x.xml"`)
}
