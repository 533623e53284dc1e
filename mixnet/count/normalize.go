package count

// Ranking is a normalised ranking: distinct options (1-based) in order of
// preference, possibly empty.
type Ranking []int

// ProblemKind names the way a raw ranking was cut by [Normalize].
type ProblemKind string

// The problem kinds (e2e/SPEC.md §15.1).
const (
	// NoProblem: the ranking was read to its end or to trailing blanks.
	NoProblem ProblemKind = ""
	// InvalidBallot: the raw ranking is empty, longer than the number of
	// options, or holds a value outside 0..n. The whole ballot counts as an
	// empty ranking.
	InvalidBallot ProblemKind = "invalid_ballot"
	// SkippedRank: a blank (0) is followed by a non-blank rank. The ranking
	// stops at the blank.
	SkippedRank ProblemKind = "skipped_rank"
	// RepeatedOption: an option appears a second time. The ranking stops at
	// the repetition.
	RepeatedOption ProblemKind = "repeated_option"
)

// Problem says whether and where [Normalize] cut a raw ranking.
type Problem struct {
	Kind ProblemKind
	// Rank is the 1-based rank of the first entry not counted: the blank
	// before a skipped rank, the repeated entry, or the first out-of-range
	// value. It is 0 for NoProblem and for a raw ranking of a wrong length.
	Rank int
}

// Normalize reads a decrypted raw ranking of a contest with n options
// (e2e/SPEC.md §15.1). raw[i] is the option ranked (i+1)-th, 1..n, or 0 for
// "no option at this rank". Reading stops at the first blank and at the
// first repeated option; a ranking with a value outside 0..n, an empty one
// or one longer than n is invalid as a whole. Trailing blanks are not a
// problem. Normalize never fails: every cut is reported in the Problem. A
// decrypted value that cannot be mapped into 0..n should be passed as -1: it
// makes the ballot invalid, and the ballot is still counted and reported.
func Normalize(raw []int, n int) (Ranking, Problem) {
	var buf [MaxOptions]byte
	r, p := normalize(buf[:0], raw, n)
	out := make(Ranking, len(r))
	for i, o := range r {
		out[i] = int(o) + 1
	}
	return out, p
}

// normalize appends the ranking's 0-based options to dst.
func normalize(dst []byte, raw []int, n int) ([]byte, Problem) {
	if n < 1 || n > MaxOptions || len(raw) == 0 || len(raw) > n {
		return dst, Problem{Kind: InvalidBallot}
	}
	for i, v := range raw {
		if v < 0 || v > n {
			return dst, Problem{Kind: InvalidBallot, Rank: i + 1}
		}
	}
	var seen uint64
	for i, v := range raw {
		if v == 0 {
			for _, w := range raw[i+1:] {
				if w != 0 {
					return dst, Problem{Kind: SkippedRank, Rank: i + 1}
				}
			}
			return dst, Problem{}
		}
		bit := uint64(1) << (v - 1)
		if seen&bit != 0 {
			return dst, Problem{Kind: RepeatedOption, Rank: i + 1}
		}
		seen |= bit
		dst = append(dst, byte(v-1))
	}
	return dst, Problem{}
}
