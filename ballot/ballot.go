package ballot

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// MaxBallotSize bounds the encoding of a ballot in bytes (e2e/SPEC.md §7.3).
// Every ballot of a valid manifest fits: [MaxBallotBranches] bounds its
// proofs.
const MaxBallotSize = 8 << 20

// A Hash is a 32-byte digest; in JSON, 64 lowercase hexadecimal characters.
type Hash [32]byte

// MarshalText encodes h as 64 lowercase hexadecimal characters.
func (h Hash) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h[:])), nil }

// UnmarshalText decodes exactly 64 lowercase hexadecimal characters.
func (h *Hash) UnmarshalText(text []byte) error {
	if len(text) != 64 {
		return fmt.Errorf("hash is %d hex characters, want 64", len(text))
	}
	for _, c := range text {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("hash must be lowercase hex")
		}
	}
	_, err := hex.Decode(h[:], text)
	return err
}

// A Ballot is an encrypted, signed ballot (e2e/SPEC.md §7.3). Its JSON
// encoding is the fields of [Body] followed by "signature".
type Ballot struct {
	Body
	// Signature is a Schnorr proof of knowledge of the credential secret
	// whose transcript binds [Body.Hash] (e2e/SPEC.md §7.5).
	Signature *zk.Schnorr `json:"signature"`
}

// Body is the unsigned part of a ballot.
type Body struct {
	Version    string `json:"version"`     // "tabella/v1"
	ElectionID string `json:"election_id"` // the manifest's election_id
	BaseHash   Hash   `json:"base_hash"`   // the election's base hash
	// Credential is the voter's credential public key X, as on the roll.
	Credential *group.Point       `json:"credential"`
	Contests   []EncryptedContest `json:"contests"`
}

// An EncryptedContest holds one contest of a ballot (e2e/SPEC.md §7.3). A
// homomorphic contest (one_of_n, approval, score) has Selections, one per
// option in manifest order, and SumProof, the proof that their sum is in
// range; Ranks is nil. A ranked contest has only Ranks: L =
// max_selections ciphertexts, the 1st rank first, each encrypting the
// 1-based number of the option at that rank or 0 for none, with a proof
// that it is in 0..n (n the number of options); it has no sum proof.
type EncryptedContest struct {
	ID         string      `json:"id"`
	Selections []Selection `json:"selections,omitempty"`
	// SumProof proves that Σ selections' ciphertexts encrypts a value in the
	// contest's [Contest.SumRange].
	SumProof *zk.Range   `json:"sum_proof,omitempty"`
	Ranks    []Selection `json:"ranks,omitempty"`
}

// Parts returns the ciphertexts of c with their proofs: the selections of
// a homomorphic contest, the ranks of a ranked one.
func (c *EncryptedContest) Parts() []Selection {
	if c.Ranks != nil {
		return c.Ranks
	}
	return c.Selections
}

// A Selection is one option's (or, in a ranked contest, one rank's)
// encrypted value and the proof that it is in 0..[Contest.SelectionLimit].
type Selection struct {
	Ciphertext elgamal.Ciphertext `json:"ciphertext"`
	Proof      *zk.Range          `json:"proof"`
}

// DecodeBallot decodes a ballot strictly: canonical JSON (e2e/SPEC.md §1.1)
// of at most [MaxBallotSize] bytes, canonical non-identity points, reduced
// scalars, no missing fields. It does not check the ballot against an
// election; [Verify] does.
func DecodeBallot(data []byte) (*Ballot, error) {
	if len(data) > MaxBallotSize {
		return nil, fmt.Errorf("%w: ballot: %w: %d bytes, limit %d", ErrMalformed, canon.ErrTooLarge, len(data), MaxBallotSize)
	}
	b, err := parseBallot(data)
	if err != nil {
		return nil, fmt.Errorf("%w: ballot: %w", ErrMalformed, err)
	}
	if err := b.checkFields(); err != nil {
		return nil, err
	}
	// The parser accepts only the canonical layout; re-encoding and
	// comparing also pins string escapes to encoding/json's.
	again, err := appendBallot(make([]byte, 0, len(data)), b)
	if err != nil {
		return nil, fmt.Errorf("%w: ballot: %w", ErrMalformed, err)
	}
	if !bytes.Equal(again, data) {
		return nil, fmt.Errorf("%w: ballot: %w", ErrMalformed, canon.ErrNotCanonical)
	}
	return b, nil
}

// checkFields rejects missing (null) fields and identity points, which the
// JSON decoder lets through.
func (b *Ballot) checkFields() error {
	if b.Signature == nil {
		return fmt.Errorf("%w: ballot: missing signature", ErrMalformed)
	}
	if b.Signature.A == nil || b.Signature.Z == nil {
		return fmt.Errorf("%w: ballot: incomplete signature", ErrMalformed)
	}
	if b.Credential == nil {
		return fmt.Errorf("%w: ballot: missing credential", ErrMalformed)
	}
	if b.Credential.IsIdentity() {
		return fmt.Errorf("%w: ballot: credential: %w", ErrMalformed, group.ErrIdentity)
	}
	if b.Contests == nil {
		return fmt.Errorf("%w: ballot: missing contests", ErrMalformed)
	}
	for i := range b.Contests {
		c := &b.Contests[i]
		what := "option"
		if c.Ranks != nil {
			// A ranked part (e2e/SPEC.md §7.3): ranks only.
			if c.Selections != nil || c.SumProof != nil {
				return fmt.Errorf("%w: ballot: contest %d: has both ranks and selections or a sum proof", ErrMalformed, i)
			}
			if len(c.Ranks) == 0 {
				return fmt.Errorf("%w: ballot: contest %d: empty ranks", ErrMalformed, i)
			}
			what = "rank position"
		} else {
			if len(c.Selections) == 0 {
				return fmt.Errorf("%w: ballot: contest %d: missing selections (and no ranks)", ErrMalformed, i)
			}
			if c.SumProof == nil {
				return fmt.Errorf("%w: ballot: contest %d: missing sum proof", ErrMalformed, i)
			}
		}
		for j, s := range c.Parts() {
			if s.Ciphertext.A == nil || s.Ciphertext.B == nil {
				return fmt.Errorf("%w: ballot: contest %d %s %d: missing ciphertext", ErrMalformed, i, what, j)
			}
			if s.Proof == nil {
				return fmt.Errorf("%w: ballot: contest %d %s %d: missing proof", ErrMalformed, i, what, j)
			}
		}
	}
	return nil
}

// Encode returns the canonical encoding of b.
func (b *Ballot) Encode() ([]byte, error) {
	data, err := appendBallot(make([]byte, 0, b.encodedSizeHint()), b)
	if err != nil {
		return nil, fmt.Errorf("ballot: encoding ballot: %w", err)
	}
	return data, nil
}

// Hash returns the ballot hash, taggedHash("tabella/v1 ballot", canonical
// encoding of the signed ballot) (e2e/SPEC.md §7.6). It is what the board,
// receipts and the tracking code name a ballot by.
func (b *Ballot) Hash() ([32]byte, error) {
	data, err := b.Encode()
	if err != nil {
		return [32]byte{}, err
	}
	return HashEncoded(data), nil
}

// HashEncoded is [Ballot.Hash] of a ballot given by its canonical
// encoding (a ballot entry's payload), without decoding it.
func HashEncoded(encoding []byte) [32]byte { return taggedHash(tagBallot, encoding) }

// TrackingCode returns the tracking code of b (e2e/SPEC.md §7.7).
func (b *Ballot) TrackingCode() (TrackingCode, error) {
	h, err := b.Hash()
	if err != nil {
		return "", err
	}
	return NewTrackingCode(h), nil
}

// Hash returns taggedHash("tabella/v1 ballot-body", canonical encoding of
// the body), the message the ballot's signature binds (e2e/SPEC.md §7.5).
func (b *Body) Hash() ([32]byte, error) {
	data, err := appendBody(make([]byte, 0, b.encodedSizeHint()), b)
	if err != nil {
		return [32]byte{}, fmt.Errorf("ballot: encoding ballot body: %w", err)
	}
	return taggedHash(tagBallotBody, append(data, '}')), nil
}

// checkShape checks b against the election: version, election, base hash,
// and one contest per manifest contest, in order, with one selection per
// option (homomorphic contests) or exactly L ranks (ranked contests). It
// runs before any proof is looked at.
func (b *Ballot) checkShape(e *Election) error {
	if b.Version != Version {
		return fmt.Errorf("%w: version %q, want %q", ErrMalformed, b.Version, Version)
	}
	if b.ElectionID != e.Manifest.ElectionID {
		return fmt.Errorf("%w: election_id %q, want %q", ErrWrongElection, b.ElectionID, e.Manifest.ElectionID)
	}
	if [32]byte(b.BaseHash) != e.BaseHash {
		return fmt.Errorf("%w: base_hash %x, want %x", ErrWrongElection, b.BaseHash[:], e.BaseHash[:])
	}
	if err := b.checkFields(); err != nil {
		return err
	}
	m := e.Manifest
	if len(b.Contests) != len(m.Contests) {
		return fmt.Errorf("%w: %d contests, manifest has %d", ErrMalformed, len(b.Contests), len(m.Contests))
	}
	for i := range m.Contests {
		mc, bc := &m.Contests[i], &b.Contests[i]
		if bc.ID != mc.ID {
			return fmt.Errorf("%w: contest %d is %q, manifest has %q", ErrMalformed, i, bc.ID, mc.ID)
		}
		if mc.Kind == Ranked {
			if bc.Ranks == nil {
				return fmt.Errorf("%w: contest %q is ranked: the ballot has selections, not ranks", ErrMalformed, mc.ID)
			}
			if L := mc.RankingLength(); len(bc.Ranks) != L {
				return fmt.Errorf("%w: contest %q: %d ranks, the ranking length (max_selections) is %d", ErrMalformed, mc.ID, len(bc.Ranks), L)
			}
			continue
		}
		if bc.Ranks != nil {
			return fmt.Errorf("%w: contest %q is %s: the ballot has ranks, not selections", ErrMalformed, mc.ID, mc.Kind)
		}
		if len(bc.Selections) != len(mc.Options) {
			return fmt.Errorf("%w: contest %q: %d selections, manifest has %d options", ErrMalformed, mc.ID, len(bc.Selections), len(mc.Options))
		}
	}
	return nil
}

// BallotSize returns the exact length in bytes of the encoding of every
// ballot for e: all of a ballot's fields have a fixed size once the manifest
// is known (e2e/SPEC.md §7.3). A server can reject a request body of any
// other length before decoding it.
func (e *Election) BallotSize() int {
	if e.sized {
		return e.size
	}
	return e.ballotSize()
}

func (e *Election) ballotSize() int {
	m := e.Manifest
	gb := group.Generator().Bytes()
	g, _ := group.DecodePoint(gb[:]) // carries its encoding: cheap to encode
	zero := group.NewScalar(0)
	proof := func(n int) *zk.Range {
		p := &zk.Range{A: make([]*group.Point, n), B: make([]*group.Point, n), C: make([]*group.Scalar, n), Z: make([]*group.Scalar, n)}
		for k := 0; k < n; k++ {
			p.A[k], p.B[k], p.C[k], p.Z[k] = g, g, zero, zero
		}
		return p
	}
	b := &Ballot{Body: Body{
		Version:    Version,
		ElectionID: m.ElectionID,
		Credential: g,
		Contests:   make([]EncryptedContest, len(m.Contests)),
	}, Signature: &zk.Schnorr{A: g, Z: zero}}
	for i := range m.Contests {
		c := &m.Contests[i]
		sel := proof(int(c.SelectionLimit()) + 1)
		if c.Kind == Ranked {
			ec := EncryptedContest{ID: c.ID, Ranks: make([]Selection, c.RankingLength())}
			for j := range ec.Ranks {
				ec.Ranks[j] = Selection{Ciphertext: elgamal.Ciphertext{A: g, B: g}, Proof: sel}
			}
			b.Contests[i] = ec
			continue
		}
		lo, hi := c.SumRange()
		ec := EncryptedContest{ID: c.ID, Selections: make([]Selection, len(c.Options)), SumProof: proof(int(hi-lo) + 1)}
		for j := range ec.Selections {
			ec.Selections[j] = Selection{Ciphertext: elgamal.Ciphertext{A: g, B: g}, Proof: sel}
		}
		b.Contests[i] = ec
	}
	data, err := appendBallot(nil, b)
	if err != nil {
		return 0
	}
	return len(data)
}
