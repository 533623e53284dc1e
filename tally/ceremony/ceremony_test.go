package ceremony

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/tally/trustee"
)

func TestCeremonySizes(t *testing.T) {
	for _, c := range []struct{ t, n int }{{1, 1}, {2, 3}, {3, 5}, {5, 9}} {
		t.Run(fmt.Sprintf("%d-of-%d", c.t, c.n), func(t *testing.T) {
			h := newHarness(t, c.t, c.n)
			st := h.run(nil)
			if len(h.errs) > 0 {
				t.Fatalf("trustee errors: %v", h.errs)
			}
			if len(st.Qualified) != c.n || len(st.Disqualified) != 0 {
				t.Fatalf("qualified %v, disqualified %v", st.Qualified, st.Disqualified)
			}
			if !h.clock.Now().Equal(t0) {
				t.Errorf("an honest, online ceremony waited for a deadline (clock at %v)", h.clock.Now().Sub(t0))
			}
			h.checkKey(st)
		})
	}
}

func TestKeySharePrintsNoSecret(t *testing.T) {
	h := newHarness(t, 1, 1)
	h.run(nil)
	ks := h.ts[0].KeyShare()
	secret := ks.Secret.Bytes()
	for _, s := range []string{fmt.Sprint(ks), fmt.Sprintf("%v %+v %#v", ks, ks, ks)} {
		if strings.Contains(s, fmt.Sprintf("%x", secret[:])) || !strings.Contains(s, "redacted") {
			t.Fatalf("key share printed as %q", s)
		}
	}
}

func TestInconsistentShareDisqualified(t *testing.T) {
	for _, mode := range []string{"wrong answer", "no answer"} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t, 3, 5)
			h.ts[1].faults = faults{badShareFor: map[int]bool{4: true}, answerBad: mode == "wrong answer", noAnswer: mode == "no answer"}
			st := h.run(nil)
			reason, dq := st.Disqualified[2]
			if !dq {
				t.Fatalf("dealer 2 not disqualified; notes %v", st.Notes)
			}
			want := "does not match its commitments"
			if mode == "no answer" {
				want = "did not answer the complaints of trustees [4]"
			}
			if !strings.Contains(reason, want) {
				t.Errorf("reason %q, want it to contain %q", reason, want)
			}
			if fmt.Sprint(st.Qualified) != "[1 3 4 5]" {
				t.Fatalf("qualified %v", st.Qualified)
			}
			if !errIs(h.errs[2], ErrExcluded) {
				t.Errorf("trustee 2: %v, want ErrExcluded", h.errs[2])
			}
			h.checkKey(st)
		})
	}
}

func TestBadShareRevealedCorrectlyIsDismissed(t *testing.T) {
	// The dealer encrypts a wrong share but reveals the right one: the
	// complaint is dismissed and the complainer uses the revealed share.
	h := newHarness(t, 3, 5)
	h.ts[1].faults = faults{badShareFor: map[int]bool{4: true}}
	st := h.run(nil)
	if len(st.Disqualified) != 0 || len(st.Qualified) != 5 {
		t.Fatalf("qualified %v, disqualified %v", st.Qualified, st.Disqualified)
	}
	if st.accusers[2] == nil || st.revealed[[2]int{2, 4}] == nil {
		t.Fatal("no complaint and reveal on the board")
	}
	h.checkKey(st)
}

func TestTooFewQualifiedFails(t *testing.T) {
	h := newHarness(t, 3, 3)
	h.ts[2].faults = faults{badShareFor: map[int]bool{1: true}, noAnswer: true}
	st := h.run(nil)
	if !errIs(st.Err, ErrTooFewQualified) || st.JointKey != nil || st.Result() != nil {
		t.Fatalf("state err %v, key %v", st.Err, st.JointKey)
	}
	for i := 1; i <= 3; i++ {
		if !errIs(h.errs[i], ErrTooFewQualified) || h.ts[i-1].KeyShare() != nil {
			t.Errorf("trustee %d: %v", i, h.errs[i])
		}
	}
	if !strings.Contains(st.Err.Error(), "trustee 3") {
		t.Errorf("error does not name the culprit: %v", st.Err)
	}
}

func TestComplaintAgainstHonestDismissed(t *testing.T) {
	h := newHarness(t, 3, 5)
	h.ts[2].faults = faults{accuse: []int{1}}
	st := h.run(nil)
	if len(st.Disqualified) != 0 || len(st.Qualified) != 5 {
		t.Fatalf("qualified %v, disqualified %v", st.Qualified, st.Disqualified)
	}
	found := false
	for _, n := range st.Notes {
		found = found || n.Trustee == 1 && strings.Contains(n.Reason, "complaints by trustees [3] dismissed")
	}
	if !found {
		t.Errorf("no dismissal note: %v", st.Notes)
	}
	h.checkKey(st)
}

// repost signs payload as trustee i and posts it.
func (h *harness) repost(i int, typ string, payload []byte) {
	if err := h.board.Post(context.Background(), typ, payload, h.ids[i-1].Sign(h.p.ElectionID, typ, payload)); err != nil {
		h.t.Fatal(err)
	}
}

func TestCopiedProofOfKnowledgeRejected(t *testing.T) {
	h := newHarness(t, 3, 5)
	ctx := context.Background()
	if _, err := h.ts[0].Step(ctx, h.board); err != nil {
		t.Fatal(err)
	}
	// Trustee 2 copies trustee 1's commitments and proofs as its own.
	c1, err := DecodeCommitments(h.board.Messages()[0].Payload, h.p)
	if err != nil {
		t.Fatal(err)
	}
	c1.Trustee = 2
	h.repost(2, TypeCommitments, marshal(c1))
	st := h.run(func(i, _ int) bool { return i != 2 })
	if r := st.Disqualified[2]; !strings.Contains(r, "proof of knowledge of coefficient 0") {
		t.Fatalf("copied proofs: disqualified[2] = %q", r)
	}
	if fmt.Sprint(st.Qualified) != "[1 3 4 5]" {
		t.Fatalf("qualified %v", st.Qualified)
	}
	h.checkKey(st)
	// The honest trustee 2 program, started on this board, cannot adopt the
	// copied commitments as its own.
	if _, err := h.newTrustee(2).Step(ctx, h.board); !errIs(err, ErrBackup) {
		t.Errorf("trustee 2 on a board with forged commitments: %v", err)
	}
}

func TestProofOfKnowledgeBinding(t *testing.T) {
	h := newHarness(t, 2, 3)
	st := h.run(nil)
	c := st.commitments[1].msg
	if err := st.verifyCommitments(c); err != nil {
		t.Fatal(err)
	}
	// Another ceremony (other election): same message does not verify.
	p2 := *h.p
	p2.Election[5] ^= 1
	other := &State{Params: &p2, Hash: p2.Hash()}
	if other.verifyCommitments(c) == nil {
		t.Error("proofs transplanted to another ceremony verify")
	}
	// Another coefficient: swap the proofs.
	sw := *c
	sw.Proofs = []*zk.Schnorr{c.Proofs[1], c.Proofs[0]}
	if st.verifyCommitments(&sw) == nil {
		t.Error("proofs swapped between coefficients verify")
	}
	// A forged proof.
	fg := *c
	fg.Proofs = []*zk.Schnorr{{A: c.Proofs[0].A, Z: c.Proofs[0].Z.Add(group.NewScalar(1))}, c.Proofs[1]}
	if err := st.verifyCommitments(&fg); err == nil || !strings.Contains(err.Error(), "coefficient 0") {
		t.Errorf("forged proof: %v", err)
	}
	// A commitment replaced (rogue key): proof no longer matches.
	rk := *c
	rk.Commitments = []*group.Point{group.BaseMul(group.RandomScalar()), c.Commitments[1]}
	if st.verifyCommitments(&rk) == nil {
		t.Error("replaced commitment verifies")
	}
}

func TestDisconnects(t *testing.T) {
	// Trustee 5 of a 3-of-5 ceremony is offline during one round.
	for round := RoundCommitments; round <= RoundAnswers; round++ {
		t.Run(RoundName(round), func(t *testing.T) {
			h := newHarness(t, 3, 5)
			if round == RoundAnswers {
				h.ts[0].faults.accuse = []int{5} // so that 5 has something to answer
			}
			if round == RoundShares {
				// 5 posts its commitments, then its connection drops
				// before the shares go out.
				b := &failingBoard{Board: h.board, fail: map[string]bool{TypeShares: true}}
				if _, err := h.ts[4].Step(context.Background(), b); !errIs(err, ErrBoard) {
					t.Fatalf("step with failing board: %v", err)
				}
			}
			if round == RoundComplaints {
				// 5 deals in round 1, then drops until the end.
				if _, err := h.ts[4].Step(context.Background(), h.board); err != nil {
					t.Fatal(err)
				}
			}
			st := h.run(func(i, r int) bool {
				switch round {
				case RoundShares:
					return i != 5 || r > RoundShares
				case RoundComplaints:
					return i != 5
				}
				return i != 5 || r != round
			})
			switch round {
			case RoundCommitments, RoundShares, RoundAnswers:
				if _, dq := st.Disqualified[5]; !dq || fmt.Sprint(st.Qualified) != "[1 2 3 4]" {
					t.Fatalf("qualified %v, disqualified %v", st.Qualified, st.Disqualified)
				}
				if !errIs(h.errs[5], ErrExcluded) {
					t.Errorf("trustee 5: %v", h.errs[5])
				}
				t.Logf("trustee 5: %v", st.Disqualified[5])
			case RoundComplaints:
				// Complaints are not mandatory: 5 stays qualified and,
				// restarted from its key file, resumes from the board.
				if len(st.Qualified) != 5 {
					t.Fatalf("qualified %v, disqualified %v", st.Qualified, st.Disqualified)
				}
				h.ts[4] = h.newTrustee(5)
				if _, err := h.ts[4].Step(context.Background(), h.board); err != nil {
					t.Fatal(err)
				}
			}
			if h.clock.Now().Equal(t0) {
				t.Error("no deadline passed, yet a trustee was missing")
			}
			h.checkKey(st)
		})
	}
}

type failingBoard struct {
	Board
	fail map[string]bool
}

func (b *failingBoard) Post(ctx context.Context, typ string, payload []byte, sig [SignatureSize]byte) error {
	if b.fail[typ] {
		return fmt.Errorf("connection lost")
	}
	return b.Board.Post(ctx, typ, payload, sig)
}

func TestDisconnectTooFewFails(t *testing.T) {
	h := newHarness(t, 3, 3)
	st := h.run(func(i, r int) bool { return i != 2 || r != RoundCommitments })
	if !errIs(st.Err, ErrTooFewQualified) || !strings.Contains(st.Err.Error(), "trustee 2: no commitments") {
		t.Fatalf("err %v", st.Err)
	}
	for i := 1; i <= 3; i++ {
		if h.ts[i-1].KeyShare() != nil {
			t.Errorf("trustee %d holds a key share of a failed ceremony", i)
		}
	}
}

func TestResumeEveryRound(t *testing.T) {
	// All trustees restart (new state machines from their key files) at
	// every pass: the board alone carries the ceremony.
	h := newHarness(t, 3, 5)
	ctx := context.Background()
	for range 20 {
		for i := range h.ts {
			h.ts[i] = h.newTrustee(i + 1)
			if _, err := h.ts[i].Step(ctx, h.board); err != nil {
				t.Fatalf("trustee %d: %v", i+1, err)
			}
		}
		if h.state().Round == RoundFinished {
			break
		}
	}
	for i := range h.ts {
		h.ts[i] = h.newTrustee(i + 1)
		if _, err := h.ts[i].Step(ctx, h.board); err != nil {
			t.Fatalf("trustee %d: %v", i+1, err)
		}
	}
	st := h.state()
	h.checkKey(st)
	// Every message was posted exactly once.
	if got := len(h.board.Messages()); got != 3*5 {
		t.Errorf("%d messages on the board, want 15", got)
	}
}

func TestStatusReportsWaiting(t *testing.T) {
	h := newHarness(t, 2, 3)
	ctx := context.Background()
	st, err := h.ts[0].Step(ctx, h.board)
	if err != nil {
		t.Fatal(err)
	}
	if st.Round != RoundCommitments || fmt.Sprint(st.WaitingFor) != "[2 3]" || !st.Deadline.Equal(t0.Add(testRound)) {
		t.Fatalf("round %d waiting %v deadline %v", st.Round, st.WaitingFor, st.Deadline)
	}
	if d := st.Describe(); d != "round 1/4 (commitments): waiting for trustees [2 3] until 2026-11-25T09:01:00Z" {
		t.Errorf("describe: %q", d)
	}
	st = h.run(nil)
	if d := st.Describe(); !strings.HasPrefix(d, "ceremony complete: 2-of-3, qualified trustees [1 2 3], joint key ") {
		t.Errorf("describe: %q", d)
	}
}

func TestLateAndForgedMessagesIgnored(t *testing.T) {
	h := newHarness(t, 2, 3)
	ctx := context.Background()
	// A message signed by the wrong key is not attributed to anyone.
	tr := h.ts[0]
	tr.poly = randomPolynomial(2)
	m := tr.commitments()
	h.board.Post(ctx, TypeCommitments, marshal(m), h.ids[1].Sign(h.p.ElectionID, TypeCommitments, marshal(m)))
	// Trustee 3 is offline; its commitments arrive late.
	h.run(func(i, r int) bool { return i != 3 })
	tr3 := h.newTrustee(3)
	tr3.poly = randomPolynomial(2)
	h.repost(3, TypeCommitments, marshal(tr3.commitments()))
	st := h.state()
	if _, dq := st.Disqualified[1]; dq {
		t.Fatal("forged message disqualified trustee 1")
	}
	if _, dq := st.Disqualified[3]; !dq {
		t.Fatal("late trustee 3 qualified")
	}
	var sawForged, sawLate bool
	for _, n := range st.Notes {
		sawForged = sawForged || n.Trustee == 0 && strings.Contains(n.Reason, "invalid signature")
		sawLate = sawLate || n.Trustee == 3 && strings.Contains(n.Reason, "after the round 1 deadline")
	}
	if !sawForged || !sawLate {
		t.Errorf("notes: %v", st.Notes)
	}
	h.checkKey(st)
}

func TestRunWithClock(t *testing.T) {
	h := newHarness(t, 2, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type res struct {
		ks  *KeyShare
		err error
	}
	out := make(chan res, 3)
	for _, tr := range h.ts {
		go func() {
			ks, err := tr.Run(ctx, h.board, SystemClock{}, 5*time.Millisecond, nil)
			out <- res{ks, err}
		}()
	}
	for range 3 {
		r := <-out
		if r.err != nil || r.ks == nil {
			t.Fatalf("run: %v", r.err)
		}
	}
	h.checkKey(h.state())
}

func TestResultVerification(t *testing.T) {
	h := newHarness(t, 2, 3)
	st := h.run(nil)
	r := st.Result()
	data := r.Marshal()
	back, err := DecodeResult(data, h.p)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.VerifyResult(back); err != nil {
		t.Fatal(err)
	}
	bad := *back
	bad.JointKey = group.BaseMul(group.RandomScalar())
	if st.VerifyResult(&bad) == nil {
		t.Error("result with another joint key accepted")
	}
	bad = *back
	bad.Qualified = []int{1, 2}
	bad.VerificationKeys = back.VerificationKeys[:2]
	if st.VerifyResult(&bad) == nil {
		t.Error("result with another qualified set accepted")
	}
}

func TestParams(t *testing.T) {
	ids := testIdentities(t, 3)
	pubs := []trustee.Public{*ids[0].Public(), *ids[1].Public(), *ids[2].Public()}
	p, err := NewParams("e-test", [32]byte{1}, 2, time.Minute, pubs)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseParams(p.Marshal())
	if err != nil || q.Hash() != p.Hash() {
		t.Fatalf("round trip: %v", err)
	}
	variants := map[string]func(*Params){
		"election":  func(p *Params) { p.Election[0] ^= 1 },
		"threshold": func(p *Params) { p.Threshold = 3 },
		"round":     func(p *Params) { p.RoundSeconds++ },
		"order":     func(p *Params) { p.Trustees[0], p.Trustees[1] = p.Trustees[1], p.Trustees[0] },
		"trustees":  func(p *Params) { p.Trustees = p.Trustees[:2] },
	}
	for name, f := range variants {
		v := *p
		v.Trustees = append([]trustee.Public(nil), p.Trustees...)
		f(&v)
		if v.Hash() == p.Hash() {
			t.Errorf("ceremony hash does not bind %s", name)
		}
	}
	for name, f := range map[string]func(*Params){
		"t=0":       func(p *Params) { p.Threshold = 0 },
		"t>n":       func(p *Params) { p.Threshold = 4 },
		"dup key":   func(p *Params) { p.Trustees[1] = p.Trustees[0] },
		"no round":  func(p *Params) { p.RoundSeconds = 0 },
		"version":   func(p *Params) { p.Version = "x" },
		"no people": func(p *Params) { p.Trustees = nil },
	} {
		v := *p
		v.Trustees = append([]trustee.Public(nil), p.Trustees...)
		f(&v)
		if v.Check() == nil {
			t.Errorf("%s accepted", name)
		}
	}
	other, _ := trustee.Generate("")
	if _, err := NewTrustee(other, p, t0); !errIs(err, ErrNotTrustee) {
		t.Errorf("outsider: %v", err)
	}
}

func TestLagrange(t *testing.T) {
	poly := randomPolynomial(4)
	for _, xs := range [][]int{{1, 2, 3, 4}, {2, 5, 7, 9}, {9, 1, 4, 3}} {
		lam, err := Lagrange(xs)
		if err != nil {
			t.Fatal(err)
		}
		s := group.NewScalar(0)
		for k, x := range xs {
			s = s.Add(lam[k].Mul(poly.eval(x)))
		}
		if !s.Equal(poly[0]) {
			t.Errorf("Lagrange at %v does not give f(0)", xs)
		}
	}
	for _, xs := range [][]int{nil, {1, 1}, {0, 2}, {-1}, {MaxTrustees + 1}} {
		if _, err := Lagrange(xs); err == nil {
			t.Errorf("Lagrange(%v) accepted", xs)
		}
	}
}
