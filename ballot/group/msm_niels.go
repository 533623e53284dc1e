package group

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// pippengerNiels is [pippenger] over filippo.io/edwards25519 with the
// input points normalised to affine coordinates once (one field inversion
// for all of them): each bucket addition is then a mixed addition of 7
// field multiplications, where edwards25519.Point.Add of two extended
// points costs 9 (its conversion of the second point to cached form
// included). The bucket additions are most of an MSM's cost: with c-bit
// windows each point is added ⌈256/c⌉ times. The running sums of the
// buckets use full additions. Variable time: public inputs only.
func pippengerNiels(scalars [][32]byte, points []*edwards25519.Point) edwards25519.Point {
	n := len(points)
	aff := toAffine(points)
	c, nw, half, digits := pippengerDigits(scalars, n)
	buckets := make([]extPoint, half)
	used := make([]bool, half)
	var acc extPoint
	acc.identity()
	for w := nw - 1; w >= 0; w-- {
		for range c {
			acc.double(&acc)
		}
		clear(used)
		for i := range n {
			d := digits[i*nw+w]
			switch {
			case d > 0:
				j := d - 1
				if used[j] {
					buckets[j].addNiels(&buckets[j], &aff[i].n)
				} else {
					aff[i].ext(&buckets[j], false)
					used[j] = true
				}
			case d < 0:
				j := -d - 1
				if used[j] {
					buckets[j].subNiels(&buckets[j], &aff[i].n)
				} else {
					aff[i].ext(&buckets[j], true)
					used[j] = true
				}
			}
		}
		// Σ_j (j+1)·bucket[j] by running sums, from the top bucket down.
		var sum, tot extPoint
		sumUsed, totUsed := false, false
		for j := half - 1; j >= 0; j-- {
			if used[j] {
				if sumUsed {
					sum.add(&sum, &buckets[j])
				} else {
					sum, sumUsed = buckets[j], true
				}
			}
			if sumUsed {
				if totUsed {
					tot.add(&tot, &sum)
				} else {
					tot, totUsed = sum, true
				}
			}
		}
		if totUsed {
			acc.add(&acc, &tot)
		}
	}
	var r edwards25519.Point
	if _, err := r.SetExtendedCoordinates(&acc.X, &acc.Y, &acc.Z, &acc.T); err != nil {
		panic("group: internal error: multi-scalar multiplication left the curve")
	}
	return r
}

// An affinePoint is a point with Z = 1: (x, y, x·y) and its niels form.
type affinePoint struct {
	x, y, xy field.Element
	n        nielsPoint
}

// ext sets v to the point, or to its negation if neg.
func (a *affinePoint) ext(v *extPoint, neg bool) {
	v.X.Set(&a.x)
	v.Y.Set(&a.y)
	v.Z.One()
	v.T.Set(&a.xy)
	if neg {
		v.X.Negate(&v.X)
		v.T.Negate(&v.T)
	}
}

// toAffine normalises points with one inversion (Montgomery's trick).
func toAffine(points []*edwards25519.Point) []affinePoint {
	n := len(points)
	out := make([]affinePoint, n)
	prefix := make([]field.Element, n)
	var acc field.Element
	acc.One()
	for i, p := range points {
		_, _, z, _ := p.ExtendedCoordinates()
		prefix[i].Set(&acc)
		acc.Multiply(&acc, z)
	}
	acc.Invert(&acc) // 1 / Π z
	for i := n - 1; i >= 0; i-- {
		X, Y, Z, _ := points[i].ExtendedCoordinates()
		var zinv field.Element
		zinv.Multiply(&acc, &prefix[i]) // 1 / z_i
		acc.Multiply(&acc, Z)
		a := &out[i]
		a.x.Multiply(X, &zinv)
		a.y.Multiply(Y, &zinv)
		a.xy.Multiply(&a.x, &a.y)
		a.n.yPlusX.Add(&a.y, &a.x)
		a.n.yMinusX.Subtract(&a.y, &a.x)
		a.n.xy2d.Multiply(&a.xy, fe2D)
	}
	return out
}

// subNiels sets v = p − q.
func (v *extPoint) subNiels(p *extPoint, q *nielsPoint) {
	var neg nielsPoint
	neg.yPlusX.Set(&q.yMinusX)
	neg.yMinusX.Set(&q.yPlusX)
	neg.xy2d.Negate(&q.xy2d)
	v.addNiels(p, &neg)
}

// add sets v = p + q (HWCD 2008 §3.1, "add-2008-hwcd-3", a = −1).
func (v *extPoint) add(p, q *extPoint) {
	var a, b, c, d, t field.Element
	a.Subtract(&p.Y, &p.X)
	t.Subtract(&q.Y, &q.X)
	a.Multiply(&a, &t) // A = (Y1 − X1)·(Y2 − X2)
	b.Add(&p.Y, &p.X)
	t.Add(&q.Y, &q.X)
	b.Multiply(&b, &t) // B = (Y1 + X1)·(Y2 + X2)
	c.Multiply(&p.T, &q.T)
	c.Multiply(&c, fe2D) // C = T1·2d·T2
	d.Multiply(&p.Z, &q.Z)
	d.Add(&d, &d) // D = 2·Z1·Z2
	v.sumFrom(&a, &b, &c, &d)
}
