package ballot

import (
	"errors"
	"strings"
	"testing"
)

func TestChoicesValidate(t *testing.T) {
	m, err := DecodeManifest(readTestdata(t, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	m.Contests = append(m.Contests, Contest{ID: "budget", Title: "Budget", Kind: Ranked,
		Options: []Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}, {ID: "c", Title: "C"}}, MinSelections: 1, MaxSelections: 2, Method: IRV})
	good := Choices{
		"mayor":   {0, 1, 0},
		"council": {1, 0, 0, 1},
		"parks":   {5, 3},
		"budget":  {3, 1}, // c first, then a
	}
	if err := good.Validate(m); err != nil {
		t.Fatalf("valid choices rejected: %v", err)
	}
	cases := []struct {
		name  string
		ch    Choices
		class error
		want  string
	}{
		{"over-vote one_of_n", Choices{"mayor": {1, 1, 0}}, ErrOverVote, `contest "mayor": selections 2, at most 1`},
		{"value 2 in 0/1", Choices{"mayor": {2, 0, 0}}, ErrOverVote, `contest "mayor" option "alice": value 2, at most 1`},
		{"under-vote", Choices{"mayor": {0, 0, 0}}, ErrUnderVote, `contest "mayor": selections 0, at least 1`},
		{"blank required contest", Choices{"council": {0, 0, 0, 0}}, ErrUnderVote, `"mayor"`},
		{"approval over", Choices{"mayor": {1, 0, 0}, "council": {1, 1, 1, 0}}, ErrOverVote, `selections 3, at most 2`},
		{"score above max", Choices{"mayor": {1, 0, 0}, "parks": {6, 0}}, ErrOverVote, `option "north": value 6, at most 5`},
		{"score total", Choices{"mayor": {1, 0, 0}, "parks": {5, 4}}, ErrOverVote, `total score 9, at most 8`},
		{"unknown contest", Choices{"mayor": {1, 0, 0}, "sheriff": {1}}, ErrInvalidChoices, `unknown contest "sheriff"`},
		{"wrong length", Choices{"mayor": {1, 0}}, ErrInvalidChoices, `2 values, want one per option (3)`},
		{"rank twice", Choices{"mayor": {1, 0, 0}, "budget": {2, 2}}, ErrOverVote, `contest "budget": option "b" ranked twice (ranks 1 and 2)`},
		{"rank skipped", Choices{"mayor": {1, 0, 0}, "budget": {0, 3}}, ErrInvalidChoices, `contest "budget": rank 1 is empty but rank 2 is not`},
		{"ranking too long", Choices{"mayor": {1, 0, 0}, "budget": {1, 2, 3}}, ErrInvalidChoices, `ranking of 3 values, want 2`},
		{"ranking too short", Choices{"mayor": {1, 0, 0}, "budget": {1}}, ErrInvalidChoices, `ranking of 1 values, want 2`},
		{"rank none", Choices{"mayor": {1, 0, 0}}, ErrUnderVote, `0 options ranked, at least 1`},
		{"rank none explicit", Choices{"mayor": {1, 0, 0}, "budget": {0, 0}}, ErrUnderVote, `0 options ranked, at least 1`},
		{"rank beyond n", Choices{"mayor": {1, 0, 0}, "budget": {4, 0}}, ErrInvalidChoices, `contest "budget" rank 1: option number 4, at most 3`},
	}
	for _, tc := range cases {
		if _, ok := tc.ch["budget"]; !ok && !strings.HasPrefix(tc.name, "rank none") && !strings.Contains(tc.want, "budget") {
			tc.ch["budget"] = []uint64{1, 0}
		}
		err := tc.ch.Validate(m)
		if !errors.Is(err, ErrInvalidChoices) || !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.class, tc.want)
		}
	}
}

func TestRanking(t *testing.T) {
	c := &Contest{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(4), MinSelections: 1, MaxSelections: 3, Method: IRV}
	v, err := c.Ranking("o3", "o1")
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 3 || v[0] != 3 || v[1] != 1 || v[2] != 0 {
		t.Fatalf("Ranking(o3, o1) = %v, want [3 1 0]", v)
	}
	ids, err := c.RankedOptions(v)
	if err != nil || strings.Join(ids, ",") != "o3,o1" {
		t.Fatalf("RankedOptions = %v, %v", ids, err)
	}
	if _, err := c.RankedOptions([]uint64{5}); !errors.Is(err, ErrInvalidChoices) {
		t.Fatalf("RankedOptions of 5 of 4: %v", err)
	}
	bad := []struct {
		ids  []string
		want string
	}{
		{[]string{"o1", "o1"}, `option "o1" ranked twice (ranks 1 and 2)`},
		{[]string{"o1", "x"}, `rank 2: unknown option "x"`},
		{[]string{"o1", "o2", "o3", "o4"}, "4 options ranked, at most 3"},
		{nil, "0 options ranked, at least 1"},
	}
	for _, tc := range bad {
		if _, err := c.Ranking(tc.ids...); !errors.Is(err, ErrInvalidChoices) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Ranking(%v): %v, want %q", tc.ids, err, tc.want)
		}
	}
	oneOf := &Contest{ID: "m", Kind: OneOfN, Options: rankedOptions(2), MaxSelections: 1}
	if _, err := oneOf.Ranking("o1"); !errors.Is(err, ErrInvalidChoices) {
		t.Errorf("Ranking of a one_of_n contest: %v", err)
	}
}
