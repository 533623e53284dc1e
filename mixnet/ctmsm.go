package mixnet

import "github.com/tabella-vote/tabella/ballot/group"

// ctMSM returns Σ ss[i]·ps[i] in time that depends only on len(ss), split
// over the cores. The prover's multi-scalar multiplications have secret
// scalars (the masks ω'_i of the permuted challenges, which would reveal π),
// so they use group.MSM, filippo.io/edwards25519's constant-time Straus
// multiplication, and never group.VarTimeMSM.
func ctMSM(ss []*group.Scalar, ps []*group.Point) *group.Point {
	return parallelMSM(group.MSM, ss, ps)
}
