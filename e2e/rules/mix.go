package rules

import (
	"fmt"
	"slices"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/mixnet"
)

// AwaitingMix returns the ids of m's ranked contests, in manifest order.
// Their ballots are verified like any other (e2e/SPEC.md §7.8) but they are
// not in the homomorphic tally (§10.2): they are counted after the mix
// cascade, which this version of the rules does not have, so each of them
// awaits the mix ([CheckMixPending], §12.5).
func AwaitingMix(m *ballot.Manifest) []string {
	var ids []string
	for i := range m.Contests {
		if m.Contests[i].Kind == ballot.Ranked {
			ids = append(ids, m.Contests[i].ID)
		}
	}
	return ids
}

// CountedIndexes returns the entry indexes of the counted ballots
// (§11.6: each credential's latest ballot), in board order.
func (s *State) CountedIndexes() []uint64 {
	out := make([]uint64, 0, len(s.Latest))
	for _, i := range s.Latest {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// MixInput returns the input list of the mix cascade of ranked contest
// contestID of election el (e2e/SPEC.md §10.2): for each counted ballot,
// in board order, the L ciphertexts of its ranks, 1st rank first, as one
// [mixnet.Sequence], so that a shuffle keeps each ranking together.
// counted are the counted ballots' entries in board order (those at
// [State.CountedIndexes] once the election is closed), each admitted by
// these rules. MixInput decodes each strictly and checks its shape for the
// contest, but does not verify proofs again. An error names the entry.
func MixInput(el *ballot.Election, contestID string, counted []*bulletin.Entry) ([]mixnet.Sequence, error) {
	ci := slices.IndexFunc(el.Manifest.Contests, func(c ballot.Contest) bool { return c.ID == contestID })
	if ci < 0 {
		return nil, fmt.Errorf("rules: mix input: no contest %q", contestID)
	}
	c := &el.Manifest.Contests[ci]
	if c.Kind != ballot.Ranked {
		return nil, fmt.Errorf("rules: mix input: contest %q is %s, not ranked: it is tallied homomorphically", contestID, c.Kind)
	}
	L := c.RankingLength()
	out := make([]mixnet.Sequence, len(counted))
	for k, e := range counted {
		if e == nil || e.Type != record.TypeBallot {
			return nil, fmt.Errorf("rules: mix input: counted entry %d is not a ballot", k)
		}
		if k > 0 && e.Index <= counted[k-1].Index {
			return nil, fmt.Errorf("rules: mix input: entry %d after entry %d: counted ballots must be in board order", e.Index, counted[k-1].Index)
		}
		b, err := ballot.DecodeBallot(e.Payload)
		if err != nil {
			return nil, fmt.Errorf("rules: mix input: entry %d: %w", e.Index, err)
		}
		if len(b.Contests) != len(el.Manifest.Contests) || b.Contests[ci].ID != contestID || len(b.Contests[ci].Ranks) != L {
			return nil, fmt.Errorf("rules: mix input: entry %d: not a ballot with %d ranks for contest %q", e.Index, L, contestID)
		}
		seq := make(mixnet.Sequence, L)
		for j, r := range b.Contests[ci].Ranks {
			seq[j] = r.Ciphertext
		}
		out[k] = seq
	}
	return out, nil
}
