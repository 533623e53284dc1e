package zk_test

import (
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// A voter proves that a selection encrypts 0 or 1; the proof is bound to the
// election and the voter's credential, so it fails anywhere else.
func ExampleProveRange() {
	_, pk := elgamal.GenerateKey()
	var election [32]byte // the election's base hash
	cred := group.BaseMul(group.RandomNonZeroScalar())

	transcript := func(base [32]byte, cred *group.Point) *zk.Transcript {
		t := zk.NewTranscript("tabella/example/selection", base)
		t.Point("credential", cred)
		t.Uint64("option", 0)
		return t
	}

	r := group.RandomScalar()
	ct := elgamal.EncryptUint(pk, 1, r)
	proof, err := zk.ProveRange(transcript(election, cred), pk, ct, 1, r, 0, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println("valid:", proof.Verify(transcript(election, cred), pk, ct, 0, 1) == nil)

	other := group.BaseMul(group.RandomNonZeroScalar())
	err = proof.Verify(transcript(election, other), pk, ct, 0, 1)
	fmt.Println("copied to another credential:", errors.Is(err, zk.ErrInvalidProof))

	// Many proofs at once: one multi-scalar multiplication.
	b := zk.NewBatch()
	if err := proof.AddToBatch(b, transcript(election, cred), pk, ct, 0, 1); err != nil {
		panic(err)
	}
	fmt.Println("batch:", b.Verify())
	// Output:
	// valid: true
	// copied to another credential: true
	// batch: true
}
