package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	tb "github.com/tabella-vote/tabella/e2e/browser"
)

// axeChecker runs axe-core on pages: check fails the test on a serious or
// critical violation and logs the others. A nil checker does nothing
// (tests that only reuse the flows).
type axeChecker struct {
	src  string
	seen []string
}

func newAxe(t *testing.T) *axeChecker { return &axeChecker{src: tb.AxeSource(t)} }

// maybeAxe is newAxe for tests whose main subject is another: without
// axe-core outside CI they run without its checks instead of skipping.
func maybeAxe(t *testing.T) *axeChecker {
	if os.Getenv(tb.AxeEnv) == "" && os.Getenv("CI") != "true" {
		t.Logf("%s is not set: no axe-core checks in this test", tb.AxeEnv)
		return nil
	}
	return newAxe(t)
}

func (a *axeChecker) check(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	if a == nil {
		return
	}
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	vs, err := tb.RunAxe(c, a.src)
	if err != nil {
		t.Fatalf("axe-core on %s: %v", page, err)
	}
	var serious []string
	for _, v := range vs {
		if v.Serious() {
			serious = append(serious, v.String())
		} else {
			t.Logf("axe-core on %s (not serious): %s", page, v)
		}
	}
	if len(serious) > 0 {
		failShot(t, ctx)
		t.Fatalf("axe-core finds on %s:\n%s", page, strings.Join(serious, "\n"))
	}
	a.seen = append(a.seen, page)
}

// noHorizontalLoss fails if the page needs horizontal scrolling or some
// content reaches past the right edge (except inside a scrolling box).
func noHorizontalLoss(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	out := eval[[]string](t, ctx, `(() => {
		const W = document.documentElement.clientWidth, out = [];
		if (document.documentElement.scrollWidth > W) out.push("page scrolls sideways: " + document.documentElement.scrollWidth + " > " + W);
		const scrolls = (e) => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll" || o === "hidden") return true; } return false; };
		for (const e of document.querySelectorAll("body *")) {
			const r = e.getBoundingClientRect();
			if (r.width === 0 || r.height === 0 || e.closest("[hidden]") || e.classList.contains("visually-hidden") || e.closest(".skip")) continue;
			if (Math.ceil(r.right) > W + 1 && !scrolls(e)) out.push((e.id ? "#" + e.id : e.tagName.toLowerCase() + "." + e.className) + " reaches " + Math.ceil(r.right));
		}
		return out.slice(0, 10);
	})()`)
	if len(out) > 0 {
		failShot(t, ctx)
		t.Fatalf("%s loses content horizontally:\n%s", what, strings.Join(out, "\n"))
	}
}

// zoom200 shows the page as a 1280×800 window at 200% zoom (a 640×400
// CSS-pixel viewport at device scale 2) and checks that nothing is lost
// sideways.
func zoom200(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	do(t, ctx, "zoom to 200%", chromedp.EmulateViewport(640, 400, chromedp.EmulateScale(2)))
	time.Sleep(100 * time.Millisecond)
	noHorizontalLoss(t, ctx, what+" at 200% zoom")
	do(t, ctx, "zoom back", chromedp.EmulateReset())
}

// focused describes the focused element.
func focused(t *testing.T, ctx context.Context) string {
	return eval[string](t, ctx, `(() => { const e = document.activeElement; return e ? (e.id || e.getAttribute("href") || e.tagName.toLowerCase()) : ""; })()`)
}

// tabTo presses Tab until the element with the given id has the focus,
// checking that each focused element shows a focus indicator, and
// returns what received the focus on the way.
func tabTo(t *testing.T, ctx context.Context, id string, max int) []string {
	t.Helper()
	var path []string
	for i := 0; i < max; i++ {
		do(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		f := focused(t, ctx)
		path = append(path, f)
		if !eval[bool](t, ctx, `(() => { const s = getComputedStyle(document.activeElement); return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none"; })()`) {
			t.Fatalf("%s has the keyboard focus but no visible focus indicator", f)
		}
		if f == id {
			return path
		}
	}
	t.Fatalf("%d Tabs did not reach #%s: %v", max, id, path)
	return nil
}

// TestBrowserKeyboard: the whole voting flow by keyboard only (Tab,
// Space, arrows, Enter), every focused control with a visible focus
// indicator, focus moved to each new step; and every page keeps all its
// content at 200% zoom.
func TestBrowserKeyboard(t *testing.T) {
	ctx := tbChromium(t)
	base, id, creds := devServer(t)
	dir := shots(t)
	ax := maybeAxe(t)
	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/"), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	zoom200(t, ctx, "the voter page")

	// The skip link comes first and takes the focus past the top bar.
	path := tabTo(t, ctx, "#main", 1)
	do(t, ctx, "follow the skip link", chromedp.KeyEvent(kb.Enter))
	path = append(path, tabTo(t, ctx, "credential", 3)...)
	t.Logf("focus order to the credential: %v", path)
	do(t, ctx, "type the credential", chromedp.KeyEvent(creds[0]))
	if v := eval[string](t, ctx, `document.getElementById("credential").value`); v != creds[0] {
		t.Fatalf("the credential field holds %q after typing (following the skip link must not touch it)", v)
	}
	// Mayor: Tab into the radio group, Space picks the first, an arrow the next.
	tabTo(t, ctx, "opt-mayor-0", 2)
	do(t, ctx, "pick by keyboard", chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowDown))
	// Council: Space ticks a box.
	tabTo(t, ctx, "opt-council-0", 2)
	do(t, ctx, "tick by keyboard", chromedp.KeyEvent(" "))
	tabTo(t, ctx, "opt-council-3", 4)
	do(t, ctx, "tick by keyboard", chromedp.KeyEvent(" "))
	waitText(t, ctx, "count-council", "2 of 2")
	tabTo(t, ctx, "encrypt", 6)
	do(t, ctx, "encrypt by keyboard", chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the review step with the focus", `!document.getElementById("step-review").hidden && document.activeElement.id === "review-h"`)
	zoom200(t, ctx, "the review step")
	tabTo(t, ctx, "cast", 3)
	do(t, ctx, "cast by keyboard", chromedp.KeyEvent(kb.Enter))
	waitJS(t, ctx, "the receipt with the focus", `!document.getElementById("receipt-panel").hidden && document.activeElement.id === "receipt-h"`)
	if !eval[bool](t, ctx, `localStorage.getItem("tabella.receipt.`+id+`") !== null`) {
		t.Fatal("the receipt was not kept")
	}
	tabTo(t, ctx, "download", 2)
	shot(t, ctx, dir, "k-receipt")
	zoom200(t, ctx, "the receipt")
	if !eval[bool](t, ctx, `document.getElementById("opt-mayor-1") !== null`) {
		t.Fatal("the ballot form is gone")
	}

	for _, p := range []struct{ path, ready string }{
		{"/", `!document.querySelector("#list .spinner")`},
		{"/e/" + id + "/receipt", `!!document.getElementById("paste")`},
		{"/e/" + id + "/spoiled", `!document.querySelector("#all .spinner")`},
		{"/e/" + id + "/observe", `document.getElementById("live").classList.contains("on")`},
	} {
		do(t, ctx, "open "+p.path, chromedp.Navigate(base+p.path))
		waitJS(t, ctx, p.path+" to load", p.ready)
		zoom200(t, ctx, p.path)
		ax.check(t, ctx, p.path)
	}
}
