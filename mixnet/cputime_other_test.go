//go:build !linux

package mixnet

import "time"

// cpuTime is only measured on Linux; elsewhere "cpu-ms/ct" is not reported.
func cpuTime() (time.Duration, bool) { return 0, false }
