package mixnet

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// Protocol is the transcript's protocol tag (zk.NewTranscript; e2e/SPEC.md
// §14.5).
const Protocol = "tabella/mixnet/v1"

// ChallengeDST is the RFC 9380 domain separation tag of the per-sequence
// challenges u_1..u_N (e2e/SPEC.md §14.5).
const ChallengeDST = "tabella-v1-mixnet-u"

// Limits on what Shuffle, Verify and the decoders accept.
const (
	MaxSequences   = 1 << 20 // N, the number of sequences in a list
	MaxWidth       = 64      // w, the ciphertexts per sequence
	MaxCiphertexts = 1 << 22 // N·w
	MaxContestID   = 64      // bytes of the contest id, as ballot.MaxIDLength
)

// Errors. They are wrapped with detail; test with errors.Is.
var (
	// ErrMalformed: a list, statement or proof has the wrong shape or
	// encoding (sizes, widths, nil or identity points).
	ErrMalformed = errors.New("mixnet: malformed")
	// ErrUnmixed: an output ciphertext repeats an input ciphertext (its
	// first component, A, is that of an input ciphertext), as when a mixer
	// re-posts its input: an honest re-encryption does so with probability
	// 2^-252, and a proof for it can be valid (the identity permutation and
	// zero randomness), so Verify checks it before the proof.
	ErrUnmixed = errors.New("mixnet: output repeats an input ciphertext")
	// ErrInvalidProof: the proof does not verify for this statement and
	// these lists.
	ErrInvalidProof = errors.New("mixnet: invalid shuffle proof")
)

// A Sequence is the ciphertexts of one voter's part (a ranking: the option
// ranked 1st, 2nd, …). A shuffle moves a sequence as one unit and
// re-encrypts each of its ciphertexts. All sequences of a list have the
// same width w ≥ 1.
type Sequence []elgamal.Ciphertext

// A Statement is what a shuffle proof is about, besides the two lists: the
// joint election key, the election's base hash, the mixer (the trustee's
// index) and the contest. All of it enters the Fiat-Shamir transcript, so a
// proof made for one election, mixer or contest does not verify for another.
type Statement struct {
	key     *group.Point // with a precomputed table
	base    [32]byte
	mixer   uint32
	contest string
}

// NewStatement checks and returns a statement. key is the joint election key
// (not the identity), mixer the trustee index (≥ 1), contest the contest id
// (1 to MaxContestID bytes). It precomputes a table for key (about a
// millisecond): build one Statement per mix and reuse it.
func NewStatement(key *group.Point, base [32]byte, mixer uint32, contest string) (*Statement, error) {
	switch {
	case key == nil || key.IsIdentity():
		return nil, fmt.Errorf("%w: statement: key is nil or the identity", ErrMalformed)
	case mixer == 0:
		return nil, fmt.Errorf("%w: statement: mixer index 0", ErrMalformed)
	case len(contest) == 0 || len(contest) > MaxContestID:
		return nil, fmt.Errorf("%w: statement: contest id of %d bytes, want 1..%d", ErrMalformed, len(contest), MaxContestID)
	}
	return &Statement{key: group.NewFixedBase(key).Point(), base: base, mixer: mixer, contest: contest}, nil
}

// Key returns the election key.
func (st *Statement) Key() *group.Point { return st.key }

// Base returns the election's base hash.
func (st *Statement) Base() [32]byte { return st.base }

// Mixer returns the mixer's trustee index.
func (st *Statement) Mixer() uint32 { return st.mixer }

// Contest returns the contest id.
func (st *Statement) Contest() string { return st.contest }

// A Proof is a Terelius–Wikström proof that one list of sequences is a
// permutation of another, each ciphertext re-encrypted (see the package
// comment for the equations and the byte layout). Indices: Commitments is
// indexed by input position j, every other per-sequence slice by output
// position i; T4 and S4 by column k.
type Proof struct {
	Commitments []*group.Point       // c_j = r_j·G + h_{π⁻¹(j)}
	Chain       []*group.Point       // ĉ_i = r̂_i·G + u'_i·ĉ_{i−1}, ĉ_0 = h
	T1, T2, T3  *group.Point         // commitments of the sum, chain-end and opening proofs
	T4          []elgamal.Ciphertext // per column: commitment of the re-encryption proof
	TChain      []*group.Point       // T̂_i, commitments of the chain links
	S1, S2, S3  *group.Scalar        // responses for r̄, r̂, r̃
	S4          []*group.Scalar      // per column: response for ρ_k
	SChain      []*group.Scalar      // ŝ_i, responses for r̂_i
	SPerm       []*group.Scalar      // s'_i, responses for u'_i
}

// checkList checks a list's shape and returns its width.
func checkList(name string, l []Sequence) (int, error) {
	if len(l) == 0 || len(l) > MaxSequences {
		return 0, fmt.Errorf("%w: %s list has %d sequences, want 1..%d", ErrMalformed, name, len(l), MaxSequences)
	}
	w := len(l[0])
	if w == 0 || w > MaxWidth || len(l)*w > MaxCiphertexts {
		return 0, fmt.Errorf("%w: %s list: width %d with %d sequences, want 1..%d and at most %d ciphertexts", ErrMalformed, name, w, len(l), MaxWidth, MaxCiphertexts)
	}
	for i, s := range l {
		if len(s) != w {
			return 0, fmt.Errorf("%w: %s sequence %d has width %d, want %d", ErrMalformed, name, i, len(s), w)
		}
		for k, c := range s {
			if c.A == nil || c.B == nil || c.A.IsIdentity() || c.B.IsIdentity() {
				return 0, fmt.Errorf("%w: %s sequence %d ciphertext %d is nil or has an identity component", ErrMalformed, name, i, k)
			}
		}
	}
	return w, nil
}

// Shuffle draws a uniformly random permutation π and fresh re-encryption
// randomness (crypto/rand), returns out with out[i][k] = in[π(i)][k]
// re-encrypted under the statement's key, and a proof of it.
func Shuffle(st *Statement, in []Sequence) ([]Sequence, *Proof, error) {
	w, err := checkList("input", in)
	if err != nil {
		return nil, nil, err
	}
	n := len(in)
	perm, err := randomPermutation(n, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	rho := make([][]*group.Scalar, n)
	out := make([]Sequence, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rho[i] = make([]*group.Scalar, w)
			out[i] = make(Sequence, w)
			for k := range w {
				rho[i][k] = group.RandomScalar()
				out[i][k] = canonical(in[perm[i]][k].ReEncrypt(st.key, rho[i][k]))
			}
		}
	})
	return out, prove(st, in, out, perm, rho), nil
}

// canonical encodes c's points (each computed point keeps its encoding,
// so the transcript and the caller's encoding do not pay for it again; the
// shuffle does this in parallel) and checks they are not the identity.
func canonical(c elgamal.Ciphertext) elgamal.Ciphertext {
	c.A.Bytes()
	c.B.Bytes()
	if c.A.IsIdentity() || c.B.IsIdentity() {
		// A re-encryption is the identity only if the randomness cancels
		// the input, with probability 2^-252.
		panic("mixnet: internal error: re-encryption gave the identity")
	}
	return c
}

// randomPermutation returns a uniformly random permutation of 0..n−1
// (Fisher–Yates with unbiased draws by rejection).
func randomPermutation(n int, r io.Reader) ([]int, error) {
	br := bufio.NewReaderSize(r, 4096)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	var b [8]byte
	for i := n - 1; i > 0; i-- {
		bound := uint64(i + 1)
		limit := -bound % bound // 2^64 mod bound: draws below it are rejected
		for {
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return nil, fmt.Errorf("mixnet: reading randomness: %w", err)
			}
			v := binary.LittleEndian.Uint64(b[:])
			if v >= limit {
				j := int(v % bound)
				perm[i], perm[j] = perm[j], perm[i]
				break
			}
		}
	}
	return perm, nil
}

// isPermutation reports whether perm is a permutation of 0..len(perm)−1.
func isPermutation(perm []int) bool {
	seen := make([]bool, len(perm))
	for _, j := range perm {
		if j < 0 || j >= len(perm) || seen[j] {
			return false
		}
		seen[j] = true
	}
	return true
}

// transcript is the Fiat-Shamir transcript up to the permutation
// commitment (e2e/SPEC.md §14.5).
func transcript(st *Statement, in, out []Sequence, commitments []*group.Point) *zk.Transcript {
	n, w := len(in), len(in[0])
	t := zk.NewTranscript(Protocol, st.base)
	t.Point("key", st.key)
	t.Uint64("mixer", uint64(st.mixer))
	t.Bytes("contest", []byte(st.contest))
	t.Uint64("n", uint64(n))
	t.Uint64("width", uint64(w))
	t.Bytes("input", appendCiphertexts(make([]byte, 0, n*w*elgamal.CiphertextSize), in))
	t.Bytes("output", appendCiphertexts(make([]byte, 0, n*w*elgamal.CiphertextSize), out))
	t.Bytes("commitments", appendPoints(make([]byte, 0, n*group.PointSize), commitments))
	return t
}

// challenges derives u_1..u_N from the transcript so far:
// u_j = HashToScalar(ChallengeDST, seed || u64be(j)), seed the transcript's
// challenge (32 bytes), j = 1..N.
func challenges(t *zk.Transcript, n int) []*group.Scalar {
	seed := t.Challenge().Bytes()
	u := make([]*group.Scalar, n)
	parallel(n, func(lo, hi int) {
		msg := make([]byte, 0, len(seed)+8)
		for j := lo; j < hi; j++ {
			msg = binary.BigEndian.AppendUint64(append(msg[:0], seed[:]...), uint64(j+1))
			u[j] = group.HashToScalar(ChallengeDST, msg)
		}
	})
	return u
}

// finalChallenge appends the chain and the commitments of the sigma
// protocol, and derives c.
func finalChallenge(t *zk.Transcript, p *Proof) *group.Scalar {
	n := len(p.Chain)
	t.Bytes("chain", appendPoints(make([]byte, 0, n*group.PointSize), p.Chain))
	t.Point("t1", p.T1)
	t.Point("t2", p.T2)
	t.Point("t3", p.T3)
	t4 := make([]byte, 0, len(p.T4)*elgamal.CiphertextSize)
	for _, c := range p.T4 {
		b := c.Bytes()
		t4 = append(t4, b[:]...)
	}
	t.Bytes("t4", t4)
	t.Bytes("tchain", appendPoints(make([]byte, 0, n*group.PointSize), p.TChain))
	return t.Challenge()
}

// prove makes the proof that out[i][k] = in[perm[i]][k] + Enc(0; rho[i][k]).
// It does not check that the witness is right: a wrong one gives a proof
// that does not verify (the tests use that).
func prove(st *Statement, in, out []Sequence, perm []int, rho [][]*group.Scalar) *Proof {
	n, w := len(in), len(in[0])
	hFB, hs := generators(n)
	p := &Proof{
		Commitments: make([]*group.Point, n),
		Chain:       make([]*group.Point, n),
		TChain:      make([]*group.Point, n),
		T4:          make([]elgamal.Ciphertext, w),
		S4:          make([]*group.Scalar, w),
		SChain:      make([]*group.Scalar, n),
		SPerm:       make([]*group.Scalar, n),
	}

	// Permutation commitment: c_{π(i)} = r_{π(i)}·G + h_i, in general
	// c_j = r_j·G + Σ_{i: π(i) = j} h_i (the tests give maps that are not
	// permutations).
	r := make([]*group.Scalar, n)
	if isPermutation(perm) {
		parallel(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				j := perm[i]
				r[j] = group.RandomScalar()
				p.Commitments[j] = group.BaseMul(r[j]).Add(hs[i])
			}
		})
	} else {
		for j := range n {
			r[j] = group.RandomScalar()
			p.Commitments[j] = group.BaseMul(r[j])
		}
		for i, j := range perm {
			p.Commitments[j] = p.Commitments[j].Add(hs[i])
		}
	}
	t := transcript(st, in, out, p.Commitments)
	u := challenges(t, n)
	up := make([]*group.Scalar, n) // u'_i = u_{π(i)}
	for i := range up {
		up[i] = u[perm[i]]
	}

	// Chain ĉ_i = r̂_i·G + u'_i·ĉ_{i−1} in closed form ĉ_i = R_i·G + P_i·h
	// with P_i = Π_{k≤i} u'_k and R_i = r̂_i + u'_i·R_{i−1}, so that every
	// link is one independent fixed-base multiplication.
	rHat := make([]*group.Scalar, n)
	P := make([]*group.Scalar, n+1)
	R := make([]*group.Scalar, n+1)
	P[0], R[0] = group.NewScalar(1), group.NewScalar(0)
	for i := range n {
		rHat[i] = group.RandomScalar()
		P[i+1] = P[i].Mul(up[i])
		R[i+1] = rHat[i].Add(up[i].Mul(R[i]))
	}

	// Sigma-protocol commitments. T̂_i = ω̂_i·G + ω'_i·ĉ_{i−1}
	// = (ω̂_i + ω'_i·R_{i−1})·G + (ω'_i·P_{i−1})·h.
	w1, w2, w3 := group.RandomScalar(), group.RandomScalar(), group.RandomScalar()
	wHat := make([]*group.Scalar, n)
	wPerm := make([]*group.Scalar, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			wHat[i], wPerm[i] = group.RandomScalar(), group.RandomScalar()
			p.Chain[i] = hFB.MulAddBase(P[i+1], R[i+1])
			p.TChain[i] = hFB.MulAddBase(wPerm[i].Mul(P[i]), wHat[i].Add(wPerm[i].Mul(R[i])))
		}
	})
	p.T1 = group.BaseMul(w1)
	p.T2 = group.BaseMul(w2)
	p.T3 = group.BaseMul(w3).Add(ctMSM(wPerm, hs))
	w4 := make([]*group.Scalar, w)
	col := make([]*group.Point, n)
	for k := range w {
		w4[k] = group.RandomScalar()
		for i := range n {
			col[i] = out[i][k].A
		}
		a := ctMSM(wPerm, col).Sub(group.BaseMul(w4[k]))
		for i := range n {
			col[i] = out[i][k].B
		}
		b := ctMSM(wPerm, col).Sub(st.key.Mul(w4[k]))
		p.T4[k] = elgamal.Ciphertext{A: a, B: b}
	}

	c := finalChallenge(t, p)

	// Responses s = ω + c·x.
	rBar, rTilde := group.NewScalar(0), group.NewScalar(0)
	for j := range n {
		rBar = rBar.Add(r[j])
		rTilde = rTilde.Add(r[j].Mul(u[j]))
	}
	p.S1 = w1.Add(c.Mul(rBar))
	p.S2 = w2.Add(c.Mul(R[n]))
	p.S3 = w3.Add(c.Mul(rTilde))
	for k := range w {
		rhoK := group.NewScalar(0)
		for i := range n {
			rhoK = rhoK.Add(up[i].Mul(rho[i][k]))
		}
		p.S4[k] = w4[k].Add(c.Mul(rhoK))
	}
	for i := range n {
		p.SChain[i] = wHat[i].Add(c.Mul(rHat[i]))
		p.SPerm[i] = wPerm[i].Add(c.Mul(up[i]))
	}
	return p
}
