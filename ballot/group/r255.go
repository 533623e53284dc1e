package group

import (
	"crypto/subtle"
	"math/big"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// This file is the ristretto255 encoding of RFC 9496 §4.3 over the
// edwards25519 points and field of filippo.io/edwards25519 (the field code
// Go's crypto/ed25519 uses, with amd64 assembly for multiplication and
// squaring). A ristretto255 element is represented by any of the four
// edwards25519 points of its coset; only encoding, decoding and equality
// need to know that, the group law is the curve's.

// Constants of RFC 9496 §4.1, from their decimal values.
var (
	feOne           = new(field.Element).One()
	feD             = feFromDecimal("37095705934669439343138083508754565189542113879843219016388785533085940283555")
	feSqrtM1        = feFromDecimal("19681161376707505956807079304988542015446066515923890162744021073123829784752")
	feInvSqrtAMinD  = feFromDecimal("54469307008909316920995813868745141605393597292927456921205312896311721017578")
	edIdentity      = edwards25519.NewIdentityPoint()
	edGenerator     = edwards25519.NewGeneratorPoint()
	zeroEncoding    [PointSize]byte
	errR255Encoding = ErrNonCanonical
)

func feFromDecimal(s string) *field.Element {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("group: internal error: bad field constant")
	}
	var le [32]byte
	n.FillBytes(le[:]) // big-endian
	for i := 0; i < 16; i++ {
		le[i], le[31-i] = le[31-i], le[i]
	}
	fe, err := new(field.Element).SetBytes(le[:])
	if err != nil {
		panic("group: internal error: bad field constant")
	}
	return fe
}

// r255Decode sets p to the element encoded by b (RFC 9496 §4.3.1) or
// returns ErrNonCanonical. It runs in constant time in b up to the final
// accept/reject decision (encodings are public, but this costs nothing).
func r255Decode(p *edwards25519.Point, b *[PointSize]byte) error {
	// 1. s = decode_le(b), rejecting s ≥ p (non-canonical) and negative s.
	// field.Element.SetBytes ignores the top bit and reduces values ≥ p, so
	// canonicity is checked by re-encoding.
	var s field.Element
	if _, err := s.SetBytes(b[:]); err != nil {
		return errR255Encoding
	}
	canonical := subtle.ConstantTimeCompare(s.Bytes(), b[:])
	negative := s.IsNegative()

	// 2. The rest of the decoding formula.
	var ss, u1, u2, u2Sqr, v, t0 field.Element
	ss.Square(&s)
	u1.Subtract(feOne, &ss)   // u1 = 1 − s²
	u2.Add(feOne, &ss)        // u2 = 1 + s²
	u2Sqr.Square(&u2)         // u2²
	v.Square(&u1)             // u1²
	v.Multiply(&v, feD)       // D·u1²
	v.Negate(&v)              // −D·u1²
	v.Subtract(&v, &u2Sqr)    // v = −(D·u1²) − u2²
	t0.Multiply(&v, &u2Sqr)   // v·u2²
	var invSqrt field.Element // (was_square, invsqrt) = SQRT_RATIO_M1(1, v·u2²)
	_, wasSquare := invSqrt.SqrtRatio(feOne, &t0)

	var denX, denY, x, y, t field.Element
	denX.Multiply(&invSqrt, &u2)   // den_x = invsqrt·u2
	denY.Multiply(&invSqrt, &denX) // den_y = invsqrt·den_x·v
	denY.Multiply(&denY, &v)
	x.Add(&s, &s) // x = CT_ABS(2·s·den_x)
	x.Multiply(&x, &denX)
	x.Absolute(&x)
	y.Multiply(&u1, &denY) // y = u1·den_y
	t.Multiply(&x, &y)     // t = x·y

	var zero field.Element
	ok := canonical & (1 ^ negative) & wasSquare & (1 ^ t.IsNegative()) & (1 ^ y.Equal(&zero))
	if ok != 1 {
		return errR255Encoding
	}
	if _, err := p.SetExtendedCoordinates(&x, &y, feOne, &t); err != nil {
		// A correct decoding always lies on the curve.
		panic("group: internal error: ristretto255 decoding left the curve")
	}
	return nil
}

// r255Encode writes the canonical encoding of p (RFC 9496 §4.3.2) to out,
// in constant time.
func r255Encode(out *[PointSize]byte, p *edwards25519.Point) {
	x0, y0, z0, t0 := p.ExtendedCoordinates()
	var u1, u2, tmp, invSqrt field.Element
	u1.Add(z0, y0) // u1 = (z0 + y0)·(z0 − y0)
	tmp.Subtract(z0, y0)
	u1.Multiply(&u1, &tmp)
	u2.Multiply(x0, y0) // u2 = x0·y0
	tmp.Square(&u2)     // (_, invsqrt) = SQRT_RATIO_M1(1, u1·u2²)
	tmp.Multiply(&tmp, &u1)
	invSqrt.SqrtRatio(feOne, &tmp)

	var den1, den2, zInv field.Element
	den1.Multiply(&invSqrt, &u1) // den1 = invsqrt·u1
	den2.Multiply(&invSqrt, &u2) // den2 = invsqrt·u2
	zInv.Multiply(&den1, &den2)  // z_inv = den1·den2·t0
	zInv.Multiply(&zInv, t0)

	var ix0, iy0, enchanted field.Element
	ix0.Multiply(x0, feSqrtM1)                // ix0 = x0·SQRT_M1
	iy0.Multiply(y0, feSqrtM1)                // iy0 = y0·SQRT_M1
	enchanted.Multiply(&den1, feInvSqrtAMinD) // den1·INVSQRT_A_MINUS_D
	tmp.Multiply(t0, &zInv)
	rotate := tmp.IsNegative() // rotate = IS_NEGATIVE(t0·z_inv)

	var x, y, denInv field.Element
	x.Select(&iy0, x0, rotate)
	y.Select(&ix0, y0, rotate)
	denInv.Select(&enchanted, &den2, rotate)

	tmp.Multiply(&x, &zInv) // y = CT_NEG(y, IS_NEGATIVE(x·z_inv))
	var negY field.Element
	negY.Negate(&y)
	y.Select(&negY, &y, tmp.IsNegative())

	var s field.Element // s = CT_ABS(den_inv·(z0 − y))
	s.Subtract(z0, &y)
	s.Multiply(&s, &denInv)
	s.Absolute(&s)
	copy(out[:], s.Bytes())
}

// r255Equal reports whether p and q represent the same ristretto255
// element (RFC 9496 §4.3.3), in constant time.
func r255Equal(p, q *edwards25519.Point) int {
	x1, y1, _, _ := p.ExtendedCoordinates()
	x2, y2, _, _ := q.ExtendedCoordinates()
	var a, b, c, d field.Element
	a.Multiply(x1, y2)
	b.Multiply(y1, x2)
	c.Multiply(y1, y2)
	d.Multiply(x1, x2)
	return a.Equal(&b) | c.Equal(&d)
}
