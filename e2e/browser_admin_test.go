package e2e

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	tb "github.com/tabella-vote/tabella/e2e/browser"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// consoleServer is a real `tabella serve` with one official, whose key
// file `tabella official init` made, and three trustees' identities with
// their public records and a trustee key file (to open by mistake).
type consoleServer struct {
	*realElection
	keyFile, pass string
	pubFiles      []string
	trusteeKey    string
}

func startConsoleServer(t *testing.T) *consoleServer {
	t.Helper()
	dir := t.TempDir()
	r := &realElection{t: t, dir: dir, bin: goBuild(t, "./cmd/tabella", dir)}
	s := &consoleServer{realElection: r, keyFile: filepath.Join(dir, "official.key"), pass: "correct horse battery"}
	passFile := filepath.Join(dir, "pass")
	require.NoError(t, os.WriteFile(passFile, []byte(s.pass+"\n"), 0o600))
	offPub := strings.TrimSpace(r.tabella("official init", "--out", s.keyFile, "--passphrase-file", passFile))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r.addr = ln.Addr().String()
	ln.Close()
	r.url = "http://" + r.addr
	r.serveArgs = []string{"serve", "--store", "sqlite:" + filepath.Join(dir, "board.db"), "--addr", r.addr,
		"--board-key", filepath.Join(dir, "board.key"), "--board-name", "board.test", "--official", offPub}
	r.logf, _ = os.Create(filepath.Join(dir, "server.log"))
	r.startServer()
	t.Cleanup(func() {
		r.stopServer(os.Interrupt)
		r.logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			t.Logf("server log:\n%s", log)
		}
	})
	for i, name := range []string{"Ada (city clerk)", "Ben (league of voters)", "Chidi (university)"} {
		id, err := trustee.Generate(name)
		require.NoError(t, err)
		r.trustees = append(r.trustees, id)
		p := filepath.Join(dir, fmt.Sprintf("trustee%d.pub.json", i))
		require.NoError(t, os.WriteFile(p, id.Public().Marshal(), 0o644))
		s.pubFiles = append(s.pubFiles, p)
	}
	tk, err := r.trustees[0].Seal(s.pass, 10)
	require.NoError(t, err)
	s.trusteeKey = filepath.Join(dir, "trustee0.key")
	require.NoError(t, os.WriteFile(s.trusteeKey, tk, 0o600))
	return s
}

// ceremony runs the key ceremony of election id with the three trustees,
// each over its own websocket (e2e/coord), as `tabella trustee ceremony`.
func (s *consoleServer) ceremony(id string) {
	t := s.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s.clients = nil
	for i, ident := range s.trustees {
		c, err := coord.Dial(context.Background(), s.url, id, ident, coord.ClientOptions{})
		require.NoError(t, err, "trustee %d", i)
		s.clients = append(s.clients, c)
		t.Cleanup(func() { c.Close() })
	}
	var p *ceremony.Params
	var start time.Time
	for _, e := range s.clients[0].Entries() {
		if e.Type == record.TypeCeremony {
			var err error
			p, err = ceremony.ParseParams(e.Payload)
			require.NoError(t, err)
			start = time.UnixMilli(e.Time)
		}
	}
	require.NotNil(t, p, "no ceremony.params on the board")
	var wg sync.WaitGroup
	errs := make([]error, len(s.trustees))
	for i, ident := range s.trustees {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr, err := ceremony.NewTrustee(ident, p, start)
			if err == nil {
				_, err = tr.Run(ctx, s.clients[i], ceremony.SystemClock{}, 50*time.Millisecond, nil)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...), "key ceremony")
}

// decrypt has two of the three trustees post their decryption shares.
func (s *consoleServer) decrypt(id string) {
	t := s.t
	t.Helper()
	bc, err := bulletin.NewClient(s.url, id, &http.Client{Timeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < 2; i++ {
		_, err := coord.Decrypt(ctx, bc, id, s.trustees[i], s.clients[i], nil)
		require.NoError(t, err, "trustee %d decryption", i)
	}
}

// setField types a value into the console's form field the way a person
// does (an input event, so it is checked as typed).
func setField(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true})); })()`, id, value))
}

// consoleTexts are the texts the test waits for, per language.
type consoleTexts struct {
	lang, notOfficial, trusteeKey, wrongPass, damaged, opened, created, refused, posted, opened2, results string
	// conflict is the sentence of the server's code "conflict"
	// (code.conflict), serverSaid the start of its detail line.
	conflict, serverSaid string
}

var consoleLangs = map[string]consoleTexts{
	"en": {lang: "en-GB,en;q=0.9", notOfficial: "This is not an official's key file", trusteeKey: "It is a trustee's key file", wrongPass: "Wrong passphrase",
		damaged: "The key file is damaged", opened: "Key opened in this browser", created: "created", refused: "The server refused the action (code ",
		posted: "is posted and sealed", opened2: "The election is open", results: "Results",
		conflict: "The election is not at the step this action needs.", serverSaid: "Server said: "},
	"fr": {lang: "fr-FR,fr;q=0.9", notOfficial: "Ce n'est pas un fichier de clé de responsable", trusteeKey: "C'est le fichier de clé d'un garant", wrongPass: "Phrase secrète incorrecte",
		damaged: "Le fichier de clé est endommagé", opened: "Clé ouverte dans ce navigateur", created: "créé", refused: "Le serveur a refusé l'action (code ",
		posted: "est publiée et scellée", opened2: "Le scrutin est ouvert", results: "Résultats",
		conflict: "L’élection n’est pas à l’étape que demande cette action.", serverSaid: "Réponse du serveur : "},
}

// TestBrowserAdmin runs whole elections from the officials' console in
// real Chromium against a real `tabella serve`, in English and in
// French: the key file (after a file of another kind, a wrong passphrase
// and a damaged file, each refused with no request sent), the manifest
// form (field-level errors while typing, every contest kind), the
// trustees' public records, the key ceremony followed live, an action the
// server refuses (its code shown, nothing changed), the roll generated in
// the browser (CSV and letters), open, voters casting from the voter
// page, close, and the tally shown.
func TestBrowserAdmin(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the console test builds tabella and runs whole elections")
	}
	s := startConsoleServer(t)
	dir := shots(t)
	t.Logf("screenshots in %s", dir)
	for _, lang := range []string{"en", "fr"} {
		t.Run(lang, func(t *testing.T) {
			s.t = t
			consoleElection(t, s, lang, "console-"+lang, dir)
		})
	}
}

func consoleElection(t *testing.T, s *consoleServer, lang, id, dir string) {
	tx := consoleLangs[lang]
	ctx := tbChromium(t)
	acceptLanguage(t, ctx, tx.lang)
	downloads := allowDownloads(t, ctx)
	ax := maybeAxe(t)
	// state checks one state of the console: axe-core finds nothing
	// serious, nothing is lost sideways at a phone's or a desktop's
	// width, and the screenshots are saved.
	state := func(name string) {
		t.Helper()
		ax.check(t, ctx, "the console: "+name)
		snapWidths(t, ctx, dir, name)
	}
	do(t, ctx, "open the console", chromedp.Navigate(s.url+"/admin"), chromedp.WaitEnabled(chromedp.ID("key-open")))
	waitJS(t, ctx, "the console in "+lang, fmt.Sprintf(`document.documentElement.lang === %q`, lang))
	// Count the requests the page makes that are not GETs: opening a key
	// file must send none, whatever happens.
	eval[chromedp.Void](t, ctx, `(() => { const real = window.fetch.bind(window); window.__posts = 0; window.fetch = (u, o) => { if (o && o.method && o.method !== "GET") window.__posts++; return real(u, o); }; })()`)
	state(lang + "-admin-0-start")

	// Bad key files: a trustee's public record, a trustee's key file, a
	// wrong passphrase, a damaged file.
	tryKey := func(file, pass, want string) {
		t.Helper()
		do(t, ctx, "choose a key file", chromedp.SetUploadFiles(chromedp.ID("key-file"), []string{file}))
		setField(t, ctx, "key-pass", pass)
		click(t, ctx, "key-open")
		waitText(t, ctx, "key-msg", want)
	}
	tryKey(s.pubFiles[0], s.pass, tx.notOfficial)
	tryKey(s.trusteeKey, s.pass, tx.trusteeKey)
	tryKey(s.keyFile, "not the passphrase", tx.wrongPass)
	good, err := os.ReadFile(s.keyFile)
	require.NoError(t, err)
	bad := append([]byte{}, good...)
	bad[len(bad)-4] ^= 1
	damaged := filepath.Join(t.TempDir(), "damaged.key")
	require.NoError(t, os.WriteFile(damaged, bad, 0o600))
	tryKey(damaged, s.pass, tx.damaged)
	state(lang + "-admin-1-bad-key")
	require.Zero(t, eval[int](t, ctx, `window.__posts`), "a refused key file sent a request")
	tryKey(s.keyFile, s.pass, tx.opened)
	require.Zero(t, eval[int](t, ctx, `window.__posts`))
	require.Empty(t, eval[string](t, ctx, `document.getElementById("key-pass").value`), "the passphrase stays in the field")
	state(lang + "-admin-1b-key-opened")

	// The manifest form: a wrong id is named on its field as it is typed.
	now := time.Now().UTC()
	setField(t, ctx, "m-election_id", "Bad Id")
	waitJS(t, ctx, "the election id's error", `document.getElementById("err-election_id").textContent.length > 0 && document.getElementById("m-election_id").getAttribute("aria-invalid") === "true"`)
	require.True(t, eval[bool](t, ctx, `document.getElementById("create").disabled`), "create is enabled with a wrong manifest")
	setField(t, ctx, "m-election_id", id)
	setField(t, ctx, "m-title", "Riverside town vote "+lang)
	setField(t, ctx, "m-opens", now.Add(-time.Hour).Format("2006-01-02T15:04:05"))
	setField(t, ctx, "m-closes", now.Add(-2*time.Hour).Format("2006-01-02T15:04:05"))
	waitJS(t, ctx, "the schedule's error", `document.getElementById("err-schedule.closes").textContent.includes("not before")`)
	setField(t, ctx, "m-closes", now.Add(24*time.Hour).Format("2006-01-02T15:04:05"))
	// Contest 1, one of n.
	setField(t, ctx, "m-contests.0.id", "mayor")
	setField(t, ctx, "m-contests.0.title", "Mayor")
	setField(t, ctx, "m-contests.0.min_selections", "1")
	for j, o := range []string{"alice", "bob"} {
		setField(t, ctx, fmt.Sprintf("m-contests.0.options.%d.id", j), o)
		setField(t, ctx, fmt.Sprintf("m-contests.0.options.%d.title", j), strings.ToUpper(o[:1])+o[1:])
	}
	// Contest 2, approval, then contest 3, score; contest 4 is ranked,
	// checked by the form and then removed (the tally here is
	// homomorphic).
	kinds := []struct {
		id, kind string
		opts     []string
		limits   map[string]string
	}{
		{"council", "approval", []string{"dana", "eli", "fay"}, map[string]string{"max_selections": "2"}},
		{"parks", "score", []string{"river", "play"}, map[string]string{"max_score": "5", "max_total": "8"}},
		{"budget", "ranked", []string{"roads", "parks", "schools"}, map[string]string{"max_selections": "3"}},
	}
	for i, k := range kinds {
		ci := i + 1
		click(t, ctx, "add-contest")
		eval[chromedp.Void](t, ctx, fmt.Sprintf(`(() => { const s = document.querySelectorAll("#contests fieldset")[%d].querySelector("select.kind"); s.value = %q; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, ci, k.kind))
		setField(t, ctx, fmt.Sprintf("m-contests.%d.id", ci), k.id)
		setField(t, ctx, fmt.Sprintf("m-contests.%d.title", ci), strings.ToUpper(k.id[:1])+k.id[1:])
		for j, o := range k.opts {
			if j >= 2 {
				do(t, ctx, "add an option", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#contests fieldset[data-index="%d"] .add-opt`, ci))))
			}
			setField(t, ctx, fmt.Sprintf("m-contests.%d.options.%d.id", ci, j), o)
			setField(t, ctx, fmt.Sprintf("m-contests.%d.options.%d.title", ci, j), strings.ToUpper(o[:1])+o[1:])
		}
		for f, v := range k.limits {
			setField(t, ctx, fmt.Sprintf("m-contests.%d.%s", ci, f), v)
		}
	}
	// A score above the total is named on max_total.
	setField(t, ctx, "m-contests.2.max_total", "11")
	waitJS(t, ctx, "the max_total error", `document.getElementById("err-contests.2.max_total").textContent.includes("max_total")`)
	setField(t, ctx, "m-contests.2.max_total", "8")
	waitJS(t, ctx, "the manifest to be valid with a ranked contest", `document.querySelector("#manifest-msg .msg-ok") !== null`)
	// Titles in German (e2e/SPEC.md §6.1): a wrong one is named on its
	// field, the right ones go into the manifest.
	do(t, ctx, "open the titles in other languages", chromedp.Click(chromedp.CSS(`#titles-box > summary`)))
	setSelect(t, ctx, "titles-lang", "de")
	waitJS(t, ctx, "the German title fields", `!!document.getElementById("m-contests.3.options.2.titles.de")`)
	setField(t, ctx, "m-titles.de", "Abstimmung "+lang)
	setField(t, ctx, "m-contests.0.titles.de", strings.Repeat("Bürgermeister", 20))
	waitJS(t, ctx, "the German title's error", `document.getElementById("err-contests.0.titles.de").textContent.includes("256") && document.getElementById("m-contests.0.titles.de").getAttribute("aria-invalid") === "true"`)
	setField(t, ctx, "m-contests.0.titles.de", "Bürgermeister")
	setField(t, ctx, "m-contests.0.options.1.titles.de", "Bob (de)")
	// Titles stay with their owner when another language is shown and
	// back (and when the ranked contest is removed below).
	setSelect(t, ctx, "titles-lang", "it")
	waitJS(t, ctx, "the Italian title fields", `!!document.getElementById("m-titles.it") && document.getElementById("m-titles.it").value === ""`)
	setSelect(t, ctx, "titles-lang", "de")
	waitJS(t, ctx, "the German titles kept", `document.getElementById("m-contests.0.titles.de").value === "Bürgermeister"`)
	state(lang + "-admin-2a-titles")
	do(t, ctx, "remove the ranked contest", chromedp.Click(chromedp.CSS(`#contests fieldset[data-index="3"] .del-contest`)))
	waitJS(t, ctx, "the manifest to be valid", `document.querySelector("#manifest-msg .msg-ok") !== null && document.querySelectorAll("#contests fieldset").length === 3`)
	state(lang + "-admin-2-manifest")

	// Trustees from their public records, 2 of 3; then create.
	do(t, ctx, "choose the trustees' records", chromedp.SetUploadFiles(chromedp.ID("tr-files"), s.pubFiles))
	waitJS(t, ctx, "three trustees", `document.querySelectorAll("#tr-list li").length === 3`)
	setField(t, ctx, "threshold", "4")
	waitJS(t, ctx, "the threshold's error", `document.getElementById("create").disabled && document.getElementById("threshold-err").textContent.length > 0`)
	setField(t, ctx, "threshold", "2")
	setField(t, ctx, "round", "20")
	waitJS(t, ctx, "create to be enabled", `!document.getElementById("create").disabled`)
	state(lang + "-admin-3-trustees")
	click(t, ctx, "create")
	waitText(t, ctx, "create-msg", tx.created)
	waitJS(t, ctx, "the live board", `document.querySelectorAll("#feed li").length >= 3`)
	state(lang + "-admin-3b-created")
	posted := getInfo(t, s.url, id)
	require.Contains(t, posted, `"title":"Riverside town vote `+lang+`","titles":{"de":"Abstimmung `+lang+`"}`, "the election's German title in the posted manifest")
	require.Contains(t, posted, `"title":"Mayor","titles":{"de":"Bürgermeister"}`)
	require.Contains(t, posted, `{"id":"bob","title":"Bob","titles":{"de":"Bob (de)"}}`)

	// The key ceremony, followed live by the console.
	s.ceremony(id)
	waitJS(t, ctx, "the ceremony result in the feed", `!!document.querySelector('#feed li[data-type="ceremony.result"]')`)
	waitJS(t, ctx, "the joint key", `document.querySelector("#st-kv dd.mono") !== null`)
	state(lang + "-admin-4-ceremony")

	// Opening before the roll is sealed is refused: the server's code is
	// shown and the board does not change.
	size := eval[int](t, ctx, `document.querySelectorAll("#feed li").length`)
	before := getInfo(t, s.url, id)
	click(t, ctx, "open")
	waitText(t, ctx, "phase-msg", tx.refused+"conflict)")
	t.Logf("refused open: %s", text(t, ctx, "phase-msg"))
	// The code's sentence in the console's language, the server's own
	// (English) words as the detail.
	waitText(t, ctx, "phase-msg", tx.conflict)
	detail := eval[string](t, ctx, `document.querySelector("#phase-msg .err-detail")?.textContent || ""`)
	require.True(t, strings.HasPrefix(detail, tx.serverSaid), "detail %q", detail)
	require.Contains(t, detail, "before roll.seal")
	state(lang + "-admin-4b-refused")
	time.Sleep(800 * time.Millisecond)
	require.Equal(t, before, getInfo(t, s.url, id), "a refused action changed the election")
	require.Equal(t, size, eval[int](t, ctx, `document.querySelectorAll("#feed li").length`))

	// The roll, made in the browser.
	setField(t, ctx, "roll-n", "3")
	click(t, ctx, "roll-gen")
	waitJS(t, ctx, "the credentials", `!document.getElementById("roll-post").hidden`)
	csvFile := downloaded(t, ctx, "roll-csv", downloads, "*-credentials.csv")
	f, err := os.Open(csvFile)
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	require.Equal(t, []string{"voter", "election", "server", "credential"}, rows[0])
	var creds []string
	for _, row := range rows[1:] {
		require.Equal(t, id, row[1])
		_, err := ballot.ParseCredential(row[3])
		require.NoError(t, err)
		creds = append(creds, row[3])
	}
	eval[chromedp.Void](t, ctx, `window.print = () => { window.__printed = true; }`)
	click(t, ctx, "roll-print")
	waitJS(t, ctx, "the letters", `window.__printed && document.querySelectorAll("#letters .letter").length === 3`)
	require.Contains(t, eval[string](t, ctx, `document.querySelector("#letters .letter").textContent`), creds[0])
	require.Contains(t, eval[string](t, ctx, `document.querySelector("#letters .letter").textContent`), s.url+"/e/"+id+"/")
	click(t, ctx, "roll-post")
	waitText(t, ctx, "roll-msg", tx.posted)
	state(lang + "-admin-5-roll")

	// Open (the service may apply the roll's seal to its admission state a
	// moment after the summary shows it: retry a refused open briefly).
	for i := 0; ; i++ {
		waitJS(t, ctx, "open enabled", `!document.getElementById("open").disabled`)
		click(t, ctx, "open")
		waitJS(t, ctx, "the open's answer", `document.querySelector("#phase-msg .msg-ok, #phase-msg .msg-bad") !== null && !document.querySelector("#phase-msg .msg-info")`)
		if strings.Contains(text(t, ctx, "phase-msg"), tx.opened2) {
			break
		}
		require.Less(t, i, 20, "open refused: %s", text(t, ctx, "phase-msg"))
		time.Sleep(300 * time.Millisecond)
	}
	waitJS(t, ctx, "the phase badge", `document.querySelector("#st-phase .badge.open") !== null`)
	state(lang + "-admin-5b-open")

	// Two voters cast from the voter page; then the official comes back
	// to the console, opens the key again and follows the election.
	for i, opt := range []string{"opt-mayor-1", "opt-mayor-0"} {
		do(t, ctx, "open the voter page", chromedp.Navigate("about:blank"), chromedp.Navigate(s.url+"/e/"+id+"/#"+creds[i]), chromedp.WaitEnabled(chromedp.ID("encrypt")))
		click(t, ctx, opt)
		click(t, ctx, "opt-council-0")
		click(t, ctx, "encrypt")
		waitJS(t, ctx, "the review step", `!document.getElementById("step-review").hidden`)
		click(t, ctx, "cast")
		waitJS(t, ctx, "the receipt", `!document.getElementById("receipt-panel").hidden`)
	}
	// The voter page in German shows the titles the official entered,
	// the default ones where there are none.
	setSelect(t, ctx, "lang", "de")
	checkTitles(t, ctx, map[string]string{"#title": "Abstimmung " + lang, `[data-contest="mayor"] legend`: "Bürgermeister",
		`label[for="opt-mayor-1"] .opt-title`: "Bob (de)", `label[for="opt-mayor-0"] .opt-title`: "Alice", `[data-contest="council"] legend`: "Council"})
	eval[chromedp.Void](t, ctx, fmt.Sprintf(`T.setLanguage(%q)`, lang))
	waitJS(t, ctx, "the voter page back in "+lang, fmt.Sprintf(`document.documentElement.lang === %q`, lang))
	do(t, ctx, "open the console again", chromedp.Navigate(s.url+"/admin"), chromedp.WaitEnabled(chromedp.ID("key-open")))
	tryKey(s.keyFile, s.pass, tx.opened)
	setField(t, ctx, "manage-id", id)
	click(t, ctx, "manage-load")
	waitJS(t, ctx, "two ballots in the feed", `document.querySelectorAll('#feed li[data-type="ballot"]').length === 2`)

	// Close, the trustees decrypt, the console shows the tally.
	click(t, ctx, "close")
	waitJS(t, ctx, "the closed badge", `document.querySelector("#st-phase .badge.closed") !== null`)
	state(lang + "-admin-5c-closed")
	s.decrypt(id)
	waitText(t, ctx, "results", tx.results)
	counts := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll("#results tr[data-option]")].map((r) => [r.closest("table").querySelector("caption").textContent + "/" + r.dataset.option, r.querySelector("td").textContent]))`)
	want := map[string]string{"Mayor/alice": "1", "Mayor/bob": "1", "Council/dana": "2", "Council/eli": "0", "Council/fay": "0", "Parks/river": "0", "Parks/play": "0"}
	require.Equal(t, want, counts)
	state(lang + "-admin-6-tally")

	// Every control of the console has a label.
	unlabelled := eval[[]string](t, ctx, `[...document.querySelectorAll("main input, main select, main textarea")].filter((e) => e.type !== "hidden" && !e.labels.length && !e.getAttribute("aria-label")).map((e) => e.id)`)
	require.Empty(t, unlabelled, "controls without a label")
}

// getInfo returns the election's summary as the server gives it.
func getInfo(t *testing.T, url, id string) string {
	t.Helper()
	resp, err := http.Get(url + "/v1/elections/" + id)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// BenchmarkBrowserAdmin measures, in fresh Chromium profiles (a cold
// cache) against the stand-in server: the console's cold load until it is
// usable (the key file can be opened: the WebAssembly client is running),
// beside the voter page's cold load until its client runs (the floor: the
// same client); and generating 10^5 credentials in the console (wasm),
// beside generating them in native Go (ballot.NewCredential).
func BenchmarkBrowserAdmin(b *testing.B) {
	base, id, _ := devServerTB(b)
	dir := b.TempDir()
	bin := goBuild(b, "./cmd/tabella", dir)
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("correct horse battery\n"), 0o600)
	keyFile := filepath.Join(dir, "official.key")
	if out, err := exec.Command(bin, "official", "init", "--out", keyFile, "--passphrase-file", passFile).CombinedOutput(); err != nil {
		b.Fatalf("official init: %v\n%s", err, out)
	}
	run := func(ctx context.Context, what string, a ...chromedp.Action[chromedp.Void]) {
		c, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		if err := chromedp.Do(c, a...); err != nil {
			b.Fatalf("%s: %v", what, err)
		}
	}
	poll := func(ctx context.Context, expr string) {
		c, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		if _, err := chromedp.Run(c, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(10*time.Millisecond))); err != nil {
			b.Fatalf("waiting for %s: %v", expr, err)
		}
	}
	load := func(url, ready string) time.Duration {
		ctx := tbChromiumB(b)
		t0 := time.Now()
		run(ctx, "load "+url, chromedp.Navigate(url))
		poll(ctx, ready)
		return time.Since(t0)
	}
	var admin, voter, roll, native time.Duration
	for range b.N {
		voter += load(base+"/e/"+id+"/", `!!globalThis.tabella`)
		admin += load(base+"/admin", `!document.getElementById("key-open").disabled`)
	}
	b.Logf("cold load: console %v, voter page %v (mean of %d)", admin/time.Duration(b.N), voter/time.Duration(b.N), b.N)
	// 10^5 credentials, once (about half a minute).
	ctx := tbChromiumB(b)
	run(ctx, "open the console", chromedp.Navigate(base+"/admin"), chromedp.WaitEnabled(chromedp.ID("key-open")),
		chromedp.SetUploadFiles(chromedp.ID("key-file"), []string{keyFile}), chromedp.SetValue(chromedp.ID("key-pass"), "correct horse battery"),
		chromedp.Click(chromedp.ID("key-open")), chromedp.WaitVisible(chromedp.ID("manage-card")),
		chromedp.SetValue(chromedp.ID("manage-id"), "bench"), chromedp.Click(chromedp.ID("manage-load")))
	// The stand-in has no election "bench", so the console never shows
	// the roll step by itself: show it (the roll is made in the page alone).
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.getElementById("roll-card").hidden = false, true)`)); err != nil {
		b.Fatal(err)
	}
	run(ctx, "generate the roll",
		chromedp.SetValue(chromedp.ID("roll-n"), "100000"), chromedp.Click(chromedp.ID("roll-gen")))
	poll(ctx, `!document.getElementById("roll-post").hidden`)
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`globalThis.tabellaRollMillis`))
	if err != nil {
		b.Fatal(err)
	}
	roll = time.Duration(ms * float64(time.Millisecond))
	t0 := time.Now()
	for range 100000 {
		ballot.NewCredential().Secret()
	}
	native = time.Since(t0)
	n := float64(b.N)
	b.ReportMetric(admin.Seconds()/n, "admin-cold-s")
	b.ReportMetric(voter.Seconds()/n, "voter-cold-s")
	b.ReportMetric(admin.Seconds()/voter.Seconds(), "admin/voter")
	b.ReportMetric(roll.Seconds(), "roll-1e5-wasm-s")
	b.ReportMetric(native.Seconds(), "roll-1e5-native-s")
	b.ReportMetric(roll.Seconds()/native.Seconds(), "wasm/native")
}

func tbChromiumB(b *testing.B) context.Context { return tb.Chromium(b, 1200, 900) }
