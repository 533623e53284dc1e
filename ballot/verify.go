package ballot

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/tabella-vote/tabella/ballot/zk"
)

// Verify checks one ballot against the election (e2e/SPEC.md §7.8): its
// shape, every selection's and rank's range proof, every homomorphic
// contest's sum proof and the signature. It does not check that the credential is on the roll or that
// the ballot is within the schedule; the service and the verifier do.
//
// A failing proof is reported as a *[ProofError] naming the contest, option
// (or rank position) and proof; shape errors wrap ErrMalformed or
// ErrWrongElection.
func Verify(e *Election, b *Ballot) error {
	return verifyOne(e, b, 0)
}

func verifyOne(e *Election, b *Ballot, index int) error {
	if testHook != nil {
		testHook(b)
	}
	if b == nil {
		return fmt.Errorf("%w: ballot %d is nil", ErrMalformed, index)
	}
	if err := b.checkShape(e); err != nil {
		return fmt.Errorf("ballot %d: %w", index, err)
	}
	m, pk, X := e.Manifest, e.JointKey, b.Credential
	for i := range m.Contests {
		mc, bc := &m.Contests[i], &b.Contests[i]
		limit := mc.SelectionLimit()
		for j, s := range bc.Parts() {
			if err := s.Proof.Verify(partTranscript(e.BaseHash, X, mc, j), pk, s.Ciphertext, 0, limit); err != nil {
				return &ProofError{Ballot: index, Contest: mc.ID, Option: j, Proof: partProof(mc), Err: err}
			}
		}
		if mc.Kind == Ranked {
			continue // no sum proof (e2e/SPEC.md §7.8)
		}
		lo, hi := mc.SumRange()
		if err := bc.SumProof.Verify(sumTranscript(e.BaseHash, X, mc.ID), pk, sumCiphertext(bc.Selections), lo, hi); err != nil {
			return &ProofError{Ballot: index, Contest: mc.ID, Option: -1, Proof: ProofSum, Err: err}
		}
	}
	bh, err := b.Body.Hash()
	if err != nil {
		return fmt.Errorf("ballot %d: %w", index, err)
	}
	if err := b.Signature.Verify(signatureTranscript(e.BaseHash, bh), X); err != nil {
		return &ProofError{Ballot: index, Option: -1, Proof: ProofSignature, Err: err}
	}
	return nil
}

// addToBatch adds every proof equation of b (whose shape has been checked)
// to zb. An error names a proof whose shape the zk package rejected.
func addToBatch(zb *zk.Batch, e *Election, b *Ballot, index int) error {
	if testHook != nil {
		testHook(b)
	}
	m, pk, X := e.Manifest, e.JointKey, b.Credential
	for i := range m.Contests {
		mc, bc := &m.Contests[i], &b.Contests[i]
		limit := mc.SelectionLimit()
		for j, s := range bc.Parts() {
			if err := s.Proof.AddToBatch(zb, partTranscript(e.BaseHash, X, mc, j), pk, s.Ciphertext, 0, limit); err != nil {
				return &ProofError{Ballot: index, Contest: mc.ID, Option: j, Proof: partProof(mc), Err: err}
			}
		}
		if mc.Kind == Ranked {
			continue
		}
		lo, hi := mc.SumRange()
		if err := bc.SumProof.AddToBatch(zb, sumTranscript(e.BaseHash, X, mc.ID), pk, sumCiphertext(bc.Selections), lo, hi); err != nil {
			return &ProofError{Ballot: index, Contest: mc.ID, Option: -1, Proof: ProofSum, Err: err}
		}
	}
	bh, err := b.Body.Hash()
	if err != nil {
		return fmt.Errorf("ballot %d: %w", index, err)
	}
	if err := b.Signature.AddToBatch(zb, signatureTranscript(e.BaseHash, bh), X); err != nil {
		return &ProofError{Ballot: index, Option: -1, Proof: ProofSignature, Err: err}
	}
	return nil
}

// batchChunk is the largest number of ballots checked with one multi-scalar
// multiplication. Larger chunks amortise the MSM better; smaller ones make
// the fallback after a failure cheaper and spread work over cores.
const batchChunk = 128

// VerifyBatch checks many ballots at once (e2e/SPEC.md §7.8) and returns one
// error per ballot, nil for a valid one, with the same meaning as [Verify]'s
// (ProofError.Ballot is the index in ballots).
//
// Shapes are checked first. The proofs of the remaining ballots are split in
// chunks of at most 128 ballots; each chunk's equations are combined with
// random weights into one multi-scalar multiplication ([zk.Batch]), and the
// chunks run in parallel on GOMAXPROCS goroutines. When a chunk fails it is
// split in halves and each half batch-verified again, down to a few
// ballots, which are then verified alone, proof by proof, so every bad
// ballot is named with its failing proof.
func VerifyBatch(e *Election, ballots []*Ballot) []error {
	return VerifyBatchOn(e, ballots, runtime.GOMAXPROCS(0))
}

// VerifyBatchOn is [VerifyBatch] on at most workers goroutines (at least
// one). A caller that already runs several batches at once (the server's
// admission) passes 1: splitting a small batch further over the cores
// would leave chunks too small for Pippenger's multi-scalar
// multiplication, which costs less per term than Straus's from a few
// hundred terms.
func VerifyBatchOn(e *Election, ballots []*Ballot, workers int) []error {
	workers = max(workers, 1)
	errs := make([]error, len(ballots))
	var ok []int
	for i, b := range ballots {
		if b == nil {
			errs[i] = fmt.Errorf("%w: ballot %d is nil", ErrMalformed, i)
			continue
		}
		if err := b.checkShape(e); err != nil {
			errs[i] = fmt.Errorf("ballot %d: %w", i, err)
			continue
		}
		ok = append(ok, i)
	}
	if len(ok) == 0 {
		return errs
	}
	size := min(batchChunk, (len(ok)+workers-1)/workers)
	var chunks [][]int
	for lo := 0; lo < len(ok); lo += size {
		chunks = append(chunks, ok[lo:min(lo+size, len(ok))])
	}
	next := make(chan []int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(chunks)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range next {
				safeChunk(e, ballots, chunk, errs)
			}
		}()
	}
	for _, c := range chunks {
		next <- c
	}
	close(next)
	wg.Wait()
	return errs
}

// testHook, if set (by tests), is called before each ballot is added to
// a batch or verified alone, so that tests can make verification panic.
var testHook func(b *Ballot)

// safeChunk is verifyChunk in a worker goroutine, where a panic would end
// the process: a chunk whose verification panics is verified again ballot
// by ballot, each on its own, so that only the ballot whose verification
// panics gets ErrInternal and the others their real verdict.
func safeChunk(e *Election, ballots []*Ballot, chunk []int, errs []error) {
	if recovered(func() { verifyChunk(e, ballots, chunk, errs, true) }) == nil {
		return
	}
	for _, i := range chunk {
		if r := recovered(func() { errs[i] = verifyOne(e, ballots[i], i) }); r != nil {
			errs[i] = fmt.Errorf("%w: verifying ballot %d panicked: %v", ErrInternal, i, r)
		}
	}
}

// recovered runs f and returns the value of its panic, or nil.
func recovered(f func()) (r any) {
	defer func() { r = recover() }()
	f()
	return nil
}

// bisectLeaf is the chunk size below which a failed batch is resolved by
// verifying each ballot alone rather than by splitting it further.
const bisectLeaf = 4

// verifyChunk batch-verifies the ballots at the given indices and writes
// their errors; each goroutine writes distinct indices of errs. When the
// batch fails it splits the chunk in halves and recurses, so one bad ballot
// among n costs about 2·log2(n) smaller batches instead of n single checks;
// chunks of at most bisectLeaf ballots left by a failed batch are checked
// one ballot at a time, proof by proof, which names the failing proof. A
// chunk is always tried as one batch first (top), however small: one
// multi-scalar multiplication costs about half of checking the same
// proofs one by one, and a server verifying as ballots arrive sees small
// batches.
func verifyChunk(e *Election, ballots []*Ballot, chunk []int, errs []error, top bool) {
	if len(chunk) <= bisectLeaf && !top {
		for _, i := range chunk {
			errs[i] = verifyOne(e, ballots[i], i)
		}
		return
	}
	zb := zk.NewBatch()
	var added []int
	for _, i := range chunk {
		if err := addToBatch(zb, e, ballots[i], i); err != nil {
			errs[i] = err
			continue
		}
		added = append(added, i)
	}
	if len(added) == 0 || zb.Verify() {
		return
	}
	if len(added) <= bisectLeaf {
		verifyChunk(e, ballots, added, errs, false)
		return
	}
	half := len(added) / 2
	verifyChunk(e, ballots, added[:half], errs, false)
	verifyChunk(e, ballots, added[half:], errs, false)
}
