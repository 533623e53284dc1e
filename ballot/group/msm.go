package group

import "github.com/gtank/ristretto255"

// pippengerThreshold is the number of terms from which VarTimeMSM uses
// Pippenger's bucket method instead of gtank's Straus (interleaved
// width-5 NAF) multi-scalar multiplication; see BenchmarkVarTimeMSM.
const pippengerThreshold = 192

// pippengerWindow returns the window width c for n terms: the c that
// minimises ⌈256/c⌉·(n + 2^(c−1)) point additions, roughly log2(n) − 2.
func pippengerWindow(n int) int {
	best, bestCost := 4, -1
	for c := 4; c <= 16; c++ {
		cost := ((256 + c - 1) / c) * (n + (1<<(c-1))*2)
		if bestCost < 0 || cost < bestCost {
			best, bestCost = c, cost
		}
	}
	return best
}

// signedDigits writes the signed base-2^c digits of the 32-byte little-endian
// scalar b into d (length ⌈256/c⌉ + 1): b = Σ d[w]·2^(c·w) with
// −2^(c−1) ≤ d[w] < 2^(c−1).
func signedDigits(b *[32]byte, c int, d []int32) {
	carry := int32(0)
	half := int32(1) << (c - 1)
	for w := range d {
		pos := w * c
		var bits int32
		for k := 0; k < c; k++ {
			bit := pos + k
			if bit >= 256 {
				break
			}
			bits |= int32(b[bit/8]>>(bit%8)&1) << k
		}
		v := bits + carry
		if v >= half {
			v -= half << 1
			carry = 1
		} else {
			carry = 0
		}
		d[w] = v
	}
}

// varTimeMSMPippenger computes Σ scalars[i]·points[i] with Pippenger's
// bucket method on signed digits. Variable time: public inputs only.
func varTimeMSMPippenger(scalars []*Scalar, points []*Point) *Point {
	n := len(points)
	c := pippengerWindow(n)
	nw := (256+c-1)/c + 1
	half := 1 << (c - 1)
	digits := make([]int32, n*nw)
	for i, s := range scalars {
		b := s.Bytes()
		signedDigits(&b, c, digits[i*nw:(i+1)*nw])
	}
	elems := make([]*ristretto255.Element, n)
	for i, p := range points {
		elems[i] = p.el()
	}
	buckets := make([]ristretto255.Element, half)
	used := make([]bool, half)
	var acc ristretto255.Element
	acc.Zero()
	for w := nw - 1; w >= 0; w-- {
		for range c {
			acc.Add(&acc, &acc)
		}
		clear(used)
		for i := range n {
			d := digits[i*nw+w]
			switch {
			case d > 0:
				j := d - 1
				if used[j] {
					buckets[j].Add(&buckets[j], elems[i])
				} else {
					buckets[j] = *elems[i]
					used[j] = true
				}
			case d < 0:
				j := -d - 1
				if used[j] {
					buckets[j].Subtract(&buckets[j], elems[i])
				} else {
					buckets[j].Negate(elems[i])
					used[j] = true
				}
			}
		}
		// Σ_j (j+1)·bucket[j] by running sums, from the top bucket down.
		var sum, tot ristretto255.Element
		sumUsed, totUsed := false, false
		for j := half - 1; j >= 0; j-- {
			if used[j] {
				if sumUsed {
					sum.Add(&sum, &buckets[j])
				} else {
					sum, sumUsed = buckets[j], true
				}
			}
			if sumUsed {
				if totUsed {
					tot.Add(&tot, &sum)
				} else {
					tot, totUsed = sum, true
				}
			}
		}
		if totUsed {
			acc.Add(&acc, &tot)
		}
	}
	r := new(Point)
	r.e = acc
	return r
}
