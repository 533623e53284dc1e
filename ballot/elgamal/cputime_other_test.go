//go:build !linux

package elgamal

import (
	"testing"
	"time"
)

// cpuTime is only measured on Linux; elsewhere "cpu-ns/op" is not reported.
func cpuTime() time.Duration { return 0 }

func reportCPU(b *testing.B, start time.Duration) {}
