package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/e2e/internal/cli"
	"github.com/tabella-vote/tabella/tally"
)

// TestServiceElection runs a whole election through the tabella binary
// over real HTTP and websockets: an official, a server, five trustees
// running a 3-of-5 key ceremony with `tabella trustee ceremony`, voters
// casting with `tabella vote` (one changes its mind, one challenges a
// ballot first, one abstains), receipts checked against the live board
// (and a tampered one refused), the close, three trustees decrypting with
// `tabella trustee decrypt`, and the result the server posts checked
// against the choices cast; then the exported record is verified and the
// server shuts down cleanly.
func TestServiceElection(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	se := cli.NewSession(t, 5*time.Minute)
	ctx, bin, pass, path, run := se.Ctx, se.Bin, se.Pass, se.Path, se.Run
	srv, official := se.ServeElection("--cred-rate", "100")

	// Five trustees make their keys (in parallel: the key files use scrypt).
	var wg sync.WaitGroup
	pubs := make([]string, 5)
	errs := make([]error, 5)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := cli.Run(ctx, bin, "trustee", "init", "--name", fmt.Sprintf("Trustee %d", i+1), "--out", path(fmt.Sprintf("t%d.key", i+1)), "--passphrase-file", pass)
			if r.Code != 0 {
				errs[i] = fmt.Errorf("trustee init %d: %s", i+1, r.Stderr)
				return
			}
			pubs[i] = path(fmt.Sprintf("t%d.pub.json", i+1))
			errs[i] = os.WriteFile(pubs[i], []byte(r.Stdout), 0o644)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	const id = "e2e-2026"
	now := time.Now().UTC()
	manifest := fmt.Sprintf(`{"version":"tabella/v1","election_id":%q,"title":"End-to-end election",
	  "schedule":{"opens":%q,"closes":%q},
	  "contests":[
	    {"id":"mayor","title":"Mayor","kind":"one_of_n","options":[{"id":"alice","title":"Alice"},{"id":"bob","title":"Bob"},{"id":"carol","title":"Carol"}],"min_selections":1,"max_selections":1},
	    {"id":"council","title":"Council","kind":"approval","options":[{"id":"dan","title":"Dan"},{"id":"erin","title":"Erin"},{"id":"frank","title":"Frank"}],"max_selections":2}]}`,
		id, now.Add(-time.Hour).Format("2006-01-02T15:04:05Z"), now.Add(24*time.Hour).Format("2006-01-02T15:04:05Z"))
	if err := os.WriteFile(path("manifest.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	run(append([]string{"election", "create", "--manifest", path("manifest.json"), "--trustees", strings.Join(pubs, ","),
		"--threshold", "3", "--round-seconds", "60"}, official...)...)
	const voters = 12
	run(append([]string{"election", "roll", "--election", id, "--voters", fmt.Sprint(voters), "--out", path("creds")}, official...)...)

	// The key ceremony over the trustee websocket.
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := cli.Run(ctx, bin, "trustee", "ceremony", "--server", srv.URL, "--election", id, "--key", path(fmt.Sprintf("t%d.key", i+1)), "--passphrase-file", pass)
			if r.Code != 0 {
				errs[i] = fmt.Errorf("trustee ceremony %d: exit %d: %s", i+1, r.Code, r.Stderr)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	status := func() map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(run("election", "status", "--server", srv.URL, "--election", id, "--json")), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// The coordinator posts ceremony.result right after the last message.
	deadline := time.Now().Add(30 * time.Second)
	for status()["joint_key"] == "" {
		if time.Now().After(deadline) {
			t.Fatal("no joint key after the ceremony")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Voting is refused before open.
	cred := func(i int) string { return path(fmt.Sprintf("creds/voter-%06d.txt", i)) }
	r := cli.Run(ctx, bin, "vote", "--server", srv.URL, "--credential", cred(1), "--choices", "mayor=alice", "--receipt", path("early.json"))
	if r.Code != 1 || !strings.Contains(r.Stderr, "not_open") {
		t.Fatalf("vote before open: exit %d: %s", r.Code, r.Stderr)
	}
	run(append([]string{"election", "open", "--election", id}, official...)...)

	mayor := []string{"alice", "bob", "carol"}
	council := []string{"dan", "erin", "frank"}
	choice := func(i int) (string, string) { return mayor[i%3], council[i%3] + "," + council[(i+1)%3] }
	vote := func(i int, spec string, extra ...string) string {
		t.Helper()
		args := append([]string{"vote", "--server", srv.URL, "--credential", cred(i), "--choices", spec, "--receipt", path(fmt.Sprintf("receipt-%d-%d.json", i, time.Now().UnixNano()))}, extra...)
		return strings.TrimSpace(run(args...))
	}
	// Voter 1 first votes for carol, then changes to its final choice;
	// voter 2 challenges a ballot first; voter 12 abstains.
	vote(1, "mayor=carol;council=frank")
	vote(2, "mayor=alice;council=dan", "--spoil")
	final := map[int][2]string{}
	verrs := make([]error, voters)
	var receipt string
	for i := 1; i < voters; i++ {
		m, c := choice(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rf := path(fmt.Sprintf("receipt-%d.json", i))
			r := cli.Run(ctx, bin, "vote", "--server", srv.URL, "--credential", cred(i), "--choices", "mayor="+m+";council="+c, "--receipt", rf)
			if r.Code != 0 {
				verrs[i] = fmt.Errorf("voter %d: %s", i, r.Stderr)
			}
		}()
		final[i] = [2]string{m, c}
		receipt = path(fmt.Sprintf("receipt-%d.json", i))
	}
	wg.Wait()
	for _, err := range verrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Receipts: a genuine one checks against the live board, a tampered
	// one does not.
	if out := run("receipt", "check", "--server", srv.URL, receipt); !strings.Contains(out, "OK") {
		t.Fatalf("receipt check: %s", out)
	}
	data, err := os.ReadFile(receipt)
	if err != nil {
		t.Fatal(err)
	}
	var rf map[string]any
	if err := json.Unmarshal(data, &rf); err != nil {
		t.Fatal(err)
	}
	rc := rf["receipt"].(map[string]any)
	h := rc["entry_hash"].(string)
	tampered := strings.Replace(string(data), h, strings.Repeat("0", 64), 1)
	if err := os.WriteFile(path("tampered.json"), []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := cli.Run(ctx, bin, "receipt", "check", "--server", srv.URL, path("tampered.json")); r.Code == 0 {
		t.Fatal("a tampered receipt checked out")
	}

	run(append([]string{"election", "close", "--election", id}, official...)...)
	r = cli.Run(ctx, bin, "vote", "--server", srv.URL, "--credential", cred(12), "--choices", "mayor=bob", "--receipt", path("late.json"))
	if r.Code != 1 || !strings.Contains(r.Stderr, "closed") {
		t.Fatalf("vote after close: exit %d: %s", r.Code, r.Stderr)
	}

	// Three of the five trustees decrypt.
	for _, i := range []int{2, 4, 5} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := cli.Run(ctx, bin, "trustee", "decrypt", "--server", srv.URL, "--election", id, "--key", path(fmt.Sprintf("t%d.key", i)), "--passphrase-file", pass)
			if r.Code != 0 {
				errs[i-1] = fmt.Errorf("trustee decrypt %d: %s", i, r.Stderr)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	out := run("election", "tally", "--server", srv.URL, "--election", id, "--json", "--wait", "1m")
	var tallied struct {
		Result json.RawMessage `json:"result"`
		Ranked []any           `json:"ranked"`
	}
	if err := json.Unmarshal([]byte(out), &tallied); err != nil || len(tallied.Ranked) != 0 {
		t.Fatalf("election tally --json: %v, ranked %v:\n%s", err, tallied.Ranked, out)
	}
	res, err := tally.DecodeResult(tallied.Result)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{}
	for _, f := range final {
		want["mayor/"+f[0]]++
		for _, c := range strings.Split(f[1], ",") {
			want["council/"+c]++
		}
	}
	if res.Turnout != voters-1 {
		t.Errorf("turnout %d, want %d", res.Turnout, voters-1)
	}
	for _, c := range res.Contests {
		for _, o := range c.Options {
			if o.Count != want[c.ID+"/"+o.ID] {
				t.Errorf("%s/%s: %d votes, want %d", c.ID, o.ID, o.Count, want[c.ID+"/"+o.ID])
			}
		}
	}
	if !strings.Contains(run("election", "status", "--server", srv.URL, "--election", id), "tallied") {
		t.Error("status does not say tallied")
	}

	// The exported record verifies.
	run("export", "--server", srv.URL, "--election", id, "--out", path("e2e.record"))
	if r := cli.Run(ctx, bin, "verify", path("e2e.record")); r.Code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if code := srv.Stop(); code != 0 {
		log, _ := os.ReadFile(srv.Log)
		t.Fatalf("tabella serve exited %d on SIGTERM\n%s", code, log)
	}
}
