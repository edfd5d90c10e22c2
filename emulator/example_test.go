package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/pdemu/pdemu/emulator"
)

// ExampleNew serves the emulator with httptest and talks to it as any
// OAuth 2.0 client would.
func ExampleNew() {
	emu := emulator.MustNew(emulator.WithSeed(emulator.Seed{Workspaces: []emulator.SeedWorkspace{{
		ID:       "o_example",
		Projects: []emulator.SeedProject{{ID: "proj_example", Name: "Example"}},
		Clients:  []emulator.SeedClient{{ClientID: "ci", ClientSecret: "ci-secret", Name: "CI"}},
	}}}))
	srv := httptest.NewServer(emu)
	defer srv.Close()

	conf := clientcredentials.Config{ClientID: "ci", ClientSecret: "ci-secret", TokenURL: srv.URL + "/v1/oauth/token"}
	resp, err := conf.Client(context.Background()).Get(srv.URL + "/v1/connect/projects")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode)
	fmt.Print(string(body))

	// An hour later, by the emulator's clock, the token has expired.
	tok, _ := emu.IssueToken(emulator.TokenRequest{GrantType: "client_credentials", ClientID: "ci", ClientSecret: "ci-secret"})
	fmt.Println(tok.ExpiresAt.Sub(emu.Clock().Now()))
	_ = emu.Clock().Advance(time.Hour)
	fmt.Println(tok.ExpiresAt.Sub(emu.Clock().Now()))
	// Output:
	// 200
	// {"data":[{"id":"proj_example","name":"Example","connect_require_key_auth_test":false}],"page_info":{"count":1,"total_count":1,"start_cursor":"ODAwMDAwMDAwMDAwMDAwMQ","end_cursor":null}}
	// 1h0m0s
	// 0s
}
