package ceremony

import (
	"fmt"
	"slices"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// Board entry types of the ceremony messages (e2e/SPEC.md §9.3–§9.7).
const (
	TypeParams      = "ceremony.params" // the [Params], posted by the official
	TypeCommitments = "ceremony.commitments"
	TypeShares      = "ceremony.shares"
	TypeComplaints  = "ceremony.complaints"
	TypeAnswer      = "ceremony.answer"
	TypeResult      = "ceremony.result"
)

// Commitments is round 1 (e2e/SPEC.md §9.3): trustee i's Feldman commitments
// Cᵢₖ = aᵢₖ·G, k = 0..t−1, a Schnorr proof of knowledge of each aᵢₖ, and its
// coefficients HPKE-encrypted to itself.
type Commitments struct {
	Ceremony    Hash           `json:"ceremony"`
	Trustee     int            `json:"trustee"`
	Commitments []*group.Point `json:"commitments"`
	Proofs      []*zk.Schnorr  `json:"proofs"`
	Backup      Sealed         `json:"backup"`
}

// Sealed is an HPKE ciphertext: the encapsulated key and the AEAD output.
type Sealed struct {
	Enc Hash  `json:"enc"`
	CT  Bytes `json:"ct"`
}

// Shares is round 2 (e2e/SPEC.md §9.4): trustee i's share fᵢ(j) for every
// other trustee j, HPKE-encrypted to j, in increasing order of j.
type Shares struct {
	Ceremony Hash             `json:"ceremony"`
	Trustee  int              `json:"trustee"`
	Shares   []EncryptedShare `json:"shares"`
}

// EncryptedShare is one share in a [Shares] message.
type EncryptedShare struct {
	Recipient int   `json:"recipient"`
	Enc       Hash  `json:"enc"`
	CT        Bytes `json:"ct"`
}

// Complaints is round 3 (e2e/SPEC.md §9.5): the dealers whose share to
// trustee j failed to decrypt or to match their commitments, in increasing
// order; empty if none.
type Complaints struct {
	Ceremony Hash  `json:"ceremony"`
	Trustee  int   `json:"trustee"`
	Accused  []int `json:"accused"`
}

// Answer is round 4 (e2e/SPEC.md §9.6): an accused dealer i reveals fᵢ(j) for
// every trustee j that complained about it, in increasing order of j.
type Answer struct {
	Ceremony Hash            `json:"ceremony"`
	Trustee  int             `json:"trustee"`
	Revealed []RevealedShare `json:"revealed"`
}

// RevealedShare is one share revealed in an [Answer].
type RevealedShare struct {
	Recipient int           `json:"recipient"`
	Share     *group.Scalar `json:"share"`
}

// ResultMessage is the ceremony's outcome (e2e/SPEC.md §9.7), posted by the
// coordinator; anyone recomputes it with [Replay] and compares.
// VerificationKeys[k] belongs to trustee Qualified[k].
type ResultMessage struct {
	Ceremony         Hash           `json:"ceremony"`
	Threshold        int            `json:"threshold"`
	Qualified        []int          `json:"qualified"`
	JointKey         *group.Point   `json:"joint_key"`
	VerificationKeys []*group.Point `json:"verification_keys"`
}

func checkTrustee(p *Params, what string, i int) error {
	if i < 1 || i > p.N() {
		return fmt.Errorf("%w: %s: trustee index %d, want 1..%d", ErrMalformed, what, i, p.N())
	}
	return nil
}

func checkElements(what string, ps []*group.Point) error {
	for k, P := range ps {
		if P == nil || P.IsIdentity() {
			return fmt.Errorf("%w: %s %d is missing or the identity", ErrMalformed, what, k)
		}
	}
	return nil
}

// DecodeCommitments decodes a [TypeCommitments] payload strictly and checks
// its shape against p (not its proofs: see [Replay]).
func DecodeCommitments(data []byte, p *Params) (*Commitments, error) {
	var m Commitments
	if err := canon.Unmarshal(data, &m, maxMessageSize); err != nil {
		return nil, fmt.Errorf("%w: commitments: %w", ErrMalformed, err)
	}
	if err := checkTrustee(p, "commitments", m.Trustee); err != nil {
		return nil, err
	}
	t := p.Threshold
	if len(m.Commitments) != t || len(m.Proofs) != t {
		return nil, fmt.Errorf("%w: commitments of trustee %d: %d commitments and %d proofs, want %d", ErrMalformed, m.Trustee, len(m.Commitments), len(m.Proofs), t)
	}
	if err := checkElements(fmt.Sprintf("commitments of trustee %d: commitment", m.Trustee), m.Commitments); err != nil {
		return nil, err
	}
	for k, pr := range m.Proofs {
		if pr == nil {
			return nil, fmt.Errorf("%w: commitments of trustee %d: proof %d missing", ErrMalformed, m.Trustee, k)
		}
	}
	if len(m.Backup.CT) != t*scalarSize+16 {
		return nil, fmt.Errorf("%w: commitments of trustee %d: backup is %d bytes, want %d", ErrMalformed, m.Trustee, len(m.Backup.CT), t*scalarSize+16)
	}
	return &m, nil
}

// DecodeShares decodes a [TypeShares] payload strictly and checks its shape:
// one share for each trustee other than the sender, in increasing order.
func DecodeShares(data []byte, p *Params) (*Shares, error) {
	var m Shares
	if err := canon.Unmarshal(data, &m, maxMessageSize); err != nil {
		return nil, fmt.Errorf("%w: shares: %w", ErrMalformed, err)
	}
	if err := checkTrustee(p, "shares", m.Trustee); err != nil {
		return nil, err
	}
	if m.Shares == nil || len(m.Shares) != p.N()-1 {
		return nil, fmt.Errorf("%w: shares of trustee %d: %d shares, want %d", ErrMalformed, m.Trustee, len(m.Shares), p.N()-1)
	}
	want := 1
	for _, s := range m.Shares {
		if want == m.Trustee {
			want++
		}
		if s.Recipient != want {
			return nil, fmt.Errorf("%w: shares of trustee %d: recipient %d, want %d", ErrMalformed, m.Trustee, s.Recipient, want)
		}
		if len(s.CT) != shareCTSize {
			return nil, fmt.Errorf("%w: shares of trustee %d: share for %d is %d bytes, want %d", ErrMalformed, m.Trustee, s.Recipient, len(s.CT), shareCTSize)
		}
		want++
	}
	return &m, nil
}

// DecodeComplaints decodes a [TypeComplaints] payload strictly: accused
// indices strictly increasing, in range, not the complainer.
func DecodeComplaints(data []byte, p *Params) (*Complaints, error) {
	var m Complaints
	if err := canon.Unmarshal(data, &m, maxMessageSize); err != nil {
		return nil, fmt.Errorf("%w: complaints: %w", ErrMalformed, err)
	}
	if err := checkTrustee(p, "complaints", m.Trustee); err != nil {
		return nil, err
	}
	if m.Accused == nil {
		return nil, fmt.Errorf("%w: complaints of trustee %d: accused is null", ErrMalformed, m.Trustee)
	}
	for k, a := range m.Accused {
		if err := checkTrustee(p, "complaints", a); err != nil {
			return nil, err
		}
		if a == m.Trustee || (k > 0 && a <= m.Accused[k-1]) {
			return nil, fmt.Errorf("%w: complaints of trustee %d: accused list not strictly increasing or names the complainer", ErrMalformed, m.Trustee)
		}
	}
	return &m, nil
}

// DecodeAnswer decodes a [TypeAnswer] payload strictly: recipients strictly
// increasing, in range, not the sender, each with a share.
func DecodeAnswer(data []byte, p *Params) (*Answer, error) {
	var m Answer
	if err := canon.Unmarshal(data, &m, maxMessageSize); err != nil {
		return nil, fmt.Errorf("%w: answer: %w", ErrMalformed, err)
	}
	if err := checkTrustee(p, "answer", m.Trustee); err != nil {
		return nil, err
	}
	if m.Revealed == nil {
		return nil, fmt.Errorf("%w: answer of trustee %d: revealed is null", ErrMalformed, m.Trustee)
	}
	for k, r := range m.Revealed {
		if err := checkTrustee(p, "answer", r.Recipient); err != nil {
			return nil, err
		}
		if r.Recipient == m.Trustee || (k > 0 && r.Recipient <= m.Revealed[k-1].Recipient) || r.Share == nil {
			return nil, fmt.Errorf("%w: answer of trustee %d: revealed shares not strictly increasing, for the sender, or missing", ErrMalformed, m.Trustee)
		}
	}
	return &m, nil
}

// DecodeResult decodes a [TypeResult] payload strictly.
func DecodeResult(data []byte, p *Params) (*ResultMessage, error) {
	var m ResultMessage
	if err := canon.Unmarshal(data, &m, maxMessageSize); err != nil {
		return nil, fmt.Errorf("%w: result: %w", ErrMalformed, err)
	}
	if m.JointKey == nil || m.JointKey.IsIdentity() || m.Qualified == nil || len(m.Qualified) != len(m.VerificationKeys) {
		return nil, fmt.Errorf("%w: result: missing joint key or mismatched verification keys", ErrMalformed)
	}
	if !slices.IsSorted(m.Qualified) {
		return nil, fmt.Errorf("%w: result: qualified set not sorted", ErrMalformed)
	}
	for k, q := range m.Qualified {
		if err := checkTrustee(p, "result", q); err != nil {
			return nil, err
		}
		if k > 0 && q == m.Qualified[k-1] {
			return nil, fmt.Errorf("%w: result: duplicate trustee %d", ErrMalformed, q)
		}
	}
	if err := checkElements("result: verification key", m.VerificationKeys); err != nil {
		return nil, err
	}
	return &m, nil
}

func marshal(v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		panic("ceremony: internal error: marshal: " + err.Error())
	}
	return b
}

// pokTranscript is the context of the proof of knowledge of coefficient k of
// trustee i (e2e/SPEC.md §9.3).
func pokTranscript(ceremony [32]byte, i, k int) *zk.Transcript {
	t := zk.NewTranscript("tabella-v1-ceremony-coefficient", ceremony)
	t.Uint64("trustee", uint64(i))
	t.Uint64("coefficient", uint64(k))
	return t
}
