package mixnet

import (
	"runtime"
	"sync"

	"github.com/tabella-vote/tabella/ballot/group"
)

// minChunk is the smallest piece of work worth a goroutine: a few group
// operations of tens of microseconds each.
const minChunk = 16

// parallel calls f on consecutive ranges [lo, hi) covering [0, n), split
// over GOMAXPROCS goroutines (or fewer for small n), and waits for them.
func parallel(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if w := n / minChunk; w < workers {
		workers = w
	}
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := n*k/workers, n*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}

// parallelMSM returns Σ scalars[i]·points[i], split over the cores: msm is
// group.MSM (constant time, for secret scalars) or group.VarTimeMSM (public
// scalars).
func parallelMSM(msm func([]*group.Scalar, []*group.Point) *group.Point, scalars []*group.Scalar, points []*group.Point) *group.Point {
	workers := runtime.GOMAXPROCS(0)
	if w := len(scalars) / 256; w < workers {
		workers = w
	}
	if workers <= 1 {
		return msm(scalars, points)
	}
	parts := make([]*group.Point, workers)
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := len(scalars)*k/workers, len(scalars)*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k] = msm(scalars[lo:hi], points[lo:hi])
		}()
	}
	wg.Wait()
	sum := parts[0]
	for _, p := range parts[1:] {
		sum = sum.Add(p)
	}
	return sum
}
