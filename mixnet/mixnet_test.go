package mixnet

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// fixture is an election key, a statement and an input list of n sequences
// of width w, sequence i encrypting i·w+k in column k.
type fixture struct {
	sk *group.Scalar
	st *Statement
	in []Sequence
}

func newFixture(t testing.TB, n, w int) *fixture {
	sk, pk := elgamal.GenerateKey()
	st, err := NewStatement(pk, [32]byte{1, 2, 3}, 2, "ranked")
	require.NoError(t, err)
	in := make([]Sequence, n)
	parallel(n, func(lo, hi int) { // the benchmarks' lists are large
		for i := lo; i < hi; i++ {
			in[i] = make(Sequence, w)
			for k := range w {
				in[i][k] = elgamal.EncryptUint(st.Key(), uint64(i*w+k), group.RandomScalar())
			}
		}
	})
	return &fixture{sk: sk, st: st, in: in}
}

func TestShuffleVerifies(t *testing.T) {
	for _, c := range []struct{ n, w int }{{1, 1}, {2, 1}, {3, 5}, {40, 2}, {300, 1}} {
		f := newFixture(t, c.n, c.w)
		out, proof, err := Shuffle(f.st, f.in)
		require.NoError(t, err)
		require.NoError(t, Verify(f.st, f.in, out, proof), "n=%d w=%d", c.n, c.w)
		require.True(t, batchHolds(f.st, f.in, out, proof), "the batch alone accepts an honest proof")
		// The output decrypts to the same sequences, each kept whole.
		seen := map[uint64]bool{}
		dl := elgamal.NewDLog(uint64(c.n * c.w))
		for _, s := range out {
			first, err := dl.Solve(s[0].Decrypt(f.sk))
			require.NoError(t, err)
			require.Zero(t, first%uint64(c.w))
			for k := range s {
				m, err := dl.Solve(s[k].Decrypt(f.sk))
				require.NoError(t, err)
				require.Equal(t, first+uint64(k), m)
			}
			require.False(t, seen[first])
			seen[first] = true
		}
	}
}

// witness is a shuffle's secret: a permutation and the re-encryption
// randomness.
type witness struct {
	perm []int
	rho  [][]*group.Scalar
}

func newWitness(t testing.TB, n, w int) *witness {
	perm, err := randomPermutation(n, rand.Reader)
	require.NoError(t, err)
	rho := make([][]*group.Scalar, n)
	for i := range rho {
		rho[i] = make([]*group.Scalar, w)
		for k := range rho[i] {
			rho[i][k] = group.RandomScalar()
		}
	}
	return &witness{perm: perm, rho: rho}
}

// apply returns the output the witness gives, column k permuted by
// perms[k] if given (else by wit.perm).
func (f *fixture) apply(wit *witness, perms ...[]int) []Sequence {
	out := make([]Sequence, len(f.in))
	for i := range out {
		out[i] = make(Sequence, len(f.in[0]))
		for k := range out[i] {
			perm := wit.perm
			if k < len(perms) {
				perm = perms[k]
			}
			out[i][k] = canonical(f.in[perm[i]][k].ReEncrypt(f.st.Key(), wit.rho[i][k]))
		}
	}
	return out
}

func clone(l []Sequence) []Sequence {
	c := make([]Sequence, len(l))
	for i := range l {
		c[i] = append(Sequence(nil), l[i]...)
	}
	return c
}

func randomCiphertext(st *Statement) elgamal.Ciphertext {
	return canonical(elgamal.EncryptUint(st.Key(), 7, group.RandomScalar()))
}

// TestBadOutput: an output that is not a re-encrypted permutation of the
// input, with the best proof a cheating mixer can make (the honest prover
// run on the claimed permutation), does not verify.
func TestBadOutput(t *testing.T) {
	const n, w = 12, 3
	f := newFixture(t, n, w)
	wit := newWitness(t, n, w)
	good := f.apply(wit)
	require.NoError(t, Verify(f.st, f.in, good, prove(f.st, f.in, good, wit.perm, wit.rho)))

	t.Run("dropped", func(t *testing.T) {
		out, proof, err := Shuffle(f.st, f.in)
		require.NoError(t, err)
		err = Verify(f.st, f.in, out[1:], proof)
		require.ErrorIs(t, err, ErrMalformed)
		assert.ErrorContains(t, err, "output list is 11×3, input 12×3")
	})
	t.Run("dropped and replaced by a duplicate", func(t *testing.T) {
		out := clone(good)
		out[4] = Sequence{}
		for k := range w {
			out[4] = append(out[4], canonical(out[3][k].ReEncrypt(f.st.Key(), group.RandomScalar())))
		}
		err := Verify(f.st, f.in, out, prove(f.st, f.in, out, wit.perm, wit.rho))
		require.ErrorIs(t, err, ErrInvalidProof)
		assert.ErrorContains(t, err, "(E4)")
	})
	t.Run("duplicated as is", func(t *testing.T) {
		out := clone(good)
		out[5] = out[6]
		require.ErrorIs(t, Verify(f.st, f.in, out, prove(f.st, f.in, out, wit.perm, wit.rho)), ErrInvalidProof)
	})
	t.Run("replaced", func(t *testing.T) {
		out := clone(good)
		out[2] = Sequence{randomCiphertext(f.st), randomCiphertext(f.st), randomCiphertext(f.st)}
		require.ErrorIs(t, Verify(f.st, f.in, out, prove(f.st, f.in, out, wit.perm, wit.rho)), ErrInvalidProof)
	})
	t.Run("one ciphertext replaced", func(t *testing.T) {
		out := clone(good)
		out[7][1] = randomCiphertext(f.st)
		err := Verify(f.st, f.in, out, prove(f.st, f.in, out, wit.perm, wit.rho))
		require.ErrorIs(t, err, ErrInvalidProof)
		assert.ErrorContains(t, err, "column 1")
	})
	t.Run("ranking split across voters", func(t *testing.T) {
		// Column 2 follows another permutation than columns 0 and 1: every
		// ciphertext is a re-encryption of an input one, but sequences are
		// mixed up. The proof is made for column 0's permutation.
		other := newWitness(t, n, w).perm
		out := f.apply(wit, wit.perm, wit.perm, other)
		err := Verify(f.st, f.in, out, prove(f.st, f.in, out, wit.perm, wit.rho))
		require.ErrorIs(t, err, ErrInvalidProof)
		assert.ErrorContains(t, err, "column 2")
		// Nor for the other permutation.
		err = Verify(f.st, f.in, out, prove(f.st, f.in, out, other, wit.rho))
		require.ErrorIs(t, err, ErrInvalidProof)
		assert.ErrorContains(t, err, "column 0")
	})
	t.Run("not a permutation", func(t *testing.T) {
		// π maps two outputs to input 0: the commitment is not to a
		// permutation matrix.
		bad := append([]int(nil), wit.perm...)
		for i := range bad {
			if bad[i] == 1 {
				bad[i] = 0
			}
		}
		w2 := &witness{perm: bad, rho: wit.rho}
		out := f.apply(w2)
		require.ErrorIs(t, Verify(f.st, f.in, out, prove(f.st, f.in, out, bad, wit.rho)), ErrInvalidProof)
	})
	t.Run("outputs swapped after proving", func(t *testing.T) {
		out := clone(good)
		out[0], out[1] = out[1], out[0]
		require.ErrorIs(t, Verify(f.st, f.in, out, prove(f.st, f.in, good, wit.perm, wit.rho)), ErrInvalidProof)
	})
}

// TestTransplant: a valid proof does not verify for another statement or
// other lists.
func TestTransplant(t *testing.T) {
	const n, w = 9, 2
	f := newFixture(t, n, w)
	out, proof, err := Shuffle(f.st, f.in)
	require.NoError(t, err)
	require.NoError(t, Verify(f.st, f.in, out, proof))
	st := func(key *group.Point, base [32]byte, mixer uint32, contest string) *Statement {
		s, err := NewStatement(key, base, mixer, contest)
		require.NoError(t, err)
		return s
	}
	_, otherKey := elgamal.GenerateKey()
	for name, s := range map[string]*Statement{
		"another election": st(f.st.Key(), [32]byte{9}, f.st.Mixer(), f.st.Contest()),
		"another mixer":    st(f.st.Key(), f.st.Base(), f.st.Mixer()+1, f.st.Contest()),
		"another contest":  st(f.st.Key(), f.st.Base(), f.st.Mixer(), "ranked2"),
		"another key":      st(otherKey, f.st.Base(), f.st.Mixer(), f.st.Contest()),
	} {
		err := Verify(s, f.in, out, proof)
		require.ErrorIs(t, err, ErrInvalidProof, name)
	}
	t.Run("another input list", func(t *testing.T) {
		g := newFixture(t, n, w)
		in2 := clone(f.in)
		in2[3] = g.in[3]
		require.ErrorIs(t, Verify(f.st, in2, out, proof), ErrInvalidProof)
	})
	t.Run("second shuffle of the same input", func(t *testing.T) {
		out2, proof2, err := Shuffle(f.st, f.in)
		require.NoError(t, err)
		require.NoError(t, Verify(f.st, f.in, out2, proof2))
		require.ErrorIs(t, Verify(f.st, f.in, out2, proof), ErrInvalidProof)
		require.ErrorIs(t, Verify(f.st, f.in, out, proof2), ErrInvalidProof)
	})
	t.Run("the input re-posted as output", func(t *testing.T) {
		require.ErrorIs(t, Verify(f.st, f.in, f.in, proof), ErrUnmixed)
	})
}

// TestUnmixed: a list re-posted unchanged, or with some ciphertexts not
// re-encrypted, is rejected even with a proof that holds (the identity
// permutation and zero randomness make a valid TW proof; this test verified
// before Verify checked for repeated ciphertexts).
func TestUnmixed(t *testing.T) {
	const n, w = 6, 2
	f := newFixture(t, n, w)
	identity := make([]int, n)
	zero := make([][]*group.Scalar, n)
	for i := range identity {
		identity[i] = i
		zero[i] = []*group.Scalar{group.NewScalar(0), group.NewScalar(0)}
	}
	repost := clone(f.in)
	p := prove(f.st, f.in, repost, identity, zero)
	require.True(t, batchHolds(f.st, f.in, repost, p), "the proof itself holds")
	err := Verify(f.st, f.in, repost, p)
	require.ErrorIs(t, err, ErrUnmixed)
	assert.ErrorContains(t, err, "output sequence 0 ciphertext 0 has the A component of input sequence 0 ciphertext 0")

	// A real shuffle that leaves one ciphertext as it was.
	wit := newWitness(t, n, w)
	wit.rho[3][1] = group.NewScalar(0)
	out := f.apply(wit)
	p = prove(f.st, f.in, out, wit.perm, wit.rho)
	require.True(t, batchHolds(f.st, f.in, out, p))
	err = Verify(f.st, f.in, out, p)
	require.ErrorIs(t, err, ErrUnmixed)
	assert.ErrorContains(t, err, "output sequence 3 ciphertext 1")
}

// TestTamperedProof changes every point and scalar of a valid proof in turn.
func TestTamperedProof(t *testing.T) {
	const n, w = 5, 2
	f := newFixture(t, n, w)
	out, proof, err := Shuffle(f.st, f.in)
	require.NoError(t, err)
	enc, err := proof.Bytes()
	require.NoError(t, err)
	nPoints := 3*n + 3 + 2*w
	for k := range nPoints + 2*n + 3 + w {
		p, err := DecodeProof(enc)
		require.NoError(t, err)
		b := append([]byte(nil), enc...)
		o := headerSize + 32*k
		if k < nPoints {
			q := group.BaseMul(group.RandomScalar()).Bytes()
			copy(b[o:], q[:])
		} else {
			s, err := group.DecodeScalar(b[o : o+32])
			require.NoError(t, err)
			sb := s.Add(group.NewScalar(1)).Bytes()
			copy(b[o:], sb[:])
		}
		p, err = DecodeProof(b)
		require.NoError(t, err)
		err = Verify(f.st, f.in, out, p)
		require.ErrorIs(t, err, ErrInvalidProof, "field %d", k)
	}
}

func TestShapes(t *testing.T) {
	f := newFixture(t, 4, 2)
	out, proof, err := Shuffle(f.st, f.in)
	require.NoError(t, err)
	_, _, err = Shuffle(f.st, nil)
	require.ErrorIs(t, err, ErrMalformed)
	ragged := clone(f.in)
	ragged[2] = ragged[2][:1]
	_, _, err = Shuffle(f.st, ragged)
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorIs(t, Verify(f.st, ragged, out, proof), ErrMalformed)
	require.ErrorIs(t, Verify(f.st, f.in, out, nil), ErrMalformed)
	withNil := clone(out)
	withNil[1][1].B = nil
	require.ErrorIs(t, Verify(f.st, f.in, withNil, proof), ErrMalformed)
	withID := clone(out)
	withID[1][1].A = group.Identity()
	require.ErrorIs(t, Verify(f.st, f.in, withID, proof), ErrMalformed)
	p2 := *proof
	p2.SPerm = p2.SPerm[1:]
	require.ErrorIs(t, Verify(f.st, f.in, out, &p2), ErrMalformed)
	p3 := *proof
	p3.T4 = []elgamal.Ciphertext{p3.T4[0], {A: p3.T1, B: nil}}
	require.ErrorIs(t, Verify(f.st, f.in, out, &p3), ErrMalformed)
	p4 := *proof
	p4.S2 = nil
	require.ErrorIs(t, Verify(f.st, f.in, out, &p4), ErrMalformed)

	_, pk := elgamal.GenerateKey()
	for _, bad := range []func() (*Statement, error){
		func() (*Statement, error) { return NewStatement(nil, [32]byte{}, 1, "c") },
		func() (*Statement, error) { return NewStatement(group.Identity(), [32]byte{}, 1, "c") },
		func() (*Statement, error) { return NewStatement(pk, [32]byte{}, 0, "c") },
		func() (*Statement, error) { return NewStatement(pk, [32]byte{}, 1, "") },
		func() (*Statement, error) {
			return NewStatement(pk, [32]byte{}, 1, strings.Repeat("x", MaxContestID+1))
		},
	} {
		_, err := bad()
		require.ErrorIs(t, err, ErrMalformed)
	}
}

func TestPermutationUniform(t *testing.T) {
	// Each of the 6 permutations of 3 elements, over 6000 draws: a biased
	// draw (such as v % (i+1) without rejection on a small source) would
	// show; the bound is about 6 standard deviations.
	counts := map[[3]int]int{}
	for range 6000 {
		p, err := randomPermutation(3, rand.Reader)
		require.NoError(t, err)
		counts[[3]int(p)]++
	}
	require.Len(t, counts, 6)
	for p, c := range counts {
		assert.InDelta(t, 1000, c, 180, "%v", p)
	}
}

func TestGeneratorsDistinct(t *testing.T) {
	h, hs := generators(64)
	seen := map[[32]byte]bool{h.Point().Bytes(): true, group.Generator().Bytes(): true}
	for _, p := range hs {
		b := p.Bytes()
		require.False(t, seen[b])
		seen[b] = true
	}
	// The cache returns the same generators as a fresh derivation.
	require.Equal(t, generator(17).Bytes(), hs[16].Bytes())
}

// TestCTMSM: the prover's constant-time multi-scalar multiplication agrees
// with the variable-time one and with the plain sum, on sizes that are and
// are not split over the cores (an earlier group.MSM returned an invalid
// element that Point.Equal accepted, so the encodings are compared).
func TestCTMSM(t *testing.T) {
	for _, n := range []int{1, 3, 300, 700} {
		ss, ps := make([]*group.Scalar, n), make([]*group.Point, n)
		sum := group.Identity()
		for i := range n {
			ss[i], ps[i] = group.RandomScalar(), group.BaseMul(group.RandomScalar())
			sum = sum.Add(ps[i].Mul(ss[i]))
		}
		want := sum.Bytes()
		require.Equal(t, want, ctMSM(ss, ps).Bytes(), "n=%d", n)
		require.Equal(t, want, parallelMSM(group.VarTimeMSM, ss, ps).Bytes(), "n=%d", n)
		got, err := group.DecodeElement(want[:])
		require.NoError(t, err)
		require.True(t, got.Equal(ctMSM(ss, ps)))
	}
}

// batchHolds runs only the batched check (Verify falls back to the
// equation-by-equation check, which would hide a batch that rejects
// honest proofs).
func batchHolds(st *Statement, in, out []Sequence, proof *Proof) bool {
	hFB, hs := generators(len(in))
	t := transcript(st, in, out, proof.Commitments)
	u := challenges(t, len(in))
	c := finalChallenge(t, proof)
	e := &equations{st: st, in: in, out: out, p: proof, h: hFB.Point(), hs: hs, u: u, c: c}
	return e.batch()
}
