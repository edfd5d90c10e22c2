package conformance_test

import (
	"testing"

	"github.com/pdemu/pdemu/conformance"
	"github.com/pdemu/pdemu/testutil"
)

// TestConformance runs the whole kit against an in-process emulator, each
// scenario a subtest: go test ./conformance -run 'TestConformance/<name>'.
func TestConformance(t *testing.T) {
	srv := testutil.NewServer(t)
	conformance.RunTests(t, conformance.Config{
		BaseURL:   srv.URL,
		Client:    conformance.Credentials{ClientID: srv.Credentials.ClientID, ClientSecret: srv.Credentials.ClientSecret},
		ProjectID: srv.Credentials.ProjectID,
	})
}
