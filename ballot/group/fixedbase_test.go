package group

import (
	"bytes"
	"testing"
)

// freshEncoding encodes p without the cache.
func freshEncoding(p *Point) [PointSize]byte {
	var b [PointSize]byte
	p.e.Encode(b[:0])
	return b
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
			want := new(Point)
			want.e.ScalarMult(&s.s, &P.e) // gtank, bypassing any table
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
	for b.Loop() {
		fb.MulAddSmallBase(s, 1, 1)
	}
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
	var zero Point // the zero value is the identity and has no cache
	if zero.Bytes() != ([PointSize]byte{}) || !zero.IsIdentity() {
		t.Fatal("zero Point is not the identity")
	}
}

func BenchmarkFixedBaseNew(b *testing.B) {
	P := BaseMul(RandomScalar())
	for b.Loop() {
		NewFixedBase(P)
	}
}

func BenchmarkFixedBaseMul(b *testing.B) {
	fb, s := NewFixedBase(BaseMul(RandomScalar())), RandomScalar()
	for b.Loop() {
		fb.Mul(s)
	}
}

// The same product without a table, for comparison.
func BenchmarkFixedBaseVsPointMul(b *testing.B) {
	P, s := BaseMul(RandomScalar()), RandomScalar()
	for b.Loop() {
		P.Mul(s)
	}
}

func BenchmarkFixedBaseMulAddBase(b *testing.B) {
	fb, s, t := NewFixedBase(BaseMul(RandomScalar())), RandomScalar(), RandomScalar()
	for b.Loop() {
		fb.MulAddBase(s, t)
	}
}

func BenchmarkFixedBaseVsMulAddBase(b *testing.B) {
	P, s, t := BaseMul(RandomScalar()), RandomScalar(), RandomScalar()
	for b.Loop() {
		P.Mul(s).Add(BaseMul(t))
	}
}
