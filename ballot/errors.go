package ballot

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Errors returned by this package wrap one of them with
// detail naming what failed; test with errors.Is.
var (
	// ErrInvalidManifest: a manifest failed to decode or validate.
	ErrInvalidManifest = errors.New("ballot: invalid manifest")
	// ErrInvalidChoices: plaintext choices do not fit the manifest.
	ErrInvalidChoices = errors.New("ballot: invalid choices")
	// ErrOverVote: more selections, or a larger total or score, than a
	// contest allows. It is always wrapped together with ErrInvalidChoices.
	ErrOverVote = errors.New("ballot: over-vote")
	// ErrUnderVote: fewer selections, or a smaller total, than a contest
	// requires. It is always wrapped together with ErrInvalidChoices.
	ErrUnderVote = errors.New("ballot: under-vote")
	// ErrMalformed: a ballot, spoiled ballot or receipt value failed to
	// decode, or does not have the shape the manifest requires.
	ErrMalformed = errors.New("ballot: malformed")
	// ErrInvalidBallot: a well-formed ballot failed verification.
	ErrInvalidBallot = errors.New("ballot: invalid ballot")
	// ErrWrongElection: a ballot names another election or base hash.
	ErrWrongElection = errors.New("ballot: ballot is for another election")
	// ErrInvalidCredential: a printable credential failed to decode.
	ErrInvalidCredential = errors.New("ballot: invalid credential")
	// ErrInvalidTrackingCode: a tracking code failed to decode.
	ErrInvalidTrackingCode = errors.New("ballot: invalid tracking code")
	// ErrSpoiledMismatch: a spoiled ballot's revealed plaintexts and nonces
	// do not reproduce its ciphertexts.
	ErrSpoiledMismatch = errors.New("ballot: spoiled ballot does not open to its ciphertexts")
	// ErrInternal: verification failed by a fault of this code (a
	// recovered panic), not of the ballot. [VerifyBatch] reports it for
	// the ballot whose verification panicked, and only for it.
	ErrInternal = errors.New("ballot: internal error")
)

// Proof names used in [ProofError].
const (
	ProofSelection = "selection range proof"
	ProofSum       = "contest sum proof"
	ProofRank      = "rank range proof"
	ProofSignature = "signature"
)

// A ProofError names the proof of a ballot that failed verification. It
// wraps ErrInvalidBallot and the underlying cause.
type ProofError struct {
	Ballot  int    // index in the batch passed to VerifyBatch; 0 for Verify
	Contest string // contest id; empty for the signature
	Option  int    // option index for a selection proof, rank position (0 = 1st) for a rank proof; -1 otherwise
	Proof   string // ProofSelection, ProofRank, ProofSum or ProofSignature
	Err     error  // the verifier's error
}

// Error names the ballot, contest, option and proof, and the cause.
func (e *ProofError) Error() string {
	where := "ballot " + strconv.Itoa(e.Ballot) + ": "
	switch {
	case e.Option >= 0 && e.Proof == ProofRank:
		where += fmt.Sprintf("contest %q rank position %d: ", e.Contest, e.Option)
	case e.Option >= 0:
		where += fmt.Sprintf("contest %q option %d: ", e.Contest, e.Option)
	case e.Contest != "":
		where += fmt.Sprintf("contest %q: ", e.Contest)
	}
	return fmt.Sprintf("%v: %s%s failed: %v", ErrInvalidBallot, where, e.Proof, e.Err)
}

// Unwrap returns ErrInvalidBallot and the cause.
func (e *ProofError) Unwrap() []error { return []error{ErrInvalidBallot, e.Err} }
