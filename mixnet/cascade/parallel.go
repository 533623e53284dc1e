package cascade

import (
	"runtime"
	"sync"
)

// parallelFor runs f(0..n−1) over the cores, in contiguous chunks.
func parallelFor(n int, f func(k int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64)
	if workers <= 1 {
		for k := range n {
			f(k)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := lo; k < hi; k++ {
				f(k)
			}
		}()
	}
	wg.Wait()
}
