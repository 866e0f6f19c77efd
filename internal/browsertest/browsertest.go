// Package browsertest drives a headless Chromium from Go tests, through chromedp: Start launches the
// browser for one test, and the helpers (Navigate, WaitVisible, Text, SetValue, Click, SetUploadFiles,
// WaitFor, Eval…) run one step each and fail the test, with the page's address and a piece of its HTML,
// when the step does not succeed in time.
//
// The browser is Debian's chromium, found on PATH; a test skips where it is missing, and fails instead
// under KETNOI_REQUIRE_TOOLS=1, as CI sets (see tooltest). An uncaught JavaScript exception on any page
// fails the test when it ends: a page whose script breaks is a broken page.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"ketnoi/internal/tooltest"
)

// StepTimeout bounds each helper's step.
var StepTimeout = 20 * time.Second

// Start launches headless Chromium for the test and returns a context for its tab: pass it to the helpers
// (or to chromedp.Run). The browser and its profile go away when the test ends.
func Start(t testing.TB) context.Context {
	t.Helper()
	path := tooltest.Need(t, "chromium", "browser tests")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), // a fresh profile: no cookies or cache from elsewhere
		chromedp.WindowSize(1280, 900),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start its sandbox as root (CI and containers run tests as root).
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	exc := &exceptions{}
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(exc.listen))
	// The first run starts the browser; it must not have a timeout, which would end the browser with it.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before TempDir removes its profile
		for _, e := range exc.list() {
			t.Errorf("JavaScript exception in the page: %s", e)
		}
	})
	return ctx
}

// exceptions collects the page's uncaught exceptions; the listener runs on chromedp's reader goroutine,
// so it only appends.
type exceptions struct {
	mu   sync.Mutex
	seen []string
}

func (e *exceptions) listen(ev any) {
	if x, ok := ev.(*runtime.EventExceptionThrown); ok && x.ExceptionDetails != nil {
		d := x.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		e.mu.Lock()
		e.seen = append(e.seen, fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1))
		e.mu.Unlock()
	}
}

func (e *exceptions) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.seen...)
}

// Run runs steps with the step timeout, failing the test with what and the page's state on error.
func Run(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, pageState(ctx))
	}
}

// get runs one action that returns a value, failing the test like Run.
func get[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, StepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, pageState(ctx))
	}
	return v
}

// pageState is the page's address and the start of its body, for failure messages.
func pageState(ctx context.Context) string {
	sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	html, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if r := []rune(html); len(r) > 2000 {
		html = string(r[:2000]) + "…"
	}
	return "page " + loc + ":\n" + html
}

// Navigate opens url and waits for the page to load.
func Navigate(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	Run(t, ctx, "navigate to "+url, chromedp.Navigate(url))
}

// WaitVisible waits until the element matching the CSS selector is visible.
func WaitVisible(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	Run(t, ctx, "wait for "+sel+" to be visible", chromedp.WaitVisible(chromedp.CSS(sel)))
}

// Text is the visible text of the element matching the CSS selector (waiting until it is there).
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// SetValue sets the value of an input, textarea or select.
func SetValue(t testing.TB, ctx context.Context, sel, value string) {
	t.Helper()
	Run(t, ctx, "set value of "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// SendKeys types into an element, as a person would (key events, not a value set behind the page's back).
func SendKeys(t testing.TB, ctx context.Context, sel, keys string) {
	t.Helper()
	Run(t, ctx, "type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), keys))
}

// Click clicks the element matching the CSS selector, once it is visible.
func Click(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	Run(t, ctx, "click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// ClickAndWait clicks an element that leads to another page (a link, a submit button) and waits until
// the new page has loaded.
func ClickAndWait(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	before := get(t, ctx, "page identity", chromedp.Evaluate[float64](`window.__browsertestPage = Math.random()`))
	Click(t, ctx, sel)
	WaitFor(t, ctx, fmt.Sprintf("a new page after clicking %s", sel),
		fmt.Sprintf(`window.__browsertestPage !== %v && document.readyState === "complete"`, before))
}

// SetUploadFiles puts local files into an <input type=file>, as if a person had chosen them.
func SetUploadFiles(t testing.TB, ctx context.Context, sel string, files ...string) {
	t.Helper()
	Run(t, ctx, "choose files for "+sel, chromedp.SetUploadFiles(chromedp.CSS(sel), files))
}

// WaitFor waits until the JavaScript expression is truthy. It asks every 50 ms, and goes on asking
// across navigations (while a page is replaced, evaluating fails; that is not yet a failure).
func WaitFor(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(StepTimeout)
	for {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(sctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("still false after %v", StepTimeout)
			}
			t.Fatalf("wait for %s: %v\n%s", what, err, pageState(ctx))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Eval evaluates a JavaScript expression and returns its value, decoded into T.
func Eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	return get(t, ctx, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// Location is the address of the current page.
func Location(t testing.TB, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, "location", chromedp.Location())
}

// Viewport sets the page's viewport, e.g. 375×740 for a phone.
func Viewport(t testing.TB, ctx context.Context, width, height int64) {
	t.Helper()
	Run(t, ctx, fmt.Sprintf("set viewport %d×%d", width, height), chromedp.EmulateViewport(width, height))
}
