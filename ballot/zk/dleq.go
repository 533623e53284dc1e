package zk

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
)

// A DLEQ proof (Chaum-Pedersen) shows knowledge of x with X = x·g and
// Y = x·h (e2e/SPEC.md §5.2). It proves a decryption share: g = G, X the
// trustee's verification key, h the aggregate ciphertext's A, Y the share.
// A1 = w·g and A2 = w·h are the commitments, z = w + c·x the response.
// JSON: {"a1","a2","z"}.
type DLEQ struct {
	A1, A2 *group.Point
	Z      *group.Scalar
}

// DLEQSize is the size of the binary encoding A1 || A2 || z.
const DLEQSize = 2*group.PointSize + group.ScalarSize

func dleqChallenge(t *Transcript, g, X, h, Y, A1, A2 *group.Point) *group.Scalar {
	t = t.Clone()
	t.Bytes("proof", []byte(labelDLEQ))
	t.Point("g", g)
	t.Point("X", X)
	t.Point("h", h)
	t.Point("Y", Y)
	t.Point("A1", A1)
	t.Point("A2", A2)
	return t.Challenge()
}

// mulBase returns s·g in constant time, with the fixed-base table when g is
// the generator.
func mulBase(g *group.Point, s *group.Scalar) *group.Point {
	if g.Equal(generator) {
		return group.BaseMul(s)
	}
	return g.Mul(s)
}

// ProveDLEQ proves knowledge of x with X = x·g and Y = x·h. t holds the
// context; it is not modified.
func ProveDLEQ(t *Transcript, x *group.Scalar, g, X, h, Y *group.Point) *DLEQ {
	w := group.RandomNonZeroScalar()
	A1, A2 := mulBase(g, w), mulBase(h, w)
	c := dleqChallenge(t, g, X, h, Y, A1, A2)
	return &DLEQ{A1: A1, A2: A2, Z: w.Add(c.Mul(x))}
}

func checkDLEQStatement(g, X, h, Y *group.Point) error {
	for _, s := range []struct {
		n string
		p *group.Point
	}{{"g", g}, {"X", X}, {"h", h}, {"Y", Y}} {
		if err := checkElement("dleq statement "+s.n, s.p); err != nil {
			return err
		}
	}
	return nil
}

func (p *DLEQ) check(g, X, h, Y *group.Point) error {
	if p == nil {
		return fmt.Errorf("%w: dleq proof is missing", ErrMalformed)
	}
	if err := checkDLEQStatement(g, X, h, Y); err != nil {
		return err
	}
	if err := checkElement("dleq commitment a1", p.A1); err != nil {
		return err
	}
	if err := checkElement("dleq commitment a2", p.A2); err != nil {
		return err
	}
	return checkScalar("dleq response z", p.Z)
}

// varTimeLin returns z·g − c·X (variable time, public values only).
func varTimeLin(z *group.Scalar, g *group.Point, c *group.Scalar, X *group.Point) *group.Point {
	if g.Equal(generator) {
		return group.VarTimeDoubleBaseMul(c.Neg(), X, z)
	}
	return group.VarTimeMSM([]*group.Scalar{z, c.Neg()}, []*group.Point{g, X})
}

// Verify checks the proof against (g, X, h, Y) in the context t (not
// modified): z·g = A1 + c·X and z·h = A2 + c·Y.
func (p *DLEQ) Verify(t *Transcript, g, X, h, Y *group.Point) error {
	if err := p.check(g, X, h, Y); err != nil {
		return err
	}
	c := dleqChallenge(t, g, X, h, Y, p.A1, p.A2)
	if !varTimeLin(p.Z, g, c, X).Equal(p.A1) {
		return fmt.Errorf("%w: dleq: z·g ≠ a1 + c·X", ErrInvalidProof)
	}
	if !varTimeLin(p.Z, h, c, Y).Equal(p.A2) {
		return fmt.Errorf("%w: dleq: z·h ≠ a2 + c·Y", ErrInvalidProof)
	}
	return nil
}

// AddToBatch checks the proof's shape and adds its two equations
// a1 + c·X − z·g = 0 and a2 + c·Y − z·h = 0 to b.
func (p *DLEQ) AddToBatch(b *Batch, t *Transcript, g, X, h, Y *group.Point) error {
	if err := p.check(g, X, h, Y); err != nil {
		return err
	}
	c := dleqChallenge(t, g, X, h, Y, p.A1, p.A2)
	nz := p.Z.Neg()
	for _, s := range []struct{ a, base, pub *group.Point }{{p.A1, g, X}, {p.A2, h, Y}} {
		e := b.begin()
		e.one(s.a)
		e.term(c, s.pub)
		if s.base.Equal(generator) {
			e.gen(nz)
		} else {
			e.term(nz, s.base)
		}
	}
	return nil
}

// Bytes returns the 96-byte encoding A1 || A2 || z.
func (p *DLEQ) Bytes() [DLEQSize]byte {
	var out [DLEQSize]byte
	a1, a2, z := p.A1.Bytes(), p.A2.Bytes(), p.Z.Bytes()
	copy(out[:32], a1[:])
	copy(out[32:64], a2[:])
	copy(out[64:], z[:])
	return out
}

// DecodeDLEQ decodes exactly 96 bytes A1 || A2 || z: canonical non-identity
// points and a reduced scalar.
func DecodeDLEQ(b []byte) (*DLEQ, error) {
	if len(b) != DLEQSize {
		return nil, fmt.Errorf("%w: dleq proof is %d bytes, want %d", ErrMalformed, len(b), DLEQSize)
	}
	A1, err := group.DecodeElement(b[:32])
	if err != nil {
		return nil, fmt.Errorf("%w: dleq commitment a1: %w", ErrMalformed, err)
	}
	A2, err := group.DecodeElement(b[32:64])
	if err != nil {
		return nil, fmt.Errorf("%w: dleq commitment a2: %w", ErrMalformed, err)
	}
	z, err := group.DecodeScalar(b[64:])
	if err != nil {
		return nil, fmt.Errorf("%w: dleq response z: %w", ErrMalformed, err)
	}
	return &DLEQ{A1: A1, A2: A2, Z: z}, nil
}

type dleqJSON struct {
	A1 *group.Point  `json:"a1"`
	A2 *group.Point  `json:"a2"`
	Z  *group.Scalar `json:"z"`
}

// MarshalJSON encodes p as {"a1":"<hex>","a2":"<hex>","z":"<hex>"}.
func (p *DLEQ) MarshalJSON() ([]byte, error) {
	if p.A1 == nil || p.A2 == nil || p.Z == nil {
		return nil, fmt.Errorf("%w: dleq proof has a nil field", ErrMalformed)
	}
	return canon.Marshal(dleqJSON{A1: p.A1, A2: p.A2, Z: p.Z})
}

// UnmarshalJSON decodes {"a1","a2","z"} strictly: all three fields, nothing
// else, canonical form, commitments not the identity.
func (p *DLEQ) UnmarshalJSON(data []byte) error {
	var w dleqJSON
	if err := canon.Unmarshal(data, &w, 240); err != nil {
		return fmt.Errorf("%w: dleq proof: %w", ErrMalformed, err)
	}
	if err := checkElement("dleq commitment a1", w.A1); err != nil {
		return err
	}
	if err := checkElement("dleq commitment a2", w.A2); err != nil {
		return err
	}
	if err := checkScalar("dleq response z", w.Z); err != nil {
		return err
	}
	*p = DLEQ{A1: w.A1, A2: w.A2, Z: w.Z}
	return nil
}
