package zk

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
)

// Proof labels appended to the transcript first by each proof (e2e/SPEC.md
// §5), so that one transcript can never serve two proof types.
const (
	labelSchnorr = "schnorr"
	labelDLEQ    = "dleq"
	labelRange   = "range"
)

var generator = group.Generator()

// checkElement rejects nil and identity statement or commitment points.
func checkElement(what string, p *group.Point) error {
	if p == nil {
		return fmt.Errorf("%w: %s is missing", ErrMalformed, what)
	}
	if p.IsIdentity() {
		return fmt.Errorf("%w: %s is the identity", ErrMalformed, what)
	}
	return nil
}

func checkScalar(what string, s *group.Scalar) error {
	if s == nil {
		return fmt.Errorf("%w: %s is missing", ErrMalformed, what)
	}
	return nil
}

// A Schnorr proof shows knowledge of x with X = x·G (e2e/SPEC.md §5.1).
// A = w·G is the commitment, z = w + c·x the response. JSON: {"a","z"}.
type Schnorr struct {
	A *group.Point
	Z *group.Scalar
}

// SchnorrSize is the size of the binary encoding A || z.
const SchnorrSize = group.PointSize + group.ScalarSize

func schnorrChallenge(t *Transcript, X, A *group.Point) *group.Scalar {
	t = t.Clone()
	t.Bytes("proof", []byte(labelSchnorr))
	t.Point("X", X)
	t.Point("A", A)
	return t.Challenge()
}

// ProveSchnorr proves knowledge of x with X = x·G. t holds the context; it is
// not modified. x must be the discrete log of X; the proof of a wrong x does
// not verify.
func ProveSchnorr(t *Transcript, x *group.Scalar, X *group.Point) *Schnorr {
	w := group.RandomNonZeroScalar()
	A := group.BaseMul(w)
	c := schnorrChallenge(t, X, A)
	return &Schnorr{A: A, Z: w.Add(c.Mul(x))}
}

func (p *Schnorr) check(X *group.Point) error {
	if p == nil {
		return fmt.Errorf("%w: schnorr proof is missing", ErrMalformed)
	}
	if err := checkElement("schnorr statement X", X); err != nil {
		return err
	}
	if err := checkElement("schnorr commitment a", p.A); err != nil {
		return err
	}
	return checkScalar("schnorr response z", p.Z)
}

// Verify checks the proof against X in the context t (not modified):
// z·G = A + c·X.
func (p *Schnorr) Verify(t *Transcript, X *group.Point) error {
	if err := p.check(X); err != nil {
		return err
	}
	c := schnorrChallenge(t, X, p.A)
	if !group.VarTimeDoubleBaseMul(c.Neg(), X, p.Z).Equal(p.A) {
		return fmt.Errorf("%w: schnorr: z·G ≠ a + c·X", ErrInvalidProof)
	}
	return nil
}

// AddToBatch checks the proof's shape and adds its equation
// a + c·X − z·G = 0 to b. The proof is only known to be valid once
// [Batch.Verify] returns true.
func (p *Schnorr) AddToBatch(b *Batch, t *Transcript, X *group.Point) error {
	if err := p.check(X); err != nil {
		return err
	}
	c := schnorrChallenge(t, X, p.A)
	e := b.begin()
	e.one(p.A)
	e.term(c, X)
	e.gen(p.Z.Neg())
	return nil
}

// Bytes returns the 64-byte encoding A || z.
func (p *Schnorr) Bytes() [SchnorrSize]byte {
	var out [SchnorrSize]byte
	a, z := p.A.Bytes(), p.Z.Bytes()
	copy(out[:32], a[:])
	copy(out[32:], z[:])
	return out
}

// DecodeSchnorr decodes exactly 64 bytes A || z: A a canonical non-identity
// point, z a reduced scalar.
func DecodeSchnorr(b []byte) (*Schnorr, error) {
	if len(b) != SchnorrSize {
		return nil, fmt.Errorf("%w: schnorr proof is %d bytes, want %d", ErrMalformed, len(b), SchnorrSize)
	}
	A, err := group.DecodeElement(b[:32])
	if err != nil {
		return nil, fmt.Errorf("%w: schnorr commitment a: %w", ErrMalformed, err)
	}
	z, err := group.DecodeScalar(b[32:])
	if err != nil {
		return nil, fmt.Errorf("%w: schnorr response z: %w", ErrMalformed, err)
	}
	return &Schnorr{A: A, Z: z}, nil
}

type schnorrJSON struct {
	A *group.Point  `json:"a"`
	Z *group.Scalar `json:"z"`
}

// MarshalJSON encodes p as {"a":"<hex>","z":"<hex>"}.
func (p *Schnorr) MarshalJSON() ([]byte, error) {
	if p.A == nil || p.Z == nil {
		return nil, fmt.Errorf("%w: schnorr proof has a nil field", ErrMalformed)
	}
	return canon.Marshal(schnorrJSON{A: p.A, Z: p.Z})
}

// UnmarshalJSON decodes {"a":"<hex>","z":"<hex>"} strictly: both fields,
// nothing else, canonical form, a not the identity.
func (p *Schnorr) UnmarshalJSON(data []byte) error {
	var w schnorrJSON
	if err := canon.Unmarshal(data, &w, 160); err != nil {
		return fmt.Errorf("%w: schnorr proof: %w", ErrMalformed, err)
	}
	if err := checkElement("schnorr commitment a", w.A); err != nil {
		return err
	}
	if err := checkScalar("schnorr response z", w.Z); err != nil {
		return err
	}
	*p = Schnorr{A: w.A, Z: w.Z}
	return nil
}
