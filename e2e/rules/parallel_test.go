package rules

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestParallelRaisesPanicInCaller: a panic in a worker comes back in the
// caller's goroutine (where a server's recover catches it) instead of
// ending the process, and the other workers stop.
func TestParallelRaisesPanicInCaller(t *testing.T) {
	var done atomic.Int64
	got := func() (r any) {
		defer func() { r = recover() }()
		Parallel(10_000, func(i int) {
			if i == 57 {
				panic("fault at 57")
			}
			done.Add(1)
		})
		return nil
	}()
	require.Equal(t, "fault at 57", got)
	require.Less(t, done.Load(), int64(10_000-1), "the workers went on after the panic")
	var n atomic.Int64
	Parallel(100, func(int) { n.Add(1) }) // still usable
	require.Equal(t, int64(100), n.Load())
}
