package ceremony

import (
	"context"
	"errors"
	"time"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally/trustee"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

const testRound = time.Minute

// harness runs a ceremony in memory with a fake clock.
type harness struct {
	t     tester
	clock *FakeClock
	board *MemBoard
	p     *Params
	ids   []*trustee.Identity
	ts    []*Trustee // ts[i-1] is trustee i
	errs  map[int]error
	// lenient: a qualified trustee may lack its share (it missed the
	// complaint round while holding a bad share), so checkKey does not
	// require t holders.
	lenient bool
}

var identityCache []*trustee.Identity

// tester is what the harness needs of *testing.T, *testing.B, *testing.F
// and *rapid.T.
type tester interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

func testIdentities(tb tester, n int) []*trustee.Identity {
	for len(identityCache) < n {
		id, err := trustee.Generate("")
		if err != nil {
			tb.Fatal(err)
		}
		identityCache = append(identityCache, id)
	}
	return identityCache[:n]
}

func newHarness(tb tester, t, n int) *harness {
	ids := testIdentities(tb, n)
	pubs := make([]trustee.Public, n)
	for i, id := range ids {
		pubs[i] = *id.Public()
	}
	var election [32]byte
	election[0] = byte(t)
	election[1] = byte(n)
	p, err := NewParams("e-test", election, t, testRound, pubs)
	if err != nil {
		tb.Fatal(err)
	}
	clock := NewFakeClock(t0)
	h := &harness{t: tb, clock: clock, board: NewMemBoard(clock), p: p, ids: ids, errs: map[int]error{}}
	for i := range ids {
		h.ts = append(h.ts, h.newTrustee(i+1))
	}
	return h
}

func (h *harness) newTrustee(i int) *Trustee {
	tr, err := NewTrustee(h.ids[i-1], h.p, t0)
	if err != nil {
		h.t.Fatal(err)
	}
	if tr.Index() != i {
		h.t.Fatalf("trustee %d got index %d", i, tr.Index())
	}
	return tr
}

func (h *harness) state() *State {
	return Replay(h.p, t0, h.board.Messages(), h.clock.Now())
}

// run steps the trustees for which online(i, round) holds until the
// ceremony is over, advancing the clock past a deadline whenever a pass
// posts nothing. It returns the final public state; errors of individual
// trustees are in h.errs.
func (h *harness) run(online func(i, round int) bool) *State {
	ctx := context.Background()
	for range 200 {
		before := len(h.board.Messages())
		for i, tr := range h.ts {
			if online != nil && !online(i+1, h.state().Round) {
				continue
			}
			if _, err := tr.Step(ctx, h.board); err != nil {
				h.errs[i+1] = err
			} else {
				delete(h.errs, i+1)
			}
		}
		st := h.state()
		if st.Round == RoundFinished {
			// Let every online trustee see the end.
			for i, tr := range h.ts {
				if online == nil || online(i+1, RoundFinished) {
					if _, err := tr.Step(ctx, h.board); err != nil {
						h.errs[i+1] = err
					} else {
						delete(h.errs, i+1)
					}
				}
			}
			return st
		}
		if len(h.board.Messages()) == before {
			h.clock.Advance(testRound/2 + time.Second)
		}
	}
	h.t.Fatal("ceremony did not finish")
	return nil
}

// checkKey checks a successful ceremony: every qualified online trustee
// holds a share matching its verification key, and the shares of the first
// t and of the last t qualified trustees both interpolate to the discrete
// log of the joint key.
func (h *harness) checkKey(st *State) {
	if !st.Done() {
		h.t.Fatalf("ceremony failed: %v", st.Err)
	}
	K := group.Identity()
	for _, i := range st.Qualified {
		K = K.Add(st.polyCommit[i][0])
	}
	if !K.Equal(st.JointKey) {
		h.t.Fatal("joint key is not the sum of the qualified constant commitments")
	}
	var held []*KeyShare
	for _, i := range st.Qualified {
		ks := h.ts[i-1].KeyShare()
		if ks == nil {
			continue
		}
		if !group.BaseMul(ks.Secret).Equal(st.VerificationKeys[i]) || !ks.JointKey.Equal(st.JointKey) {
			h.t.Fatalf("trustee %d: share does not match its verification key", i)
		}
		held = append(held, ks)
	}
	tt := h.p.Threshold
	if len(held) < tt {
		if h.lenient {
			return
		}
		h.t.Fatalf("only %d trustees hold shares", len(held))
	}
	for _, set := range [][]*KeyShare{held[:tt], held[len(held)-tt:]} {
		xs := make([]int, tt)
		for k, ks := range set {
			xs[k] = ks.Trustee
		}
		lam, err := Lagrange(xs)
		if err != nil {
			h.t.Fatal(err)
		}
		x := group.NewScalar(0)
		for k, ks := range set {
			x = x.Add(lam[k].Mul(ks.Secret))
		}
		if !group.BaseMul(x).Equal(st.JointKey) {
			h.t.Fatalf("shares of trustees %v do not interpolate to the joint secret", xs)
		}
	}
	if tt > 1 {
		// t−1 shares must not give the key (with overwhelming probability).
		xs := []int{held[0].Trustee}
		lam, _ := Lagrange(xs[:1])
		if group.BaseMul(lam[0].Mul(held[0].Secret)).Equal(st.JointKey) {
			h.t.Fatal("one share alone gives the joint secret")
		}
	}
	// Anyone replaying the board gets the same result.
	obs := h.state()
	if err := obs.VerifyResult(st.Result()); err != nil {
		h.t.Fatal(err)
	}
}

func errIs(err, target error) bool { return err != nil && errors.Is(err, target) }
