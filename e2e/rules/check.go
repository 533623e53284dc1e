package rules

import (
	"errors"
	"fmt"
)

// A Check names one rule of the verification procedure (e2e/SPEC.md §12):
// the verifier reports failures by Check, and the service refuses a
// submission with the Check of the rule it breaks, so the two can be
// compared. Each constant's comment gives the SPEC section it implements.
type Check string

// Checks of the board itself: entries, chain, tree and checkpoints. They
// are checked by the record reader and the verifier (the service builds
// the chain itself, so no submission can break them).
const (
	CheckFormat     Check = "record.format"    // record file format (§11.7)
	CheckBoardKey   Check = "board.key"        // header, pinned and setup board keys (§11.3)
	CheckEntry      Check = "board.entry"      // entry shape and hash (§8.1, §8.2)
	CheckChain      Check = "board.chain"      // index, prev, time (§8.2)
	CheckCheckpoint Check = "board.checkpoint" // signature, origin, body, order (§8.4)
	CheckFork       Check = "board.fork"       // two checkpoints of one size with different roots (§8.8)
	CheckRoot       Check = "board.root"       // checkpoint root ≠ tree of the record's entries (§8.3)
	CheckWitness    Check = "board.witness"    // witness cosignature quorum (§8.5)
	CheckLast       Check = "record.last"      // last line is a checkpoint of every entry (§11.7)
	CheckComplete   Check = "record.complete"  // the record ends before the result (§12)
)

// Checks of the election rules, implemented by [State.Apply],
// [VerifyBallots] and [Recount].
const (
	CheckDuplicate      Check = "board.duplicate"    // repeated submission (§8.1)
	CheckType           Check = "entry.type"         // unknown entry type (§11.2)
	CheckSigner         Check = "entry.signer"       // signer malformed or not allowed (§11.1)
	CheckSignature      Check = "entry.signature"    // entry signature (§11.1)
	CheckOrder          Check = "entry.order"        // order and multiplicity (§11.2)
	CheckSetup          Check = "setup"              // election.setup payload (§11.3)
	CheckManifest       Check = "manifest"           // election.manifest (§6)
	CheckRoll           Check = "roll"               // roll chunks (§11.4)
	CheckRollSeal       Check = "roll.seal"          // roll size and hash (§11.4)
	CheckCeremonyParams Check = "ceremony.params"    // ceremony parameters (§9.2, §11.2)
	CheckCeremonyMsg    Check = "ceremony.message"   // a trustee's ceremony message (§9.3–§9.6, §11.2)
	CheckQualified      Check = "ceremony.qualified" // posted QUAL includes a disqualified trustee (§9.8)
	CheckCeremonyResult Check = "ceremony.result"    // posted outcome ≠ replay (§9.7, §9.8)
	CheckPhase          Check = "phase"              // election.open / election.close payload (§11.5)
	CheckBallotDecode   Check = "ballot.decode"      // ballot encoding (§7.3)
	CheckBallotRoll     Check = "ballot.roll"        // credential not on the roll (§11.2)
	CheckBallotSigner   Check = "ballot.signer"      // entry signer ≠ ballot credential (§11.1)
	CheckBallotSchedule Check = "ballot.schedule"    // board time outside the manifest's schedule (§11.2)
	CheckBallotSpoiled  Check = "ballot.spoiled"     // a cast ballot that was also spoiled (§7.9, §11.2)
	CheckBallotElection Check = "ballot.election"    // election id, base hash, shape (§7.8 1–2)
	CheckBallotProof    Check = "ballot.proof"       // validity proofs and signature (§7.8 3–5)
	CheckSpoiled        Check = "spoiled"            // spoiled ballot (§7.9)
	CheckShare          Check = "tally.share"        // decryption shares (§10.3, §10.4)
	CheckResult         Check = "tally.result"       // posted result ≠ recomputation (§10.5)
	CheckMix            Check = "mix.shuffle"        // a mix: payload, input list, shuffle proof (§16.2)
	CheckMixShare       Check = "mix.share"          // decryption shares of a final list (§16.3)
	CheckMixResult      Check = "mix.result"         // posted plaintexts ≠ recomputation (§16.4)
	// CheckMixPending: a ranked contest has not been counted. Its ballots'
	// rankings are verified (§7.8), but this version of the rules has no
	// mix cascade, so its count awaits the mix (§12.5); the verifier
	// reports it instead of passing the election.
	CheckMixPending Check = "mix.pending"
)

// Reasons: every [Violation] wraps exactly one of them, so that a caller
// (the service's API) can tell the kind of refusal without parsing text.
var (
	ErrMalformed     = errors.New("malformed")
	ErrWrongElection = errors.New("wrong election")
	ErrNotOpen       = errors.New("not open")
	ErrClosed        = errors.New("closed")
	ErrNotOnRoll     = errors.New("credential not on the roll")
	ErrBadSignature  = errors.New("bad signature")
	ErrBadProof      = errors.New("bad proof")
	ErrSpoiled       = errors.New("spoiled ballot")
	ErrConflict      = errors.New("conflicts with the board")
	ErrForbidden     = errors.New("signer not allowed")
)

// A Violation is an entry that breaks a rule: which entry, which rule,
// and what failed. [State.Apply] returns one and leaves the state as it
// was.
type Violation struct {
	Check Check
	Index uint64 // the entry's index
	Type  string // the entry's type
	// Fatal violations leave nothing after them checkable (a bad setup,
	// manifest, ceremony parameters or ceremony result).
	Fatal  bool
	Msg    string
	reason error
	cause  error
}

func (v *Violation) Error() string {
	return fmt.Sprintf("entry %d (%s): %s: %s", v.Index, v.Type, v.Check, v.Msg)
}

// Unwrap returns the reason (one of the Err… variables) and the cause, if
// any (an error of the ballot, record, ceremony or tally packages).
func (v *Violation) Unwrap() []error {
	if v.cause == nil {
		return []error{v.reason}
	}
	return []error{v.reason, v.cause}
}

// Cause returns the error of a lower package that caused the violation,
// or nil.
func (v *Violation) Cause() error { return v.cause }
