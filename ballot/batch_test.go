package ballot

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/group"
)

// w1Ballots returns n valid ballots of W1 (1 contest, 1-of-2), each by its
// own credential.
func w1Ballots(t testing.TB, e *testElection, n int) []*Ballot {
	bs := make([]*Ballot, n)
	for i := range bs {
		bs[i], _ = mustEncrypt(t, e, NewCredential(), Choices{"c0": {uint64(i % 2), uint64(1 - i%2)}})
	}
	return bs
}

func TestVerifyBatchAllValid(t *testing.T) {
	e := newTestElection(t, oneOfN(1, 2))
	bs := w1Ballots(t, e, 100)
	for i, err := range VerifyBatch(e.Election, bs) {
		if err != nil {
			t.Errorf("ballot %d: %v", i, err)
		}
	}
	if errs := VerifyBatch(e.Election, nil); len(errs) != 0 {
		t.Errorf("empty batch: %v", errs)
	}
}

// TestVerifyBatchNamesBadBallots puts bad ballots among 100 good ones and
// checks that exactly those are named, with the failing proof, whether the
// batch is split over the cores (VerifyBatch) or verified on one goroutine
// (VerifyBatchOn with 1 worker, as the server does).
func TestVerifyBatchNamesBadBallots(t *testing.T) {
	for _, workers := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) { testVerifyBatchNamesBadBallots(t, workers) })
	}
}

func testVerifyBatchNamesBadBallots(t *testing.T, workers int) {
	e := newTestElection(t, oneOfN(1, 2))
	bs := w1Ballots(t, e, 100)

	// 37: a selection encrypting 2 with a forged proof; its sum proof is
	// also false (the sum is 2 in a [1, 1] range).
	cred37 := NewCredential()
	bs[37].Contests[0] = craftContest(t, e.Election, cred37, 0, []int64{2, 0}, []uint64{1, 0}, 1)
	resign(e.Election, bs[37], cred37)
	// 80: a valid ballot whose signature is from another ballot.
	bs[80].Signature = bs[81].Signature
	// 5: nil.
	bs[5] = nil
	// 60: for another election.
	other := newTestElection(t, oneOfN(1, 3))
	bs[60], _ = mustEncrypt(t, other, NewCredential(), Choices{"c0": {1, 0, 0}})

	errs := VerifyBatch(e.Election, bs)
	if workers > 0 {
		errs = VerifyBatchOn(e.Election, bs, workers)
	}
	for i, err := range errs {
		switch i {
		case 37:
			wantProofError(t, "ballot 37", err, "c0", 0, ProofSelection)
		case 80:
			wantProofError(t, "ballot 80", err, "", -1, ProofSignature)
		case 5:
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("ballot 5: %v", err)
			}
		case 60:
			if !errors.Is(err, ErrWrongElection) {
				t.Errorf("ballot 60: %v", err)
			}
		default:
			if err != nil {
				t.Errorf("good ballot %d named: %v", i, err)
			}
		}
		if err == nil {
			continue
		}
		var pe *ProofError
		if errors.As(err, &pe) && pe.Ballot != i {
			t.Errorf("ballot %d reported as %d", i, pe.Ballot)
		}
		if want := fmt.Sprintf("ballot %d", i); !strings.Contains(err.Error(), want) {
			t.Errorf("error for ballot %d does not name it: %v", i, err)
		}
	}
}

// TestVerifyBatchSubtleForgery: the bad proof passes its shape and
// challenge-sum checks, so only the group equations, combined in the MSM,
// can catch it.
func TestVerifyBatchSubtleForgery(t *testing.T) {
	e := newTestElection(t, oneOfN(1, 2))
	bs := w1Ballots(t, e, 9)
	cred := NewCredential()
	bs[3], _ = mustEncrypt(t, e, cred, Choices{"c0": {0, 1}})
	// Swap the responses of the two branches of a selection proof: the
	// challenge shares still sum to the challenge, the equations fail.
	p := bs[3].Contests[0].Selections[1].Proof
	p.Z[0], p.Z[1] = p.Z[1], p.Z[0]
	resign(e.Election, bs[3], cred)
	for i, err := range VerifyBatch(e.Election, bs) {
		if i == 3 {
			wantProofError(t, "ballot 3", err, "c0", 1, ProofSelection)
		} else if err != nil {
			t.Errorf("ballot %d: %v", i, err)
		}
	}
}

// TestVerifyBatchMatchesVerify: batch and single verification agree on
// random tampering of a random proof scalar or commitment.
func TestVerifyBatchMatchesVerify(t *testing.T) {
	e := vectorElection(t)
	var bs []*Ballot
	for i := 0; i < 6; i++ {
		cred := NewCredential()
		b, _ := mustEncrypt(t, e, cred, vectorChoices)
		switch i {
		case 1:
			b.Contests[2].Selections[1].Proof.C[3] = b.Contests[2].Selections[1].Proof.C[3].Add(group.NewScalar(1))
		case 2:
			b.Contests[1].SumProof.B[0] = b.Contests[1].SumProof.B[0].Add(group.Generator())
		case 4:
			b.Contests[0].Selections[2].Proof.Z[1] = group.RandomScalar()
		}
		if i != 0 && i != 3 && i != 5 {
			resign(e.Election, b, cred)
		}
		bs = append(bs, b)
	}
	errs := VerifyBatch(e.Election, bs)
	for i, b := range bs {
		single := Verify(e.Election, b)
		if (single == nil) != (errs[i] == nil) {
			t.Errorf("ballot %d: single %v, batch %v", i, single, errs[i])
		}
		if single != nil && errs[i] != nil {
			var p1, p2 *ProofError
			if errors.As(single, &p1) && errors.As(errs[i], &p2) && (p1.Contest != p2.Contest || p1.Option != p2.Option || p1.Proof != p2.Proof) {
				t.Errorf("ballot %d: single names %v, batch names %v", i, single, errs[i])
			}
		}
	}
	for _, i := range []int{1, 2, 4} {
		if errs[i] == nil {
			t.Errorf("tampered ballot %d accepted", i)
		}
	}
}

// TestVerifyBatchManyBad: a third of the ballots are bad, spread over every
// chunk; the bisection names each of them and no good one.
func TestVerifyBatchManyBad(t *testing.T) {
	e := newTestElection(t, oneOfN(1, 2))
	bs := w1Ballots(t, e, 60)
	bad := map[int]bool{}
	for i := 0; i < len(bs); i += 3 {
		bs[i].Signature = bs[(i+1)%len(bs)].Signature
		bad[i] = true
	}
	for i, err := range VerifyBatch(e.Election, bs) {
		if bad[i] {
			wantProofError(t, fmt.Sprintf("ballot %d", i), err, "", -1, ProofSignature)
		} else if err != nil {
			t.Errorf("good ballot %d named: %v", i, err)
		}
	}
}

// TestVerifyBatchSmall: the batches a server sees as ballots arrive (one
// to a few ballots) are batch-verified too, and a forgery among them is
// still found and named, alone or with good ballots.
func TestVerifyBatchSmall(t *testing.T) {
	e := newTestElection(t, oneOfN(1, 2))
	for n := 1; n <= 5; n++ {
		for bad := 0; bad < n; bad++ {
			bs := w1Ballots(t, e, n)
			cred := NewCredential()
			bs[bad], _ = mustEncrypt(t, e, cred, Choices{"c0": {0, 1}})
			p := bs[bad].Contests[0].Selections[1].Proof
			p.Z[0], p.Z[1] = p.Z[1], p.Z[0]
			resign(e.Election, bs[bad], cred)
			for i, err := range VerifyBatch(e.Election, bs) {
				if i == bad {
					wantProofError(t, fmt.Sprintf("batch of %d, ballot %d", n, i), err, "c0", 1, ProofSelection)
				} else if err != nil {
					t.Errorf("batch of %d: good ballot %d named: %v", n, i, err)
				}
			}
		}
		for i, err := range VerifyBatch(e.Election, w1Ballots(t, e, n)) {
			if err != nil {
				t.Errorf("batch of %d good ballots: ballot %d: %v", n, i, err)
			}
		}
	}
}

// TestVerifyBatchRecoversPanic: a panic while verifying one ballot (a bug
// reached by some input) fails that ballot with ErrInternal and no other:
// the others get their real verdicts and the process goes on.
func TestVerifyBatchRecoversPanic(t *testing.T) {
	e := newTestElection(t, oneOfN(1, 2))
	bs := w1Ballots(t, e, 40)
	cred := NewCredential()
	bs[7], _ = mustEncrypt(t, e, cred, Choices{"c0": {0, 1}})
	p := bs[7].Contests[0].Selections[1].Proof
	p.Z[0], p.Z[1] = p.Z[1], p.Z[0]
	resign(e.Election, bs[7], cred)
	boom := bs[23]
	testHook = func(b *Ballot) {
		if b == boom {
			panic("injected fault")
		}
	}
	defer func() { testHook = nil }()
	for i, err := range VerifyBatch(e.Election, bs) {
		switch i {
		case 23:
			require.ErrorIs(t, err, ErrInternal)
			require.ErrorContains(t, err, "injected fault")
		case 7:
			wantProofError(t, "ballot 7", err, "c0", 1, ProofSelection)
		default:
			require.NoError(t, err, "ballot %d", i)
		}
	}
}
