package group

import (
	r255 "github.com/bwesterb/go-ristretto"
)

// A FixedBase holds a precomputed table of multiples of one point P (the
// election key, say) for fast constant-time multiplication s·P.
//
// # Why a second backend
//
// gtank/ristretto255 has a precomputed table only for the generator; its
// variable-base [Point.Mul] costs about three times [BaseMul] and has no
// public way to build a table or to select table entries in constant time.
// Ballot encryption multiplies the election key by secret scalars several
// times per selection, and this was the bottleneck (BenchmarkFixedBase* in
// this package compare). github.com/bwesterb/go-ristretto (the
// ristretto255 implementation that cloudflare/circl's group package is built
// on, already in our module graph) exposes exactly that: a per-point
// ScalarMultTable of 32×8 precomputed points in Niels form, with
// constant-time lookups (ConditionalSet over every entry of a row) and a
// constant-time signed 4-bit window multiplication, the same algorithm as
// its generator table.
//
// Points move between the two libraries only through the canonical 32-byte
// ristretto255 encoding, so no internal representation is shared; the
// encoding of every point a FixedBase returns is kept in the Point, so
// serialising it later is free. Tests check every operation against the
// gtank implementation.
//
// A FixedBase is immutable and safe for concurrent use. Building one costs
// about a millisecond; keep it for the lifetime of the key.
type FixedBase struct {
	p   *Point
	tab r255.ScalarMultTable
}

// NewFixedBase precomputes the table for P. P is public; the table build is
// not constant time in P.
func NewFixedBase(P *Point) *FixedBase {
	fb := new(FixedBase)
	enc := P.Bytes()
	var q r255.Point
	if !q.SetBytes(&enc) {
		panic("group: internal error: go-ristretto rejected a canonical encoding")
	}
	fb.tab.Compute(&q)
	fb.p = &Point{e: *P.el(), enc: enc, hasEnc: true, table: fb}
	return fb
}

// Point returns P. The returned Point carries the table: [Point.Mul] on it
// (and so elgamal.Encrypt and the zk provers) uses the table.
func (fb *FixedBase) Point() *Point { return fb.p }

// Mul returns s·P in constant time.
func (fb *FixedBase) Mul(s *Scalar) *Point {
	var q r255.Point
	q.ScalarMultTable(&fb.tab, r255Scalar(s))
	return fromR255(&q)
}

// MulAddBase returns s·P + t·G in constant time.
func (fb *FixedBase) MulAddBase(s, t *Scalar) *Point {
	var q, g r255.Point
	q.ScalarMultTable(&fb.tab, r255Scalar(s))
	g.ScalarMultBase(r255Scalar(t))
	q.Add(&q, &g)
	return fromR255(&q)
}

// MaxSmall is the largest bound for which [FixedBase.MulAddSmallBase] uses
// a table lookup for m·G instead of a scalar multiplication.
const MaxSmall = 32

// smallG[j] = j·G for j = 0 … MaxSmall (public constants).
var smallG = func() (t [MaxSmall + 1]r255.Point) {
	t[0].SetZero()
	var g r255.Point
	g.SetBase()
	for j := 1; j <= MaxSmall; j++ {
		t[j].Add(&t[j-1], &g)
	}
	return t
}()

// MulAddSmallBase returns s·P + m·G for an integer m ≤ max, in time that
// depends on max but not on s or m. For max ≤ [MaxSmall], m·G is read from
// a table of small multiples by scanning every entry up to max with
// constant-time conditional moves, which saves a scalar multiplication; a
// larger max falls back to [FixedBase.MulAddBase]. It panics if m > max,
// which is a caller bug.
func (fb *FixedBase) MulAddSmallBase(s *Scalar, m, max uint64) *Point {
	if m > max {
		panic("group: internal error: MulAddSmallBase with m > max")
	}
	if max > MaxSmall {
		return fb.MulAddBase(s, NewScalar(m))
	}
	var q, mg r255.Point
	q.ScalarMultTable(&fb.tab, r255Scalar(s))
	mg.SetZero()
	for j := uint64(0); j <= max; j++ {
		v := j ^ m
		eq := 1 ^ ((v | -v) >> 63) // 1 iff j == m, without branching
		mg.ConditionalSet(&smallG[j], int32(eq))
	}
	q.Add(&q, &mg)
	return fromR255(&q)
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

func r255Scalar(s *Scalar) *r255.Scalar {
	b := s.Bytes()
	var t r255.Scalar
	t.SetBytes(&b)
	return &t
}

// fromR255 converts through the canonical encoding, keeps it, and defers
// decoding it into gtank's representation until arithmetic needs it.
func fromR255(q *r255.Point) *Point {
	var enc [PointSize]byte
	q.BytesInto(&enc)
	return &Point{enc: enc, hasEnc: true, lazy: &lazyElement{enc: enc}}
}
