package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"golang.org/x/mod/sumdb/note"
)

// ServerOptions tune [Server].
type ServerOptions struct {
	Options
	// Follow keeps following the live board over its websocket feed after
	// the current checkpoint, checking every new entry and checkpoint,
	// until the election's result is covered by a checkpoint or ctx ends.
	Follow bool
	// OnCheckpoint, if set, is called after each checkpoint is checked,
	// with the number of entries verified so far.
	OnCheckpoint func(size uint64)
}

// Server verifies an election on a live board (e2e/SPEC.md §12.6): it
// reads the latest checkpoint and every entry up to it through c, checks
// them exactly as [Record] checks a record file, and with Follow keeps
// checking the feed. An election still in progress is valid so far
// (Report.Complete is false). Without Options.BoardKey the board key is
// taken from the board's own setup entry, and a note in the report says
// that it was not pinned.
func Server(ctx context.Context, c *bulletin.Client, opts ServerOptions) (*Report, error) {
	opts.Partial = true
	key := opts.BoardKey
	var unpinned bool
	if key == "" {
		e, err := c.Entry(ctx, 0)
		if err != nil {
			return nil, fmt.Errorf("verify: reading the setup entry: %w", err)
		}
		s, err := record.DecodeSetup(e.Payload)
		if err != nil {
			return nil, fmt.Errorf("verify: the board's entry 0 is not a setup: %w", err)
		}
		key, unpinned = s.Board.Key, true
	}
	v, err := New(record.Header{Version: record.FileVersion, Election: c.Election(), BoardKey: key}, opts.Options)
	if err != nil {
		return v.Finish(), err
	}
	if unpinned {
		v.note("the board key %s was taken from the board's own setup entry; pin it with the key published out of band", key)
	}
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: reading the checkpoint: %w", err)
	}
	scp, err := bulletin.OpenCheckpoint(cp, c.Election(), v.board)
	if err != nil {
		v.Add(&record.Item{Checkpoint: cp})
		return v.Finish(), v.rep.Err()
	}
	size := scp.Size
	for start := uint64(0); start < size && !v.Stopped(); {
		t := time.Now()
		es, err := c.Entries(ctx, start, min(start+bulletin.MaxPage, size))
		v.rep.Timings.Read += time.Since(t)
		if err != nil {
			v.Finish()
			return v.rep, fmt.Errorf("verify: reading entries from %d: %w", start, err)
		}
		if len(es) == 0 {
			v.Add(&record.Item{Checkpoint: cp}) // fails: covers entries the board did not serve
			break
		}
		for _, e := range es {
			v.Add(&record.Item{Entry: e})
		}
		start += uint64(len(es))
	}
	v.Add(&record.Item{Checkpoint: cp})
	if opts.OnCheckpoint != nil {
		opts.OnCheckpoint(v.next)
	}
	if opts.Follow && !v.Stopped() {
		if err := v.follow(ctx, c, opts); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
			v.Finish()
			return v.rep, err
		}
	}
	rep := v.Finish()
	return rep, rep.Err()
}

// follow reads the feed from the next entry, reconnecting after errors,
// until the result is covered by a checkpoint, a failure, or ctx ends.
func (v *Verifier) follow(ctx context.Context, c *bulletin.Client, opts ServerOptions) error {
	retries := 0
	for !v.Stopped() {
		if v.done() && v.lastIsCP && v.lastCP == v.next {
			return nil
		}
		f, err := c.Feed(ctx, v.next)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if retries++; retries > 5 {
				return fmt.Errorf("verify: following the board: %w", err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(retries) * time.Second):
			}
			continue
		}
		stop := context.AfterFunc(ctx, func() { f.Close() })
		for !v.Stopped() {
			m, err := f.Next()
			if err != nil {
				break
			}
			retries = 0
			switch {
			case m.Entry != nil:
				if m.Entry.Index < v.next {
					continue // already verified (resumed feed)
				}
				v.Add(&record.Item{Entry: m.Entry})
			case m.Checkpoint != "":
				v.Add(&record.Item{Checkpoint: []byte(m.Checkpoint)})
				if opts.OnCheckpoint != nil && !v.Stopped() {
					opts.OnCheckpoint(v.next)
				}
				if v.done() && v.lastCP == v.next {
					stop()
					f.Close()
					return nil
				}
			}
		}
		stop()
		f.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// LiveReceipt checks a voter's receipt against the live board (e2e/SPEC.md
// §8.6, §12.7): the receipt's checkpoint and inclusion proof, then that the
// board's latest checkpoint extends it (a consistency proof from the
// board), and that the board still serves the entry with the receipt's
// hash. A board that forked fails with an error wrapping bulletin.ErrFork.
func LiveReceipt(ctx context.Context, c *bulletin.Client, rc *bulletin.Receipt, board note.Verifier) (*ReceiptResult, error) {
	res := &ReceiptResult{Index: rc.Index}
	cp, err := bulletin.VerifyReceipt(rc, board)
	if err != nil {
		return nil, fmt.Errorf("verify: receipt: %w", err)
	}
	latest, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: reading the checkpoint: %w", err)
	}
	lcp, err := bulletin.OpenCheckpoint(latest, rc.Election, board)
	if err != nil {
		return nil, fmt.Errorf("verify: the board's latest checkpoint: %w", err)
	}
	var proof []bulletin.Hash
	if lcp.Size > cp.Size {
		if proof, err = c.ConsistencyProof(ctx, cp.Size, lcp.Size); err != nil {
			return nil, fmt.Errorf("verify: reading the consistency proof: %w", err)
		}
	}
	if err := bulletin.VerifyConsistency(cp.Checkpoint, lcp.Checkpoint, proof); err != nil {
		return nil, fmt.Errorf("verify: the board's latest checkpoint (size %d) does not extend the receipt's (size %d): %w", lcp.Size, cp.Size, err)
	}
	e, err := c.Entry(ctx, rc.Index)
	if err != nil {
		return nil, fmt.Errorf("verify: reading entry %d: %w", rc.Index, err)
	}
	if e.Hash != rc.EntryHash {
		return nil, fmt.Errorf("verify: %w: the board's entry %d has another hash than the receipt's", bulletin.ErrFork, rc.Index)
	}
	res.OK, res.Type = true, e.Type
	res.Message = fmt.Sprintf("included in the board, whose latest checkpoint (size %d) extends the receipt's (size %d)", lcp.Size, cp.Size)
	if e.Type == record.TypeBallot {
		res.Tracking = string(ballot.NewTrackingCode(rules.BallotHash(e.Payload)))
	}
	return res, nil
}

// Spoiled checks a spoiled (challenged) ballot against the election of a
// verified record (Report.BallotElection) and returns what it encrypted
// (e2e/SPEC.md §7.9, §12.7).
func Spoiled(el *ballot.Election, data []byte) (ballot.Choices, error) {
	if el == nil {
		return nil, errors.New("verify: no election to check the spoiled ballot against (the record has no ceremony result)")
	}
	s, err := ballot.DecodeSpoiled(data)
	if err != nil {
		return nil, fmt.Errorf("verify: spoiled ballot: %w", err)
	}
	ch, err := ballot.VerifySpoiled(el, s)
	if err != nil {
		return nil, fmt.Errorf("verify: spoiled ballot: %w", err)
	}
	return ch, nil
}
