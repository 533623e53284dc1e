package count

import (
	"errors"
	"fmt"
)

// Method is a counting method for a ranked contest.
type Method string

// The counting methods (e2e/SPEC.md §15.3–§15.5).
const (
	IRV     Method = "irv"     // instant-runoff voting, one seat
	STV     Method = "stv"     // single transferable vote, Droop quota, WIGM transfers
	Schulze Method = "schulze" // Schulze (beatpath) with the winner order
)

// Limits of a count.
const (
	// MaxOptions is the largest number of options of a ranked contest.
	MaxOptions = 50
	// MaxSeats is the largest number of seats.
	MaxSeats = MaxOptions
	// MaxBallots is the largest number of ballots of a count (STV values
	// of every ballot then fit in an int64).
	MaxBallots = 1 << 32
)

// Version is the version label of an encoded [Result].
const Version = "tabella/v1"

// Errors. Every error of the package wraps one of these.
var (
	// ErrParams: an unknown method, or a number of options, seats or
	// ballots outside the limits.
	ErrParams = errors.New("count: invalid count parameters")
	// ErrEncoding: a Result encoding that is malformed, not canonical or
	// inconsistent in its shape.
	ErrEncoding = errors.New("count: invalid result encoding")
	// ErrMismatch: a posted Result differs from the recount.
	ErrMismatch = errors.New("count: result differs from the recount")
)

// Result is the outcome of a count with every round (e2e/SPEC.md §15.7). Its
// JSON encoding ([Result.Encode]) is canonical.
type Result struct {
	Version string `json:"version"`
	Method  Method `json:"method"`
	Options int    `json:"options"`
	Seats   int    `json:"seats"`
	// Ballots is the number of raw rankings counted, problems included.
	Ballots int `json:"ballots"`
	// Quota is the Droop quota (STV only).
	Quota Value `json:"quota,omitempty"`
	// Winners are the elected options (1-based) in order of election:
	// min(seats, options) of them.
	Winners  []int    `json:"winners"`
	Problems Problems `json:"problems"`
	// Rounds are the rounds of an IRV or STV count.
	Rounds []Round `json:"rounds,omitempty"`
	// Schulze holds the tables of a Schulze count.
	Schulze *SchulzeTables `json:"schulze,omitempty"`
}

// Problems reports every ballot whose raw ranking was cut or rejected, by
// kind, and the number of blank ballots.
type Problems struct {
	// Blank counts rankings with no option ranked and no problem.
	Blank          int     `json:"blank"`
	InvalidBallot  Ballots `json:"invalid_ballot"`
	SkippedRank    Ballots `json:"skipped_rank"`
	RepeatedOption Ballots `json:"repeated_option"`
}

// Ballots lists ballots by their 0-based position in the counted list.
type Ballots struct {
	Count     int   `json:"count"`
	Positions []int `json:"positions"`
}

func (b *Ballots) add(i int) {
	b.Count++
	b.Positions = append(b.Positions, i)
}

// ActionKind is what a round of an IRV or STV count does.
type ActionKind string

// The actions.
const (
	Elect     ActionKind = "elect"     // options elected, no transfer
	Eliminate ActionKind = "eliminate" // one option eliminated, its ballots transferred
	Surplus   ActionKind = "surplus"   // one elected option's surplus transferred (STV)
)

// Tie says which rule decided a round's choice (e2e/SPEC.md §15.2).
type Tie string

// The tie-break levels.
const (
	NoTie          Tie = "none"            // the current tallies decided
	PreviousRounds Tie = "previous_rounds" // tallies of earlier rounds decided
	Precedence     Tie = "precedence"      // the manifest order decided
)

// Action is the step taken in a round.
type Action struct {
	Kind ActionKind `json:"kind"`
	// Options: the elected options in order of election, or the one
	// eliminated option, or the one option whose surplus is transferred.
	Options []int `json:"options"`
	Tie     Tie   `json:"tie"`
	// Surplus is the value transferred by a Surplus action.
	Surplus Value `json:"surplus,omitempty"`
}

// Round is one round of an IRV or STV count: the tallies at its start, its
// action, and the values the action moved.
type Round struct {
	// Tallies holds every option's value at the start of the round (index
	// k−1 for option k; 0 for eliminated options, the quota for elected
	// options whose surplus was transferred).
	Tallies []Value `json:"tallies"`
	// Exhausted is the value of ballots counting for no option at the start
	// of the round, empty rankings included.
	Exhausted Value `json:"exhausted"`
	// Lost is the value lost to truncation of STV transfer values so far
	// (STV only).
	Lost   Value  `json:"lost,omitempty"`
	Action Action `json:"action"`
	// Transfers holds the value moved to each option by an Eliminate or
	// Surplus action (absent for Elect).
	Transfers []Value `json:"transfers,omitempty"`
	// TransferredExhausted is the value that became exhausted by the
	// action (absent for Elect).
	TransferredExhausted Value `json:"transferred_exhausted,omitempty"`
	// TransferredLost is the value lost to truncation by a Surplus action
	// (STV only, absent otherwise).
	TransferredLost Value `json:"transferred_lost,omitempty"`
}

// SchulzeTables are the matrices and the order of a Schulze count. Row i,
// column j (0-based) are about options i+1 and j+1.
type SchulzeTables struct {
	// D[i][j] is the number of ballots preferring option i+1 to j+1.
	D [][]int64 `json:"d"`
	// P[i][j] is the strength of the strongest path from i+1 to j+1.
	P [][]int64 `json:"p"`
	// Ranking is every option in Schulze order, best first.
	Ranking []int `json:"ranking"`
	// Ties are the 1-based places of Ranking filled by precedence among
	// several unbeaten options.
	Ties []int `json:"ties,omitempty"`
}

// group is the ballots sharing one normalised, non-empty ranking.
type group struct {
	ranking []byte // 0-based options
	count   int64
}

// ballots is a normalised list of rankings.
type ballots struct {
	n        int
	total    int
	empty    int64 // empty rankings, problems included
	groups   []group
	problems Problems
}

// collect normalises raw and groups equal rankings.
func collect(n int, raw [][]int) *ballots {
	b := &ballots{n: n, total: len(raw)}
	b.problems.InvalidBallot.Positions = []int{}
	b.problems.SkippedRank.Positions = []int{}
	b.problems.RepeatedOption.Positions = []int{}
	index := make(map[string]int)
	var buf [MaxOptions]byte
	for i, r := range raw {
		rk, p := normalize(buf[:0], r, n)
		switch p.Kind {
		case InvalidBallot:
			b.problems.InvalidBallot.add(i)
		case SkippedRank:
			b.problems.SkippedRank.add(i)
		case RepeatedOption:
			b.problems.RepeatedOption.add(i)
		}
		if len(rk) == 0 {
			if p.Kind == NoProblem {
				b.problems.Blank++
			}
			b.empty++
			continue
		}
		g, ok := index[string(rk)]
		if !ok {
			g = len(b.groups)
			index[string(rk)] = g
			b.groups = append(b.groups, group{ranking: []byte(string(rk))})
		}
		b.groups[g].count++
	}
	return b
}

// Count counts the raw decrypted rankings of a contest with n options for
// the given number of seats (e2e/SPEC.md §15). IRV needs seats = 1; STV and
// Schulze elect min(seats, n) options. Bad rankings are never an error: they
// are normalised ([Normalize]) and reported in Result.Problems. Count errors
// (wrapping [ErrParams]) only for an unknown method or parameters outside
// the limits.
func Count(method Method, n, seats int, raw [][]int) (*Result, error) {
	if err := checkParams(method, n, seats, len(raw)); err != nil {
		return nil, err
	}
	b := collect(n, raw)
	r := &Result{Version: Version, Method: method, Options: n, Seats: seats, Ballots: len(raw), Problems: b.problems}
	switch method {
	case IRV:
		countIRV(r, b)
	case STV:
		countSTV(r, b)
	case Schulze:
		countSchulze(r, b)
	}
	return r, nil
}

func checkParams(method Method, n, seats, ballots int) error {
	switch method {
	case IRV, STV, Schulze:
	default:
		return fmt.Errorf("%w: unknown method %q (want %q, %q or %q)", ErrParams, method, IRV, STV, Schulze)
	}
	if n < 1 || n > MaxOptions {
		return fmt.Errorf("%w: %d options, want 1..%d", ErrParams, n, MaxOptions)
	}
	if seats < 1 || seats > MaxSeats {
		return fmt.Errorf("%w: %d seats, want 1..%d", ErrParams, seats, MaxSeats)
	}
	if method == IRV && seats != 1 {
		return fmt.Errorf("%w: IRV elects one option, not %d (use STV)", ErrParams, seats)
	}
	if ballots > MaxBallots {
		return fmt.Errorf("%w: %d ballots, at most %d", ErrParams, ballots, MaxBallots)
	}
	return nil
}
