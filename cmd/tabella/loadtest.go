package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/e2e/verify"
	"github.com/tabella-vote/tabella/tally"
)

const loadtestUsage = `Usage: tabella loadtest --server URL --election ID --credentials DIR [flags]

Casts ballots into an open election from this process, as many voters at
once as --concurrency, one ballot per credential file in DIR (the files
'tabella election roll --out DIR' wrote), with random valid choices, for
at most --duration. A submission that fails for the network or with
unavailable or rate_limited is sent again, byte for byte, until it is
answered; a retry must get the same receipt.

Progress goes to stderr. At the end it reports throughput, the latency of
a cast (p50, p95, p99, max, retries included), and refusals by code, and
writes every receipt it got to --receipts (JSON Lines). Then it checks:

  - every receipt is on the board: its entry, read back, has the receipt's
    entry hash, and the receipt's signed checkpoint and inclusion proof
    verify under the board key;
  - with --wait-result: once the officials have closed the election and
    the trustees decrypted, the published counts equal the choices this
    run cast (each credential's last ballot);
  - the election's record, exported from the board, verifies.

With --flood N, N more workers of this process flood the server with
invalid submissions while the voters cast, in rotation: ballots with a bad
range proof and with a bad signature (signed by the last --flood-voters
credentials, which then cast no valid ballot), ballots of credentials not
on the roll, bodies over the size cap and malformed JSON. The report gives
the valid ballots' figures as above and, apart, the flood's answers by
kind, HTTP status and error code. A flood submission the server accepted
(200), or refused with a code other than its kind's (bad_proof,
bad_signature, not_on_roll, too_large, malformed) or a refusal for load
(rate_limited, unavailable), fails the run. Against one client address
the server's per-address and per-credential rate limits answer most of a
flood with rate_limited: to measure the server's checks, run it with
--ip-rate and --cred-rate above the flood's rate.

It exits with status 1 if a check fails.
`

const loadtestExample = `tabella loadtest --server http://127.0.0.1:8080 --election demo-2026 --credentials creds/ --concurrency 64 --duration 30s
tabella loadtest --server http://127.0.0.1:8080 --election demo-2026 --credentials creds/ --board-key @board.pub --wait-result 10m
tabella loadtest --server http://127.0.0.1:8080 --election demo-2026 --credentials creds/ --concurrency 64 --flood 16 --duration 1m`

func init() {
	register(&command{name: "loadtest", summary: "cast ballots under load from a separate process and check every receipt", usage: loadtestUsage, example: loadtestExample, run: runLoadtest})
}

// A castJob is one voter's ballot, ready to send.
type castJob struct {
	voter   string
	sub     service.Submission
	choices ballot.Choices
	code    string // tracking code
}

// castOutcome is what came back for a job.
type castOutcome struct {
	job     *castJob
	receipt *service.ReceiptJSON
	latency time.Duration
	retries int
	err     error
}

func runLoadtest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "loadtest")
	server := fs.String("server", "", "the election server's `URL`")
	id := fs.String("election", "", "the election `ID`")
	dir := fs.String("credentials", "", "`DIR` of voter credential files (voter-*.txt)")
	conc := fs.Int("concurrency", 32, "voters casting at once `C`")
	duration := fs.Duration("duration", time.Minute, "stop casting after `D` (every credential casts at most once)")
	receipts := fs.String("receipts", "loadtest-receipts.jsonl", "write every receipt to `FILE`")
	boardKey := fs.String("board-key", "", "the board's note verifier `KEY` (or @FILE); default: the server's, with a warning")
	waitFor := fs.Duration("wait-result", 0, "after casting, wait up to `D` for the published result and compare it with what was cast")
	flood := fs.Int("flood", 0, "while the voters cast, `N` workers flood the server with invalid submissions (bad proofs, bad signatures, unknown credentials, oversized and malformed bodies)")
	floodVoters := fs.Int("flood-voters", 8, "with --flood: the last `K` credentials sign the flood's bad ballots and cast no valid ballot")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("--server", *server, "--election", *id, "--credentials", *dir); err != nil {
		return err
	}
	if *conc < 1 {
		return fmt.Errorf("%w: --concurrency must be positive", errUsage)
	}
	if *flood < 0 || *floodVoters < 1 {
		return fmt.Errorf("%w: --flood must not be negative and --flood-voters must be positive", errUsage)
	}
	creds, err := loadCredentials(*dir, *id)
	if err != nil {
		return err
	}
	var floodSigners []voterCred
	if *flood > 0 {
		if len(creds) <= *floodVoters {
			return fmt.Errorf("%w: --flood-voters %d leaves none of the %d credentials to cast valid ballots", errUsage, *floodVoters, len(creds))
		}
		creds, floodSigners = creds[:len(creds)-*floodVoters], creds[len(creds)-*floodVoters:]
	}
	c := service.NewClient(*server)
	c.HC = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}}
	in, err := c.Info(ctx, *id)
	if err != nil {
		return withHint(err, "tabella election status --server "+*server+" --election "+*id, "is the server up and the election there?")
	}
	if in.Phase != service.PhaseOpen {
		return fmt.Errorf("election %s is %s, not open: open it first (tabella election open)", *id, in.Phase)
	}
	el, err := in.Election()
	if err != nil {
		return err
	}
	vkey, err := pinnedBoardKey(e, *boardKey, in.BoardKey)
	if err != nil {
		return err
	}

	fmt.Fprintf(e.stderr, "encrypting %d ballots…\n", len(creds))
	jobs := make([]*castJob, len(creds))
	if err := parallelFor(len(creds), func(i int) error {
		ch, err := randomChoices(el.Manifest)
		if err != nil {
			return err
		}
		b, _, err := ballot.Encrypt(el, creds[i].cred, ch)
		if err != nil {
			return err
		}
		payload, err := b.Encode()
		if err != nil {
			return err
		}
		tc, err := b.TrackingCode()
		if err != nil {
			return err
		}
		signer := record.Signer{Kind: record.Voter, Key: creds[i].cred.Public().Bytes()}
		jobs[i] = &castJob{voter: creds[i].name, sub: service.Submission{Type: record.TypeBallot, Payload: payload, Signer: signer.Bytes()}, choices: ch, code: string(tc)}
		return nil
	}); err != nil {
		return err
	}
	var floodKinds []*floodKind
	if *flood > 0 {
		if floodKinds, err = prepareFlood(el, floodSigners); err != nil {
			return err
		}
	}

	fmt.Fprintf(e.stderr, "casting with %d voters at once for at most %s…\n", *conc, *duration)
	bar := progressbar.NewOptions(len(jobs), progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription("ballots"),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
	castCtx, stop := context.WithTimeout(ctx, *duration)
	defer stop()
	outcomes := make([]castOutcome, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	var flooded chan *floodReport
	floodCtx, stopFlood := context.WithCancel(castCtx)
	defer stopFlood()
	if *flood > 0 {
		fmt.Fprintf(e.stderr, "flooding with %d workers at once (%d credentials sign the bad ballots)…\n", *flood, len(floodSigners))
		flooded = make(chan *floodReport, 1)
		go func() { flooded <- runFlood(floodCtx, *server, *id, *flood, floodKinds) }()
	}
	t0 := time.Now()
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || castCtx.Err() != nil {
					return
				}
				outcomes[i] = castWithRetry(ctx, c, *id, jobs[i])
				_ = bar.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	stopFlood()
	_ = bar.Finish()
	var floodRep *floodReport
	if flooded != nil {
		floodRep = <-flooded
	}

	// The report.
	var ok []castOutcome
	byCode := map[string]int{}
	retries := 0
	var lat []time.Duration
	for _, o := range outcomes {
		if o.job == nil {
			continue // not sent: the duration ended first
		}
		retries += o.retries
		if o.err != nil {
			byCode[errCode(o.err)]++
			continue
		}
		ok = append(ok, o)
		lat = append(lat, o.latency)
	}
	slices.Sort(lat)
	pct := func(p int) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, len(lat)*p/100)].Round(100 * time.Microsecond)
	}
	fmt.Fprintf(e.stdout, "cast       %d ballots accepted in %.1fs: %.0f ballots/s (%d voters at once)\n", len(ok), elapsed.Seconds(), float64(len(ok))/elapsed.Seconds(), *conc)
	if len(lat) > 0 {
		fmt.Fprintf(e.stdout, "latency    p50 %s  p95 %s  p99 %s  max %s\n", pct(50), pct(95), pct(99), lat[len(lat)-1].Round(100*time.Microsecond))
	}
	fmt.Fprintf(e.stdout, "retries    %d\n", retries)
	if unsent := len(jobs) - countSent(outcomes); unsent > 0 {
		fmt.Fprintf(e.stdout, "not sent   %d credentials (--duration ended first)\n", unsent)
	}
	if len(byCode) > 0 {
		codes := make([]string, 0, len(byCode))
		for k := range byCode {
			codes = append(codes, k)
		}
		sort.Strings(codes)
		fmt.Fprintf(e.stdout, "refused   ")
		for _, k := range codes {
			fmt.Fprintf(e.stdout, " %s %d", k, byCode[k])
		}
		fmt.Fprintln(e.stdout)
	}
	var failed []string
	if floodRep != nil {
		failed = floodRep.print(e.stdout)
	}
	if err := writeReceipts(*receipts, ok); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "receipts   %d written to %s\n", len(ok), *receipts)

	// The checks.
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("board key: %w", err)
	}
	if err := receiptsOnBoard(ctx, *server, *id, v, ok); err != nil {
		failed = append(failed, err.Error())
	} else {
		fmt.Fprintf(e.stdout, "check      every receipt is on the board (entry hash read back, signed checkpoint and inclusion proof verified)\n")
	}
	if *waitFor > 0 {
		r, err := awaitResult(ctx, e, c, *id, *waitFor)
		if err != nil {
			failed = append(failed, "no result: "+err.Error())
		} else if err := resultMatches(r, el.Manifest, ok); err != nil {
			failed = append(failed, err.Error())
		} else {
			fmt.Fprintf(e.stdout, "check      the published counts equal the %d ballots cast\n", len(ok))
		}
	}
	var rec bytes.Buffer
	if _, err := exportRecord(ctx, *server, *id, vkey, &rec); err != nil {
		failed = append(failed, "exporting the record: "+err.Error())
	} else if rep, err := verify.Record(ctx, bytes.NewReader(rec.Bytes()), verify.Options{Partial: *waitFor == 0}); err != nil || !rep.Valid {
		failed = append(failed, fmt.Sprintf("the record does not verify: %v", err))
	} else {
		fmt.Fprintf(e.stdout, "check      the record verifies (%d entries; complete: %v)\n", rep.Counts.Entries, rep.Complete)
	}
	if len(failed) > 0 {
		return fmt.Errorf("load test checks failed:\n  %s", strings.Join(failed, "\n  "))
	}
	if len(byCode) > 0 {
		return fmt.Errorf("%d ballots were refused (see the refusals above)", len(outcomes)-len(ok))
	}
	return nil
}

// castWithRetry sends a job until it is answered: the network, 503 and
// 429 are retried with the same bytes (the board appends a submission
// once), for as long as ctx lasts (up to 5 minutes): a cast already sent
// when --duration ends is still settled.
func castWithRetry(ctx context.Context, c *service.Client, id string, j *castJob) castOutcome {
	o := castOutcome{job: j}
	t0 := time.Now()
	backoff := 50 * time.Millisecond
	for {
		r, err := c.Submit(ctx, id, j.sub)
		if err == nil {
			o.receipt, o.latency = r, time.Since(t0)
			if r.TrackingCode != j.code {
				o.err = fmt.Errorf("voter %s: the receipt's tracking code %s is not the ballot's %s", j.voter, r.TrackingCode, j.code)
			}
			return o
		}
		var ae *service.APIError
		retry := !errors.As(err, &ae) || ae.Code == service.CodeUnavailable || ae.Code == service.CodeRateLimited
		if !retry || ctx.Err() != nil || time.Since(t0) > 5*time.Minute {
			o.err = fmt.Errorf("voter %s: %w", j.voter, err)
			return o
		}
		o.retries++
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func errCode(err error) string {
	var ae *service.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	if strings.Contains(err.Error(), "tracking code") {
		return "wrong_receipt"
	}
	return "network"
}

type voterCred struct {
	name string
	cred *ballot.Credential
}

// loadCredentials reads DIR's voter-*.txt files for election id.
func loadCredentials(dir, id string) ([]voterCred, error) {
	files, err := filepath.Glob(filepath.Join(dir, "voter-*.txt"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no voter-*.txt credential files in %s (written by 'tabella election roll --out DIR')", dir)
	}
	sort.Strings(files)
	out := make([]voterCred, 0, len(files))
	for _, f := range files {
		c, election, err := readCredential(f)
		if err != nil {
			return nil, err
		}
		if election != "" && election != id {
			return nil, fmt.Errorf("%s is a credential of election %s, not %s", f, election, id)
		}
		out = append(out, voterCred{name: strings.TrimSuffix(filepath.Base(f), ".txt"), cred: c})
	}
	return out, nil
}

// pinnedBoardKey returns the board key given (KEY or @FILE), or the
// server's with a warning: the checks then trust the server's word for it.
func pinnedBoardKey(e *env, given, served string) (string, error) {
	if given == "" {
		fmt.Fprintf(e.stderr, "warning: no --board-key: checking receipts against the key the server announces (%s)\n", served)
		return served, nil
	}
	k, err := readKeyArg(given)
	if err != nil {
		return "", err
	}
	if k != served {
		return "", fmt.Errorf("the server announces board key %s, not the pinned %s", served, k)
	}
	return k, nil
}

// randomChoices returns uniformly drawn valid choices for m's contests.
func randomChoices(m *ballot.Manifest) (ballot.Choices, error) {
	ch := ballot.Choices{}
	for _, c := range m.Contests {
		n := len(c.Options)
		v := make([]uint64, n)
		lo, hi := c.SumRange()
		switch c.Kind {
		case ballot.OneOfN, ballot.Approval:
			k := int(lo) + randIntn(int(hi-lo)+1)
			for _, j := range randPerm(n)[:k] {
				v[j] = 1
			}
		case ballot.Score:
			total := lo + uint64(randIntn(int(hi-lo)+1))
			for s := uint64(0); s < total; {
				j := randIntn(n)
				if v[j] < c.MaxScore {
					v[j]++
					s++
				}
			}
		case ballot.Ranked:
			// A random ranking of between max(min_selections, 1) and L
			// options.
			L := c.RankingLength()
			k := max(int(c.MinSelections), 1)
			k += randIntn(L - k + 1)
			v = make([]uint64, L)
			for j, o := range randPerm(n)[:k] {
				v[j] = uint64(o + 1)
			}
		default:
			return nil, fmt.Errorf("contest %s: %s contests are not cast by the load test", c.ID, c.Kind)
		}
		ch[c.ID] = v
	}
	return ch, nil
}

func randPerm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := randIntn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func writeReceipts(path string, ok []castOutcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, o := range ok {
		line, err := json.Marshal(map[string]any{"voter": o.job.voter, "tracking_code": o.receipt.TrackingCode, "receipt": o.receipt.Receipt})
		if err != nil {
			f.Close()
			return err
		}
		w.Write(append(line, '\n'))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// receiptsOnBoard checks each receipt under the board key and that the
// board, read back, holds its entry.
func receiptsOnBoard(ctx context.Context, server, id string, v note.Verifier, ok []castOutcome) error {
	bc, err := bulletin.NewClient(server, id, &http.Client{Timeout: 2 * time.Minute})
	if err != nil {
		return err
	}
	want := map[uint64]bulletin.Hash{}
	var maxIndex uint64
	for _, o := range ok {
		r := o.receipt.Receipt
		if _, err := bulletin.VerifyReceipt(r, v); err != nil {
			return fmt.Errorf("voter %s: receipt for entry %d does not verify: %w", o.job.voter, r.Index, err)
		}
		if h, dup := want[r.Index]; dup && h != r.EntryHash {
			return fmt.Errorf("two receipts for entry %d with different hashes", r.Index)
		}
		want[r.Index] = r.EntryHash
		maxIndex = max(maxIndex, r.Index)
	}
	if len(want) != len(ok) {
		return fmt.Errorf("%d receipts name only %d distinct entries: two voters got the same entry", len(ok), len(want))
	}
	ch := bulletin.Chain{Election: id}
	for len(ok) > 0 && ch.Next <= maxIndex {
		es, err := bc.Entries(ctx, ch.Next, maxIndex+1)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return fmt.Errorf("the board ends at entry %d, before entry %d of a receipt", ch.Next, maxIndex)
		}
		for _, x := range es {
			if err := ch.Add(x); err != nil {
				return err
			}
			if h, ok := want[x.Index]; ok {
				if h != x.Hash {
					return fmt.Errorf("entry %d on the board is not the one its receipt names", x.Index)
				}
				delete(want, x.Index)
			}
		}
	}
	if len(want) > 0 {
		return fmt.Errorf("%d receipts name entries the board does not hold", len(want))
	}
	return nil
}

// resultMatches compares the published counts with the choices cast
// (every credential cast once).
func resultMatches(r *tally.Result, m *ballot.Manifest, ok []castOutcome) error {
	want := map[string]uint64{}
	for _, o := range ok {
		for _, c := range m.Contests {
			for j, x := range o.job.choices[c.ID] {
				want[c.ID+"/"+c.Options[j].ID] += x
			}
		}
	}
	if r.Turnout != uint64(len(ok)) {
		return fmt.Errorf("the result counts %d ballots, this run cast %d (other voters on the board?)", r.Turnout, len(ok))
	}
	for _, c := range r.Contests {
		for _, o := range c.Options {
			if w := want[c.ID+"/"+o.ID]; o.Count != w {
				return fmt.Errorf("the result gives %s/%s %d, the ballots cast %d", c.ID, o.ID, o.Count, w)
			}
		}
	}
	return nil
}

// awaitResult polls the election until its result is published (the
// officials close it, the trustees decrypt), for at most wait.
func awaitResult(ctx context.Context, e *env, c *service.Client, id string, wait time.Duration) (*tally.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	fmt.Fprintf(e.stderr, "waiting up to %s for the result (the officials close the election, the trustees decrypt)…\n", wait)
	for {
		in, err := c.Info(ctx, id)
		if err == nil && len(in.Result) > 0 && string(in.Result) != "null" {
			return tally.DecodeResult(in.Result)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no result after %s", wait)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func countSent(os []castOutcome) int {
	n := 0
	for _, o := range os {
		if o.job != nil {
			n++
		}
	}
	return n
}
