package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/verify"
)

// `tabella verify`: the universal verifier (e2e/SPEC.md §12) over a record
// file or a live board, and the voter's receipt and spoiled-ballot checks.

func init() {
	register(&command{
		name:    "verify",
		summary: "verify a whole election from its record or its live board",
		usage: `Usage: tabella verify [flags] RECORD
       tabella verify [flags] --server URL --election ID [--follow]

Checks an election from its record alone (e2e/SPEC.md §12), trusting no
one: the chain and every entry hash, every checkpoint's signature and
consistency, the manifest, the roll, the order and signature of every
official action, the whole key ceremony, every ballot (credential on the
roll, schedule, validity proofs, batched and parallel), the counting rule,
the aggregate, every decryption share's proof and the result.

RECORD is a file written by 'tabella export' or 'tabella demo --record'.
With --server it reads the board over HTTP (an election in progress is
valid so far) and with --follow keeps checking the live feed until the
result is published.

Exit status: 0 valid, 1 invalid (the first failure is named: entry index,
type, check and what failed), 2 usage error.
`,
		example: `tabella verify election.record
tabella verify --all --json election.record > report.json
tabella verify --server https://vote.example.org --election demo-2026 \
    --board-key @board.pub --follow
tabella verify --receipt my-receipt.json election.record
tabella verify --receipt my-receipt.json --server https://vote.example.org --election demo-2026
tabella verify --spoiled challenged.json election.record`,
		run: runVerify,
	})
}

type verifyFlags struct {
	server, election, boardKey, receipt, spoiled string
	witnesses                                    multiFlag
	quorum                                       int
	jsonOut, all, follow, noProgress             bool
}

func runVerify(ctx context.Context, e *env, args []string) error {
	var f verifyFlags
	fs := newFlags(e, "verify")
	fs.StringVar(&f.server, "server", "", "read the board of this server `URL` instead of a record file")
	fs.StringVar(&f.election, "election", "", "the election `ID` (with --server)")
	fs.StringVar(&f.boardKey, "board-key", "", "pin the board's note verifier key `VKEY` (or @FILE)")
	fs.StringVar(&f.receipt, "receipt", "", "check a voter's receipt `FILE` against the record or the board")
	fs.StringVar(&f.spoiled, "spoiled", "", "check a spoiled (challenged) ballot `FILE` and show its choices")
	fs.Var(&f.witnesses, "witness", "trust this witness's cosignature key `VKEY` (repeatable)")
	fs.IntVar(&f.quorum, "quorum", 0, "require `N` trusted cosignatures on the last checkpoint")
	fs.BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&f.all, "all", false, "list every failure, not only the first")
	fs.BoolVar(&f.follow, "follow", false, "keep checking the live feed until the result is published (with --server)")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no progress bar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	live := f.server != ""
	switch {
	case live && (f.election == "" || fs.NArg() != 0):
		return fmt.Errorf("%w: --server needs --election and no RECORD", errUsage)
	case !live && fs.NArg() != 1:
		return fmt.Errorf("%w: give one RECORD file, or --server and --election", errUsage)
	case !live && (f.follow || f.election != ""):
		return fmt.Errorf("%w: --follow and --election go with --server", errUsage)
	case f.quorum < 0 || f.quorum > len(f.witnesses):
		return fmt.Errorf("%w: --quorum must be between 0 and the number of --witness keys", errUsage)
	}
	opts := verify.Options{All: f.all, WitnessQuorum: f.quorum}
	if f.boardKey != "" {
		k, err := readKeyArg(f.boardKey)
		if err != nil {
			return fmt.Errorf("%w: --board-key: %v", errUsage, err)
		}
		opts.BoardKey = k
	}
	for _, w := range f.witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return fmt.Errorf("%w: --witness: %v", errUsage, err)
		}
		v, err := bulletin.NewCosignatureVerifier(k)
		if err != nil {
			return fmt.Errorf("%w: --witness: %v", errUsage, err)
		}
		opts.Witnesses = append(opts.Witnesses, v)
	}
	var rc *bulletin.Receipt
	if f.receipt != "" {
		data, err := os.ReadFile(f.receipt)
		if err != nil {
			return err
		}
		var key string
		if rc, key, err = parseReceiptFile(data); err != nil {
			return fmt.Errorf("receipt %s: %w", f.receipt, err)
		}
		if live && opts.BoardKey == "" && key != "" {
			opts.BoardKey = key
			fmt.Fprintf(e.stderr, "warning: board key %s taken from the receipt file; pin it with --board-key\n", key)
		}
	}
	var spoiled []byte
	if f.spoiled != "" {
		var err error
		if spoiled, err = os.ReadFile(f.spoiled); err != nil {
			return err
		}
	}
	if live && rc != nil && spoiled == nil {
		return liveReceipt(ctx, e, &f, opts.BoardKey, rc)
	}

	var rep *verify.Report
	var err error
	if live {
		c, cerr := bulletin.NewClient(f.server, f.election, nil)
		if cerr != nil {
			return fmt.Errorf("%w: %v", errUsage, cerr)
		}
		so := verify.ServerOptions{Options: opts, Follow: f.follow}
		if f.follow && !f.noProgress {
			so.OnCheckpoint = func(n uint64) { fmt.Fprintf(e.stderr, "checkpoint of %d entries verified\n", n) }
		}
		rep, err = verify.Server(ctx, c, so)
	} else {
		if rc != nil {
			opts.Receipts = []*bulletin.Receipt{rc}
		}
		rep, err = verifyFile(ctx, e, fs.Arg(0), opts, !f.noProgress)
	}
	if rep == nil {
		return err
	}
	var sp *spoiledOutcome
	if spoiled != nil && rep.BallotElection != nil {
		sp = checkSpoiled(rep, spoiled)
	}
	if werr := writeReport(e.stdout, rep, sp, f.jsonOut); werr != nil {
		return werr
	}
	switch {
	case err != nil:
		return err
	case len(rep.Receipts) > 0 && !rep.Receipts[0].OK:
		return fmt.Errorf("receipt: %s", rep.Receipts[0].Message)
	case spoiled != nil && sp == nil:
		return errors.New("spoiled ballot: the record has no election to check it against")
	case sp != nil && sp.Error != "":
		return errors.New(sp.Error)
	}
	return nil
}

// voterReceipt is the receipt file `tabella vote` and the web client save:
// the board's receipt (e2e/SPEC.md §8.6), the tracking code and the board
// key the voter saw.
type voterReceipt struct {
	Receipt      *bulletin.Receipt `json:"receipt"`
	TrackingCode string            `json:"tracking_code"`
	BoardKey     string            `json:"board_key"`
}

// parseReceiptFile reads a receipt: either the board's receipt JSON alone
// or a voter's receipt file; it returns the board key the file names, if
// any.
func parseReceiptFile(data []byte) (*bulletin.Receipt, string, error) {
	rc, err := bulletin.ParseReceipt(data)
	if err == nil {
		return rc, "", nil
	}
	var vr voterReceipt
	if verr := canon.Unmarshal(data, &vr, bulletin.MaxReceiptJSON+4096); verr != nil || vr.Receipt == nil {
		return nil, "", err
	}
	// Re-parse the inner receipt strictly.
	rc, err = bulletin.ParseReceipt(bulletin.MarshalReceipt(vr.Receipt))
	if err != nil {
		return nil, "", err
	}
	return rc, vr.BoardKey, nil
}

// verifyFile verifies a record file, with a progress bar on stderr for
// large files.
func verifyFile(ctx context.Context, e *env, path string, opts verify.Options, progress bool) (*verify.Report, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, hintIfMissing(err, "tabella export --server URL --election ID --out "+path, "to fetch the record")
	}
	defer fh.Close()
	var r io.Reader = fh
	if st, err := fh.Stat(); err == nil && progress && st.Size() > 8<<20 {
		bar := progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription("verifying"), progressbar.OptionThrottle(200_000_000), progressbar.OptionClearOnFinish())
		defer bar.Finish()
		r = io.TeeReader(fh, bar)
	}
	return verify.Record(ctx, r, opts)
}

// spoiledOutcome is what --spoiled reports.
type spoiledOutcome struct {
	OnBoard bool           `json:"on_board"`
	Entry   uint64         `json:"entry"`
	Choices ballot.Choices `json:"choices,omitempty"`
	Error   string         `json:"error,omitempty"`
	text    string
}

func checkSpoiled(rep *verify.Report, data []byte) *spoiledOutcome {
	out := &spoiledOutcome{}
	ch, err := verify.Spoiled(rep.BallotElection, data)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Choices = ch
	if s, err := ballot.DecodeSpoiled(data); err == nil {
		if h, err := s.Ballot.Hash(); err == nil {
			out.Entry, out.OnBoard = rep.SpoiledBallots[h]
		}
	}
	var b strings.Builder
	b.WriteString("\nSpoiled ballot: the proofs verify and the revealed nonces open every ciphertext; it encrypted:\n")
	for _, c := range rep.BallotElection.Manifest.Contests {
		fmt.Fprintf(&b, "  %s:", c.ID)
		if c.Kind == ballot.Ranked {
			// A ranked contest holds one value per rank, not per option.
			ids, err := c.RankedOptions(ch[c.ID])
			if err != nil {
				fmt.Fprintf(&b, " (%v)\n", err)
				continue
			}
			if len(ids) == 0 {
				b.WriteString(" (nothing ranked)")
			}
			for k, id := range ids {
				fmt.Fprintf(&b, " %d=%s", k+1, id)
			}
			b.WriteString("\n")
			continue
		}
		for j, o := range c.Options {
			fmt.Fprintf(&b, " %s=%d", o.ID, ch[c.ID][j])
		}
		b.WriteString("\n")
	}
	if out.OnBoard {
		fmt.Fprintf(&b, "  posted on the board as spoiled at entry %d\n", out.Entry)
	} else {
		b.WriteString("  not posted on the board as a spoiled ballot\n")
	}
	out.text = b.String()
	return out
}

func writeReport(w io.Writer, rep *verify.Report, sp *spoiledOutcome, asJSON bool) error {
	if asJSON {
		v := struct {
			*verify.Report
			Spoiled *spoiledOutcome `json:"spoiled,omitempty"`
		}{rep, sp}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	if err := rep.WriteText(w); err != nil {
		return err
	}
	if sp != nil {
		if sp.Error != "" {
			_, err := fmt.Fprintf(w, "\nSpoiled ballot: %s\n", sp.Error)
			return err
		}
		_, err := io.WriteString(w, sp.text)
		return err
	}
	return nil
}

// liveReceipt checks a receipt against the live board only.
func liveReceipt(ctx context.Context, e *env, f *verifyFlags, boardKey string, rc *bulletin.Receipt) error {
	c, err := bulletin.NewClient(f.server, f.election, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if boardKey == "" {
		en, err := c.Entry(ctx, 0)
		if err != nil {
			return err
		}
		s, err := record.DecodeSetup(en.Payload)
		if err != nil {
			return fmt.Errorf("the board's entry 0: %w", err)
		}
		boardKey = s.Board.Key
		fmt.Fprintf(e.stderr, "warning: board key %s taken from the board itself; pin it with --board-key\n", boardKey)
	}
	vk, err := note.NewVerifier(boardKey)
	if err != nil {
		return fmt.Errorf("%w: --board-key: %v", errUsage, err)
	}
	res, err := verify.LiveReceipt(ctx, c, rc, vk)
	if err != nil {
		return err
	}
	if f.jsonOut {
		b, _ := json.MarshalIndent(res, "", "  ")
		_, err = e.stdout.Write(append(b, '\n'))
		return err
	}
	fmt.Fprintf(e.stdout, "Receipt for entry %d (%s): %s\n", res.Index, res.Type, res.Message)
	if res.Tracking != "" {
		fmt.Fprintf(e.stdout, "Tracking code %s\n", res.Tracking)
	}
	return nil
}
