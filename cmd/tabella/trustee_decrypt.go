package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally/trustee"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/tally"
)

const trusteeDecryptUsage = `Usage: tabella trustee decrypt --server URL --election ID --key FILE [--passphrase-file FILE] [--wait DURATION]

Posts this trustee's share of the decryption of the election's tally
(e2e/SPEC.md §10.3), after checking the board itself:

  1. reads the whole board through the public read API, checking the hash
     chain and the officials' signatures;
  2. recomputes its key share from the key ceremony on the board and checks
     the posted ceremony.result;
  3. verifies every counted ballot (the latest of each credential between
     election.open and election.close: signer on the roll, every proof)
     and sums them itself: it never uses an aggregate from the server;
  4. computes a decryption share of each sum with a Chaum-Pedersen proof,
     signs the tally.share entry and posts it over the trustee websocket.

If the manifest has ranked contests, the trustee first takes its turn in
their mix cascades ('tabella trustee mix'), and after its tally.share,
once every cascade is over, posts its decryption shares of each contest's
final mixed list with their proofs (mix.share, e2e/SPEC.md §16.3).

If the trustee's share is already on the board nothing is posted again.
If the board's tally.result is posted before this trustee's share arrives
(t other trustees were faster), the share was not needed: the command says
so, posts nothing, and carries on with the mixed lists.
Progress goes to stderr; stdout gets a JSON summary. With --wait, the
command then waits up to DURATION for the board's tally.result and prints
it as a table.

Exit status: 0 posted (or already posted, or not needed because the result
is on the board); 1 the board failed a check (the
entry is named), the election is not closed, or an error; 2 usage.
`

const trusteeDecryptExample = `tabella trustee decrypt --server https://vote.example --election city-2026 --key alice.key --wait 10m`

func init() {
	register(&command{
		name:    "trustee decrypt",
		summary: "recount the ballots from the board and post a decryption share",
		usage:   trusteeDecryptUsage,
		example: trusteeDecryptExample,
		run:     runTrusteeDecrypt,
	})
}

type decryptOutcome struct {
	Election  string `json:"election"`
	Trustee   int    `json:"trustee"`
	Turnout   uint64 `json:"turnout"`
	Aggregate string `json:"aggregate"`
	Entry     uint64 `json:"entry"`
	Existing  bool   `json:"existing"`
	// NotNeeded: the tally.result came before this trustee's share;
	// nothing was posted.
	NotNeeded bool `json:"not_needed"`
}

func runTrusteeDecrypt(ctx context.Context, e *env, args []string) error {
	fs, f := addTrusteeFlags(e, "trustee decrypt", true)
	wait := fs.Duration("wait", 0, "then wait up to `DURATION` (e.g. 5m) for the result and print it")
	mixWait := fs.Duration("mix-wait", time.Hour, "with ranked contests, wait up to `DURATION` for this trustee's turn to mix and for the cascades to end")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id, bc, c, err := f.connect(ctx, e, fs)
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	ranked, err := hasRanked(ctx, c)
	if err != nil {
		return err
	}
	say := func(msg string) { fmt.Fprintln(e.stderr, msg) }
	var (
		v *coord.View
		d *coord.Decryption
	)
	if ranked {
		// The mix cascade comes first (e2e/SPEC.md §16.6): this trustee's
		// turn in every ranked contest. Its view of the board (ballots
		// recounted, mixes verified) serves the decryptions after it.
		if _, v, err = mixTurns(ctx, bc, c, *f.election, id, *mixWait, e.stderr); err != nil {
			if errors.Is(err, coord.ErrNotReady) {
				return withHint(err, "tabella trustee status --server "+*f.server+" --election "+*f.election, "to see where the election is")
			}
			return err
		}
		d, err = v.Decrypt(ctx, bc, id, c, say)
	} else {
		d, err = coord.Decrypt(ctx, bc, *f.election, id, c, say)
	}
	if errors.Is(err, coord.ErrNotReady) {
		return withHint(err, "tabella trustee status --server "+*f.server+" --election "+*f.election, "to see where the election is")
	}
	if err != nil {
		return err
	}
	if d.Late {
		fmt.Fprintln(e.stderr, "this trustee's decryption share was not needed: the tally.result is already on the board")
	}
	if ranked {
		if err := mixShares(ctx, bc, c, v, id, *mixWait, e.stderr); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "done in %v\n", time.Since(start).Round(time.Millisecond))
	out := decryptOutcome{Election: *f.election, Trustee: d.Trustee, Turnout: d.Recount.Count, Entry: d.Entry, Existing: d.Existing, NotNeeded: d.Late}
	if d.Recount.Count > 0 {
		out.Aggregate = fmt.Sprintf("%x", tally.AggregateHash(d.Recount.Aggregate, d.Recount.Count))
	}
	b, err := canon.Marshal(&out)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	if *wait <= 0 {
		return nil
	}
	fmt.Fprintln(e.stderr, "waiting for the other trustees and the result")
	wctx, cancel := context.WithTimeout(ctx, *wait)
	defer cancel()
	var last string
	err = c.WaitUntil(wctx, func(s *coord.Status) bool {
		if s != nil && s.Message != last {
			last = s.Message
			fmt.Fprintln(e.stderr, s.Message)
		}
		return s != nil && s.Phase == coord.PhaseDone && hasEntry(c, tally.TypeResult)
	})
	if err != nil {
		return fmt.Errorf("no result yet: %w", err)
	}
	return printResult(e, c, false)
}

// printResult prints the tally.result among c's entries as a table (or
// its JSON).
func printResult(e *env, c *coord.Client, asJSON bool) error {
	for _, x := range c.Entries() {
		if x.Type != tally.TypeResult {
			continue
		}
		r, err := tally.DecodeResult(x.Payload)
		if err != nil {
			return fmt.Errorf("tally.result at entry %d: %w", x.Index, err)
		}
		if asJSON {
			fmt.Fprintf(e.stdout, "%s\n", r.Marshal())
			return nil
		}
		return r.WriteTable(e.stdout)
	}
	return errors.New("no tally.result on the board")
}

// hasRanked reports whether the election's manifest, streamed by the
// server, has a ranked contest.
func hasRanked(ctx context.Context, c *coord.Client) (bool, error) {
	if err := c.WaitUntil(ctx, func(s *coord.Status) bool { return s != nil }); err != nil {
		return false, err
	}
	for _, x := range c.Entries() {
		if x.Type != record.TypeManifest {
			continue
		}
		m, err := ballot.DecodeManifest(x.Payload)
		if err != nil {
			return false, fmt.Errorf("the manifest at entry %d: %w", x.Index, err)
		}
		return len(rules.RankedContests(m)) > 0, nil
	}
	return false, nil
}

// mixShares posts this trustee's decryption shares of every ranked
// contest's final list, waiting up to wait for the cascades to end. v is
// the trustee's view of the board, brought up to date as it waits.
func mixShares(ctx context.Context, src coord.EntrySource, c *coord.Client, v *coord.View, id *trustee.Identity, wait time.Duration, w io.Writer) error {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	say := func(msg string) { fmt.Fprintln(w, msg) }
	for {
		now := c.Status().Time
		out, err := coord.DecryptMixes(wctx, src, v, id, c, now, say)
		if err != nil {
			return err
		}
		var next int64
		pending := false
		for _, m := range out {
			if m.Waiting {
				pending = true
				if m.Mixer != 0 && (next == 0 || m.Deadline < next) {
					next = m.Deadline
				}
			}
		}
		if !pending {
			return nil
		}
		mixes := countMixes(c)
		err = c.WaitUntil(wctx, func(s *coord.Status) bool {
			return s != nil && (next != 0 && s.Time > next || countMixes(c) > mixes)
		})
		if err != nil {
			return fmt.Errorf("waiting for the mix cascades to end: %w", err)
		}
	}
}
