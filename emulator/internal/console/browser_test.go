package console_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/pdemu/pdemu/testutil"
)

// The console's tests drive a real headless Chromium (Debian's chromium
// package) through the page, as a user would. Without a browser they skip,
// unless PDEMU_REQUIRE_BROWSER=1 (set by .ci/run) or CI is set: then a
// missing browser fails them, so CI cannot pass by skipping.

var updateScreenshots = flag.Bool("update", false, "write the console's screenshots into docs/")

// browserPath finds Chromium: $PDEMU_CHROMIUM, or the names Debian and
// others install it under.
func browserPath() (string, error) {
	if p := os.Getenv("PDEMU_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium, or set PDEMU_CHROMIUM)")
}

func browserRequired() bool {
	return os.Getenv("PDEMU_REQUIRE_BROWSER") == "1" || os.Getenv("CI") != ""
}

// One browser serves every test of the package; each test gets its own
// tab, and each test's server its own origin, so no storage is shared.
var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
)

func startBrowser() {
	path, err := browserPath()
	if err != nil {
		browserErr = err
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 860),
	)
	alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, _ := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil {
		browserErr = fmt.Errorf("starting %s: %w", path, err)
		return
	}
	browserCtx = ctx
}

// tab opens a new browser tab for the test, closed when it ends.
func tab(t *testing.T) context.Context {
	t.Helper()
	browserOnce.Do(startBrowser)
	if browserErr != nil {
		if browserRequired() {
			t.Fatalf("the console's browser tests need Chromium: %v", browserErr)
		}
		t.Skipf("no browser: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	return ctx
}

var loads atomic.Int64

// open loads the console of srv at the view and waits until it is ready.
func open(t *testing.T, ctx context.Context, srv *testutil.Server, view string) {
	t.Helper()
	// A query that changes every time makes each open a new document:
	// a change of the fragment alone is no load for Navigate to wait for.
	do(t, ctx,
		chromedp.Navigate(fmt.Sprintf("%s/_emulator/ui/?load=%d#/%s", srv.URL, loads.Add(1), view)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="true"]`)),
	)
}

// do runs steps, failing the test with the page's text on error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		fail(t, ctx, err)
	}
}

// get runs an action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		fail(t, ctx, err)
	}
	return v
}

func fail(t *testing.T, ctx context.Context, err error) {
	t.Helper()
	// The tab's own context may be the one that ran out: read the page
	// under a fresh, short deadline.
	quick, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	text, _ := chromedp.Run(quick, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	t.Fatalf("browser: %v\npage text:\n%s", err, truncate(text, 3000))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// button finds a button by its accessible name: its aria-label, or its
// text when it has none. Finding controls by name, as assistive technology
// does, is also the test that every control has one.
func button(name string) string {
	return fmt.Sprintf(`//button[@aria-label=%[1]s or (not(@aria-label) and normalize-space(.)=%[1]s)]`, xpathString(name))
}

// dialogButton is a button of the open dialog.
func dialogButton(name string) string {
	return `//dialog[@open]` + button(name)
}

// labelled finds a form control by its label's text.
func labelled(label string) string {
	return fmt.Sprintf(`//*[@id=(//label[normalize-space(.)=%s]/@for)]`, xpathString(label))
}

func xpathString(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return `concat("` + strings.ReplaceAll(s, `"`, `", '"', "`) + `")`
}

// visible waits until a node found by XPath is visible.
func visible(xpath string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(xpath) }

// waitJS polls a JavaScript expression until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return nil
	})
}

// click clicks a node found by XPath, once it is visible. The node is
// found and clicked in one step inside the page: the console re-renders
// lists as it polls, and a node found by one call and clicked by the next
// may be gone in between.
func click(xpath string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(xpath),
		waitJS(`(() => {
			const n = document.evaluate(`+jsString(xpath)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
			if (!n || !(n.offsetWidth || n.offsetHeight || n.getClientRects().length)) return false;
			n.click();
			return true;
		})()`),
	)
}

// typeInto replaces a control's value with text, typed as keys.
func typeInto(xpath, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(setValue(xpath, ""), chromedp.SendKeys(xpath, text))
}

// setValue sets a control's value (any value: chromedp.SetValue cannot set
// an empty one) and fires input and change, as a user's edit does.
func setValue(xpath, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitReady(xpath),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const n = document.evaluate(`+jsString(xpath)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
			if (!n) throw new Error('no node at ' + `+jsString(xpath)+`);
			n.value = `+jsString(v)+`;
			if (n.value !== `+jsString(v)+`) throw new Error('the value did not take');
			n.dispatchEvent(new Event('input', {bubbles: true}));
			n.dispatchEvent(new Event('change', {bubbles: true}));
		})()`))
}

// screenshot saves the page as docs/images/NAME.png when -update is given
// (and into the test's temporary directory otherwise, so taking one is
// always exercised), in the light or the dark scheme.
func screenshot(t *testing.T, ctx context.Context, name string, dark bool) {
	t.Helper()
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	do(t, ctx,
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			})
			return err
		}),
		chromedp.Evaluate[chromedp.Void](`localStorage.removeItem('pdemu.theme'); document.documentElement.removeAttribute('data-theme'); if (document.activeElement) document.activeElement.blur(); window.scrollTo(0, 0); document.querySelectorAll('.toast').forEach(t => t.remove()); document.getElementById('theme-toggle').setAttribute('aria-pressed', `+jsString(fmt.Sprint(dark))+`)`),
	)
	png := get(t, ctx, chromedp.FullScreenshot(100))
	dir := t.TempDir()
	if *updateScreenshots {
		dir = filepath.Join("..", "..", "..", "docs", "images")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
