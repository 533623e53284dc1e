package coord

import (
	"context"
	"crypto/rand"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
)

var benchBallots = flag.Int("coord.ballots", 100_000, "real W1 ballot entries on the SQLite board of BenchmarkAggregateFromBoardW1")

// BenchmarkAggregateFromBoardW1 is the coordinator's recomputation of the
// aggregate: real W1 ballot entries (one contest of two options, the full
// JSON ballot with its proofs) streamed from a SQLite board (whose reads
// check hashes, chain and Merkle leaves), the ciphertexts decoded strictly
// and summed on all cores. -coord.ballots sets the number of entries
// (default 10^5); filling the board is outside the timer.
func BenchmarkAggregateFromBoardW1(b *testing.B) {
	n := *benchBallots
	ctx := context.Background()
	skey, vkey, _ := note.GenerateKey(rand.Reader, "board.bench")
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	bd, err := board.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "board.db"), board.Options{Signer: signer, Verifier: verifier, MaxBatch: 4096})
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	m := &ballot.Manifest{Version: ballot.Version, ElectionID: "w1", Title: "W1",
		Schedule: ballot.Schedule{Opens: "2026-11-01T08:00:00Z", Closes: "2026-11-01T20:00:00Z"},
		Contests: []ballot.Contest{{ID: "c0", Title: "C", Kind: ballot.OneOfN, Options: []ballot.Option{{ID: "o0", Title: "0"}, {ID: "o1", Title: "1"}}, MinSelections: 1, MaxSelections: 1}}}
	K := group.BaseMul(group.RandomScalar())
	el, err := ballot.NewElection(m, K, [32]byte{1})
	if err != nil {
		b.Fatal(err)
	}
	var payloads, signers [][]byte
	for i := range 64 {
		c := ballot.NewCredential()
		bl, _, err := ballot.Encrypt(el, c, ballot.Choices{"c0": {uint64(i % 2), uint64(1 - i%2)}})
		if err != nil {
			b.Fatal(err)
		}
		p, _ := bl.Encode()
		s := record.Signer{Kind: record.Voter, Key: c.Public().Bytes()}
		payloads, signers = append(payloads, p), append(signers, s.Bytes())
	}
	fill := time.Now()
	subs := make([]board.Submission, 0, 4096)
	counted := make([]uint64, 0, n)
	for i := 0; i < n; {
		subs = subs[:0]
		for ; len(subs) < cap(subs) && i < n; i++ {
			// Distinct submissions: the signature field carries the position.
			subs = append(subs, board.Submission{Type: record.TypeBallot, Payload: payloads[i%64], Signer: signers[i%64], Signature: []byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)}})
			counted = append(counted, uint64(i))
		}
		if _, err := bd.Append(ctx, "w1", subs...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled the board with %d W1 ballots (%d bytes each) in %v", n, len(payloads[0]), time.Since(fill))
	layout := tally.LayoutOf(m)
	src := entrySource{&testBackend{bd: bd}, "w1"}
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		_, cnt, err := AggregateFromBoard(ctx, src, 0, uint64(n), counted, layout, 0)
		if err != nil || cnt != uint64(n) {
			b.Fatal(cnt, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
	b.ReportMetric(float64(processCPU()-cpu)/float64(n*b.N), "cpu-ns/ballot")
}
