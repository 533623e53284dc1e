package board

import (
	"context"
	"fmt"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

// commitTimeout bounds one group-commit transaction.
const commitTimeout = 2 * time.Minute

type request struct {
	subs []Submission
	keys []bulletin.Hash
	resp chan result
}

type result struct {
	loc []store.Found // per submission; Index noIndex if rejected
	pr  *prover
	err error
}

// A prover makes the receipts of one committed batch. The appender hands
// it to the waiting callers, which build their own inclusion proofs in
// parallel, outside the transaction: proving every entry of a batch in the
// appender was a fifth of its time inside the transaction (pprof, 256
// writers). Every hash the proofs need was read inside the transaction,
// so proving cannot fail on a missing hash; the map is only read once the
// prover is handed over.
type prover struct {
	election string
	note     string // the signed checkpoint at size
	size     int64
	hashes   map[int64]tlog.Hash
}

func (p *prover) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for k, x := range idx {
		h, ok := p.hashes[x]
		if !ok {
			return nil, fmt.Errorf("%w: %s: tree hash %d not read for the receipts", ErrCorrupt, p.election, x)
		}
		out[k] = h
	}
	return out, nil
}

// receipts returns the receipts of the submissions at loc (nil where
// rejected).
func (p *prover) receipts(loc []store.Found) ([]*bulletin.Receipt, error) {
	out := make([]*bulletin.Receipt, len(loc))
	for j, f := range loc {
		if f.Index == noIndex {
			continue
		}
		pf, err := tlog.ProveRecord(p.size, int64(f.Index), p)
		if err != nil {
			return nil, fmt.Errorf("board: %s: proof for entry %d: %w", p.election, f.Index, err)
		}
		out[j] = &bulletin.Receipt{Election: p.election, Index: f.Index, EntryHash: f.Hash, Checkpoint: p.note, Inclusion: bulletin.FromTlog(pf)}
	}
	return out, nil
}

// rejected returns the AdmitError of one request, or nil if the admission
// hook rejected none of its submissions.
func rejected(r *request, rej map[bulletin.Hash]error) error {
	if rej == nil {
		return nil
	}
	var errs []error
	for j, k := range r.keys {
		if err, ok := rej[k]; ok {
			if errs == nil {
				errs = make([]error, len(r.keys))
			}
			errs[j] = err
		}
	}
	if errs == nil {
		return nil
	}
	return &AdmitError{Errs: errs}
}

// An appender is the single goroutine per election and process that
// batches concurrent appends into one transaction (group commit).
type appender struct {
	election string
	reqs     chan *request
}

// Append appends the submissions to election's log, in order, and returns
// one receipt per submission. It returns only after the entries are
// durable. A submission whose idempotence key (bulletin.SubmissionKey) is
// already in the log is not appended again: its receipt is that of the
// first entry, against the current checkpoint. Concurrent calls are batched
// into one store transaction and one checkpoint.
//
// With an admission hook ([Options.Admit]), a submission it rejects is not
// appended: Append returns nil at its position in the receipts and an
// [*AdmitError] naming it; the call's other submissions are appended.
//
// If ctx ends while the batch is being committed, Append returns ctx's error
// but the entries may still be appended; a retry returns their receipts.
func (b *Board) Append(ctx context.Context, election string, subs ...Submission) ([]*bulletin.Receipt, error) {
	if !bulletin.ValidElectionID(election) {
		return nil, fmt.Errorf("%w: malformed election id", ErrBadRequest)
	}
	if len(subs) == 0 {
		return nil, nil
	}
	if len(subs) > b.opts.MaxBatch {
		return nil, fmt.Errorf("%w: %d submissions in one call, limit %d", ErrTooLarge, len(subs), b.opts.MaxBatch)
	}
	req := &request{subs: make([]Submission, len(subs)), keys: make([]bulletin.Hash, len(subs)), resp: make(chan result, 1)}
	for i, s := range subs {
		switch {
		case !bulletin.ValidType(s.Type):
			return nil, fmt.Errorf("%w: submission %d: malformed type", ErrBadRequest, i)
		case len(s.Payload) > b.opts.MaxPayload:
			return nil, fmt.Errorf("%w: submission %d: payload of %d bytes, limit %d", ErrTooLarge, i, len(s.Payload), b.opts.MaxPayload)
		case len(s.Signer) > bulletin.MaxSignerSize:
			return nil, fmt.Errorf("%w: submission %d: signer of %d bytes", ErrTooLarge, i, len(s.Signer))
		case len(s.Signature) > bulletin.MaxSignatureSize:
			return nil, fmt.Errorf("%w: submission %d: signature of %d bytes", ErrTooLarge, i, len(s.Signature))
		}
		// Copy: the caller may reuse its slices once we return.
		req.subs[i] = Submission{Type: s.Type, Payload: clone(s.Payload), Signer: clone(s.Signer), Signature: clone(s.Signature)}
		req.keys[i] = bulletin.SubmissionKey(s.Type, s.Payload, s.Signer, s.Signature)
	}
	a, err := b.appender(election)
	if err != nil {
		return nil, err
	}
	select {
	case a.reqs <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.done:
		return nil, ErrClosed
	}
	var r result
	select {
	case r = <-req.resp:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-b.done:
		// Closing: the appenders finish their current batch and fail the
		// queued ones; a request queued after that gets ErrClosed here.
		b.wg.Wait()
		select {
		case r = <-req.resp:
		default:
			return nil, ErrClosed
		}
	}
	if r.pr == nil {
		return nil, r.err
	}
	receipts, err := r.pr.receipts(r.loc)
	if err != nil {
		return nil, err
	}
	return receipts, r.err
}

func clone(b []byte) []byte { return append([]byte{}, b...) }

func (b *Board) appender(election string) (*appender, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	a, ok := b.appenders[election]
	if !ok {
		a = &appender{election: election, reqs: make(chan *request, 4096)}
		b.appenders[election] = a
		b.wg.Add(1)
		go b.runAppender(a)
	}
	return a, nil
}

func (b *Board) runAppender(a *appender) {
	defer b.wg.Done()
	for {
		var batch []*request
		select {
		case r := <-a.reqs:
			batch = append(batch, r)
		case <-b.done:
			for {
				select {
				case r := <-a.reqs:
					r.resp <- result{err: ErrClosed}
				default:
					return
				}
			}
		}
		// Group commit: take whatever else is already waiting, up to
		// MaxBatch submissions, into the same transaction.
		n := len(batch[0].subs)
	drain:
		for n < b.opts.MaxBatch {
			select {
			case r := <-a.reqs:
				batch = append(batch, r)
				n += len(r.subs)
			default:
				break drain
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
		loc, pr, rej, err := b.commit(ctx, a.election, batch)
		cancel()
		if err == nil {
			b.commits.Add(1)
			b.committed.Add(int64(n))
			b.broadcast(a.election)
		}
		// Acknowledge only now: commit has returned, so the batch is durable.
		for i, r := range batch {
			if err != nil {
				r.resp <- result{err: err}
			} else {
				r.resp <- result{loc: loc[i], pr: pr, err: rejected(r, rej)}
			}
		}
	}
}

// commit appends a batch in one store transaction and returns where each
// request's submissions are (Index noIndex for a submission the admission
// hook rejected), the prover of their receipts and the rejections by
// submission key.
func (b *Board) commit(ctx context.Context, election string, batch []*request) ([][]store.Found, *prover, map[bulletin.Hash]error, error) {
	var loc [][]store.Found
	var pr *prover
	var rej map[bulletin.Hash]error
	err := b.st.Update(ctx, election, func(tx store.Tx) error {
		loc, pr, rej = nil, nil, nil
		h := tx.Head()
		var keys []bulletin.Hash
		for _, r := range batch {
			keys = append(keys, r.keys...)
		}
		found, err := tx.FindKeys(ctx, keys)
		if err != nil {
			return fmt.Errorf("board: %s: %w", election, err)
		}
		now := b.opts.Now().UnixMilli()
		t := max(now, h.Time)
		// Admission: the head is locked, nothing is assigned yet.
		known := make(map[bulletin.Hash]struct{}, len(found))
		for k := range found {
			known[k] = struct{}{}
		}
		if rej, err = b.admit(ctx, election, &admitView{b: b, election: election, size: h.Size, last: h.Last, time: t}, batch, known); err != nil {
			return err
		}
		// Assign indexes: known submissions keep their first entry; new
		// ones are chained after the head in arrival order.
		next, last := h.Size, h.Last
		var rows []store.Row
		loc = make([][]store.Found, len(batch))
		live := 0
		for i, r := range batch {
			loc[i] = make([]store.Found, len(r.subs))
			for j, s := range r.subs {
				k := r.keys[j]
				if _, no := rej[k]; no {
					loc[i][j] = store.Found{Index: noIndex}
					continue
				}
				live++
				if f, ok := found[k]; ok {
					loc[i][j] = f
					continue
				}
				e := bulletin.Entry{Index: next, Type: s.Type, Time: t, Prev: last, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature}
				e.Hash = e.ComputeHash(election)
				rows = append(rows, store.Row{Entry: e, Key: k})
				f := store.Found{Index: next, Hash: e.Hash}
				found[k] = f
				loc[i][j] = f
				last = e.Hash
				next++
			}
		}
		if live == 0 {
			// Every submission was rejected: nothing to write or prove.
			pr = &prover{election: election}
			return nil
		}
		ov := &overlay{ctx: ctx, tx: tx, m: map[int64]tlog.Hash{}}
		var cpNote []byte
		if len(rows) == 0 {
			// Only retries: nothing to write; answer with the current
			// checkpoint.
			if cpNote, err = tx.Checkpoint(ctx, h.Size); err != nil {
				return fmt.Errorf("%w: %s: checkpoint of size %d: %w", ErrCorrupt, election, h.Size, err)
			}
		} else {
			if _, err := ov.ReadHashes(frontier(int64(h.Size))); err != nil {
				return fmt.Errorf("%w: %s: tree frontier at size %d: %w", ErrCorrupt, election, h.Size, err)
			}
			var hashes []store.IndexedHash
			for _, r := range rows {
				i := int64(r.Entry.Index)
				hs, err := tlog.StoredHashes(i, r.Entry.Hash[:], ov)
				if err != nil {
					return fmt.Errorf("%w: %s: tree hashes for entry %d: %w", ErrCorrupt, election, i, err)
				}
				base := tlog.StoredHashIndex(0, i)
				for k, x := range hs {
					ov.m[base+int64(k)] = x
					hashes = append(hashes, store.IndexedHash{Index: base + int64(k), Hash: x})
				}
			}
			root, err := tlog.TreeHash(int64(next), ov)
			if err != nil {
				return fmt.Errorf("%w: %s: tree hash at size %d: %w", ErrCorrupt, election, next, err)
			}
			cp := bulletin.Checkpoint{Origin: bulletin.Origin(b.name, election), Size: next, Root: bulletin.Hash(root)}
			if cpNote, err = bulletin.SignCheckpoint(cp, b.opts.Signer); err != nil {
				return fmt.Errorf("board: signing checkpoint: %w", err)
			}
			if err := tx.Write(ctx, &store.Batch{Rows: rows, Hashes: hashes, Head: store.Head{Size: next, Last: last, Time: t}, Checkpoint: cpNote}); err != nil {
				return err
			}
		}
		// Inclusion proofs at the new size: record which hashes they need
		// and read them in one query, inside the transaction; the callers
		// build the proofs once it has committed. A new entry's proof needs
		// only hashes of this batch and the old tree's frontier, both in
		// ov already: every sibling subtree of its path that lies in the
		// old tree is a complete subtree of the frontier. Only retried
		// submissions, at older indexes, need more.
		rec := &recorder{}
		for _, l := range loc {
			for _, f := range l {
				if f.Index == noIndex || f.Index >= h.Size {
					continue
				}
				if _, err := tlog.ProveRecord(int64(next), int64(f.Index), rec); err != nil {
					return fmt.Errorf("board: %s: proof for entry %d: %w", election, f.Index, err)
				}
			}
		}
		if _, err := ov.ReadHashes(rec.idx); err != nil {
			return fmt.Errorf("%w: %s: tree hashes for proofs: %w", ErrCorrupt, election, err)
		}
		pr = &prover{election: election, note: string(cpNote), size: int64(next), hashes: ov.m}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return loc, pr, rej, nil
}

// noIndex marks a rejected submission in commit's index assignment.
const noIndex = ^uint64(0)

// frontier returns the stored-hash indexes of the complete subtrees that
// make up a tree of n leaves: all an append needs from the old tree.
func frontier(n int64) []int64 {
	var out []int64
	start := int64(0)
	for l := 62; l >= 0; l-- {
		if n&(1<<l) != 0 {
			out = append(out, tlog.StoredHashIndex(l, start>>l))
			start += 1 << l
		}
	}
	return out
}

// overlay is a tlog.HashReader over a transaction with a write-through
// cache, so hashes computed in the batch are visible before they are
// written.
type overlay struct {
	ctx context.Context
	tx  store.Tx
	m   map[int64]tlog.Hash
}

func (o *overlay) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	var miss []int64
	for _, x := range idx {
		if _, ok := o.m[x]; !ok {
			miss = append(miss, x)
		}
	}
	if len(miss) > 0 {
		hs, err := o.tx.ReadHashes(o.ctx, miss)
		if err != nil {
			return nil, err
		}
		for k, x := range miss {
			o.m[x] = hs[k]
		}
	}
	out := make([]tlog.Hash, len(idx))
	for k, x := range idx {
		out[k] = o.m[x]
	}
	return out, nil
}

// recorder is a tlog.HashReader that records the indexes asked for and
// returns zero hashes.
type recorder struct{ idx []int64 }

func (r *recorder) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	r.idx = append(r.idx, idx...)
	return make([]tlog.Hash, len(idx)), nil
}
