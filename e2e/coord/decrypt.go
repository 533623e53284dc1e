package coord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// ErrNotReady is returned by [Decrypt] when the board does not yet allow
// decryption (no ceremony result, or the election is not closed).
var ErrNotReady = errors.New("coord: not ready to decrypt")

// ErrRecord wraps a board that breaks the rules a trustee checks before
// decrypting (chain, signatures, a ballot that does not verify): the
// trustee refuses to decrypt.
var ErrRecord = errors.New("coord: the board fails the trustee's checks")

// View is what a trustee reads from the whole board before it decrypts
// ([ReadView]): the election's state under the rule book (e2e/rules) —
// setup, manifest, ceremony, open and close, roll, the latest ballot of
// each credential, the decryption shares — and the posted outcomes.
type View struct {
	Election  string
	Size      uint64
	State     *rules.State
	CerResult *bulletin.Entry // the ceremony.result entry, or nil
	Result    *bulletin.Entry // the tally.result entry, or nil

	// counted is the recount run while the board was read (nil if the
	// board has no ballot election yet, or if the view was read before
	// the close and the pipeline stopped then).
	counted *readCount
	// recount is the trustee's recount of the counted ballots, made when
	// the first mix entry needs the counted sequences (or by Recount).
	recount *Recount

	// The reading: the chain so far, and the ballot pipeline while it
	// runs (noPipe once it was stopped before the close: a later one
	// would miss ballots, and Recount reads the counted ones again).
	chain  bulletin.Chain
	pipe   *rules.Recount
	rc     *readCount
	mu     sync.Mutex
	failed []*rules.Violation
	noPipe bool
}

// A readCount is the recount of every admitted ballot, verified and
// summed while [ReadView] reads the board (rules.Recount under the
// counting rule: a later ballot of a credential replaces the earlier
// one), so the trustee reads and hashes the board once and the proofs
// overlap the reading.
type readCount struct {
	el     *ballot.Election
	t      *rules.Tally
	failed []*rules.Violation // ballots that do not verify, counted or not
	err    error              // reading failed (after the pipeline started)
}

// ReadView reads the whole board of election from src, checking the hash
// chain (e2e/SPEC.md §8.2) and folding every entry through the rule book
// (e2e/rules, e2e/SPEC.md §11) with every check but the ballots' proofs
// and the posted result, which needs the decryption. The proofs are
// checked while the board is read: every ballot is decoded, verified in
// batches on all cores and summed as it arrives (e2e/rules.Recount, which
// keeps one entry index per credential and reads the few replaced ballots
// again at the end), so the board is read once; [View.Recount] reports
// the outcome. An entry that breaks a rule is an error naming it and the
// rule (wrapping [ErrRecord]): the trustee does not decrypt such a board.
// progress, if not nil, is called with the number of entries read every
// 100 000.
func ReadView(ctx context.Context, src EntrySource, election string, progress func(read uint64)) (*View, error) {
	v := &View{Election: election, chain: bulletin.Chain{Election: election}}
	if err := v.Update(ctx, src, progress); err != nil {
		return nil, err
	}
	return v, nil
}

// Update reads the entries added to the board since v was read, with the
// checks of [ReadView]. On an error v must not be used again.
func (v *View) Update(ctx context.Context, src EntrySource, progress func(read uint64)) (err error) {
	ch := &v.chain
	defer func() {
		if err != nil && v.pipe != nil {
			v.pipe.Close() // an early return: stop the pipeline's goroutine
			v.pipe, v.noPipe = nil, true
		}
	}()
	for {
		es, err := src.Entries(ctx, ch.Next, ch.Next+bulletin.MaxPage)
		if err != nil {
			return fmt.Errorf("coord: reading the board from entry %d: %w", ch.Next, err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if err := ch.Add(e); err != nil {
				return fmt.Errorf("%w: %w", ErrRecord, err)
			}
			if isMixType(e.Type) && v.pipe != nil {
				v.finishPipe() // every ballot is in: the mix needs the counted sequences
			}
			if err := v.add(ctx, src, e); err != nil {
				return fmt.Errorf("%w: %w", ErrRecord, err)
			}
			if e.Type == record.TypeBallot && v.State.Ballots != nil && v.counted == nil && !v.noPipe {
				// The ballots are verified and summed as they are read,
				// once the ceremony's result gives their election
				// ([View.Recount] takes the result). A ballot that fails
				// is recorded, not an error here: the trustee refuses the
				// board only if the ballot counts.
				if v.pipe == nil {
					v.rc = &readCount{el: v.State.Ballots}
					v.pipe = rules.NewRecount(v.rc.el, verifyBatchSize, func(x *rules.Violation, _ int) {
						v.mu.Lock()
						defer v.mu.Unlock()
						v.failed = append(v.failed, x)
					}, func() bool { return ctx.Err() != nil })
					v.pipe.Reread(func(idx []uint64) ([]*bulletin.Entry, error) { return readIndexes(ctx, src, idx) })
				}
				v.pipe.Add(e, 0)
			}
			if progress != nil && (e.Index+1)%100_000 == 0 {
				progress(e.Index + 1)
			}
		}
	}
	if v.State == nil {
		return fmt.Errorf("%w: the board of %s is empty", ErrNotReady, v.Election)
	}
	v.Size = ch.Next
	if v.pipe != nil {
		if v.State.CloseIndex >= 0 {
			v.finishPipe()
		} else {
			// Read before the close: ballots may still come, in a later
			// Update whose context may be another.
			v.pipe.Close()
			v.pipe, v.noPipe = nil, true
		}
	}
	return nil
}

// finishPipe waits for the ballot pipeline and keeps its outcome.
func (v *View) finishPipe() {
	v.rc.t, v.pipe = v.pipe.Close(), nil
	v.mu.Lock()
	v.rc.failed, v.rc.err = v.failed, v.rc.t.Err
	v.mu.Unlock()
	v.counted = v.rc
}

// readIndexes reads the entries with the given increasing indexes from
// src, consecutive ones in one call.
func readIndexes(ctx context.Context, src EntrySource, idx []uint64) ([]*bulletin.Entry, error) {
	var out []*bulletin.Entry
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && idx[j] == idx[j-1]+1 && j-i < bulletin.MaxPage {
			j++
		}
		es, err := src.Entries(ctx, idx[i], idx[j-1]+1)
		if err != nil {
			return nil, err
		}
		if len(es) != j-i {
			return nil, fmt.Errorf("coord: asked for entries %d..%d, got %d", idx[i], idx[j-1], len(es))
		}
		out = append(out, es...)
		i = j
	}
	return out, nil
}

func (v *View) add(ctx context.Context, src EntrySource, e *bulletin.Entry) error {
	if e.Index == 0 {
		st, err := rules.ForSetup(e)
		if err != nil {
			return err
		}
		if st.Election != v.Election {
			return fmt.Errorf("entry 0 (%s): the setup is for election %q", e.Type, st.Election)
		}
		v.State = st
	}
	if e.Type == record.TypeResult {
		// Checked by the verifier once the shares are combined.
		if v.Result == nil {
			v.Result = e
		}
		v.State.Skip(e)
		return nil
	}
	pre := &rules.Pre{DeferBallots: true}
	if isMixType(e.Type) && v.State.CloseIndex >= 0 && v.State.CeremonyState != nil {
		// The first mix of a contest shuffles its counted sequences: the
		// trustee recounts the ballots itself (every proof verified)
		// before it checks any mix (e2e/SPEC.md §16.2).
		rc, err := v.Recount(ctx, src, v.State.CeremonyState, nil)
		if err != nil {
			return err
		}
		pre.Ranked = rc.Ranked
	}
	if err := v.State.Apply(e, pre); err != nil {
		return err
	}
	if e.Type == record.TypeCeremonyEnd {
		v.CerResult = e
	}
	return nil
}

// readOnly is a ceremony.Board over entries already read.
type readOnly struct {
	msgs []ceremony.Posted
	now  time.Time
}

func (r readOnly) Post(context.Context, string, []byte, [ceremony.SignatureSize]byte) error {
	return errors.New("coord: the ceremony is over; nothing may be posted")
}

func (r readOnly) Read(_ context.Context, from uint64) ([]ceremony.Posted, time.Time, error) {
	var out []ceremony.Posted
	for _, m := range r.msgs {
		if m.Index >= from {
			out = append(out, m)
		}
	}
	return out, r.now, nil
}

// KeyShare recomputes trustee id's key share from the ceremony on the
// board (its own coefficients come from its encrypted backup, §9.3) and
// checks that the posted ceremony.result is the one the replay gives. It
// returns the key share and the ceremony's final state.
func (v *View) KeyShare(ctx context.Context, id *trustee.Identity) (*ceremony.KeyShare, *ceremony.State, error) {
	s := v.State
	if s.Params == nil || v.CerResult == nil {
		return nil, nil, fmt.Errorf("%w: the key ceremony has no result on the board", ErrNotReady)
	}
	t, err := ceremony.NewTrustee(id, s.Params, s.ParamsTime)
	if err != nil {
		return nil, nil, err
	}
	st, err := t.Step(ctx, readOnly{msgs: s.CeremonyMsgs, now: time.UnixMilli(v.CerResult.Time)})
	if err != nil {
		return nil, st, err
	}
	r, err := ceremony.DecodeResult(v.CerResult.Payload, s.Params)
	if err != nil {
		return nil, st, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	if err := st.VerifyResult(r); err != nil {
		return nil, st, fmt.Errorf("%w: entry %d: %w", ErrRecord, v.CerResult.Index, err)
	}
	return t.KeyShare(), st, nil
}

// verifyBatchSize is how many ballots Decrypt verifies at once.
const verifyBatchSize = 2048

// Recount is a trustee's own recomputation of the tally input.
type Recount struct {
	Election  *ballot.Election
	Layout    *tally.Layout
	Aggregate []elgamal.Ciphertext
	Count     uint64
	Counted   []uint64
	// Ranked holds each ranked contest's counted sequences in board
	// order (e2e/SPEC.md §16.1).
	Ranked map[string][]mixnet.Sequence
}

// Recount verifies every counted ballot on the board (decoded strictly,
// signed by a credential on the roll, every proof checked with
// ballot.VerifyBatch) and sums them (e2e/SPEC.md §10.2). A ballot that
// fails is an error naming its entry: the trustee does not decrypt a board
// with an invalid counted ballot. progress, if not nil, is called with the
// number of ballots verified.
func (v *View) Recount(ctx context.Context, src EntrySource, st *ceremony.State, progress func(done, total uint64)) (*Recount, error) {
	if v.recount != nil {
		return v.recount, nil
	}
	rc, err := v.recountOnce(ctx, src, st, progress)
	if err == nil {
		v.recount = rc
	}
	return rc, err
}

func (v *View) recountOnce(ctx context.Context, src EntrySource, st *ceremony.State, progress func(done, total uint64)) (*Recount, error) {
	s := v.State
	if s.Manifest == nil {
		return nil, fmt.Errorf("%w: no manifest", ErrRecord)
	}
	if s.OpenIndex < 0 || s.CloseIndex < 0 {
		return nil, fmt.Errorf("%w: the election is not closed", ErrNotReady)
	}
	el, err := ballot.NewElection(s.Manifest, st.JointKey, st.Hash)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRecord, err)
	}
	layout := s.Layout
	counted := make([]uint64, 0, len(s.Latest))
	for _, i := range s.Latest {
		counted = append(counted, i)
	}
	slices.Sort(counted)
	if c := v.counted; c != nil && c.el.BaseHash == el.BaseHash && c.el.JointKey.Equal(el.JointKey) {
		return v.counts(ctx, c, el, layout, counted, progress)
	}
	// The verifier's pipeline (rules.Recount): each batch decoded in
	// parallel, verified as one batch, summed, while the next pages are
	// read. A ballot that fails stops the recount with its entry named.
	var (
		mu    sync.Mutex
		first *rules.Violation
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return first != nil || ctx.Err() != nil
	}
	fail := func(v *rules.Violation, _ int) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil || v.Index < first.Index {
			first = v
		}
	}
	var report func(uint64)
	if progress != nil {
		report = func(done uint64) { progress(done, uint64(len(counted))) }
	}
	pipe := rules.NewLatestRecount(el, verifyBatchSize, fail, failed, report)
	added, k := uint64(0), 0
	var readErr error
	for es, err := range Pages(ctx, src, uint64(s.OpenIndex)+1, uint64(s.CloseIndex)) {
		if err != nil {
			readErr = err
			break
		}
		for _, e := range es {
			for k < len(counted) && counted[k] < e.Index {
				k++
			}
			if k == len(counted) || counted[k] != e.Index {
				continue
			}
			// The rules checked the entry's phase, schedule and roll; its
			// content is checked by the pipeline.
			pipe.Add(e, 0)
			added++
		}
		if failed() {
			break
		}
	}
	t := pipe.Close()
	switch {
	case readErr != nil:
		return nil, readErr
	case first != nil:
		return nil, fmt.Errorf("%w: counted ballot at entry %d does not verify: %w", ErrRecord, first.Index, first)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case added != uint64(len(counted)) || t.Turnout != added:
		return nil, fmt.Errorf("%w: found %d of %d counted ballots", ErrRecord, t.Turnout, len(counted))
	}
	return &Recount{Election: el, Layout: layout, Counted: counted, Aggregate: t.Aggregate, Count: t.Turnout, Ranked: t.Ranked}, nil
}

// counts finishes [View.Recount] from the recount [ReadView] ran while
// reading: the same outcome as reading the counted ballots again (a
// ballot that fails is an error only if it counts; one replaced later was
// not summed, the ballot replacing it was).
func (v *View) counts(ctx context.Context, c *readCount, el *ballot.Election, layout *tally.Layout, counted []uint64, progress func(done, total uint64)) (*Recount, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRecord, c.err)
	}
	var first *rules.Violation
	for _, x := range c.failed {
		if _, ok := slices.BinarySearch(counted, x.Index); ok && (first == nil || x.Index < first.Index) {
			first = x
		}
	}
	if first != nil {
		return nil, fmt.Errorf("%w: counted ballot at entry %d does not verify: %w", ErrRecord, first.Index, first)
	}
	if c.t.Turnout != uint64(len(counted)) {
		return nil, fmt.Errorf("%w: found %d of %d counted ballots", ErrRecord, c.t.Turnout, len(counted))
	}
	if progress != nil {
		progress(uint64(len(counted)), uint64(len(counted)))
	}
	return &Recount{Election: el, Layout: layout, Counted: counted, Aggregate: c.t.Aggregate, Count: c.t.Turnout, Ranked: c.t.Ranked}, nil
}

// A Poster submits a trustee's signed entry (the [Client] does).
type Poster interface {
	Submit(ctx context.Context, s Submission) (*bulletin.Receipt, error)
}

// Decryption is the outcome of [Decrypt].
type Decryption struct {
	Trustee int
	Recount *Recount
	Share   *tally.ShareMessage // nil when nothing needed decrypting
	// Entry is the board index of the trustee's tally.share: the one just
	// posted, or the one it had posted before (Existing).
	Entry    uint64
	Existing bool
	// Late: the tally.result was on the board before this trustee's
	// share; nothing was posted.
	Late bool
}

// Decrypt is the trustee's decryption step: it reads the board from src
// ([ReadView]), recomputes its key share from the ceremony, verifies and
// aggregates the counted ballots itself ([View.Recount]) — it never takes
// the server's aggregate — and posts its decryption shares with their
// proofs through p, signed by id (e2e/SPEC.md §10.3). If its valid share
// for this aggregate is already on the board it does not post again.
func Decrypt(ctx context.Context, src EntrySource, election string, id *trustee.Identity, p Poster, progress func(string)) (*Decryption, error) {
	say := sayer(progress)
	v, err := ReadView(ctx, src, election, func(n uint64) { say("read %d entries", n) })
	if err != nil {
		return nil, err
	}
	return v.decrypt(ctx, src, id, p, say)
}

// Decrypt is [Decrypt] on a view the trustee already holds (the one its
// [Mix] used): it brings v up to date from src, with the same checks of
// every new entry, and reuses what v verified before (the recount of the
// ballots, the mixes) instead of reading and verifying the board again.
func (v *View) Decrypt(ctx context.Context, src EntrySource, id *trustee.Identity, p Poster, progress func(string)) (*Decryption, error) {
	say := sayer(progress)
	if err := v.Update(ctx, src, func(n uint64) { say("read %d entries", n) }); err != nil {
		return nil, err
	}
	return v.decrypt(ctx, src, id, p, say)
}

func sayer(progress func(string)) func(format string, args ...any) {
	return func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
}

func (v *View) decrypt(ctx context.Context, src EntrySource, id *trustee.Identity, p Poster, say func(format string, args ...any)) (*Decryption, error) {
	election := v.Election
	say("read the board: %d entries, %d ballots between open and close", v.Size, v.State.BallotCount)
	ks, st, err := v.KeyShare(ctx, id)
	if err != nil {
		return nil, err
	}
	say("key share recomputed from the ceremony: trustee %d of %v", ks.Trustee, st.Qualified)
	next := uint64(0)
	rc, err := v.Recount(ctx, src, st, func(done, total uint64) {
		if done >= next || done == total {
			say("verified %d/%d counted ballots", done, total)
			next = done + 50_000
		}
	})
	if err != nil {
		return nil, err
	}
	out := &Decryption{Trustee: ks.Trustee, Recount: rc}
	if rc.Count == 0 {
		say("no ballot was counted: nothing to decrypt")
		return out, nil
	}
	params := v.State.Params
	d := &tally.Decryption{Election: election, Base: rc.Election.BaseHash, Aggregate: rc.Aggregate, Count: rc.Count, Limits: rc.Layout.Limits(),
		Threshold: params.Threshold, Trustees: params.Trustees, Keys: st.VerificationKeys}
	for _, sp := range v.State.Shares {
		m, err := tally.DecodeShareMessage(sp.Payload)
		if err != nil || m.Trustee != ks.Trustee || params.Trustees[m.Trustee-1].Verify(election, sp.Type, sp.Payload, sp.Signature) != nil {
			continue
		}
		if d.Check(m) == nil {
			out.Share, out.Entry, out.Existing = m, sp.Index, true
			say("this trustee's decryption share is already on the board at entry %d", sp.Index)
			return out, nil
		}
	}
	if v.Result != nil {
		// The other trustees' shares sufficed (with a ranked contest the
		// last mixer comes late): a share now would be refused. (The view
		// keeps the tally.result in v.Result; its state skips it.)
		out.Late = true
		say("the tally.result is on the board already (entry %d): this trustee's decryption share was not needed", v.Result.Index)
		return out, nil
	}
	share, err := tally.DecryptShares(rc.Election.BaseHash, ks, rc.Aggregate, rc.Count)
	if err != nil {
		return nil, err
	}
	if err := d.Check(share); err != nil {
		return nil, fmt.Errorf("coord: internal error: own decryption share does not verify: %w", err)
	}
	r, err := p.Submit(ctx, signed(id, election, tally.TypeDecryptionShare, share.Marshal()))
	if err != nil {
		if errors.Is(err, ErrRejected) && seenAfterRefusal(ctx, v, src, func() bool { return v.Result != nil }) {
			// The result came while this share was on its way.
			out.Late = true
			say("the tally.result was posted meanwhile (entry %d): this trustee's decryption share was not needed", v.Result.Index)
			return out, nil
		}
		return nil, fmt.Errorf("coord: posting the decryption share: %w", err)
	}
	out.Share, out.Entry = share, r.Index
	say("decryption share posted at entry %d", r.Index)
	return out, nil
}

// seenAfterRefusal reports whether, after a refused share, the view sees
// the result that made it unneeded (seen). The service may refuse the
// share as soon as the result is admitted, a moment before its commit
// makes it readable: the view is read again for a few seconds. (Found in
// CI: TestBrowserRankedReal's trustee was refused and its one re-read did
// not see the tally.result yet.)
func seenAfterRefusal(ctx context.Context, v *View, src EntrySource, seen func() bool) bool {
	for wait := 50 * time.Millisecond; ; wait *= 2 {
		if v.Update(ctx, src, nil) == nil && seen() {
			return true
		}
		if wait > 3*time.Second {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
	}
}
