package rules

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/tally"
)

// A Tally is the aggregate of the counted ballots (e2e/SPEC.md §10.1):
// one ciphertext per position of the election's layout, and the number of
// credentials counted.
type Tally struct {
	Aggregate  []elgamal.Ciphertext
	Turnout    uint64
	Superseded uint64 // ballots replaced by a later ballot of their credential
	// Ranked holds, for each ranked contest, the counted ballots'
	// sequences in board order: the input of the contest's first mix
	// (e2e/SPEC.md §16.1).
	Ranked map[string][]mixnet.Sequence
	// Time spent in each stage, summed over batches.
	Decode, Proofs, Sum time.Duration
	// Err is set if the replaced ballots could not be read again (see
	// [Recount.Reread]); the aggregate is then not the tally.
	Err error
}

// A Recount verifies ballot entries in batches while they are read and
// sums them under the counting rule of e2e/SPEC.md §11.6 (a later ballot
// of a credential replaces the earlier one: its vector is subtracted).
// Each batch is decoded in parallel and checked with [VerifyBallots] on a
// goroutine of the Recount's own, so reading the next entries overlaps the
// proofs. The verifier and the service's check of tally.result use it.
//
// Add the ballot entries [State.Apply] admitted, in board order; then
// [Recount.Close].
type Recount struct {
	el     *ballot.Election
	layout *tally.Layout
	fail   func(v *Violation, tag int)
	stop   func() bool
	width  int
	size   int
	cur    []job
	in     chan []job
	done   chan struct{}
	closed bool
	t      Tally

	// owned by the goroutine until done
	sum []*group.Point      // A_0, B_0, A_1, B_1, …
	vec map[[32]byte][]byte // credential ↦ encoded vector of its counted ballot; nil for a latest-only Recount
	n   uint64              // ballots summed (latest-only)
	// With Reread: credential ↦ index of its counted ballot, and the
	// indexes of the ballots replaced since, subtracted at Close.
	reread     func(indexes []uint64) ([]*bulletin.Entry, error)
	idx        map[[32]byte]countedEntry
	superseded []countedEntry
	// ranked: the manifest's ranked contests (their positions) and, per
	// credential, its counted ballot's index and rank sequences.
	rankedAt []int
	ranks    map[[32]byte]rankedBallot
	// progress, if set, is called from the goroutine after each batch.
	progress func(done uint64)
	// panicked is the goroutine's panic, raised again by Close.
	panicked *workerPanic
}

// rankedBallot is a counted ballot's sequences of ranked contests.
type rankedBallot struct {
	index uint64
	seqs  []mixnet.Sequence // by ranked contest, in manifest order
}

type job struct {
	e   *bulletin.Entry
	tag int
}

// NewRecount returns a Recount for election el, verifying batchSize
// ballots at a time (default 2048). fail is called, from the Recount's
// goroutine, for every ballot that breaks a rule, with the tag given to
// Add; such a ballot is not counted. stop, if not nil, is polled between
// batches: when it reports true the remaining batches are drained
// unchecked.
func NewRecount(el *ballot.Election, batchSize int, fail func(v *Violation, tag int), stop func() bool) *Recount {
	r := newRecount(el, batchSize, fail, stop)
	r.vec = map[[32]byte][]byte{}
	go r.run()
	return r
}

// NewLatestRecount is [NewRecount] for a reader that already knows which
// ballots count ([State.Latest] after the close) and adds only those: no
// ballot replaces another, so it keeps nothing per credential and its
// memory does not grow with the number of ballots. progress, if not nil,
// is called from the Recount's goroutine with the number of ballots
// summed after each batch. The trustees' recount uses it.
func NewLatestRecount(el *ballot.Election, batchSize int, fail func(v *Violation, tag int), stop func() bool, progress func(done uint64)) *Recount {
	r := newRecount(el, batchSize, fail, stop)
	r.progress = progress
	go r.run()
	return r
}

func newRecount(el *ballot.Election, batchSize int, fail func(v *Violation, tag int), stop func() bool) *Recount {
	if batchSize <= 0 {
		batchSize = 2048
	}
	l := tally.LayoutOf(el.Manifest)
	r := &Recount{el: el, layout: l, fail: fail, stop: stop, width: l.Width(), size: batchSize,
		in: make(chan []job, 2), done: make(chan struct{})}
	r.sum = make([]*group.Point, 2*r.width)
	for i := range r.sum {
		r.sum[i] = group.Identity()
	}
	for i := range el.Manifest.Contests {
		if el.Manifest.Contests[i].Kind == ballot.Ranked {
			r.rankedAt = append(r.rankedAt, i)
		}
	}
	if len(r.rankedAt) > 0 {
		r.ranks = map[[32]byte]rankedBallot{}
	}
	return r
}

// Reread switches r, before the first Add, to a mode whose memory does
// not grow with the size of the ballots: instead of the vector of every
// credential's counted ballot it keeps the ballot's entry index, and at
// Close it reads the (few) replaced ballots again with read, which returns
// the entries with the given indexes (increasing), and subtracts them.
// The verifier uses it when the record can be read twice (a file).
func (r *Recount) Reread(read func(indexes []uint64) ([]*bulletin.Entry, error)) {
	r.reread, r.idx, r.vec = read, map[[32]byte]countedEntry{}, nil
}

// countedEntry names a counted ballot's entry: read again, it must be the
// same entry (the file may have changed between the two reads).
type countedEntry struct {
	index uint64
	hash  bulletin.Hash
}

// Add queues a ballot entry for verification and counting.
func (r *Recount) Add(e *bulletin.Entry, tag int) {
	r.cur = append(r.cur, job{e: e, tag: tag})
	if len(r.cur) >= r.size {
		r.in <- r.cur
		r.cur = nil
	}
}

// Close verifies the pending ballots, waits for every batch and returns
// the tally. It may be called more than once.
func (r *Recount) Close() *Tally {
	if r.closed {
		return &r.t
	}
	r.closed = true
	if len(r.cur) > 0 {
		r.in <- r.cur
		r.cur = nil
	}
	close(r.in)
	<-r.done
	if r.panicked != nil {
		panic(r.panicked.v)
	}
	if r.reread != nil {
		r.subtractReplaced()
	}
	r.t.Aggregate = make([]elgamal.Ciphertext, r.width)
	for k := range r.t.Aggregate {
		r.t.Aggregate[k] = elgamal.Ciphertext{A: r.sum[2*k], B: r.sum[2*k+1]}
	}
	r.rankedLists()
	switch {
	case r.reread != nil:
		r.t.Turnout = uint64(len(r.idx))
	case r.vec == nil:
		r.t.Turnout = r.n
	default:
		r.t.Turnout = uint64(len(r.vec))
	}
	return &r.t
}

func (r *Recount) run() {
	defer close(r.done)
	defer func() {
		// Raised again by Close, in the caller's goroutine.
		if p := recover(); p != nil {
			r.panicked = &workerPanic{p}
			for range r.in { // drain: Add must not block
			}
		}
	}()
	for batch := range r.in {
		if r.stop != nil && r.stop() {
			continue // drain
		}
		r.batch(batch)
	}
}

func (r *Recount) batch(batch []job) {
	t := time.Now()
	es := make([]*bulletin.Entry, len(batch))
	for i, j := range batch {
		es[i] = j.e
	}
	ballots, errs := decodeBallots(r.el, es)
	r.t.Decode += time.Since(t)
	t = time.Now()
	verifyDecoded(r.el, es, ballots, errs)
	r.t.Proofs += time.Since(t)

	t = time.Now()
	defer func() { r.t.Sum += time.Since(t) }()
	for i, b := range ballots {
		if errs[i] != nil {
			r.fail(errs[i].(*Violation), batch[i].tag)
			continue
		}
		vec, err := r.layout.Vector(b)
		if err != nil {
			r.fail(violation(es[i], CheckBallotElection, ErrMalformed, err, "%v", err), batch[i].tag)
			continue
		}
		r.keepRanks(es[i].Index, b)
		if r.reread != nil {
			cred := b.Credential.Bytes()
			if old, ok := r.idx[cred]; ok {
				r.superseded = append(r.superseded, old)
				r.t.Superseded++
			}
			r.idx[cred] = countedEntry{es[i].Index, es[i].Hash}
			for k, c := range vec {
				r.sum[2*k] = r.sum[2*k].Add(c.A)
				r.sum[2*k+1] = r.sum[2*k+1].Add(c.B)
			}
			continue
		}
		if r.vec == nil {
			for k, c := range vec {
				r.sum[2*k] = r.sum[2*k].Add(c.A)
				r.sum[2*k+1] = r.sum[2*k+1].Add(c.B)
			}
			r.n++
			continue
		}
		cred := b.Credential.Bytes()
		if old, ok := r.vec[cred]; ok {
			for k := 0; k < r.width; k++ {
				c, err := elgamal.DecodeCiphertext(old[64*k : 64*k+64])
				if err != nil {
					panic("rules: internal error: re-decoding a stored ciphertext: " + err.Error())
				}
				r.sum[2*k] = r.sum[2*k].Sub(c.A)
				r.sum[2*k+1] = r.sum[2*k+1].Sub(c.B)
			}
			r.t.Superseded++
		}
		enc := make([]byte, 0, 64*r.width)
		for k, c := range vec {
			r.sum[2*k] = r.sum[2*k].Add(c.A)
			r.sum[2*k+1] = r.sum[2*k+1].Add(c.B)
			b := c.Bytes()
			enc = append(enc, b[:]...)
		}
		r.vec[cred] = enc
	}
	if r.progress != nil {
		r.progress(r.n)
	}
}

// subtractReplaced reads the replaced ballots again and subtracts their
// vectors (each was verified and added when first read).
func (r *Recount) subtractReplaced() {
	if len(r.superseded) == 0 {
		return
	}
	t := time.Now()
	defer func() { r.t.Sum += time.Since(t) }()
	slices.SortFunc(r.superseded, func(a, b countedEntry) int { return cmp.Compare(a.index, b.index) })
	indexes := make([]uint64, len(r.superseded))
	for i, c := range r.superseded {
		indexes[i] = c.index
	}
	es, err := r.reread(indexes)
	if err == nil && len(es) != len(r.superseded) {
		err = fmt.Errorf("rules: read %d of the %d replaced ballots again", len(es), len(r.superseded))
	}
	for i := 0; err == nil && i < len(es); i++ {
		var b *ballot.Ballot
		var vec []elgamal.Ciphertext
		if w := r.superseded[i]; es[i].Index != w.index || es[i].Hash != w.hash {
			err = fmt.Errorf("rules: entry %d, a replaced ballot, read again is not the entry first read (index %d)", w.index, es[i].Index)
		} else if b, err = ballot.DecodeBallot(es[i].Payload); err == nil {
			vec, err = r.layout.Vector(b)
		}
		if err != nil {
			break
		}
		for k, c := range vec {
			r.sum[2*k] = r.sum[2*k].Sub(c.A)
			r.sum[2*k+1] = r.sum[2*k+1].Sub(c.B)
		}
	}
	if err != nil {
		r.t.Err = fmt.Errorf("rules: the replaced ballots could not be read again: %w", err)
	}
}

// keepRanks keeps the rank ciphertexts of ballot b, at entry index, as its
// credential's counted sequences (a later ballot replaces them).
func (r *Recount) keepRanks(index uint64, b *ballot.Ballot) {
	if r.ranks == nil {
		return
	}
	rb := rankedBallot{index: index, seqs: make([]mixnet.Sequence, len(r.rankedAt))}
	for k, ci := range r.rankedAt {
		seq := make(mixnet.Sequence, len(b.Contests[ci].Ranks))
		for j, rk := range b.Contests[ci].Ranks {
			seq[j] = rk.Ciphertext
		}
		rb.seqs[k] = seq
	}
	r.ranks[b.Credential.Bytes()] = rb
}

// rankedLists sets the tally's counted sequences of each ranked contest,
// in board order (e2e/SPEC.md §16.1).
func (r *Recount) rankedLists() {
	if r.ranks == nil {
		return
	}
	counted := make([]rankedBallot, 0, len(r.ranks))
	for _, rb := range r.ranks {
		counted = append(counted, rb)
	}
	slices.SortFunc(counted, func(a, b rankedBallot) int { return cmp.Compare(a.index, b.index) })
	r.t.Ranked = map[string][]mixnet.Sequence{}
	for k, ci := range r.rankedAt {
		l := make([]mixnet.Sequence, len(counted))
		for i, rb := range counted {
			l[i] = rb.seqs[k]
		}
		r.t.Ranked[r.el.Manifest.Contests[ci].ID] = l
	}
}
