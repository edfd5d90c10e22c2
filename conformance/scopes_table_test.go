package conformance_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	gherkin "github.com/cucumber/gherkin/go/v42"
	messages "github.com/cucumber/messages/go/v34"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/features"
	"github.com/pdemu/pdemu/testutil"
)

// scopeRow is one row of an Examples table of features/scopes.feature.
type scopeRow struct {
	method, path string
	scopes       []string // sorted; nil for tables without a scopes column
	line         int64
}

func (r scopeRow) key() string { return r.method + " " + r.path }

// examplesTagged returns the rows of every Examples table of
// features/scopes.feature that carries tag, keyed "METHOD path".
func examplesTagged(t *testing.T, tag string) map[string]scopeRow {
	t.Helper()
	f, err := features.FS.Open("scopes.feature")
	require.NoError(t, err)
	defer f.Close()
	doc, err := gherkin.ParseGherkinDocument(f, (&messages.Incrementing{}).NewId)
	require.NoError(t, err)
	require.NotNil(t, doc.Feature)

	rows := map[string]scopeRow{}
	for _, c := range doc.Feature.Children {
		if c.Scenario == nil {
			continue
		}
		for _, ex := range c.Scenario.Examples {
			if !slices.ContainsFunc(ex.Tags, func(tg *messages.Tag) bool { return tg.Name == tag }) {
				continue
			}
			require.NotNil(t, ex.TableHeader, "scopes.feature:%d: %s Examples without a header", ex.Location.Line, tag)
			col := map[string]int{}
			for i, cell := range ex.TableHeader.Cells {
				col[cell.Value] = i
			}
			mi, okM := col["method"]
			pi, okP := col["path"]
			require.True(t, okM && okP, "scopes.feature:%d: %s Examples need method and path columns", ex.Location.Line, tag)
			si, hasScopes := col["scopes"]
			for _, r := range ex.TableBody {
				row := scopeRow{method: r.Cells[mi].Value, path: r.Cells[pi].Value, line: r.Location.Line}
				if hasScopes {
					row.scopes = strings.Fields(r.Cells[si].Value)
					slices.Sort(row.scopes)
				}
				if prev, dup := rows[row.key()]; dup {
					t.Errorf("scopes.feature:%d repeats %s (first at line %d)", row.line, row.key(), prev.line)
				}
				rows[row.key()] = row
			}
		}
	}
	require.NotEmpty(t, rows, "scopes.feature has no Examples tagged %s", tag)
	return rows
}

// routeRows returns the route table's rows that keep, keyed "METHOD path".
func routeRows(t *testing.T, keep func(emulator.Endpoint) bool) map[string]scopeRow {
	t.Helper()
	rows := map[string]scopeRow{}
	for _, ep := range testutil.NewServer(t).Emulator.Endpoints() {
		if !keep(ep) {
			continue
		}
		scopes := slices.Clone(ep.Scopes)
		slices.Sort(scopes)
		r := scopeRow{method: ep.Method, path: ep.Path, scopes: scopes}
		rows[r.key()] = r
	}
	return rows
}

// compareTables reports every endpoint missing from the feature, every row
// the route table lacks, and (withScopes) every difference of scopes.
func compareTables(errorf func(format string, args ...any), tag string, feature, routes map[string]scopeRow, withScopes bool) {
	for _, k := range sortedKeys(routes) {
		r := routes[k]
		f, ok := feature[k]
		if !ok {
			if withScopes {
				errorf("the route table has %s (scopes %s) but no Examples row tagged %s in features/scopes.feature has it: add\n      | %s | %s | %s |",
					k, strings.Join(r.scopes, " "), tag, r.method, r.path, strings.Join(r.scopes, " "))
			} else {
				errorf("the route table has %s but no Examples row tagged %s in features/scopes.feature has it: add\n      | %s | %s |", k, tag, r.method, r.path)
			}
			continue
		}
		if withScopes && !slices.Equal(f.scopes, r.scopes) {
			errorf("scopes.feature:%d says %s needs one of %q; the route table says %q", f.line, k, f.scopes, r.scopes)
		}
	}
	for _, k := range sortedKeys(feature) {
		if _, ok := routes[k]; !ok {
			errorf("scopes.feature:%d has %s, which the route table has not (for %s)", feature[k].line, k, tag)
		}
	}
}

func sortedKeys(m map[string]scopeRow) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestScopeTableMatchesRoutes keeps the scope-enforcement outlines equal to
// the route table: every endpoint that requires an OAuth access token has
// its row (method, path template, scopes), so none can be added unchecked.
// A workflow's HTTP trigger, where a token is optional by default, has its
// own scenarios in connect_workflows.feature.
func TestScopeTableMatchesRoutes(t *testing.T) {
	feature := examplesTagged(t, "@scope-table")
	routes := routeRows(t, func(ep emulator.Endpoint) bool { return ep.Auth.AcceptsOAuth() && ep.Auth.RequiresToken() })
	require.NotEmpty(t, routes)
	for k, r := range routes {
		assert.NotEmpty(t, r.scopes, "%s takes an OAuth token but names no scope", k)
	}
	compareTables(t.Errorf, "@scope-table", feature, routes, true)
}

// TestOAuthOnlyTableMatchesRoutes does the same for the endpoints that take
// an OAuth access token and nothing else, where a Connect token is refused.
func TestOAuthOnlyTableMatchesRoutes(t *testing.T) {
	feature := examplesTagged(t, "@oauth-only-table")
	routes := routeRows(t, func(ep emulator.Endpoint) bool { return ep.Auth == emulator.OAuthToken })
	compareTables(t.Errorf, "@oauth-only-table", feature, routes, false)
}

// TestScopeTableCatchesAMissingRow shows the comparison failing the way it
// should when a row is missing or its scopes differ.
func TestScopeTableCatchesAMissingRow(t *testing.T) {
	routes := map[string]scopeRow{
		"GET /a": {method: "GET", path: "/a", scopes: []string{"connect:x"}},
		"GET /b": {method: "GET", path: "/b", scopes: []string{"connect:y"}},
	}
	feature := map[string]scopeRow{
		"GET /a": {method: "GET", path: "/a", scopes: []string{"connect:z"}, line: 7},
		"GET /c": {method: "GET", path: "/c", line: 9},
	}
	var got []string
	compareTables(func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }, "@scope-table", feature, routes, true)
	require.Len(t, got, 3, "%q", got)
	assert.Contains(t, got[0], `scopes.feature:7 says GET /a needs one of ["connect:z"]; the route table says ["connect:x"]`)
	assert.Contains(t, got[1], "the route table has GET /b (scopes connect:y) but no Examples row")
	assert.Contains(t, got[1], "| GET | /b | connect:y |")
	assert.Contains(t, got[2], "scopes.feature:9 has GET /c, which the route table has not")
}
