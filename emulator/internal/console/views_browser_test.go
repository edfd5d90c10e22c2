package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pdemu/pdemu/emulator"
	"github.com/pdemu/pdemu/testutil"
)

// statusOf reads the verdict the token inspector shows.
func statusOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, chromedp.AttributeValue(chromedp.CSS(`#token-status`), "data-status")).Value
}

// inspect pastes tok into the inspector and waits for its verdict.
func inspect(t *testing.T, ctx context.Context, tok string) string {
	t.Helper()
	do(t, ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById('token-status') && document.getElementById('token-status').remove()`),
		setValue(labelled("Access token"), tok),
		click(button("Inspect")),
		chromedp.WaitVisible(chromedp.CSS(`#token-status`)),
	)
	return statusOf(t, ctx)
}

// TestConsoleTokenInspector mints a token through the console, and checks
// the inspector's verdict at the exact boundaries of the emulator clock,
// and for revoked, deleted-client and foreign tokens.
func TestConsoleTokenInspector(t *testing.T) {
	srv := testutil.NewServer(t)
	creds := srv.CreateClient("Inspector", "connect:users:read", "connect:projects:read")
	ctx := tab(t)
	open(t, ctx, srv, "tokens")

	do(t, ctx,
		chromedp.WaitReady(`//select/option[@value="`+creds.ClientID+`"]`),
		setValue(labelled("Client"), creds.ClientID),
		click(`//form[.//h2[normalize-space(.)="Mint a token"]]//label[normalize-space(.)="connect:users:read"]/input`),
		click(button("Mint token")),
		chromedp.WaitVisible(chromedp.CSS(`#token-status`)),
	)
	tok := get(t, ctx, chromedp.Value(labelled("Access token")))
	if got := statusOf(t, ctx); got != "valid" {
		t.Fatalf("a freshly minted token is %q", got)
	}
	// The minted token is a real one, with the scope asked for.
	if s := srv.Do(http.MethodGet, "/v1/connect/"+srv.Credentials.ProjectID+"/users", tok, nil, "x-pd-environment", "development").Status; s != http.StatusOK {
		t.Errorf("the minted token on users.list: %d", s)
	}
	if s := projectsStatus(srv, tok); s != http.StatusForbidden {
		t.Errorf("the minted token (connect:users:read only) on projects.list: %d, want 403", s)
	}
	page := get(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{creds.ClientID, "connect:users:read", "oauth_access_token", "expires in"} {
		if !strings.Contains(page, want) {
			t.Errorf("the inspection does not show %q:\n%s", want, truncate(page, 2000))
		}
	}
	curl := get(t, ctx, chromedp.Text(chromedp.CSS(`#curl-line`)))
	if !strings.Contains(curl, "Authorization: Bearer "+tok) || !strings.Contains(curl, srv.URL+"/v1/connect/") {
		t.Errorf("the curl line does not call this server with the token:\n%s", curl)
	}
	// The clock is frozen in tests, so the countdown stands at the hour.
	if c := get(t, ctx, chromedp.Text(chromedp.CSS(`#token-countdown`))); c != "01:00:00" {
		t.Errorf("countdown shows %q on a frozen clock, want 01:00:00", c)
	}

	// Exact boundaries: valid at exp-1s, expired at exp.
	srv.Advance(time.Hour - time.Second)
	if got := inspect(t, ctx, tok); got != "valid" {
		t.Errorf("at exp-1s the inspector says %q, want valid", got)
	}
	if c := get(t, ctx, chromedp.Text(chromedp.CSS(`#token-countdown`))); c != "00:00:01" {
		t.Errorf("countdown at exp-1s shows %q", c)
	}
	srv.Advance(time.Second)
	if got := inspect(t, ctx, tok); got != "expired" {
		t.Errorf("at exp the inspector says %q, want expired", got)
	}

	// Revoked, client deleted, wrong key and malformed.
	tok2 := srv.TokenFor(creds)
	if err := srv.Emulator.RevokeToken(tok2); err != nil {
		t.Fatal(err)
	}
	if got := inspect(t, ctx, tok2); got != "revoked" {
		t.Errorf("a revoked token: %q", got)
	}
	tok3 := srv.TokenFor(creds)
	srv.DeleteClient(creds.ClientID)
	if got := inspect(t, ctx, tok3); got != "client_deleted" {
		t.Errorf("a deleted client's token: %q", got)
	}
	other := testutil.NewServer(t, emulator.WithIDSeed(99))
	if got := inspect(t, ctx, other.Token()); got != "wrong_key" {
		t.Errorf("another emulator's token: %q", got)
	}
	if got := inspect(t, ctx, "not-a-token"); got != "malformed" {
		t.Errorf("a malformed token: %q", got)
	}
}

// TestConsoleClock moves the emulator clock with the console's buttons and
// sets it, and sees the console say the same time as the emulator.
func TestConsoleClock(t *testing.T) {
	srv := testutil.NewServer(t)
	ctx := tab(t)
	open(t, ctx, srv, "clock")
	start := srv.Now()
	face := func() string { return get(t, ctx, chromedp.Text(chromedp.CSS(`#clock-face`))) }
	want := func(d time.Duration) string {
		return start.Add(d).UTC().Format("2006-01-02 15:04:05") + " UTC"
	}
	if got := face(); got != want(0) {
		t.Fatalf("the clock shows %q, the emulator is at %q", got, want(0))
	}
	steps := []struct {
		button string
		total  time.Duration
	}{
		{"+1 minute", time.Minute},
		{"+1 hour", time.Minute + time.Hour},
		{"+1 day", time.Minute + time.Hour + 24*time.Hour},
	}
	for _, s := range steps {
		do(t, ctx, click(button(s.button)), waitJS(`document.getElementById('clock-face').textContent === `+jsString(want(s.total))))
		if got := srv.Now().Sub(start); got != s.total {
			t.Errorf("after %s the emulator moved %v, want %v", s.button, got, s.total)
		}
	}
	do(t, ctx,
		typeInto(labelled("New time (RFC 3339)"), "2030-01-02T03:04:05Z"),
		click(button("Set")),
		waitJS(`document.getElementById('clock-face').textContent === "2030-01-02 03:04:05 UTC"`),
	)
	if got := srv.Now().UTC().Format(time.RFC3339); got != "2030-01-02T03:04:05Z" {
		t.Errorf("after Set the emulator is at %s", got)
	}
	// A bad time is refused inline and changes nothing.
	do(t, ctx,
		typeInto(labelled("New time (RFC 3339)"), "tomorrow"),
		click(button("Set")),
		visible(`//p[@class="error-text" and contains(., "RFC 3339")]`),
	)
	if got := srv.Now().UTC().Format(time.RFC3339); got != "2030-01-02T03:04:05Z" {
		t.Errorf("a refused time moved the clock to %s", got)
	}
	chip := get(t, ctx, chromedp.Text(chromedp.CSS(`#clockchip-time`)))
	if !strings.HasPrefix(chip, "2030-01-02 03:04:05 UTC") {
		t.Errorf("the header's clock shows %q", chip)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestConsoleRequests shows the journal: calls appear as they happen,
// filters narrow them, a row expands to its redacted exchange, and faults
// are added and removed from the page. The console's own reads stay out of
// the journal.
func TestConsoleRequests(t *testing.T) {
	srv := testutil.NewServer(t)
	ctx := tab(t)
	open(t, ctx, srv, "requests")

	secret := srv.Credentials.ClientSecret
	if s, _ := tokenStatus(t, srv, srv.Credentials.ClientID, secret); s != http.StatusOK {
		t.Fatalf("token: %d", s)
	}
	if s := projectsStatus(srv, "not-a-token"); s != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", s)
	}
	// Live: both calls show up without a reload.
	do(t, ctx, visible(`//td[normalize-space(.)="/v1/oauth/token"]`), visible(`//td[normalize-space(.)="/v1/connect/projects"]`))

	// Filter by status.
	do(t, ctx,
		setValue(labelled("Status"), "4xx"),
		waitJS(`![...document.querySelectorAll('td')].some(td => td.textContent.trim() === '/v1/oauth/token')`),
		visible(`//td[normalize-space(.)="/v1/connect/projects"]`),
	)
	// Expand the token request: headers and body show, the secret does not.
	do(t, ctx,
		setValue(labelled("Status"), ""),
		setValue(labelled("Route"), "oauthTokens.create"),
		click(button("Apply")),
		click(button("Details of POST /v1/oauth/token")),
		visible(`//tr[@class="detail"]//h3[normalize-space(.)="Request"]`),
	)
	detail := get(t, ctx, chromedp.Text(chromedp.CSS(`tr.detail:not([hidden])`)))
	for _, want := range []string{"client_credentials", "[redacted:", "access_token"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the expanded exchange lacks %q:\n%s", want, truncate(detail, 2000))
		}
	}
	html := get(t, ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if strings.Contains(html, secret) {
		t.Error("the client secret appears in the page")
	}

	// Add a fault from the form; it fires on the next projects.list.
	do(t, ctx,
		typeInto(`//form[@aria-label="Add a fault"]`+labelled("Route"), "projects.list"),
		click(button("Add fault")),
		visible(`//td[normalize-space(.)="flt_1"]`),
	)
	if fs := srv.Emulator.Faults(); len(fs) != 1 || fs[0].Spec.Match.Route != "projects.list" {
		t.Fatalf("faults after the form: %+v", fs)
	}
	if s := projectsStatus(srv, srv.Token()); s != http.StatusTooManyRequests {
		t.Errorf("projects.list under the fault: %d, want 429", s)
	}
	do(t, ctx,
		click(button("Remove fault flt_1")),
		waitJS(`![...document.querySelectorAll('td')].some(td => td.textContent.trim() === 'flt_1')`),
	)
	if fs := srv.Emulator.Faults(); len(fs) != 0 {
		t.Errorf("faults after Remove: %+v", fs)
	}
	// The console polled the journal, the clock and the faults all along;
	// none of its reads are recorded, its writes are.
	for _, route := range []string{"requests.list", "clock.get", "faults.list", "capabilities", "console.page", "console.file", "oauthClients.list"} {
		if n, _ := srv.Emulator.CountRequests(emulator.RequestFilter{Route: route}); n != 0 {
			t.Errorf("the journal recorded %d console reads of %s", n, route)
		}
	}
	if n, _ := srv.Emulator.CountRequests(emulator.RequestFilter{Route: "faults.create"}); n != 1 {
		t.Errorf("the journal recorded %d faults.create, want the console's 1", n)
	}
}

// TestConsoleConnect browses a project's external users and accounts,
// deletes them, and emits an event from a deployed trigger.
func TestConsoleConnect(t *testing.T) {
	srv := testutil.NewServer(t)
	slack := srv.ConnectAccount("alice", "slack", map[string]any{"oauth_access_token": "xoxb-console"})
	acc := srv.ConnectAccount("bob", "github", map[string]any{"oauth_access_token": "gho_console"})
	trigger := deployTrigger(t, srv, "alice", slack)
	ctx := tab(t)
	open(t, ctx, srv, "connect")

	do(t, ctx,
		visible(`//td[normalize-space(.)="alice"]`),
		visible(`//td[normalize-space(.)="bob"]`),
		visible(`//td[normalize-space(.)="`+acc+`"]`),
		visible(`//td[normalize-space(.)="`+trigger+`"]`),
	)
	// Emit an event and see it listed.
	do(t, ctx,
		click(button("Events of "+trigger)),
		visible(`//*[normalize-space(.)="No events yet."]`),
		setValue(labelled("Event (JSON)"), `{"n": 42}`),
		setValue(labelled("Summary"), "answer"),
		click(button("Emit event")),
		visible(`//li[contains(., "answer")]`),
	)
	// Delete an account, then a user with what is theirs.
	do(t, ctx,
		click(button("Delete account "+acc)),
		click(dialogButton("Delete")),
		waitJS(`![...document.querySelectorAll('td')].some(td => td.textContent.trim() === `+jsString(acc)+`)`),
		click(button("Delete user bob")),
		click(dialogButton("Delete")),
		waitJS(`![...document.querySelectorAll('td')].some(td => td.textContent.trim() === 'bob')`),
	)
	r := srv.Do(http.MethodGet, "/v1/connect/"+srv.Credentials.ProjectID+"/users", srv.Token(), nil, "x-pd-environment", "development")
	var users struct {
		Data []struct {
			ExternalID string `json:"external_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &users); err != nil || len(users.Data) != 1 || users.Data[0].ExternalID != "alice" {
		t.Errorf("users after deleting bob: %s", r.Body)
	}
	r = srv.Do(http.MethodGet, "/v1/connect/"+srv.Credentials.ProjectID+"/accounts/"+acc, srv.Token(), nil, "x-pd-environment", "development")
	if r.Status != http.StatusNotFound {
		t.Errorf("the deleted account: %d", r.Status)
	}
}

// deployTrigger deploys the built-in Slack trigger for an external user
// with their account through the API, as an app would, and returns its id.
func deployTrigger(t *testing.T, srv *testutil.Server, user, account string) string {
	t.Helper()
	r := srv.Do(http.MethodPost, "/v1/connect/"+srv.Credentials.ProjectID+"/triggers/deploy", srv.Token(), map[string]any{
		"id": "slack-new-message-in-channels", "external_user_id": user, "configured_props": map[string]any{
			"slack": map[string]any{"authProvisionId": account}, "conversations": []string{"C01GENERAL0"}},
	}, "x-pd-environment", "development")
	if r.Status != http.StatusOK {
		t.Fatalf("deploy trigger: %d %s", r.Status, r.Body)
	}
	var out struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil || out.Data.ID == "" {
		t.Fatalf("deploy trigger: %s", r.Body)
	}
	return out.Data.ID
}

// TestConsoleSnapshots takes, restores and deletes a snapshot, and exports
// the state as a file the emulator can import.
func TestConsoleSnapshots(t *testing.T) {
	srv := testutil.NewServer(t)
	ctx := tab(t)
	open(t, ctx, srv, "snapshots")
	do(t, ctx,
		typeInto(labelled("Snapshot name"), "clean"),
		click(button("Take snapshot")),
		visible(`//td[normalize-space(.)="clean"]`),
	)
	extra := srv.CreateClient("made after the snapshot")
	do(t, ctx,
		click(button("Restore snapshot clean")),
		click(dialogButton("Restore")),
		visible(`//*[contains(@class,"toast") and contains(., "restored")]`),
	)
	if _, err := srv.Emulator.GetClient(extra.ClientID); err == nil {
		t.Error("the client made after the snapshot survived its restore")
	}
	do(t, ctx,
		click(button("Delete snapshot clean")),
		click(dialogButton("Delete")),
		waitJS(`![...document.querySelectorAll('td')].some(td => td.textContent.trim() === 'clean')`),
	)
	if n := len(srv.Emulator.Snapshots()); n != 0 {
		t.Errorf("%d snapshots after Delete", n)
	}

	// Export: the browser saves a state document pdemu imports.
	dir := t.TempDir()
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
		})
		return err
	}), click(button("Export state")), waitJS(`[...document.querySelectorAll('.toast')].some(t => t.textContent === 'State exported')`))
	var file string
	deadline := time.Now().Add(20 * time.Second)
	for file == "" && time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, "pdemu-state-*.json"))
		if len(matches) == 1 {
			file = matches[0]
		} else {
			// The browser writes the file on its own time; poll the
			// directory as a user would look for the download.
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => r()))`, chromedp.EvalAwaitPromise))
		}
	}
	if file == "" {
		t.Fatal("no state file was downloaded")
	}
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fresh := testutil.NewServer(t, emulator.WithIDSeed(7))
	if err := fresh.Emulator.ImportState(doc); err != nil {
		t.Fatalf("the exported file does not import: %v", err)
	}
	if _, err := fresh.Emulator.GetClient(srv.Credentials.ClientID); err != nil {
		t.Errorf("the imported state lacks the seeded client: %v", err)
	}
}

// TestConsoleControlToken serves the console from a pdemu with a control
// token: the page asks for the token once, refuses a wrong one, and keeps
// the right one for the tab across reloads.
func TestConsoleControlToken(t *testing.T) {
	const token = "console-test-control-token-0123456789"
	srv := testutil.NewServer(t, emulator.WithControlToken(token))
	ctx := tab(t)
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/_emulator/ui/"),
		visible(`//dialog[@open]//h2[normalize-space(.)="This pdemu needs its control token"]`),
		typeInto(labelled("Control token"), "wrong-token-wrong-token-wrong"),
		click(dialogButton("Continue")),
		visible(`//dialog[@open]//p[contains(., "not this pdemu's control token")]`),
		typeInto(labelled("Control token"), token),
		click(dialogButton("Continue")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
		visible(`//td[normalize-space(.)="`+srv.Emulator.Clients()[0].Name+`"]`),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
	)
	if open := get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector('dialog[open]')`)); open {
		t.Error("the console asked for the token again after a reload")
	}
	if got := get(t, ctx, chromedp.Evaluate[string](`sessionStorage.getItem('pdemu.controlToken')`)); got != token {
		t.Errorf("the tab keeps %q", got)
	}
	if got := get(t, ctx, chromedp.Evaluate[*string](`localStorage.getItem('pdemu.controlToken')`)); got != nil {
		t.Error("the control token was kept beyond the tab (localStorage)")
	}
}

// TestConsoleClosedToOtherOrigins loads a page of another origin in the
// browser and has it try what a hostile page would: read the control
// plane, write to it, and frame the console. All three fail.
func TestConsoleClosedToOtherOrigins(t *testing.T) {
	srv := testutil.NewServer(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		// Two frames: the console, which must not load, and a control-plane
		// read that carries no framing rule, to show the check can tell.
		_, _ = w.Write([]byte(`<!doctype html><title>other</title><script>window.loaded = 0</script>` +
			`<iframe id="console" onload="window.loaded++" src="` + srv.URL + `/_emulator/ui/"></iframe>` +
			`<iframe id="health" onload="window.loaded++" src="` + srv.URL + `/_emulator/health"></iframe>`))
	}))
	t.Cleanup(evil.Close)
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(evil.URL))
	read := get(t, ctx, chromedp.Evaluate[string](`fetch(`+jsString(srv.URL+"/_emulator/oauth-clients")+`).then(r => r.text()).catch(e => 'blocked: ' + e.name)`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(read, "blocked") {
		t.Errorf("another origin read the control plane: %s", truncate(read, 300))
	}
	write := get(t, ctx, chromedp.Evaluate[string](`fetch(`+jsString(srv.URL+"/_emulator/oauth-clients")+`, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"name":"evil"}'}).then(r => 'sent ' + r.status).catch(e => 'blocked: ' + e.name)`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(write, "blocked") {
		t.Errorf("another origin wrote to the control plane: %s", write)
	}
	// A "simple" request needs no preflight, so the browser sends it; the
	// control plane's guard refuses it for its Origin.
	get(t, ctx, chromedp.Evaluate[string](`fetch(`+jsString(srv.URL+"/_emulator/oauth-clients")+`, {method: 'POST', mode: 'no-cors', body: '{"name":"evil"}'}).then(r => 'sent').catch(e => 'blocked: ' + e.name)`, chromedp.EvalAwaitPromise))
	if n, _ := srv.Emulator.CountRequests(emulator.RequestFilter{Route: "oauthClients.create", Status: http.StatusForbidden}); n != 1 {
		t.Errorf("the guard refused %d cross-origin simple POSTs, want 1", n)
	}
	for _, c := range srv.Emulator.Clients() {
		if c.Name == "evil" {
			t.Error("a page of another origin created a client")
		}
	}
	do(t, ctx, waitJS(`window.loaded === 2`))
	frames := get(t, ctx, func(ctx context.Context, tg *chromedp.Target) (map[string]string, error) {
		res, err := cdp.Call(ctx, tg, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, c := range res.FrameTree.ChildFrames {
			out[c.Frame.Name+c.Frame.URL] = c.Frame.URL
		}
		return out, nil
	})
	var consoleLoaded, healthLoaded bool
	for _, u := range frames {
		consoleLoaded = consoleLoaded || strings.HasPrefix(u, srv.URL+"/_emulator/ui/")
		healthLoaded = healthLoaded || u == srv.URL+"/_emulator/health"
	}
	if !healthLoaded {
		t.Fatalf("the control frame did not load, so framing cannot be judged: %v", frames)
	}
	if consoleLoaded {
		t.Errorf("another origin framed the console: %v", frames)
	}
}
