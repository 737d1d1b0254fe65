// Package e2e drives Trellis in headless Chromium, as an analyst would:
// each test starts a real server over a fresh store on 127.0.0.1 and a
// browser with a fresh profile, and asserts on what the page shows.
//
// The tests need Debian's chromium (`make browser-deps` installs it; set
// CHROMIUM to use another binary). Without it they are skipped, except in
// CI (CI=true), where a missing browser is a failure.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trellis-studio/trellis/modules"
	"github.com/trellis-studio/trellis/modules/builtin"
	"github.com/trellis-studio/trellis/server"
	"github.com/trellis-studio/trellis/storage"
	"github.com/trellis-studio/trellis/workflow"
)

const (
	authorName = "ada"
	password   = "correct horse battery"
)

// app is a running Trellis server with one author.
type app struct {
	URL   string
	Store *storage.Store
}

// startServer starts Trellis over a store in a temporary directory, on a
// random loopback port, and stops it when the test ends.
func startServer(t testing.TB) *app {
	t.Helper()
	return startServerWith(t)
}

// startServerWith is startServer with extra modules in the registry. It
// serves through Server.Serve, as `trellis serve` does, whose shutdown
// cancels and records any run still going before the store closes.
func startServerWith(t testing.TB, extra ...modules.Module) *app {
	t.Helper()
	st, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := modules.NewRegistry(append(builtin.Modules(), extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	eng := &workflow.Engine{Registry: reg, Cache: workflow.NewMemoryCache(64 << 20)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: ln.Addr().String(), ShutdownGrace: 5 * time.Second}, st, reg, eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	eng.Resources = srv.Resources()
	if _, err := server.CreateUser(st, authorName, password, storage.RoleAuthor); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		st.Close()
	})
	a := &app{URL: "http://" + ln.Addr().String(), Store: st}
	checkServer(t, a)
	return a
}

// chromiumPath finds the browser, or skips the test outside CI.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; `make browser-deps` installs it (the browser tests must run in CI)")
	}
	t.Skip("chromium is not installed; `make browser-deps` installs it")
	return ""
}

// browser starts headless Chromium with a fresh profile and returns a
// context for its first tab; everything ends with the test.
func browser(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// watchErrors fails the test when the page throws an uncaught exception or
// the browser logs an error — a refused Content Security Policy included.
// Errors matching an allowed substring (expected failures such as a 409
// the test provokes) are ignored.
func watchErrors(t testing.TB, ctx context.Context, allowed ...string) {
	t.Helper()
	var mu sync.Mutex
	var errs []string
	add := func(s string) {
		for _, a := range allowed {
			if strings.Contains(s, a) {
				return
			}
		}
		mu.Lock()
		errs = append(errs, s)
		mu.Unlock()
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			add(fmt.Sprintf("uncaught exception: %s (%s:%d)", msg, d.URL, d.LineNumber+1))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError {
				add(fmt.Sprintf("browser %s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Error(e)
		}
	})
}

// newTab opens a second tab in the same browser (sharing cookies).
func newTab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return tab
}

// page wraps a tab with test helpers that fail the test on error.
type page struct {
	t   testing.TB
	ctx context.Context
	url string
}

func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%v\n%s", err, p.diagnose())
	}
}

// diagnose describes the page for a failure message; with
// TRELLIS_E2E_FAILSHOT=FILE it also saves a screenshot there.
func (p *page) diagnose() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	if path := os.Getenv("TRELLIS_E2E_FAILSHOT"); path != "" {
		if buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			_ = os.WriteFile(path, buf, 0o644)
		}
	}
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body ? document.body.innerText.slice(0, 3000) : "")`))
	if err != nil {
		return "(page unreadable: " + err.Error() + ")"
	}
	return "page: " + s
}

func (p *page) navigate(path string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.url + path))
}

// eval runs JavaScript and decodes its result (awaiting a promise).
func eval[T any](p *page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v\n%s", js, err, p.diagnose())
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy. The expression is
// tried again after errors too, since the page may be navigating.
func (p *page) waitJS(what, js string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+js+`)`, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("waiting for %s: timed out (last error: %v)\n%s", what, last, p.diagnose())
}

// waitText waits until the element's text contains want, and returns it.
func (p *page) waitText(sel, want string) string {
	p.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.textContent.includes(%q); })()`, sel, want)
	p.waitJS(fmt.Sprintf("%q in %s", want, sel), js)
	return p.text(sel)
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(() => { const el = document.querySelector(%q); return el ? el.textContent : ""; })()`, sel))
}

// fill replaces the text of a field as typing would: it empties it (with
// an input event), then types the text key by key.
func (p *page) fill(sel, text string) {
	p.t.Helper()
	p.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.focus(); el.value = ""; el.dispatchEvent(new Event("input", {bubbles: true})); })()`, sel)))
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (p *page) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// center returns the viewport coordinates of the middle of an element.
func (p *page) center(sel string) (float64, float64) {
	p.t.Helper()
	p.waitJS(sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
	xy := eval[[]float64](p, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (el.scrollIntoView && !(el instanceof SVGElement)) el.scrollIntoView({block: "nearest"}); const r = el.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, sel))
	return xy[0], xy[1]
}

// drag moves the mouse from one point to another with the left button
// held, in steps, as a hand would.
func (p *page) drag(x0, y0, x1, y1 float64) {
	p.t.Helper()
	steps := 12
	acts := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x0, y0),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	}
	for i := 1; i <= steps; i++ {
		x := x0 + (x1-x0)*float64(i)/float64(steps)
		y := y0 + (y1-y0)*float64(i)/float64(steps)
		acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y, chromedp.ButtonLeft, buttons(1)))
	}
	acts = append(acts, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	p.do(acts...)
}

// buttons sets which buttons are held during a mouse move.
func buttons(n int64) chromedp.MouseOption {
	return func(pr *input.DispatchMouseEventParams) { pr.Buttons = n }
}

// key sends a key with modifiers (e.g. "z", ctrl) to the focused element.
func (p *page) key(k string, mods ...chromedp.Modifier) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(k, chromedp.KeyModifiers(mods...)))
}

// screenshot saves a PNG of the viewport.
func (p *page) screenshot(path string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// login signs in through the login page.
func (p *page) login(user string) {
	p.t.Helper()
	p.navigate("/login")
	p.do(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-username]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-username]`), user),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), password),
		chromedp.Submit(chromedp.CSS(`[data-testid=login-form]`)),
	)
	p.waitJS("the workflows page after logging in", `location.pathname === "/workflows" && !!document.querySelector("[data-testid=nav-user]")`)
}

// api calls the JSON API from the page, with the session and CSRF header.
func apiCall[T any](p *page, method, path string, body any) T {
	p.t.Helper()
	b := "undefined"
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		b = string(data)
	}
	js := fmt.Sprintf(`(async () => {
		const m = document.querySelector('meta[name="csrf-token"]');
		const h = {"Content-Type": "application/json"};
		if (m && m.content) h["X-CSRF-Token"] = m.content;
		const body = %s;
		const r = await fetch(%q, {method: %q, headers: h, body: body === undefined ? undefined : JSON.stringify(body)});
		const text = await r.text();
		if (!r.ok) throw new Error(r.status + " " + text);
		return text ? JSON.parse(text) : null;
	})()`, b, path, method)
	return eval[T](p, js)
}

// designerReady waits until the designer has drawn the workflow.
func (p *page) designerReady() {
	p.t.Helper()
	p.waitJS("the designer to be ready", `(() => { const d = document.getElementById("designer"); if (d && d.dataset.ready === "error") throw new Error(document.querySelector("[data-testid=designer-error]").textContent); return !!d && d.dataset.ready === "true"; })()`)
}

func newPage(t testing.TB, ctx context.Context, a *app) *page {
	return &page{t: t, ctx: ctx, url: a.URL}
}

// httpClient reports whether the server answers, for a quick failure
// message before a browser is involved.
func checkServer(t testing.TB, a *app) {
	t.Helper()
	res, err := http.Get(a.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %s", res.Status)
	}
}

// contains reports whether s has every part.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
