// Package gotest shows pdemu's testutil used from another module, as your
// own tests would use it: an emulator per test, a token from the standard
// OAuth client-credentials client, and a clock the test moves.
package gotest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/pdemu/pdemu/testutil"
)

func TestTokenExpiresAfterAnHour(t *testing.T) {
	// An emulator on a fake clock, closed when the test ends.
	srv := testutil.NewServer(t)

	// x/oauth2 fetches the token through the test server's client.
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, srv.Client())
	cfg := clientcredentials.Config{
		ClientID:     srv.Credentials.ClientID,
		ClientSecret: srv.Credentials.ClientSecret,
		TokenURL:     srv.URL + "/v1/oauth/token",
	}
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatalf("token: %v", err)
	}

	project := "/v1/connect/projects/" + srv.Credentials.ProjectID
	if status, body := get(t, srv, tok.AccessToken, project); status != http.StatusOK {
		t.Fatalf("GET %s: %d %s, want 200", project, status, body)
	}

	// An hour later by the emulator's clock, which only the test moves,
	// the token has expired; x/oauth2 still holds it, since its own clock
	// has not moved.
	srv.Advance(time.Hour)
	if status, body := get(t, srv, tok.AccessToken, project); status != http.StatusUnauthorized {
		t.Fatalf("GET %s an hour later: %d %s, want 401", project, status, body)
	}

	// A new token works again.
	tok, err = cfg.Token(ctx)
	if err != nil {
		t.Fatalf("new token: %v", err)
	}
	if status, body := get(t, srv, tok.AccessToken, project); status != http.StatusOK {
		t.Fatalf("GET %s with a new token: %d %s, want 200", project, status, body)
	}
}

// get sends GET path with a bearer token and returns the status and body.
func get(t *testing.T, srv *testutil.Server, token, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-PD-Environment", "development")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(body)
}
