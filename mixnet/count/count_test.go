package count

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// profile builds raw ballots of length n: add(k, ranking…) appends k copies
// of ranking padded with blanks.
type profile struct {
	n   int
	raw [][]int
}

func (p *profile) add(k int, ranking ...int) *profile {
	for range k {
		r := make([]int, p.n)
		copy(r, ranking)
		p.raw = append(p.raw, r)
	}
	return p
}

// helper marks a test helper where the test type supports it (rapid.T
// does not).
func helper(t require.TestingT) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
}

func count(t require.TestingT, m Method, n, seats int, raw [][]int) *Result {
	helper(t)
	r, err := Count(m, n, seats, raw)
	require.NoError(t, err)
	b, err := r.Encode()
	require.NoError(t, err)
	back, err := Verify(b, raw)
	require.NoError(t, err, "the result must decode and recount")
	require.Equal(t, r, back)
	checkRounds(t, r)
	return r
}

// checkRounds checks conservation in every round (tallies + exhausted +
// lost = ballots) and that each round's tallies follow from the previous
// round's and its transfers.
func checkRounds(t require.TestingT, r *Result) {
	helper(t)
	scale := int64(1)
	if r.Method == STV {
		scale = unit
	}
	u := func(v Value) int64 {
		x, err := v.units(scale)
		require.NoError(t, err)
		return x
	}
	for i, rd := range r.Rounds {
		sum := u(rd.Exhausted)
		if rd.Lost != "" {
			sum += u(rd.Lost)
		}
		for _, v := range rd.Tallies {
			sum += u(v)
		}
		require.Equal(t, int64(r.Ballots)*scale, sum, "round %d conserves the ballots", i+1)
		if i+1 == len(r.Rounds) {
			continue
		}
		next := r.Rounds[i+1]
		for o := range rd.Tallies {
			want := u(rd.Tallies[o])
			if rd.Transfers != nil {
				want += u(rd.Transfers[o])
				if o+1 == rd.Action.Options[0] {
					want = 0
					if rd.Action.Kind == Surplus {
						want = u(r.Quota)
					}
				}
			}
			require.Equal(t, want, u(next.Tallies[o]), "round %d option %d", i+2, o+1)
		}
	}
}

func actions(r *Result) []Action {
	var a []Action
	for _, rd := range r.Rounds {
		a = append(a, rd.Action)
	}
	return a
}

// Wikipedia, "Schulze method", section "Example" (45 voters, 5
// candidates A–E): the published matrices d and p, and the order
// E > A > C > B > D.
func TestSchulzeWikipedia(t *testing.T) {
	p := &profile{n: 5}
	p.add(5, 1, 3, 2, 5, 4).add(5, 1, 4, 5, 3, 2).add(8, 2, 5, 4, 1, 3).add(3, 3, 1, 2, 5, 4).
		add(7, 3, 1, 5, 2, 4).add(2, 3, 2, 1, 4, 5).add(7, 4, 3, 5, 2, 1).add(8, 5, 2, 1, 4, 3)
	r := count(t, Schulze, 5, 1, p.raw)
	assert.Equal(t, [][]int64{
		{0, 20, 26, 30, 22},
		{25, 0, 16, 33, 18},
		{19, 29, 0, 17, 24},
		{15, 12, 28, 0, 14},
		{23, 27, 21, 31, 0}}, r.Schulze.D)
	assert.Equal(t, [][]int64{
		{0, 28, 28, 30, 24},
		{25, 0, 28, 33, 24},
		{25, 29, 0, 29, 24},
		{25, 28, 28, 0, 24},
		{25, 28, 28, 31, 0}}, r.Schulze.P)
	assert.Equal(t, []int{5, 1, 3, 2, 4}, r.Schulze.Ranking)
	assert.Empty(t, r.Schulze.Ties)
	assert.Equal(t, []int{5}, r.Winners)
	assert.Equal(t, []int{5, 1, 3}, count(t, Schulze, 5, 3, p.raw).Winners)
}

// The Tennessee capital example (Wikipedia, "Instant-runoff voting" and
// "Condorcet method"): Memphis 42 %, Nashville 26 %, Chattanooga 15 %,
// Knoxville 17 %. IRV eliminates Chattanooga, then Nashville, and elects
// Knoxville 58–42; Nashville is the Condorcet winner and wins Schulze.
func TestIRVTennessee(t *testing.T) {
	const memphis, nashville, chattanooga, knoxville = 1, 2, 3, 4
	p := &profile{n: 4}
	p.add(42, memphis, nashville, chattanooga, knoxville).
		add(26, nashville, chattanooga, knoxville, memphis).
		add(15, chattanooga, knoxville, nashville, memphis).
		add(17, knoxville, chattanooga, nashville, memphis)
	r := count(t, IRV, 4, 1, p.raw)
	assert.Equal(t, []int{knoxville}, r.Winners)
	assert.Equal(t, []Action{
		{Kind: Eliminate, Options: []int{chattanooga}, Tie: NoTie},
		{Kind: Eliminate, Options: []int{nashville}, Tie: NoTie},
		{Kind: Elect, Options: []int{knoxville}, Tie: NoTie}}, actions(r))
	assert.Equal(t, []Value{"42", "26", "15", "17"}, r.Rounds[0].Tallies)
	assert.Equal(t, []Value{"42", "26", "0", "32"}, r.Rounds[1].Tallies)
	assert.Equal(t, []Value{"42", "0", "0", "58"}, r.Rounds[2].Tallies)
	assert.Equal(t, []int{nashville}, count(t, Schulze, 4, 1, p.raw).Winners)
}

// The food election of Wikipedia, "Single transferable vote", section
// "Example" (2010 revision, as mirrored at liquisearch.com): 20 guests, 3
// seats, Droop quota 6. Chocolate is elected with 12; its surplus of 6 goes
// 4 to Strawberries and 2 to Sweets; Pears is eliminated and Oranges
// reaches the quota; Sweets is eliminated and Strawberries wins the last
// seat: Chocolate, Oranges, Strawberries.
func TestSTVWikipediaFood(t *testing.T) {
	const oranges, pears, chocolate, strawberries, sweets = 1, 2, 3, 4, 5
	p := &profile{n: 5}
	p.add(4, oranges).add(2, pears, oranges).add(8, chocolate, strawberries).
		add(4, chocolate, sweets).add(1, strawberries).add(1, sweets)
	r := count(t, STV, 5, 3, p.raw)
	assert.Equal(t, Value("6"), r.Quota)
	assert.Equal(t, []int{chocolate, oranges, strawberries}, r.Winners)
	assert.Equal(t, []Action{
		{Kind: Elect, Options: []int{chocolate}, Tie: NoTie},
		{Kind: Surplus, Options: []int{chocolate}, Tie: NoTie, Surplus: "6"},
		{Kind: Eliminate, Options: []int{pears}, Tie: NoTie},
		{Kind: Elect, Options: []int{oranges}, Tie: NoTie},
		{Kind: Eliminate, Options: []int{sweets}, Tie: NoTie},
		{Kind: Elect, Options: []int{strawberries}, Tie: NoTie}}, actions(r))
	assert.Equal(t, []Value{"0", "0", "0", "4", "2"}, r.Rounds[1].Transfers)
	assert.Equal(t, []Value{"4", "2", "6", "5", "3"}, r.Rounds[2].Tallies)
	assert.Equal(t, []Value{"6", "0", "6", "5", "3"}, r.Rounds[3].Tallies)
}

// A surplus that does not divide: computed by hand. 6 A>B, 3 A>C, 1 C; 2
// seats; quota ⌊10/3⌋+1 = 4. A is elected with 9; the weight of its ballots
// becomes ⌊10⁹·5/9⌋·10⁻⁹ = 0.555555555, so B receives 6·0.555555555 =
// 3.33333333 and C 3·0.555555555 = 1.666666665, and 0.000000005 is lost.
// C (2.666666665) is eliminated and exhausts; B is elected as the last
// continuing option.
func TestSTVTruncation(t *testing.T) {
	p := &profile{n: 3}
	p.add(6, 1, 2).add(3, 1, 3).add(1, 3)
	r := count(t, STV, 3, 2, p.raw)
	assert.Equal(t, Value("4"), r.Quota)
	assert.Equal(t, []int{1, 2}, r.Winners)
	sur := r.Rounds[1]
	assert.Equal(t, Action{Kind: Surplus, Options: []int{1}, Tie: NoTie, Surplus: "5"}, sur.Action)
	assert.Equal(t, []Value{"0", "3.33333333", "1.666666665"}, sur.Transfers)
	assert.Equal(t, Value("0.000000005"), sur.TransferredLost)
	el := r.Rounds[2]
	assert.Equal(t, []Value{"4", "3.33333333", "2.666666665"}, el.Tallies)
	assert.Equal(t, Action{Kind: Eliminate, Options: []int{3}, Tie: NoTie}, el.Action)
	assert.Equal(t, Value("2.666666665"), el.TransferredExhausted)
	last := r.Rounds[3]
	assert.Equal(t, Value("2.666666665"), last.Exhausted)
	assert.Equal(t, Value("0.000000005"), last.Lost)
	assert.Equal(t, Action{Kind: Elect, Options: []int{2}, Tie: NoTie}, last.Action)
}

func TestIRVTies(t *testing.T) {
	t.Run("precedence", func(t *testing.T) {
		// 1 A, 1 B: equal in every round; B, listed later, is eliminated.
		r := count(t, IRV, 2, 1, (&profile{n: 2}).add(1, 1).add(1, 2).raw)
		assert.Equal(t, []int{1}, r.Winners)
		assert.Equal(t, Action{Kind: Eliminate, Options: []int{2}, Tie: Precedence}, r.Rounds[0].Action)
		assert.Equal(t, Value("1"), r.Rounds[1].Exhausted)
	})
	t.Run("previous rounds", func(t *testing.T) {
		// Round 1: A 5, B 4, C 3, D 1; D's ballot goes to C: B and C tie at
		// 4 in round 2, C had fewer in round 1 and is eliminated, its
		// ballots elect B. (Eliminating B instead would elect A.)
		p := (&profile{n: 4}).add(5, 1).add(4, 2).add(3, 3, 2).add(1, 4, 3)
		r := count(t, IRV, 4, 1, p.raw)
		assert.Equal(t, []Action{
			{Kind: Eliminate, Options: []int{4}, Tie: NoTie},
			{Kind: Eliminate, Options: []int{3}, Tie: PreviousRounds},
			{Kind: Elect, Options: []int{2}, Tie: NoTie}}, actions(r))
		assert.Equal(t, []int{2}, r.Winners)
	})
	t.Run("precedence after equal history", func(t *testing.T) {
		// 5 A, 3 B, 3 C>B, 1 D>B, 1 D>C: D is eliminated and B and C tie at
		// 4 in round 2 after tying at 3 in round 1: C, listed later, is
		// eliminated, and its ballots elect B.
		p := (&profile{n: 4}).add(5, 1).add(3, 2).add(3, 3, 2).add(1, 4, 2).add(1, 4, 3)
		r := count(t, IRV, 4, 1, p.raw)
		assert.Equal(t, []Action{
			{Kind: Eliminate, Options: []int{4}, Tie: NoTie},
			{Kind: Eliminate, Options: []int{3}, Tie: Precedence},
			{Kind: Elect, Options: []int{2}, Tie: NoTie}}, actions(r))
		assert.Equal(t, Value("1"), r.Rounds[2].Exhausted)
	})
	t.Run("three-way tie by precedence", func(t *testing.T) {
		// 4 A, 2 B, 2 C>B, 2 D>C: B, C, D tie in round 1; D goes first.
		p := (&profile{n: 4}).add(4, 1).add(2, 2).add(2, 3, 2).add(2, 4, 3)
		r := count(t, IRV, 4, 1, p.raw)
		assert.Equal(t, Action{Kind: Eliminate, Options: []int{4}, Tie: Precedence}, r.Rounds[0].Action)
	})
	t.Run("final tie", func(t *testing.T) {
		// 2 A>B, 2 B>A: 2–2 in the last two; no majority, B eliminated by
		// precedence, then A wins with every ballot.
		r := count(t, IRV, 2, 1, (&profile{n: 2}).add(2, 1, 2).add(2, 2, 1).raw)
		assert.Equal(t, []int{1}, r.Winners)
		assert.Equal(t, []Value{"4", "0"}, r.Rounds[1].Tallies)
	})
}

func TestSTVTies(t *testing.T) {
	t.Run("elect order by precedence", func(t *testing.T) {
		// 4 A, 4 B, 1 C; 2 seats; quota 4: A and B reach it together.
		r := count(t, STV, 3, 2, (&profile{n: 3}).add(4, 1).add(4, 2).add(1, 3).raw)
		assert.Equal(t, []int{1, 2}, r.Winners)
		assert.Equal(t, Action{Kind: Elect, Options: []int{1, 2}, Tie: Precedence}, r.Rounds[0].Action)
		assert.Len(t, r.Rounds, 1)
	})
	t.Run("elect order by tallies", func(t *testing.T) {
		r := count(t, STV, 3, 2, (&profile{n: 3}).add(4, 1).add(5, 2).add(1, 3).raw)
		assert.Equal(t, []int{2, 1}, r.Winners)
		assert.Equal(t, Action{Kind: Elect, Options: []int{2, 1}, Tie: NoTie}, r.Rounds[0].Action)
	})
	t.Run("elect order by previous rounds", func(t *testing.T) {
		// 2 B, 1 B>A, 1 C, 1 C>B, 1 A>B, 1 A>C, 1 D>C, 1 D; 2 seats, quota
		// 4. Round 1: A 2, B 3, C 2, D 2: D goes (precedence), C 3. Round 2:
		// A goes, B 4 and C 4 reach the quota; equal in round 2, B had more
		// in round 1 and is elected first.
		p := (&profile{n: 4}).add(2, 2).add(1, 2, 1).add(1, 3).add(1, 3, 2).add(1, 1, 2).add(1, 1, 3).add(1, 4, 3).add(1, 4)
		r := count(t, STV, 4, 2, p.raw)
		assert.Equal(t, []Action{
			{Kind: Eliminate, Options: []int{4}, Tie: Precedence},
			{Kind: Eliminate, Options: []int{1}, Tie: NoTie},
			{Kind: Elect, Options: []int{2, 3}, Tie: PreviousRounds}}, actions(r))
	})
	t.Run("surplus order by precedence, then elimination by previous rounds", func(t *testing.T) {
		// 5 A>C, 5 B>D, 1 C, 1 D; 3 seats; quota 4. A and B are elected
		// with equal surpluses of 1: A's goes first (precedence), so C
		// reaches 2 a round before D does; C and D then tie at 2 and D,
		// behind in the previous round, is eliminated: C wins. (B's surplus
		// first would elect D.)
		p := (&profile{n: 4}).add(5, 1, 3).add(5, 2, 4).add(1, 3).add(1, 4)
		r := count(t, STV, 4, 3, p.raw)
		assert.Equal(t, []Action{
			{Kind: Elect, Options: []int{1, 2}, Tie: Precedence},
			{Kind: Surplus, Options: []int{1}, Tie: Precedence, Surplus: "1"},
			{Kind: Surplus, Options: []int{2}, Tie: NoTie, Surplus: "1"},
			{Kind: Eliminate, Options: []int{4}, Tie: PreviousRounds},
			{Kind: Elect, Options: []int{3}, Tie: NoTie}}, actions(r))
		assert.Equal(t, []int{1, 2, 3}, r.Winners)
	})
	t.Run("surplus order by previous rounds", func(t *testing.T) {
		// Options 1..6: 8 of 1, 6 of 2, 9 of 3, 7 of 4, 7 of 5, 4 of 6>2,
		// 2 of 6>1; 4 seats, quota ⌊43/5⌋+1 = 9. 3 is elected with no
		// surplus; 2 and 6 tie at 6 in every round, 6 goes; 1 and 2 reach
		// 10 together, and their equal surpluses go in the order of round 2
		// (8 against 6): 1 first.
		p := (&profile{n: 6}).add(8, 1).add(6, 2).add(9, 3).add(7, 4).add(7, 5).add(4, 6, 2).add(2, 6, 1)
		r := count(t, STV, 6, 4, p.raw)
		assert.Equal(t, []Action{
			{Kind: Elect, Options: []int{3}, Tie: NoTie},
			{Kind: Eliminate, Options: []int{6}, Tie: Precedence},
			{Kind: Elect, Options: []int{1, 2}, Tie: PreviousRounds},
			{Kind: Surplus, Options: []int{1}, Tie: PreviousRounds, Surplus: "1"}}, actions(r)[:4])
	})
	t.Run("surplus order by size", func(t *testing.T) {
		// A 5, B 6: B's larger surplus goes first.
		p := (&profile{n: 4}).add(5, 1, 3).add(6, 2, 4).add(1, 3).add(1, 4)
		r := count(t, STV, 4, 3, p.raw)
		assert.Equal(t, Action{Kind: Surplus, Options: []int{2}, Tie: NoTie, Surplus: "2"}, r.Rounds[1].Action)
	})
	t.Run("elimination by precedence", func(t *testing.T) {
		// 3 A, 1 B, 1 C, 2 seats, quota 2: A elected, surplus 1 exhausts;
		// B and C equal in every round: C is eliminated, B elected.
		r := count(t, STV, 3, 2, (&profile{n: 3}).add(3, 1).add(1, 2).add(1, 3).raw)
		assert.Equal(t, []int{1, 2}, r.Winners)
		assert.Equal(t, Action{Kind: Eliminate, Options: []int{3}, Tie: Precedence}, r.Rounds[2].Action)
	})
}

func TestExhausted(t *testing.T) {
	// 4 A, 3 B>A, 2 C, 2 C>B, plus a blank and a ballot cut to nothing.
	p := (&profile{n: 3}).add(4, 1).add(3, 2, 1).add(2, 3).add(2, 3, 2).add(1)
	p.raw = append(p.raw, []int{0, 2, 0})
	r := count(t, IRV, 3, 1, p.raw)
	// Round 1: A 4, B 3, C 4, 2 exhausted; B eliminated, its 3 go to A.
	assert.Equal(t, Value("2"), r.Rounds[0].Exhausted)
	assert.Equal(t, Action{Kind: Eliminate, Options: []int{2}, Tie: NoTie}, r.Rounds[0].Action)
	// Round 2: A 7, C 4 of 11 active: A has a majority.
	assert.Equal(t, []Value{"7", "0", "4"}, r.Rounds[1].Tallies)
	assert.Equal(t, []int{1}, r.Winners)
	assert.Equal(t, 1, r.Problems.Blank)
	assert.Equal(t, Ballots{Count: 1, Positions: []int{12}}, r.Problems.SkippedRank)

	// A majority of the active ballots, not of all ballots: 3 A, 2 B, 2 C>…
	// exhausting: after C goes, A 3 of 5 active wins.
	q := (&profile{n: 3}).add(3, 1).add(2, 2).add(1, 3).add(1, 3, 2)
	r = count(t, IRV, 3, 1, q.raw)
	assert.Equal(t, []Value{"3", "3", "0"}, r.Rounds[1].Tallies)
	assert.Equal(t, Value("1"), r.Rounds[1].Exhausted)
	assert.Equal(t, Action{Kind: Eliminate, Options: []int{2}, Tie: PreviousRounds}, r.Rounds[1].Action)
}

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		name string
		raw  []int
		n    int
		want Ranking
		p    Problem
	}{
		{"full", []int{2, 3, 1}, 3, Ranking{2, 3, 1}, Problem{}},
		{"short", []int{2, 0, 0}, 3, Ranking{2}, Problem{}},
		{"blank", []int{0, 0, 0}, 3, Ranking{}, Problem{}},
		{"shorter than n", []int{3}, 3, Ranking{3}, Problem{}},
		{"skipped rank", []int{2, 0, 1}, 3, Ranking{2}, Problem{Kind: SkippedRank, Rank: 2}},
		{"skipped first rank", []int{0, 1, 0}, 3, Ranking{}, Problem{Kind: SkippedRank, Rank: 1}},
		{"repeated", []int{2, 1, 2}, 3, Ranking{2, 1}, Problem{Kind: RepeatedOption, Rank: 3}},
		{"repeated at once", []int{2, 2, 0}, 3, Ranking{2}, Problem{Kind: RepeatedOption, Rank: 2}},
		{"blank before repeat", []int{1, 0, 1}, 3, Ranking{1}, Problem{Kind: SkippedRank, Rank: 2}},
		{"value above n", []int{1, 4, 0}, 3, Ranking{}, Problem{Kind: InvalidBallot, Rank: 2}},
		{"value above n after a blank", []int{1, 0, 9}, 3, Ranking{}, Problem{Kind: InvalidBallot, Rank: 3}},
		{"negative", []int{-1}, 3, Ranking{}, Problem{Kind: InvalidBallot, Rank: 1}},
		{"empty", []int{}, 3, Ranking{}, Problem{Kind: InvalidBallot}},
		{"too long", []int{1, 2, 3, 0}, 3, Ranking{}, Problem{Kind: InvalidBallot}},
		{"n out of range", []int{1}, 51, Ranking{}, Problem{Kind: InvalidBallot}},
		{"one option", []int{1}, 1, Ranking{1}, Problem{}},
		{"fifty options", []int{50, 1}, 50, Ranking{50, 1}, Problem{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, p := Normalize(c.raw, c.n)
			assert.Equal(t, c.want, r)
			assert.Equal(t, c.p, p)
		})
	}
}

func TestProblemsReported(t *testing.T) {
	raw := [][]int{{1, 2, 3}, {2, 0, 1}, {9, 0, 0}, {3, 3, 0}, {0, 0, 0}, {1, 0, 2}, {2, 1, 1}}
	for _, m := range []Method{IRV, STV, Schulze} {
		r := count(t, m, 3, 1, raw)
		assert.Equal(t, Problems{Blank: 1,
			InvalidBallot:  Ballots{Count: 1, Positions: []int{2}},
			SkippedRank:    Ballots{Count: 2, Positions: []int{1, 5}},
			RepeatedOption: Ballots{Count: 2, Positions: []int{3, 6}}}, r.Problems, "method %s", m)
	}
	// Cut ballots still count up to the cut: 2 0 1 counts as a vote for 2.
	r := count(t, IRV, 3, 1, [][]int{{2, 0, 1}, {2, 0, 1}, {1, 0, 0}})
	assert.Equal(t, []Value{"1", "2", "0"}, r.Rounds[0].Tallies)
	assert.Equal(t, []int{2}, r.Winners)
}

func TestOneOption(t *testing.T) {
	raw := [][]int{{1}, {0}, {1}, {2}}
	r := count(t, IRV, 1, 1, raw)
	assert.Equal(t, []int{1}, r.Winners)
	assert.Len(t, r.Rounds, 1)
	assert.Equal(t, []Value{"2"}, r.Rounds[0].Tallies)
	assert.Equal(t, Value("2"), r.Rounds[0].Exhausted)
	assert.Equal(t, []int{3}, r.Problems.InvalidBallot.Positions)
	r = count(t, STV, 1, 3, raw)
	assert.Equal(t, []int{1}, r.Winners)
	r = count(t, Schulze, 1, 1, raw)
	assert.Equal(t, []int{1}, r.Winners)
	assert.Equal(t, [][]int64{{0}}, r.Schulze.D)
}

func TestFiftyOptions(t *testing.T) {
	// Everyone ranks 50 first, then 1..49 in turn; half rank only 50.
	p := &profile{n: 50}
	for i := 1; i <= 49; i++ {
		p.add(1, 50, i)
		p.add(1, 50)
	}
	p.add(3, 7, 8, 9)
	r := count(t, IRV, 50, 1, p.raw)
	assert.Equal(t, []int{50}, r.Winners)
	assert.Len(t, r.Rounds, 1)
	assert.Equal(t, []int{50, 7}, count(t, Schulze, 50, 2, p.raw).Winners)
	s := count(t, STV, 50, 5, p.raw)
	assert.Equal(t, 50, s.Winners[0])
	assert.Len(t, s.Winners, 5)
	assert.Equal(t, 7, s.Winners[1])
}

func TestNoBallots(t *testing.T) {
	r := count(t, IRV, 3, 1, nil)
	assert.Equal(t, []int{1}, r.Winners)
	assert.Equal(t, []Action{
		{Kind: Eliminate, Options: []int{3}, Tie: Precedence},
		{Kind: Eliminate, Options: []int{2}, Tie: Precedence},
		{Kind: Elect, Options: []int{1}, Tie: NoTie}}, actions(r))
	r = count(t, STV, 3, 2, nil)
	assert.Equal(t, Value("1"), r.Quota)
	assert.Equal(t, []int{1, 2}, r.Winners)
	r = count(t, Schulze, 3, 1, [][]int{})
	assert.Equal(t, []int{1, 2, 3}, r.Schulze.Ranking)
	assert.Equal(t, []int{1, 2}, r.Schulze.Ties)
}

func TestSeatsAtLeastOptions(t *testing.T) {
	p := (&profile{n: 3}).add(2, 3).add(5, 2, 1).add(1, 1)
	r := count(t, STV, 3, 3, p.raw)
	assert.ElementsMatch(t, []int{1, 2, 3}, r.Winners)
	// Quota ⌊8/8⌋+1 = 2: B and C reach it, then A is the last continuing.
	r = count(t, STV, 3, 7, p.raw)
	assert.Equal(t, []int{2, 3, 1}, r.Winners)
	assert.Equal(t, []Action{{Kind: Elect, Options: []int{2, 3}, Tie: NoTie}, {Kind: Elect, Options: []int{1}, Tie: NoTie}}, actions(r))
	// No ballots: every option is continuing and fits the seats.
	r = count(t, STV, 3, 5, nil)
	assert.Equal(t, []Action{{Kind: Elect, Options: []int{1, 2, 3}, Tie: Precedence}}, actions(r))
	r = count(t, Schulze, 3, 4, p.raw)
	assert.Equal(t, []int{2, 1, 3}, r.Winners)
}

func TestBadParams(t *testing.T) {
	for _, c := range []struct {
		m        Method
		n, seats int
	}{{"borda", 3, 1}, {"", 3, 1}, {IRV, 0, 1}, {IRV, 51, 1}, {IRV, 3, 2}, {STV, 3, 0}, {STV, 3, 51}, {Schulze, -1, 1}} {
		r, err := Count(c.m, c.n, c.seats, [][]int{{1}})
		require.ErrorIs(t, err, ErrParams, "%+v", c)
		require.Nil(t, r)
	}
}
