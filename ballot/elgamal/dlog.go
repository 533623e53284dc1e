package elgamal

import (
	"errors"
	"fmt"
	"math"

	"github.com/tabella-vote/tabella/ballot/group"
)

// ErrOutOfRange is returned by [DLog.Solve] when the point is not m·G for
// any m in [0, max].
var ErrOutOfRange = errors.New("elgamal: discrete log out of range")

// maxBabySteps caps the baby-step table: 2^16 entries of 36 bytes each
// (about 4 MiB with map overhead), built in a fraction of a second.
const maxBabySteps = 1 << 16

// DLog solves bounded discrete logarithms m·G ↦ m for m in [0, max] with
// baby-step giant-step (e2e/SPEC.md §4.4). The table of baby steps
// {j·G ↦ j : 0 ≤ j < n} is built once by [NewDLog]; [DLog.Solve] then takes
// at most ⌊max/n⌋ + 1 giant steps, each one point subtraction and one
// encoding. A DLog is safe for concurrent use by multiple goroutines.
//
// The baby-step count n is max+1 for small max, and otherwise
// max(⌈√(max+1)⌉, min(max+1, 65536)): a larger table than √max trades a
// one-off build for faster solves (max = 10^7 takes at most 153 giant steps).
//
// Solve runs in variable time; use it only on public values (tallies).
type DLog struct {
	max   uint64
	n     uint64                           // baby steps
	table map[[group.PointSize]byte]uint32 // j·G ↦ j
	giant *group.Point                     // n·G
}

// NewDLog builds the table for discrete logs up to max (inclusive). It panics
// if max is larger than 2^40, which would need an unreasonable table or
// solve time: the caller bounds max by the electorate and the largest score.
func NewDLog(max uint64) *DLog {
	if max > 1<<40 {
		panic("elgamal: internal error: NewDLog bound above 2^40")
	}
	n := uint64(math.Ceil(math.Sqrt(float64(max) + 1)))
	if n*n < max+1 {
		n++
	}
	if n < maxBabySteps {
		n = min(max+1, maxBabySteps)
	}
	d := &DLog{max: max, n: n, table: make(map[[group.PointSize]byte]uint32, n)}
	G := group.Generator()
	p := group.Identity()
	for j := uint64(0); j < n; j++ {
		d.table[p.Bytes()] = uint32(j)
		p = p.Add(G)
	}
	d.giant = p // n·G
	return d
}

// Max returns the largest value d solves for.
func (d *DLog) Max() uint64 { return d.max }

// Solve returns m in [0, max] with p = m·G, or an error wrapping
// [ErrOutOfRange] if there is none.
func (d *DLog) Solve(p *group.Point) (uint64, error) {
	if p == nil {
		return 0, fmt.Errorf("%w: nil point", ErrOutOfRange)
	}
	q := p
	for i := uint64(0); i*d.n <= d.max; i++ {
		if j, ok := d.table[q.Bytes()]; ok {
			m := i*d.n + uint64(j)
			if m > d.max {
				break
			}
			return m, nil
		}
		q = q.Sub(d.giant)
	}
	return 0, fmt.Errorf("%w: not m·G for any m in [0, %d]", ErrOutOfRange, d.max)
}
