package bulletin

import (
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxProofLen bounds the number of hashes in an inclusion or consistency
// proof (a tree of at most 2^62 leaves needs at most 2*62).
const MaxProofLen = 128

// ErrProof is wrapped by errors about an inclusion or consistency proof that
// does not verify or is malformed.
var ErrProof = errors.New("bulletin: proof does not verify")

// ErrFork is wrapped by errors reporting two signed checkpoints that cannot
// both be honest: same size with different roots, or a consistency proof
// between them that fails.
var ErrFork = errors.New("bulletin: fork: checkpoints are inconsistent")

// A Receipt proves that an entry is on an election's board
// (e2e/SPEC.md §8.6). It verifies offline with the board's public key.
type Receipt struct {
	Election   string `json:"election"`
	Index      uint64 `json:"index"`
	EntryHash  Hash   `json:"entry_hash"`
	Checkpoint string `json:"checkpoint"`
	Inclusion  []Hash `json:"inclusion"`
}

// MaxReceiptJSON bounds the JSON form of a receipt.
const MaxReceiptJSON = 2*MaxNoteSize + MaxProofLen*70 + 1024

// ParseReceipt decodes the canonical JSON form of a receipt strictly. It
// does not verify it: see [VerifyReceipt].
func ParseReceipt(data []byte) (*Receipt, error) {
	var r Receipt
	if err := canon.Unmarshal(data, &r, MaxReceiptJSON); err != nil {
		return nil, fmt.Errorf("%w: receipt: %w", ErrEncoding, err)
	}
	if !ValidElectionID(r.Election) {
		return nil, fmt.Errorf("%w: receipt: malformed election id", ErrEncoding)
	}
	if r.Inclusion == nil || len(r.Inclusion) > MaxProofLen {
		return nil, fmt.Errorf("%w: receipt: inclusion proof missing or too long", ErrEncoding)
	}
	return &r, nil
}

// MarshalReceipt returns the canonical JSON form of r.
func MarshalReceipt(r *Receipt) []byte {
	if r.Inclusion == nil {
		r.Inclusion = []Hash{}
	}
	b, err := canon.Marshal(r)
	if err != nil {
		panic("bulletin: internal error: marshal receipt: " + err.Error())
	}
	return b
}

// VerifyReceipt checks a receipt offline against the board's public note
// key: the checkpoint's signature and origin, then the inclusion proof of
// the entry hash at the receipt's index in the checkpoint's tree. It
// returns the verified checkpoint.
func VerifyReceipt(r *Receipt, board note.Verifier) (*SignedCheckpoint, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: nil receipt", ErrProof)
	}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), r.Election, board)
	if err != nil {
		return nil, fmt.Errorf("receipt for entry %d: %w", r.Index, err)
	}
	if err := VerifyInclusion(cp.Checkpoint, r.Index, r.EntryHash, r.Inclusion); err != nil {
		return nil, fmt.Errorf("receipt for entry %d: %w", r.Index, err)
	}
	return cp, nil
}

// VerifyReceiptLater checks a receipt and then that the later signed
// checkpoint extends the receipt's checkpoint, using proof, the
// consistency proof from the receipt's tree size to the later one. A
// failure of the last step wraps [ErrFork].
func VerifyReceiptLater(r *Receipt, later []byte, proof []Hash, board note.Verifier) error {
	cp, err := VerifyReceipt(r, board)
	if err != nil {
		return err
	}
	lcp, err := OpenCheckpoint(later, r.Election, board)
	if err != nil {
		return fmt.Errorf("later checkpoint: %w", err)
	}
	return VerifyConsistency(cp.Checkpoint, lcp.Checkpoint, proof)
}

// VerifyInclusion checks that proof shows the entry with hash entryHash at
// index in the tree of checkpoint cp.
func VerifyInclusion(cp Checkpoint, index uint64, entryHash Hash, proof []Hash) error {
	if index >= cp.Size {
		return fmt.Errorf("%w: entry %d is beyond tree size %d", ErrProof, index, cp.Size)
	}
	if len(proof) > MaxProofLen {
		return fmt.Errorf("%w: inclusion proof of %d hashes", ErrProof, len(proof))
	}
	err := tlog.CheckRecord(toTlog(proof), int64(cp.Size), tlog.Hash(cp.Root), int64(index), tlog.Hash(LeafHash(entryHash)))
	if err != nil {
		return fmt.Errorf("%w: inclusion of entry %d in tree of size %d: %v", ErrProof, index, cp.Size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of checkpoint new extends the tree
// of checkpoint old, by proof. Equal sizes need an empty proof and equal
// roots. Any failure wraps both [ErrProof] and [ErrFork]: two validly signed
// checkpoints that fail this check are evidence of a fork. Checkpoints of
// different origins are not comparable and fail with [ErrCheckpoint].
func VerifyConsistency(old, new Checkpoint, proof []Hash) error {
	if old.Origin != new.Origin {
		return fmt.Errorf("%w: origins differ: %q and %q", ErrCheckpoint, old.Origin, new.Origin)
	}
	if old.Size > new.Size {
		old, new = new, old
	}
	if len(proof) > MaxProofLen {
		return fmt.Errorf("%w: %w: consistency proof of %d hashes", ErrFork, ErrProof, len(proof))
	}
	if old.Size == new.Size {
		if old.Root != new.Root || len(proof) != 0 {
			return fmt.Errorf("%w: %w: two trees of size %d with different roots", ErrFork, ErrProof, old.Size)
		}
		return nil
	}
	if old.Size == 0 {
		if len(proof) != 0 {
			return fmt.Errorf("%w: %w: non-empty proof from the empty tree", ErrFork, ErrProof)
		}
		return nil
	}
	if err := tlog.CheckTree(toTlog(proof), int64(new.Size), tlog.Hash(new.Root), int64(old.Size), tlog.Hash(old.Root)); err != nil {
		return fmt.Errorf("%w: %w: tree of size %d does not extend tree of size %d: %v", ErrFork, ErrProof, new.Size, old.Size, err)
	}
	return nil
}

// Evidence is a transferable proof that a board signed two inconsistent
// histories of one election (e2e/SPEC.md §8.8): both signed notes and the
// consistency proof the board served between them (empty for equal sizes).
type Evidence struct {
	Election string `json:"election"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Proof    []Hash `json:"proof"`
	Reason   string `json:"reason"`
}

// CheckEvidence verifies evidence of a fork against the board key: both
// notes must be validly signed for the election and must fail
// [VerifyConsistency] with the given proof. It returns nil when the
// evidence is conclusive.
//
// With a wrong proof alone a third party cannot tell a forking board from a
// proof served wrongly; evidence with equal sizes and different roots is
// conclusive by itself.
func CheckEvidence(ev *Evidence, board note.Verifier) error {
	a, err := OpenCheckpoint([]byte(ev.Old), ev.Election, board)
	if err != nil {
		return fmt.Errorf("evidence, old checkpoint: %w", err)
	}
	b, err := OpenCheckpoint([]byte(ev.New), ev.Election, board)
	if err != nil {
		return fmt.Errorf("evidence, new checkpoint: %w", err)
	}
	if VerifyConsistency(a.Checkpoint, b.Checkpoint, ev.Proof) == nil {
		return fmt.Errorf("bulletin: evidence is not conclusive: the checkpoints are consistent")
	}
	return nil
}
