package main

import (
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

// TestWriteRankedRounds: election tally prints a ranked contest's mixers
// and every round of its count, with the options' titles; a ranked
// contest without its mix.result is an error naming it.
func TestWriteRankedRounds(t *testing.T) {
	m, err := ballot.DecodeManifest([]byte(rankedTallyManifest))
	require.NoError(t, err)
	seqs := [][]int{{1, 3}, {3, 0}, {2, 3}, {1, 0}, {2, 1}}
	cr, err := count.Count(count.IRV, 3, 1, seqs)
	require.NoError(t, err)
	enc, err := cr.Encode()
	require.NoError(t, err)
	res := &cascade.Result{Contest: "council", Mixers: []int{1, 3}, Skipped: []int{2}, Trustees: []int{1, 3}, Sequences: make([][]uint16, len(seqs)), Count: enc}
	var b strings.Builder
	require.NoError(t, writeRankedRounds(&b, m, map[string]*cascade.Result{"council": res}))
	out := b.String()
	require.Contains(t, out, "City council (council, ranked): 5 rankings after the mix by trustees 1, 3 (skipped: 2), decrypted by trustees 1, 3\n")
	require.Contains(t, out, cr.Table([]string{"Dana Ruiz", "Eli Cohen", "Fay Osei"}))
	require.Len(t, cr.Rounds, 3, "the example has two eliminations, then an election")
	require.NotContains(t, out, "Mayor")

	err = writeRankedRounds(&b, m, map[string]*cascade.Result{})
	require.ErrorContains(t, err, `ranked contest "council" has no mix.result`)
}
