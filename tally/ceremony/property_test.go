package ceremony

import (
	"errors"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestPropertyRandomFaults runs ceremonies with random parameters, random
// cheating dealers, false accusations and absences, and checks the
// invariants: the ceremony always ends; no honest trustee that stayed online
// is disqualified; every dealer whose bad share drew a complaint and was not
// cleared by a correct reveal is disqualified; and the ceremony succeeds,
// with a consistent key, exactly when at least t trustees qualify.
func TestPropertyRandomFaults(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(rt, "n")
		tt := rapid.IntRange(1, n).Draw(rt, "t")
		h := newHarness(rt, tt, n)
		h.lenient = true
		type plan struct {
			cheat, answerBad, noAnswer bool
			victims                    []int
			accuse                     []int
			offline                    int // round it misses, 0 = none
		}
		plans := make([]plan, n+1)
		for i := 1; i <= n; i++ {
			p := &plans[i]
			var others []int
			for j := 1; j <= n; j++ {
				if j != i {
					others = append(others, j)
				}
			}
			if len(others) > 0 && rapid.Bool().Draw(rt, "cheat") {
				p.cheat = true
				p.victims = rapid.SliceOfNDistinct(rapid.SampledFrom(others), 1, len(others), rapid.ID[int]).Draw(rt, "victims")
				switch rapid.IntRange(0, 2).Draw(rt, "answer") {
				case 1:
					p.answerBad = true
				case 2:
					p.noAnswer = true
				}
			}
			if len(others) > 0 && rapid.IntRange(0, 3).Draw(rt, "accuser") == 0 {
				p.accuse = []int{rapid.SampledFrom(others).Draw(rt, "accused")}
			}
			if rapid.IntRange(0, 3).Draw(rt, "absent") == 0 {
				p.offline = rapid.IntRange(RoundCommitments, RoundAnswers).Draw(rt, "offline round")
			}
			bad := map[int]bool{}
			for _, v := range p.victims {
				bad[v] = true
			}
			h.ts[i-1].faults = faults{badShareFor: bad, answerBad: p.answerBad, noAnswer: p.noAnswer, accuse: p.accuse}
		}
		st := h.run(func(i, r int) bool { return plans[i].offline != r })
		if st.Round != RoundFinished {
			rt.Fatalf("not finished")
		}
		for i := 1; i <= n; i++ {
			p := plans[i]
			_, dq := st.Disqualified[i]
			honest := !p.cheat || (!p.answerBad && !p.noAnswer)
			if honest && dq && p.offline == 0 {
				rt.Fatalf("honest online trustee %d disqualified: %s", i, st.Disqualified[i])
			}
			if !honest && !dq {
				complained := false
				for _, v := range p.victims {
					complained = complained || slices.Contains(st.accusers[i], v)
				}
				if complained {
					rt.Fatalf("cheating trustee %d qualified (plan %+v)", i, p)
				}
			}
		}
		q := st.qualifiedSoFar()
		switch {
		case len(q) >= tt && st.Err != nil:
			rt.Fatalf("failed with %d qualified of t=%d: %v", len(q), tt, st.Err)
		case len(q) >= tt:
			h.checkKey(st)
		case !errors.Is(st.Err, ErrTooFewQualified):
			rt.Fatalf("%d qualified of t=%d, err %v", len(q), tt, st.Err)
		}
	})
}
