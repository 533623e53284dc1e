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

// kyberMaxN is the largest N at which BenchmarkShuffle runs the kyber
// baseline: at 10^5 one kyber prove and verify of width 5 would take about
// 20 minutes.
const kyberMaxN = 10000

// benchSizes are the list sizes N of BenchmarkShuffle: 1000 and 10000 by
// default, or the comma-separated list in MIXNET_BENCH_N (for instance
// MIXNET_BENCH_N=1000,10000,100000).
func benchSizes(b *testing.B) []int {
	s := os.Getenv("MIXNET_BENCH_N")
	if s == "" {
		return []int{1000, 10000}
	}
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		require.NoError(b, err)
		require.Positive(b, n)
		ns = append(ns, n)
	}
	return ns
}

// lazy returns a function that calls f once, on first use, and then returns
// its result: set-up that only the selected sub-benchmarks pay for.
func lazy[T any](f func() T) func() T {
	var v T
	done := false
	return func() T {
		if !done {
			v, done = f(), true
		}
		return v
	}
}

// perCiphertext runs op in a b.Loop and reports the wall-clock time per
// ciphertext (N·w of them) in milliseconds, "ms/ct", and the CPU time of
// all cores per ciphertext, "cpu-ms/ct" (Linux only).
func perCiphertext(b *testing.B, ct int, op func()) {
	start, ok := cpuTime()
	for b.Loop() {
		op()
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N)/float64(ct), "ms/ct")
	if end, _ := cpuTime(); ok {
		b.ReportMetric((end-start).Seconds()*1e3/float64(b.N)/float64(ct), "cpu-ms/ct")
	}
}

// BenchmarkShuffle measures, for N sequences of width 1 and 5:
//
//   - tw/prove: Shuffle plus the encodings of the output list and the proof
//     (what a mixer posts), on all GOMAXPROCS cores;
//   - tw/verify: decoding the output list and the proof, then Verify (what
//     the verifier does with a board entry; the input list is the previous
//     mix's output, already decoded), on all GOMAXPROCS cores;
//   - kyber/prove, kyber/verify (N ≤ 10^4): kyber v3.1.0's Neff shuffle on
//     kyber's own edwards25519 suite (shuffle.Shuffle for width 1,
//     shuffle.SequencesShuffle for width 5, proof.HashProve/HashVerify),
//     the baseline, on in-memory points. kyber's shuffle is sequential: it
//     uses one core whatever GOMAXPROCS is.
//
// Each reports ms/ct, wall-clock milliseconds per ciphertext, and cpu-ms/ct,
// the CPU time of all cores per ciphertext (the fairer comparison on a
// shared machine, and between a parallel and a sequential prover). The
// default sizes keep a run to a few minutes (kyber dominates); for large N
// run one iteration, e.g.
//
//	go test -run '^$' -bench Shuffle -benchtime 1x -count 3 ./mixnet/
//	MIXNET_BENCH_N=100000 go test -run '^$' -bench Shuffle -benchtime 1x -count 3 -timeout 1h ./mixnet/
//
// and -cpu 1,2 to compare the TW proof on one core with kyber.
func BenchmarkShuffle(b *testing.B) {
	for _, n := range benchSizes(b) {
		for _, w := range []int{1, 5} {
			b.Run(fmt.Sprintf("N=%d/w=%d", n, w), func(b *testing.B) {
				benchTW(b, n, w)
				if n <= kyberMaxN {
					benchKyber(b, n, w)
				}
			})
		}
	}
}

// benchTW runs the Terelius–Wikström shuffle on N sequences of width w.
func benchTW(b *testing.B, n, w int) {
	type mix struct {
		f      *fixture
		lb, pb []byte
	}
	fix := lazy(func() *fixture {
		generators(n) // public constants, derived once per process
		return newFixture(b, n, w)
	})
	posted := lazy(func() mix {
		f := fix()
		out, proof, err := Shuffle(f.st, f.in)
		require.NoError(b, err)
		lb, err := EncodeList(out)
		require.NoError(b, err)
		pb, err := proof.Bytes()
		require.NoError(b, err)
		return mix{f: f, lb: lb, pb: pb}
	})
	b.Run("tw/prove", func(b *testing.B) {
		f := fix()
		perCiphertext(b, n*w, func() {
			out, proof, err := Shuffle(f.st, f.in)
			require.NoError(b, err)
			_, err = EncodeList(out)
			require.NoError(b, err)
			_, err = proof.Bytes()
			require.NoError(b, err)
		})
	})
	b.Run("tw/verify", func(b *testing.B) {
		m := posted()
		perCiphertext(b, n*w, func() {
			out, err := DecodeList(m.lb)
			require.NoError(b, err)
			p, err := DecodeProof(m.pb)
			require.NoError(b, err)
			require.NoError(b, Verify(m.f.st, m.f.in, out, p))
		})
	})
}

// benchKyber runs kyber's Neff shuffle on N sequences of width w.
func benchKyber(b *testing.B, n, w int) {
	suite := edwards25519.NewBlakeSHA256Ed25519()
	rnd := suite.RandomStream()
	type input struct {
		H    kyber.Point
		X, Y [][]kyber.Point
	}
	type mix struct {
		XX, YY [][]kyber.Point
		e      []kyber.Scalar
		prf    []byte
	}
	in := lazy(func() input {
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
		return input{H: H, X: X, Y: Y}
	})
	run := func(in input) mix {
		if w == 1 {
			XX, YY, prover := shuffle.Shuffle(suite, nil, in.H, in.X[0], in.Y[0], rnd)
			prf, err := proof.HashProve(suite, "PairShuffle", prover)
			require.NoError(b, err)
			return mix{XX: [][]kyber.Point{XX}, YY: [][]kyber.Point{YY}, prf: prf}
		}
		XX, YY, getProver := shuffle.SequencesShuffle(suite, nil, in.H, in.X, in.Y, rnd)
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
	verify := func(in input, m mix) error {
		if w == 1 {
			v := shuffle.Verifier(suite, nil, in.H, in.X[0], in.Y[0], m.XX[0], m.YY[0])
			return proof.HashVerify(suite, "PairShuffle", v, m.prf)
		}
		XU, YU, XD, YD := shuffle.GetSequenceVerifiable(suite, in.X, in.Y, m.XX, m.YY, m.e)
		v := shuffle.Verifier(suite, nil, in.H, XU, YU, XD, YD)
		return proof.HashVerify(suite, "PairShuffle", v, m.prf)
	}
	posted := lazy(func() mix {
		m := run(in())
		require.NoError(b, verify(in(), m))
		return m
	})
	b.Run("kyber/prove", func(b *testing.B) {
		x := in()
		perCiphertext(b, n*w, func() { run(x) })
	})
	b.Run("kyber/verify", func(b *testing.B) {
		x, m := in(), posted()
		perCiphertext(b, n*w, func() { require.NoError(b, verify(x, m)) })
	})
}
