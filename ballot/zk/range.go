package zk

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// MaxRangeWidth bounds hi − lo + 1 in a [Range] proof: proofs and decoders
// reject wider ranges (the proof has one branch per value).
const MaxRangeWidth = 1024

// A Range proof is a disjunctive Chaum-Pedersen (Cramer-Damgård-Schoenmakers
// OR) proof that an ElGamal ciphertext (A, B) under pk encrypts an integer m
// with lo ≤ m ≤ hi (e2e/SPEC.md §5.3). It has one branch per value
// j = lo … hi; entry k of each slice belongs to j = lo + k. Branch k proves
// knowledge of r with A = r·G and B − j·G = r·pk: commitments
// A[k] = a_k and B[k] = b_k, challenge share C[k] and response Z[k]. The
// challenge shares must sum to the Fiat-Shamir challenge, so at most one
// branch can be simulated without knowing the challenge in advance.
//
// It serves both each selection (lo = 0, hi = the selection's limit) and
// each contest's sum (lo = the minimum, hi = the maximum number of votes).
//
// JSON: {"a":[…],"b":[…],"c":[…],"z":[…]}, each an array of hi − lo + 1
// lowercase hex strings.
type Range struct {
	A, B []*group.Point
	C, Z []*group.Scalar
}

// rangeWidth returns hi − lo + 1 or an error if the range is empty or too
// wide.
func rangeWidth(lo, hi uint64) (int, error) {
	if hi < lo {
		return 0, fmt.Errorf("%w: range proof: empty range [%d, %d]", ErrMalformed, lo, hi)
	}
	if hi-lo >= MaxRangeWidth {
		return 0, fmt.Errorf("%w: range proof: range [%d, %d] has more than MaxRangeWidth = %d values", ErrMalformed, lo, hi, MaxRangeWidth)
	}
	return int(hi-lo) + 1, nil
}

func checkRangeStatement(pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) (int, error) {
	n, err := rangeWidth(lo, hi)
	if err != nil {
		return 0, err
	}
	if err := checkElement("range statement public key", pk); err != nil {
		return 0, err
	}
	if ct.A == nil || ct.B == nil {
		return 0, fmt.Errorf("%w: range statement ciphertext has a nil component", ErrMalformed)
	}
	return n, nil
}

// rangeTranscript appends the statement of a range proof to a clone of t.
func rangeTranscript(t *Transcript, pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) *Transcript {
	t = t.Clone()
	t.Bytes("proof", []byte(labelRange))
	t.Point("pk", pk)
	t.Point("ct.a", ct.A)
	t.Point("ct.b", ct.B)
	t.Uint64("lo", lo)
	t.Uint64("hi", hi)
	return t
}

// rangeChallenge appends the commitments to the statement transcript st (a
// clone of which is used) and returns the challenge.
func rangeChallenge(st *Transcript, a, b []*group.Point) *group.Scalar {
	for k := range a {
		st.Point("a", a[k])
		st.Point("b", b[k])
	}
	return st.Challenge()
}

// ProveRange proves that ct = Enc(m; r) under pk with lo ≤ m ≤ hi. t holds
// the context and is not modified. It returns an error if the range is
// empty or wider than [MaxRangeWidth], if pk is the identity, or if m is
// outside [lo, hi] (the error does not reveal m).
//
// The prover does the same group operations for the real branch as for the
// simulated ones, and selects the real branch's challenge share with
// constant-time arithmetic, so its running time does not depend on m.
func ProveRange(t *Transcript, pk *group.Point, ct elgamal.Ciphertext, m uint64, r *group.Scalar, lo, hi uint64) (*Range, error) {
	if _, err := checkRangeStatement(pk, ct, lo, hi); err != nil {
		return nil, err
	}
	if m < lo || m > hi {
		return nil, fmt.Errorf("%w: range proof: the encrypted value is outside [%d, %d]", ErrMalformed, lo, hi)
	}
	return prove(t, pk, ct, group.NewScalar(m), m, r, lo, hi, true), nil
}

// proveRange is the prover without checks. m is the encrypted value as a
// scalar, mv the branch to make real. Tests call it with m ≠ mv to build
// proofs of false statements, which must not verify.
//
// For branch k with value j = lo + k it draws u_k and c_k at random and sets
//
//	a_k = u_k·G,   b_k = u_k·pk − c_k·(m − j)·G.
//
// For a simulated branch (j ≠ m) this is exactly z_k·G − c_k·A and
// z_k·pk − c_k·(B − j·G) with z_k = u_k + c_k·r; for the real branch
// (j = m) the second term vanishes, leaving the honest commitments with
// nonce u_k. After the challenge c, the real branch's share becomes
// c − Σ_{others} c_k and every response is z_k = u_k + c_k·r.
func proveRange(t *Transcript, pk *group.Point, ct elgamal.Ciphertext, m *group.Scalar, mv uint64, r *group.Scalar, lo, hi uint64) *Range {
	return prove(t, pk, ct, m, mv, r, lo, hi, false)
}

// prove is proveRange; honest says that m is mv (ProveRange's case).
// Then a proof of two branches needs one generator multiplication for
// both second terms instead of one each: the real branch's c_k·(m − j)
// is zero, so W = (w_0 + w_1)·G with w_k = −c_k·(m − j_k) is the simulated
// branch's term, and b_k = u_k·pk + [k simulated]·W, the bit applied in
// constant time (group.MulAddIf). The commitments are the same points as
// the general formula gives.
func prove(t *Transcript, pk *group.Point, ct elgamal.Ciphertext, m *group.Scalar, mv uint64, r *group.Scalar, lo, hi uint64, honest bool) *Range {
	n := int(hi-lo) + 1
	pair := honest && n == 2
	var w [2]*group.Scalar
	p := &Range{
		A: make([]*group.Point, n), B: make([]*group.Point, n),
		C: make([]*group.Scalar, n), Z: make([]*group.Scalar, n),
	}
	u := make([]*group.Scalar, n)
	sum := group.NewScalar(0)
	for k := range n {
		j := lo + uint64(k)
		u[k] = group.RandomNonZeroScalar()
		p.C[k] = group.RandomScalar()
		sum = sum.Add(p.C[k])
		p.A[k] = group.BaseMul(u[k])
		if n == 1 {
			// A single branch is the real one (d = 0): no simulation
			// to hide, and the width is public.
			p.B[k] = pk.Mul(u[k])
			continue
		}
		d := m.Sub(group.NewScalar(j))
		if pair {
			w[k] = p.C[k].Mul(d).Neg()
			continue
		}
		p.B[k] = group.MulAddBase(pk, u[k], p.C[k].Mul(d).Neg())
	}
	if pair {
		W := group.BaseMul(w[0].Add(w[1]))
		for k := range 2 {
			simulated := 1 - int(ctEq(lo+uint64(k), mv))
			p.B[k] = group.MulAddIf(pk, u[k], W, simulated)
		}
	}
	c := rangeChallenge(rangeTranscript(t, pk, ct, lo, hi), p.A, p.B)
	diff := c.Sub(sum)
	for k := range n {
		sel := group.NewScalar(ctEq(lo+uint64(k), mv)) // 1 for the real branch
		p.C[k] = p.C[k].Add(sel.Mul(diff))
		p.Z[k] = u[k].Add(p.C[k].Mul(r))
	}
	return p
}

// ctEq returns 1 if x == y and 0 otherwise, in constant time.
func ctEq(x, y uint64) uint64 {
	v := x ^ y
	return 1 ^ ((v | -v) >> 63)
}

func (p *Range) check(pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) error {
	if p == nil {
		return fmt.Errorf("%w: range proof is missing", ErrMalformed)
	}
	n, err := checkRangeStatement(pk, ct, lo, hi)
	if err != nil {
		return err
	}
	if len(p.A) != n || len(p.B) != n || len(p.C) != n || len(p.Z) != n {
		return fmt.Errorf("%w: range proof for [%d, %d] needs %d branches, has a=%d b=%d c=%d z=%d",
			ErrMalformed, lo, hi, n, len(p.A), len(p.B), len(p.C), len(p.Z))
	}
	return checkBranches(p.A, p.B, p.C, p.Z)
}

// checkBranches rejects nil or identity commitments and nil scalars,
// naming the branch (the error is only formatted on failure: this is on the
// verification hot path).
func checkBranches(a, b []*group.Point, c, z []*group.Scalar) error {
	for k := range a {
		if a[k] == nil || a[k].IsIdentity() {
			return checkElement(fmt.Sprintf("range proof branch %d commitment a", k), a[k])
		}
		if b[k] == nil || b[k].IsIdentity() {
			return checkElement(fmt.Sprintf("range proof branch %d commitment b", k), b[k])
		}
		if c[k] == nil || z[k] == nil {
			return fmt.Errorf("%w: range proof branch %d has a nil scalar", ErrMalformed, k)
		}
	}
	return nil
}

// checkSum verifies Σ C[k] = c.
func (p *Range) checkSum(t *Transcript, pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) error {
	c := rangeChallenge(rangeTranscript(t, pk, ct, lo, hi), p.A, p.B)
	sum := group.NewScalar(0)
	for _, ck := range p.C {
		sum = sum.Add(ck)
	}
	if !sum.Equal(c) {
		return fmt.Errorf("%w: range proof: challenge shares do not sum to the challenge", ErrInvalidProof)
	}
	return nil
}

// Verify checks that ct encrypts a value in [lo, hi] under pk, in the
// context t (not modified): Σ c_k = c and, for each branch k with value
// j = lo + k, z_k·G = a_k + c_k·A and z_k·pk = b_k + c_k·(B − j·G).
// The error names the failing branch.
func (p *Range) Verify(t *Transcript, pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) error {
	if err := p.check(pk, ct, lo, hi); err != nil {
		return err
	}
	if err := p.checkSum(t, pk, ct, lo, hi); err != nil {
		return err
	}
	G := generator
	for k := range p.A {
		j := group.NewScalar(lo + uint64(k))
		ck, zk := p.C[k], p.Z[k]
		if !group.VarTimeDoubleBaseMul(ck.Neg(), ct.A, zk).Equal(p.A[k]) {
			return fmt.Errorf("%w: range proof branch %d (value %d): z·G ≠ a + c·A", ErrInvalidProof, k, lo+uint64(k))
		}
		rhs := group.VarTimeMSM([]*group.Scalar{zk, ck.Neg(), ck.Mul(j)}, []*group.Point{pk, ct.B, G})
		if !rhs.Equal(p.B[k]) {
			return fmt.Errorf("%w: range proof branch %d (value %d): z·pk ≠ b + c·(B − j·G)", ErrInvalidProof, k, lo+uint64(k))
		}
	}
	return nil
}

// AddToBatch checks the proof's shape and challenge sum, and adds its 2n
// group equations a_k + c_k·A − z_k·G = 0 and
// b_k + c_k·B − c_k·j·G − z_k·pk = 0 to b.
func (p *Range) AddToBatch(b *Batch, t *Transcript, pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) error {
	if err := p.check(pk, ct, lo, hi); err != nil {
		return err
	}
	if err := p.checkSum(t, pk, ct, lo, hi); err != nil {
		return err
	}
	for k := range p.A {
		ck, nz := p.C[k], p.Z[k].Neg()
		e := b.begin()
		e.one(p.A[k])
		e.term(ck, ct.A)
		e.gen(nz)
		e = b.begin()
		e.one(p.B[k])
		e.term(ck, ct.B)
		e.gen(ck.Mul(group.NewScalar(lo + uint64(k))).Neg())
		e.term(nz, pk)
	}
	return nil
}

type rangeJSON struct {
	A []*group.Point  `json:"a"`
	B []*group.Point  `json:"b"`
	C []*group.Scalar `json:"c"`
	Z []*group.Scalar `json:"z"`
}

// maxRangeJSON bounds the JSON encoding of a range proof: four arrays of at
// most MaxRangeWidth quoted 64-character strings, commas and field names.
const maxRangeJSON = 4*(MaxRangeWidth*67+8) + 2

// MarshalJSON encodes p as {"a":[…],"b":[…],"c":[…],"z":[…]}.
func (p *Range) MarshalJSON() ([]byte, error) {
	n := len(p.A)
	if n == 0 || n > MaxRangeWidth || len(p.B) != n || len(p.C) != n || len(p.Z) != n {
		return nil, fmt.Errorf("%w: range proof has inconsistent lengths", ErrMalformed)
	}
	for k := range n {
		if p.A[k] == nil || p.B[k] == nil || p.C[k] == nil || p.Z[k] == nil {
			return nil, fmt.Errorf("%w: range proof branch %d has a nil field", ErrMalformed, k)
		}
	}
	return canon.Marshal(rangeJSON{A: p.A, B: p.B, C: p.C, Z: p.Z})
}

// UnmarshalJSON decodes a range proof strictly: all four fields, nothing
// else, canonical form, 1 to MaxRangeWidth entries in each array and the
// same number in all four, commitments canonical and not the identity.
// Whether the length matches the range [lo, hi] is checked by Verify.
func (p *Range) UnmarshalJSON(data []byte) error {
	var w rangeJSON
	if err := canon.Unmarshal(data, &w, maxRangeJSON); err != nil {
		return fmt.Errorf("%w: range proof: %w", ErrMalformed, err)
	}
	n := len(w.A)
	if n == 0 || n > MaxRangeWidth || len(w.B) != n || len(w.C) != n || len(w.Z) != n {
		return fmt.Errorf("%w: range proof has %d, %d, %d, %d entries; want equal counts from 1 to %d",
			ErrMalformed, len(w.A), len(w.B), len(w.C), len(w.Z), MaxRangeWidth)
	}
	if err := checkBranches(w.A, w.B, w.C, w.Z); err != nil {
		return err
	}
	*p = Range{A: w.A, B: w.B, C: w.C, Z: w.Z}
	return nil
}
