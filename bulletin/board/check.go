package board

import (
	"context"
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// checkChunk is how many entries Check reads at a time.
const checkChunk = 4096

// Check re-verifies election's whole log from the store: every entry hash
// over the stored bytes, the chain (indexes contiguous, prev hashes, times
// non-decreasing), every stored Merkle tree hash, the head, and that the
// latest checkpoint is signed by the board and commits to the recomputed
// root. It reports the first mismatch as an ErrCorrupt error naming the
// entry. Memory use is O(log n).
func (b *Board) Check(ctx context.Context, election string) error {
	if !bulletin.ValidElectionID(election) {
		return fmt.Errorf("%w: malformed election id", ErrBadRequest)
	}
	// Checkpoint first, head second: another process may append in between,
	// and the checkpoint and head of one append are written together, so
	// the head is then at least the checkpoint's size.
	cpSize, n, err := b.st.LatestCheckpoint(ctx, election)
	if errors.Is(err, store.ErrNotFound) {
		cpSize, err = 0, nil
	}
	if err != nil {
		return corrupt(election, fmt.Errorf("latest checkpoint: %w", err))
	}
	h, err := b.head(ctx, election)
	if err != nil {
		return err
	}
	var cp *bulletin.SignedCheckpoint
	if cpSize > 0 || h.Size > 0 {
		if cp, err = bulletin.OpenCheckpoint(n, election, b.opts.Verifier); err != nil {
			return corrupt(election, err)
		}
		if cp.Size != cpSize || cp.Size > h.Size || cp.Size == 0 {
			return fmt.Errorf("%w: %s: latest checkpoint has size %d, log head %d", ErrCorrupt, election, cp.Size, h.Size)
		}
	}
	ch := bulletin.Chain{Election: election}
	var tree bulletin.Tree
	var rootAtCP bulletin.Hash
	// Read the next chunk while this one is hashed (two cores).
	type chunk struct {
		start, end uint64
		rows       []bulletin.Entry
		stored     []tlog.Hash
		err        error
	}
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 1)
	go func() {
		defer close(chunks)
		for start := uint64(0); start < h.Size; start += checkChunk {
			c := chunk{start: start, end: min(start+checkChunk, h.Size)}
			c.rows, c.err = b.st.Entries(cctx, election, c.start, c.end)
			if c.err == nil {
				c.stored, c.err = b.st.HashRange(cctx, election, tlog.StoredHashIndex(0, int64(c.start)), tlog.StoredHashCount(int64(c.end)))
				if c.err != nil {
					c.err = fmt.Errorf("tree hashes of entries %d..%d: %w", c.start, c.end-1, c.err)
				}
			}
			select {
			case chunks <- c:
			case <-cctx.Done():
				return
			}
			if c.err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		if c.err != nil {
			return corrupt(election, c.err)
		}
		k := 0
		for i := range c.rows {
			e := &c.rows[i]
			if err := ch.Add(e); err != nil {
				return corrupt(election, err)
			}
			for _, x := range tree.Add(e.Hash) {
				if k >= len(c.stored) || c.stored[k] != x {
					return fmt.Errorf("%w: %s: stored tree hash for entry %d does not match", ErrCorrupt, election, e.Index)
				}
				k++
			}
			if cp != nil && tree.Size() == cp.Size {
				rootAtCP = tree.Root()
			}
		}
		if ch.Next != c.end {
			return fmt.Errorf("%w: %s: entry %d is missing", ErrCorrupt, election, ch.Next)
		}
		if b.opts.Progress != nil {
			b.opts.Progress(election, c.end, h.Size)
		}
	}
	if ch.Next != h.Size {
		return fmt.Errorf("%w: %s: entry %d is missing", ErrCorrupt, election, ch.Next)
	}
	if ch.Last != h.Last || (h.Size > 0 && ch.LastTime != h.Time) {
		return fmt.Errorf("%w: %s: log head does not match entry %d", ErrCorrupt, election, int64(h.Size)-1)
	}
	if cp != nil && rootAtCP != cp.Root {
		return fmt.Errorf("%w: %s: checkpoint root of size %d does not match the entries", ErrCorrupt, election, cp.Size)
	}
	// Nothing beyond the head, unless another process appended meanwhile.
	if extra, err := b.st.Entries(ctx, election, h.Size, h.Size+1); err != nil || len(extra) != 0 {
		if h2, err2 := b.head(ctx, election); err2 != nil || h2.Size == h.Size {
			return fmt.Errorf("%w: %s: entry %d present beyond the log head", ErrCorrupt, election, h.Size)
		}
	}
	return nil
}
