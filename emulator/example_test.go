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
	client := conf.Client(context.Background())
	get := func() {
		resp, err := client.Get(srv.URL + "/v1/connect/projects")
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode)
		if challenge := resp.Header.Get("WWW-Authenticate"); challenge != "" {
			fmt.Println(challenge)
		}
		fmt.Print(string(body))
	}
	get()

	// An hour later by the emulator's clock the token has expired. The
	// client's own clock has not moved, so it sends the token again, and
	// pdemu refuses it as Pipedream would.
	_ = emu.Clock().Advance(time.Hour)
	get()
	// Output:
	// 200
	// {"data":[{"id":"proj_example","name":"Example","connect_require_key_auth_test":false}],"page_info":{"count":1,"total_count":1,"start_cursor":"ODAwMDAwMDAwMDAwMDAwMQ","end_cursor":null}}
	// 401
	// Bearer realm="api.pipedream.com", error="invalid_token", error_description="the access token expired at 2030-01-01T01:00:00Z"
	// {"error":"invalid_token","error_description":"the access token expired at 2030-01-01T01:00:00Z"}
}
