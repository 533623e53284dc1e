package ballot

import (
	"fmt"
)

// Choices are a voter's plaintext choices: for each contest id, one value per
// option in manifest order (e2e/SPEC.md §7.2). A value is 0 or 1 for
// one_of_n and approval contests (1 = selected), the score for score
// contests, and the rank (1 = first, 0 = unranked) for ranked contests. A
// contest missing from the map is blank: all values 0.
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
	return make([]uint64, len(c.Options))
}

func (ch Choices) validateContest(c *Contest) error {
	v := ch.values(c)
	if len(v) != len(c.Options) {
		return fmt.Errorf("%w: contest %q: %d values, want one per option (%d)", ErrInvalidChoices, c.ID, len(v), len(c.Options))
	}
	if c.Kind == Ranked {
		return validateRanks(c, v)
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

// validateRanks checks that the non-zero values are exactly 1..k for some k
// within [min_selections, max_selections].
func validateRanks(c *Contest, v []uint64) error {
	n := uint64(len(v))
	seen := make([]bool, n+1)
	var k uint64
	for j, r := range v {
		if r == 0 {
			continue
		}
		if r > n {
			return fmt.Errorf("%w: contest %q option %q: rank %d, at most %d", ErrInvalidChoices, c.ID, c.Options[j].ID, r, n)
		}
		if seen[r] {
			return fmt.Errorf("%w: %w: contest %q option %q: rank %d given twice", ErrInvalidChoices, ErrOverVote, c.ID, c.Options[j].ID, r)
		}
		seen[r] = true
		k++
	}
	for r := uint64(1); r <= k; r++ {
		if !seen[r] {
			return fmt.Errorf("%w: contest %q: ranks skip %d", ErrInvalidChoices, c.ID, r)
		}
	}
	if k > c.MaxSelections {
		return fmt.Errorf("%w: %w: contest %q: %d options ranked, at most %d", ErrInvalidChoices, ErrOverVote, c.ID, k, c.MaxSelections)
	}
	if k < c.MinSelections {
		return fmt.Errorf("%w: %w: contest %q: %d options ranked, at least %d", ErrInvalidChoices, ErrUnderVote, c.ID, k, c.MinSelections)
	}
	return nil
}
