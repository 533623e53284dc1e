package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// acceptLanguage makes the tab's navigator.languages (and its
// Accept-Language header) those of a browser set to langs.
func acceptLanguage(t *testing.T, ctx context.Context, langs string) {
	t.Helper()
	ua := eval[string](t, ctx, `navigator.userAgent`)
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: langs}); err != nil {
		t.Fatal(err)
	}
}

// checkLanguage checks that the page is in lang: the html lang
// attribute, the switcher, the given elements' texts, and that no
// translated element is blank, shows its key, or shows the English text
// where the language has its own.
func checkLanguage(t *testing.T, ctx context.Context, lang string, want map[string]string) {
	t.Helper()
	waitJS(t, ctx, "the page in "+lang, fmt.Sprintf(`document.documentElement.lang === %q && document.getElementById("lang").value === %q`, lang, lang))
	for id, w := range want {
		waitText(t, ctx, id, w)
	}
	bad := eval[[]string](t, ctx, fmt.Sprintf(`(() => {
		const en = T.catalogues.en, cat = T.catalogues[%q], out = [];
		for (const e of document.querySelectorAll("[data-i18n]")) {
			const k = e.dataset.i18n, text = e.textContent.trim();
			if (!text) out.push(k + ": blank");
			else if (text.includes(k)) out.push(k + ": shows its key");
			else if (typeof en[k] === "string" && !en[k].includes("{") && cat[k] !== en[k] && text === en[k]) out.push(k + ": in English");
		}
		return out;
	})()`, lang))
	if len(bad) > 0 {
		t.Fatalf("page in %s:\n%s", lang, strings.Join(bad, "\n"))
	}
}

// checkTitles waits until each selector's element shows its text exactly:
// the manifest's titles in the page's language (e2e/SPEC.md §6.1).
func checkTitles(t *testing.T, ctx context.Context, want map[string]string) {
	t.Helper()
	for sel, w := range want {
		waitJS(t, ctx, fmt.Sprintf("%q in %s", w, sel), fmt.Sprintf(`(document.querySelector(%q)?.textContent || "").trim() === %q`, sel, w))
	}
}

// TestBrowserLanguages: a browser set to French gets the pages in French;
// the switcher turns them into German in place (what the voter picked
// stays picked), the choice persists across pages and reloads, plural
// forms follow each language's rules, and a key missing from a catalogue
// falls back to English, never to a blank.
func TestBrowserLanguages(t *testing.T) {
	ctx := tbChromium(t)
	base, id, creds := devServer(t)
	dir := shots(t)
	ax := maybeAxe(t)
	acceptLanguage(t, ctx, "fr-CH,fr;q=0.9,en;q=0.5")

	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/#"+creds[0]), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	if l := eval[string](t, ctx, `navigator.languages[0]`); !strings.HasPrefix(l, "fr") {
		t.Fatalf("navigator.languages[0] = %q, want French", l)
	}
	checkLanguage(t, ctx, "fr", map[string]string{
		"encrypt": "Chiffrer mon bulletin", "cred-h": "Votre code de vote", "ballot-h": "Vos choix",
		"meta": "3 questions", "rule-council": "Choisissez", "rule-parks": "points",
	})
	// The manifest's own titles in French, the default where it has none.
	checkTitles(t, ctx, map[string]string{
		"#title": "Votation de Riverside 2026", `[data-contest="mayor"] legend`: "Maire",
		`label[for="opt-parks-0"]`: "Promenade de la rivière", `label[for="opt-parks-1"]`: "New playground",
		`label[for="opt-mayor-0"] .opt-title`: "Alice Martin",
	})
	if got := eval[string](t, ctx, `document.title`); !strings.Contains(got, "Votation de Riverside 2026") {
		t.Fatalf("document title %q lacks the French election title", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("opt-parks-0").getAttribute("aria-label")`); !strings.Contains(got, "Promenade de la rivière") {
		t.Fatalf("the score select's label lacks the French option title: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector(".skip").textContent`); got != "Aller au contenu principal" {
		t.Fatalf("skip link %q", got)
	}
	click(t, ctx, "opt-mayor-1")
	click(t, ctx, "opt-council-0")
	click(t, ctx, "opt-council-2")
	waitText(t, ctx, "count-council", "2 sur 2 choisis")
	shot(t, ctx, dir, "l-vote-fr")
	ax.check(t, ctx, "the voter page in French")

	// Plural forms: French counts 0 and 1 as singular, German only 1.
	plural := func() string {
		return eval[string](t, ctx, `[0, 1, 2].map((n) => T.t("vote.points", {n})).join(" / ")`)
	}
	if got := plural(); got != "0 point / 1 point / 2 points" {
		t.Fatalf("French plural forms: %q", got)
	}

	// Switch to German: in place, the picks kept.
	setSelect(t, ctx, "lang", "de")
	checkLanguage(t, ctx, "de", map[string]string{
		"encrypt": "Stimmzettel verschlüsseln", "ballot-h": "Ihre Auswahl", "meta": "3 Fragen", "count-council": "2 von 2 gewählt",
		"rule-mayor": "Wählen Sie eine Option",
	})
	checkTitles(t, ctx, map[string]string{
		"#title": "Abstimmung in Riverside 2026", `[data-contest="mayor"] legend`: "Bürgermeister",
		`[data-contest="parks"] legend`: "Bewerten Sie die Parkprojekte", `label[for="opt-parks-0"]`: "Riverside walk",
	})
	if !eval[bool](t, ctx, `document.getElementById("opt-mayor-1").checked && document.getElementById("opt-council-2").checked`) {
		t.Fatal("switching language lost the voter's picks")
	}
	if got := plural(); got != "0 Punkte / 1 Punkt / 2 Punkte" {
		t.Fatalf("German plural forms: %q", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("opt-parks-0").getAttribute("aria-label")`); !strings.HasPrefix(got, "Punkte für") {
		t.Fatalf("the score select's label was not translated: %q", got)
	}
	click(t, ctx, "encrypt")
	waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden`)
	checkLanguage(t, ctx, "de", map[string]string{"review-h": "Stimme abgeben", "cast": "Diesen Stimmzettel abgeben", "summary": "Bob Okafor"})
	waitText(t, ctx, "summary", "Stadtrat")
	click(t, ctx, "cast")
	waitJS(t, ctx, "the receipt", `!document.getElementById("receipt-panel").hidden`)
	checkLanguage(t, ctx, "de", map[string]string{"receipt-msg": "Ihr Stimmzettel steht auf der öffentlichen Tafel", "receipt-checks": "Inklusionsbeweis"})
	shot(t, ctx, dir, "l-receipt-de")

	// The choice persists over the browser's French.
	do(t, ctx, "open the receipt page", chromedp.Navigate(base+"/e/"+id+"/receipt"), chromedp.WaitVisible(chromedp.ID("use-saved")))
	checkLanguage(t, ctx, "de", map[string]string{"title": "Beleg prüfen", "use-saved": "Gespeicherten Beleg prüfen"})
	click(t, ctx, "use-saved")
	waitText(t, ctx, "verdict", "Ihr Stimmzettel steht auf der Tafel")
	checkLanguage(t, ctx, "de", map[string]string{"checks": "Konsistenzbeweis"})
	do(t, ctx, "open the observer page", chromedp.Navigate(base+"/e/"+id+"/observe"))
	waitText(t, ctx, "live", "live")
	checkLanguage(t, ctx, "de", map[string]string{"feed-h": "Live-Tafel", "entries": "Stimmzettel", "n-voters": "1 von 3 Wahlberechtigten"})
	checkTitles(t, ctx, map[string]string{"#title": "Abstimmung in Riverside 2026"})
	shot(t, ctx, dir, "l-observe-de")
	ax.check(t, ctx, "the observer page in German")

	// Back to French on the checked-ballots page; then a key missing from
	// the catalogue shows in English.
	do(t, ctx, "open the checked ballots page", chromedp.Navigate(base+"/e/"+id+"/spoiled"))
	waitJS(t, ctx, "the scan", `!document.querySelector("#all .spinner")`)
	setSelect(t, ctx, "lang", "fr")
	checkLanguage(t, ctx, "fr", map[string]string{"lk-h": "Retrouver un chiffrement vérifié", "all": "Aucun électeur"})
	waitText(t, ctx, "title", "Votation de Riverside 2026")
	// Spanish: the manifest has no Spanish titles, so the default ones.
	setSelect(t, ctx, "lang", "es")
	waitJS(t, ctx, "the page in Spanish", `document.documentElement.lang === "es"`)
	waitText(t, ctx, "title", "Riverside town vote 2026")
	setSelect(t, ctx, "lang", "fr")
	waitText(t, ctx, "title", "Votation de Riverside 2026")
	eval[chromedp.Void](t, ctx, `delete T.catalogues.fr["spoiled.find"]; T.setLanguage("fr")`)
	waitText(t, ctx, "lk-h", "Find a checked encryption")
	eval[chromedp.Void](t, ctx, `delete T.catalogues.en["spoiled.find"]; T.setLanguage("fr")`)
	waitText(t, ctx, "lk-h", "spoiled.find")
	if got := text(t, ctx, "lk-h"); got != "spoiled.find" {
		t.Fatalf("a key missing everywhere shows %q, want the key", got)
	}
}
