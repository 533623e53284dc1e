package ceremony

import (
	"fmt"
	"slices"
	"time"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// Rounds of the ceremony, as reported by [State.Round].
const (
	RoundCommitments = 1
	RoundShares      = 2
	RoundComplaints  = 3
	RoundAnswers     = 4
	RoundFinished    = 5
)

// RoundName returns a short name for round r.
func RoundName(r int) string {
	switch r {
	case RoundCommitments:
		return "commitments"
	case RoundShares:
		return "shares"
	case RoundComplaints:
		return "complaints"
	case RoundAnswers:
		return "answers"
	case RoundFinished:
		return "finished"
	}
	return fmt.Sprintf("round %d", r)
}

// A Note records a message that [Replay] ignored or a trustee's fault, with
// the board entry that shows it (Entry is −1 for a missing message).
type Note struct {
	Trustee int // 0 if the message could not be attributed
	Entry   int64
	Reason  string
}

// String formats the note for logs and terminals.
func (n Note) String() string {
	if n.Entry < 0 {
		return fmt.Sprintf("trustee %d: %s", n.Trustee, n.Reason)
	}
	if n.Trustee == 0 {
		return fmt.Sprintf("entry %d: %s", n.Entry, n.Reason)
	}
	return fmt.Sprintf("trustee %d (entry %d): %s", n.Trustee, n.Entry, n.Reason)
}

type received[M any] struct {
	msg   *M
	entry uint64
	time  time.Time
}

// State is the public state of a ceremony as the board shows it, computed by
// [Replay]. Everyone who replays the same board gets the same State.
type State struct {
	Params *Params
	Hash   [32]byte // the ceremony hash

	// Round is the current round (RoundCommitments..RoundAnswers), or
	// RoundFinished. Deadline is the current round's deadline and
	// WaitingFor the trustees whose message of that round is missing.
	Round      int
	Deadline   time.Time
	WaitingFor []int
	// Closed[r−1] is when round r closed, once it has.
	Closed [4]time.Time

	// Err is non-nil when the ceremony has failed (wrapping
	// ErrTooFewQualified); Round is then RoundFinished.
	Err error

	// Once Round is RoundFinished and Err is nil: the qualified set in
	// increasing order, the joint key, and the verification key of every
	// qualified trustee.
	Qualified        []int
	JointKey         *group.Point
	VerificationKeys map[int]*group.Point

	// Disqualified maps a disqualified dealer to the reason, naming the
	// evidence; Notes lists every ignored message and fault in board order.
	Disqualified map[int]string
	Notes        []Note

	commitments map[int]received[Commitments] // first signed message per trustee
	shares      map[int]received[Shares]
	complaints  map[int]received[Complaints]
	answers     map[int]received[Answer]

	dealers    []int                    // trustees with valid commitments and shares (D2)
	accusers   map[int][]int            // accused dealer ↦ complainers (in time, increasing)
	revealed   map[[2]int]*group.Scalar // (dealer, recipient) ↦ share revealed in a valid answer
	polyCommit map[int][]*group.Point   // valid commitments by dealer
	memo       *Memo
}

func (s *State) note(trustee int, entry int64, format string, args ...any) {
	s.Notes = append(s.Notes, Note{Trustee: trustee, Entry: entry, Reason: fmt.Sprintf(format, args...)})
}

func (s *State) disqualify(trustee int, entry int64, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if _, ok := s.Disqualified[trustee]; !ok {
		s.Disqualified[trustee] = reason
	}
	s.Notes = append(s.Notes, Note{Trustee: trustee, Entry: entry, Reason: "disqualified: " + reason})
}

// Replay computes the state of the ceremony with parameters p opened at
// start from the board messages msgs (in board order, possibly mixed with
// entries of other types), as of board time now (e2e/SPEC.md §9.8). It never
// fails on bad messages: it records them in Notes and disqualifies the
// trustees at fault. p must have passed [Params.Check].
func Replay(p *Params, start time.Time, msgs []Posted, now time.Time) *State {
	return ReplayMemo(p, start, msgs, now, nil)
}

func newState(p *Params, memo *Memo) *State {
	return &State{
		Params:       p,
		Hash:         p.Hash(),
		Disqualified: map[int]string{},
		commitments:  map[int]received[Commitments]{},
		shares:       map[int]received[Shares]{},
		complaints:   map[int]received[Complaints]{},
		answers:      map[int]received[Answer]{},
		accusers:     map[int][]int{},
		revealed:     map[[2]int]*group.Scalar{},
		polyCommit:   map[int][]*group.Point{},
		memo:         memo,
	}
}

// A Memo caches, across replays of one board, the decoding, signature
// check and proof verification of each ceremony entry, so that a trustee
// that replays the board at every step does not redo them. Entries are
// keyed by index and re-processed if their bytes differ. A Memo is not safe
// for concurrent use.
type Memo struct{ m map[uint64]*memoEntry }

type memoEntry struct {
	typ     string
	payload []byte
	sig     [SignatureSize]byte
	msg     any
	err     error
	sigOK   bool
	pokErr  error
	pokDone bool
}

// NewMemo returns an empty memo.
func NewMemo() *Memo { return &Memo{m: map[uint64]*memoEntry{}} }

// ReplayMemo is [Replay] with a memo of work done in earlier replays of the
// same board (nil: no memo).
func ReplayMemo(p *Params, start time.Time, msgs []Posted, now time.Time, memo *Memo) *State {
	s := newState(p, memo)
	for i := range msgs {
		s.ingest(&msgs[i])
	}
	s.run(start, now)
	return s
}

func decodeAny(typ string, payload []byte, p *Params) (any, error) {
	switch typ {
	case TypeCommitments:
		return DecodeCommitments(payload, p)
	case TypeShares:
		return DecodeShares(payload, p)
	case TypeComplaints:
		return DecodeComplaints(payload, p)
	case TypeAnswer:
		return DecodeAnswer(payload, p)
	}
	return nil, nil
}

// entry returns the memo entry of m, fresh if m is new or changed.
func (s *State) entry(m *Posted) *memoEntry {
	if s.memo != nil {
		if e, ok := s.memo.m[m.Index]; ok && e.typ == m.Type && e.sig == m.Signature && string(e.payload) == string(m.Payload) {
			return e
		}
	}
	e := &memoEntry{typ: m.Type, payload: m.Payload, sig: m.Signature}
	e.msg, e.err = decodeAny(m.Type, m.Payload, s.Params)
	if e.err == nil {
		var trustee int
		var ceremony Hash
		switch c := e.msg.(type) {
		case *Commitments:
			trustee, ceremony = c.Trustee, c.Ceremony
		case *Shares:
			trustee, ceremony = c.Trustee, c.Ceremony
		case *Complaints:
			trustee, ceremony = c.Trustee, c.Ceremony
		case *Answer:
			trustee, ceremony = c.Trustee, c.Ceremony
		}
		e.sigOK = ceremony == s.Hash && s.Params.Trustees[trustee-1].Verify(s.Params.ElectionID, m.Type, m.Payload, m.Signature) == nil
	}
	if s.memo != nil {
		s.memo.m[m.Index] = e
	}
	return e
}

// ingest decodes one message, checks its ceremony and signature, and keeps
// the first one of each type from each trustee.
func (s *State) ingest(m *Posted) {
	switch m.Type {
	case TypeCommitments, TypeShares, TypeComplaints, TypeAnswer:
	default:
		return
	}
	e := int64(m.Index)
	me := s.entry(m)
	if me.err != nil {
		s.note(0, e, "%v", me.err)
		return
	}
	switch c := me.msg.(type) {
	case *Commitments:
		if s.accept(m, me, c.Trustee, c.Ceremony) {
			keepFirst(s, s.commitments, c.Trustee, c, m, e, "second commitments message ignored")
		}
	case *Shares:
		if s.accept(m, me, c.Trustee, c.Ceremony) {
			keepFirst(s, s.shares, c.Trustee, c, m, e, "second shares message ignored")
		}
	case *Complaints:
		if s.accept(m, me, c.Trustee, c.Ceremony) {
			keepFirst(s, s.complaints, c.Trustee, c, m, e, "second complaints message ignored")
		}
	case *Answer:
		if s.accept(m, me, c.Trustee, c.Ceremony) {
			keepFirst(s, s.answers, c.Trustee, c, m, e, "second answer ignored")
		}
	}
}

// accept checks that a decoded message belongs to this ceremony and carries
// its trustee's signature.
func (s *State) accept(m *Posted, me *memoEntry, trustee int, ceremony Hash) bool {
	if ceremony != s.Hash {
		s.note(0, int64(m.Index), "%s message for another ceremony ignored", m.Type)
		return false
	}
	if !me.sigOK {
		s.note(0, int64(m.Index), "%s message claiming trustee %d has an invalid signature; ignored", m.Type, trustee)
		return false
	}
	return true
}

// closeRound returns when a round that opened at open with deadline
// open+d closes: at the latest time of the expected messages if all of
// them are in by the deadline, at the deadline otherwise, or not yet
// (ok == false) if the deadline has not passed. times holds the in-time
// messages' timestamps by trustee.
func closeRound(open, deadline, now time.Time, expected []int, times map[int]time.Time) (closed time.Time, missing []int, ok bool) {
	last := open
	for _, i := range expected {
		t, in := times[i]
		if !in {
			missing = append(missing, i)
			continue
		}
		if t.After(last) {
			last = t
		}
	}
	switch {
	case len(missing) == 0:
		return last, nil, true
	case now.After(deadline):
		return deadline, missing, true
	default:
		return time.Time{}, missing, false
	}
}

func inTime[M any](m map[int]received[M], deadline time.Time) map[int]time.Time {
	out := map[int]time.Time{}
	for i, r := range m {
		if !r.time.After(deadline) {
			out[i] = r.time
		}
	}
	return out
}

func (s *State) pending(round int, deadline time.Time, missing []int) {
	s.Round, s.Deadline, s.WaitingFor = round, deadline, missing
}

func (s *State) run(start, now time.Time) {
	p := s.Params
	d := p.Round()
	all := make([]int, p.N())
	for i := range all {
		all[i] = i + 1
	}

	// Round 1: commitments from every trustee.
	dl := start.Add(d)
	times := inTime(s.commitments, dl)
	c1, missing, ok := closeRound(start, dl, now, all, times)
	if !ok {
		s.pending(RoundCommitments, dl, missing)
		return
	}
	s.Closed[0] = c1
	for _, i := range missing {
		s.disqualify(i, -1, "no commitments by the round 1 deadline")
	}
	var d1 []int
	for _, i := range all {
		if _, in := times[i]; !in {
			if r, ok := s.commitments[i]; ok {
				s.note(i, int64(r.entry), "commitments posted after the round 1 deadline; ignored")
			}
			continue
		}
		if err := s.verifyCommitmentsMemo(s.commitments[i]); err != nil {
			s.disqualify(i, int64(s.commitments[i].entry), "%v", err)
			continue
		}
		d1 = append(d1, i)
		s.polyCommit[i] = s.commitments[i].msg.Commitments
	}

	// Round 2: shares from every dealer with valid commitments.
	dl = c1.Add(d)
	times = inTime(s.shares, dl)
	c2, missing, ok := closeRound(c1, dl, now, d1, times)
	if !ok {
		s.pending(RoundShares, dl, missing)
		return
	}
	s.Closed[1] = c2
	for _, i := range missing {
		s.disqualify(i, -1, "no shares by the round 2 deadline")
	}
	for _, i := range d1 {
		if _, in := times[i]; in {
			s.dealers = append(s.dealers, i)
		}
	}
	if len(s.dealers) < p.Threshold {
		s.fail()
		return
	}

	// Round 3: complaints from every dealer (others may complain too).
	dl = c2.Add(d)
	times = inTime(s.complaints, dl)
	c3, missing, ok := closeRound(c2, dl, now, s.dealers, times)
	if !ok {
		s.pending(RoundComplaints, dl, missing)
		return
	}
	s.Closed[2] = c3
	for j := 1; j <= p.N(); j++ {
		r, ok := s.complaints[j]
		if !ok {
			continue
		}
		if r.time.After(c3) {
			s.note(j, int64(r.entry), "complaints posted after round 3 closed; ignored")
			continue
		}
		for _, a := range r.msg.Accused {
			if !slices.Contains(s.dealers, a) {
				s.note(j, int64(r.entry), "complaint against trustee %d, not a dealer; ignored", a)
				continue
			}
			s.accusers[a] = append(s.accusers[a], j)
		}
	}
	var accused []int
	for _, a := range s.dealers {
		if len(s.accusers[a]) > 0 {
			accused = append(accused, a)
		}
	}

	// Round 4: answers from every accused dealer.
	dl = c3.Add(d)
	times = inTime(s.answers, dl)
	c4, missing, ok := closeRound(c3, dl, now, accused, times)
	if !ok {
		s.pending(RoundAnswers, dl, missing)
		return
	}
	s.Closed[3] = c4
	for _, a := range accused {
		r, in := s.answers[a]
		if _, ok := times[a]; !in || !ok {
			s.disqualify(a, -1, "did not answer the complaints of trustees %v by the round 4 deadline", s.accusers[a])
			continue
		}
		s.checkAnswer(a, r)
	}
	for i, r := range s.answers {
		if len(s.accusers[i]) == 0 {
			s.note(i, int64(r.entry), "answer without complaints; ignored")
		}
	}
	for _, i := range s.dealers {
		if _, dq := s.Disqualified[i]; !dq {
			s.Qualified = append(s.Qualified, i)
		}
	}
	if len(s.Qualified) < p.Threshold {
		s.fail()
		return
	}
	s.Round = RoundFinished
	s.computeKeys()
}

func (s *State) fail() {
	s.Round = RoundFinished
	var dq []string
	for i := 1; i <= s.Params.N(); i++ {
		if r, ok := s.Disqualified[i]; ok {
			dq = append(dq, fmt.Sprintf("trustee %d: %s", i, r))
		}
	}
	s.Err = fmt.Errorf("%w: %d qualified, threshold %d (%v)", ErrTooFewQualified, len(s.qualifiedSoFar()), s.Params.Threshold, dq)
	s.Qualified = nil
}

func (s *State) qualifiedSoFar() []int {
	var q []int
	for _, i := range s.dealers {
		if _, dq := s.Disqualified[i]; !dq {
			q = append(q, i)
		}
	}
	return q
}

func (s *State) verifyCommitmentsMemo(r received[Commitments]) error {
	if s.memo == nil {
		return s.verifyCommitments(r.msg)
	}
	e, ok := s.memo.m[r.entry]
	if !ok || e.msg != any(r.msg) {
		return s.verifyCommitments(r.msg)
	}
	if !e.pokDone {
		e.pokErr, e.pokDone = s.verifyCommitments(r.msg), true
	}
	return e.pokErr
}

// verifyCommitments checks the proofs of knowledge of a commitments message,
// in one batch, naming the first bad coefficient if the batch fails.
func (s *State) verifyCommitments(c *Commitments) error {
	b := zk.NewBatch()
	for k := range c.Commitments {
		if err := c.Proofs[k].AddToBatch(b, pokTranscript(s.Hash, c.Trustee, k), c.Commitments[k]); err != nil {
			return fmt.Errorf("proof of knowledge of coefficient %d: %w", k, err)
		}
	}
	if b.Verify() {
		return nil
	}
	for k := range c.Commitments {
		if err := c.Proofs[k].Verify(pokTranscript(s.Hash, c.Trustee, k), c.Commitments[k]); err != nil {
			return fmt.Errorf("proof of knowledge of coefficient %d: %w", k, err)
		}
	}
	return fmt.Errorf("proofs of knowledge: batch failed")
}

// checkAnswer disqualifies dealer a unless its answer reveals, for exactly
// the trustees that complained, shares that match its commitments.
func (s *State) checkAnswer(a int, r received[Answer]) {
	e := int64(r.entry)
	want := s.accusers[a]
	got := r.msg.Revealed
	if len(got) != len(want) {
		s.disqualify(a, e, "answer reveals %d shares, complaints came from trustees %v", len(got), want)
		return
	}
	for k, rv := range got {
		if rv.Recipient != want[k] {
			s.disqualify(a, e, "answer reveals the share of trustee %d, complaints came from trustees %v", rv.Recipient, want)
			return
		}
		if !checkShare(s.polyCommit[a], rv.Recipient, rv.Share) {
			s.disqualify(a, e, "revealed share for trustee %d does not match its commitments", rv.Recipient)
			return
		}
	}
	for _, rv := range got {
		s.revealed[[2]int{a, rv.Recipient}] = rv.Share
	}
	s.note(a, e, "complaints by trustees %v dismissed: revealed shares match the commitments", want)
}

// computeKeys derives the joint key and verification keys from the
// qualified dealers' commitments: Aₖ = Σ_{i∈QUAL} Cᵢₖ, K = A₀,
// Vⱼ = Σₖ jᵏ·Aₖ.
func (s *State) computeKeys() {
	t := s.Params.Threshold
	A := make([]*group.Point, t)
	for k := range A {
		A[k] = group.Identity()
		for _, i := range s.Qualified {
			A[k] = A[k].Add(s.polyCommit[i][k])
		}
	}
	s.JointKey = A[0]
	s.VerificationKeys = map[int]*group.Point{}
	for _, j := range s.Qualified {
		s.VerificationKeys[j] = evalCommitments(A, j)
	}
	if s.JointKey.IsIdentity() {
		// Only possible if the qualified dealers' constant terms cancel,
		// which their proofs of knowledge make infeasible to arrange.
		s.Err = fmt.Errorf("%w: joint key is the identity", ErrTooFewQualified)
		s.Qualified = nil
		s.JointKey = nil
		s.VerificationKeys = nil
	}
}

// Done reports whether the ceremony succeeded.
func (s *State) Done() bool { return s.Round == RoundFinished && s.Err == nil }

// Result returns the result message of a successful ceremony, or nil.
func (s *State) Result() *ResultMessage {
	if !s.Done() {
		return nil
	}
	r := &ResultMessage{Ceremony: s.Hash, Threshold: s.Params.Threshold, Qualified: slices.Clone(s.Qualified), JointKey: s.JointKey}
	for _, j := range s.Qualified {
		r.VerificationKeys = append(r.VerificationKeys, s.VerificationKeys[j])
	}
	return r
}

// Marshal returns the canonical JSON of r.
func (r *ResultMessage) Marshal() []byte { return marshal(r) }

// VerifyResult checks a posted result against the replayed state.
func (s *State) VerifyResult(r *ResultMessage) error {
	want := s.Result()
	if want == nil {
		return fmt.Errorf("ceremony: result posted but the ceremony did not succeed: %v", s.Err)
	}
	if string(want.Marshal()) != string(r.Marshal()) {
		return fmt.Errorf("ceremony: posted result differs from the result recomputed from the board")
	}
	return nil
}

// Describe returns a one-line account of the state for a trustee's
// terminal: the round and whom it waits for, or the outcome.
func (s *State) Describe() string {
	switch {
	case s.Round == RoundFinished && s.Err != nil:
		return fmt.Sprintf("ceremony failed: %v", s.Err)
	case s.Round == RoundFinished:
		k := s.JointKey.Bytes()
		return fmt.Sprintf("ceremony complete: %d-of-%d, qualified trustees %v, joint key %x…", s.Params.Threshold, s.Params.N(), s.Qualified, k[:8])
	case len(s.WaitingFor) == 0:
		return fmt.Sprintf("round %d/4 (%s): complete", s.Round, RoundName(s.Round))
	default:
		return fmt.Sprintf("round %d/4 (%s): waiting for trustees %v until %s", s.Round, RoundName(s.Round), s.WaitingFor, s.Deadline.UTC().Format(time.RFC3339))
	}
}

// keepFirst records msg as trustee's message of its kind unless one is
// already recorded; a second one is noted and ignored.
func keepFirst[M any](s *State, seen map[int]received[M], trustee int, msg *M, m *Posted, e int64, second string) {
	if _, dup := seen[trustee]; dup {
		s.note(trustee, e, "%s", second)
		return
	}
	seen[trustee] = received[M]{msg, m.Index, m.Time}
}
