package group

import (
	"crypto/subtle"

	"filippo.io/edwards25519"
)

// A FixedBase holds a precomputed table of multiples of one point P (the
// election key, say) for fast constant-time multiplication s·P.
//
// # The table
//
// The scalar is written in signed base 2^w, s = Σ d_i·2^(w·i) with
// |d_i| ≤ 2^(w−1), and row i of the table holds j·2^(w·i)·P for
// j = 1 … 2^(w−1). Then s·P is one point addition per digit and no
// doublings: each row is scanned in full with constant-time selects
// (filippo.io/edwards25519's Point.Select), the selected entry is negated
// in constant time when the digit is negative, and added with the curve's
// complete addition formula. Nothing depends on the scalar but the values
// moved around, so [FixedBase.Mul] is constant time.
//
// The width w = [fixedBaseWindow] was chosen by BenchmarkFixedBaseWindow:
// wider windows mean fewer additions but longer scans and a larger table
// (⌈256/w⌉+1 rows of 2^(w−1) points of 160 bytes). The figures are in the
// package comment.
//
// A FixedBase is immutable and safe for concurrent use. Building one costs
// well under a millisecond; keep it for the lifetime of the key.
type FixedBase struct {
	p    *Point
	w    int
	rows [][]edwards25519.Point
}

// fixedBaseWindow is the window width of [NewFixedBase]'s tables, chosen by
// BenchmarkFixedBaseWindow.
const fixedBaseWindow = 5

// NewFixedBase precomputes the table for P. P is public; the table build is
// not constant time in P.
func NewFixedBase(P *Point) *FixedBase {
	return newFixedBaseWindow(P, fixedBaseWindow)
}

func newFixedBaseWindow(P *Point, w int) *FixedBase {
	fb := &FixedBase{w: w}
	n := (256+w-1)/w + 1
	m := 1 << (w - 1)
	fb.rows = make([][]edwards25519.Point, n)
	entries := make([]edwards25519.Point, n*m)
	var base edwards25519.Point
	base.Set(P.el())
	for i := range fb.rows {
		row := entries[i*m : (i+1)*m]
		row[0].Set(&base)
		for j := 1; j < m; j++ {
			row[j].Add(&row[j-1], &base)
		}
		base.Add(&row[m-1], &row[m-1]) // 2·2^(w−1)·B = 2^w·B, the next row's base
		fb.rows[i] = row
	}
	fb.p = &Point{set: true, table: fb}
	fb.p.e.Set(P.el())
	if P.hasEnc {
		fb.p.enc, fb.p.hasEnc = P.enc, true
	}
	return fb
}

// Point returns P. The returned Point carries the table: [Point.Mul] on it
// (and so elgamal.Encrypt and the zk provers) uses the table.
func (fb *FixedBase) Point() *Point { return fb.p }

// Mul returns s·P in constant time.
func (fb *FixedBase) Mul(s *Scalar) *Point {
	r := &Point{set: true}
	fb.mul(&r.e, s)
	return r
}

// mul sets v = s·P in constant time.
func (fb *FixedBase) mul(v *edwards25519.Point, s *Scalar) {
	b := s.Bytes()
	var digits [257]int32
	d := digits[:len(fb.rows)]
	ctSignedDigits(&b, fb.w, d)
	v.Set(edIdentity)
	var sel, neg edwards25519.Point
	for i, row := range fb.rows {
		di := d[i]
		sign := int(uint32(di) >> 31)
		abs := (di ^ -int32(sign)) + int32(sign)
		sel.Set(edIdentity)
		for j := range row {
			sel.Select(&row[j], &sel, subtle.ConstantTimeEq(abs, int32(j+1)))
		}
		neg.Negate(&sel)
		sel.Select(&neg, &sel, sign)
		v.Add(v, &sel)
	}
}

// ctSignedDigits is [signedDigits] without secret-dependent branches: the
// carry is computed arithmetically. b is secret; c and len(d) are not.
func ctSignedDigits(b *[32]byte, c int, d []int32) {
	carry := int32(0)
	for w := range d {
		pos := w * c
		var bits int32
		for k := 0; k < c; k++ {
			bit := pos + k
			if bit >= 256 {
				break
			}
			bits |= int32(b[bit/8]>>(bit%8)&1) << k
		}
		v := bits + carry           // 0 ≤ v ≤ 2^c
		carry = (v + 1<<(c-1)) >> c // 1 iff v ≥ 2^(c−1)
		d[w] = v - carry<<c         // −2^(c−1) ≤ d < 2^(c−1)
	}
}

// MulAddBase returns s·P + t·G in constant time.
func (fb *FixedBase) MulAddBase(s, t *Scalar) *Point {
	r := &Point{set: true}
	fb.mul(&r.e, s)
	var g edwards25519.Point
	g.ScalarBaseMult(&t.s)
	r.e.Add(&r.e, &g)
	return r
}

// MaxSmall is the largest bound for which [FixedBase.MulAddSmallBase] uses
// a table lookup for m·G instead of a scalar multiplication.
const MaxSmall = 32

// smallG[j] = j·G for j = 0 … MaxSmall (public constants).
var smallG = func() (t [MaxSmall + 1]edwards25519.Point) {
	t[0].Set(edIdentity)
	for j := 1; j <= MaxSmall; j++ {
		t[j].Add(&t[j-1], edGenerator)
	}
	return t
}()

// MulAddSmallBase returns s·P + m·G for an integer m ≤ max, in time that
// depends on max but not on s or m. For max ≤ [MaxSmall], m·G is read from
// a table of small multiples by scanning every entry up to max with
// constant-time selects, which saves a scalar multiplication; a larger max
// falls back to [FixedBase.MulAddBase]. It panics if m > max, which is a
// caller bug.
func (fb *FixedBase) MulAddSmallBase(s *Scalar, m, max uint64) *Point {
	if m > max {
		panic("group: internal error: MulAddSmallBase with m > max")
	}
	if max > MaxSmall {
		return fb.MulAddBase(s, NewScalar(m))
	}
	r := &Point{set: true}
	fb.mul(&r.e, s)
	var mg edwards25519.Point
	mg.Set(edIdentity)
	for j := uint64(0); j <= max; j++ {
		v := j ^ m
		eq := 1 ^ ((v | -v) >> 63) // 1 iff j == m, without branching
		mg.Select(&smallG[j], &mg, int(eq))
	}
	r.e.Add(&r.e, &mg)
	return r
}

// MulAddSmallBase returns s·P + m·G for m ≤ max, constant time in s and m;
// with a table on P (see [FixedBase.Point]) it uses
// [FixedBase.MulAddSmallBase]. It panics if m > max.
func MulAddSmallBase(P *Point, s *Scalar, m, max uint64) *Point {
	if P.table != nil {
		return P.table.MulAddSmallBase(s, m, max)
	}
	if m > max {
		panic("group: internal error: MulAddSmallBase with m > max")
	}
	return MulAddBase(P, s, NewScalar(m))
}

// MulAddBase returns s·P + t·G in constant time. If P carries a precomputed
// table (see [FixedBase.Point]) the table is used.
func MulAddBase(P *Point, s, t *Scalar) *Point {
	if P.table != nil {
		return P.table.MulAddBase(s, t)
	}
	return P.Mul(s).Add(BaseMul(t))
}
