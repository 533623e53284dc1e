package coord

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkCeremonyWebsocket runs whole key ceremonies over real
// websockets on loopback: a SQLite board behind an HTTP server, the
// coordinator, and n trustee clients each running the ceremony state
// machine, until the board's ceremony.result is posted. Setup (board,
// server, identities) is outside the timer.
func BenchmarkCeremonyWebsocket(b *testing.B) {
	for _, tn := range [][2]int{{3, 5}, {7, 13}} {
		t, n := tn[0], tn[1]
		b.Run(fmt.Sprintf("t=%d,n=%d", t, n), func(b *testing.B) {
			identities(b, n)
			var cpuTotal time.Duration
			for b.Loop() {
				b.StopTimer()
				e := newTestElection(b, t, n, 0)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				b.StartTimer()
				cpu := processCPU()
				all := make([]int, n)
				for i := range all {
					all[i] = i + 1
				}
				_, errs := e.runCeremony(ctx, all, nil, nil)
				for i, err := range errs {
					if err != nil {
						b.Fatalf("trustee %d: %v", i, err)
					}
				}
				e.waitStatus(ctx, "ceremony.result", func(s *Status) bool { return s.Phase == PhaseKeyed })
				b.StopTimer()
				cpuTotal += processCPU() - cpu
				cancel()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpuTotal)/float64(b.N), "cpu-ns/op")
		})
	}
}

// Ceremonies of the sizes of the issue over websockets, all trustees
// honest.
func TestCeremonySizes(t *testing.T) {
	for _, tn := range [][2]int{{1, 1}, {2, 3}, {5, 9}} {
		th, n := tn[0], tn[1]
		t.Run(fmt.Sprintf("%d-of-%d", th, n), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			e := newTestElection(t, th, n, 0)
			all := make([]int, n)
			for i := range all {
				all[i] = i + 1
			}
			shares, errs := e.runCeremony(ctx, all, nil, nil)
			for i, err := range errs {
				if err != nil {
					t.Fatalf("trustee %d: %v", i, err)
				}
			}
			r, _ := ceremonyResult(t, e)
			if !slices.Equal(r.Qualified, all) || r.Threshold != th {
				t.Fatalf("result %+v", r)
			}
			for i, ks := range shares {
				if !ks.JointKey.Equal(r.JointKey) {
					t.Fatalf("trustee %d has another joint key", i)
				}
			}
		})
	}
}
