package group

// pippengerThreshold is the number of terms from which VarTimeMSM uses
// Pippenger's bucket method instead of filippo.io/edwards25519's Straus
// (interleaved width-5 NAF) multi-scalar multiplication; see
// BenchmarkBackend and BenchmarkVarTimeMSM. With affine inputs
// (pippengerNiels) Pippenger matched Straus's CPU time at 64 terms and
// took 12% less at 128 (was 192 with full additions).
const pippengerThreshold = 96

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
// −2^(c−1) ≤ d[w] < 2^(c−1). It has no branches on b (the carry is computed
// arithmetically), so [FixedBase] uses it on secret scalars; c and len(d)
// are public.
func signedDigits(b *[32]byte, c int, d []int32) {
	carry := int32(0)
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
		v := bits + carry           // 0 ≤ v ≤ 2^c
		carry = (v + 1<<(c-1)) >> c // 1 iff v ≥ 2^(c−1)
		d[w] = v - carry<<c         // −2^(c−1) ≤ d < 2^(c−1)
	}
}

// msmElement is the point arithmetic Pippenger's method needs. Both
// filippo.io/edwards25519's Point (the backend) and gtank/ristretto255's
// Element (the previous backend, kept in the tests and benchmarks as the
// reference) have it.
type msmElement[T any] interface {
	*T
	Add(p, q *T) *T
	Subtract(p, q *T) *T
	Negate(p *T) *T
}

// pippenger computes Σ scalars[i]·points[i] with Pippenger's bucket method
// on signed digits; identity is the group's identity. Variable time: public
// inputs only.
func pippenger[T any, P msmElement[T]](scalars [][32]byte, points []*T, identity *T) T {
	n := len(points)
	c, nw, half, digits := pippengerDigits(scalars, n)
	buckets := make([]T, half)
	used := make([]bool, half)
	acc := *identity
	for w := nw - 1; w >= 0; w-- {
		for range c {
			P(&acc).Add(&acc, &acc)
		}
		clear(used)
		for i := range n {
			d := digits[i*nw+w]
			switch {
			case d > 0:
				j := d - 1
				if used[j] {
					P(&buckets[j]).Add(&buckets[j], points[i])
				} else {
					buckets[j] = *points[i]
					used[j] = true
				}
			case d < 0:
				j := -d - 1
				if used[j] {
					P(&buckets[j]).Subtract(&buckets[j], points[i])
				} else {
					P(&buckets[j]).Negate(points[i])
					used[j] = true
				}
			}
		}
		// Σ_j (j+1)·bucket[j] by running sums, from the top bucket down.
		var sum, tot T
		sumUsed, totUsed := false, false
		for j := half - 1; j >= 0; j-- {
			if used[j] {
				if sumUsed {
					P(&sum).Add(&sum, &buckets[j])
				} else {
					sum, sumUsed = buckets[j], true
				}
			}
			if sumUsed {
				if totUsed {
					P(&tot).Add(&tot, &sum)
				} else {
					tot, totUsed = sum, true
				}
			}
		}
		if totUsed {
			P(&acc).Add(&acc, &tot)
		}
	}
	return acc
}

// pippengerDigits chooses Pippenger's window c for n points and writes
// each scalar's nw signed c-bit digits (|digit| ≤ half = 2^(c−1)) into
// digits[i·nw:(i+1)·nw].
func pippengerDigits(scalars [][32]byte, n int) (c, nw, half int, digits []int32) {
	c = pippengerWindow(n)
	nw = (256+c-1)/c + 1
	half = 1 << (c - 1)
	digits = make([]int32, n*nw)
	for i := range scalars {
		signedDigits(&scalars[i], c, digits[i*nw:(i+1)*nw])
	}
	return c, nw, half, digits
}
