package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/e2e/coord"
)

const trusteeStatusUsage = `Usage: tabella trustee status --server URL --election ID [--json]

Shows where the election's trustees are, as the server's trustee websocket
reports it: the phase (setup, ceremony, failed, keyed, decryption, done),
during the ceremony the round, its deadline and the trustees it waits for,
during decryption the trustees with a valid share and how many are needed.
Once the result is on the board it is printed as a table (with --json: the
status, then the result, as JSON lines). No key is needed.
`

const trusteeStatusExample = `tabella trustee status --server https://vote.example --election city-2026`

func init() {
	register(&command{
		name:    "trustee status",
		summary: "show the key ceremony's round, who it waits for, and the decryption",
		usage:   trusteeStatusUsage,
		example: trusteeStatusExample,
		run:     runTrusteeStatus,
	})
}

func runTrusteeStatus(ctx context.Context, e *env, args []string) error {
	fs, f := addTrusteeFlags(e, "trustee status", false)
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := coord.Dial(dctx, *f.server, *f.election, nil, coord.ClientOptions{})
	if err != nil {
		return err
	}
	defer c.Close()
	s := c.Status()
	if *asJSON {
		b, err := canon.Marshal(s)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n", b)
		if s.Phase == coord.PhaseDone {
			return printResult(e, c, true)
		}
		return nil
	}
	fmt.Fprintf(e.stdout, "election %s: %s (board of %d entries, board time %s)\n", *f.election, s.Phase, s.Size, time.UnixMilli(s.Time).UTC().Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "  %s\n", s.Message)
	if s.Phase == coord.PhaseCeremony && len(s.Waiting) > 0 {
		fmt.Fprintf(e.stdout, "  round %d closes at %s unless trustees %s post first\n", s.Round, time.UnixMilli(s.Deadline).UTC().Format(time.RFC3339), joinInts(s.Waiting))
	}
	if s.Phase == coord.PhaseDecryption {
		fmt.Fprintf(e.stdout, "  valid decryption shares: %d of %d needed (trustees %s)\n", len(s.Shares), s.Needed, joinInts(s.Shares))
	}
	if s.Phase == coord.PhaseDone {
		fmt.Fprintln(e.stdout)
		return printResult(e, c, false)
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
