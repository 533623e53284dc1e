package verify

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
)

var ranked = &builtOnce{cfg: electiontest.Config{ElectionID: "ranked-2026", Manifest: electiontest.RankedManifest(), Voters: 8, Revotes: 2, Spoils: 1}}

var unmixed = &builtOnce{cfg: electiontest.Config{ElectionID: "ranked-2026", Manifest: electiontest.RankedManifest(), Voters: 8, Revotes: 2, Spoils: 1, NoMix: true}}

// rankedElection is a whole election whose manifest has a ranked contest
// between homomorphic ones (electiontest.RankedManifest), with revotes and
// spoiled ballots, built once per test process.
func rankedElection(t testing.TB) *electiontest.Election { return ranked.get(t) }

// TestRankedAwaitsMix: the ballots of an election with a ranked contest
// verify, the homomorphic contests are tallied and checked as always, the
// record with its mix cascade verifies (every shuffle and decryption proof,
// the plaintexts recomputed), and without the cascade the ranked contest is
// reported as awaiting the mix instead of the record passing with it
// uncounted.
func TestRankedAwaitsMix(t *testing.T) {
	e := rankedElection(t)
	rep, err := verifyBytes(t, e.Bytes(), Options{All: true})
	require.NoError(t, err)
	require.True(t, rep.Valid && rep.Complete, "failures: %v", rep.Failures)
	require.Len(t, rep.Mixes, 5, "every qualified trustee mixed")
	for k, l := range rep.Mixes {
		assert.Equal(t, MixLine{Contest: "budget", N: k + 1, M: 5, Mixer: k + 1, Entry: uint64(e.MixIndexes[k])}, l)
	}
	assert.Equal(t, "mix 1 of 5: shuffle proof verified (contest budget, trustee 1, entry "+strconv.Itoa(e.MixIndexes[0])+")", rep.Mixes[0].String())
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "mix 5 of 5: shuffle proof verified")
	assert.Contains(t, text.String(), "Contest budget (ranked; mixed by trustees [1 2 3 4 5], skipped [])")
	assert.Contains(t, text.String(), "Elected, in order:")
	require.Len(t, rep.MixResults, 1)
	assert.Equal(t, e.Rankings["budget"], rep.MixResults[0].Sequences)
	assert.Equal(t, uint64(5), rep.Counts.Mixes)
	assert.Equal(t, uint64(3), rep.Counts.MixShareMessages)

	// Without the cascade the ranked contest awaits the mix.
	e = unmixed.get(t)
	rep, err = verifyBytes(t, e.Bytes(), Options{All: true})
	var f *Failure
	require.True(t, errors.As(err, &f), "a complete record with an uncounted ranked contest passed: %v", err)
	require.Len(t, rep.Failures, 1, "failures: %v", rep.Failures)
	assert.Equal(t, CheckMixPending, f.Check)
	assert.Contains(t, f.Message, `ranked contest "budget": awaiting the mix`)
	assert.False(t, rep.Valid)
	c := rep.Counts
	assert.Equal(t, uint64(len(e.BallotIndexes)), c.Ballots, "every ballot verified")
	assert.Equal(t, uint64(1), c.Spoiled)
	assert.Equal(t, uint64(2), c.Superseded)
	// The result covers the homomorphic contests only, as the trustees
	// decrypted them.
	require.NotNil(t, rep.Result)
	var ids []string
	var got []uint64
	for _, ct := range rep.Result.Contests {
		ids = append(ids, ct.ID)
		for _, o := range ct.Options {
			got = append(got, o.Count)
		}
	}
	assert.Equal(t, []string{"mayor", "council", "parks"}, ids)
	assert.Equal(t, e.Counts, got)
	text.Reset()
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "NOT VERIFIED: ranked contests awaiting the mix")
	assert.Contains(t, text.String(), `mix.pending: ranked contest "budget": awaiting the mix`)

	// A live (partial) record that has not reached the result notes it.
	c2 := e.Clone()
	c2.Subs = c2.Subs[:e.CloseIndex+1]
	data, err := rebuilt(c2)
	require.NoError(t, err)
	rep, err = verifyBytes(t, data, Options{Partial: true})
	require.NoError(t, err)
	assert.True(t, slices.ContainsFunc(rep.Notes, func(n string) bool {
		return n == `ranked contest "budget": awaiting the mix (its ballots are verified; it is counted after the mix cascade)`
	}), "notes: %v", rep.Notes)
}

// TestRankedBallotTampered: the verifier checks each rank's proof.
func TestRankedBallotTampered(t *testing.T) {
	e := rankedElection(t)
	c := e.Clone()
	i := e.BallotIndexes[0]
	b, err := ballot.DecodeBallot(c.Subs[i].Payload)
	require.NoError(t, err)
	r := b.Contests[1].Ranks
	r[0], r[1] = r[1], r[0]
	c.Subs[i].Payload, err = b.Encode()
	require.NoError(t, err)
	data, err := rebuilt(c)
	require.NoError(t, err)
	_, err = verifyBytes(t, data, Options{})
	var f *Failure
	require.True(t, errors.As(err, &f), "%v", err)
	assert.Equal(t, CheckBallotProof, f.Check)
	assert.Equal(t, int64(i), f.Entry)
	assert.Contains(t, f.Message, `contest "budget" rank position 0: rank range proof failed`)
}

// TestMixInput: the mix cascade's input for the ranked contest is each
// counted ballot's ranks, in board order.
func TestMixInput(t *testing.T) {
	e := rankedElection(t)
	var counted []*bulletin.Entry
	for _, en := range e.Entries {
		if e.Counted[int(en.Index)] {
			counted = append(counted, en)
		}
	}
	require.NotEmpty(t, counted)
	seqs, err := rules.MixInput(e.Election, "budget", counted)
	require.NoError(t, err)
	require.Len(t, seqs, len(counted))
	for k, en := range counted {
		b, err := ballot.DecodeBallot(en.Payload)
		require.NoError(t, err)
		require.Len(t, seqs[k], 3)
		for j := range seqs[k] {
			assert.True(t, seqs[k][j].Equal(b.Contests[1].Ranks[j].Ciphertext), "ballot %d rank %d", k, j)
		}
	}
	// The state's counted indexes are the same entries.
	st := rules.New(rules.Config{})
	for cred, idx := range map[[32]byte]uint64{{1}: counted[1].Index, {2}: counted[0].Index} {
		st.Latest[cred] = idx
	}
	assert.Equal(t, []uint64{counted[0].Index, counted[1].Index}, st.CountedIndexes())

	_, err = rules.MixInput(e.Election, "mayor", counted)
	assert.ErrorContains(t, err, `contest "mayor" is one_of_n, not ranked`)
	_, err = rules.MixInput(e.Election, "nope", counted)
	assert.ErrorContains(t, err, `no contest "nope"`)
	_, err = rules.MixInput(e.Election, "budget", []*bulletin.Entry{counted[1], counted[0]})
	assert.ErrorContains(t, err, "board order")
	_, err = rules.MixInput(e.Election, "budget", []*bulletin.Entry{e.Entries[e.CloseIndex]})
	assert.ErrorContains(t, err, "not a ballot")
	// A ballot of another shape (L−1 ranks) is refused.
	b, err := ballot.DecodeBallot(counted[0].Payload)
	require.NoError(t, err)
	b.Contests[1].Ranks = b.Contests[1].Ranks[:2]
	short := *counted[0]
	short.Payload, err = b.Encode()
	require.NoError(t, err)
	_, err = rules.MixInput(e.Election, "budget", []*bulletin.Entry{&short})
	assert.ErrorContains(t, err, `not a ballot with 3 ranks for contest "budget"`)
}

// TestRankedFiftyOptions: a ranked contest at the manifest's limit, 50
// options ranked in full (sequences of 50 ciphertexts with 51-branch range
// proofs), goes through ballots, a 2-mixer cascade, the decryption and an
// STV count, and the record verifies; one option more, or a single option,
// is refused by the manifest check before any election starts.
func TestRankedFiftyOptions(t *testing.T) {
	names := make([]ballot.Option, 50)
	for i := range names {
		names[i] = ballot.Option{ID: "o" + strconv.Itoa(i), Title: "Option " + strconv.Itoa(i)}
	}
	m := electiontest.SmallManifest()
	m.Contests = []ballot.Contest{m.Contests[0], {ID: "board", Title: "Board", Kind: ballot.Ranked, Options: names,
		MinSelections: 1, MaxSelections: 50, Method: ballot.STV, Seats: 3}}
	full := func(m *ballot.Manifest, voter, k int) ballot.Choices {
		ch := electiontest.CycleChoices(m, voter, k)
		if voter == 0 { // voter 0 ranks all 50, from option 49 down
			for j := range ch["board"] {
				ch["board"][j] = uint64(50 - j)
			}
		}
		return ch
	}
	e, err := electiontest.Build(electiontest.Config{ElectionID: "fifty-2026", Manifest: m, Voters: 4, Ballots: 4, Trustees: 3, Threshold: 2, Mixers: 2, Choices: full})
	require.NoError(t, err)
	rep, err := verifyBytes(t, e.Bytes(), Options{All: true})
	require.NoError(t, err)
	require.True(t, rep.Valid && rep.Complete, "failures: %v", rep.Failures)
	require.Len(t, rep.Mixes, 2)
	require.Len(t, rep.MixResults, 1)
	assert.Equal(t, e.Rankings["board"], rep.MixResults[0].Sequences)
	require.Len(t, rep.MixResults[0].Sequences, 4)
	whole := 0
	for _, s := range rep.MixResults[0].Sequences {
		assert.Len(t, s, 50, "a sequence is the whole ranking")
		if !slices.Contains(s, 0) {
			whole++
			assert.Equal(t, uint16(50), s[0], "voter 0's ranking, kept together through the mix")
		}
	}
	assert.Equal(t, 1, whole, "one ranking of all 50 options")
	var text strings.Builder
	require.NoError(t, rep.WriteText(&text))
	assert.Contains(t, text.String(), "options: 50, seats: 3")

	for _, n := range []int{1, 51} {
		m.Contests[1].Options = make([]ballot.Option, n)
		for i := range n {
			m.Contests[1].Options[i] = ballot.Option{ID: "o" + strconv.Itoa(i), Title: "O"}
		}
		m.Contests[1].MaxSelections, m.Contests[1].Seats = 1, 0
		m.Contests[1].Method = ballot.IRV
		_, err := electiontest.Build(electiontest.Config{ElectionID: "fifty-2026", Manifest: m, Voters: 1})
		require.ErrorIs(t, err, ballot.ErrInvalidManifest, "%d options", n)
		require.Contains(t, err.Error(), strconv.Itoa(n)+" options, want 2..50")
	}
}
