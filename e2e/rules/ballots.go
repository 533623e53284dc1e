package rules

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
)

// VerifyBallots checks the content of ballot entries for election el
// (e2e/SPEC.md §7.8): the payload decodes to a ballot of the election's
// shape, its credential is the entry's signer (§11.1), and its signature
// and every proof verify, in one batch (ballot.VerifyBatch). It returns
// the decoded ballots and, per entry, nil or a *[Violation]. The order of
// the rules of §11.2 (phase, roll, schedule) is [State.Apply]'s: callers
// run both.
func VerifyBallots(el *ballot.Election, es []*bulletin.Entry) ([]*ballot.Ballot, []error) {
	ballots, errs := decodeBallots(el, es)
	verifyDecoded(el, es, ballots, errs)
	return ballots, errs
}

// decodeBallots decodes ballot entries in parallel and checks their shape
// and credential.
func decodeBallots(el *ballot.Election, es []*bulletin.Entry) ([]*ballot.Ballot, []error) {
	ballots := make([]*ballot.Ballot, len(es))
	errs := make([]error, len(es))
	if el == nil {
		for i, e := range es {
			errs[i] = violation(e, CheckOrder, ErrNotOpen, nil, "the election has no key yet")
		}
		return ballots, errs
	}
	Parallel(len(es), func(i int) { ballots[i], errs[i] = DecodeBallot(el, es[i]) })
	return ballots, errs
}

// DecodeBallot decodes one ballot entry for election el and checks its
// size and credential (e2e/SPEC.md §7.3, §11.1): the checks of
// [VerifyBallots] before the proofs. The error is a *[Violation].
func DecodeBallot(el *ballot.Election, e *bulletin.Entry) (*ballot.Ballot, error) {
	if n := el.BallotSize(); n != 0 && len(e.Payload) != n {
		return nil, violation(e, CheckBallotDecode, ErrMalformed, ballot.ErrMalformed, "%v: ballot of %d bytes; every ballot of this election is %d bytes", ballot.ErrMalformed, len(e.Payload), n)
	}
	b, err := ballot.DecodeBallot(e.Payload)
	if err != nil {
		return nil, violation(e, CheckBallotDecode, ErrMalformed, err, "%v", err)
	}
	if cred := b.Credential.Bytes(); len(e.Signer) != 33 || cred != [32]byte(e.Signer[1:]) {
		return nil, violation(e, CheckBallotSigner, ErrMalformed, nil, "the ballot's credential %x… is not the entry's signer", cred[:8])
	}
	return b, nil
}

// verifyDecoded batch-verifies the decoded ballots (those without an
// error) and records each failure in errs.
func verifyDecoded(el *ballot.Election, es []*bulletin.Entry, ballots []*ballot.Ballot, errs []error) {
	var ok []*ballot.Ballot
	var at []int
	for i, b := range ballots {
		if b != nil {
			ok = append(ok, b)
			at = append(at, i)
		}
	}
	for k, err := range ballot.VerifyBatch(el, ok) {
		if err == nil {
			continue
		}
		i := at[k]
		errs[i] = BallotViolation(es[i], k, err)
		ballots[i] = nil
	}
}

// BallotViolation is the violation of ballot entry e for err, the error
// ballot.VerifyBatch gave for the batch's k-th ballot.
func BallotViolation(e *bulletin.Entry, k int, err error) *Violation {
	var pe *ballot.ProofError
	if errors.As(err, &pe) {
		pe.Ballot = int(e.Index)
	}
	msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("ballot %d: ", k))
	return violation(e, BallotCheck(err), BallotReason(err), err, "%s", msg)
}

// BallotCheck maps an error of ballot verification to its check.
func BallotCheck(err error) Check {
	var pe *ballot.ProofError
	switch {
	case errors.As(err, &pe):
		return CheckBallotProof
	case errors.Is(err, ballot.ErrWrongElection), errors.Is(err, ballot.ErrMalformed):
		return CheckBallotElection
	}
	return CheckBallotProof
}

// BallotReason maps an error of ballot verification to a reason.
func BallotReason(err error) error {
	var pe *ballot.ProofError
	switch {
	case errors.As(err, &pe) && pe.Proof == ballot.ProofSignature:
		return ErrBadSignature
	case errors.As(err, &pe), errors.Is(err, ballot.ErrInvalidBallot), errors.Is(err, ballot.ErrSpoiledMismatch):
		return ErrBadProof
	case errors.Is(err, ballot.ErrWrongElection):
		return ErrWrongElection
	}
	return ErrMalformed
}

// Parallel runs f(0..n−1) on GOMAXPROCS goroutines, handing out small
// runs of indexes as goroutines become free (a reading goroutine may
// compete for the same cores, so a static split would leave one worker
// late). A panic in f stops the workers and is raised again in the
// caller's goroutine, where the caller's recover (a server's request
// handler) can catch it; in a worker it would end the process.
func Parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	const run = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[workerPanic]
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					failed.CompareAndSwap(nil, &workerPanic{r})
					next.Store(int64(n)) // the others stop at their next run
				}
			}()
			for {
				lo := int(next.Add(run)) - run
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+run, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		panic(p.v)
	}
}

// workerPanic carries a worker's panic value to the caller.
type workerPanic struct{ v any }
