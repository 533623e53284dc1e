package service

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/e2e/record"
)

// BenchmarkCastHTTP casts pre-encrypted ballots (one contest, 1-of-2: the
// W1 workload) over HTTP from parallel clients against a SQLite board.
func BenchmarkCastHTTP(b *testing.B) {
	const voters = 4000
	h := newHarness(b, voters, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	subs := make([]Submission, voters)
	for i := range subs {
		_, data, _ := h.ballot(i, i%2)
		subs[i] = voterSub(h.creds[i].Public(), record.TypeBallot, data)
	}
	var next atomic.Int64
	ctx := context.Background()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)-1) % voters
			if _, err := h.c.Submit(ctx, h.id, subs[i]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	vt, n := h.svc.VerifyStats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
	if n > 0 {
		b.ReportMetric(float64(vt.Nanoseconds())/float64(n), "verify-ns/ballot")
	}
}
