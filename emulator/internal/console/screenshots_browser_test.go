package console_test

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pdemu/pdemu/testutil"
)

// TestConsoleScreenshots takes the screenshots the docs show, from a
// console with some clients, calls and Connect data. `go test
// ./emulator/internal/console -run Screenshots -update` rewrites
// docs/images/console-*.png.
func TestConsoleScreenshots(t *testing.T) {
	srv := testutil.NewServer(t)
	srv.CreateClient("CI deploy", "connect:projects:read", "connect:users:read")
	staging := srv.CreateClient("Staging backend")
	srv.CreateClient("Support dashboard", "connect:accounts:read")
	slack := srv.ConnectAccount("alice", "slack", map[string]any{"oauth_access_token": "xoxb-screenshot"})
	srv.ConnectAccount("bob", "github", map[string]any{"oauth_access_token": "gho_screenshot"})
	deployTrigger(t, srv, "alice", slack)
	tokenStatus(t, srv, staging.ClientID, staging.ClientSecret)
	tok := srv.TokenFor(staging)
	projectsStatus(srv, tok)
	srv.Do(http.MethodGet, "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil, "x-pd-environment", "development")
	projectsStatus(srv, "expired-or-wrong")
	tokenStatus(t, srv, staging.ClientID, "wrong-secret")

	ctx := tab(t)
	open(t, ctx, srv, "clients")
	do(t, ctx, visible(`//td[normalize-space(.)="Support dashboard"]`))
	screenshot(t, ctx, "console-clients", false)
	screenshot(t, ctx, "console-clients-dark", true)

	do(t, ctx,
		click(button("New OAuth client")),
		typeInto(labelled("Name"), "Nightly sync"),
		click(`//dialog[@open]//label[normalize-space(.)="connect:accounts:read"]/input`),
		click(dialogButton("Create")),
		visible(labelled("Client secret")),
	)
	screenshot(t, ctx, "console-secret", false)
	do(t, ctx, click(dialogButton("Close")))

	open(t, ctx, srv, "tokens")
	do(t, ctx,
		chromedp.WaitReady(`//select/option[@value="`+staging.ClientID+`"]`),
		setValue(labelled("Client"), staging.ClientID),
		click(button("Mint token")),
		chromedp.WaitVisible(chromedp.CSS(`#token-status`)),
	)
	screenshot(t, ctx, "console-tokens", true)

	open(t, ctx, srv, "requests")
	do(t, ctx,
		visible(`//td[normalize-space(.)="/v1/connect/projects"]`),
		click(`(//button[starts-with(@aria-label, "Details of POST /v1/oauth/token")])[1]`),
		visible(`//tr[@class="detail"]//h3[normalize-space(.)="Request"]`),
	)
	screenshot(t, ctx, "console-requests", false)

	open(t, ctx, srv, "connect")
	do(t, ctx, visible(`//td[normalize-space(.)="alice"]`))
	screenshot(t, ctx, "console-connect", false)

	open(t, ctx, srv, "clock")
	screenshot(t, ctx, "console-clock", true)
}
