package group

import (
	"crypto/subtle"
	"sync"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// A FixedBase holds a precomputed table of multiples of one point P (the
// election key, say) for fast constant-time multiplication s·P.
//
// # The table
//
// The table has the shape of the one filippo.io/edwards25519 (and Ed25519
// since its paper) keeps for the generator, which that library does not
// offer for other points: the scalar is written in signed radix 16,
// s = Σ_{i<64} d_i·16^i with −8 ≤ d_i < 8, and row r of the table holds
// j·256^r·P for j = 1 … 8 as affine points in the form
// (y+x, y−x, 2d·x·y), 32 rows of 8 entries of 96 bytes (24 KiB, which fits
// the L1 cache). Then
//
//	s·P = 16·Σ_{i odd} d_i·16^(i−1)·P + Σ_{i even} d_i·16^i·P
//
// costs 64 mixed additions (7 field multiplications each) and 4 doublings.
// Each entry is found by scanning its whole row with constant-time selects
// (field.Element.Select) and negated in constant time for a negative digit,
// so [FixedBase.Mul] does the same operations on the same memory for every
// scalar. The addition and doubling formulas (Hisil, Wong, Carter and
// Dawson, "Twisted Edwards Curves Revisited", 2008, §3.1 and §3.3 with
// a = −1) are written here on the field of filippo.io/edwards25519; the
// result becomes an edwards25519.Point, checked to be on the curve.
//
// BenchmarkFixedBaseWindow compares it with wider windows over projective
// points (no doublings, up to 8-bit digits: larger tables and longer scans
// lose), with the generator's table and with the previous go-ristretto
// table; the figures are in the package comment.
//
// A FixedBase is immutable and safe for concurrent use. Building one costs
// about a quarter of a millisecond; keep it for the lifetime of the key.
type FixedBase struct {
	p    *Point
	rows [32]nielsRow
}

// A nielsRow holds j·B for j = 1 … 8 and one base B.
type nielsRow [8]nielsPoint

// A nielsPoint is an affine point (x, y) stored as (y+x, y−x, 2d·x·y).
type nielsPoint struct{ yPlusX, yMinusX, xy2d field.Element }

// An extPoint is a point in extended coordinates (X : Y : Z : T) with
// x = X/Z, y = Y/Z and x·y = T/Z.
type extPoint struct{ X, Y, Z, T field.Element }

var fe2D = new(field.Element).Add(feD, feD)

// NewFixedBase precomputes the table for P. P is public; the table build is
// not constant time in P.
func NewFixedBase(P *Point) *FixedBase {
	fb := new(FixedBase)
	var pts [32 * 8]edwards25519.Point
	var base edwards25519.Point
	base.Set(P.el())
	for r := range 32 {
		row := pts[r*8 : r*8+8]
		row[0].Set(&base)
		for j := 1; j < 8; j++ {
			row[j].Add(&row[j-1], &base)
		}
		base.Add(&row[7], &row[7]) // 2·8·256^r·P = 16·256^r·P
		for range 4 {
			base.Add(&base, &base) // 256^(r+1)·P
		}
	}
	// Affine coordinates with one inversion (Montgomery's trick).
	var zs, prefix [32 * 8]field.Element
	var acc field.Element
	acc.One()
	for i := range pts {
		_, _, z, _ := pts[i].ExtendedCoordinates()
		zs[i].Set(z)
		prefix[i].Set(&acc)
		acc.Multiply(&acc, z)
	}
	acc.Invert(&acc) // 1 / Π z
	for i := len(pts) - 1; i >= 0; i-- {
		var zinv, x, y field.Element
		zinv.Multiply(&acc, &prefix[i]) // 1 / z_i
		acc.Multiply(&acc, &zs[i])
		X, Y, _, _ := pts[i].ExtendedCoordinates()
		x.Multiply(X, &zinv)
		y.Multiply(Y, &zinv)
		e := &fb.rows[i/8][i%8]
		e.yPlusX.Add(&y, &x)
		e.yMinusX.Subtract(&y, &x)
		e.xy2d.Multiply(&x, &y)
		e.xy2d.Multiply(&e.xy2d, fe2D)
	}
	fb.p = &Point{set: true, table: fb}
	fb.p.e.Set(P.el())
	// The encoding, once: the point goes into every proof's transcript (a
	// joint key computed by the ceremony has none cached, and encoding it
	// costs as much as decoding a point).
	fb.p.enc, fb.p.hasEnc = P.Bytes(), true
	return fb
}

// Point returns P. The returned Point carries the table: [Point.Mul] on it
// (and so elgamal.Encrypt and the zk provers) uses the table.
func (fb *FixedBase) Point() *Point { return fb.p }

// Mul returns s·P in constant time.
func (fb *FixedBase) Mul(s *Scalar) *Point {
	var acc extPoint
	acc.identity()
	fb.mulAdd(&acc, s, nil, nil)
	return acc.point()
}

// digits returns the signed radix-16 digits of s. Scalars are reduced
// (< 2^253), so 64 digits suffice: the top one is at most 2 and leaves no
// carry.
func digits(s *Scalar) [64]int32 {
	b := s.Bytes()
	var d [64]int32
	signedDigits(&b, 4, d[:])
	return d
}

// mulAdd sets acc, which must be the identity, to s·P (+ t·Q if fq is not
// nil) in constant time, sharing the four doublings between the two tables.
func (fb *FixedBase) mulAdd(acc *extPoint, s *Scalar, fq *FixedBase, t *Scalar) {
	ds := digits(s)
	var dt [64]int32
	if fq != nil {
		dt = digits(t)
	}
	var sel nielsPoint
	for i := 1; i < 64; i += 2 {
		fb.rows[i/2].lookup(&sel, ds[i])
		acc.addNiels(acc, &sel)
		if fq != nil {
			fq.rows[i/2].lookup(&sel, dt[i])
			acc.addNiels(acc, &sel)
		}
	}
	for range 4 {
		acc.double(acc)
	}
	for i := 0; i < 64; i += 2 {
		fb.rows[i/2].lookup(&sel, ds[i])
		acc.addNiels(acc, &sel)
		if fq != nil {
			fq.rows[i/2].lookup(&sel, dt[i])
			acc.addNiels(acc, &sel)
		}
	}
}

// lookup sets v = d·(row base) for a digit −8 ≤ d ≤ 8, scanning every
// entry with constant-time selects.
func (row *nielsRow) lookup(v *nielsPoint, d int32) {
	neg := int(uint32(d) >> 31)
	abs := (d ^ -int32(neg)) + int32(neg)
	v.yPlusX.One()
	v.yMinusX.One()
	v.xy2d.Zero()
	for j := range row {
		c := subtle.ConstantTimeEq(abs, int32(j+1))
		v.yPlusX.Select(&row[j].yPlusX, &v.yPlusX, c)
		v.yMinusX.Select(&row[j].yMinusX, &v.yMinusX, c)
		v.xy2d.Select(&row[j].xy2d, &v.xy2d, c)
	}
	// −(x, y) = (−x, y): swap y+x and y−x, negate 2d·x·y.
	v.yPlusX.Swap(&v.yMinusX, neg)
	var n field.Element
	n.Negate(&v.xy2d)
	v.xy2d.Select(&n, &v.xy2d, neg)
}

func (v *extPoint) identity() {
	v.X.Zero()
	v.Y.One()
	v.Z.One()
	v.T.Zero()
}

// addNiels sets v = p + q (HWCD 2008 §3.1, "madd-2008-hwcd-3", a = −1).
func (v *extPoint) addNiels(p *extPoint, q *nielsPoint) {
	var a, b, c, d field.Element
	a.Subtract(&p.Y, &p.X)
	a.Multiply(&a, &q.yMinusX) // A = (Y1 − X1)·(y2 − x2)
	b.Add(&p.Y, &p.X)
	b.Multiply(&b, &q.yPlusX) // B = (Y1 + X1)·(y2 + x2)
	c.Multiply(&p.T, &q.xy2d) // C = T1·2d·x2·y2
	d.Add(&p.Z, &p.Z)         // D = 2·Z1
	v.sumFrom(&a, &b, &c, &d)
}

// double sets v = 2·p (HWCD 2008 §3.3, "dbl-2008-hwcd", a = −1).
func (v *extPoint) double(p *extPoint) {
	var a, b, c, e, g, f, h field.Element
	a.Square(&p.X) // A = X1²
	b.Square(&p.Y) // B = Y1²
	c.Square(&p.Z)
	c.Add(&c, &c) // C = 2·Z1²
	e.Add(&p.X, &p.Y)
	e.Square(&e)
	e.Subtract(&e, &a)
	e.Subtract(&e, &b) // E = (X1 + Y1)² − A − B
	g.Subtract(&b, &a) // G = D + B with D = a·A = −A
	f.Subtract(&g, &c) // F = G − C
	h.Negate(&a)
	h.Subtract(&h, &b) // H = D − B
	v.X.Multiply(&e, &f)
	v.Y.Multiply(&g, &h)
	v.T.Multiply(&e, &h)
	v.Z.Multiply(&f, &g)
}

// point converts v to a Point, checking that it is on the curve (a broken
// invariant otherwise).
func (v *extPoint) point() *Point {
	r := newComputed()
	if _, err := r.e.SetExtendedCoordinates(&v.X, &v.Y, &v.Z, &v.T); err != nil {
		panic("group: internal error: fixed-base multiplication left the curve")
	}
	return r
}

// gTable is the FixedBase of the generator, built on first use; it lets
// [FixedBase.MulAddBase] share its doublings between the two tables.
var gTable = sync.OnceValue(func() *FixedBase { return NewFixedBase(Generator()) })

// MulAddBase returns s·P + t·G in constant time.
func (fb *FixedBase) MulAddBase(s, t *Scalar) *Point {
	var acc extPoint
	acc.identity()
	fb.mulAdd(&acc, s, gTable(), t)
	return acc.point()
}

// MaxSmall is the largest bound for which [FixedBase.MulAddSmallBase] uses
// a table lookup for m·G instead of a scalar multiplication.
const MaxSmall = 32

// smallG[j] = j·G for j = 0 … MaxSmall (public constants), affine.
var smallG = sync.OnceValue(func() *[MaxSmall + 1]nielsPoint {
	t := new([MaxSmall + 1]nielsPoint)
	var p edwards25519.Point
	p.Set(edIdentity)
	for j := range t {
		X, Y, Z, _ := p.ExtendedCoordinates()
		var zinv, x, y field.Element
		zinv.Invert(Z)
		x.Multiply(X, &zinv)
		y.Multiply(Y, &zinv)
		t[j].yPlusX.Add(&y, &x)
		t[j].yMinusX.Subtract(&y, &x)
		t[j].xy2d.Multiply(&x, &y)
		t[j].xy2d.Multiply(&t[j].xy2d, fe2D)
		p.Add(&p, edGenerator)
	}
	return t
})

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
	small := smallG()
	var mg nielsPoint
	mg.yPlusX.One()
	mg.yMinusX.One()
	mg.xy2d.Zero()
	for j := uint64(0); j <= max; j++ {
		v := j ^ m
		c := int(1 ^ ((v | -v) >> 63)) // 1 iff j == m, without branching
		mg.yPlusX.Select(&small[j].yPlusX, &mg.yPlusX, c)
		mg.yMinusX.Select(&small[j].yMinusX, &mg.yMinusX, c)
		mg.xy2d.Select(&small[j].xy2d, &mg.xy2d, c)
	}
	var acc extPoint
	acc.identity()
	fb.mulAdd(&acc, s, nil, nil)
	acc.addNiels(&acc, &mg)
	return acc.point()
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

// MulAddIf returns s·P + b·Q for a secret bit b (0 or 1) in constant time:
// both sums are computed and one is selected. If P carries a precomputed
// table it is used. The zk range prover uses it to add the simulated
// branch's term to one of two commitments without revealing which.
func MulAddIf(P *Point, s *Scalar, Q *Point, b int) *Point {
	if b != 0 && b != 1 {
		panic("group: internal error: MulAddIf with a bit that is not 0 or 1")
	}
	var acc extPoint
	if P.table != nil {
		acc.identity()
		P.table.mulAdd(&acc, s, nil, nil)
	} else {
		acc.set(P.Mul(s).el())
	}
	var q, sum extPoint
	q.set(Q.el())
	sum.add(&acc, &q)
	acc.X.Select(&sum.X, &acc.X, b)
	acc.Y.Select(&sum.Y, &acc.Y, b)
	acc.Z.Select(&sum.Z, &acc.Z, b)
	acc.T.Select(&sum.T, &acc.T, b)
	return acc.point()
}

// set sets v to the extended coordinates of e.
func (v *extPoint) set(e *edwards25519.Point) {
	X, Y, Z, T := e.ExtendedCoordinates()
	v.X.Set(X)
	v.Y.Set(Y)
	v.Z.Set(Z)
	v.T.Set(T)
}

// sumFrom sets v to the sum whose A, B, C, D an addition formula of HWCD
// 2008 §3.1 (a = −1) computed: X = E·F, Y = G·H, T = E·H, Z = F·G.
func (v *extPoint) sumFrom(a, b, c, d *field.Element) {
	var e, f, g, h field.Element
	e.Subtract(b, a) // E = B − A
	f.Subtract(d, c) // F = D − C
	g.Add(d, c)      // G = D + C
	h.Add(b, a)      // H = B + A
	v.X.Multiply(&e, &f)
	v.Y.Multiply(&g, &h)
	v.T.Multiply(&e, &h)
	v.Z.Multiply(&f, &g)
}
