package group

import (
	"bytes"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// ctSignedDigits must agree with the branching signedDigits on every width.
func TestCTSignedDigits(t *testing.T) {
	for c := 2; c <= 8; c++ {
		n := (256+c-1)/c + 1
		for _, s := range []*Scalar{NewScalar(0), NewScalar(1), NewScalarInt(-1), RandomScalar(), RandomScalar()} {
			b := s.Bytes()
			want, got := make([]int32, n), make([]int32, n)
			signedDigits(&b, c, want)
			ctSignedDigits(&b, c, got)
			require.Equal(t, want, got, "width %d", c)
		}
	}
}

func TestFixedBaseMatchesGtank(t *testing.T) {
	for _, w := range []int{2, 3, 4, 5, 6, 7, 8} {
		testFixedBaseWindow(t, w)
	}
}

func testFixedBaseWindow(t *testing.T, w int) {
	bases := []*Point{Generator(), Identity(), BaseMul(NewScalar(2))}
	for range 5 {
		bases = append(bases, BaseMul(RandomScalar()))
	}
	scalars := []*Scalar{NewScalar(0), NewScalar(1), NewScalar(2), NewScalarInt(-1), NewScalarInt(-8)}
	for range 10 {
		scalars = append(scalars, RandomScalar())
	}
	for i, P := range bases {
		fb := newFixedBaseWindow(P, w)
		if !fb.Point().Equal(P) || fb.Point().Bytes() != freshEncoding(P) {
			t.Fatalf("base %d: Point() differs from P", i)
		}
		for j, s := range scalars {
			want := gtankMul(t, P, s) // gtank, bypassing any table
			got := fb.Mul(s)
			if !got.Equal(want) {
				t.Errorf("w=%d base %d scalar %d: FixedBase.Mul ≠ gtank ScalarMult", w, i, j)
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
