package ballot

import (
	"fmt"
)

// Choices are a voter's plaintext choices (e2e/SPEC.md §7.2). For a
// one_of_n, approval or score contest: one value per option in manifest
// order, 0 or 1 for one_of_n and approval (1 = selected), the score for
// score contests. For a ranked contest: the ranking, one value per rank
// (L = max_selections values, 1st rank first), each the 1-based number of
// the option at that rank or 0 for none; build it from option ids with
// [Contest.Ranking]. A contest missing from the map is blank: all values 0.
type Choices map[string][]uint64

// Validate checks ch against m: no unknown contest, one value per option,
// each value within its limit and each contest's total within its range.
// Errors wrap ErrInvalidChoices and, where it applies, ErrOverVote or
// ErrUnderVote, and name the contest and option.
func (ch Choices) Validate(m *Manifest) error {
	for id := range ch {
		if m.Contest(id) == nil {
			return fmt.Errorf("%w: unknown contest %q", ErrInvalidChoices, id)
		}
	}
	for i := range m.Contests {
		if err := ch.validateContest(&m.Contests[i]); err != nil {
			return err
		}
	}
	return nil
}

// values returns the values of contest c, all zero when it is absent.
func (ch Choices) values(c *Contest) []uint64 {
	if v, ok := ch[c.ID]; ok {
		return v
	}
	if c.Kind == Ranked {
		return make([]uint64, c.RankingLength())
	}
	return make([]uint64, len(c.Options))
}

func (ch Choices) validateContest(c *Contest) error {
	v := ch.values(c)
	if c.Kind == Ranked {
		return validateRanking(c, v)
	}
	if len(v) != len(c.Options) {
		return fmt.Errorf("%w: contest %q: %d values, want one per option (%d)", ErrInvalidChoices, c.ID, len(v), len(c.Options))
	}
	limit := c.SelectionLimit()
	var sum uint64
	for j, x := range v {
		if x > limit {
			return fmt.Errorf("%w: %w: contest %q option %q: value %d, at most %d", ErrInvalidChoices, ErrOverVote, c.ID, c.Options[j].ID, x, limit)
		}
		sum += x // x ≤ 1023 and at most 64 options: no overflow
	}
	lo, hi := c.SumRange()
	what := "selections"
	if c.Kind == Score {
		what = "total score"
	}
	if sum > hi {
		return fmt.Errorf("%w: %w: contest %q: %s %d, at most %d", ErrInvalidChoices, ErrOverVote, c.ID, what, sum, hi)
	}
	if sum < lo {
		return fmt.Errorf("%w: %w: contest %q: %s %d, at least %d", ErrInvalidChoices, ErrUnderVote, c.ID, what, sum, lo)
	}
	return nil
}

// validateRanking checks a ranking on the voter's side (e2e/SPEC.md §7.2):
// exactly L values, each 0..n; the non-zero ones first (no skipped rank),
// no option ranked twice, and at least min_selections options ranked. The
// ballot's proofs show only that each rank is in 0..n: a verifier cannot
// see repeats or skips, which the count treats as exhausting the ballot
// (e2e/SPEC.md §7.8).
func validateRanking(c *Contest, v []uint64) error {
	L, n := c.RankingLength(), uint64(len(c.Options))
	if len(v) != L {
		return fmt.Errorf("%w: contest %q: ranking of %d values, want %d (max_selections; 0 for an empty rank)", ErrInvalidChoices, c.ID, len(v), L)
	}
	seen := make([]int, n+1)
	var k uint64
	for j, x := range v {
		if x > n {
			return fmt.Errorf("%w: contest %q rank %d: option number %d, at most %d", ErrInvalidChoices, c.ID, j+1, x, n)
		}
		if x == 0 {
			continue
		}
		if k != uint64(j) {
			return fmt.Errorf("%w: contest %q: rank %d is empty but rank %d is not (ranks must not be skipped)", ErrInvalidChoices, c.ID, k+1, j+1)
		}
		if seen[x] != 0 {
			return fmt.Errorf("%w: %w: contest %q: option %q ranked twice (ranks %d and %d)", ErrInvalidChoices, ErrOverVote, c.ID, c.Options[x-1].ID, seen[x], j+1)
		}
		seen[x] = j + 1
		k++
	}
	if k < c.MinSelections {
		return fmt.Errorf("%w: %w: contest %q: %d options ranked, at least %d", ErrInvalidChoices, ErrUnderVote, c.ID, k, c.MinSelections)
	}
	return nil
}

// Ranking returns the values of a ranking of c (see [Choices]): options,
// by id, from the first rank on; unfilled ranks are 0. It checks the
// ranking as [Choices.Validate] does (unknown option, repeats, more than
// max_selections or fewer than min_selections options); errors wrap
// ErrInvalidChoices.
func (c *Contest) Ranking(optionIDs ...string) ([]uint64, error) {
	if c.Kind != Ranked {
		return nil, fmt.Errorf("%w: contest %q is %s, not ranked", ErrInvalidChoices, c.ID, c.Kind)
	}
	L := c.RankingLength()
	if len(optionIDs) > L {
		return nil, fmt.Errorf("%w: %w: contest %q: %d options ranked, at most %d", ErrInvalidChoices, ErrOverVote, c.ID, len(optionIDs), L)
	}
	v := make([]uint64, L)
	for j, id := range optionIDs {
		k := c.optionIndex(id)
		if k < 0 {
			return nil, fmt.Errorf("%w: contest %q rank %d: unknown option %q", ErrInvalidChoices, c.ID, j+1, id)
		}
		v[j] = uint64(k + 1)
	}
	if err := validateRanking(c, v); err != nil {
		return nil, err
	}
	return v, nil
}

// RankedOptions returns the option ids a ranking of c names, rank by rank,
// stopping at the first empty rank (what a voter compares with what they
// picked, e.g. after [VerifySpoiled]). A value above the number of options
// is an error; repeats are returned as they are.
func (c *Contest) RankedOptions(v []uint64) ([]string, error) {
	var ids []string
	for j, x := range v {
		if x == 0 {
			break
		}
		if x > uint64(len(c.Options)) {
			return nil, fmt.Errorf("%w: contest %q rank %d: option number %d, at most %d", ErrInvalidChoices, c.ID, j+1, x, len(c.Options))
		}
		ids = append(ids, c.Options[x-1].ID)
	}
	return ids, nil
}

func (c *Contest) optionIndex(id string) int {
	for k := range c.Options {
		if c.Options[k].ID == id {
			return k
		}
	}
	return -1
}
