package ceremony

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// More errors of the trustee state machine.
var (
	// ErrBoard wraps a failure to read or post on the board; it is
	// transient: [Trustee.Run] retries.
	ErrBoard = errors.New("ceremony: board")
	// ErrExcluded: the ceremony succeeded but this trustee is not in the
	// qualified set, so it holds no key share.
	ErrExcluded = errors.New("ceremony: this trustee is not qualified")
)

// A KeyShare is what a qualified trustee holds after the ceremony: its
// secret share sⱼ of the joint secret key, its public verification key
// Vⱼ = sⱼ·G and the joint key. Secret must never be logged or posted.
type KeyShare struct {
	Ceremony     [32]byte
	Trustee      int
	Secret       *group.Scalar
	Verification *group.Point
	JointKey     *group.Point
}

// faults are deliberate deviations for tests (zero value: honest).
type faults struct {
	badShareFor map[int]bool // deal fᵢ(j)+1 to these recipients
	answerBad   bool         // reveal the bad share when accused
	noAnswer    bool         // never answer complaints
	accuse      []int        // complain against these dealers regardless
}

// Trustee is one trustee's side of the ceremony: a state machine over the
// board. Each [Trustee.Step] replays the board and posts whatever is due;
// the trustee keeps no state that is not on the board except its identity,
// so a new Trustee on the same board resumes where the old one stopped.
type Trustee struct {
	id    *trustee.Identity
	p     *Params
	start time.Time
	index int
	hash  [32]byte

	poly  polynomial // own polynomial, generated or recovered from the backup
	cache []Posted   // ceremony entries read so far
	next  uint64     // next board index to read
	share *KeyShare
	state *State
	memo  *Memo

	faults faults
}

// NewTrustee returns the state machine of identity id in the ceremony p,
// opened at board time start.
func NewTrustee(id *trustee.Identity, p *Params, start time.Time) (*Trustee, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	i := p.IndexOf(id.Public())
	if i == 0 {
		return nil, ErrNotTrustee
	}
	return &Trustee{id: id, p: p, start: start, index: i, hash: p.Hash(), memo: NewMemo()}, nil
}

// Index returns the trustee's 1-based index in the ceremony.
func (t *Trustee) Index() int { return t.index }

// KeyShare returns the trustee's key share once the ceremony has succeeded
// and the trustee is qualified, or nil.
func (t *Trustee) KeyShare() *KeyShare { return t.share }

func (t *Trustee) read(ctx context.Context, b Board) (*State, error) {
	msgs, now, err := b.Read(ctx, t.next)
	if err != nil {
		return nil, fmt.Errorf("%w: read: %w", ErrBoard, err)
	}
	for _, m := range msgs {
		if m.Index < t.next {
			continue
		}
		t.next = m.Index + 1
		switch m.Type {
		case TypeCommitments, TypeShares, TypeComplaints, TypeAnswer:
			t.cache = append(t.cache, m) // other entries (ballots, roll) are not kept
		}
	}
	t.state = ReplayMemo(t.p, t.start, t.cache, now, t.memo)
	return t.state, nil
}

func (t *Trustee) post(ctx context.Context, b Board, typ string, v any) error {
	payload := marshal(v)
	if err := b.Post(ctx, typ, payload, t.id.Sign(t.p.ElectionID, typ, payload)); err != nil {
		return fmt.Errorf("%w: post %s: %w", ErrBoard, typ, err)
	}
	return nil
}

// Step reads the board, posts the messages that are due and returns the
// state. It returns the state's error once the ceremony has failed, an error
// wrapping ErrExcluded if it succeeded without this trustee, and an error
// wrapping ErrBoard if the board could not be read or written (retry).
func (t *Trustee) Step(ctx context.Context, b Board) (*State, error) {
	for range 4 { // a step posts at most once per round
		st, err := t.read(ctx, b)
		if err != nil {
			return nil, err
		}
		acted, err := t.act(ctx, b, st)
		if err != nil {
			return st, err
		}
		if !acted {
			return st, t.finish(st)
		}
	}
	return t.state, t.finish(t.state)
}

// act posts at most one round's messages; it reports whether it posted.
func (t *Trustee) act(ctx context.Context, b Board, st *State) (bool, error) {
	me := t.index
	own, posted := st.commitments[me]
	if posted && t.poly == nil {
		if err := t.recover(own.msg); err != nil {
			return false, err
		}
	}
	switch {
	case !posted && st.Round == RoundCommitments:
		if t.poly == nil {
			t.poly = randomPolynomial(t.p.Threshold)
		}
		if err := t.post(ctx, b, TypeCommitments, t.commitments()); err != nil {
			return false, err
		}
		return true, nil
	case posted && st.Round <= RoundShares && !has(st.shares, me):
		m, err := t.sharesMessage()
		if err != nil {
			return false, err
		}
		if err := t.post(ctx, b, TypeShares, m); err != nil {
			return false, err
		}
		return true, nil
	case st.Round == RoundComplaints && !has(st.complaints, me):
		if err := t.post(ctx, b, TypeComplaints, t.complaintsMessage(st)); err != nil {
			return false, err
		}
		return true, nil
	case st.Round == RoundAnswers && len(st.accusers[me]) > 0 && !has(st.answers, me) && !t.faults.noAnswer:
		if err := t.post(ctx, b, TypeAnswer, t.answerMessage(st)); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

func has[M any](m map[int]received[M], i int) bool { _, ok := m[i]; return ok }

func (t *Trustee) commitments() *Commitments {
	C := t.poly.commit()
	m := &Commitments{Ceremony: t.hash, Trustee: t.index, Commitments: C, Proofs: make([]*zk.Schnorr, len(C))}
	for k := range C {
		m.Proofs[k] = zk.ProveSchnorr(pokTranscript(t.hash, t.index, k), t.poly[k], C[k])
	}
	plain := make([]byte, 0, len(t.poly)*scalarSize)
	for _, a := range t.poly {
		b := a.Bytes()
		plain = append(plain, b[:]...)
	}
	defer clear(plain)
	pub := t.id.Public()
	enc, ct, err := pub.Seal(backupInfo(t.hash, t.index), plain)
	if err != nil {
		panic("ceremony: internal error: sealing to own registered key: " + err.Error())
	}
	m.Backup = Sealed{Enc: enc, CT: ct}
	return m
}

// recover decrypts the trustee's own coefficients from its commitments
// message and checks them against the commitments.
func (t *Trustee) recover(c *Commitments) error {
	plain, err := t.id.Open(backupInfo(t.hash, t.index), c.Backup.Enc, c.Backup.CT)
	if err != nil || len(plain) != t.p.Threshold*scalarSize {
		return fmt.Errorf("%w: backup does not decrypt", ErrBackup)
	}
	defer clear(plain)
	poly := make(polynomial, t.p.Threshold)
	for k := range poly {
		a, err := group.DecodeScalar(plain[k*scalarSize : (k+1)*scalarSize])
		if err != nil || !group.BaseMul(a).Equal(c.Commitments[k]) {
			return fmt.Errorf("%w: backup does not match commitment %d", ErrBackup, k)
		}
		poly[k] = a
	}
	t.poly = poly
	return nil
}

func (t *Trustee) sharesMessage() (*Shares, error) {
	m := &Shares{Ceremony: t.hash, Trustee: t.index, Shares: []EncryptedShare{}}
	for j := 1; j <= t.p.N(); j++ {
		if j == t.index {
			continue
		}
		s := t.poly.eval(j)
		if t.faults.badShareFor[j] {
			s = s.Add(group.NewScalar(1))
		}
		b := s.Bytes()
		enc, ct, err := t.p.Trustees[j-1].Seal(shareInfo(t.hash, t.index, j), b[:])
		clear(b[:])
		if err != nil {
			return nil, fmt.Errorf("ceremony: encrypting the share for trustee %d: %w", j, err)
		}
		m.Shares = append(m.Shares, EncryptedShare{Recipient: j, Enc: enc, CT: ct})
	}
	return m, nil
}

// receivedShare decrypts and checks dealer i's share for this trustee.
func (t *Trustee) receivedShare(st *State, i int) (*group.Scalar, error) {
	r, ok := st.shares[i]
	if !ok {
		return nil, fmt.Errorf("ceremony: no shares from trustee %d", i)
	}
	for _, es := range r.msg.Shares {
		if es.Recipient != t.index {
			continue
		}
		plain, err := t.id.Open(shareInfo(t.hash, i, t.index), es.Enc, es.CT)
		if err != nil {
			return nil, fmt.Errorf("ceremony: share from trustee %d (entry %d) does not decrypt", i, r.entry)
		}
		s, err := group.DecodeScalar(plain)
		clear(plain)
		if err != nil {
			return nil, fmt.Errorf("ceremony: share from trustee %d (entry %d) is not a scalar", i, r.entry)
		}
		if !checkShare(st.polyCommit[i], t.index, s) {
			return nil, fmt.Errorf("ceremony: share from trustee %d (entry %d) does not match its commitments", i, r.entry)
		}
		return s, nil
	}
	return nil, fmt.Errorf("ceremony: no share for trustee %d from trustee %d", t.index, i)
}

func (t *Trustee) complaintsMessage(st *State) *Complaints {
	m := &Complaints{Ceremony: t.hash, Trustee: t.index, Accused: []int{}}
	for _, i := range st.dealers {
		if i == t.index {
			continue
		}
		if _, err := t.receivedShare(st, i); err != nil || slices.Contains(t.faults.accuse, i) {
			m.Accused = append(m.Accused, i)
		}
	}
	return m
}

func (t *Trustee) answerMessage(st *State) *Answer {
	m := &Answer{Ceremony: t.hash, Trustee: t.index, Revealed: []RevealedShare{}}
	for _, j := range st.accusers[t.index] {
		s := t.poly.eval(j)
		if t.faults.answerBad && t.faults.badShareFor[j] {
			s = s.Add(group.NewScalar(1))
		}
		m.Revealed = append(m.Revealed, RevealedShare{Recipient: j, Share: s})
	}
	return m
}

// finish computes the key share once the ceremony is over.
func (t *Trustee) finish(st *State) error {
	if st.Round != RoundFinished {
		return nil
	}
	if st.Err != nil {
		return st.Err
	}
	if t.share != nil {
		return nil
	}
	me := t.index
	if !slices.Contains(st.Qualified, me) {
		if r, ok := st.Disqualified[me]; ok {
			return fmt.Errorf("%w: %s", ErrExcluded, r)
		}
		return ErrExcluded
	}
	s := t.poly.eval(me)
	var bad []string
	for _, i := range st.Qualified {
		if i == me {
			continue
		}
		if r, ok := st.revealed[[2]int{i, me}]; ok {
			s = s.Add(r)
			continue
		}
		si, err := t.receivedShare(st, i)
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		s = s.Add(si)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %v", ErrInconsistent, bad)
	}
	V := st.VerificationKeys[me]
	if !group.BaseMul(s).Equal(V) {
		return fmt.Errorf("%w: own share does not match verification key", ErrInconsistent)
	}
	t.share = &KeyShare{Ceremony: t.hash, Trustee: me, Secret: s, Verification: V, JointKey: st.JointKey}
	return nil
}

// Run steps the trustee until the ceremony is over, polling the board every
// poll on clock and calling progress (if not nil) with each state. Board
// errors are retried; it returns the key share, or the ceremony's error, or
// ctx's error.
func (t *Trustee) Run(ctx context.Context, b Board, clock Clock, poll time.Duration, progress func(*State, error)) (*KeyShare, error) {
	for {
		st, err := t.Step(ctx, b)
		if progress != nil {
			progress(st, err)
		}
		switch {
		case err != nil && !errors.Is(err, ErrBoard):
			return nil, err
		case err == nil && st.Round == RoundFinished:
			return t.share, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-clock.After(poll):
		}
	}
}

// String describes ks without its secret, so that printing a KeyShare by
// mistake leaks nothing.
func (ks *KeyShare) String() string {
	v := ks.Verification.Bytes()
	return fmt.Sprintf("ceremony.KeyShare(trustee %d, verification key %x…, secret redacted)", ks.Trustee, v[:8])
}

// GoString is [KeyShare.String], for %#v.
func (ks *KeyShare) GoString() string { return ks.String() }
