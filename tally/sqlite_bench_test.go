package tally

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"flag"
	"iter"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
)

var sqliteBallots = flag.Int("tally.sqlite-ballots", 100_000, "W1 ballots on the SQLite board of BenchmarkAggregateW1SQLite")

// boardBallots streams the payloads of entries [from, to) of an election's
// log, a page at a time, reading the next page while the current one is
// being aggregated.
func boardBallots(ctx context.Context, b *board.Board, election string, from, to uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		type page struct {
			entries []*bulletin.Entry
			err     error
		}
		pages := make(chan page, 4)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			defer close(pages)
			for start := from; start < to; {
				es, err := b.Entries(ctx, election, start, min(to, start+bulletin.MaxPage))
				if err == nil && len(es) == 0 {
					return
				}
				select {
				case pages <- page{es, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
				start += uint64(len(es))
			}
		}()
		for p := range pages {
			if p.err != nil {
				yield(nil, p.err)
				return
			}
			for _, e := range p.entries {
				if !yield(e.Payload, nil) {
					return
				}
			}
		}
	}
}

// BenchmarkAggregateW1SQLite aggregates W1 ballots (two ciphertexts each,
// stored as their 128-byte encoding) streamed from a SQLite board, whose
// reads check the hash chain and Merkle leaves. The number of ballots is set
// with -tally.sqlite-ballots (default 10^5; the board is filled before the
// timer starts).
func BenchmarkAggregateW1SQLite(b *testing.B) {
	n := *sqliteBallots
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, "board.bench")
	if err != nil {
		b.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	bd, err := board.Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "board.db"), board.Options{Signer: signer, Verifier: verifier})
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	const election = "bench-w1"
	K := group.BaseMul(group.RandomScalar())
	var payloads [][]byte
	for p := range w1Items(b, K, 64) {
		payloads = append(payloads, p)
	}
	fill := time.Now()
	subs := make([]board.Submission, 0, 1000)
	for i := 0; i < n; {
		subs = subs[:0]
		for ; len(subs) < cap(subs) && i < n; i++ {
			subs = append(subs, board.Submission{Type: "ballot", Payload: payloads[i%64], Signer: binary.BigEndian.AppendUint64([]byte{3}, uint64(i))})
		}
		if _, err := bd.Append(ctx, election, subs...); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled the board with %d entries in %v", n, time.Since(fill))
	b.ResetTimer()
	for b.Loop() {
		_, cnt, err := Aggregate(ctx, 2, 0, boardBallots(ctx, bd, election, 0, uint64(n)), decodeW1)
		if err != nil || cnt != uint64(n) {
			b.Fatal(cnt, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
}
