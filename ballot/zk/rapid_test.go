package zk

import (
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"pgregory.net/rapid"
)

// Property: for any range and any value in it, the proof verifies alone and
// in a batch; changing any single component of it makes both reject.
func TestRangePropertyMutationsRejected(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	rapid.Check(t, func(rt *rapid.T) {
		lo := rapid.Uint64Range(0, 50).Draw(rt, "lo")
		hi := lo + rapid.Uint64Range(0, 4).Draw(rt, "width-1")
		m := rapid.Uint64Range(lo, hi).Draw(rt, "m")
		r := group.RandomScalar()
		ct := elgamal.EncryptUint(pk, m, r)
		tr := ctx(byte(rapid.IntRange(0, 255).Draw(rt, "election")), "voter")
		p, err := ProveRange(tr, pk, ct, m, r, lo, hi)
		if err != nil {
			rt.Fatal(err)
		}
		if err := p.Verify(tr, pk, ct, lo, hi); err != nil {
			rt.Fatalf("valid proof rejected: %v", err)
		}
		k := rapid.IntRange(0, int(hi-lo)).Draw(rt, "branch")
		delta := group.NewScalar(rapid.Uint64Range(1, 1<<62).Draw(rt, "delta"))
		q := &Range{A: append([]*group.Point{}, p.A...), B: append([]*group.Point{}, p.B...),
			C: append([]*group.Scalar{}, p.C...), Z: append([]*group.Scalar{}, p.Z...)}
		switch field := rapid.SampledFrom([]string{"a", "b", "c", "z"}).Draw(rt, "field"); field {
		case "a":
			q.A[k] = q.A[k].Add(group.BaseMul(delta))
		case "b":
			q.B[k] = q.B[k].Add(group.BaseMul(delta))
		case "c":
			q.C[k] = q.C[k].Add(delta)
		case "z":
			q.Z[k] = q.Z[k].Add(delta)
		}
		if q.Verify(tr, pk, ct, lo, hi) == nil {
			rt.Fatal("mutated proof verified")
		}
		b := NewBatch()
		if q.AddToBatch(b, tr, pk, ct, lo, hi) == nil && b.Verify() {
			rt.Fatal("mutated proof verified in a batch")
		}
	})
}

// Property: the homomorphic sum of in-range selections has a valid sum
// proof with the summed randomness, and a value outside the contest's range
// cannot be proved.
func TestRangePropertyContestSum(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	rapid.Check(t, func(rt *rapid.T) {
		votes := rapid.SliceOfN(rapid.Uint64Range(0, 1), 1, 6).Draw(rt, "votes")
		sum, rs, total := elgamal.Zero(), group.NewScalar(0), uint64(0)
		for _, v := range votes {
			r := group.RandomScalar()
			sum, rs, total = sum.Add(elgamal.EncryptUint(pk, v, r)), rs.Add(r), total+v
		}
		lo := rapid.Uint64Range(0, 3).Draw(rt, "min")
		hi := lo + rapid.Uint64Range(0, 3).Draw(rt, "max-min")
		tr := ctx(1, "contest")
		p, err := ProveRange(tr, pk, sum, total, rs, lo, hi)
		if total < lo || total > hi {
			if err == nil {
				rt.Fatalf("proved %d in [%d,%d]", total, lo, hi)
			}
			// A forged proof with any branch real does not verify.
			for k := lo; k <= hi; k++ {
				if proveRange(tr, pk, sum, group.NewScalar(total), k, rs, lo, hi).Verify(tr, pk, sum, lo, hi) == nil {
					rt.Fatalf("forged proof of %d in [%d,%d] verified", total, lo, hi)
				}
			}
			return
		}
		if err != nil || p.Verify(tr, pk, sum, lo, hi) != nil {
			rt.Fatalf("sum %d in [%d,%d]: %v", total, lo, hi, err)
		}
	})
}
