package mixnet

import (
	"crypto/rand"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/group"
)

// Verify checks that out is a re-encrypted permutation of in, sequences
// moved as units, under st, as proof claims. It returns nil or an error
// wrapping ErrMalformed (shapes), ErrUnmixed (an output ciphertext is an
// input one) or ErrInvalidProof (naming the equation that failed), checked
// in that order (e2e/SPEC.md §14.6). It never panics on untrusted input.
//
// All equations are checked at once, each weighted by a random 128-bit
// scalar, with one multi-scalar multiplication split over the cores; if
// that fails, each equation is checked alone to name the one that fails.
func Verify(st *Statement, in, out []Sequence, proof *Proof) error {
	w, err := checkList("input", in)
	if err != nil {
		return err
	}
	wOut, err := checkList("output", out)
	if err != nil {
		return err
	}
	n := len(in)
	if len(out) != n || wOut != w {
		return fmt.Errorf("%w: output list is %d×%d, input %d×%d", ErrMalformed, len(out), wOut, n, w)
	}
	if err := checkProof(proof, n, w); err != nil {
		return err
	}
	if err := checkMixed(in, out); err != nil {
		return err
	}
	hFB, hs := generators(n)
	h := hFB.Point()
	t := transcript(st, in, out, proof.Commitments)
	u := challenges(t, n)
	c := finalChallenge(t, proof)
	e := &equations{st: st, in: in, out: out, p: proof, h: h, hs: hs, u: u, c: c}
	if e.batch() {
		return nil
	}
	return e.name()
}

// checkMixed returns an ErrUnmixed error naming the first output ciphertext
// (in list order) whose A component is the A component of an input
// ciphertext.
func checkMixed(in, out []Sequence) error {
	w := len(in[0])
	seen := make(map[[group.PointSize]byte]int, len(in)*w)
	for j, s := range in {
		for k, c := range s {
			seen[c.A.Bytes()] = j*w + k
		}
	}
	for i, s := range out {
		for k, c := range s {
			if x, ok := seen[c.A.Bytes()]; ok {
				return fmt.Errorf("%w: output sequence %d ciphertext %d has the A component of input sequence %d ciphertext %d",
					ErrUnmixed, i, k, x/w, x%w)
			}
		}
	}
	return nil
}

// checkProof checks that p has the shape of a proof for N sequences of
// width w, with no nil or identity point and no nil scalar.
func checkProof(p *Proof, n, w int) error {
	if p == nil {
		return fmt.Errorf("%w: proof is nil", ErrMalformed)
	}
	if len(p.Commitments) != n || len(p.Chain) != n || len(p.TChain) != n || len(p.SChain) != n || len(p.SPerm) != n {
		return fmt.Errorf("%w: proof is not for %d sequences", ErrMalformed, n)
	}
	if len(p.T4) != w || len(p.S4) != w {
		return fmt.Errorf("%w: proof is not for width %d", ErrMalformed, w)
	}
	points := []*group.Point{p.T1, p.T2, p.T3}
	for _, c := range p.T4 {
		points = append(points, c.A, c.B)
	}
	for _, l := range [][]*group.Point{points, p.Commitments, p.Chain, p.TChain} {
		for _, q := range l {
			if q == nil || q.IsIdentity() {
				return fmt.Errorf("%w: proof has a nil or identity point", ErrMalformed)
			}
		}
	}
	scalars := append([]*group.Scalar{p.S1, p.S2, p.S3}, p.S4...)
	for _, l := range [][]*group.Scalar{scalars, p.SChain, p.SPerm} {
		for _, s := range l {
			if s == nil {
				return fmt.Errorf("%w: proof has a nil scalar", ErrMalformed)
			}
		}
	}
	return nil
}

// equations holds everything the verification equations need. With
// s = ω + c·x for every response, U = Π u_j, ĉ_0 = h, they are (each must
// be the identity):
//
//	E1    s1·G − T1 − c·Σ c_j + c·Σ h_i
//	E2    s2·G − T2 − c·ĉ_N + c·U·h
//	E3    s3·G + Σ s'_i·h_i − T3 − c·Σ u_j·c_j
//	E4kA  Σ s'_i·out_ik.A − s4k·G − T4k.A − c·Σ u_j·in_jk.A   (each column k)
//	E4kB  Σ s'_i·out_ik.B − s4k·K − T4k.B − c·Σ u_j·in_jk.B
//	E5i   ŝ_i·G + s'_i·ĉ_{i−1} − T̂_i − c·ĉ_i                (each i)
type equations struct {
	st      *Statement
	in, out []Sequence
	p       *Proof
	h       *group.Point
	hs      []*group.Point
	u       []*group.Scalar
	c       *group.Scalar
}

// weight returns a uniformly random scalar below 2^128.
func weight() *group.Scalar {
	var b [64]byte
	if _, err := rand.Read(b[:16]); err != nil {
		panic("mixnet: crypto/rand failed: " + err.Error())
	}
	return group.ScalarFromUniform(b)
}

// batch checks the random linear combination of all equations, with points
// that occur in several equations merged into one term.
func (e *equations) batch() bool {
	n, w, p, c := len(e.in), len(e.in[0]), e.p, e.c
	d1, d2, d3 := weight(), weight(), weight()
	dA, dB := make([]*group.Scalar, w), make([]*group.Scalar, w)
	for k := range w {
		dA[k], dB[k] = weight(), weight()
	}
	eps := make([]*group.Scalar, n)
	for i := range eps {
		eps[i] = weight()
	}
	size := 3 + 3 + 2*w + 4*n + 4*n*w
	sc := make([]*group.Scalar, 0, size)
	pt := make([]*group.Point, 0, size)
	add := func(s *group.Scalar, q *group.Point) { sc = append(sc, s); pt = append(pt, q) }

	// G, K, h.
	g := d1.Mul(p.S1).Add(d2.Mul(p.S2)).Add(d3.Mul(p.S3))
	kk := group.NewScalar(0)
	for k := range w {
		g = g.Sub(dA[k].Mul(p.S4[k]))
		kk = kk.Sub(dB[k].Mul(p.S4[k]))
	}
	U := group.NewScalar(1)
	for j := range n {
		g = g.Add(eps[j].Mul(p.SChain[j]))
		U = U.Mul(e.u[j])
	}
	add(g, group.Generator())
	add(kk, e.st.key)
	add(d2.Mul(c).Mul(U).Add(eps[0].Mul(p.SPerm[0])), e.h)
	// Commitments of the sigma protocol.
	add(d1.Neg(), p.T1)
	add(d2.Neg(), p.T2)
	add(d3.Neg(), p.T3)
	for k := range w {
		add(dA[k].Neg(), p.T4[k].A)
		add(dB[k].Neg(), p.T4[k].B)
	}
	d1c := d1.Mul(c)
	d3c := d3.Mul(c)
	for i := range n {
		add(d1c.Add(d3.Mul(p.SPerm[i])), e.hs[i])
		add(d1c.Add(d3c.Mul(e.u[i])).Neg(), p.Commitments[i])
		link := eps[i].Mul(c).Neg()
		if i+1 < n {
			link = link.Add(eps[i+1].Mul(p.SPerm[i+1]))
		} else {
			link = link.Sub(d2.Mul(c))
		}
		add(link, p.Chain[i])
		add(eps[i].Neg(), p.TChain[i])
	}
	// The ciphertexts.
	cA, cB := make([]*group.Scalar, w), make([]*group.Scalar, w)
	for k := range w {
		cA[k], cB[k] = dA[k].Mul(c).Neg(), dB[k].Mul(c).Neg()
	}
	base := len(sc)
	sc, pt = sc[:base+4*n*w], pt[:base+4*n*w]
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			for k := range w {
				o := base + 4*(i*w+k)
				sc[o], pt[o] = dA[k].Mul(p.SPerm[i]), e.out[i][k].A
				sc[o+1], pt[o+1] = dB[k].Mul(p.SPerm[i]), e.out[i][k].B
				sc[o+2], pt[o+2] = cA[k].Mul(e.u[i]), e.in[i][k].A
				sc[o+3], pt[o+3] = cB[k].Mul(e.u[i]), e.in[i][k].B
			}
		}
	})
	return parallelMSM(group.VarTimeMSM, sc, pt).IsIdentity()
}

// name checks the equations one by one and returns the first that fails.
// If all hold, the batch failed by a 2^-128 accident and the proof is valid.
func (e *equations) name() error {
	n, w, p, c := len(e.in), len(e.in[0]), e.p, e.c
	G := group.Generator()
	one := group.NewScalar(1)
	cNeg := c.Neg()
	zero := func(sc []*group.Scalar, pt []*group.Point) bool {
		return parallelMSM(group.VarTimeMSM, sc, pt).IsIdentity()
	}

	sc := []*group.Scalar{p.S1, one.Neg()}
	pt := []*group.Point{G, p.T1}
	for j := range n {
		sc, pt = append(sc, cNeg, c), append(pt, p.Commitments[j], e.hs[j])
	}
	if !zero(sc, pt) {
		return fmt.Errorf("%w: the permutation commitment does not open to columns summing to one (E1)", ErrInvalidProof)
	}

	U := group.NewScalar(1)
	for _, x := range e.u {
		U = U.Mul(x)
	}
	if !zero([]*group.Scalar{p.S2, one.Neg(), cNeg, c.Mul(U)}, []*group.Point{G, p.T2, p.Chain[n-1], e.h}) {
		return fmt.Errorf("%w: the product chain does not end at the product of the challenges (E2)", ErrInvalidProof)
	}

	sc, pt = []*group.Scalar{p.S3, one.Neg()}, []*group.Point{G, p.T3}
	for i := range n {
		sc, pt = append(sc, p.SPerm[i], cNeg.Mul(e.u[i])), append(pt, e.hs[i], p.Commitments[i])
	}
	if !zero(sc, pt) {
		return fmt.Errorf("%w: the permutation commitment does not open to the permuted challenges (E3)", ErrInvalidProof)
	}

	for k := range w {
		for half, name := range []string{"A", "B"} {
			base := G
			if half == 1 {
				base = e.st.key
			}
			comp := func(ct Sequence) *group.Point {
				if half == 0 {
					return ct[k].A
				}
				return ct[k].B
			}
			T := p.T4[k].A
			if half == 1 {
				T = p.T4[k].B
			}
			sc, pt = []*group.Scalar{p.S4[k].Neg(), one.Neg()}, []*group.Point{base, T}
			for i := range n {
				sc, pt = append(sc, p.SPerm[i], cNeg.Mul(e.u[i])), append(pt, comp(e.out[i]), comp(e.in[i]))
			}
			if !zero(sc, pt) {
				return fmt.Errorf("%w: column %d (component %s) of the output is not a re-encryption of the permuted input (E4)", ErrInvalidProof, k, name)
			}
		}
	}

	prev := e.h
	for i := range n {
		if !zero([]*group.Scalar{p.SChain[i], p.SPerm[i], one.Neg(), cNeg}, []*group.Point{G, prev, p.TChain[i], p.Chain[i]}) {
			return fmt.Errorf("%w: link %d of the product chain (E5)", ErrInvalidProof, i+1)
		}
		prev = p.Chain[i]
	}
	return nil
}
