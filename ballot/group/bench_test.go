package group

import (
	"fmt"
	"testing"

	"filippo.io/edwards25519"
	r255 "github.com/bwesterb/go-ristretto"
	circl "github.com/cloudflare/circl/group"
	"github.com/gtank/ristretto255"
)

// BenchmarkBackend measures, in one run, the operations of the hot path on
// every ristretto255 backend available:
//
//   - gtank: github.com/gtank/ristretto255 v0.1.2, the previous backend
//     (its MSM as this package had it: gtank's Straus below
//     pippengerThreshold terms, Pippenger over gtank's Element above);
//   - circl: github.com/cloudflare/circl/group's Ristretto255;
//   - goristretto: github.com/bwesterb/go-ristretto (which circl wraps);
//   - filippo: this package's RFC 9496 encoding over filippo.io/edwards25519
//     (the backend now), measured on the raw library calls, and "group",
//     this package's API on top of it.
//
// circl and go-ristretto have no multi-scalar multiplication: their "msm"
// is n separate variable-base multiplications and additions (go-ristretto's
// variable-time one), which scales linearly, so 16384 terms is left out.
//
// Operations: decode (32-byte canonical decoding of a random element),
// encode, basemul (s·G, constant time), mul (s·P, constant time), and
// msm/n (variable-time Σ sᵢ·Pᵢ with full-size scalars).
func BenchmarkBackend(b *testing.B) {
	const maxLinear = 1024
	sizes := []int{2, 64, 1024, 16384}
	var u [64]byte
	randReader{}.Read(u[:])

	b.Run("gtank", func(b *testing.B) {
		var s ristretto255.Scalar
		s.FromUniformBytes(u[:])
		var P ristretto255.Element
		P.ScalarBaseMult(&s)
		enc := P.Encode(nil)
		b.Run("decode", func(b *testing.B) {
			var e ristretto255.Element
			for b.Loop() {
				if e.Decode(enc) != nil {
					b.Fatal("decode")
				}
			}
		})
		b.Run("encode", func(b *testing.B) {
			var buf [32]byte
			for b.Loop() {
				P.Encode(buf[:0])
			}
		})
		b.Run("basemul", func(b *testing.B) {
			var r ristretto255.Element
			for b.Loop() {
				r.ScalarBaseMult(&s)
			}
		})
		b.Run("mul", func(b *testing.B) {
			var r ristretto255.Element
			for b.Loop() {
				r.ScalarMult(&s, &P)
			}
		})
		for _, n := range sizes {
			ss, ps, bs := make([]*ristretto255.Scalar, n), make([]*ristretto255.Element, n), make([][32]byte, n)
			for i := range ss {
				x, y := RandomScalar(), RandomScalar()
				bs[i] = x.Bytes()
				ss[i] = new(ristretto255.Scalar)
				ss[i].Decode(bs[i][:])
				yb := y.Bytes()
				var ys ristretto255.Scalar
				ys.Decode(yb[:])
				ps[i] = new(ristretto255.Element).ScalarBaseMult(&ys)
			}
			var id ristretto255.Element
			id.Zero()
			b.Run(fmt.Sprintf("msm/%d", n), func(b *testing.B) {
				var r ristretto255.Element
				for b.Loop() {
					if n >= pippengerThreshold {
						pippenger(bs, ps, &id)
					} else {
						r.VarTimeMultiScalarMult(ss, ps)
					}
				}
			})
		}
	})

	b.Run("circl", func(b *testing.B) {
		g := circl.Ristretto255
		s := g.RandomScalar(randReader{})
		P := g.NewElement().MulGen(g.RandomScalar(randReader{}))
		enc, _ := P.MarshalBinary()
		b.Run("decode", func(b *testing.B) {
			e := g.NewElement()
			for b.Loop() {
				if e.UnmarshalBinary(enc) != nil {
					b.Fatal("decode")
				}
			}
		})
		b.Run("encode", func(b *testing.B) {
			for b.Loop() {
				P.MarshalBinary()
			}
		})
		b.Run("basemul", func(b *testing.B) {
			r := g.NewElement()
			for b.Loop() {
				r.MulGen(s)
			}
		})
		b.Run("mul", func(b *testing.B) {
			r := g.NewElement()
			for b.Loop() {
				r.Mul(P, s)
			}
		})
		for _, n := range sizes {
			if n > maxLinear {
				continue
			}
			ss, ps := make([]circl.Scalar, n), make([]circl.Element, n)
			for i := range ss {
				ss[i], ps[i] = g.RandomScalar(randReader{}), g.NewElement().MulGen(g.RandomScalar(randReader{}))
			}
			b.Run(fmt.Sprintf("msm/%d", n), func(b *testing.B) {
				acc, t := g.NewElement(), g.NewElement()
				for b.Loop() {
					acc.Set(g.Identity())
					for i := range ss {
						acc.Add(acc, t.Mul(ps[i], ss[i]))
					}
				}
			})
		}
	})

	b.Run("goristretto", func(b *testing.B) {
		var s r255.Scalar
		s.SetReduced(&u)
		var P r255.Point
		P.ScalarMultBase(&s)
		var enc [32]byte
		P.BytesInto(&enc)
		b.Run("decode", func(b *testing.B) {
			var e r255.Point
			for b.Loop() {
				if !e.SetBytes(&enc) {
					b.Fatal("decode")
				}
			}
		})
		b.Run("encode", func(b *testing.B) {
			var buf [32]byte
			for b.Loop() {
				P.BytesInto(&buf)
			}
		})
		b.Run("basemul", func(b *testing.B) {
			var r r255.Point
			for b.Loop() {
				r.ScalarMultBase(&s)
			}
		})
		b.Run("mul", func(b *testing.B) {
			var r r255.Point
			for b.Loop() {
				r.ScalarMult(&P, &s)
			}
		})
		for _, n := range sizes {
			if n > maxLinear {
				continue
			}
			ss, ps := make([]r255.Scalar, n), make([]r255.Point, n)
			for i := range ss {
				ss[i].Rand()
				ps[i].Rand()
			}
			b.Run(fmt.Sprintf("msm/%d", n), func(b *testing.B) {
				var acc, t r255.Point
				for b.Loop() {
					acc.SetZero()
					for i := range ss {
						acc.Add(&acc, t.PublicScalarMult(&ps[i], &ss[i]))
					}
				}
			})
		}
	})

	b.Run("filippo", func(b *testing.B) {
		s, _ := edwards25519.NewScalar().SetUniformBytes(u[:])
		P := new(edwards25519.Point).ScalarBaseMult(s)
		var enc [32]byte
		r255Encode(&enc, P)
		b.Run("decode", func(b *testing.B) {
			var e edwards25519.Point
			for b.Loop() {
				if r255Decode(&e, &enc) != nil {
					b.Fatal("decode")
				}
			}
		})
		b.Run("encode", func(b *testing.B) {
			var buf [32]byte
			for b.Loop() {
				r255Encode(&buf, P)
			}
		})
		b.Run("basemul", func(b *testing.B) {
			var r edwards25519.Point
			for b.Loop() {
				r.ScalarBaseMult(s)
			}
		})
		b.Run("mul", func(b *testing.B) {
			var r edwards25519.Point
			for b.Loop() {
				r.ScalarMult(s, P)
			}
		})
		for _, n := range sizes {
			ss, ps := make([]*Scalar, n), make([]*Point, n)
			for i := range ss {
				ss[i], ps[i] = RandomScalar(), BaseMul(RandomScalar())
			}
			b.Run(fmt.Sprintf("msm/%d", n), func(b *testing.B) {
				for b.Loop() {
					VarTimeMSM(ss, ps)
				}
			})
		}
	})

	b.Run("group", func(b *testing.B) {
		s, P := RandomScalar(), BaseMul(RandomScalar())
		enc := P.Bytes()
		b.Run("decode", func(b *testing.B) {
			for b.Loop() {
				if _, err := DecodeElement(enc[:]); err != nil {
					b.Fatal(err)
				}
			}
		})
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
		fb := NewFixedBase(P)
		b.Run("fixedbase-mul", func(b *testing.B) {
			for b.Loop() {
				fb.Mul(s)
			}
		})
	})
}
