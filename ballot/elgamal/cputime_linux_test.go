package elgamal

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user + system) used by the whole process so
// far. Benchmarks report it per operation as "cpu-ns/op" next to the wall
// clock ns/op: on a shared machine the wall clock includes time spent
// waiting for a core, CPU time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
