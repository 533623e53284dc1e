package coord

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// runCeremony runs trustees `who` over websockets until the ceremony ends
// and returns their key shares and errors by trustee index.
func (e *testElection) runCeremony(ctx context.Context, who []int, setup func(i int, c *Client), progress func(i int, c *Client, st *ceremony.State)) (map[int]*ceremony.KeyShare, map[int]error) {
	var mu sync.Mutex
	shares, errs := map[int]*ceremony.KeyShare{}, map[int]error{}
	var wg sync.WaitGroup
	for _, i := range who {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := Dial(ctx, e.srv.URL, e.id, e.ids[i-1], ClientOptions{})
			if err != nil {
				mu.Lock()
				errs[i] = err
				mu.Unlock()
				return
			}
			defer c.Close()
			if setup != nil {
				setup(i, c)
			}
			ks, err := ceremonyOver(ctx, c, e.ids[i-1], func(st *ceremony.State, err error) {
				if progress != nil && st != nil {
					progress(i, c, st)
				}
			})
			mu.Lock()
			shares[i], errs[i] = ks, err
			mu.Unlock()
		}()
	}
	wg.Wait()
	return shares, errs
}

func ceremonyResult(t *testing.T, e *testElection) (*ceremony.ResultMessage, *ceremony.State) {
	t.Helper()
	e.waitStatus(context.Background(), "ceremony.result", func(s *Status) bool { return s.Phase == PhaseKeyed && len(e.entriesOf(record.TypeCeremonyEnd)) == 1 })
	re := e.entriesOf(record.TypeCeremonyEnd)[0]
	r, err := ceremony.DecodeResult(re.Payload, e.params)
	if err != nil {
		t.Fatal(err)
	}
	// Anyone recomputes it from the board.
	var msgs []ceremony.Posted
	var start time.Time
	es, _ := e.be.all(context.Background(), e.id)
	for _, x := range es {
		if x.Type == record.TypeCeremony {
			start = time.UnixMilli(x.Time)
		}
		if x.Index < re.Index {
			msgs = append(msgs, rules.Posted(x))
		}
	}
	st := ceremony.Replay(e.params, start, msgs, time.UnixMilli(re.Time))
	if err := st.VerifyResult(r); err != nil {
		t.Fatalf("posted ceremony.result: %v", err)
	}
	return r, st
}

func TestCeremonyAndTally3of5(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := newTestElection(t, 3, 5, 6)

	// Trustee 2 loses its connection each time it sees a new round;
	// trustee 4 is killed after it posts its commitments and started
	// again from nothing but its key.
	var dropped sync.Map
	var c2 *Client
	setup := func(i int, c *Client) {
		if i != 2 {
			return
		}
		c2 = c
		seen := map[string]bool{}
		c.beforeSubmit = func(s *Submission) {
			if !seen[s.Type] { // the first attempt of every round's message fails
				seen[s.Type] = true
				dropped.Store(s.Type, true)
				c.drop()
			}
		}
	}
	restart := make(chan struct{})
	var once sync.Once
	progress := func(i int, c *Client, st *ceremony.State) {
		switch i {
		case 2:
			if _, seen := dropped.LoadOrStore(st.Round, true); !seen {
				c.drop() // and on every new round it sees
			}
		case 4:
			if st.Round >= ceremony.RoundShares {
				once.Do(func() { close(restart) })
			}
		}
	}
	var (
		wg     sync.WaitGroup
		shares map[int]*ceremony.KeyShare
		errs   map[int]error
		ks4    *ceremony.KeyShare
		err4   error
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		shares, errs = e.runCeremony(ctx, []int{1, 2, 3, 5}, setup, progress)
	}()
	go func() {
		defer wg.Done()
		c4ctx, stop := context.WithCancel(ctx)
		go func() { <-restart; stop() }()
		c := e.dial(ctx, 4, ClientOptions{})
		_, err := ceremonyOver(c4ctx, c, e.ids[3], func(st *ceremony.State, err error) {
			if st != nil {
				progress(4, c, st)
			}
		})
		c.Close()
		if !errors.Is(err, context.Canceled) {
			err4 = err
			return
		}
		c = e.dial(ctx, 4, ClientOptions{})
		ks4, err4 = ceremonyOver(ctx, c, e.ids[3], nil)
	}()
	wg.Wait()
	shares[4], errs[4] = ks4, err4
	for i := 1; i <= 5; i++ {
		if errs[i] != nil || shares[i] == nil {
			t.Fatalf("trustee %d: %v", i, errs[i])
		}
	}
	for _, typ := range []string{record.TypeCommitments, record.TypeShares, record.TypeComplaints} {
		if _, ok := dropped.Load(typ); !ok {
			t.Fatalf("trustee 2 was not disconnected when posting %s", typ)
		}
	}
	if _, n, _ := c2.Connected(); n < 4 {
		t.Fatalf("trustee 2 connected %d times", n)
	}
	r, st := ceremonyResult(t, e)
	if !slices.Equal(r.Qualified, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("qualified %v", r.Qualified)
	}
	for i, ks := range shares {
		if !ks.JointKey.Equal(r.JointKey) || !group.BaseMul(ks.Secret).Equal(st.VerificationKeys[i]) {
			t.Fatalf("trustee %d: key share does not match the posted result", i)
		}
	}
	// Every trustee posted exactly one message per round it took part in.
	if n := len(e.entriesOf(record.TypeCommitments)); n != 5 {
		t.Fatalf("%d commitments messages", n)
	}

	want := e.vote(st, 2)
	// Trustees 3, 4, 5 (n−t+1..n) decrypt first: the result uses them.
	for _, i := range []int{5, 4, 3} {
		p := e.dial(ctx, i, ClientOptions{})
		d, err := Decrypt(ctx, e.reader(), e.id, e.ids[i-1], p, nil)
		if err != nil {
			t.Fatalf("trustee %d: decrypt: %v", i, err)
		}
		if d.Trustee != i || d.Recount.Count != 6 || d.Existing {
			t.Fatalf("trustee %d: %+v", i, d)
		}
	}
	e.waitStatus(ctx, "tally.result", func(s *Status) bool { return s.Phase == PhaseDone })
	select {
	case err := <-e.coErr:
		if err != nil {
			t.Fatalf("coordinator: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("coordinator did not return after the result")
	}
	re := e.entriesOf(tally.TypeResult)
	if len(re) != 1 {
		t.Fatalf("%d results", len(re))
	}
	res, err := tally.DecodeResult(re[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(counts(res), want) || res.Turnout != 6 || !slices.Equal(res.Trustees, []int{5, 4, 3}) {
		t.Fatalf("result %+v, want counts %v from trustees [5 4 3]", res, want)
	}

	// Trustees 1 and 2 decrypt too; a second run of trustee 3 does not post
	// again. Any t shares give the same counts.
	for _, i := range []int{1, 2, 3} {
		p := e.dial(ctx, i, ClientOptions{})
		d, err := Decrypt(ctx, e.reader(), e.id, e.ids[i-1], p, nil)
		if err != nil {
			t.Fatalf("trustee %d: decrypt: %v", i, err)
		}
		if d.Existing != (i == 3) {
			t.Fatalf("trustee %d: existing share %v", i, d.Existing)
		}
		if d.Late != (i != 3) || (d.Late && d.Share != nil) {
			t.Fatalf("trustee %d: late %v, share %v: its share was not needed", i, d.Late, d.Share)
		}
	}
	v, err := ReadView(ctx, e.reader(), e.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := v.Recount(ctx, e.reader(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &tally.Decryption{Election: e.id, Base: rc.Election.BaseHash, Aggregate: rc.Aggregate, Count: rc.Count, Limits: rc.Layout.Limits(),
		Threshold: 3, Trustees: e.params.Trustees, Keys: st.VerificationKeys}
	if err := tally.CheckResult(d, rc.Layout, v.State.Shares, re[0].Payload); err != nil {
		t.Fatalf("posted result does not check: %v", err)
	}
	var first []ceremony.Posted // trustees 1..t only
	for _, p := range v.State.Shares {
		m, _ := tally.DecodeShareMessage(p.Payload)
		if m.Trustee <= 3 {
			first = append(first, p)
		}
	}
	// Trustees 1 and 2 posted nothing (their shares were not needed): their
	// shares, made and signed here, give the same counts with trustee 3's.
	for _, i := range []int{1, 2} {
		ks, _, err := v.KeyShare(ctx, e.ids[i-1])
		if err != nil {
			t.Fatal(err)
		}
		m, err := tally.DecryptShares(rc.Election.BaseHash, ks, rc.Aggregate, rc.Count)
		if err != nil {
			t.Fatal(err)
		}
		payload := m.Marshal()
		first = append(first, ceremony.Posted{Index: uint64(1000 + i), Type: tally.TypeDecryptionShare, Payload: payload,
			Signature: e.ids[i-1].Sign(e.id, tally.TypeDecryptionShare, payload)})
	}
	pt, err := tally.Combine(d, first)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pt.Counts, want) || !slices.Equal(pt.Trustees, []int{3, 1, 2}) {
		t.Fatalf("trustees 1..3 give %v with %v, want %v", pt.Counts, pt.Trustees, want)
	}
}

func TestCeremonyTooFewQualified(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 3, 5, 0)
	done := make(chan struct{})
	var errs map[int]error
	go func() {
		defer close(done)
		_, errs = e.runCeremony(ctx, []int{1, 2}, nil, nil)
	}()
	e.waitStatus(ctx, "two commitments", func(s *Status) bool { return s.Round == 1 && slices.Equal(s.Waiting, []int{3, 4, 5}) })
	e.clock.Advance(time.Minute + time.Second) // round 1 deadline passes
	<-done
	for _, i := range []int{1, 2} {
		if !errors.Is(errs[i], ceremony.ErrTooFewQualified) {
			t.Fatalf("trustee %d: %v, want ErrTooFewQualified", i, errs[i])
		}
	}
	select {
	case err := <-e.coErr:
		if !errors.Is(err, ceremony.ErrTooFewQualified) {
			t.Fatalf("coordinator: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("coordinator still running")
	}
	s := e.waitStatus(ctx, "failure", func(s *Status) bool { return s.Phase == PhaseFailed })
	if n := len(e.entriesOf(record.TypeCeremonyEnd)); n != 0 {
		t.Fatalf("%d ceremony results posted for a failed ceremony", n)
	}
	t.Logf("status: %s", s.Message)
}

// A trustee that misses the commitments round is disqualified at the
// deadline; the ceremony succeeds with the others (t remain).
func TestCeremonyAbsentTrustee(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 2, 3, 0)
	done := make(chan struct{})
	var errs map[int]error
	go func() {
		defer close(done)
		_, errs = e.runCeremony(ctx, []int{1, 2}, nil, nil)
	}()
	e.waitStatus(ctx, "two commitments", func(s *Status) bool { return s.Round == 1 && slices.Equal(s.Waiting, []int{3}) })
	e.clock.Advance(time.Minute + time.Second)
	<-done
	if errs[1] != nil || errs[2] != nil {
		t.Fatal(errs)
	}
	r, _ := ceremonyResult(t, e)
	if !slices.Equal(r.Qualified, []int{1, 2}) {
		t.Fatalf("qualified %v", r.Qualified)
	}
	// Trustee 3 arrives late: it learns it is excluded.
	c := e.dial(ctx, 3, ClientOptions{})
	if _, err := ceremonyOver(ctx, c, e.ids[2], nil); !errors.Is(err, ceremony.ErrExcluded) {
		t.Fatalf("late trustee: %v", err)
	}
}

func TestBadDecryptionShareNamed(t *testing.T) {
	ctx, e, st := closed2of3(t)
	want := e.vote(st, 0)

	// Trustee 1 posts a share whose proof is wrong (D altered at position 0).
	v, err := ReadView(ctx, e.reader(), e.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, _, err := v.KeyShare(ctx, e.ids[0])
	if err != nil {
		t.Fatal(err)
	}
	rc, err := v.Recount(ctx, e.reader(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tally.DecryptShares(rc.Election.BaseHash, ks, rc.Aggregate, rc.Count)
	if err != nil {
		t.Fatal(err)
	}
	m.Shares[0].D = m.Shares[0].D.Add(group.Generator())
	payload := m.Marshal()
	sig := e.ids[0].Sign(e.id, tally.TypeDecryptionShare, payload)
	c1 := e.dial(ctx, 1, ClientOptions{})
	signer := record.Signer{Kind: record.Trustee, Key: e.ids[0].Public().SigningKey}
	if _, err := c1.Submit(ctx, Submission{Type: tally.TypeDecryptionShare, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]}); err != nil {
		t.Fatal(err)
	}
	// Trustee 2 posts a valid share: one valid of two needed.
	if _, err := Decrypt(ctx, e.reader(), e.id, e.ids[1], e.dial(ctx, 2, ClientOptions{}), nil); err != nil {
		t.Fatal(err)
	}
	s := e.waitStatus(ctx, "shares checked", func(s *Status) bool {
		return s.Phase == PhaseDecryption && slices.Equal(s.Shares, []int{2})
	})
	if !containsAll(s.Message, "trustee 1", "rejected") {
		t.Fatalf("status does not name trustee 1: %q", s.Message)
	}
	if n := len(e.entriesOf(tally.TypeResult)); n != 0 {
		t.Fatal("result posted with fewer than t valid shares")
	}
	// Trustee 1 cannot replace its share; trustee 3 completes the tally.
	if _, err := Decrypt(ctx, e.reader(), e.id, e.ids[0], c1, nil); !errors.Is(err, ErrRejected) {
		t.Fatalf("second share of trustee 1: %v", err)
	}
	if _, err := Decrypt(ctx, e.reader(), e.id, e.ids[2], e.dial(ctx, 3, ClientOptions{}), nil); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(ctx, "result", func(s *Status) bool { return s.Phase == PhaseDone })
	res, err := tally.DecodeResult(e.entriesOf(tally.TypeResult)[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(counts(res), want) || !slices.Equal(res.Trustees, []int{2, 3}) {
		t.Fatalf("result %+v, want %v from [2 3]", res, want)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !contains(s, x) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// The handler refuses what a trustee may not submit, and names why.
func TestHandlerRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 1, 1, 0)
	c := e.dial(ctx, 1, ClientOptions{})
	signer := record.Signer{Kind: record.Trustee, Key: e.ids[0].Public().SigningKey}
	sig := e.ids[0].Sign(e.id, tally.TypeResult, []byte("{}"))
	if _, err := c.Submit(ctx, Submission{Type: tally.TypeResult, Payload: []byte("{}"), Signer: signer.Bytes(), Signature: sig[:]}); !errors.Is(err, ErrRejected) {
		t.Fatalf("trustee posting tally.result: %v", err)
	}
	sig = e.ids[0].Sign(e.id, record.TypeCommitments, []byte("{}"))
	bad := sig
	bad[0] ^= 1
	if _, err := c.Submit(ctx, Submission{Type: record.TypeCommitments, Payload: []byte("{}"), Signer: signer.Bytes(), Signature: bad[:]}); !errors.Is(err, ErrRejected) {
		t.Fatalf("bad signature: %v", err)
	}
	// The connection survives refusals; a 1-of-1 ceremony completes.
	ks, err := ceremonyOver(ctx, c, e.ids[0], nil)
	if err != nil || ks == nil {
		t.Fatal(err)
	}
	r, _ := ceremonyResult(t, e)
	if !r.JointKey.Equal(ks.JointKey) {
		t.Fatal("joint key")
	}
	if connected, n, _ := c.Connected(); !connected || n != 1 {
		t.Fatalf("connected %v after %d connections", connected, n)
	}
}

// The coordinator keeps nothing but the board: one that was down during
// the whole ceremony, started afresh, posts the ceremony.result.
func TestCoordinatorRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 2, 3, 0)
	if err := e.stopCoordinator(); !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped coordinator: %v", err)
	}
	if _, errs := e.runCeremony(ctx, []int{1, 2, 3}, nil, nil); errs[1] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatal(errs)
	}
	if n := len(e.entriesOf(record.TypeCeremonyEnd)); n != 0 {
		t.Fatalf("%d ceremony results without a coordinator", n)
	}
	e.startCoordinator(New(e.be, Options{Clock: e.clock, NoSettle: true, Logger: e.co.opts.Logger}))
	r, _ := ceremonyResult(t, e)
	if !slices.Equal(r.Qualified, []int{1, 2, 3}) {
		t.Fatalf("qualified %v", r.Qualified)
	}
}

// A trustee that posts commitments with proofs copied from another trustee
// is disqualified in round 1 (its proofs are bound to the other's index);
// the ceremony succeeds with the t or more that remain.
func TestCopiedProofDisqualified(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 3, 5, 0)
	done := make(chan struct{})
	var errs map[int]error
	go func() {
		defer close(done)
		_, errs = e.runCeremony(ctx, []int{1, 3, 4, 5}, nil, nil)
	}()
	e.waitStatus(ctx, "honest commitments", func(s *Status) bool { return s.Round == 1 && slices.Equal(s.Waiting, []int{2}) })
	var c1 *ceremony.Commitments
	for _, x := range e.entriesOf(record.TypeCommitments) {
		m, err := ceremony.DecodeCommitments(x.Payload, e.params)
		if err != nil {
			t.Fatal(err)
		}
		if m.Trustee == 1 {
			c1 = m
		}
	}
	// Trustee 2 claims trustee 1's commitments and proofs as its own.
	c1.Trustee = 2
	payload := mustJSON(t, c1)
	sig := e.ids[1].Sign(e.id, record.TypeCommitments, payload)
	c2 := e.dial(ctx, 2, ClientOptions{})
	if err := c2.Post(ctx, record.TypeCommitments, payload, sig); err != nil {
		t.Fatal(err)
	}
	<-done
	for _, i := range []int{1, 3, 4, 5} {
		if errs[i] != nil {
			t.Fatalf("trustee %d: %v", i, errs[i])
		}
	}
	r, st := ceremonyResult(t, e)
	if !slices.Equal(r.Qualified, []int{1, 3, 4, 5}) {
		t.Fatalf("qualified %v", r.Qualified)
	}
	if reason := st.Disqualified[2]; !contains(reason, "proof of knowledge of coefficient 0") {
		t.Fatalf("trustee 2 disqualified for %q", reason)
	}
}

// A complaint against an honest dealer is dismissed by its answer: the
// revealed share matches its commitments, nobody is disqualified.
func TestFalseComplaintDismissed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 2, 3, 0)
	setup := func(i int, c *Client) {
		if i != 3 {
			return
		}
		c.beforeSubmit = func(s *Submission) {
			if s.Type != record.TypeComplaints {
				return
			}
			// Trustee 3 accuses trustee 1, whose share was fine.
			s.Payload = mustJSON(t, &ceremony.Complaints{Ceremony: e.params.Hash(), Trustee: 3, Accused: []int{1}})
			sig := e.ids[2].Sign(e.id, s.Type, s.Payload)
			s.Signature = sig[:]
		}
	}
	shares, errs := e.runCeremony(ctx, []int{1, 2, 3}, setup, nil)
	for i := 1; i <= 3; i++ {
		if errs[i] != nil {
			t.Fatalf("trustee %d: %v", i, errs[i])
		}
	}
	r, st := ceremonyResult(t, e)
	if !slices.Equal(r.Qualified, []int{1, 2, 3}) || len(st.Disqualified) != 0 {
		t.Fatalf("qualified %v, disqualified %v", r.Qualified, st.Disqualified)
	}
	if n := len(e.entriesOf(record.TypeAnswer)); n != 1 {
		t.Fatalf("%d answers, want trustee 1's", n)
	}
	// Trustee 3 uses the revealed share: its key share still matches.
	if !group.BaseMul(shares[3].Secret).Equal(st.VerificationKeys[3]) {
		t.Fatal("trustee 3's key share does not match its verification key")
	}
}

// shareInfo is the HPKE info of a share (e2e/SPEC.md §9.4), rebuilt here
// from the specification.
func shareInfo(h [32]byte, sender, recipient int) []byte {
	var b []byte
	f := func(label string, v []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
		b = append(b, label...)
		b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v...)
	}
	f("tabella", []byte("v1"))
	f("purpose", []byte("ceremony-share"))
	f("ceremony", h[:])
	f("sender", binary.BigEndian.AppendUint64(nil, uint64(sender)))
	f("recipient", binary.BigEndian.AppendUint64(nil, uint64(recipient)))
	return b
}

// A dealer that sends trustee 2 a share inconsistent with its commitments
// and does not answer the complaint is disqualified at the round 4
// deadline; the ceremony succeeds with the t that remain.
func TestInconsistentShareDisqualified(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 2, 3, 0)
	setup := func(i int, c *Client) {
		if i != 1 {
			return
		}
		c.beforeSubmit = func(s *Submission) {
			switch s.Type {
			case record.TypeShares:
				m, err := ceremony.DecodeShares(s.Payload, e.params)
				if err != nil {
					t.Error(err)
					return
				}
				bad := group.RandomScalar().Bytes()
				enc, ct, err := e.params.Trustees[1].Seal(shareInfo(e.params.Hash(), 1, 2), bad[:])
				if err != nil {
					t.Error(err)
					return
				}
				m.Shares[0] = ceremony.EncryptedShare{Recipient: 2, Enc: enc, CT: ct}
				s.Payload = mustJSON(t, m)
				sig := e.ids[0].Sign(e.id, s.Type, s.Payload)
				s.Signature = sig[:]
			case record.TypeAnswer:
				s.Type = "ceremony.silence" // the server refuses it: no answer
			}
		}
	}
	done := make(chan struct{})
	var errs map[int]error
	go func() {
		defer close(done)
		_, errs = e.runCeremony(ctx, []int{1, 2, 3}, setup, nil)
	}()
	e.waitStatus(ctx, "the answer round", func(s *Status) bool { return s.Round == ceremony.RoundAnswers && slices.Equal(s.Waiting, []int{1}) })
	e.clock.Advance(time.Minute + time.Second)
	<-done
	if errs[2] != nil || errs[3] != nil {
		t.Fatal(errs)
	}
	if !errors.Is(errs[1], ceremony.ErrExcluded) {
		t.Fatalf("dealer 1: %v", errs[1])
	}
	r, st := ceremonyResult(t, e)
	if !slices.Equal(r.Qualified, []int{2, 3}) || !contains(st.Disqualified[1], "did not answer the complaints of trustees [2]") {
		t.Fatalf("qualified %v, disqualified %v", r.Qualified, st.Disqualified)
	}
	cs := e.entriesOf(record.TypeComplaints)
	if len(cs) != 3 {
		t.Fatalf("%d complaints messages", len(cs))
	}
}

// TestUnknownElectionsNotRemembered: trustee connections for elections
// that do not exist (the id is anyone's choice) leave no tracker behind
// once they close.
func TestUnknownElectionsNotRemembered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e := newTestElection(t, 2, 3, 1)
	count := func() int { // trackers of elections other than e's
		e.co.mu.Lock()
		defer e.co.mu.Unlock()
		n := 0
		for id := range e.co.trackers {
			if id != e.id {
				n++
			}
		}
		return n
	}
	before := count()
	for i := range 10 {
		c, err := Dial(ctx, e.srv.URL, fmt.Sprintf("nope%d", i), nil, ClientOptions{})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for count() != before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(); n != before {
		t.Fatalf("the coordinator keeps %d trackers of other elections, %d before connections to unknown elections", n, before)
	}
	// A connection to the real election still works.
	c, err := Dial(ctx, e.srv.URL, e.id, e.ids[0], ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// TestRecountNamesBadBallot: a board holding a counted ballot whose
// proofs are false (encrypted under another key) is refused by the
// trustee's recount, which names the entry.
func TestRecountNamesBadBallot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newTestElection(t, 2, 3, 4)
	if _, errs := e.runCeremony(ctx, []int{1, 2, 3}, nil, nil); errs[1] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatal(errs)
	}
	_, st := ceremonyResult(t, e)
	e.badVoter = 3
	e.vote(st, 0)
	bad := e.entriesOf(record.TypeBallot)[2].Index
	v, err := ReadView(ctx, e.reader(), e.id, nil)
	require.NoError(t, err)
	_, err = v.Recount(ctx, e.reader(), st, nil)
	require.ErrorIs(t, err, ErrRecord)
	require.ErrorContains(t, err, fmt.Sprintf("counted ballot at entry %d does not verify", bad))
	_, err = Decrypt(ctx, e.reader(), e.id, e.ids[0], e.dial(ctx, 1, ClientOptions{}), nil)
	require.ErrorContains(t, err, fmt.Sprintf("entry %d", bad), "the trustee decrypts a board with a false ballot")
}

// TestRecountOnePassAgrees: the recount ReadView runs while it reads the
// board gives what reading the counted ballots again gives (the two-pass
// path, forced by dropping the first): with voters who cast twice, and
// with a false ballot that its voter's later ballot replaced, which
// counts on neither path and so is no error.
func TestRecountOnePassAgrees(t *testing.T) {
	for _, badFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("replaced-false-ballot=%v", badFirst), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			e := newTestElection(t, 2, 3, 4)
			if _, errs := e.runCeremony(ctx, []int{1, 2, 3}, nil, nil); errs[1] != nil || errs[2] != nil || errs[3] != nil {
				t.Fatal(errs)
			}
			_, st := ceremonyResult(t, e)
			if badFirst {
				e.badVoter, e.badFirstOnly = 2, true
			}
			e.vote(st, 3)
			v, err := ReadView(ctx, e.reader(), e.id, nil)
			require.NoError(t, err)
			require.NotNil(t, v.counted, "ReadView recounts while it reads")
			if badFirst {
				require.Len(t, v.counted.failed, 1, "the replaced false ballot fails")
			}
			one, err := v.Recount(ctx, e.reader(), st, nil)
			require.NoError(t, err)
			v.counted = nil
			two, err := v.Recount(ctx, e.reader(), st, nil)
			require.NoError(t, err)
			require.Equal(t, two.Count, one.Count)
			require.Equal(t, two.Counted, one.Counted)
			require.Len(t, one.Aggregate, len(two.Aggregate))
			for k := range two.Aggregate {
				require.Equal(t, two.Aggregate[k].Bytes(), one.Aggregate[k].Bytes(), "aggregate position %d", k)
			}
		})
	}
}

// latePoster holds trustee 1's share until the other trustees' shares made
// the board post the tally.result, then submits it: the board refuses it.
type latePoster struct {
	Poster
	before func()
}

func (p *latePoster) Submit(ctx context.Context, s Submission) (*bulletin.Receipt, error) {
	p.before()
	return p.Poster.Submit(ctx, s)
}

// TestDecryptLateShare: a trustee whose tally.share reaches the board after
// the tally.result (t other shares were faster) is told its share was not
// needed, and Decrypt succeeds with Late set; nothing of it is appended.
func TestDecryptLateShare(t *testing.T) {
	ctx, e, st := closed2of3(t)
	e.vote(st, 0)
	p := &latePoster{Poster: e.dial(ctx, 1, ClientOptions{}), before: func() {
		for _, i := range []int{2, 3} {
			_, err := Decrypt(ctx, e.reader(), e.id, e.ids[i-1], e.dial(ctx, i, ClientOptions{}), nil)
			require.NoError(t, err, "trustee %d", i)
		}
		e.waitStatus(ctx, "result", func(s *Status) bool { return s.Phase == PhaseDone })
	}}
	var said []string
	d, err := Decrypt(ctx, e.reader(), e.id, e.ids[0], p, func(m string) { said = append(said, m) })
	require.NoError(t, err)
	require.True(t, d.Late)
	require.Nil(t, d.Share)
	require.Contains(t, said[len(said)-1], "was posted meanwhile")
	require.Contains(t, said[len(said)-1], "decryption share was not needed")
	require.Len(t, e.entriesOf(tally.TypeDecryptionShare), 2, "the late share is not on the board")
}

// closed2of3 is a 2-of-3 election whose key ceremony is over, with a
// context that ends with the test.
func closed2of3(t *testing.T) (context.Context, *testElection, *ceremony.State) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	e := newTestElection(t, 2, 3, 3)
	if _, errs := e.runCeremony(ctx, []int{1, 2, 3}, nil, nil); errs[1] != nil || errs[2] != nil || errs[3] != nil {
		t.Fatal(errs)
	}
	_, st := ceremonyResult(t, e)
	return ctx, e, st
}

// countingSource counts the entries read through it, and the lowest index
// asked for.
type countingSource struct {
	EntrySource
	read, lowest uint64
}

func (c *countingSource) Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
	es, err := c.EntrySource.Entries(ctx, start, end)
	c.read += uint64(len(es))
	c.lowest = min(c.lowest, start)
	return es, err
}

// TestViewDecryptReusesView: a trustee's view read once (as its mix step
// does) serves its decryption: View.Decrypt reads only the entries added
// since, does not verify the ballots again, and posts the same valid share
// Decrypt would.
func TestViewDecryptReusesView(t *testing.T) {
	ctx, e, st := closed2of3(t)
	e.vote(st, 0)
	v, err := ReadView(ctx, e.reader(), e.id, nil)
	require.NoError(t, err)
	_, err = v.Recount(ctx, e.reader(), st, nil) // as the mix step's input does
	require.NoError(t, err)
	size := v.Size
	// Trustee 2's share comes first: one new entry for the view.
	_, err = Decrypt(ctx, e.reader(), e.id, e.ids[1], e.dial(ctx, 2, ClientOptions{}), nil)
	require.NoError(t, err)
	src := &countingSource{EntrySource: e.reader(), lowest: ^uint64(0)}
	d, err := v.Decrypt(ctx, src, e.ids[0], e.dial(ctx, 1, ClientOptions{}), nil)
	require.NoError(t, err)
	require.NotNil(t, d.Share)
	require.Equal(t, size, src.lowest, "the view read on from where it was")
	require.LessOrEqual(t, src.read, uint64(2), "only the entries added since (trustee 2's share, maybe the result)")
	e.waitStatus(ctx, "result", func(s *Status) bool { return s.Phase == PhaseDone })
	require.Len(t, e.entriesOf(tally.TypeDecryptionShare), 2)
}
