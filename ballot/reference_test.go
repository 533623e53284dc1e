package ballot

import (
	"math/rand/v2"
	"testing"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// decodeBallotReference is the straightforward decoder the direct parser
// replaces: strict canonical decoding through encoding/json (canon), with
// the same field checks. FuzzDecodeBallot checks both accept exactly the
// same inputs.
func decodeBallotReference(data []byte) (*Ballot, error) {
	b := new(Ballot)
	if err := canon.Unmarshal(data, b, MaxBallotSize); err != nil {
		return nil, err
	}
	if err := b.checkFields(); err != nil {
		return nil, err
	}
	return b, nil
}

func TestParserMatchesReference(t *testing.T) {
	for _, name := range []string{"ballot.json", "ballot-w1.json"} {
		data := readTestdata(t, name)
		b1, err1 := DecodeBallot(data)
		b2, err2 := decodeBallotReference(data)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %v", name, err1, err2)
		}
		h1, _ := b1.Hash()
		h2, _ := b2.Hash()
		if h1 != h2 {
			t.Fatalf("%s: the decoders disagree", name)
		}
	}
}

// TestParserMatchesReferenceMutations runs the two decoders on many random
// mutations of a small ballot (byte changes, deletions, insertions of
// JSON-significant bytes) and requires the same verdict.
func TestParserMatchesReferenceMutations(t *testing.T) {
	orig := readTestdata(t, "ballot-w1.json")
	rng := rand.New(rand.NewPCG(1, 2))
	special := []byte(`{}[],:"\ 0afAF-u`)
	accepted := 0
	for i := 0; i < 3000; i++ {
		in := append([]byte(nil), orig...)
		for k := 0; k < 1+rng.IntN(3); k++ {
			at := rng.IntN(len(in))
			switch rng.IntN(3) {
			case 0:
				in[at] = special[rng.IntN(len(special))]
			case 1:
				in = append(in[:at], in[at+1:]...)
			default:
				in = append(in[:at], append([]byte{special[rng.IntN(len(special))]}, in[at:]...)...)
			}
		}
		b, err := DecodeBallot(in)
		ref, refErr := decodeBallotReference(in)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("mutation %d: direct parser: %v; reference: %v\n%s", i, err, refErr, in)
		}
		if err == nil {
			accepted++
			if must(b.Hash()) != must(ref.Hash()) {
				t.Fatalf("mutation %d: decoders disagree", i)
			}
		}
	}
	t.Logf("%d of 3000 mutations decode", accepted)
}
