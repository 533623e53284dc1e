package tally_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// A 2-of-3 key ceremony on an in-memory board, three encrypted votes, and a
// decryption by trustees 3 and 1.
func Example() {
	ctx := context.Background()
	start := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)

	// Each trustee makes its keys; the official registers the public parts.
	var ids []*trustee.Identity
	var pubs []trustee.Public
	for _, name := range []string{"Ada", "Bo", "Cy"} {
		id, _ := trustee.Generate(name)
		ids, pubs = append(ids, id), append(pubs, *id.Public())
	}
	params, _ := ceremony.NewParams("example-2026", [32]byte{1}, 2, time.Minute, pubs)

	// The ceremony: every trustee steps its state machine over the board.
	board := ceremony.NewMemBoard(ceremony.NewFakeClock(start))
	var trustees []*ceremony.Trustee
	for _, id := range ids {
		t, _ := ceremony.NewTrustee(id, params, start)
		trustees = append(trustees, t)
	}
	for range 5 {
		for _, t := range trustees {
			t.Step(ctx, board)
		}
	}
	st := ceremony.Replay(params, start, board.Messages(), start)
	fmt.Println(st.Describe()[:53])

	// Three ballots for one yes/no question, aggregated.
	votes := [][]uint64{{1, 0}, {0, 1}, {1, 0}}
	var ballots [][]elgamal.Ciphertext
	for _, v := range votes {
		ballots = append(ballots, []elgamal.Ciphertext{
			elgamal.EncryptUint(st.JointKey, v[0], group.RandomScalar()),
			elgamal.EncryptUint(st.JointKey, v[1], group.RandomScalar()),
		})
	}
	items := func(yield func([]elgamal.Ciphertext, error) bool) {
		for _, b := range ballots {
			if !yield(b, nil) {
				return
			}
		}
	}
	agg, n, _ := tally.Aggregate(ctx, 2, 0, items, func(v []elgamal.Ciphertext) ([]elgamal.Ciphertext, error) { return v, nil })

	// Trustees 3 and 1 post decryption shares; anyone combines them.
	base := [32]byte{0xba, 0x5e}
	var posted []ceremony.Posted
	for k, i := range []int{3, 1} {
		m, _ := tally.DecryptShares(base, trustees[i-1].KeyShare(), agg, n)
		payload := m.Marshal()
		posted = append(posted, ceremony.Posted{Index: uint64(10 + k), Type: tally.TypeDecryptionShare, Payload: payload,
			Signature: ids[i-1].Sign("example-2026", tally.TypeDecryptionShare, payload)})
	}
	d := &tally.Decryption{Election: "example-2026", Base: base, Aggregate: agg, Count: n, Limits: []uint64{1, 1}, Threshold: 2,
		Trustees: params.Trustees, Keys: st.VerificationKeys}
	pt, err := tally.Combine(d, posted)
	if err != nil {
		fmt.Println(err)
		return
	}
	layout := &tally.Layout{Contests: []tally.ContestLayout{{ID: "question", Options: []string{"yes", "no"}, Limit: 1}}}
	r, _ := layout.Result(base, n, pt)
	r.WriteTable(os.Stdout)
	fmt.Println(slices.Equal(pt.Counts, []uint64{2, 1}))
	// Output:
	// ceremony complete: 2-of-3, qualified trustees [1 2 3]
	// Election ba5e000000000000
	// Turnout  3 ballots
	// Trustees 3, 1 (shares at entries [10 11])
	//
	// Contest question
	//   option  count
	//   yes         2
	//   no          1
	// true
}
