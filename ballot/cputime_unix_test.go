//go:build unix

package ballot

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) the process has used. The
// machine is shared, so besides wall time the ballot benchmarks report
// cpu-ns/op and cpu-ns/ballot, which other load disturbs less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
