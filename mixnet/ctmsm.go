package mixnet

import (
	"runtime"
	"sync"

	"github.com/gtank/ristretto255"
	"github.com/tabella-vote/tabella/ballot/group"
)

// The prover's multi-scalar multiplications have secret scalars (the masks
// ω'_i of the permuted challenges), so they must run in constant time.
// group.MSM is meant to be that, but it returns an invalid element: gtank's
// MultiScalarMult accumulates into its receiver, which group.MSM leaves at
// the all-zero (not identity) value, and group's test compares with
// Point.Equal, which that value passes (reported to the lead; ballot/ is not
// ours to change). So the prover calls gtank's constant-time Straus
// multiplication here, with the accumulator set to the identity, and the
// points converted once through their canonical encodings.

// element converts a group point into gtank's representation.
func element(p *group.Point) *ristretto255.Element {
	b := p.Bytes()
	e := ristretto255.NewElement()
	if err := e.Decode(b[:]); err != nil {
		panic("mixnet: internal error: a group point has no canonical encoding")
	}
	return e
}

// elements converts points in parallel.
func elements(ps []*group.Point) []*ristretto255.Element {
	es := make([]*ristretto255.Element, len(ps))
	parallel(len(ps), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			es[i] = element(ps[i])
		}
	})
	return es
}

// gtScalars converts scalars into gtank's representation.
func gtScalars(ss []*group.Scalar) []*ristretto255.Scalar {
	gs := make([]*ristretto255.Scalar, len(ss))
	for i, s := range ss {
		b := s.Bytes()
		gs[i] = ristretto255.NewScalar()
		if err := gs[i].Decode(b[:]); err != nil {
			panic("mixnet: internal error: a group scalar is not reduced")
		}
	}
	return gs
}

// ctMSM returns Σ ss[i]·ps[i] in time that depends only on len(ss), split
// over the cores.
func ctMSM(ss []*ristretto255.Scalar, ps []*ristretto255.Element) *group.Point {
	if len(ss) != len(ps) {
		panic("mixnet: internal error: ctMSM length mismatch")
	}
	workers := runtime.GOMAXPROCS(0)
	if w := len(ss) / 64; w < workers {
		workers = w
	}
	workers = max(workers, 1)
	parts := make([]ristretto255.Element, workers)
	var wg sync.WaitGroup
	for k := range workers {
		lo, hi := len(ss)*k/workers, len(ss)*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k].Zero() // the accumulator: see above
			parts[k].MultiScalarMult(ss[lo:hi], ps[lo:hi])
		}()
	}
	wg.Wait()
	for k := 1; k < workers; k++ {
		parts[0].Add(&parts[0], &parts[k])
	}
	p, err := group.DecodePoint(parts[0].Encode(nil))
	if err != nil {
		panic("mixnet: internal error: gtank produced a non-canonical encoding")
	}
	return p
}
