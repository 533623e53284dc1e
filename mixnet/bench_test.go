package mixnet

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.dedis.ch/kyber/v3"
	"go.dedis.ch/kyber/v3/group/edwards25519"
	"go.dedis.ch/kyber/v3/proof"
	"go.dedis.ch/kyber/v3/shuffle"
)

// benchSizes are the list sizes N of BenchmarkShuffle: 1000 by default,
// or the comma-separated list in MIXNET_BENCH_N (e.g. 1000,10000).
func benchSizes(b *testing.B) []int {
	s := os.Getenv("MIXNET_BENCH_N")
	if s == "" {
		return []int{1000}
	}
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		require.NoError(b, err)
		ns = append(ns, n)
	}
	return ns
}

// BenchmarkShuffle measures, for N sequences of width 1 and 5:
//
//   - tw/prove: Shuffle plus the encodings of the output list and the proof
//     (what a mixer posts);
//   - tw/verify: decoding the output list and the proof, then Verify (what
//     the verifier does with a board entry; the input list is the previous
//     mix's output, already decoded);
//   - kyber/prove, kyber/verify: kyber v3.1.0's Neff shuffle on kyber's own
//     edwards25519 suite (shuffle.Shuffle for width 1,
//     shuffle.SequencesShuffle for width 5, proof.HashProve/HashVerify),
//     the baseline, on in-memory points.
//
// Each reports ms/ct, milliseconds per ciphertext (N·w of them).
func BenchmarkShuffle(b *testing.B) {
	for _, n := range benchSizes(b) {
		for _, w := range []int{1, 5} {
			ct := float64(n * w)
			f := newFixture(b, n, w)
			generators(n) // public constants, derived once per process
			out, proof, err := Shuffle(f.st, f.in)
			require.NoError(b, err)
			lb, err := EncodeList(out)
			require.NoError(b, err)
			pb, err := proof.Bytes()
			require.NoError(b, err)
			b.Run(fmt.Sprintf("N=%d/w=%d/tw/prove", n, w), func(b *testing.B) {
				for b.Loop() {
					out, proof, err := Shuffle(f.st, f.in)
					require.NoError(b, err)
					_, err = EncodeList(out)
					require.NoError(b, err)
					_, err = proof.Bytes()
					require.NoError(b, err)
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/ct, "ms/ct")
			})
			b.Run(fmt.Sprintf("N=%d/w=%d/tw/verify", n, w), func(b *testing.B) {
				for b.Loop() {
					out, err := DecodeList(lb)
					require.NoError(b, err)
					p, err := DecodeProof(pb)
					require.NoError(b, err)
					require.NoError(b, Verify(f.st, f.in, out, p))
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/ct, "ms/ct")
			})
			benchKyber(b, n, w)
		}
	}
}

// benchKyber runs kyber's Neff shuffle on N sequences of width w.
func benchKyber(b *testing.B, n, w int) {
	suite := edwards25519.NewBlakeSHA256Ed25519()
	rnd := suite.RandomStream()
	H := suite.Point().Mul(suite.Scalar().Pick(rnd), nil)
	// kyber's layout: X[k][i] is column k of sequence i.
	X, Y := make([][]kyber.Point, w), make([][]kyber.Point, w)
	for k := range w {
		X[k], Y[k] = make([]kyber.Point, n), make([]kyber.Point, n)
		for i := range n {
			r := suite.Scalar().Pick(rnd)
			X[k][i] = suite.Point().Mul(r, nil)
			Y[k][i] = suite.Point().Add(suite.Point().Mul(r, H), suite.Point().Pick(rnd))
		}
	}
	ct := float64(n * w)
	type mix struct {
		XX, YY [][]kyber.Point
		e      []kyber.Scalar
		prf    []byte
	}
	run := func() mix {
		if w == 1 {
			XX, YY, prover := shuffle.Shuffle(suite, nil, H, X[0], Y[0], rnd)
			prf, err := proof.HashProve(suite, "PairShuffle", prover)
			require.NoError(b, err)
			return mix{XX: [][]kyber.Point{XX}, YY: [][]kyber.Point{YY}, prf: prf}
		}
		XX, YY, getProver := shuffle.SequencesShuffle(suite, nil, H, X, Y, rnd)
		e := make([]kyber.Scalar, w)
		for k := range e {
			e[k] = suite.Scalar().Pick(rnd)
		}
		prover, err := getProver(e)
		require.NoError(b, err)
		prf, err := proof.HashProve(suite, "PairShuffle", prover)
		require.NoError(b, err)
		return mix{XX: XX, YY: YY, e: e, prf: prf}
	}
	verify := func(m mix) error {
		if w == 1 {
			v := shuffle.Verifier(suite, nil, H, X[0], Y[0], m.XX[0], m.YY[0])
			return proof.HashVerify(suite, "PairShuffle", v, m.prf)
		}
		XU, YU, XD, YD := shuffle.GetSequenceVerifiable(suite, X, Y, m.XX, m.YY, m.e)
		v := shuffle.Verifier(suite, nil, H, XU, YU, XD, YD)
		return proof.HashVerify(suite, "PairShuffle", v, m.prf)
	}
	m := run()
	require.NoError(b, verify(m))
	b.Run(fmt.Sprintf("N=%d/w=%d/kyber/prove", n, w), func(b *testing.B) {
		for b.Loop() {
			run()
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/ct, "ms/ct")
	})
	b.Run(fmt.Sprintf("N=%d/w=%d/kyber/verify", n, w), func(b *testing.B) {
		for b.Loop() {
			require.NoError(b, verify(m))
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/ct, "ms/ct")
	})
}
