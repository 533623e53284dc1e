package group

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"sync"
	"testing"

	"filippo.io/edwards25519"
	r255 "github.com/bwesterb/go-ristretto"
	"github.com/stretchr/testify/assert"
)

// freshEncoding encodes p without the cache.
func freshEncoding(p *Point) [PointSize]byte {
	var b [PointSize]byte
	r255Encode(&b, p.el())
	return b
}

// FixedBase results must behave like any other point in every operation.
func TestFixedBaseResults(t *testing.T) {
	P := BaseMul(RandomScalar())
	fb := NewFixedBase(P)
	s, a, b := RandomScalar(), RandomScalar(), RandomScalar()
	X := BaseMul(RandomScalar())
	E := P.Mul(s) // no table: P was not returned by a FixedBase
	L := fb.Mul(s)
	check := func(name string, got, want *Point) {
		t.Helper()
		assert.True(t, got.Equal(want), name)
		assert.Equal(t, freshEncoding(want), got.Bytes(), name)
	}
	check("value", L, E)
	check("Add", L.Add(X), E.Add(X))
	check("Sub", X.Sub(L), X.Sub(E))
	check("Neg", L.Neg(), E.Neg())
	check("Mul", L.Mul(a), E.Mul(a))
	check("VarTimeDoubleBaseMul", VarTimeDoubleBaseMul(a, L, b), VarTimeDoubleBaseMul(a, E, b))
	check("NewFixedBase", NewFixedBase(L).Mul(a), E.Mul(a))
	check("MulAddBase", MulAddBase(L, a, b), E.Mul(a).Add(BaseMul(b)))
	assert.False(t, L.IsIdentity())
	assert.True(t, fb.Mul(NewScalar(0)).IsIdentity())
	assert.True(t, NewFixedBase(Identity()).Mul(a).IsIdentity())
	var zero Point
	assert.True(t, NewFixedBase(&zero).Mul(a).IsIdentity())
	// Concurrent use of one table (run with -race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.True(t, fb.Mul(s).Equal(E))
		}()
	}
	wg.Wait()
}

func TestFixedBaseMatchesGtank(t *testing.T) {
	bases := []*Point{Generator(), Identity(), BaseMul(NewScalar(2))}
	for range 5 {
		bases = append(bases, BaseMul(RandomScalar()))
	}
	scalars := []*Scalar{NewScalar(0), NewScalar(1), NewScalar(2), NewScalarInt(-1), NewScalarInt(-8)}
	for range 10 {
		scalars = append(scalars, RandomScalar())
	}
	for i, P := range bases {
		fb := NewFixedBase(P)
		if !fb.Point().Equal(P) || fb.Point().Bytes() != freshEncoding(P) {
			t.Fatalf("base %d: Point() differs from P", i)
		}
		for j, s := range scalars {
			want := gtankMul(t, P, s) // gtank, bypassing any table
			got := fb.Mul(s)
			if !got.Equal(want) {
				t.Errorf("base %d scalar %d: FixedBase.Mul ≠ gtank ScalarMult", i, j)
			}
			if got.Bytes() != freshEncoding(want) {
				t.Errorf("base %d scalar %d: cached encoding is wrong", i, j)
			}
			if !fb.Point().Mul(s).Equal(want) {
				t.Errorf("base %d scalar %d: Point().Mul ≠ s·P", i, j)
			}
			u := scalars[(j+3)%len(scalars)]
			wantLin := want.Add(BaseMul(u))
			if got := fb.MulAddBase(s, u); !got.Equal(wantLin) || got.Bytes() != freshEncoding(wantLin) {
				t.Errorf("base %d scalar %d: MulAddBase ≠ s·P + u·G", i, j)
			}
			if !MulAddBase(P, s, u).Equal(wantLin) || !MulAddBase(fb.Point(), s, u).Equal(wantLin) {
				t.Errorf("base %d scalar %d: MulAddBase function mismatch", i, j)
			}
		}
	}
}

func TestMulAddSmallBase(t *testing.T) {
	P := BaseMul(RandomScalar())
	fb := NewFixedBase(P)
	s := RandomScalar()
	for _, max := range []uint64{0, 1, 5, MaxSmall, MaxSmall + 1, 1000} {
		for _, m := range []uint64{0, 1, max / 2, max} {
			if m > max {
				continue
			}
			want := P.Mul(s).Add(BaseMul(NewScalar(m)))
			got := fb.MulAddSmallBase(s, m, max)
			if !got.Equal(want) || got.Bytes() != freshEncoding(want) {
				t.Errorf("max %d m %d: FixedBase.MulAddSmallBase wrong", max, m)
			}
			if !MulAddSmallBase(P, s, m, max).Equal(want) || !MulAddSmallBase(fb.Point(), s, m, max).Equal(want) {
				t.Errorf("max %d m %d: MulAddSmallBase wrong", max, m)
			}
		}
	}
	for _, f := range []func(){
		func() { fb.MulAddSmallBase(s, 2, 1) },
		func() { MulAddSmallBase(P, s, 2, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("m > max did not panic")
				}
			}()
			f()
		}()
	}
}

func BenchmarkFixedBaseMulAddSmallBase(b *testing.B) {
	fb, s := NewFixedBase(BaseMul(RandomScalar())), RandomScalar()
	start := cpuTime()
	for b.Loop() {
		fb.MulAddSmallBase(s, 1, 1)
	}
	reportCPU(b, start)
}

func TestEncodingCache(t *testing.T) {
	for range 20 {
		p := BaseMul(RandomScalar())
		enc := p.Bytes()
		q, err := DecodePoint(enc[:])
		if err != nil {
			t.Fatal(err)
		}
		if !q.hasEnc || q.Bytes() != enc || freshEncoding(q) != enc {
			t.Fatal("decoded point's cached encoding is wrong")
		}
		// Arithmetic results never inherit a cache.
		r := q.Add(Generator())
		if r.hasEnc || r.table != nil {
			t.Fatal("sum inherited a cache")
		}
		if r.Bytes() != freshEncoding(r) {
			t.Fatal("Bytes of a computed point is wrong")
		}
		// UnmarshalText replaces the cache.
		txt, _ := r.MarshalText()
		if err := q.UnmarshalText(txt); err != nil || q.Bytes() != r.Bytes() || !q.Equal(r) {
			t.Fatal("UnmarshalText kept a stale encoding")
		}
	}
	// The encoding is a copy, not an alias of the caller's slice.
	enc := Generator().Bytes()
	buf := bytes.Clone(enc[:])
	p, _ := DecodePoint(buf)
	buf[0] ^= 1
	if p.Bytes() != enc {
		t.Fatal("decoded point aliases the input slice")
	}
	// A computed point's cached encoding, first used concurrently (run
	// with -race), and its copies.
	for range 5 {
		r := BaseMul(RandomScalar()).Add(Generator())
		want := freshEncoding(r)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.Equal(t, want, r.Bytes())
			}()
		}
		wg.Wait()
		c := *r
		assert.Equal(t, want, c.Bytes())
		assert.Equal(t, want, r.Bytes())
	}
	var zero Point // the zero value is the identity and has no cache
	if zero.Bytes() != ([PointSize]byte{}) || !zero.IsIdentity() {
		t.Fatal("zero Point is not the identity")
	}
}

func BenchmarkFixedBaseNew(b *testing.B) {
	P := BaseMul(RandomScalar())
	start := cpuTime()
	for b.Loop() {
		NewFixedBase(P)
	}
	reportCPU(b, start)
}

func BenchmarkFixedBaseMul(b *testing.B) {
	fb, s := NewFixedBase(BaseMul(RandomScalar())), RandomScalar()
	start := cpuTime()
	for b.Loop() {
		fb.Mul(s)
	}
	reportCPU(b, start)
}

// The same product without a table, for comparison.
func BenchmarkFixedBaseVsPointMul(b *testing.B) {
	P, s := BaseMul(RandomScalar()), RandomScalar()
	start := cpuTime()
	for b.Loop() {
		P.Mul(s)
	}
	reportCPU(b, start)
}

func BenchmarkFixedBaseMulAddBase(b *testing.B) {
	fb, s, t := NewFixedBase(BaseMul(RandomScalar())), RandomScalar(), RandomScalar()
	start := cpuTime()
	for b.Loop() {
		fb.MulAddBase(s, t)
	}
	reportCPU(b, start)
}

func BenchmarkFixedBaseVsMulAddBase(b *testing.B) {
	P, s, t := BaseMul(RandomScalar()), RandomScalar(), RandomScalar()
	start := cpuTime()
	for b.Loop() {
		P.Mul(s).Add(BaseMul(t))
	}
	reportCPU(b, start)
}

// windowTable is the alternative BenchmarkFixedBaseWindow measures against
// FixedBase: signed base-2^w digits, row i holding j·2^(w·i)·P for
// j = 1 … 2^(w−1) as projective edwards25519 points, no doublings, one
// complete addition per digit, rows scanned with constant-time selects.
type windowTable struct {
	w    int
	rows [][]edwards25519.Point
}

func newWindowTable(P *Point, w int) *windowTable {
	n, m := (256+w-1)/w+1, 1<<(w-1)
	wt := &windowTable{w: w, rows: make([][]edwards25519.Point, n)}
	var base edwards25519.Point
	base.Set(P.el())
	for i := range wt.rows {
		row := make([]edwards25519.Point, m)
		row[0].Set(&base)
		for j := 1; j < m; j++ {
			row[j].Add(&row[j-1], &base)
		}
		base.Add(&row[m-1], &row[m-1])
		wt.rows[i] = row
	}
	return wt
}

func (wt *windowTable) mul(s *Scalar) *Point {
	b := s.Bytes()
	d := make([]int32, len(wt.rows))
	signedDigits(&b, wt.w, d)
	r := &Point{set: true}
	r.e.Set(edIdentity)
	var sel, neg edwards25519.Point
	for i, row := range wt.rows {
		sign := int(uint32(d[i]) >> 31)
		abs := (d[i] ^ -int32(sign)) + int32(sign)
		sel.Set(edIdentity)
		for j := range row {
			sel.Select(&row[j], &sel, subtle.ConstantTimeEq(abs, int32(j+1)))
		}
		neg.Negate(&sel)
		sel.Select(&neg, &sel, sign)
		r.e.Add(&r.e, &sel)
	}
	return r
}

func TestWindowTable(t *testing.T) {
	P := BaseMul(RandomScalar())
	for w := 3; w <= 8; w++ {
		s := RandomScalar()
		assert.True(t, newWindowTable(P, w).mul(s).Equal(P.Mul(s)), "w=%d", w)
	}
}

// BenchmarkFixedBaseWindow sizes the FixedBase table: FixedBase.Mul (radix
// 16, affine entries, 24 KiB), the projective windowTable for w = 3 … 8
// (⌈256/w⌉+1 rows of 2^(w−1) points of 160 bytes), the generator's
// ScalarBaseMult, variable-base Mul, and go-ristretto's table (the previous
// FixedBase, with the encoding it needed to hand results over).
func BenchmarkFixedBaseWindow(b *testing.B) {
	P, s := BaseMul(RandomScalar()), RandomScalar()
	fb := NewFixedBase(P)
	b.Run("fixedbase", func(b *testing.B) {
		for b.Loop() {
			fb.Mul(s)
		}
	})
	for w := 3; w <= 8; w++ {
		wt := newWindowTable(P, w)
		b.Run(fmt.Sprintf("w=%d/table=%dKiB", w, len(wt.rows)*len(wt.rows[0])*160/1024), func(b *testing.B) {
			for b.Loop() {
				wt.mul(s)
			}
		})
	}
	b.Run("basemul", func(b *testing.B) {
		for b.Loop() {
			BaseMul(s)
		}
	})
	b.Run("mul", func(b *testing.B) {
		for b.Loop() {
			P.Mul(s)
		}
	})
	b.Run("goristretto-table", func(b *testing.B) {
		enc := P.Bytes()
		var q r255.Point
		q.SetBytes(&enc)
		var tab r255.ScalarMultTable
		tab.Compute(&q)
		sb := s.Bytes()
		var rs r255.Scalar
		rs.SetBytes(&sb)
		var out [32]byte
		for b.Loop() {
			var r r255.Point
			r.ScalarMultTable(&tab, &rs)
			r.BytesInto(&out)
		}
	})
}

// TestMulAddIf: s·P + b·Q for b = 0 and 1, with and without a table on P,
// and with Q the identity or −s·P.
func TestMulAddIf(t *testing.T) {
	P := BaseMul(RandomNonZeroScalar())
	tabled := NewFixedBase(P).Point()
	for range 20 {
		s := RandomScalar()
		for _, Q := range []*Point{BaseMul(RandomScalar()), Identity(), P.Mul(s).Neg()} {
			for _, base := range []*Point{P, tabled} {
				if got, want := MulAddIf(base, s, Q, 0), P.Mul(s); !got.Equal(want) {
					t.Fatal("MulAddIf(b=0) ≠ s·P")
				}
				if got, want := MulAddIf(base, s, Q, 1), P.Mul(s).Add(Q); !got.Equal(want) {
					t.Fatal("MulAddIf(b=1) ≠ s·P + Q")
				}
			}
		}
	}
	assert.Panics(t, func() { MulAddIf(P, NewScalar(1), P, 2) })
}
