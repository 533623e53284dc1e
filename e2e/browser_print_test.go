package e2e

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// pdfPage matches a page object of a PDF (not the /Pages tree).
var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// printSummaryOnePage checks the observer page's one-page printable
// summary of the results (observe.js printSummary): the button prepares
// it (window.print is stubbed: no dialog), the print style shows the
// heading, figures, results and what identifies them and hides the rest,
// and Chromium prints it on exactly one page of A4 and of US Letter. The
// PDFs are saved in dir.
func printSummaryOnePage(t *testing.T, ctx context.Context, dir, id string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, `window.print = () => { window.__printed = true; }`)
	click(t, ctx, "print-summary")
	waitJS(t, ctx, "the summary prepared", `window.__printed && document.body.classList.contains("print-summary") && document.getElementById("print-info").textContent.length > 0`)
	info := text(t, ctx, "print-info")
	require.Contains(t, info, id)
	require.Regexp(t, `[0-9a-f]{64}`, info, "the manifest and base hashes")

	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
	require.NoError(t, err)
	shown := eval[map[string]bool](t, ctx, `Object.fromEntries(["title", "results", "print-info", "n-ballots", "record", "entries", "trustees", "lang"].map((id) => [id, document.getElementById(id).getClientRects().length > 0]))`)
	require.Equal(t, map[string]bool{"title": true, "results": true, "print-info": true, "n-ballots": true, "record": false, "entries": false, "trustees": false, "lang": false}, shown, "what the summary prints")
	do(t, ctx, "the printable width of an A4 page (and a scroll bar)", chromedp.EmulateViewport(733, 1046))
	shot(t, ctx, dir, "11-observe-summary-print")
	do(t, ctx, "reset the viewport", chromedp.EmulateReset())
	_, err = chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
	require.NoError(t, err)

	yes := true
	for _, paper := range []struct {
		name string
		w, h float64
	}{{"a4", 8.27, 11.69}, {"letter", 8.5, 11}} {
		// Printing fires afterprint, on which the page drops the summary
		// style (the next Ctrl+P prints the whole page): as the button
		// did, set it for each paper.
		eval[chromedp.Void](t, ctx, `document.body.classList.add("print-summary")`)
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: paper.w, PaperHeight: paper.h, PrintBackground: &yes})
		require.NoError(t, err, "print to PDF")
		require.NoError(t, os.WriteFile(filepath.Join(dir, "observe-summary-"+paper.name+".pdf"), res.Data, 0o644))
		require.Len(t, pdfPage.FindAll(res.Data, -1), 1, "the summary on %s: pages", paper.name)
	}
	// Without the summary, the whole observer page prints on more pages
	// (the check above counts pages for real).
	require.False(t, eval[bool](t, ctx, `document.body.classList.contains("print-summary")`), "the summary style outlived the print")
	res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69})
	require.NoError(t, err)
	require.Greater(t, len(pdfPage.FindAll(res.Data, -1)), 1, "the whole page")
}
