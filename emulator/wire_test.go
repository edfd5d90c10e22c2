package emulator_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pdemu/pdemu/testutil"
)

// TestControlPlaneTakesTheCatalogDocuments: the embedded catalogs are
// written in the control plane's document format, so each of their entries,
// under a new key, registers through it as it stands.
func TestControlPlaneTakesTheCatalogDocuments(t *testing.T) {
	srv := testutil.NewServer(t)
	read := func(path, list string) []map[string]any {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var f map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(b, &f))
		var out []map[string]any
		require.NoError(t, json.Unmarshal(f[list], &out))
		require.NotEmpty(t, out)
		return out
	}
	for _, app := range read("internal/connect/apps_catalog.json", "apps") {
		app["name_slug"] = "copy_" + app["name_slug"].(string)
		delete(app, "id")
		r := srv.Do("POST", "/_emulator/apps", "", app)
		require.Equal(t, 201, r.Status, "%s: %s", app["name_slug"], r.Body)
	}
	for _, comp := range read("internal/connect/components_catalog.json", "components") {
		comp["key"] = "copy-" + comp["key"].(string)
		delete(comp, "id")
		r := srv.Do("POST", "/_emulator/components", "", comp)
		require.Equal(t, 201, r.Status, "%s: %s", comp["key"], r.Body)
	}
}
