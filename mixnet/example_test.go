package mixnet_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/mixnet"
)

// Three encrypted rankings (option numbers, 1st choice first) are shuffled
// by trustee 2 and the proof is checked; each ranking stays whole, and the
// proof does not hold for another mixer.
func Example() {
	sk, pk := elgamal.GenerateKey()
	base := sha256.Sum256([]byte("the election's base hash (e2e/SPEC.md §6.3)"))
	st, err := mixnet.NewStatement(pk, base, 2, "ranked")
	if err != nil {
		panic(err)
	}
	var in []mixnet.Sequence
	for _, ranking := range [][]uint64{{2, 1, 3}, {1, 3, 2}, {3, 2, 1}} {
		var s mixnet.Sequence
		for _, option := range ranking {
			s = append(s, elgamal.EncryptUint(st.Key(), option, group.RandomScalar()))
		}
		in = append(in, s)
	}

	out, proof, err := mixnet.Shuffle(st, in)
	if err != nil {
		panic(err)
	}
	fmt.Println("verify:", mixnet.Verify(st, in, out, proof))

	other, _ := mixnet.NewStatement(pk, base, 3, "ranked")
	err = mixnet.Verify(other, in, out, proof)
	fmt.Println("as mixer 3:", errors.Is(err, mixnet.ErrInvalidProof))

	// Decrypted (in a real election by the trustees' threshold decryption),
	// the output holds the same rankings in another order.
	dl := elgamal.NewDLog(3)
	var rankings [][]uint64
	for _, s := range out {
		var r []uint64
		for _, ct := range s {
			m, _ := dl.Solve(ct.Decrypt(sk))
			r = append(r, m)
		}
		rankings = append(rankings, r)
	}
	slices.SortFunc(rankings, slices.Compare)
	fmt.Println(rankings)
	// Output:
	// verify: <nil>
	// as mixer 3: true
	// [[1 3 2] [2 1 3] [3 2 1]]
}
