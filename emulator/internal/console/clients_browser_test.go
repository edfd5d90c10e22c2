package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/pdemu/pdemu/testutil"
)

// tokenStatus asks the token endpoint for a token with the client's
// credentials, as a user's code would, and returns the status and token.
func tokenStatus(t *testing.T, srv *testutil.Server, id, secret string) (int, string) {
	t.Helper()
	r := srv.Do(http.MethodPost, "/v1/oauth/token", "", map[string]string{
		"grant_type": "client_credentials", "client_id": id, "client_secret": secret,
	})
	if r.Status != http.StatusOK {
		return r.Status, ""
	}
	return r.Status, r.JSON(t)["access_token"].(string)
}

// projectsStatus is the status of an API call made with tok.
func projectsStatus(srv *testutil.Server, tok string) int {
	return srv.Do(http.MethodGet, "/v1/connect/projects", tok, nil).Status
}

// readSecretDialog reads the client id and secret the open dialog shows,
// and checks it says the secret is shown once.
func readSecretDialog(t *testing.T, ctx context.Context) (id, secret string) {
	t.Helper()
	do(t, ctx, visible(labelled("Client secret")))
	secret = get(t, ctx, chromedp.Value(labelled("Client secret")))
	id = get(t, ctx, chromedp.Value(labelled("Client ID")))
	text := get(t, ctx, chromedp.Text(chromedp.CSS(`dialog[open]`)))
	if !strings.Contains(text, "it will not be accessible again") {
		t.Errorf("the secret dialog does not say the secret is shown once:\n%s", text)
	}
	if secret == "" || id == "" {
		t.Fatalf("the secret dialog shows id %q, secret %q", id, secret)
	}
	return id, secret
}

// TestConsoleClientLifecycle is the seed lifecycle a Pipedream user clicks
// through: create a client by name, copy its secret, get a token with it,
// rotate the secret from the row's menu, see the old secret refused and
// the new one accepted, delete the client and see its token refused.
func TestConsoleClientLifecycle(t *testing.T) {
	srv := testutil.NewServer(t)
	ctx := tab(t)
	open(t, ctx, srv, "clients")

	// The dialog checks the name inline before anything is created.
	do(t, ctx,
		click(button("New OAuth client")),
		visible(`//dialog[@open]//h2[normalize-space(.)="New OAuth client"]`),
		click(dialogButton("Create")),
		visible(`//dialog[@open]//p[normalize-space(.)="Name is required."]`),
		typeInto(labelled("Name"), strings.Repeat("n", 201)),
		click(dialogButton("Create")),
		visible(`//dialog[@open]//p[starts-with(normalize-space(.), "Name must be at most 200 characters")]`),
	)
	if invalid := get(t, ctx, chromedp.AttributeValue(labelled("Name"), "aria-invalid")); invalid.Value != "true" {
		t.Errorf("a refused name is not marked aria-invalid (got %q)", invalid.Value)
	}
	if n := len(srv.Emulator.Clients()); n != 1 {
		t.Fatalf("a refused name created a client: %d clients", n)
	}

	// Exactly 200 characters is a valid name; this one is shorter.
	do(t, ctx,
		typeInto(labelled("Name"), "CI deploy"),
		click(`//dialog[@open]//label[normalize-space(.)="connect:projects:read"]/input`),
		click(dialogButton("Create")),
		visible(`//dialog[@open]//h2[normalize-space(.)="Client created"]`),
	)
	id, secret := readSecretDialog(t, ctx)
	c, err := srv.Emulator.GetClient(id)
	if err != nil || c.Name != "CI deploy" || c.Scopes.String() != "connect:projects:read" {
		t.Fatalf("created client %+v, %v; want CI deploy with connect:projects:read", c, err)
	}
	status, tok := tokenStatus(t, srv, id, secret)
	if status != http.StatusOK {
		t.Fatalf("the secret from the dialog: token endpoint answered %d", status)
	}
	if s := projectsStatus(srv, tok); s != http.StatusOK {
		t.Fatalf("its token: GET /v1/connect/projects answered %d", s)
	}
	do(t, ctx,
		click(dialogButton("Close")),
		visible(`//td[normalize-space(.)="CI deploy"]`),
		visible(`//td//code[normalize-space(.)="`+id+`"]`),
	)

	// Rotate through the row's actions menu, confirming first.
	do(t, ctx,
		click(button("Actions for CI deploy")),
		click(`//*[@role="menu"]//*[@role="menuitem" and normalize-space(.)="Rotate client secret"]`),
		visible(`//dialog[@open]//h2[starts-with(normalize-space(.), "Rotate the client secret of CI deploy")]`),
		click(dialogButton("Rotate client secret")),
		visible(`//dialog[@open]//h2[normalize-space(.)="New client secret"]`),
	)
	id2, secret2 := readSecretDialog(t, ctx)
	if id2 != id || secret2 == secret {
		t.Fatalf("rotation showed id %q secret changed=%v", id2, secret2 != secret)
	}
	if s, _ := tokenStatus(t, srv, id, secret); s != http.StatusUnauthorized {
		t.Errorf("the old secret after rotation: token endpoint answered %d, want 401", s)
	}
	status, tok2 := tokenStatus(t, srv, id, secret2)
	if status != http.StatusOK {
		t.Fatalf("the new secret: token endpoint answered %d", status)
	}
	do(t, ctx, click(dialogButton("Close")))

	// Delete, confirming first; the client's token is refused at once.
	do(t, ctx,
		click(button("Actions for CI deploy")),
		click(`//*[@role="menuitem" and normalize-space(.)="Delete"]`),
		visible(`//dialog[@open]//h2[normalize-space(.)="Delete CI deploy?"]`),
		click(dialogButton("Delete")),
		waitJS(`!document.querySelector('dialog[open]') && ![...document.querySelectorAll('td')].some(td => td.textContent.trim() === 'CI deploy')`),
	)
	if _, err := srv.Emulator.GetClient(id); err == nil {
		t.Fatal("the client still exists after Delete")
	}
	if s := projectsStatus(srv, tok2); s != http.StatusUnauthorized {
		t.Errorf("the deleted client's token: GET /v1/connect/projects answered %d, want 401", s)
	}
}

// TestConsoleActionsMenuKeyboard checks the row menu works by keyboard
// alone: Enter opens it on its first item, arrows move, Escape closes it
// and gives focus back to its button, and Cancel in a dialog changes
// nothing.
func TestConsoleActionsMenuKeyboard(t *testing.T) {
	srv := testutil.NewServer(t)
	ctx := tab(t)
	open(t, ctx, srv, "clients")
	name := srv.Emulator.Clients()[0].Name
	do(t, ctx,
		chromedp.Focus(button("Actions for "+name)),
		chromedp.KeyEvent(kb.Enter),
		waitJS(`document.activeElement && document.activeElement.getAttribute('role') === 'menuitem'`),
	)
	focused := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
	if focused != "Rotate client secret" {
		t.Errorf("the menu opened on %q, want its first item", focused)
	}
	do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	focused = get(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
	if focused != "Delete" {
		t.Errorf("ArrowDown moved to %q, want Delete", focused)
	}
	do(t, ctx, chromedp.KeyEvent(kb.Escape), waitJS(`!document.querySelector('[role=menu]')`))
	focused = get(t, ctx, chromedp.Evaluate[string](`document.activeElement.getAttribute('aria-label') || ''`))
	expanded := get(t, ctx, chromedp.AttributeValue(button("Actions for "+name), "aria-expanded"))
	if focused != "Actions for "+name || expanded.Value != "false" {
		t.Errorf("after Escape focus is on %q and aria-expanded=%q; want the actions button, false", focused, expanded.Value)
	}
	// Open Delete by keyboard, then cancel it: the client stays.
	do(t, ctx,
		chromedp.KeyEvent(kb.Enter),
		waitJS(`document.activeElement && document.activeElement.getAttribute('role') === 'menuitem'`),
		chromedp.KeyEvent(kb.End),
		chromedp.KeyEvent(kb.Enter),
		visible(`//dialog[@open]//h2[normalize-space(.)="Delete `+name+`?"]`),
		chromedp.KeyEvent(kb.Escape),
		waitJS(`!document.querySelector('dialog[open]')`),
	)
	if n := len(srv.Emulator.Clients()); n != 1 {
		t.Errorf("cancelling Delete left %d clients, want 1", n)
	}
}

// TestConsoleTheme: the console follows the system's scheme until the
// toggle picks one, which it remembers.
func TestConsoleTheme(t *testing.T) {
	srv := testutil.NewServer(t)
	ctx := tab(t)
	open(t, ctx, srv, "clients")
	bg := func() string {
		return get(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	}
	light := bg()
	pressed := get(t, ctx, chromedp.AttributeValue(button("Dark theme"), "aria-pressed")).Value
	if pressed != "false" {
		t.Fatalf("a light system shows the dark theme pressed: %q", pressed)
	}
	do(t, ctx, click(button("Dark theme")))
	dark := bg()
	if dark == light {
		t.Fatalf("the dark theme has the light background %s", dark)
	}
	open(t, ctx, srv, "clock")
	if got := bg(); got != dark {
		t.Errorf("after a reload the background is %s, want the chosen dark %s", got, dark)
	}
	if p := get(t, ctx, chromedp.AttributeValue(button("Dark theme"), "aria-pressed")).Value; p != "true" {
		t.Errorf("after a reload the toggle says aria-pressed=%q", p)
	}
	do(t, ctx, click(button("Dark theme")))
	if got := bg(); got != light {
		t.Errorf("toggled back, the background is %s, want %s", got, light)
	}
}
