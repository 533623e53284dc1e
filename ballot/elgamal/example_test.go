package elgamal_test

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// Encrypted votes add up; the tally decrypts to m·G and a bounded discrete
// log recovers m.
func Example() {
	sk, pk := elgamal.GenerateKey()
	pk = group.NewFixedBase(pk).Point() // optional: faster encryption
	sum := elgamal.Zero()
	for _, vote := range []uint64{1, 0, 1, 1} {
		sum = sum.Add(elgamal.EncryptUintMax(pk, vote, 1, group.RandomScalar()))
	}
	tally, err := elgamal.NewDLog(100).Solve(sum.Decrypt(sk))
	fmt.Println(tally, err)
	// Output: 3 <nil>
}
