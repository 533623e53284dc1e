package ballot

import (
	"flag"
	"runtime"
	"sync"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

// Workloads of the issue: W1 = 1 contest, 1-of-2; W2 = 10 contests × 5
// options, one-of-n each.
func w1(b testing.TB) *testElection { return newTestElection(b, oneOfN(1, 2)) }
func w2(b testing.TB) *testElection { return newTestElection(b, oneOfN(10, 5)) }

func w2Choices(i int) Choices {
	ch := Choices{}
	for c := 0; c < 10; c++ {
		v := make([]uint64, 5)
		v[(i+c)%5] = 1
		ch[oneOfN(10, 5).Contests[c].ID] = v
	}
	return ch
}

// reportCPU runs the benchmark loop body through b.Loop and reports CPU
// time per op and per ballot.
func reportCPU(b *testing.B, ballots int, body func()) {
	start := cpuTime()
	n := 0
	for b.Loop() {
		body()
		n++
	}
	cpu := float64(cpuTime()-start) / float64(n)
	b.ReportMetric(cpu, "cpu-ns/op")
	if ballots > 0 {
		b.ReportMetric(cpu/float64(ballots), "cpu-ns/ballot")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n)/float64(ballots), "ns/ballot")
	}
}

func benchEncrypt(b *testing.B, e *testElection, ch Choices) {
	cred := NewCredential()
	reportCPU(b, 0, func() {
		if _, _, err := Encrypt(e.Election, cred, ch); err != nil {
			b.Fatal(err)
		}
	})
}

func benchVerify(b *testing.B, e *testElection, ch Choices) {
	fresh, _ := mustEncrypt(b, e, NewCredential(), ch)
	data, _ := fresh.Encode()
	ballot, err := DecodeBallot(data)
	if err != nil {
		b.Fatal(err)
	}
	reportCPU(b, 0, func() {
		if err := Verify(e.Election, ballot); err != nil {
			b.Fatal(err)
		}
	})
}

// rankedR5 is one ranked contest of 5 options with a full ranking
// (L = 5): 5 ciphertexts with 6-branch proofs, the ranked counterpart of
// oneOfN(1, 5) (5 ciphertexts with 2-branch proofs and a sum proof).
func rankedR5(b *testing.B) *testElection {
	m := oneOfN(1, 5)
	m.ElectionID = "r-5"
	m.Contests[0] = Contest{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(5), MaxSelections: 5, Method: IRV}
	return newTestElection(b, m)
}

var r5Choices = Choices{"r": {3, 1, 5, 2, 4}}

func BenchmarkEncryptRanked5(b *testing.B) { benchEncrypt(b, rankedR5(b), r5Choices) }
func BenchmarkVerifyRanked5(b *testing.B)  { benchVerify(b, rankedR5(b), r5Choices) }
func BenchmarkEncryptOneOf5(b *testing.B) {
	benchEncrypt(b, newTestElection(b, oneOfN(1, 5)), Choices{"c0": {0, 0, 1, 0, 0}})
}
func BenchmarkVerifyOneOf5(b *testing.B) {
	benchVerify(b, newTestElection(b, oneOfN(1, 5)), Choices{"c0": {0, 0, 1, 0, 0}})
}
func BenchmarkEncryptW1(b *testing.B) { benchEncrypt(b, w1(b), Choices{"c0": {0, 1}}) }
func BenchmarkEncryptW2(b *testing.B) { benchEncrypt(b, w2(b), w2Choices(0)) }
func BenchmarkVerifyW1(b *testing.B)  { benchVerify(b, w1(b), Choices{"c0": {0, 1}}) }
func BenchmarkVerifyW2(b *testing.B)  { benchVerify(b, w2(b), w2Choices(0)) }

// The 1,000-ballot W2 set is built once per process and shared by the
// batched, one-by-one and floor benchmarks.
var (
	w2SetOnce sync.Once
	w2SetE    *testElection
	w2Set     []*Ballot
	w2SetJSON [][]byte
)

var w2SetSize = 1000

var benchBallots = flag.Int("bench.ballots", 0, "size of the W2 ballot set of the batch benchmarks, for profiling (default 1000)")

func w2Ballots(b *testing.B) (*testElection, []*Ballot) {
	w2SetOnce.Do(func() {
		if *benchBallots > 0 {
			w2SetSize = *benchBallots
		}
		w2SetE = w2(b)
		w2Set = make([]*Ballot, w2SetSize)
		w2SetJSON = make([][]byte, w2SetSize)
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < w2SetSize; i += workers {
					bl, _, err := Encrypt(w2SetE.Election, NewCredential(), w2Choices(i))
					if err != nil {
						panic(err)
					}
					// Verify what a server verifies: ballots decoded from
					// the wire (their points carry their encodings).
					w2SetJSON[i], _ = bl.Encode()
					if w2Set[i], err = DecodeBallot(w2SetJSON[i]); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
	})
	return w2SetE, w2Set
}

// BenchmarkVerify1000W2Batched verifies 1,000 W2 ballots with VerifyBatch
// (all cores). Divide ns/op by 1,000 for the per-ballot cost.
func BenchmarkVerify1000W2Batched(b *testing.B) {
	e, bs := w2Ballots(b)
	reportCPU(b, len(bs), func() {
		for i, err := range VerifyBatch(e.Election, bs) {
			if err != nil {
				b.Fatalf("ballot %d: %v", i, err)
			}
		}
	})
}

// BenchmarkVerify1000W2OneByOne verifies the same ballots with Verify, one
// after the other on one core, the baseline of the batching ratio.
func BenchmarkVerify1000W2OneByOne(b *testing.B) {
	e, bs := w2Ballots(b)
	reportCPU(b, len(bs), func() {
		for i, bl := range bs {
			if err := Verify(e.Election, bl); err != nil {
				b.Fatalf("ballot %d: %v", i, err)
			}
		}
	})
}

// BenchmarkVerify1000W2OneByOneParallel is the one-by-one baseline spread
// over all cores, so the batching ratio can be read at equal parallelism.
func BenchmarkVerify1000W2OneByOneParallel(b *testing.B) {
	e, bs := w2Ballots(b)
	workers := runtime.GOMAXPROCS(0)
	reportCPU(b, len(bs), func() {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(bs); i += workers {
					if err := Verify(e.Election, bs[i]); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
	})
}

// BenchmarkVerify1000W2BatchedOneCore is VerifyBatch with GOMAXPROCS=1, to
// compare with the one-by-one baseline on the same single core.
func BenchmarkVerify1000W2BatchedOneCore(b *testing.B) {
	e, bs := w2Ballots(b)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	reportCPU(b, len(bs), func() {
		for i, err := range VerifyBatch(e.Election, bs) {
			if err != nil {
				b.Fatalf("ballot %d: %v", i, err)
			}
		}
	})
}

// BenchmarkDecodeVerify1000W2Batched decodes the 1,000 ballots from JSON
// (on all cores, as a server decodes concurrent requests) and verifies them
// with VerifyBatch: the whole work of a server, to compare with the floor,
// which also decodes every point on all cores.
func BenchmarkDecodeVerify1000W2Batched(b *testing.B) {
	e, _ := w2Ballots(b)
	bs := make([]*Ballot, len(w2SetJSON))
	workers := runtime.GOMAXPROCS(0)
	reportCPU(b, len(bs), func() {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(bs); i += workers {
					var err error
					if bs[i], err = DecodeBallot(w2SetJSON[i]); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
		for i, err := range VerifyBatch(e.Election, bs) {
			if err != nil {
				b.Fatalf("ballot %d: %v", i, err)
			}
		}
	})
}

// BenchmarkDecode1000W2 decodes the 1,000 ballots from JSON (canonical
// check, point and scalar decoding): the part of a server's work that
// precedes verification.
func BenchmarkDecode1000W2(b *testing.B) {
	w2Ballots(b)
	reportCPU(b, len(w2SetJSON), func() {
		for _, data := range w2SetJSON {
			if _, err := DecodeBallot(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// floorInputs returns, for the ballots, the encodings of every point a
// verifier decodes (credential, signature commitment, ciphertext components,
// proof commitments) and the number of MSM terms of their batched
// verification: one per distinct point of the batch, that is every decoded
// point, the two points of each contest's sum ciphertext, and G and the
// joint key (each merged into one term).
func floorInputs(bs []*Ballot) (enc [][32]byte, terms int) {
	sums := 0
	for _, bl := range bs {
		enc = append(enc, bl.Credential.Bytes(), bl.Signature.A.Bytes())
		for _, c := range bl.Contests {
			for _, s := range c.Selections {
				enc = append(enc, s.Ciphertext.A.Bytes(), s.Ciphertext.B.Bytes())
				for k := range s.Proof.A {
					enc = append(enc, s.Proof.A[k].Bytes(), s.Proof.B[k].Bytes())
				}
			}
			for k := range c.SumProof.A {
				enc = append(enc, c.SumProof.A[k].Bytes(), c.SumProof.B[k].Bytes())
			}
			sums += 2
		}
	}
	return enc, len(enc) + sums + 2
}

// BenchmarkFloor1000W2 is the floor of batched verification of the 1,000 W2
// ballots: decoding the same points and one VarTimeMSM over the same number
// of terms, on all cores like VerifyBatch (the points are decoded and the
// MSM split in GOMAXPROCS parts). Verification / floor is the overhead of
// everything else (hashing transcripts, challenges, scalar arithmetic).
func BenchmarkFloor1000W2(b *testing.B) {
	_, bs := w2Ballots(b)
	enc, terms := floorInputs(bs)
	scalars := make([]*group.Scalar, terms)
	for i := range scalars {
		scalars[i] = group.RandomScalar()
	}
	b.ReportMetric(float64(len(enc)), "points")
	b.ReportMetric(float64(terms), "terms")
	workers := runtime.GOMAXPROCS(0)
	reportCPU(b, len(bs), func() {
		points := make([]*group.Point, terms)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo, hi := w*len(enc)/workers, (w+1)*len(enc)/workers
				for i := lo; i < hi; i++ {
					p, err := group.DecodePoint(enc[i][:])
					if err != nil {
						panic(err)
					}
					points[i] = p
				}
			}()
		}
		wg.Wait()
		for i := len(enc); i < terms; i++ {
			points[i] = points[i%len(enc)]
		}
		parts := make([]*group.Point, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				lo, hi := w*terms/workers, (w+1)*terms/workers
				parts[w] = group.VarTimeMSM(scalars[lo:hi], points[lo:hi])
			}()
		}
		wg.Wait()
		sum := group.Identity()
		for _, p := range parts {
			sum = sum.Add(p)
		}
		if sum.IsIdentity() {
			b.Fatal("unexpected identity")
		}
	})
}

// BenchmarkVerify1000W2OneBad is BenchmarkVerify1000W2Batched with one bad
// ballot (a signature from another ballot) in the set: the cost of naming
// it by bisection.
func BenchmarkVerify1000W2OneBad(b *testing.B) {
	e, good := w2Ballots(b)
	bs := append([]*Ballot(nil), good...)
	bad := *bs[len(bs)/2]
	bad.Signature = bs[0].Signature
	bs[len(bs)/2] = &bad
	reportCPU(b, len(bs), func() {
		for i, err := range VerifyBatch(e.Election, bs) {
			if (err != nil) != (i == len(bs)/2) {
				b.Fatalf("ballot %d: %v", i, err)
			}
		}
	})
}
