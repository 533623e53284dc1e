package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	tb "github.com/tabella-vote/tabella/e2e/browser"
)

// screenWidths are the widths every page is shown at: a phone's and a
// desktop's.
var screenWidths = []struct {
	name string
	w, h int64
}{{"phone", 390, 844}, {"desktop", 1280, 900}}

// snapWidths shows the page as it is at each of screenWidths: it fails if
// anything is lost sideways, and saves screenshots named name-<width>
// (a phone's screen by screen) in dir, for a person to look at.
func snapWidths(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, w := range screenWidths {
		do(t, ctx, "resize", chromedp.EmulateViewport(w.w, w.h))
		noHorizontalLoss(t, ctx, fmt.Sprintf("%s at %d px", name, w.w))
		if w.w >= 1000 {
			if err := tb.Screenshot(ctx, dir, fmt.Sprintf("%s-%s", name, w.name)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// A full-page capture of a phone-sized page may change its
		// width: take the viewport, screen by screen, instead.
		height := eval[int](t, ctx, `document.documentElement.scrollHeight`)
		for i, y := 0, 0; y < height && i < 24; i, y = i+1, y+int(w.h)-60 {
			eval[chromedp.Void](t, ctx, fmt.Sprintf(`window.scrollTo(0, %d)`, y))
			if err := tb.ViewportScreenshot(ctx, dir, fmt.Sprintf("%s-%s-%d", name, w.name, i)); err != nil {
				t.Fatal(err)
			}
		}
		eval[chromedp.Void](t, ctx, `window.scrollTo(0, 0)`)
	}
	do(t, ctx, "reset the viewport", chromedp.EmulateReset())
}

// TestBrowserScreens shows every page, in its main states, at a phone's
// width (390 px) and a desktop's (1280 px): nothing may be lost sideways,
// and the screenshots (in $TABELLA_SCREENSHOTS, or a temporary folder)
// are there for a person to look at.
func TestBrowserScreens(t *testing.T) {
	ctx := tbChromium(t)
	base, id, creds := devServer(t)
	dir := shots(t)
	t.Logf("screenshots in %s", dir)
	snap := func(name string) { t.Helper(); snapWidths(t, ctx, dir, "s-"+name) }

	do(t, ctx, "open the landing page", chromedp.Navigate(base+"/"))
	waitJS(t, ctx, "the list", `!document.querySelector("#list .spinner")`)
	snap("index")

	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/"), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	waitJS(t, ctx, "the board check", `!!document.getElementById("board-ok")`)
	snap("vote")
	do(t, ctx, "enter the credential", chromedp.SendKeys(chromedp.ID("credential"), creds[0]))
	click(t, ctx, "encrypt")
	waitText(t, ctx, "ballot-error", "Mayor")
	snap("vote-incomplete")
	click(t, ctx, "opt-mayor-2")
	click(t, ctx, "opt-council-1")
	setSelect(t, ctx, "opt-parks-1", "4")
	click(t, ctx, "encrypt")
	waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden`)
	snap("review")
	code := text(t, ctx, "tracking")
	click(t, ctx, "check")
	waitText(t, ctx, "spoiled-body", "Published on the board")
	snap("checked")
	click(t, ctx, "cast")
	waitJS(t, ctx, "the receipt", `!document.getElementById("receipt-panel").hidden && document.getElementById("receipt-checks").textContent.includes("entry #")`)
	snap("receipt")

	do(t, ctx, "open the receipt page", chromedp.Navigate(base+"/e/"+id+"/receipt"), chromedp.WaitVisible(chromedp.ID("use-saved")))
	snap("receipt-page")
	click(t, ctx, "use-saved")
	waitText(t, ctx, "verdict", "on the board")
	snap("receipt-checked")

	do(t, ctx, "open the checked ballots page", chromedp.Navigate(base+"/e/"+id+"/spoiled#"+code))
	waitText(t, ctx, "found-body", code)
	snap("spoiled")

	do(t, ctx, "open the observer page", chromedp.Navigate(base+"/e/"+id+"/observe"))
	waitText(t, ctx, "live", "live")
	waitText(t, ctx, "n-spoiled", "1")
	snap("observe")
	resp, err := http.Post(base+"/dev/tally", "text/plain", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("tally: %v %v", err, resp)
	}
	resp.Body.Close()
	waitJS(t, ctx, "the results", `!document.getElementById("results").hidden`)
	snap("observe-results")

	// German has the longest words of the five languages.
	setSelect(t, ctx, "lang", "de")
	waitJS(t, ctx, "German", `document.documentElement.lang === "de"`)
	snap("observe-results-de")
	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/"), chromedp.WaitVisible(chromedp.CSS("fieldset.contest")))
	waitJS(t, ctx, "German", `document.documentElement.lang === "de"`)
	snap("vote-de")
}
