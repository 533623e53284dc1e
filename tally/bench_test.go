package tally

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// w1Items returns an iterator over n encoded W1 ballot vectors (1 contest,
// 2 options: two ciphertexts, 128 bytes), cycling through 64 distinct
// encryptions so the setup is cheap; decoding still runs for every item.
func w1Items(tb testing.TB, K *group.Point, n int) iter.Seq2[[]byte, error] {
	distinct := make([][]byte, 64)
	for i := range distinct {
		a := elgamal.EncryptUint(K, uint64(i%2), group.RandomScalar()).Bytes()
		b := elgamal.EncryptUint(K, uint64(1-i%2), group.RandomScalar()).Bytes()
		distinct[i] = append(a[:], b[:]...)
	}
	return func(yield func([]byte, error) bool) {
		for i := range n {
			if !yield(distinct[i%64], nil) {
				return
			}
		}
	}
}

func decodeW1(b []byte) ([]elgamal.Ciphertext, error) {
	c0, err := elgamal.DecodeCiphertext(b[:64])
	if err != nil {
		return nil, err
	}
	c1, err := elgamal.DecodeCiphertext(b[64:])
	if err != nil {
		return nil, err
	}
	return []elgamal.Ciphertext{c0, c1}, nil
}

// BenchmarkAggregateW1 aggregates 10^6 W1 ballots from their encodings
// (decode + add, all cores). Compare with the 10 s target.
func BenchmarkAggregateW1(b *testing.B) {
	K := group.BaseMul(group.RandomScalar())
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("ballots=%d", n), func(b *testing.B) {
			items := w1Items(b, K, n)
			for b.Loop() {
				_, cnt, err := Aggregate(context.Background(), 2, 0, items, decodeW1)
				if err != nil || cnt != uint64(n) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
		})
	}
}

// BenchmarkAggregateW1AddOnly is the addition alone (ciphertexts already
// decoded), to separate decoding from summing.
func BenchmarkAggregateW1AddOnly(b *testing.B) {
	K := group.BaseMul(group.RandomScalar())
	n := 1_000_000
	v := []elgamal.Ciphertext{elgamal.EncryptUint(K, 1, group.RandomScalar()), elgamal.EncryptUint(K, 0, group.RandomScalar())}
	items := func(yield func([]elgamal.Ciphertext, error) bool) {
		for range n {
			if !yield(v, nil) {
				return
			}
		}
	}
	id := func(v []elgamal.Ciphertext) ([]elgamal.Ciphertext, error) { return v, nil }
	for b.Loop() {
		if _, _, err := Aggregate(context.Background(), 2, 0, items, id); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
}

// w2 returns a W2 election (10 contests × 5 options = 50 ciphertexts) with
// 10^6 voters, on a 3-of-5 key: an aggregate that decrypts to counts up to
// 10^6.
func w2(b *testing.B) *election {
	k := runCeremony(b, 3, 5)
	const voters = 1_000_000
	e := &election{k: k, base: [32]byte{2}, count: voters}
	for j := range 50 {
		m := uint64(voters / 50 * (j%5 + 1) / 3)
		e.agg = append(e.agg, elgamal.EncryptUint(k.st.JointKey, m, group.RandomScalar()))
		e.counts = append(e.counts, m)
		e.limits = append(e.limits, 1)
	}
	return e
}

// BenchmarkCombineW2Prebuilt is BenchmarkCombineW2 with the discrete-log
// table built once, outside the loop.
func BenchmarkCombineW2Prebuilt(b *testing.B) {
	e := w2(b)
	posted := e.shares(b, 1, 3, 5)
	d := e.decryption()
	d.DLog = elgamal.NewDLog(e.count)
	for b.Loop() {
		pt, err := Combine(d, posted)
		if err != nil {
			b.Fatal(err)
		}
		if pt.Counts[49] != e.counts[49] {
			b.Fatal("wrong count")
		}
	}
}

// BenchmarkDecryptionShareW2 is one trustee's decryption shares and proofs
// for a W2 aggregate.
func BenchmarkDecryptionShareW2(b *testing.B) {
	e := w2(b)
	for b.Loop() {
		if _, err := DecryptShares(e.base, e.k.shares[1], e.agg, e.count); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCombineW2 checks t = 3 share messages (batched proofs), combines
// them and solves 50 discrete logs up to 10^6 (including the table build).
func BenchmarkCombineW2(b *testing.B) {
	e := w2(b)
	posted := e.shares(b, 1, 3, 5)
	d := e.decryption()
	for b.Loop() {
		pt, err := Combine(d, posted)
		if err != nil {
			b.Fatal(err)
		}
		if pt.Counts[49] != e.counts[49] {
			b.Fatal("wrong count")
		}
	}
}

// BenchmarkCeremony runs a whole in-memory ceremony, all trustees online.
func BenchmarkCeremony(b *testing.B) {
	for _, c := range []struct{ t, n int }{{3, 5}, {7, 13}} {
		b.Run(fmt.Sprintf("%d-of-%d", c.t, c.n), func(b *testing.B) {
			k := runCeremony(b, c.t, c.n) // identities
			for b.Loop() {
				clock := ceremony.NewFakeClock(t0)
				board := ceremony.NewMemBoard(clock)
				ts := make([]*ceremony.Trustee, c.n)
				for i := range ts {
					ts[i], _ = ceremony.NewTrustee(k.ids[i], k.p, t0)
				}
				done := 0
				for pass := 0; done < c.n && pass < 10; pass++ {
					done = 0
					for _, tr := range ts {
						if _, err := tr.Step(context.Background(), board); err != nil {
							b.Fatal(err)
						}
						if tr.KeyShare() != nil {
							done++
						}
					}
				}
				if done != c.n {
					b.Fatal("ceremony did not finish")
				}
			}
		})
	}
}

// BenchmarkBallotVectorW1 is the per-ballot cost of reading a real W1
// ballot entry for aggregation: strict decoding of the ballot JSON (every
// point of the proofs too) and extraction of its two ciphertexts, or
// decoding of the ciphertexts alone ([Layout.Ciphertexts]); no proof is
// verified.
func BenchmarkBallotVectorW1(b *testing.B) {
	k := runCeremony(b, 1, 1)
	m, err := ballot.DecodeManifest([]byte(`{"version":"tabella/v1","election_id":"w1","title":"W1","schedule":{"opens":"2026-11-01T08:00:00Z","closes":"2026-11-01T20:00:00Z"},"contests":[{"id":"q","title":"Q","kind":"one_of_n","options":[{"id":"yes","title":"Yes"},{"id":"no","title":"No"}],"min_selections":1,"max_selections":1}]}`))
	if err != nil {
		b.Fatal(err)
	}
	el, err := ballot.NewElection(m, k.st.JointKey, k.st.Hash)
	if err != nil {
		b.Fatal(err)
	}
	bl, _, err := ballot.Encrypt(el, ballot.NewCredential(), ballot.Choices{"q": {1, 0}})
	if err != nil {
		b.Fatal(err)
	}
	data, _ := bl.Encode()
	l := LayoutOf(m)
	b.ReportMetric(float64(len(data)), "bytes/ballot")
	b.Run("strict", func(b *testing.B) {
		for b.Loop() {
			x, err := ballot.DecodeBallot(data)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := l.Vector(x); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ciphertexts-only", func(b *testing.B) {
		for b.Loop() {
			if _, err := l.Ciphertexts(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
