//go:build !unix

package coord

import "time"

func processCPU() time.Duration { return 0 }
