package count

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	benchMu     sync.Mutex
	benchInputs = map[int][][]int{}
)

// benchBallots returns count pseudo-random raw rankings of 5 options (the
// vector generator's, so the workload is reproducible).
func benchBallots(count int) [][]int {
	benchMu.Lock()
	defer benchMu.Unlock()
	if r, ok := benchInputs[count]; ok {
		return r
	}
	r := pseudoRandom(fmt.Sprintf("bench-%d", count), 5, count)
	benchInputs[count] = r
	return r
}

// BenchmarkCount counts 10⁵ and 10⁶ rankings of 5 options with each method.
// The floor is one pass that normalises every ranking and counts first
// preferences (plurality): what any method must at least do.
func BenchmarkCount(b *testing.B) {
	for _, size := range []int{100_000, 1_000_000} {
		raw := benchBallots(size)
		b.Run(fmt.Sprintf("floor/n=5/ballots=%d", size), func(b *testing.B) {
			for b.Loop() {
				var first [5]int
				var buf [MaxOptions]byte
				for _, r := range raw {
					if rk, _ := normalize(buf[:0], r, 5); len(rk) > 0 {
						first[rk[0]]++
					}
				}
			}
		})
		for _, c := range []struct {
			m     Method
			seats int
		}{{IRV, 1}, {STV, 2}, {Schulze, 1}} {
			b.Run(fmt.Sprintf("%s/n=5/ballots=%d", c.m, size), func(b *testing.B) {
				for b.Loop() {
					_, err := Count(c.m, 5, c.seats, raw)
					require.NoError(b, err)
				}
			})
		}
	}
}
