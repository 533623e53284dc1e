package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
)

// rankedManifestTemplate is the election of the ranked browser tests: a
// one_of_n contest beside a ranked (IRV) contest of four options with
// rankings of 1 to 3 options.
const rankedManifestTemplate = `{"version":"tabella/v1","election_id":"ID","title":"Riverside town vote 2026",` +
	`"schedule":{"opens":"OPENS","closes":"CLOSES"},"contests":[` +
	`{"id":"mayor","title":"Mayor","kind":"one_of_n","options":[{"id":"alice","title":"Alice Martin"},{"id":"bob","title":"Bob Okafor"},{"id":"carol","title":"Carol Nguyen"}],"min_selections":1,"max_selections":1},` +
	`{"id":"council","title":"City council","kind":"ranked","options":[{"id":"dana","title":"Dana Ruiz"},{"id":"eli","title":"Eli Cohen"},{"id":"fay","title":"Fay Osei"},{"id":"gus","title":"Gus Lindqvist"}],"min_selections":1,"max_selections":3,"method":"irv"}]}`

// rankedManifest is that election for id, open from an hour ago for a day.
func rankedManifest(id string) []byte {
	now := time.Now().UTC()
	return []byte(strings.NewReplacer("ID", id, "OPENS", now.Add(-time.Hour).Format(ballot.TimeLayout), "CLOSES", now.Add(24*time.Hour).Format(ballot.TimeLayout)).Replace(rankedManifestTemplate))
}

// wantRanking is the ranking rankFlow builds, as the page describes it.
const wantRanking = "1. Dana Ruiz, 2. Fay Osei, 3. Eli Cohen"

// rankedResult is what rankFlow saw.
type rankedResult struct {
	checked, cast string // tracking codes
	spoiledFile   string
}

// keys presses keys on the focused element (kb.Tab, kb.Enter, " " …).
func keys(t *testing.T, ctx context.Context, what string, ks ...string) {
	t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for _, k := range ks {
		acts = append(acts, chromedp.KeyEvent(k))
	}
	do(t, ctx, what, acts...)
}

// wantFocus fails unless the element with the given id has the focus.
func wantFocus(t *testing.T, ctx context.Context, id, after string) {
	t.Helper()
	if f := focused(t, ctx); f != id {
		failShot(t, ctx)
		t.Fatalf("after %s the focus is on %q, want #%s", after, f, id)
	}
}

// ranking returns the option ids of the page's ranking of contest c.
func pageRanking(t *testing.T, ctx context.Context, c string) []string {
	t.Helper()
	return eval[[]string](t, ctx, `[...document.querySelectorAll("#ranking-`+c+` li[data-option]")].map((li) => li.dataset.option)`)
}

// rankFlow drives the voter page of a rankedManifest election by keyboard
// only: picks a mayor, ranks the council contest (checking the limit of
// three ranks, the moves, the removal and their announcements), encrypts,
// checks the encryption once (the check shows the ranking), and casts a
// fresh one.
func rankFlow(t *testing.T, ctx context.Context, ax *axeChecker, base, id, cred, dir string) rankedResult {
	t.Helper()
	var res rankedResult
	downloads := allowDownloads(t, ctx)
	do(t, ctx, "open the voter page", chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/e/"+id+"/#"+cred), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	if strings.Contains(text(t, ctx, "contests"), "not supported") {
		t.Fatal("the page still says ranked questions are not supported")
	}
	waitText(t, ctx, "rule-council", "Rank up to 3 options")
	waitText(t, ctx, "count-council", "0 of 3 ranks used")
	shot(t, ctx, dir, "r1-ranked-ballot")
	ax.check(t, ctx, "the voter page with a ranked contest")
	if unnamed := eval[[]string](t, ctx, `[...document.querySelectorAll("fieldset.contest button")].filter((b) => !b.getAttribute("aria-label") || !b.getAttribute("aria-label").includes(b.textContent.trim())).map((b) => b.id)`); len(unnamed) > 0 {
		t.Fatalf("ranking buttons whose accessible name lacks the option or the visible text: %v", unnamed)
	}

	// Encrypting with nothing ranked names the contest.
	do(t, ctx, "focus the encrypt button", chromedp.Focus(chromedp.ID("encrypt")))
	keys(t, ctx, "press Enter on encrypt", kb.Enter)
	waitText(t, ctx, "ballot-error", "“City council”: rank at least 1 option.")

	// The mayor by keyboard; then Tab into the ranking control.
	do(t, ctx, "focus the first mayor option", chromedp.Focus(chromedp.ID("opt-mayor-0")))
	keys(t, ctx, "pick a mayor", " ", kb.ArrowDown)
	tabTo(t, ctx, "rank-add-council-dana", 10)
	// Rank next on Dana, then on what the focus moves to: Eli, then Fay.
	keys(t, ctx, "rank Dana", kb.Enter)
	waitText(t, ctx, "rank-live-council", "Dana Ruiz: rank 1.")
	wantFocus(t, ctx, "rank-add-council-eli", "ranking Dana")
	keys(t, ctx, "move to Fay's Rank next", kb.ArrowDown)
	wantFocus(t, ctx, "rank-add-council-fay", "ArrowDown in the unranked list")
	keys(t, ctx, "rank Fay", kb.Enter)
	waitText(t, ctx, "rank-live-council", "Fay Osei: rank 2.")
	wantFocus(t, ctx, "rank-add-council-gus", "ranking Fay")
	keys(t, ctx, "rank Gus", kb.Enter)
	waitText(t, ctx, "rank-live-council", "Gus Lindqvist: rank 3. Your ranking is full (3 ranks).")
	waitText(t, ctx, "count-council", "3 of 3 ranks used — the most you can rank.")
	require.Equal(t, []string{"dana", "fay", "gus"}, pageRanking(t, ctx, "council"))
	// The limit: the fourth option cannot be ranked.
	if !eval[bool](t, ctx, `document.getElementById("rank-add-council-eli").disabled`) {
		t.Fatal("a fourth option can be ranked in a contest of three ranks")
	}
	wantFocus(t, ctx, "rank-up-council-gus", "filling the ranking")
	// Alt+ArrowUp moves Gus above Fay; the focus stays with Gus.
	do(t, ctx, "Alt+ArrowUp on Gus", chromedp.KeyEvent(kb.ArrowUp, chromedp.KeyModifiers(chromedp.ModifierAlt)))
	waitText(t, ctx, "rank-live-council", "Gus Lindqvist moved to rank 2.")
	require.Equal(t, []string{"dana", "gus", "fay"}, pageRanking(t, ctx, "council"))
	wantFocus(t, ctx, "rank-up-council-gus", "moving Gus up")
	// Tab to Gus's Remove and press Space: Gus leaves, the gap closes.
	keys(t, ctx, "Tab to Gus's Move down", kb.Tab)
	wantFocus(t, ctx, "rank-down-council-gus", "Tab")
	keys(t, ctx, "Tab to Gus's Remove", kb.Tab)
	wantFocus(t, ctx, "rank-remove-council-gus", "Tab")
	keys(t, ctx, "remove Gus", " ")
	waitText(t, ctx, "rank-live-council", "Gus Lindqvist removed from the ranking; 2 options ranked.")
	require.Equal(t, []string{"dana", "fay"}, pageRanking(t, ctx, "council"))
	wantFocus(t, ctx, "rank-remove-council-fay", "removing Gus")
	// Eli can be ranked again: Tab to it and rank it third.
	tabTo(t, ctx, "rank-add-council-eli", 3)
	keys(t, ctx, "rank Eli", kb.Enter)
	waitText(t, ctx, "rank-live-council", "Eli Cohen: rank 3.")
	require.Equal(t, []string{"dana", "fay", "eli"}, pageRanking(t, ctx, "council"))
	if !strings.Contains(text(t, ctx, "ranking-council"), "Rank 1:") {
		t.Fatalf("the ranked options do not say their rank to a screen reader: %s", text(t, ctx, "ranking-council"))
	}
	shot(t, ctx, dir, "r2-ranked")
	ax.check(t, ctx, "the voter page with a ranking")

	// Encrypt by keyboard.
	tabTo(t, ctx, "encrypt", 12)
	keys(t, ctx, "press Enter on encrypt", kb.Enter)
	waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden && document.getElementById("tracking").textContent.length === 19`)
	waitText(t, ctx, "summary", wantRanking)
	if eval[bool](t, ctx, `!document.getElementById("rank-up-council-fay").disabled || !document.getElementById("rank-remove-council-dana").disabled`) {
		t.Fatal("the ranking can still be changed while the encryption is on screen")
	}
	res.checked = text(t, ctx, "tracking")

	// Check this encryption: the opened ballot holds the same ranking.
	do(t, ctx, "focus the check button", chromedp.Focus(chromedp.ID("check")))
	keys(t, ctx, "press Enter on check", kb.Enter)
	waitText(t, ctx, "spoiled-body", "Published on the board")
	waitText(t, ctx, "spoiled-body", "exactly what you chose")
	if n := strings.Count(text(t, ctx, "spoiled-body"), wantRanking); n != 2 {
		t.Fatalf("the checked encryption shows the ranking %d times, want 2 (chosen, contained): %s", n, text(t, ctx, "spoiled-body"))
	}
	res.cast = text(t, ctx, "tracking")
	if res.cast == res.checked || len(res.cast) != 19 {
		t.Fatalf("after the check the tracking code is %q (checked %q): no fresh encryption", res.cast, res.checked)
	}
	res.spoiledFile = downloaded(t, ctx, "download-checked", downloads, "tabella-checked-*.json")
	shot(t, ctx, dir, "r3-checked")
	ax.check(t, ctx, "the checked ranked encryption")

	// Cast the fresh encryption.
	waitJS(t, ctx, "the board check", `!!document.getElementById("board-ok")`)
	do(t, ctx, "focus the cast button", chromedp.Focus(chromedp.ID("cast")))
	keys(t, ctx, "press Enter on cast", kb.Enter)
	waitJS(t, ctx, "the receipt", `!document.getElementById("receipt-panel").hidden && document.getElementById("receipt-checks").textContent.includes("entry #")`)
	require.Equal(t, res.cast, text(t, ctx, "receipt-code"))
	shot(t, ctx, dir, "r4-receipt")

	// The checked encryption opens to the ranking on another device too.
	do(t, ctx, "open the checked ballots page", chromedp.Navigate(base+"/e/"+id+"/spoiled#"+res.checked))
	waitText(t, ctx, "found-body", res.checked)
	waitText(t, ctx, "found-body", wantRanking)
	ax.check(t, ctx, "the checked ballots page with a ranked ballot")
	return res
}

// boardBallots reads the election's board and returns the ballots and
// spoiled ballots on it, by tracking code.
func boardBallots(t *testing.T, base, id string) (cast map[string]*ballot.Ballot, spoiled map[string]*ballot.Spoiled) {
	t.Helper()
	bc, err := bulletin.NewClient(base, id, &http.Client{Timeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	note, err := bc.Checkpoint(ctx)
	require.NoError(t, err)
	lines := strings.Split(string(note), "\n")
	require.Greater(t, len(lines), 2, "checkpoint %q", note)
	size, err := strconv.ParseUint(lines[1], 10, 64)
	require.NoError(t, err, "checkpoint size")
	es, err := bc.Entries(ctx, 0, size)
	require.NoError(t, err)
	cast, spoiled = map[string]*ballot.Ballot{}, map[string]*ballot.Spoiled{}
	for _, e := range es {
		switch e.Type {
		case "ballot":
			b, err := ballot.DecodeBallot(e.Payload)
			require.NoError(t, err, "entry %d", e.Index)
			code, err := b.TrackingCode()
			require.NoError(t, err)
			cast[string(code)] = b
		case "ballot.spoiled":
			s, err := ballot.DecodeSpoiled(e.Payload)
			require.NoError(t, err, "entry %d", e.Index)
			code, err := s.Ballot.TrackingCode()
			require.NoError(t, err)
			spoiled[string(code)] = s
		}
	}
	return cast, spoiled
}

// checkRankedBoard checks on the board that the page's ballot was
// admitted with a ranked part of three ciphertexts and that its checked
// encryption is there.
func checkRankedBoard(t *testing.T, base, id string, res rankedResult) {
	t.Helper()
	cast, spoiled := boardBallots(t, base, id)
	b, ok := cast[res.cast]
	require.True(t, ok, "the cast ballot %s is not on the board", res.cast)
	require.Len(t, b.Contests, 2)
	require.Len(t, b.Contests[1].Parts(), 3, "the ranked part of the cast ballot")
	_, ok = spoiled[res.checked]
	require.True(t, ok, "the checked encryption %s is not on the board", res.checked)
	_, ok = cast[res.checked]
	require.False(t, ok, "the checked encryption was cast")
}

// TestBrowserRanked: the voter page ranks a ranked contest by keyboard,
// checks and casts it, against the pages' stand-in service (fast: no
// key ceremony).
func TestBrowserRanked(t *testing.T) {
	ctx, ax := browserRankedObserved(t, "irv")
	alt := eval[string](t, ctx, `document.querySelector("#mix-results svg").getAttribute("aria-label")`)
	require.Equal(t, "Rounds of City council: Round 1: Dana Ruiz 1, Eli Cohen 0, Fay Osei 0, Gus Lindqvist 0", alt)
	require.Equal(t, []string{"Dana Ruiz", "1", "Eli Cohen", "0", "Fay Osei", "0", "Gus Lindqvist", "0", "Exhausted", "0", "Action", "Elected: Dana Ruiz"},
		eval[[]string](t, ctx, `[...document.querySelectorAll("#rounds-council tbody tr > *")].map((c) => c.textContent.trim())`))
	shot(t, ctx, shots(t), "r5-observe-ranked")
	ax.check(t, ctx, "the observer page with a ranked result")
}

// browserRankedObserved: on the stand-in server with the ranked contest
// counted by method, a voter ranks and casts in the browser (rankFlow);
// the observer page follows the stand-in cascade to the count electing
// Dana Ruiz. It returns the browser on the observer page.
func browserRankedObserved(t *testing.T, method string) (context.Context, *axeChecker) {
	dir := t.TempDir()
	mf := filepath.Join(dir, "ranked.json")
	require.NoError(t, os.WriteFile(mf, bytes.Replace(rankedManifest("demo"), []byte(`"method":"irv"`), []byte(`"method":"`+method+`"`), 1), 0o644))
	ctx := tbChromium(t)
	base, id, creds := devServerTB(t, "-manifest", mf)
	ax := maybeAxe(t)
	res := rankFlow(t, ctx, ax, base, id, creds[0], shots(t))
	checkRankedBoard(t, base, id, res)

	// The observer page follows the (stand-in) cascade and shows the
	// count.
	do(t, ctx, "open the observer page", chromedp.Navigate(base+"/e/"+id+"/observe"))
	waitText(t, ctx, "n-ballots", "1")
	resp, err := http.Post(base+"/dev/tally", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	waitJS(t, ctx, "the mix section", `!document.getElementById("mix").hidden`)
	waitText(t, ctx, "mix-status", "Mixes posted: 3 of 3")
	waitText(t, ctx, "mix-status", "Decryption done")
	waitText(t, ctx, "mix-results", "Elected: Dana Ruiz")
	return ctx, ax
}

// TestBrowserRankedSchulze: a Schulze contest's result on the observer
// page shows the Schulze order and the pairwise matrix: the one ballot
// ranks Dana Ruiz, Fay Osei, Eli Cohen (Gus Lindqvist unranked), so Dana's
// row holds 1 (strongest path 1) against every other option, Gus's row 0.
func TestBrowserRankedSchulze(t *testing.T) {
	ctx, ax := browserRankedObserved(t, "schulze")
	row := func(k int) []string {
		return eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll("#pairwise-council tbody tr:nth-child(%d) > *")].map((c) => c.textContent.trim())`, k))
	}
	require.Equal(t, []string{"Dana Ruiz", "—", "1 (1)", "1 (1)", "1 (1)"}, row(1))
	require.Equal(t, []string{"Fay Osei", "0 (0)", "1 (1)", "—", "1 (1)"}, row(3))
	require.Equal(t, []string{"Gus Lindqvist", "0 (0)", "0 (0)", "0 (0)", "—"}, row(4))
	require.Equal(t, []string{"", "Dana Ruiz", "Eli Cohen", "Fay Osei", "Gus Lindqvist"},
		eval[[]string](t, ctx, `[...document.querySelectorAll("#pairwise-council thead th, #pairwise-council thead td")].map((c) => c.textContent.trim())`))
	require.Contains(t, eval[string](t, ctx, `document.getElementById("mix-results").textContent`), "Pairwise preferences in City council")
	shot(t, ctx, shots(t), "r7-observe-schulze")
	ax.check(t, ctx, "the observer page with a Schulze result and its pairwise matrix")
}

// TestBrowserRankedReal is the issue's browser test: on a real `tabella
// serve` with a ranked contest beside a one_of_n contest, a voter ranks by
// keyboard only, checks one encryption (which shows the ranking), casts;
// the board holds the ballot, and `tabella verify --spoiled` opens the
// checked encryption to the same ranking.
func TestBrowserRankedReal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test builds tabella and runs a whole election")
	}
	ctx := tbChromium(t)
	ax := maybeAxe(t)
	dir := shots(t)
	r := startRealManifest(t, 2, "", rankedManifest, nil)
	res := rankFlow(t, ctx, ax, r.url, r.id, r.creds[0], dir)
	checkRankedBoard(t, r.url, r.id, res)
	out := r.tabella("verify", "--no-progress", "--spoiled", res.spoiledFile, "--server", r.url, "--election", r.id)
	if !strings.Contains(out, "council: 1=dana 2=fay 3=eli\n") || !strings.Contains(out, "posted on the board as spoiled") {
		t.Fatalf("tabella verify --spoiled does not show the checked ranking on the board:\n%s", out)
	}
	t.Logf("tabella verify --spoiled:\n%s", out)

	// Close; every trustee's `tabella trustee decrypt` takes its turn in
	// the 3-mixer cascade and decrypts; the count after the mix holds the
	// page's ranking, in `tabella election tally` and on the observer page.
	pass := filepath.Join(r.dir, "pass")
	r.tabella("election", "close", "--server", r.url, "--key", filepath.Join(r.dir, "official.key"), "--passphrase-file", pass, "--election", r.id)
	r.waitPhase(`"phase":"closed"`, "the election to close")
	var procs []*exec.Cmd
	var outs []*bytes.Buffer
	for i, ident := range r.trustees {
		data, err := ident.Seal("correct horse battery", 10)
		require.NoError(t, err)
		kf := filepath.Join(r.dir, fmt.Sprintf("trustee%d.key", i))
		require.NoError(t, os.WriteFile(kf, data, 0o600))
		c := exec.Command(r.bin, "trustee", "decrypt", "--server", r.url, "--election", r.id, "--key", kf, "--passphrase-file", pass, "--mix-wait", "3m")
		o := &bytes.Buffer{}
		c.Stdout, c.Stderr = o, o
		require.NoError(t, c.Start())
		procs, outs = append(procs, c), append(outs, o)
	}
	ok := 0
	for i, c := range procs {
		err := c.Wait()
		require.Contains(t, outs[i].String(), "contest council: mix posted at entry", "trustee %d did not mix:\n%s", i, outs[i])
		require.NoError(t, err, "trustee %d's decryption:\n%s", i, outs[i])
		ok++
	}
	require.GreaterOrEqual(t, ok, 2, "fewer than t trustees decrypted")
	tallyOut := r.tabella("election", "tally", "--server", r.url, "--election", r.id, "--wait", "2m")
	t.Logf("tabella election tally:\n%s", tallyOut)
	require.Contains(t, tallyOut, "City council (council, ranked): 1 rankings after the mix by trustees 1, 2, 3")
	require.Contains(t, tallyOut, "Dana Ruiz")
	do(t, ctx, "open the observer page", chromedp.Navigate(r.url+"/e/"+r.id+"/observe"))
	waitText(t, ctx, "mix-status", "Mixes posted: 3 of 3")
	waitText(t, ctx, "mix-status", "Decryption done")
	waitText(t, ctx, "mix-results", "Elected: Dana Ruiz")
	require.Equal(t, "Rounds of City council: Round 1: Dana Ruiz 1, Eli Cohen 0, Fay Osei 0, Gus Lindqvist 0",
		eval[string](t, ctx, `document.querySelector("#mix-results svg").getAttribute("aria-label")`))
	shot(t, ctx, dir, "r6-observe-real")
	ax.check(t, ctx, "the observer page with a mixed and counted ranked contest")
}
