package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// featureGroup is one feature's scenarios, in file order.
type featureGroup struct {
	name, file string
	scenarios  []Scenario
}

// byFeature groups scenarios by feature file, keeping the order in which
// Scenarios lists them (files in lexical order, scenarios as written).
func byFeature(scenarios []Scenario) []featureGroup {
	var groups []featureGroup
	index := map[string]int{}
	for _, s := range scenarios {
		file, _, _ := strings.Cut(s.Path, ":")
		i, ok := index[file]
		if !ok {
			i = len(groups)
			index[file] = i
			groups = append(groups, featureGroup{name: s.Feature, file: file})
		}
		groups[i].scenarios = append(groups[i].scenarios, s)
	}
	return groups
}

// tagCount is how many scenarios carry a tag.
type tagCount struct {
	tag string
	n   int
}

// tagCounts returns each tag and how many scenarios carry it, most used
// first (ties by name).
func tagCounts(scenarios []Scenario) []tagCount {
	counts := map[string]int{}
	for _, s := range scenarios {
		for _, t := range s.Tags {
			counts[t]++
		}
	}
	out := make([]tagCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, tagCount{t, n})
	}
	slices.SortFunc(out, func(a, b tagCount) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.tag, b.tag)
	})
	return out
}

func tagSummary(scenarios []Scenario) string {
	var parts []string
	for _, tc := range tagCounts(scenarios) {
		parts = append(parts, fmt.Sprintf("%s %d", tc.tag, tc.n))
	}
	return strings.Join(parts, ", ")
}

// List writes every scenario, feature by feature, with its tags and the
// spec clause it checks: what `pdemu conformance --list` prints. It needs
// no server.
func List(w io.Writer, scenarios []Scenario) error {
	var b strings.Builder
	for i, g := range byFeature(scenarios) {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Feature: %s (features/%s)\n", g.name, g.file)
		for _, s := range g.scenarios {
			fmt.Fprintf(&b, "  %s\n", s.Name)
			tags := strings.Join(s.Tags, " ")
			if tags == "" {
				tags = "(none)"
			}
			fmt.Fprintf(&b, "      tags: %s\n", tags)
			fmt.Fprintf(&b, "      spec: %s\n", orMissing(s.Clause))
		}
	}
	fmt.Fprintf(&b, "\n%s in %s", plural(len(scenarios), "scenario"), plural(len(byFeature(scenarios)), "feature"))
	if ts := tagSummary(scenarios); ts != "" {
		fmt.Fprintf(&b, " (%s)", ts)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func orMissing(clause string) string {
	if clause == "" {
		return "(no Spec: line)"
	}
	return clause
}

// MarkdownRegenerate is the command that rewrites docs/conformance.md.
const MarkdownRegenerate = "go test ./conformance -run TestDocsConformance -update"

// Markdown renders every scenario as docs/conformance.md: a table per
// feature with each scenario's tags and the spec clause it checks.
func Markdown(scenarios []Scenario) string {
	groups := byFeature(scenarios)
	var b strings.Builder
	b.WriteString("# Conformance scenarios\n\n")
	fmt.Fprintf(&b, "<!-- Generated from features/*.feature by `%s`; do not edit. -->\n\n", MarkdownRegenerate)
	b.WriteString("Every scenario the conformance kit runs (`pdemu conformance`, or `go test ./conformance`\n" +
		"against an in-process emulator), with its tags and the clause of the spec it checks.\n" +
		"`pdemu conformance --list` prints the same list.\n\n" +
		"Tags: `@core` must hold on any faithful server; `@emulator-only` needs an emulator's control\n" +
		"plane (`/_emulator/capabilities`) and is skipped, with the reason, against a server without one;\n" +
		"`@requires:<capability>` needs that capability of the control plane (`@requires:second-client`:\n" +
		"a second OAuth client); `@destructive` rotates or deletes clients and runs against a real server\n" +
		"only with `--destructive`; `@serial` changes what every request shares (moves the clock, resets,\n" +
		"replaces the whole state, sets rate limits, plans a fault anyone's request may meet, clears the\n" +
		"request journal), so it runs alone and puts back what it can; `@pdemu-extension` checks a pdemu\n" +
		"decision a real server may well not share.\n" +
		"How a run is judged against ledgers of expected failures and skips, and the reports it\n" +
		"writes (JSON, JUnit, cucumber JSON, the manifest): [conformance-reports.md](conformance-reports.md).\n" +
		"How far a verdict can be trusted, both ways, is measured rather than assumed:\n" +
		"[the kit's precision](#the-kits-precision), at the end.\n\n" +
		"Sources named in the spec clauses: Pipedream's OpenAPI document\n" +
		"(<https://pipedream.com/docs/pipedream_openapi_swagger.json>, version 2026-05-22; the SDK types are\n" +
		"`@pipedream/sdk` 3.1.6's, generated from it); Pipedream's Connect authentication docs\n" +
		"(<https://pipedream.com/docs/connect/api-reference/authentication>); Pipedream's token endpoint docs\n" +
		"(<https://pipedream.com/docs/rest-api/api-reference/oauth/get-a-new-access-token>); Pipedream's REST API\n" +
		"auth docs (<https://pipedream.com/docs/rest-api/auth>); Pipedream's Connect token docs\n" +
		"(<https://pipedream.com/docs/connect/api-reference/create-connect-token>); Pipedream's rate limits\n" +
		"(<https://pipedream.com/docs/connect/api-reference/rate-limits>); the RFCs by number. A \"pdemu\n" +
		"decision\" is behaviour Pipedream does not document, chosen and explained in the docs file named.\n\n")
	fmt.Fprintf(&b, "%s in %s", plural(len(scenarios), "scenario"), plural(len(groups), "feature"))
	var tags []string
	for _, tc := range tagCounts(scenarios) {
		tags = append(tags, fmt.Sprintf("`%s` %d", tc.tag, tc.n))
	}
	if len(tags) > 0 {
		b.WriteString(": " + strings.Join(tags, ", "))
	}
	b.WriteString(".\n")
	for _, g := range groups {
		fmt.Fprintf(&b, "\n## %s\n\n`features/%s`\n\n", mdCell(g.name), g.file)
		b.WriteString("| Scenario | Tags | Spec clause |\n|---|---|---|\n")
		for _, s := range g.scenarios {
			var tags []string
			for _, t := range s.Tags {
				tags = append(tags, "`"+t+"`")
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(s.Name), strings.Join(tags, " "), mdCell(orMissing(s.Clause)))
		}
	}
	return b.String()
}

// mdCell escapes what would break a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ManifestFormat names the manifest's format and version.
const ManifestFormat = "pdemu-conformance-manifest/1"

// Manifest is the published list of the kit's scenarios (pdemu
// conformance --list --format json): what a target is judged against, with
// each scenario's tags and spec clause, for tools that pick scenarios, keep
// ledgers or compare two versions of the kit.
type Manifest struct {
	// Format is ManifestFormat.
	Format string `json:"format"`
	// Count is how many scenarios there are; Tags how many carry each tag.
	Count int            `json:"count"`
	Tags  map[string]int `json:"tags"`
	// Scenarios are every scenario, in the files' order.
	Scenarios []ManifestScenario `json:"scenarios"`
}

// ManifestScenario is one scenario of the manifest.
type ManifestScenario struct {
	// Name is what ledgers and --rerun-failed name it by.
	Name string `json:"name"`
	// Feature is its feature's name.
	Feature string `json:"feature"`
	// File and Line are where it is, under features/ (an outline's rows
	// share their outline's line).
	File string `json:"file"`
	Line int    `json:"line"`
	// Tags are its tags, its feature's included; Spec is the clause of
	// the spec it checks (its "Spec:" line).
	Tags []string `json:"tags"`
	Spec string   `json:"spec"`
}

// WriteManifest writes the manifest of scenarios as JSON.
func WriteManifest(w io.Writer, scenarios []Scenario) error {
	m := Manifest{Format: ManifestFormat, Count: len(scenarios), Tags: map[string]int{}, Scenarios: []ManifestScenario{}}
	for _, tc := range tagCounts(scenarios) {
		m.Tags[tc.tag] = tc.n
	}
	for _, s := range scenarios {
		tags := s.Tags
		if tags == nil {
			tags = []string{}
		}
		m.Scenarios = append(m.Scenarios, ManifestScenario{Name: s.Name, Feature: s.Feature, File: s.File(), Line: s.Line(),
			Tags: tags, Spec: s.Clause})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(m)
}
