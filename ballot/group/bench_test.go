package group

import (
	"testing"

	circl "github.com/cloudflare/circl/group"
)

// The Backend benchmarks compare this package's backend (gtank/ristretto255)
// with cloudflare/circl/group on the operations of the hot path; see the
// package comment.

func BenchmarkBackendGtankBaseMul(b *testing.B) {
	s := RandomScalar()
	for b.Loop() {
		BaseMul(s)
	}
}

func BenchmarkBackendCirclBaseMul(b *testing.B) {
	g := circl.Ristretto255
	s := g.RandomScalar(randReader{})
	for b.Loop() {
		g.NewElement().MulGen(s)
	}
}

func BenchmarkBackendGtankMul(b *testing.B) {
	s, p := RandomScalar(), BaseMul(RandomScalar())
	for b.Loop() {
		p.Mul(s)
	}
}

func BenchmarkBackendCirclMul(b *testing.B) {
	g := circl.Ristretto255
	s := g.RandomScalar(randReader{})
	p := g.NewElement().MulGen(g.RandomScalar(randReader{}))
	for b.Loop() {
		g.NewElement().Mul(p, s)
	}
}

// 64 terms, as in a batch of a few ballots.
func BenchmarkBackendGtankVarTimeMSM64(b *testing.B) {
	ss, ps := make([]*Scalar, 64), make([]*Point, 64)
	for i := range ss {
		ss[i], ps[i] = RandomScalar(), BaseMul(RandomScalar())
	}
	for b.Loop() {
		VarTimeMSM(ss, ps)
	}
}

// circl has no MSM: 64 separate multiplications and additions.
func BenchmarkBackendCirclMSM64(b *testing.B) {
	g := circl.Ristretto255
	ss, ps := make([]circl.Scalar, 64), make([]circl.Element, 64)
	for i := range ss {
		ss[i], ps[i] = g.RandomScalar(randReader{}), g.NewElement().MulGen(g.RandomScalar(randReader{}))
	}
	for b.Loop() {
		acc := g.Identity()
		for i := range ss {
			acc.Add(acc, g.NewElement().Mul(ps[i], ss[i]))
		}
	}
}

func BenchmarkBackendGtankDecode(b *testing.B) {
	enc := BaseMul(RandomScalar()).Bytes()
	for b.Loop() {
		if _, err := DecodeElement(enc[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBackendCirclDecode(b *testing.B) {
	g := circl.Ristretto255
	enc, _ := g.NewElement().MulGen(g.RandomScalar(randReader{})).MarshalBinary()
	for b.Loop() {
		if err := g.NewElement().UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}
