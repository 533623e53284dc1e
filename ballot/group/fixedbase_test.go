package group

import (
	"bytes"
	"sync"
	"testing"
)

// freshEncoding encodes p without the cache.
func freshEncoding(p *Point) [PointSize]byte {
	var b [PointSize]byte
	p.el().Encode(b[:0])
	return b
}

// eagerMul computes s·P with gtank only, as a reference.
func eagerMul(P *Point, s *Scalar) *Point {
	r := new(Point)
	r.e.ScalarMult(&s.s, P.el())
	return r
}

// Points computed by a FixedBase are lazy: every operation on them must give
// the same result as on the eager point.
func TestLazyPoints(t *testing.T) {
	P := BaseMul(RandomScalar())
	fb := NewFixedBase(P)
	s, a, b := RandomScalar(), RandomScalar(), RandomScalar()
	X := BaseMul(RandomScalar())
	E := eagerMul(P, s)
	fresh := func() *Point {
		L := fb.Mul(s)
		if L.lazy == nil || !L.hasEnc {
			t.Fatal("FixedBase result is not lazy")
		}
		return L
	}
	check := func(name string, got, want *Point) {
		t.Helper()
		if got.el().Equal(want.el()) != 1 || freshEncoding(got) != freshEncoding(want) {
			t.Errorf("%s differs on a lazy point", name)
		}
	}
	check("value", fresh(), E)
	check("Add", fresh().Add(X), E.Add(X))
	check("Add (right)", X.Add(fresh()), X.Add(E))
	check("Sub", fresh().Sub(X), E.Sub(X))
	check("Sub (right)", X.Sub(fresh()), X.Sub(E))
	check("Neg", fresh().Neg(), E.Neg())
	check("Mul", fresh().Mul(a), E.Mul(a))
	check("VarTimeDoubleBaseMul", VarTimeDoubleBaseMul(a, fresh(), b), VarTimeDoubleBaseMul(a, E, b))
	check("NewFixedBase", NewFixedBase(fresh()).Mul(a), E.Mul(a))
	check("MulAddBase", MulAddBase(fresh(), a, b), E.Mul(a).Add(BaseMul(b)))
	for _, n := range []int{2, 300} {
		ss, lazyPts, eagerPts := make([]*Scalar, n), make([]*Point, n), make([]*Point, n)
		for i := range ss {
			ss[i] = RandomScalar()
			lazyPts[i], eagerPts[i] = fb.Mul(ss[i]), eagerMul(P, ss[i])
		}
		check("VarTimeMSM", VarTimeMSM(ss, lazyPts), VarTimeMSM(ss, eagerPts))
		check("MSM", MSM(ss[:2], lazyPts[:2]), MSM(ss[:2], eagerPts[:2]))
	}
	if !fresh().Equal(E) || !E.Equal(fresh()) || !fresh().Equal(fresh()) || fresh().Equal(X) || X.Equal(fresh()) {
		t.Error("Equal wrong on lazy points")
	}
	if fresh().IsIdentity() || !fb.Mul(NewScalar(0)).IsIdentity() || !NewFixedBase(Identity()).Mul(a).IsIdentity() {
		t.Error("IsIdentity wrong on lazy points")
	}
	txt, _ := fresh().MarshalText()
	var q Point
	if err := q.UnmarshalText(txt); err != nil || !q.Equal(E) {
		t.Error("text round trip of a lazy point")
	}
	// Concurrent first use of one lazy point (run with -race).
	L := fresh()
	want := E.Add(X)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !L.Add(X).Equal(want) {
				t.Error("concurrent use of a lazy point")
			}
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
