package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/mixnet/count"
)

const rankedTallyManifest = `{"version":"tabella/v1","election_id":"e","title":"T","schedule":{"opens":"2026-01-01T08:00:00Z","closes":"2026-01-02T08:00:00Z"},"contests":[` +
	`{"id":"mayor","title":"Mayor","kind":"one_of_n","options":[{"id":"a","title":"A"},{"id":"b","title":"B"}],"min_selections":1,"max_selections":1},` +
	`{"id":"council","title":"City council","kind":"ranked","options":[{"id":"dana","title":"Dana Ruiz"},{"id":"eli","title":"Eli Cohen"},{"id":"fay","title":"Fay Osei"}],"max_selections":2,"method":"irv"}]}`

// rankedTallyFixture: the manifest, an IRV count of 5 rankings (3 rounds),
// its encoding and the mix.result holding it (mixers 1, 3; 2 skipped).
func rankedTallyFixture(t *testing.T) (*ballot.Manifest, *count.Result, []byte, *cascade.Result) {
	m, err := ballot.DecodeManifest([]byte(rankedTallyManifest))
	require.NoError(t, err)
	seqs := [][]int{{1, 3}, {3, 0}, {2, 3}, {1, 0}, {2, 1}}
	cr, err := count.Count(count.IRV, 3, 1, seqs)
	require.NoError(t, err)
	enc, err := cr.Encode()
	require.NoError(t, err)
	res := &cascade.Result{Contest: "council", Mixers: []int{1, 3}, Skipped: []int{2}, Trustees: []int{1, 3}, Sequences: make([][]uint16, len(seqs)), Count: enc}
	return m, cr, enc, res
}

// TestWriteRankedRounds: election tally prints a ranked contest's mixers
// and every round of its count, with the options' titles; a ranked
// contest without its mix.result is an error naming it.
func TestWriteRankedRounds(t *testing.T) {
	m, cr, _, res := rankedTallyFixture(t)
	var b strings.Builder
	require.NoError(t, writeRankedRounds(&b, m, map[string]*cascade.Result{"council": res}))
	out := b.String()
	require.Contains(t, out, "City council (council, ranked): 5 rankings after the mix by trustees 1, 3 (skipped: 2), decrypted by trustees 1, 3\n")
	require.Contains(t, out, cr.Table([]string{"Dana Ruiz", "Eli Cohen", "Fay Osei"}))
	require.Len(t, cr.Rounds, 3, "the example has two eliminations, then an election")
	require.NotContains(t, out, "Mayor")

	err := writeRankedRounds(&b, m, map[string]*cascade.Result{})
	require.ErrorContains(t, err, `ranked contest "council" has no mix.result`)
}

// TestTallyJSON: election tally --json holds the tally.result as posted and
// each ranked contest with its mixers, decrypting trustees, winners (option
// ids) and its count with every round, as posted in the mix.result.
func TestTallyJSON(t *testing.T) {
	m, cr, enc, res := rankedTallyFixture(t)
	raw := []byte(`{"version":"tabella-result/v1","turnout":5}`)
	b, err := tallyJSON(raw, m, map[string]*cascade.Result{"council": res})
	require.NoError(t, err)
	var got struct {
		Result json.RawMessage
		Ranked []struct {
			Contest, Title            string
			Rankings                  int
			Mixers, Skipped, Trustees []int
			Winners                   []string
			Count                     json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(b, &got))
	require.JSONEq(t, string(raw), string(got.Result), "the tally.result as posted")
	require.Len(t, got.Ranked, 1)
	r := got.Ranked[0]
	require.Equal(t, "council", r.Contest)
	require.Equal(t, "City council", r.Title)
	require.Equal(t, 5, r.Rankings)
	require.Equal(t, []int{1, 3}, r.Mixers)
	require.Equal(t, []int{2}, r.Skipped)
	require.Equal(t, []int{1, 3}, r.Trustees)
	require.Len(t, cr.Winners, 1)
	require.Equal(t, []string{m.Contests[1].Options[cr.Winners[0]-1].ID}, r.Winners)
	back, err := count.Decode(r.Count)
	require.NoError(t, err, "the count is embedded as posted")
	require.Equal(t, enc, []byte(r.Count))
	require.Len(t, back.Rounds, 3, "every round")

	// Without ranked contests "ranked" is an empty list; a ranked contest
	// without its mix.result is an error naming it.
	b, err = tallyJSON(raw, &ballot.Manifest{Contests: m.Contests[:1]}, nil)
	require.NoError(t, err)
	require.Contains(t, string(b), `"ranked":[]`)
	_, err = tallyJSON(raw, m, map[string]*cascade.Result{})
	require.ErrorContains(t, err, `ranked contest "council" has no mix.result`)
}
