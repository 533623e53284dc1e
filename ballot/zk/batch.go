package zk

import (
	"crypto/rand"
	"runtime"
	"sync"

	"github.com/tabella-vote/tabella/ballot/group"
)

// A Batch collects verification equations of the form Σ sᵢ·Pᵢ = 0 and checks
// them all at once (e2e/SPEC.md §5.5).
//
// Each equation is multiplied by a fresh random 128-bit weight ρ drawn from
// crypto/rand, and the weighted equations are summed into one multi-scalar
// multiplication. If every equation holds the sum is the identity; if any
// fails, the sum is the identity with probability at most 2^-128 over the
// choice of weights. Terms on the generator G, and terms on the same
// *group.Point value passed more than once (the election key, a ciphertext
// shared by several equations), are merged into a single term, so a batch of
// ballots under one key costs one MSM term per proof commitment plus a
// handful of shared ones.
//
// A Batch only says whether all its equations hold. When [Batch.Verify]
// returns false, callers re-check each proof with its Verify method to name
// the bad one. A Batch is not safe for concurrent use; use one per goroutine.
type Batch struct {
	g      *group.Scalar        // merged coefficient of G
	index  map[*group.Point]int // point ↦ position in scalars/points
	scal   []*group.Scalar      // coefficients, parallel to points
	points []*group.Point       // distinct points (by pointer)
	n      int                  // number of equations
	rnd    []byte               // buffered randomness for the weights
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	return &Batch{g: group.NewScalar(0), index: make(map[*group.Point]int)}
}

// Len returns the number of equations added so far.
func (b *Batch) Len() int { return b.n }

// Terms returns the number of distinct multi-scalar multiplication terms,
// counting G once if it is used.
func (b *Batch) Terms() int { return len(b.points) + 1 }

// weight returns a fresh uniformly random 128-bit scalar.
func (b *Batch) weight() *group.Scalar {
	if len(b.rnd) < 16 {
		b.rnd = make([]byte, 4096)
		if _, err := rand.Read(b.rnd); err != nil {
			panic("zk: crypto/rand failed: " + err.Error())
		}
	}
	var buf [32]byte
	copy(buf[:16], b.rnd[:16])
	b.rnd = b.rnd[16:]
	s, err := group.DecodeScalar(buf[:])
	if err != nil {
		panic("zk: internal error: 128-bit scalar did not decode")
	}
	return s
}

// eq is one equation being added: Σ coefficients · points + gCoeff·G = 0.
type eq struct {
	b *Batch
	w *group.Scalar
}

// begin starts a new equation with a fresh weight.
func (b *Batch) begin() eq {
	b.n++
	return eq{b: b, w: b.weight()}
}

// term adds s·P to the equation (weighted).
func (e eq) term(s *group.Scalar, P *group.Point) {
	e.b.add(e.w.Mul(s), P)
}

// one adds 1·P to the equation (weighted).
func (e eq) one(P *group.Point) { e.b.add(e.w, P) }

// gen adds s·G to the equation (weighted).
func (e eq) gen(s *group.Scalar) { e.b.g = e.b.g.Add(e.w.Mul(s)) }

func (b *Batch) add(s *group.Scalar, P *group.Point) {
	if i, ok := b.index[P]; ok {
		b.scal[i] = b.scal[i].Add(s)
		return
	}
	b.index[P] = len(b.points)
	b.points = append(b.points, P)
	b.scal = append(b.scal, s)
}

// parallelThreshold is the number of terms above which Verify splits the
// multi-scalar multiplication across cores.
const parallelThreshold = 512

// Verify reports whether every equation in the batch holds (up to the 2^-128
// soundness error of the random weights). An empty batch verifies. It runs
// one variable-time multi-scalar multiplication over all terms, split across
// GOMAXPROCS goroutines when the batch is large.
func (b *Batch) Verify() bool {
	scal := append([]*group.Scalar{b.g}, b.scal...)
	points := append([]*group.Point{group.Generator()}, b.points...)
	return msmIsIdentity(scal, points)
}

func msmIsIdentity(scal []*group.Scalar, points []*group.Point) bool {
	workers := runtime.GOMAXPROCS(0)
	if len(points) < parallelThreshold || workers < 2 {
		return group.VarTimeMSM(scal, points).IsIdentity()
	}
	parts := make([]*group.Point, workers)
	var wg sync.WaitGroup
	chunk := (len(points) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(points))
		if lo >= hi {
			parts[w] = group.Identity()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[w] = group.VarTimeMSM(scal[lo:hi], points[lo:hi])
		}()
	}
	wg.Wait()
	sum := group.Identity()
	for _, p := range parts {
		sum = sum.Add(p)
	}
	return sum.IsIdentity()
}
