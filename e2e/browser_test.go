package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tabella-vote/tabella/ballot"
	tb "github.com/tabella-vote/tabella/e2e/browser"
)

// shots is where the browser tests save screenshots: $TABELLA_SCREENSHOTS
// or a temporary folder, logged so a person can look at them.
func shots(t *testing.T) string {
	if d := os.Getenv("TABELLA_SCREENSHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	d := t.TempDir()
	return d
}

// goBuild builds a package of this module into dir and returns the binary.
func goBuild(t testing.TB, pkg, dir string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// devServer runs the pages against the stand-in voter API
// (cmd/tabella/internal/web/devserve) and returns its base URL, the
// election id and the roll's credentials.
func devServer(t *testing.T) (base, id string, creds []string) {
	return devServerTB(t)
}

func devServerTB(t testing.TB, args ...string) (base, id string, creds []string) {
	t.Helper()
	bin := goBuild(t, "./cmd/tabella/internal/web/devserve", t.TempDir())
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`^serving (http://[^/]+)/e/([^/]+)/`)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "credential ") {
			creds = append(creds, line[strings.Index(line, ": ")+2:])
		}
		if m := re.FindStringSubmatch(line); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return m[1], m[2], creds
		}
	}
	t.Fatal("devserve did not start")
	return
}

func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %q: %v", js, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

// failShot saves a screenshot and the page's text when a wait fails, in
// a folder that outlives the test, and logs where.
func failShot(t *testing.T, ctx context.Context) {
	t.Helper()
	dir, err := os.MkdirTemp("", "tabella-browser-failure-")
	if err != nil {
		return
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tb.Screenshot(c, dir, "failure"); err == nil {
		body, _ := chromedp.Run(c, chromedp.Evaluate[string](`document.body.innerText`))
		os.WriteFile(filepath.Join(dir, "failure.txt"), []byte(body), 0o644)
		t.Logf("page at the failure: %s", dir)
	}
}

func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if err := tb.Screenshot(ctx, dir, name); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
}

// waitJS waits until the JavaScript expression is true.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		failShot(t, ctx)
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitText waits until the element's text contains want.
func waitText(t *testing.T, ctx context.Context, id, want string) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf("%q in #%s", want, id), fmt.Sprintf(`(document.getElementById(%q)?.textContent || "").includes(%q)`, id, want))
}

// click clicks the element with the given id.
func click(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	do(t, ctx, "click #"+id, chromedp.Click(chromedp.ID(id)))
}

// setSelect sets a <select> the way a person does, firing "change".
func setSelect(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, id, value))
}

// castResult is what the voter flow saw.
type castResult struct {
	tracking, spoiledCode string
	encryptMillis         float64
	receiptFile           string // the downloaded receipt
	spoiledFile           string // the downloaded checked encryption
}

// allowDownloads makes the browser save downloads into a new folder.
func allowDownloads(t *testing.T, ctx context.Context) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: "allow", DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// downloaded clicks the element and waits for one file matching pattern
// in dir.
func downloaded(t *testing.T, ctx context.Context, id, dir, pattern string) string {
	t.Helper()
	click(t, ctx, id)
	for i := 0; i < 200; i++ {
		time.Sleep(100 * time.Millisecond)
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		if len(m) == 1 {
			if fi, err := os.Stat(m[0]); err == nil && fi.Size() > 0 {
				return m[0]
			}
		}
	}
	t.Fatalf("clicking #%s did not download %s", id, pattern)
	return ""
}

// voteFlow drives the voter page: pick (checking that the form enforces
// the limits), check one encryption, cast a fresh one, download the
// receipt and check it on the receipt page.
func voteFlow(t *testing.T, ctx context.Context, ax *axeChecker, base, id, cred, dir string) castResult {
	t.Helper()
	var res castResult
	downloads := allowDownloads(t, ctx)
	// The credential arrives in the fragment and is removed from the URL.
	do(t, ctx, "open the voter page", chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/e/"+id+"/#"+cred), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	if h := eval[string](t, ctx, `location.hash`); h != "" {
		t.Fatalf("the credential stayed in the URL fragment: %q", h)
	}
	if v := eval[string](t, ctx, `document.getElementById("credential").value`); v != cred {
		t.Fatalf("credential field %q, want the fragment's", v)
	}
	shot(t, ctx, dir, "1-vote")
	ax.check(t, ctx, "the voter page with the credential")
	// Every control has a label a screen reader announces, and every
	// contest is a fieldset with a legend.
	if unlabelled := eval[[]string](t, ctx, `[...document.querySelectorAll("input, select, textarea")].filter((e) => e.type !== "hidden" && !e.labels.length && !e.getAttribute("aria-label")).map((e) => e.id || e.name)`); len(unlabelled) > 0 {
		t.Fatalf("controls without a label: %v", unlabelled)
	}
	if !eval[bool](t, ctx, `[...document.querySelectorAll("fieldset.contest")].every((f) => f.querySelector("legend") && f.querySelector("legend").textContent.trim() !== "")`) {
		t.Fatal("a contest has no legend")
	}

	// Encrypting an incomplete ballot names the contest.
	click(t, ctx, "encrypt")
	waitText(t, ctx, "ballot-error", "Mayor")

	// Mayor: one of n, by keyboard: focus the first radio, arrow down.
	do(t, ctx, "pick a mayor by keyboard", chromedp.Focus(chromedp.ID("opt-mayor-0")), chromedp.KeyEvent(" "), chromedp.KeyEvent(kb.ArrowDown))
	if got := eval[bool](t, ctx, `document.getElementById("opt-mayor-1").checked && !document.getElementById("opt-mayor-0").checked`); !got {
		t.Fatal("arrow key did not move the mayor choice to the second option")
	}
	// Council: approval, at most 2: after two picks the others are disabled.
	click(t, ctx, "opt-council-0")
	click(t, ctx, "opt-council-2")
	if !eval[bool](t, ctx, `document.getElementById("opt-council-1").disabled && document.getElementById("opt-council-3").disabled && !document.getElementById("opt-council-0").disabled`) {
		t.Fatal("the approval contest does not stop a third pick")
	}
	waitText(t, ctx, "count-council", "2 of 2")
	// Parks: scores 0..5, total at most 8: with 5 on one, at most 3 on the other.
	setSelect(t, ctx, "opt-parks-0", "5")
	if !eval[bool](t, ctx, `(() => { const o = document.getElementById("opt-parks-1").options; return o[3].disabled === false && o[4].disabled && o[5].disabled; })()`) {
		t.Fatal("the score contest does not cap the second score at the remaining total")
	}
	setSelect(t, ctx, "opt-parks-1", "3")
	waitText(t, ctx, "count-parks", "8 of 8")
	shot(t, ctx, dir, "2-picked")
	ax.check(t, ctx, "the voter page with choices made")

	// Encrypt: the tracking code appears.
	click(t, ctx, "encrypt")
	waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden && document.getElementById("tracking").textContent.length === 19`)
	first := text(t, ctx, "tracking")
	res.encryptMillis = eval[float64](t, ctx, `Number(document.body.dataset.encryptMs)`)
	shot(t, ctx, dir, "3-review")
	ax.check(t, ctx, "the review step")

	// Check this encryption: it is published, opened, and a fresh one made.
	click(t, ctx, "check")
	waitText(t, ctx, "spoiled-body", "Published on the board")
	waitText(t, ctx, "spoiled-body", "exactly what you chose")
	second := text(t, ctx, "tracking")
	if second == first || len(second) != 19 {
		t.Fatalf("after the check the tracking code is %q (checked %q): no fresh encryption", second, first)
	}
	if !strings.Contains(text(t, ctx, "fresh-note"), first) {
		t.Fatal("the page does not say the checked encryption can never be cast")
	}
	if !strings.Contains(text(t, ctx, "spoiled-body"), "tabella verify") {
		t.Fatal("the page does not say how to confirm the check independently")
	}
	res.spoiledCode = first
	res.spoiledFile = downloaded(t, ctx, "download-checked", downloads, "tabella-checked-*.json")
	shot(t, ctx, dir, "4-checked")
	ax.check(t, ctx, "the checked encryption on the voter page")

	// Cast the fresh encryption (after the page confirmed its election
	// data against the public board).
	waitJS(t, ctx, "the board check", `!!document.getElementById("board-ok")`)
	click(t, ctx, "cast")
	waitJS(t, ctx, "the receipt", `!document.getElementById("receipt-panel").hidden && document.getElementById("receipt-checks").textContent.includes("entry #")`)
	if got := text(t, ctx, "receipt-code"); got != second {
		t.Fatalf("receipt tracking code %q, cast %q", got, second)
	}
	if strings.Contains(text(t, ctx, "receipt-checks"), "did not verify") {
		t.Fatalf("receipt: %s", text(t, ctx, "receipt-checks"))
	}
	res.tracking = second
	shot(t, ctx, dir, "5-receipt")
	ax.check(t, ctx, "the receipt on the voter page")

	// Download the receipt.
	file := downloaded(t, ctx, "download", downloads, "tabella-receipt-*.json")
	res.receiptFile = file
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		Receipt      json.RawMessage `json:"receipt"`
		TrackingCode string          `json:"tracking_code"`
		BoardKey     string          `json:"board_key"`
	}
	if err := json.Unmarshal(data, &saved); err != nil || saved.TrackingCode != second || saved.BoardKey == "" || !strings.Contains(string(saved.Receipt), `"election":"`+id+`"`) {
		t.Fatalf("downloaded receipt: %v %+v", err, saved)
	}

	// Check it on the receipt page, from the file.
	do(t, ctx, "open the receipt page", chromedp.Navigate(base+"/e/"+id+"/receipt"), chromedp.WaitVisible(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}))
	waitJS(t, ctx, "the file to load", `document.getElementById("paste").value.includes("inclusion")`)
	click(t, ctx, "check")
	waitText(t, ctx, "verdict", "on the board")
	checks := text(t, ctx, "checks")
	for _, want := range []string{"signed by the election board", "inclusion proof", "consistency proof", second} {
		if !strings.Contains(checks, want) {
			t.Fatalf("receipt check does not say %q:\n%s", want, checks)
		}
	}
	shot(t, ctx, dir, "6-receipt-check")
	ax.check(t, ctx, "the receipt page with a checked receipt")

	// Anyone can open the checked encryption on another device.
	do(t, ctx, "open the checked ballots page", chromedp.Navigate(base+"/e/"+id+"/spoiled#"+first))
	waitText(t, ctx, "found-body", first)
	if !strings.Contains(text(t, ctx, "found-body"), "Bob Okafor") {
		t.Fatalf("the checked encryption does not open to the picks: %s", text(t, ctx, "found-body"))
	}
	shot(t, ctx, dir, "7-spoiled")
	ax.check(t, ctx, "the checked ballots page with an opened check")
	return res
}

// wantResult is the chart of the browser tests' two ballots: voter 1
// (checked once, then cast: Bob; Dana and Fay; 5 and 3 points) and voter
// 2 (cast through a network failure: Alice, nothing else).
var wantResult = []string{
	"Mayor: Alice Martin 1, Bob Okafor 1, Carol Nguyen 0",
	"City council: Dana Ruiz 1, Eli Cohen 0, Fay Osei 1, Gus Lindqvist 0",
	"Rate the park projects: Riverside walk 5, New playground 3",
}

// offlineCast: the network fails while casting (every answer is lost
// after the server got the request); the page retries, then says so and
// offers Retry; once the network is back, Retry gets the receipt of the
// same ballot. The observer later counts two ballots in all: the board
// never recorded the repeated submissions twice.
func offlineCast(t *testing.T, ctx context.Context, base, id, cred, dir string) string {
	t.Helper()
	do(t, ctx, "open the voter page", chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/e/"+id+"/#"+cred), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	if v := eval[string](t, ctx, `document.getElementById("credential").value`); v != cred {
		t.Fatal("the credential from the fragment is not in the field")
	}
	click(t, ctx, "opt-mayor-0")
	click(t, ctx, "encrypt")
	waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden`)
	code := text(t, ctx, "tracking")
	// The network fails after each request reached the server: the board
	// appends the ballot, but the page never sees the answer. This is the
	// case where a careless retry would cast twice.
	eval[chromedp.Void](t, ctx, `(() => {
		const real = window.fetch.bind(window);
		window.__lost = 0;
		window.__offline = true;
		window.fetch = async (u, o) => {
			if (window.__offline && o && o.method === "POST") {
				await real(u, o);
				window.__lost++;
				throw new TypeError("Failed to fetch");
			}
			return real(u, o);
		};
	})()`)
	click(t, ctx, "cast")
	waitText(t, ctx, "cast-status", "Cannot reach the election server")
	if !eval[bool](t, ctx, `!!document.querySelector("#cast-status button")`) {
		t.Fatal("no Retry button after a network failure")
	}
	if n := eval[int](t, ctx, `window.__lost`); n < 2 {
		t.Fatalf("the page tried %d times before giving up, want automatic retries", n)
	}
	shot(t, ctx, dir, "8b-network-down")
	eval[chromedp.Void](t, ctx, `window.__offline = false`)
	do(t, ctx, "retry", chromedp.Click(chromedp.CSS("#cast-status button")))
	waitJS(t, ctx, "the receipt after the retry", `!document.getElementById("receipt-panel").hidden`)
	if got := text(t, ctx, "receipt-code"); got != code {
		t.Fatalf("after the retry the receipt is for %q, the encryption was %q", got, code)
	}
	return code
}

// phone takes phone-sized screenshots of the voter and observer pages.
func phone(t *testing.T, ctx context.Context, base, id, dir string) {
	t.Helper()
	do(t, ctx, "phone-sized voter page", chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/e/"+id+"/"), chromedp.WaitVisible(chromedp.CSS("fieldset.contest")))
	if w := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, document.documentElement.clientWidth, Math.max(...[...document.querySelectorAll("main *")].map((e) => Math.ceil(e.getBoundingClientRect().right)))]`); w[0] > w[1] || w[2] > w[1] {
		t.Errorf("the voter page overflows a phone screen: scroll width %d, content right edge %d, screen %d", w[0], w[2], w[1])
	}
	if err := tb.ViewportScreenshot(ctx, dir, "m-vote"); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "phone-sized observer page", chromedp.Navigate(base+"/e/"+id+"/observe"))
	waitText(t, ctx, "live", "live")
	if w := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		t.Errorf("the observer page overflows a phone screen: scroll width %d, screen %d", w[0], w[1])
	}
	if err := tb.ViewportScreenshot(ctx, dir, "m-observe"); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "reset the viewport", chromedp.EmulateReset())
}

// closedPage: after the tally the voter page says voting is closed.
func closedPage(t *testing.T, ctx context.Context, base, id, dir string) {
	t.Helper()
	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/"))
	waitText(t, ctx, "page-msg", "Voting is closed")
	if !eval[bool](t, ctx, `document.getElementById("encrypt").disabled`) {
		t.Fatal("the encrypt button is enabled on a closed election")
	}
	shot(t, ctx, dir, "12-closed")
}

// wrongCredential: a typo is caught in the browser; a well-formed
// credential that is not on the roll gets the server's answer, explained.
func wrongCredential(t *testing.T, ctx context.Context, base, id, notOnRoll, dir string) {
	t.Helper()
	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/"), chromedp.WaitEnabled(chromedp.ID("encrypt")))
	typo := []byte(notOnRoll)
	typo[6] = map[bool]byte{true: '2', false: '3'}[typo[6] == '3']
	do(t, ctx, "type a credential with a typo", chromedp.SendKeys(chromedp.ID("credential"), string(typo)))
	click(t, ctx, "opt-mayor-0")
	click(t, ctx, "encrypt")
	waitText(t, ctx, "cred-error", "not a valid credential")
	if eval[string](t, ctx, `document.activeElement.id`) != "credential" {
		t.Fatal("focus did not move to the credential field")
	}
	do(t, ctx, "fix the credential", chromedp.SetValue(chromedp.ID("credential"), notOnRoll))
	click(t, ctx, "encrypt")
	waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden`)
	click(t, ctx, "cast")
	waitText(t, ctx, "cred-error", "not on the voter roll")
	if eval[string](t, ctx, `document.activeElement.id`) != "credential" {
		t.Fatal("after the refusal, focus is not on the credential")
	}
	shot(t, ctx, dir, "8-not-on-roll")
}

// observeResult opens the observer page, checks the live board figures,
// has tally run (while the page follows the feed) and checks the chart
// shows exactly the cast vote.
func observeResult(t *testing.T, ctx context.Context, ax *axeChecker, base, id, dir string, tally func(), ballots string, want []string) {
	t.Helper()
	do(t, ctx, "open the observer page", chromedp.Navigate(base+"/e/"+id+"/observe"))
	waitText(t, ctx, "n-ballots", ballots)
	waitText(t, ctx, "n-spoiled", "1")
	waitText(t, ctx, "cp-root", "matches the entries")
	waitText(t, ctx, "live", "live")
	shot(t, ctx, dir, "9-observe-open")
	ax.check(t, ctx, "the observer page while voting is open")
	tally()
	waitJS(t, ctx, "the results", `!document.getElementById("results").hidden`)
	labels := eval[[]string](t, ctx, `[...document.querySelectorAll("#results svg")].map((s) => s.getAttribute("aria-label"))`)
	if strings.Join(labels, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the chart shows\n%s\nwant exactly the cast vote\n%s", strings.Join(labels, "\n"), strings.Join(want, "\n"))
	}
	if !eval[bool](t, ctx, `document.querySelectorAll("#results svg rect").length > 0`) {
		t.Fatal("no bars in the chart")
	}
	// Beside each chart, a table with the same counts; above them the
	// turnout against the roll and the checked ballots.
	tables := eval[[]string](t, ctx, `[...document.querySelectorAll("#results .contest-result")].map((s) =>
		s.querySelector("h3").textContent + ": " + [...s.querySelectorAll("table tbody tr")].map((r) => r.cells[0].textContent + " " + r.cells[1].textContent).join(", "))`)
	if strings.Join(tables, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the result tables show\n%s\nwant\n%s", strings.Join(tables, "\n"), strings.Join(want, "\n"))
	}
	if got := text(t, ctx, "turnout"); !strings.HasPrefix(got, ballots+" ballots counted of 3 voters on the roll (") {
		t.Fatalf("turnout: %q", got)
	}
	if got := text(t, ctx, "spoiled-count"); got != "1 checked ballot, never counted" {
		t.Fatalf("checked ballots: %q", got)
	}
	if n := eval[int](t, ctx, `[...document.querySelectorAll("#results figure svg")].filter((s) => s.getAttribute("role") === "img" && s.getAttribute("aria-label")).length`); n != len(want) {
		t.Fatalf("%d charts with a text alternative, want %d", n, len(want))
	}
	shot(t, ctx, dir, "10-observe-result")
	ax.check(t, ctx, "the observer page with the results")
	printSummaryOnePage(t, ctx, dir, id)
}

func tbChromium(t *testing.T) context.Context { return tb.Chromium(t, 1200, 900) }

// browserDemoManifest is the stand-in's demo manifest (one contest of
// each kind).
const browserDemoManifest = tb.DemoManifest

// workload writes the manifest of the workloads: W1 = 1 contest,
// 1-of-2; W2 = 10 contests × 1-of-5 (as ballot's benchmarks).
func workload(t testing.TB, dir string, contests, options int) (path string, choices string) {
	m := &ballot.Manifest{Version: ballot.Version, ElectionID: fmt.Sprintf("w-%d-%d", contests, options), Title: "Benchmark workload",
		Schedule: ballot.Schedule{Opens: "2026-01-01T00:00:00Z", Closes: "2036-01-02T00:00:00Z"}}
	ch := map[string][]uint64{}
	for i := 0; i < contests; i++ {
		c := ballot.Contest{ID: fmt.Sprintf("c%d", i), Title: fmt.Sprintf("Contest %d", i), Kind: ballot.OneOfN, MinSelections: 1, MaxSelections: 1}
		for j := 0; j < options; j++ {
			c.Options = append(c.Options, ballot.Option{ID: fmt.Sprintf("o%d", j), Title: fmt.Sprintf("Option %d", j)})
		}
		m.Contests = append(m.Contests, c)
		v := make([]uint64, options)
		v[i%options] = 1
		ch[c.ID] = v
	}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, m.ElectionID+".json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cj, _ := json.Marshal(ch)
	return path, string(cj)
}

// BenchmarkBrowserEncrypt measures encrypting and proving a W1 and a W2
// ballot with the WebAssembly client in headless Chromium, as the voter
// page does (tabella.encrypt, then discard), after the page's warm-up. It
// also reports the cold load in a fresh profile, from navigation start:
// until the ballot form is shown, and until encryption is ready.
func BenchmarkBrowserEncrypt(b *testing.B) {
	for _, w := range []struct {
		name              string
		contests, options int
	}{{"W1", 1, 2}, {"W2", 10, 5}} {
		b.Run(w.name, func(b *testing.B) {
			mpath, choices := workload(b, b.TempDir(), w.contests, w.options)
			base, id, creds := devServerTB(b, "-manifest", mpath, "-voters", "1")
			ctx := tb.Chromium(b, 1200, 900)
			// Cold load in a fresh profile: until the ballot form is shown
			// (the voter can read and pick) and until encryption is ready.
			if err := chromedp.Do(ctx, chromedp.Navigate(base+"/e/"+id+"/"), chromedp.WaitEnabled(chromedp.ID("encrypt"))); err != nil {
				b.Fatal(err)
			}
			marks, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[Number(document.body.dataset.formMs), Number(document.body.dataset.readyMs)]`))
			if err != nil {
				b.Fatal(err)
			}
			// The page warms the engine up with one throwaway encryption.
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.warm === "1"`)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := tb.CPUTime(ctx)
			js := fmt.Sprintf(`(() => { const t0 = performance.now(); for (let i = 0; i < %d; i++) { const r = JSON.parse(tabella.encrypt(%q, %q)); if (r.error) throw new Error(r.error); tabella.discard(r.handle); } return performance.now() - t0; })()`, b.N, creds[0], choices)
			ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](js))
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu := tb.CPUTime(ctx) - cpu0
			b.ReportMetric(ms*1e6/float64(b.N), "browser-ns/op")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "browser-cpu-ns/op")
			b.ReportMetric(marks[0], "cold-form-ms")
			b.ReportMetric(marks[1], "cold-ready-ms")
		})
	}
}

// TestBrowserKeyMismatch: a server that gives the page another joint key
// than the one on its public board is caught before anything is cast.
func TestBrowserKeyMismatch(t *testing.T) {
	ctx := tbChromium(t)
	base, id, creds := devServerTB(t, "-lie-joint-key")
	do(t, ctx, "open the voter page", chromedp.Navigate(base+"/e/"+id+"/#"+creds[0]))
	waitText(t, ctx, "page-msg", "does not match the public board")
	if !eval[bool](t, ctx, `document.getElementById("encrypt").disabled`) {
		t.Fatal("the encrypt button is enabled although the election key is not the board's")
	}
	if !strings.Contains(text(t, ctx, "page-msg"), "joint key") {
		t.Fatalf("the message does not name the joint key: %s", text(t, ctx, "page-msg"))
	}
	shot(t, ctx, shots(t), "k-key-mismatch")
}
