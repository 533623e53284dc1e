package count

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// rawBallots draws ballots for n options of length L: mostly well-formed
// rankings of random length, some with skipped ranks, repeats or invalid
// values.
func rawBallots(n, L, maxBallots int) *rapid.Generator[[][]int] {
	opts := make([]int, n)
	for i := range opts {
		opts[i] = i + 1
	}
	one := rapid.Custom(func(t *rapid.T) []int {
		perm := rapid.Permutation(opts).Draw(t, "perm")
		k := rapid.IntRange(0, L).Draw(t, "k")
		r := make([]int, L)
		copy(r, perm[:k])
		switch rapid.IntRange(0, 9).Draw(t, "damage") {
		case 0:
			r[rapid.IntRange(0, L-1).Draw(t, "at")] = rapid.IntRange(0, n+1).Draw(t, "value")
		case 1:
			r[rapid.IntRange(0, L-1).Draw(t, "at")] = perm[0]
		}
		return r
	})
	return rapid.SliceOfN(one, 0, maxBallots)
}

type election struct {
	n, L int
	raw  [][]int
}

func drawElection(t *rapid.T, maxN, maxBallots int) election {
	n := rapid.IntRange(1, maxN).Draw(t, "n")
	L := rapid.IntRange(1, n).Draw(t, "L")
	return election{n, L, rawBallots(n, L, maxBallots).Draw(t, "raw")}
}

// Every count encodes canonically, decodes to itself, recounts identically
// and conserves the ballots in every round.
func TestPropertyConsistent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := drawElection(t, 8, 60)
		count(t, IRV, e.n, 1, e.raw)
		count(t, STV, e.n, rapid.IntRange(1, e.n+1).Draw(t, "seats"), e.raw)
		s := count(t, Schulze, e.n, 1, e.raw)
		pos := make(map[int]int)
		for i, o := range s.Schulze.Ranking {
			pos[o-1] = i
		}
		p := s.Schulze.P
		for i := range p {
			for j := range p {
				if p[i][j] > p[j][i] {
					require.Less(t, pos[i], pos[j], "option %d beats %d but is ranked after it", i+1, j+1)
				}
			}
		}
	})
}

// An option with a majority of the first preferences wins IRV in round 1.
func TestPropertyIRVMajority(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := drawElection(t, 8, 40)
		k := rapid.IntRange(1, e.n).Draw(t, "k")
		extra := rawBallots(e.n, e.L, len(e.raw)+1).Draw(t, "extra")
		for len(extra) <= len(e.raw) {
			extra = append(extra, make([]int, e.L))
		}
		for _, r := range extra {
			clear(r)
			r[0] = k
		}
		raw := append(slices.Clone(e.raw), extra...)
		r := count(t, IRV, e.n, 1, raw)
		require.Equal(t, []int{k}, r.Winners)
		require.Len(t, r.Rounds, 1)
	})
}

// A Condorcet winner, computed here from the normalised rankings, wins
// Schulze.
func TestPropertyCondorcet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := drawElection(t, 6, 40)
		n := e.n
		wins := make([][]int, n)
		for i := range wins {
			wins[i] = make([]int, n)
		}
		for _, raw := range e.raw {
			rk, _ := Normalize(raw, n)
			place := make([]int, n)
			for i := range place {
				place[i] = n // unranked
			}
			for i, o := range rk {
				place[o-1] = i
			}
			for a := range n {
				for b := range n {
					if place[a] < place[b] {
						wins[a][b]++
					}
				}
			}
		}
		for c := range n {
			beatsAll := true
			for j := range n {
				if j != c && wins[c][j] <= wins[j][c] {
					beatsAll = false
				}
			}
			if beatsAll {
				require.Equal(t, c+1, count(t, Schulze, n, 1, e.raw).Winners[0])
			}
		}
	})
}

// Permuting the ballots changes nothing but the positions in the problems
// report, which follow the ballots.
func TestPropertyPermutation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := drawElection(t, 8, 40)
		idx := make([]int, len(e.raw))
		for i := range idx {
			idx[i] = i
		}
		perm := rapid.Permutation(idx).Draw(t, "perm")
		shuffled := make([][]int, len(e.raw))
		for i, j := range perm {
			shuffled[i] = e.raw[j]
		}
		remap := func(b *Ballots) {
			for i, x := range b.Positions {
				b.Positions[i] = perm[x]
			}
			slices.Sort(b.Positions)
		}
		seats := rapid.IntRange(1, e.n).Draw(t, "seats")
		for _, m := range []Method{IRV, STV, Schulze} {
			s := seats
			if m == IRV {
				s = 1
			}
			a, b := count(t, m, e.n, s, e.raw), count(t, m, e.n, s, shuffled)
			remap(&b.Problems.InvalidBallot)
			remap(&b.Problems.SkippedRank)
			remap(&b.Problems.RepeatedOption)
			require.Equal(t, a, b, "method %s", m)
		}
	})
}

// STV for one seat elects the IRV winner after the same eliminations, ties
// included (both use the same tie-break over the same round history).
func TestPropertySTVOneSeatIsIRV(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e := drawElection(t, 8, 60)
		irv, stv := count(t, IRV, e.n, 1, e.raw), count(t, STV, e.n, 1, e.raw)
		require.Equal(t, irv.Winners, stv.Winners)
		var ei, es []Action
		for _, a := range actions(irv) {
			if a.Kind == Eliminate {
				ei = append(ei, a)
			}
		}
		for _, a := range actions(stv) {
			if a.Kind == Eliminate {
				es = append(es, a)
			}
		}
		require.Equal(t, ei, es[:min(len(ei), len(es))], "STV eliminates as IRV did")
	})
}

// Normalize returns a prefix of the raw ranking of distinct options in
// range, and reports a problem exactly when a non-blank entry is not used.
func TestPropertyNormalize(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, MaxOptions).Draw(t, "n")
		raw := rapid.SliceOfN(rapid.IntRange(-1, n+1), 0, n+1).Draw(t, "raw")
		rk, p := Normalize(raw, n)
		if p.Kind == InvalidBallot {
			require.Empty(t, rk)
			return
		}
		require.Equal(t, raw[:len(rk)], []int(rk))
		used := 0
		for _, v := range raw {
			if v != 0 {
				used++
			}
		}
		require.Equal(t, used > len(rk), p.Kind != NoProblem, "problem %+v for %v", p, raw)
	})
}

func TestTable(t *testing.T) {
	p := (&profile{n: 3}).add(6, 1, 2).add(3, 1, 3).add(1, 3)
	p.raw = append(p.raw, []int{2, 2, 0})
	s := count(t, STV, 3, 2, p.raw).Table([]string{"Alice", "Bob"})
	require.Contains(t, s, "Quota: 4")
	require.Contains(t, s, "round 2: surplus 5 of Alice transferred 3.33333333 to Bob, 1.666666665 to option 3, lost 0.000000005")
	require.Contains(t, s, "repeated option at positions: 10")
	require.Contains(t, s, "Elected, in order: Alice, Bob")
	s = count(t, Schulze, 3, 1, p.raw).Table(nil)
	require.Contains(t, s, "Schulze order: option 1, option 2, option 3")
}
