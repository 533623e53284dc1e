package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
)

// `tabella receipt check`: a voter checks a receipt against the live board.

const receiptCheckUsage = `Usage: tabella receipt check --server URL [--board-key VKEY] RECEIPT

Checks a receipt saved by 'tabella vote': first offline, with the board's
public key alone (the checkpoint's signature and the entry's inclusion
proof), then against the live board: the board's latest checkpoint must
extend the receipt's (consistency proof), and the entry at the receipt's
index must have the receipt's entry hash. A board that dropped or changed
the ballot, or shows a different history, fails the check.

Pin the board's key with --board-key, learnt out of band, for a stronger
check than the key saved in the receipt.
`

const receiptCheckExample = `tabella receipt check --server http://127.0.0.1:8080 receipt-MY4Y-VYPR-A50N-6RKQ.json`

func init() {
	register(&command{name: "receipt check", summary: "verify a ballot receipt against the live board", usage: receiptCheckUsage, example: receiptCheckExample, run: runReceiptCheck})
}

func runReceiptCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "receipt check")
	server := fs.String("server", "", serverFlagDoc)
	vkey := fs.String("board-key", "", "the board's note verifier `VKEY`, or @FILE (default: the key saved in the receipt)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one receipt file", errUsage)
	}
	if err := requireFlags("server", *server); err != nil {
		return err
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var rf receiptFile
	if err := canon.Unmarshal(bytes.TrimSuffix(data, []byte("\n")), &rf, bulletin.MaxReceiptJSON+4096); err != nil {
		return fmt.Errorf("%s: not a receipt file: %w", fs.Arg(0), err)
	}
	if rf.Receipt == nil {
		return fmt.Errorf("%s: no receipt", fs.Arg(0))
	}
	key := rf.BoardKey
	if *vkey != "" {
		if key, err = readKeyArg(*vkey); err != nil {
			return err
		}
	}
	v, err := note.NewVerifier(key)
	if err != nil {
		return fmt.Errorf("board key: %w", err)
	}
	return checkReceipt(ctx, e, *server, rf.Receipt, v)
}

// checkReceipt verifies r offline with v, then against the live board.
func checkReceipt(ctx context.Context, e *env, server string, r *bulletin.Receipt, v note.Verifier) error {
	cp, err := bulletin.VerifyReceipt(r, v)
	if err != nil {
		return fmt.Errorf("the receipt does not verify: %w", err)
	}
	fmt.Fprintf(e.stdout, "receipt: entry %d is in the board's signed tree of size %d\n", r.Index, cp.Checkpoint.Size)
	c, err := bulletin.NewClient(server, r.Election, &http.Client{Timeout: time.Minute})
	if err != nil {
		return err
	}
	latest, err := c.Checkpoint(ctx)
	if err != nil {
		return err
	}
	lcp, err := bulletin.OpenCheckpoint(latest, r.Election, v)
	if err != nil {
		return fmt.Errorf("the board's latest checkpoint: %w", err)
	}
	var proof []bulletin.Hash
	if lcp.Checkpoint.Size != cp.Checkpoint.Size {
		if lcp.Checkpoint.Size < cp.Checkpoint.Size {
			return fmt.Errorf("the board's latest checkpoint (size %d) is older than the receipt's (size %d): the board rolled back", lcp.Checkpoint.Size, cp.Checkpoint.Size)
		}
		if proof, err = c.ConsistencyProof(ctx, cp.Checkpoint.Size, lcp.Checkpoint.Size); err != nil {
			return err
		}
	}
	if err := bulletin.VerifyReceiptLater(r, latest, proof, v); err != nil {
		return fmt.Errorf("the live board does not extend the receipt's checkpoint (evidence of a fork: keep both checkpoints): %w", err)
	}
	x, err := c.Entry(ctx, r.Index)
	if err != nil {
		return err
	}
	if x.Hash != r.EntryHash {
		return fmt.Errorf("the board's entry %d has hash %s, the receipt says %s", r.Index, x.Hash, r.EntryHash)
	}
	fmt.Fprintf(e.stdout, "board:   the latest checkpoint (size %d) extends it and entry %d is unchanged (%s)\nOK\n", lcp.Checkpoint.Size, r.Index, x.Type)
	return nil
}
