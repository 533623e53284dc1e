package group

import (
	"fmt"
	"testing"

	"filippo.io/edwards25519"
)

func TestSignedDigits(t *testing.T) {
	for _, c := range []int{2, 3, 4, 5, 6, 7, 8, 11, 16} {
		for range 50 {
			s := RandomScalar()
			b := s.Bytes()
			d := make([]int32, (256+c-1)/c+1)
			signedDigits(&b, c, d)
			// Recombine: Σ d[w]·2^(cw) mod ℓ must be s.
			acc := NewScalar(0)
			for w := len(d) - 1; w >= 0; w-- {
				acc = acc.Mul(NewScalar(1 << c)).Add(NewScalarInt(int64(d[w])))
				if d[w] < -(1<<(c-1)) || d[w] >= 1<<(c-1) {
					t.Fatalf("c=%d: digit %d out of range", c, d[w])
				}
			}
			if !acc.Equal(s) {
				t.Fatalf("c=%d: digits do not recombine", c)
			}
		}
	}
}

func TestPippengerMatchesStraus(t *testing.T) {
	for _, n := range []int{1, 2, 3, 17, 200, 700, 2500} {
		ss, ps := make([]*Scalar, n), make([]*Point, n)
		for i := range ss {
			switch i % 5 {
			case 0:
				ss[i] = NewScalarInt(-1) // ℓ − 1: top digits and carries
			case 1:
				ss[i] = NewScalar(0)
			case 2:
				ss[i] = NewScalar(uint64(i))
			default:
				ss[i] = RandomScalar()
			}
			ps[i] = BaseMul(RandomScalar())
			if i%7 == 3 {
				ps[i] = ps[i/2] // repeated points
			}
			if i%11 == 5 {
				ps[i] = Identity()
			}
			if i%13 == 6 {
				ps[i] = ps[i/2].Neg() // P and −P in the same MSM
			}
		}
		want := varTimeMSMStraus(ss, ps)
		if got := varTimeMSMPippenger(ss, ps); !got.Equal(want) {
			t.Errorf("n=%d: Pippenger ≠ Straus", n)
		}
		// The generic Pippenger over full additions agrees too.
		bs, eps := make([][32]byte, n), make([]*edwards25519.Point, n)
		for i := range ss {
			bs[i], eps[i] = ss[i].Bytes(), ps[i].el()
		}
		if r := pippenger(bs, eps, edIdentity); !newPoint(&r).Equal(want) {
			t.Errorf("n=%d: generic Pippenger ≠ Straus", n)
		}
		if got := VarTimeMSM(ss, ps); !got.Equal(want) {
			t.Errorf("n=%d: VarTimeMSM ≠ Straus", n)
		}
		if got := MSM(ss, ps); !got.Equal(want) {
			t.Errorf("n=%d: MSM ≠ Straus", n)
		}
	}
	// All-zero scalars give the identity.
	ss, ps := make([]*Scalar, 300), make([]*Point, 300)
	for i := range ss {
		ss[i], ps[i] = NewScalar(0), Generator()
	}
	if !varTimeMSMPippenger(ss, ps).IsIdentity() {
		t.Error("Σ 0·P ≠ identity")
	}
}

// BenchmarkVarTimeMSM compares Straus and Pippenger per term count (the
// crossover sets pippengerThreshold). Scalars as in batch verification:
// two thirds 128-bit weights, one third full size.
func BenchmarkVarTimeMSM(b *testing.B) {
	for _, n := range []int{64, 128, 256, 512, 2048, 6000} {
		ss, ps := make([]*Scalar, n), make([]*Point, n)
		for i := range ss {
			ss[i], ps[i] = RandomScalar(), BaseMul(RandomScalar())
			if i%3 != 0 {
				b := ss[i].Bytes()
				clear(b[16:])
				ss[i], _ = DecodeScalar(b[:])
			}
		}
		b.Run(fmt.Sprintf("straus/n=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				varTimeMSMStraus(ss, ps)
			}
			reportCPU(b, start)
		})
		b.Run(fmt.Sprintf("pippenger/n=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				varTimeMSMPippenger(ss, ps)
			}
			reportCPU(b, start)
		})
		// The generic Pippenger over edwards25519.Point's full additions
		// (before the affine inputs of pippengerNiels).
		b.Run(fmt.Sprintf("pippenger-ext/n=%d", n), func(b *testing.B) {
			bs, eps := make([][32]byte, n), make([]*edwards25519.Point, n)
			for i := range ss {
				bs[i], eps[i] = ss[i].Bytes(), ps[i].el()
			}
			start := cpuTime()
			for b.Loop() {
				pippenger(bs, eps, edIdentity)
			}
			reportCPU(b, start)
		})
	}
}
