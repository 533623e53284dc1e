package ballot_test

import (
	"fmt"
	"os"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
)

// A voter encrypts choices, the server verifies the ballot and returns its
// tracking code; a challenged (spoiled) ballot opens to the choices.
func Example() {
	data, err := os.ReadFile("testdata/manifest.json")
	if err != nil {
		panic(err)
	}
	m, err := ballot.DecodeManifest(data)
	if err != nil {
		panic(err)
	}
	// In an election the joint key comes from the trustees' key ceremony.
	_, jointKey := elgamal.GenerateKey()
	e, err := ballot.NewElection(m, jointKey, [32]byte{})
	if err != nil {
		panic(err)
	}

	cred := ballot.NewCredential() // on the roll: cred.Public()
	choices := ballot.Choices{"mayor": {0, 1, 0}, "council": {1, 0, 0, 1}, "parks": {5, 3}}
	b, opening, err := ballot.Encrypt(e, cred, choices)
	if err != nil {
		panic(err)
	}

	// The server decodes what it receives and verifies it.
	wire, _ := b.Encode()
	received, err := ballot.DecodeBallot(wire)
	if err != nil {
		panic(err)
	}
	fmt.Println("verify:", ballot.Verify(e, received))
	code, _ := received.TrackingCode()
	_, err = ballot.ParseTrackingCode(string(code))
	fmt.Println("tracking code parses:", err == nil)

	// Had the voter challenged this ballot instead of casting it:
	spoiled, _ := ballot.Spoil(b, opening)
	opened, err := ballot.VerifySpoiled(e, spoiled)
	fmt.Println("spoiled ballot opens to:", opened["mayor"], opened["council"], opened["parks"], err)

	// An over-vote cannot be encrypted.
	_, _, err = ballot.Encrypt(e, cred, ballot.Choices{"mayor": {1, 1, 0}})
	fmt.Println(err)
	// Output:
	// verify: <nil>
	// tracking code parses: true
	// spoiled ballot opens to: [0 1 0] [1 0 0 1] [5 3] <nil>
	// ballot: invalid choices: ballot: over-vote: contest "mayor": selections 2, at most 1
}
