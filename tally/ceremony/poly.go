package ceremony

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/group"
)

// polynomial is f(x) = Σ coeffs[k]·xᵏ over the scalar field. Its
// coefficients are secret.
type polynomial []*group.Scalar

// randomPolynomial returns a polynomial of degree t−1 with non-zero random
// coefficients from crypto/rand.
func randomPolynomial(t int) polynomial {
	p := make(polynomial, t)
	for k := range p {
		p[k] = group.RandomNonZeroScalar()
	}
	return p
}

// eval returns f(x) by Horner's rule, in constant time for a given degree.
func (p polynomial) eval(x int) *group.Scalar {
	X := group.NewScalar(uint64(x))
	r := group.NewScalar(0)
	for k := len(p) - 1; k >= 0; k-- {
		r = r.Mul(X).Add(p[k])
	}
	return r
}

// commit returns the Feldman commitments aₖ·G.
func (p polynomial) commit() []*group.Point {
	c := make([]*group.Point, len(p))
	for k, a := range p {
		c[k] = group.BaseMul(a)
	}
	return c
}

// powers returns 1, x, x², …, x^(t−1) as scalars.
func powers(x, t int) []*group.Scalar {
	X := group.NewScalar(uint64(x))
	out := make([]*group.Scalar, t)
	out[0] = group.NewScalar(1)
	for k := 1; k < t; k++ {
		out[k] = out[k-1].Mul(X)
	}
	return out
}

// evalCommitments returns Σₖ xᵏ·C[k], the public image f(x)·G of a
// committed polynomial (variable time: public values only).
func evalCommitments(C []*group.Point, x int) *group.Point {
	return group.VarTimeMSM(powers(x, len(C)), C)
}

// checkShare reports whether s·G = Σₖ xᵏ·C[k].
func checkShare(C []*group.Point, x int, s *group.Scalar) bool {
	// s·G − Σ xᵏ·Cₖ = 0, in one multi-scalar multiplication.
	pw := powers(x, len(C))
	sc := make([]*group.Scalar, 0, len(C)+1)
	pts := make([]*group.Point, 0, len(C)+1)
	for k := range C {
		sc = append(sc, pw[k].Neg())
		pts = append(pts, C[k])
	}
	sc = append(sc, s)
	pts = append(pts, group.Generator())
	return group.VarTimeMSM(sc, pts).IsIdentity()
}

// Lagrange returns the Lagrange coefficients at 0 for the distinct non-zero
// indices xs: λᵢ = Π_{j≠i} xⱼ / (xⱼ − xᵢ), so that f(0) = Σ λᵢ·f(xᵢ) for any
// polynomial f of degree < len(xs) (e2e/SPEC.md §10.4). It returns an error
// for an empty list, a zero index or a duplicate.
func Lagrange(xs []int) ([]*group.Scalar, error) {
	if len(xs) == 0 {
		return nil, fmt.Errorf("ceremony: Lagrange: no indices")
	}
	seen := make(map[int]bool, len(xs))
	for _, x := range xs {
		if x <= 0 || x > MaxTrustees {
			return nil, fmt.Errorf("ceremony: Lagrange: index %d out of range", x)
		}
		if seen[x] {
			return nil, fmt.Errorf("ceremony: Lagrange: duplicate index %d", x)
		}
		seen[x] = true
	}
	out := make([]*group.Scalar, len(xs))
	for i, xi := range xs {
		num, den := group.NewScalar(1), group.NewScalar(1)
		for j, xj := range xs {
			if i == j {
				continue
			}
			num = num.Mul(group.NewScalar(uint64(xj)))
			den = den.Mul(group.NewScalarInt(int64(xj) - int64(xi)))
		}
		out[i] = num.Mul(den.Inv())
	}
	return out, nil
}
