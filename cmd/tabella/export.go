package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
)

// `tabella export`: write an election's record file from a running server.

const exportUsage = `Usage: tabella export --server URL --election ID --out FILE [--board-key VKEY]

Writes the election's record (e2e/SPEC.md §11.7): the board's entries in
order and the latest signed checkpoint, as JSON Lines. It checks what it
writes: the chain of entry hashes and that the tree of all entries has the
checkpoint's signed root. Verify the file with 'tabella verify FILE'.
`

const exportExample = `tabella export --server http://127.0.0.1:8080 --election demo-2026 --out demo.record`

func init() {
	register(&command{name: "export", summary: "write an election's record file from a running server", usage: exportUsage, example: exportExample, run: runExport})
}

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export")
	server := fs.String("server", "", serverFlagDoc)
	id := fs.String("election", "", electionFlagDoc)
	out := fs.String("out", "", "the record `FILE` to write")
	vkey := fs.String("board-key", "", "the board's note verifier `VKEY`, or @FILE (default: the server's)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := requireFlags("server", *server, "election", *id, "out", *out); err != nil {
		return err
	}
	key := *vkey
	if key == "" {
		in, err := service.NewClient(*server).Info(ctx, *id)
		if err != nil {
			return err
		}
		key = in.BoardKey
	} else {
		var err error
		if key, err = readKeyArg(key); err != nil {
			return err
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	n, err := exportRecord(ctx, *server, *id, key, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(*out)
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: %d entries and the checkpoint of size %d\n", *out, n, n)
	fmt.Fprintf(e.stdout, "%s\n", *out)
	return nil
}

// exportRecord writes the record of an election from the server's read
// API, checking the chain and the checkpoint's root.
func exportRecord(ctx context.Context, server, id, vkey string, w io.Writer) (uint64, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, fmt.Errorf("board key: %w", err)
	}
	c, err := bulletin.NewClient(server, id, &http.Client{Timeout: 2 * time.Minute})
	if err != nil {
		return 0, err
	}
	note, err := c.Checkpoint(ctx)
	if err != nil {
		return 0, err
	}
	cp, err := bulletin.OpenCheckpoint(note, id, v)
	if err != nil {
		return 0, err
	}
	rw, err := record.NewWriter(w, record.Header{Election: id, BoardKey: vkey})
	if err != nil {
		return 0, err
	}
	ch := bulletin.Chain{Election: id}
	var tree bulletin.Tree
	size := cp.Checkpoint.Size
	for ch.Next < size {
		es, err := c.Entries(ctx, ch.Next, size)
		if err != nil {
			return 0, err
		}
		if len(es) == 0 {
			return 0, fmt.Errorf("the board returned no entry %d", ch.Next)
		}
		for _, x := range es {
			if err := ch.Add(x); err != nil {
				return 0, err
			}
			tree.Add(x.Hash)
			if err := rw.Entry(x); err != nil {
				return 0, err
			}
		}
	}
	if tree.Root() != cp.Checkpoint.Root {
		return 0, fmt.Errorf("the entries do not have the signed checkpoint's root")
	}
	if err := rw.Checkpoint(note); err != nil {
		return 0, err
	}
	return size, rw.Flush()
}
