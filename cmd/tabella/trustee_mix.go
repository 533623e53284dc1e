package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally/trustee"
)

const trusteeMixUsage = `Usage: tabella trustee mix --server URL --election ID --key FILE [--passphrase-file FILE] [--wait DURATION]

Takes this trustee's turn in the mix cascade of every ranked contest
(e2e/SPEC.md §16.2), after checking the board itself:

  1. reads the whole board through the public read API, checking the hash
     chain, every signature and rule, and recounts the counted ballots
     (every proof verified) to get each ranked contest's counted sequences;
  2. verifies every mix already posted (its shuffle proof, against the
     list before it);
  3. when it is this trustee's turn, shuffles the latest valid list with
     fresh randomness and a proof, signs the mix.shuffle entry and posts it
     over the trustee websocket.

Mixers go in trustee order; each has the ceremony's round time to post
after the previous one (a mixer that misses it is skipped). The command
waits up to DURATION (default 1h) for its turn. Progress goes to stderr;
stdout gets a JSON summary, one object per ranked contest.

Exit status: 0 mixed (or already mixed, skipped, or nothing to mix); 1 the
board failed a check (the entry is named), the election is not closed, the
turn did not come in time, or an error; 2 usage.
`

const trusteeMixExample = `tabella trustee mix --server https://vote.example --election city-2026 --key alice.key`

func init() {
	register(&command{
		name:    "trustee mix",
		summary: "verify the mixes so far and shuffle the ranked contests in this trustee's turn",
		usage:   trusteeMixUsage,
		example: trusteeMixExample,
		run:     runTrusteeMix,
	})
}

type mixOutcome struct {
	Election string `json:"election"`
	Contest  string `json:"contest"`
	State    string `json:"state"`
	Entry    uint64 `json:"entry,omitempty"`
}

func runTrusteeMix(ctx context.Context, e *env, args []string) error {
	fs, f := addTrusteeFlags(e, "trustee mix", true)
	wait := fs.Duration("wait", time.Hour, "wait up to `DURATION` for this trustee's turn")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id, bc, c, err := f.connect(ctx, e, fs)
	if err != nil {
		return err
	}
	defer c.Close()
	steps, _, err := mixTurns(ctx, bc, c, *f.election, id, *wait, e.stderr)
	if errors.Is(err, coord.ErrNotReady) {
		return withHint(err, "tabella trustee status --server "+*f.server+" --election "+*f.election, "to see where the election is")
	}
	if err != nil {
		return err
	}
	for _, s := range steps {
		b, err := canon.Marshal(&mixOutcome{Election: *f.election, Contest: s.Contest, State: s.State, Entry: s.Entry})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
	}
	return nil
}

// mixTurns runs [coord.Mix] at the board's settled time until no ranked
// contest waits for another mixer before this trustee, waiting up to wait
// for new mix entries or for the running turn's deadline.
func mixTurns(ctx context.Context, src coord.EntrySource, c *coord.Client, election string, id *trustee.Identity, wait time.Duration, w io.Writer) ([]coord.MixStep, *coord.View, error) {
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	say := func(msg string) { fmt.Fprintln(w, msg) }
	v, err := coord.ReadView(wctx, src, election, nil)
	if err != nil {
		return nil, nil, err
	}
	for {
		if err := c.WaitUntil(wctx, func(s *coord.Status) bool { return s != nil }); err != nil {
			return nil, nil, fmt.Errorf("no status from the server: %w", err)
		}
		now := c.Status().Time
		t0 := time.Now()
		steps, err := coord.Mix(wctx, src, v, id, c, now, say)
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintf(w, "board read and checked in %v\n", time.Since(t0).Round(time.Millisecond))
		var next int64
		for _, s := range steps {
			if s.State == coord.MixWaiting && (next == 0 || s.Deadline < next) {
				next = s.Deadline
			}
		}
		if next == 0 {
			return steps, v, nil
		}
		mixes := countMixes(c)
		err = c.WaitUntil(wctx, func(s *coord.Status) bool { return s != nil && (s.Time > next || countMixes(c) > mixes) })
		if err != nil {
			return nil, nil, fmt.Errorf("waiting for this trustee's turn to mix: %w", err)
		}
	}
}

// countMixes counts the mix.shuffle entries c has received.
func countMixes(c *coord.Client) int {
	n := 0
	for _, x := range c.Entries() {
		if x.Type == record.TypeMix {
			n++
		}
	}
	return n
}

// connect checks the flags, opens the trustee's key, and returns it with a
// client of the board's read API and a trustee websocket connection.
func (f *trusteeFlags) connect(ctx context.Context, e *env, fs *flag.FlagSet) (*trustee.Identity, *bulletin.Client, *coord.Client, error) {
	if err := f.check(fs); err != nil {
		return nil, nil, nil, err
	}
	id, err := openTrusteeKey(e, *f.key, *f.passFile)
	if err != nil {
		return nil, nil, nil, err
	}
	bc, err := bulletin.NewClient(*f.server, *f.election, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := coord.Dial(ctx, *f.server, *f.election, id, coord.ClientOptions{OnConnection: connectionReporter(e.stderr)})
	if err != nil {
		return nil, nil, nil, err
	}
	return id, bc, c, nil
}
