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
		Options: []Option{{"a", "A"}, {"b", "B"}, {"c", "C"}}, MinSelections: 1, MaxSelections: 2})
	good := Choices{
		"mayor":   {0, 1, 0},
		"council": {1, 0, 0, 1},
		"parks":   {5, 3},
		"budget":  {2, 0, 1},
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
		{"rank twice", Choices{"mayor": {1, 0, 0}, "budget": {1, 1, 0}}, ErrOverVote, `rank 1 given twice`},
		{"rank gap", Choices{"mayor": {1, 0, 0}, "budget": {1, 3, 0}}, ErrInvalidChoices, `ranks skip 2`},
		{"rank too many", Choices{"mayor": {1, 0, 0}, "budget": {1, 2, 3}}, ErrOverVote, `3 options ranked, at most 2`},
		{"rank none", Choices{"mayor": {1, 0, 0}}, ErrUnderVote, `0 options ranked, at least 1`},
		{"rank beyond n", Choices{"mayor": {1, 0, 0}, "budget": {4, 0, 0}}, ErrInvalidChoices, `rank 4, at most 3`},
	}
	for _, tc := range cases {
		if _, ok := tc.ch["budget"]; !ok && tc.name != "rank none" && !strings.Contains(tc.want, "budget") {
			tc.ch["budget"] = []uint64{1, 0, 0}
		}
		err := tc.ch.Validate(m)
		if !errors.Is(err, ErrInvalidChoices) || !errors.Is(err, tc.class) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.class, tc.want)
		}
	}
}
