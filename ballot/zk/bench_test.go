package zk

import (
	"fmt"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// Benchmarks of the proof layer (figures in the closing report and
// e2e/SPEC.md §5.5). Keys are plain points unless the name says Fixed, in
// which case the key carries a group.FixedBase table.

// keys returns an election key as a verifier or voter has it: decoded from
// the board (so its encoding is cached), with a table if fixed.
func keys(fixed bool) *group.Point {
	_, pk := elgamal.GenerateKey()
	enc := pk.Bytes()
	pk, _ = group.DecodeElement(enc[:])
	if fixed {
		return group.NewFixedBase(pk).Point()
	}
	return pk
}

func BenchmarkEncrypt(b *testing.B) {
	for _, fixed := range []bool{false, true} {
		b.Run(fmt.Sprintf("fixed=%v", fixed), func(b *testing.B) {
			pk, r := keys(fixed), group.RandomScalar()
			start := cpuTime()
			for b.Loop() {
				elgamal.EncryptUint(pk, 1, r)
			}
			reportCPU(b, start)
		})
	}
}

func BenchmarkProveRange01(b *testing.B) {
	for _, fixed := range []bool{false, true} {
		b.Run(fmt.Sprintf("fixed=%v", fixed), func(b *testing.B) {
			pk, r := keys(fixed), group.RandomScalar()
			ct, tr := elgamal.EncryptUint(pk, 1, r), ctx(1, "voter")
			start := cpuTime()
			for b.Loop() {
				if _, err := ProveRange(tr, pk, ct, 1, r, 0, 1); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// The cryptographic part of encrypting a W2 ballot (10 contests × 5
// options, one-of-n): 50 × (Encrypt + 0..1 proof) and 10 × (sum proof for
// [1, 1]), on one core. Signing, hashing and JSON are the ballot's.
// Selections are encrypted with elgamal.EncryptUintMax (bound 1).
func BenchmarkW2BallotProofs(b *testing.B) {
	for _, fixed := range []bool{false, true} {
		b.Run(fmt.Sprintf("fixed=%v", fixed), func(b *testing.B) {
			pk := keys(fixed)
			tr := ctx(1, "voter")
			start := cpuTime()
			for b.Loop() {
				for c := range 10 {
					sum, rs := elgamal.Zero(), group.NewScalar(0)
					for o := range 5 {
						m := uint64(0)
						if o == c%5 {
							m = 1
						}
						r := group.RandomScalar()
						ct := elgamal.EncryptUintMax(pk, m, 1, r)
						if _, err := ProveRange(tr, pk, ct, m, r, 0, 1); err != nil {
							b.Fatal(err)
						}
						sum, rs = sum.Add(ct), rs.Add(r)
					}
					if _, err := ProveRange(tr, pk, sum, 1, rs, 1, 1); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportCPU(b, start)
		})
	}
}

func BenchmarkVerifyRange01(b *testing.B) {
	pk, r := keys(false), group.RandomScalar()
	ct, tr := elgamal.EncryptUint(pk, 1, r), ctx(1, "voter")
	p, _ := ProveRange(tr, pk, ct, 1, r, 0, 1)
	start := cpuTime()
	for b.Loop() {
		if err := p.Verify(tr, pk, ct, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

// wireRange is a 0..1 range proof and its ciphertext as bytes, as a verifier
// receives them.
type wireRange struct {
	ct    [64]byte
	a, b  [2][32]byte
	c, z  [2][32]byte
	trans *Transcript
}

func makeWire(n int, pk *group.Point) []wireRange {
	out := make([]wireRange, n)
	for i := range out {
		m := uint64(i % 2)
		r := group.RandomScalar()
		ct := elgamal.EncryptUint(pk, m, r)
		tr := ctx(1, fmt.Sprintf("voter-%d", i))
		p, err := ProveRange(tr, pk, ct, m, r, 0, 1)
		if err != nil {
			panic(err)
		}
		w := wireRange{ct: ct.Bytes(), trans: tr}
		for k := range 2 {
			w.a[k], w.b[k], w.c[k], w.z[k] = p.A[k].Bytes(), p.B[k].Bytes(), p.C[k].Bytes(), p.Z[k].Bytes()
		}
		out[i] = w
	}
	return out
}

func decodeWire(w *wireRange) (elgamal.Ciphertext, *Range, error) {
	ct, err := elgamal.DecodeCiphertext(w.ct[:])
	if err != nil {
		return ct, nil, err
	}
	p := &Range{A: make([]*group.Point, 2), B: make([]*group.Point, 2), C: make([]*group.Scalar, 2), Z: make([]*group.Scalar, 2)}
	for k := range 2 {
		if p.A[k], err = group.DecodeElement(w.a[k][:]); err != nil {
			return ct, nil, err
		}
		if p.B[k], err = group.DecodeElement(w.b[k][:]); err != nil {
			return ct, nil, err
		}
		if p.C[k], err = group.DecodeScalar(w.c[k][:]); err != nil {
			return ct, nil, err
		}
		if p.Z[k], err = group.DecodeScalar(w.z[k][:]); err != nil {
			return ct, nil, err
		}
	}
	return ct, p, nil
}

// BenchmarkRangeVerifyN compares, for N 0..1 range proofs received as
// bytes: verifying one by one (decode + Verify), verifying as one batch
// (decode + AddToBatch + one MSM), and the floor (decode the same points +
// one MSM over the same number of terms). Per-proof cost = ns/op ÷ N.
func BenchmarkRangeVerifyN(b *testing.B) {
	pk := keys(false)
	for _, n := range []int{100, 1000} {
		wire := makeWire(n, pk)
		b.Run(fmt.Sprintf("single/N=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				for i := range wire {
					ct, p, err := decodeWire(&wire[i])
					if err != nil {
						b.Fatal(err)
					}
					if err := p.Verify(wire[i].trans, pk, ct, 0, 1); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportCPU(b, start)
		})
		// The number of MSM terms of the batch, for the floors.
		terms := func() int {
			batch := NewBatch()
			for i := range wire {
				ct, p, err := decodeWire(&wire[i])
				if err != nil || p.AddToBatch(batch, wire[i].trans, pk, ct, 0, 1) != nil {
					b.Fatal("setup")
				}
			}
			return batch.Terms()
		}()
		b.Run(fmt.Sprintf("batch/N=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				batch := NewBatch()
				for i := range wire {
					ct, p, err := decodeWire(&wire[i])
					if err != nil {
						b.Fatal(err)
					}
					if err := p.AddToBatch(batch, wire[i].trans, pk, ct, 0, 1); err != nil {
						b.Fatal(err)
					}
				}
				if !batch.Verify() {
					b.Fatal("batch rejected")
				}
			}
			reportCPU(b, start)
		})
		// The same, from already-decoded proofs (as a server that parsed the
		// ballots on arrival): decoding is left out of all three.
		cts := make([]elgamal.Ciphertext, n)
		proofs := make([]*Range, n)
		for i := range wire {
			var err error
			if cts[i], proofs[i], err = decodeWire(&wire[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("single-decoded/N=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				for i := range proofs {
					if err := proofs[i].Verify(wire[i].trans, pk, cts[i], 0, 1); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportCPU(b, start)
		})
		b.Run(fmt.Sprintf("batch-decoded/N=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				batch := NewBatch()
				for i := range proofs {
					if err := proofs[i].AddToBatch(batch, wire[i].trans, pk, cts[i], 0, 1); err != nil {
						b.Fatal(err)
					}
				}
				if !batch.Verify() {
					b.Fatal("batch rejected")
				}
			}
			reportCPU(b, start)
		})
		b.Run(fmt.Sprintf("floor-decoded/N=%d", n), func(b *testing.B) {
			scal := make([]*group.Scalar, terms)
			for i := range scal {
				scal[i] = group.RandomScalar()
			}
			pts := []*group.Point{group.Generator(), pk}
			for i := range proofs {
				pts = append(pts, cts[i].A, cts[i].B, proofs[i].A[0], proofs[i].A[1], proofs[i].B[0], proofs[i].B[1])
			}
			pts = pts[:terms]
			start := cpuTime()
			for b.Loop() {
				msmIsIdentity(scal, pts)
			}
			reportCPU(b, start)
		})
		b.Run(fmt.Sprintf("floor/N=%d", n), func(b *testing.B) {
			scal := make([]*group.Scalar, terms)
			for i := range scal {
				scal[i] = group.RandomScalar()
			}
			pts := make([]*group.Point, 0, terms)
			start := cpuTime()
			for b.Loop() {
				pts = pts[:0]
				pts = append(pts, group.Generator(), pk)
				for i := range wire {
					ct, p, err := decodeWire(&wire[i])
					if err != nil {
						b.Fatal(err)
					}
					pts = append(pts, ct.A, ct.B, p.A[0], p.A[1], p.B[0], p.B[1])
				}
				pts = pts[:terms]
				msmIsIdentity(scal, pts)
			}
			reportCPU(b, start)
		})
	}
}
