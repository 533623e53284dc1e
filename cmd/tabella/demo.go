package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/e2e/verify"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/mixnet/count"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// `tabella demo`: a whole election on one machine.

const demoUsage = `Usage: tabella demo [--voters N] [--trustees N] [--threshold T] [--record FILE] [--keep DIR] [--serve]

Runs a whole election on this machine with the embedded store and no
setup: a server on 127.0.0.1 with a SQLite board in a temporary directory,
an official, N trustees running a t-of-n key ceremony over the trustee
websocket, voters casting random choices concurrently over HTTP, the close,
the trustees' decryption, the result table, and a verification of the
whole record by the universal verifier (the same as 'tabella verify').

With --serve, the counts include the people's ballots, so the demo checks
the scripted voters' choices against the result only as a lower bound; the
verifier still checks every ballot and the whole tally.
`

const demoExample = `tabella demo
tabella demo --voters 200 --trustees 3 --threshold 2 --record demo.record
tabella demo --voters 20 --serve      # then open a printed voter link in a browser`

func init() {
	register(&command{name: "demo", summary: "run a whole election on this machine (no setup)", usage: demoUsage, example: demoExample, run: runDemo})
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "demo")
	voters := fs.Int("voters", 1000, "the number of voters `N`")
	nTrustees := fs.Int("trustees", 5, "the number of trustees `N`")
	threshold := fs.Int("threshold", 3, "the number of trustees `T` needed to decrypt")
	recordFile := fs.String("record", "", "write the election record to `FILE` (default: in the temporary directory)")
	keep := fs.String("keep", "", "keep the board, keys and credentials in `DIR` instead of a temporary directory")
	conc := fs.Int("concurrency", 32, "concurrent voters `C`")
	quiet := fs.Bool("quiet", false, "no progress bars")
	serve := fs.Bool("serve", false, "after the scripted voters, keep the election open for people: print voter\nlinks (each carries a credential) and the observer page, and close and tally on Ctrl-C")
	browser := fs.Int("browser-voters", 5, "credentials `K` kept for people with --serve")
	addr := fs.String("addr", "", "the listen address `ADDR` (default 127.0.0.1:0; with --serve 127.0.0.1:8080)")
	ranked := fs.Bool("ranked", false, "add a ranked contest (instant-runoff over 4 options, rankings of up to 3) beside\nthe homomorphic ones: the trustees (3 of them, 2 needed, unless set) mix it in a\ncascade, decrypt the mixed list with proofs, and the board counts it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole demo (server, trustees, voters, verifier:\nall in this process) to `FILE`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *ranked {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["trustees"] {
			*nTrustees = 3
		}
		if !set["threshold"] {
			*threshold = min(2, *nTrustees)
		}
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *addr == "" {
		*addr = "127.0.0.1:0"
		if *serve {
			*addr = "127.0.0.1:8080"
		}
	}
	if !*serve {
		*browser = 0
	}
	if *browser < 0 || *voters < 0 || *voters+*browser < 1 {
		return fmt.Errorf("%w: need at least one voter", errUsage)
	}
	if *voters < 0 || *nTrustees < 1 || *threshold < 1 || *threshold > *nTrustees || *conc < 1 {
		return fmt.Errorf("%w: need voters ≥ 1 and 1 ≤ threshold ≤ trustees", errUsage)
	}
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "tabella-demo-")
		if err != nil {
			return err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if *recordFile == "" {
		*recordFile = filepath.Join(dir, "demo.record")
	}
	d := &demo{e: e, dir: dir, quiet: *quiet, serve: *serve, browser: *browser, addr: *addr, ranked: *ranked}
	return d.run(ctx, *voters, *nTrustees, *threshold, *conc, *recordFile)
}

type demo struct {
	e       *env
	dir     string
	quiet   bool
	serve   bool   // keep the election open for people until Ctrl-C
	browser int    // credentials kept for people (with serve)
	addr    string // listen address
	ranked  bool   // with a ranked contest and its mix cascade
	t0      time.Time
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.e.stderr, "[%6.1fs] %s\n", time.Since(d.t0).Seconds(), fmt.Sprintf(format, args...))
}

func (d *demo) bar(n int, what string) *progressbar.ProgressBar {
	w := d.e.stderr
	if d.quiet {
		w = io.Discard
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
}

// demoRanked is the ranked contest of `tabella demo --ranked`.
var demoRanked = ballot.Contest{ID: "budget", Title: "Budget priorities", Kind: ballot.Ranked, MinSelections: 1, MaxSelections: 3, Method: ballot.IRV,
	Options: []ballot.Option{{ID: "roads", Title: "Roads"}, {ID: "parks", Title: "Parks"}, {ID: "schools", Title: "Schools"}, {ID: "library", Title: "Library"}}}

// demoManifest is the demo's election: one yes/no question and a 1-of-3,
// and with ranked the ranked contest between them.
func demoManifest(id string, now time.Time, ranked bool) *ballot.Manifest {
	m := demoBase(id, now)
	if ranked {
		m.Contests = []ballot.Contest{m.Contests[0], demoRanked, m.Contests[1]}
	}
	return m
}

func demoBase(id string, now time.Time) *ballot.Manifest {
	return &ballot.Manifest{Version: ballot.Version, ElectionID: id, Title: "Tabella demo election",
		Schedule: ballot.Schedule{Opens: now.Add(-time.Minute).UTC().Format(ballot.TimeLayout), Closes: now.Add(24 * time.Hour).UTC().Format(ballot.TimeLayout)},
		Contests: []ballot.Contest{
			{ID: "mayor", Title: "Mayor", Kind: ballot.OneOfN, MinSelections: 1, MaxSelections: 1,
				Options: []ballot.Option{{ID: "alice", Title: "Alice"}, {ID: "bob", Title: "Bob"}, {ID: "carol", Title: "Carol"}}},
			{ID: "park", Title: "Build the new park?", Kind: ballot.OneOfN, MaxSelections: 1,
				Options: []ballot.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}},
		}}
}

func randIntn(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("tabella: crypto/rand failed: " + err.Error())
	}
	return int(v.Int64())
}

func (d *demo) run(ctx context.Context, voters, nTrustees, threshold, conc int, recordFile string) error {
	d.t0 = time.Now()
	e := d.e
	// The server, on a free loopback port, with a fresh board key.
	skey, _, err := note.GenerateKey(rand.Reader, "demo.tabella")
	if err != nil {
		return err
	}
	off := service.Official{Key: newOfficialKey()}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if lf, err := os.Create(filepath.Join(d.dir, "server.log")); err == nil {
		defer lf.Close()
		logger = slog.New(slog.NewTextHandler(lf, nil))
	}
	dsn := "sqlite:" + filepath.Join(d.dir, "board.db")
	srv, err := startServer(ctx, serverConfig{dsn: dsn, addr: d.addr, boardKey: skey,
		officials: []ed25519.PublicKey{off.Public()}, logger: logger,
		http: service.HTTPOptions{IPRate: 1e6, IPBurst: 1e6}})
	if err != nil {
		return err
	}
	defer srv.shutdown()
	d.step("server listening on %s (board %s, store %s)", srv.url, srv.svc.BoardName(), dsn)
	c := service.NewClient(srv.url)
	c.HC = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}

	// Trustees and the election.
	ids := make([]*trustee.Identity, nTrustees)
	pubs := make([]trustee.Public, nTrustees)
	for i := range ids {
		if ids[i], err = trustee.Generate(fmt.Sprintf("Trustee %d", i+1)); err != nil {
			return err
		}
		pubs[i] = *ids[i].Public()
	}
	id := "demo-" + time.Now().UTC().Format("20060102-150405")
	m := demoManifest(id, time.Now(), d.ranked)
	manifest, err := m.Encode()
	if err != nil {
		return err
	}
	// The round time is also each mixer's window (e2e/SPEC.md §16.2), and
	// the first mixer recounts every ballot before it shuffles: size it by
	// the election (60 ms a voter above 30 s; 10^4 voters missed a fixed
	// 30 s on a busy machine, and 10 ms a voter when two demos shared a
	// loaded machine). Nobody misses a round in the demo, so a long round
	// costs no time.
	round := 30*time.Second + time.Duration(voters+d.browser)*60*time.Millisecond
	if err := createElection(ctx, &env{stdout: io.Discard, stderr: io.Discard}, c, off, []ed25519.PublicKey{off.Public()}, m, manifest, pubs, threshold, round); err != nil {
		return err
	}
	d.step("election %s: setup, manifest and %d-of-%d ceremony parameters posted by the official", id, threshold, nTrustees)

	// The roll.
	creds := make([]*ballot.Credential, voters+d.browser)
	bar := d.bar(len(creds), "credentials")
	for i := range creds {
		creds[i] = ballot.NewCredential()
		_ = bar.Add(1)
	}
	_ = bar.Finish()
	names := make([]string, len(creds))
	for i := range names {
		names[i] = fmt.Sprint(i + 1)
	}
	if err := writeCredentials(filepath.Join(d.dir, "credentials"), srv.url, id, names, creds); err != nil {
		return err
	}
	if err := postRoll(ctx, &env{stdout: io.Discard, stderr: io.Discard}, c, off, id, creds, true); err != nil {
		return err
	}
	d.step("roll of %d voters posted and sealed; credentials in %s", len(creds), filepath.Join(d.dir, "credentials"))

	// The key ceremony, each trustee over its own websocket.
	clients := make([]*coord.Client, nTrustees)
	for i, ident := range ids {
		if clients[i], err = coord.Dial(ctx, srv.url, id, ident, coord.ClientOptions{}); err != nil {
			return fmt.Errorf("trustee %d: %w", i+1, err)
		}
		defer clients[i].Close()
	}
	p, start, err := paramsFrom(clients[0].Entries())
	if err != nil {
		return err
	}
	shares := make([]*ceremony.KeyShare, nTrustees)
	var wg sync.WaitGroup
	errs := make([]error, nTrustees)
	for i, ident := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, err := ceremony.NewTrustee(ident, p, start)
			if err != nil {
				errs[i] = err
				return
			}
			shares[i], errs[i] = t.Run(ctx, clients[i], ceremony.SystemClock{}, 50*time.Millisecond, nil)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("key ceremony: %w", err)
	}
	var in *service.Info
	for {
		if in, err = c.Info(ctx, id); err != nil {
			return err
		}
		if in.JointKey != "" {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	d.step("key ceremony done over the trustee websocket: joint key %s…", in.JointKey[:16])
	el, err := in.Election()
	if err != nil {
		return err
	}

	// Voting.
	if _, err := c.Submit(ctx, id, off.Sign(id, record.TypeOpen, service.PhasePayload(id))); err != nil {
		return err
	}
	d.step("election open; %d voters cast random choices over HTTP (%d at a time)", voters, conc)
	mayor := []string{"alice", "bob", "carol"}
	park := []string{"yes", "no", ""}
	want := map[string]uint64{}
	var rankings [][]int // the ranked contest's choices, as raw rankings (e2e/SPEC.md §15.1)
	var mu sync.Mutex
	jobs := make(chan int)
	var failed atomic.Value
	bar = d.bar(voters, "ballots")
	t1 := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				a, b := mayor[randIntn(3)], park[randIntn(3)]
				spec := "mayor=" + a + ";park=" + b
				var raw []int
				if d.ranked {
					var ids []string
					ids, raw = randomRanking()
					spec += ";budget=" + strings.Join(ids, ",")
				}
				if _, _, err := castBallot(ctx, c, el, creds[i], spec, false); err != nil {
					failed.Store(fmt.Errorf("voter %d: %w", i+1, err))
					continue
				}
				mu.Lock()
				if raw != nil {
					rankings = append(rankings, raw)
				}
				want["mayor/"+a]++
				if b != "" {
					want["park/"+b]++
				}
				mu.Unlock()
				_ = bar.Add(1)
			}
		}()
	}
	for i := range voters {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	_ = bar.Finish()
	if err, _ := failed.Load().(error); err != nil {
		return err
	}
	castTime := time.Since(t1)
	if d.serve {
		d.step("%d scripted ballots cast; the election stays open for you", voters)
		fmt.Fprintf(e.stdout, "\nVote in a browser (each link carries one voter's secret credential after '#'; it never leaves the browser):\n")
		for _, cr := range creds[voters:] {
			fmt.Fprintf(e.stdout, "  %s/e/%s/#%s\n", srv.url, id, cr.Secret())
		}
		fmt.Fprintf(e.stdout, "Watch the board live:  %s/e/%s/observe\nCheck a receipt:       %s/e/%s/receipt\n", srv.url, id, srv.url, id)
		fmt.Fprintf(e.stdout, "Press Ctrl-C to close the election, tally it and verify the record.\n\n")
		<-ctx.Done()
		// The interrupt ends the voting, not the demo: closing, the tally
		// and the verification still run to the end.
		ctx = context.WithoutCancel(ctx)
		fmt.Fprintln(e.stderr)
	}
	if _, err := c.Submit(ctx, id, off.Sign(id, record.TypeClose, service.PhasePayload(id))); err != nil {
		return err
	}
	d.step("%d ballots cast in %.1fs (%.0f ballots/s); election closed", voters, castTime.Seconds(), float64(voters)/castTime.Seconds())

	// Decryption by the first t trustees, each recounting from the board.
	bc, err := bulletin.NewClient(srv.url, id, &http.Client{Timeout: 2 * time.Minute})
	if err != nil {
		return err
	}
	// Each trustee keeps its own view of the board from its mix to its
	// decryptions: it reads and verifies every entry once (the ballots,
	// the mixes before and after its own), as `tabella trustee decrypt`
	// does.
	views := make([]*coord.View, nTrustees)
	if d.ranked {
		if err := d.mix(ctx, bc, id, ids, clients, views); err != nil {
			return err
		}
	}
	for i := range threshold {
		var err error
		if views[i] != nil {
			_, err = views[i].Decrypt(ctx, bc, ids[i], clients[i], nil)
		} else {
			_, err = coord.Decrypt(ctx, bc, id, ids[i], clients[i], nil)
		}
		if err != nil {
			return fmt.Errorf("trustee %d decryption: %w", i+1, err)
		}
	}
	d.step("%d trustees verified every counted ballot, recomputed the aggregate and posted decryption shares", threshold)
	if d.ranked {
		if err := d.decryptMixes(ctx, bc, ids[:threshold], clients, views, rankings); err != nil {
			return err
		}
	}
	r, _, err := waitResult(ctx, &env{stdout: io.Discard, stderr: io.Discard}, c, id, 5*time.Minute)
	if err != nil {
		return err
	}
	d.step("result posted by the server\n")
	if err := r.WriteTable(e.stdout); err != nil {
		return err
	}
	for _, cr := range r.Contests {
		for _, o := range cr.Options {
			got, w := o.Count, want[cr.ID+"/"+o.ID]
			// People voting in a browser add ballots the demo does not
			// know: their counts can only add to the scripted ones.
			if got != w && !(d.serve && got > w && got-w <= uint64(d.browser)) {
				return fmt.Errorf("result for %s/%s is %d, but %d voters chose it", cr.ID, o.ID, got, w)
			}
		}
	}
	fmt.Fprintln(e.stdout)
	if d.serve {
		d.step("the counts agree with the scripted voters' choices plus at most %d ballots cast in a browser", d.browser)
	} else {
		d.step("the counts match the choices the voters made")
	}

	// Export and verify.
	f, err := os.Create(recordFile)
	if err != nil {
		return err
	}
	n, err := exportRecord(ctx, srv.url, id, srv.svc.BoardKey(), f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	rf, err := os.Open(recordFile)
	if err != nil {
		return err
	}
	defer rf.Close()
	rep, err := verify.Record(ctx, rf, verify.Options{})
	if err != nil {
		return fmt.Errorf("verifying the record: %w", err)
	}
	if !rep.Valid || !rep.Complete {
		return fmt.Errorf("the record did not verify: %v", rep.Failures)
	}
	for _, l := range rep.Mixes {
		d.step("%s", l)
	}
	d.step("record of %d entries written and verified: every signature, the ceremony, %d counted ballots and the tally check out", n, r.Turnout)
	fmt.Fprintf(e.stdout, "Election record: %s\nVerify it yourself with:\n  tabella verify %s\n", recordFile, recordFile)
	fmt.Fprintf(e.stdout, "Board key: %s\n", srv.svc.BoardKey())
	return nil
}

// paramsFrom finds the ceremony parameters and their board time among
// entries.
func paramsFrom(es []*bulletin.Entry) (*ceremony.Params, time.Time, error) {
	for _, x := range es {
		if x.Type == record.TypeCeremony {
			p, err := ceremony.ParseParams(x.Payload)
			if err != nil {
				return nil, time.Time{}, err
			}
			return p, time.UnixMilli(x.Time), nil
		}
	}
	return nil, time.Time{}, errors.New("no ceremony.params on the board")
}

// randomRanking is a random ranking of the ranked contest's options: 1 to
// 3 of them in a random order, as option ids and as a raw ranking.
func randomRanking() ([]string, []int) {
	c := &demoRanked
	perm := make([]int, len(c.Options))
	for i := range perm {
		j := randIntn(i + 1)
		perm[i] = perm[j]
		perm[j] = i
	}
	L := int(c.MaxSelections)
	k := 1 + randIntn(L)
	ids := make([]string, k)
	raw := make([]int, L)
	for r := range k {
		ids[r] = c.Options[perm[r]].ID
		raw[r] = perm[r] + 1
	}
	return ids, raw
}

// mix runs the mix cascade of the ranked contest: every trustee in turn,
// each over its own websocket and its own view of the board, verifies the
// mixes before it and posts its own (e2e/SPEC.md §16.2). Each trustee's
// view goes into views for its decryptions.
func (d *demo) mix(ctx context.Context, bc *bulletin.Client, id string, ids []*trustee.Identity, clients []*coord.Client, views []*coord.View) error {
	t0 := time.Now()
	for i, ident := range ids {
		v, err := coord.ReadView(ctx, bc, id, nil)
		if err != nil {
			return err
		}
		views[i] = v
		steps, err := coord.Mix(ctx, bc, v, ident, clients[i], clients[i].Status().Time, nil)
		if err != nil {
			return fmt.Errorf("trustee %d mix: %w", i+1, err)
		}
		for _, s := range steps {
			if s.State != coord.MixPosted {
				return fmt.Errorf("trustee %d, contest %s: %s, not mixed", i+1, s.Contest, s.State)
			}
		}
	}
	d.step("%d trustees shuffled the ranked ballots in turn, each verifying the shuffles before its own (%.1fs)", len(ids), time.Since(t0).Seconds())
	return nil
}

// decryptMixes has the first t trustees decrypt the mixed list, waits for
// the board's mix.result, prints the count's rounds and checks the winner
// against the rankings the voters cast.
func (d *demo) decryptMixes(ctx context.Context, bc *bulletin.Client, ids []*trustee.Identity, clients []*coord.Client, views []*coord.View, rankings [][]int) error {
	for i, ident := range ids {
		if _, err := coord.DecryptMixes(ctx, bc, views[i], ident, clients[i], clients[i].Status().Time, nil); err != nil {
			return fmt.Errorf("trustee %d, decrypting the mixed list: %w", i+1, err)
		}
	}
	d.step("%d trustees decrypted the mixed list with a proof for every ciphertext", len(ids))
	var r *cascade.Result
	err := clients[0].WaitUntil(ctx, func(*coord.Status) bool {
		for _, x := range clients[0].Entries() {
			if x.Type == record.TypeMixResult {
				r, _ = cascade.DecodeResult(x.Payload)
				return true
			}
		}
		return false
	})
	if err != nil || r == nil {
		return fmt.Errorf("no mix.result on the board: %v", err)
	}
	cr, err := count.Decode(r.Count)
	if err != nil {
		return err
	}
	names := make([]string, len(demoRanked.Options))
	for k, o := range demoRanked.Options {
		names[k] = o.ID
	}
	d.step("ranked contest %s counted by the board (instant-runoff):\n", demoRanked.ID)
	fmt.Fprintln(d.e.stdout, cr.Table(names))
	want, err := count.Count(count.IRV, len(names), 1, rankings)
	if err != nil {
		return err
	}
	if !slices.Equal(want.Winners, cr.Winners) {
		return fmt.Errorf("ranked contest: the board's count elects %v, the voters' rankings elect %v", cr.Winners, want.Winners)
	}
	d.step("the instant-runoff winner matches the rankings the voters cast")
	return nil
}
