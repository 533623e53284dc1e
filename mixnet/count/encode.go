package count

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// MaxResultSize bounds an encoded Result in bytes.
const MaxResultSize = 256 << 20

// Encode returns the canonical JSON encoding of r (e2e/SPEC.md §15.7).
func (r *Result) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return canon.Marshal(r)
}

// Decode parses a canonical Result encoding strictly: unknown or duplicate
// fields, trailing data, non-canonical forms and shapes that no count
// produces are rejected with an error wrapping [ErrEncoding]. It does not
// recount: see [Verify].
func Decode(data []byte) (*Result, error) {
	var r Result
	if err := canon.Unmarshal(data, &r, MaxResultSize); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEncoding, err)
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Verify decodes a posted Result, recounts raw with its method, options and
// seats, and requires the recount to be byte-identical. A difference is
// reported (wrapping [ErrMismatch]) naming the first part that differs.
func Verify(data []byte, raw [][]int) (*Result, error) {
	posted, err := Decode(data)
	if err != nil {
		return nil, err
	}
	re, err := Count(posted.Method, posted.Options, posted.Seats, raw)
	if err != nil {
		return nil, err
	}
	want, err := re.Encode()
	if err != nil {
		return nil, err
	}
	if bytes.Equal(want, data) {
		return posted, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrMismatch, firstDifference(posted, re))
}

func firstDifference(got, want *Result) string {
	eq := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return bytes.Equal(x, y)
	}
	switch {
	case got.Ballots != want.Ballots:
		return fmt.Sprintf("ballots: posted %d, recounted %d", got.Ballots, want.Ballots)
	case !eq(got.Problems, want.Problems):
		return "problems report"
	case got.Quota != want.Quota:
		return fmt.Sprintf("quota: posted %s, recounted %s", got.Quota, want.Quota)
	}
	for i := 0; i < min(len(got.Rounds), len(want.Rounds)); i++ {
		if !eq(got.Rounds[i], want.Rounds[i]) {
			return fmt.Sprintf("round %d", i+1)
		}
	}
	if len(got.Rounds) != len(want.Rounds) {
		return fmt.Sprintf("%d rounds posted, %d recounted", len(got.Rounds), len(want.Rounds))
	}
	if !eq(got.Schulze, want.Schulze) {
		return "Schulze tables"
	}
	return fmt.Sprintf("winners: posted %v, recounted %v", got.Winners, want.Winners)
}

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrEncoding, fmt.Sprintf(format, a...))
}

// check validates the shape of r: what any count with r's parameters could
// produce, without recounting.
func (r *Result) check() error {
	if r.Version != Version {
		return bad("version %q, want %q", r.Version, Version)
	}
	if err := checkParams(r.Method, r.Options, r.Seats, r.Ballots); err != nil {
		return bad("%v", err)
	}
	if r.Ballots < 0 {
		return bad("%d ballots", r.Ballots)
	}
	n := r.Options
	if err := checkOptionList("winners", r.Winners, n); err != nil {
		return err
	}
	if len(r.Winners) != min(r.Seats, n) {
		return bad("%d winners, want %d", len(r.Winners), min(r.Seats, n))
	}
	if err := r.Problems.check(r.Ballots); err != nil {
		return err
	}
	if r.Method == Schulze {
		if r.Quota != "" || r.Rounds != nil || r.Schulze == nil {
			return bad("a Schulze result has Schulze tables and no quota or rounds")
		}
		return r.Schulze.check(n, r.Winners)
	}
	if r.Schulze != nil || len(r.Rounds) == 0 || len(r.Rounds) > 3*n {
		return bad("an %s result has 1 to %d rounds and no Schulze tables", r.Method, 3*n)
	}
	scale := int64(1)
	if r.Method == STV {
		scale = unit
		if _, err := r.Quota.units(unit); err != nil || r.Quota == "0" {
			return bad("quota %q", r.Quota)
		}
	} else if r.Quota != "" {
		return bad("an IRV result has no quota")
	}
	var elected []int
	for i := range r.Rounds {
		if err := r.Rounds[i].check(n, scale); err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		if a := r.Rounds[i].Action; a.Kind == Elect {
			elected = append(elected, a.Options...)
		}
	}
	if !slices.Equal(elected, r.Winners) {
		return bad("the elect actions elect %v, the winners are %v", elected, r.Winners)
	}
	return nil
}

func checkOptionList(what string, l []int, n int) error {
	if l == nil {
		return bad("%s missing", what)
	}
	var seen uint64
	for _, o := range l {
		if o < 1 || o > n || seen&(1<<(o-1)) != 0 {
			return bad("%s: option %d out of range 1..%d or repeated", what, o, n)
		}
		seen |= 1 << (o - 1)
	}
	return nil
}

func (p *Problems) check(ballots int) error {
	total := p.Blank
	if p.Blank < 0 {
		return bad("problems: %d blank", p.Blank)
	}
	var all []int
	for _, k := range []struct {
		name string
		b    Ballots
	}{{"invalid_ballot", p.InvalidBallot}, {"skipped_rank", p.SkippedRank}, {"repeated_option", p.RepeatedOption}} {
		if k.b.Positions == nil || k.b.Count != len(k.b.Positions) {
			return bad("problems: %s: count %d for %d positions", k.name, k.b.Count, len(k.b.Positions))
		}
		for i, x := range k.b.Positions {
			if x < 0 || x >= ballots || (i > 0 && x <= k.b.Positions[i-1]) {
				return bad("problems: %s: positions not increasing in 0..%d", k.name, ballots-1)
			}
		}
		total += k.b.Count
		all = append(all, k.b.Positions...)
	}
	slices.Sort(all)
	if total > ballots || len(slices.Compact(all)) != len(all) {
		return bad("problems: more problems than ballots, or a ballot in two kinds")
	}
	return nil
}

func (rd *Round) check(n int, scale int64) error {
	values := func(what string, vs []Value) error {
		if len(vs) != n {
			return bad("%s: %d values, want %d", what, len(vs), n)
		}
		for o, v := range vs {
			if _, err := v.units(scale); err != nil {
				return fmt.Errorf("%s of option %d: %w", what, o+1, err)
			}
		}
		return nil
	}
	value := func(what string, v Value, present bool) error {
		if !present {
			if v != "" {
				return bad("unexpected %s", what)
			}
			return nil
		}
		if _, err := v.units(scale); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if err := values("tallies", rd.Tallies); err != nil {
		return err
	}
	stv := scale == unit
	a := rd.Action
	moves := a.Kind != Elect
	if err := value("exhausted", rd.Exhausted, true); err != nil {
		return err
	}
	if err := value("lost", rd.Lost, stv); err != nil {
		return err
	}
	if err := value("surplus", a.Surplus, a.Kind == Surplus); err != nil {
		return err
	}
	if err := value("transferred_exhausted", rd.TransferredExhausted, moves); err != nil {
		return err
	}
	if err := value("transferred_lost", rd.TransferredLost, a.Kind == Surplus); err != nil {
		return err
	}
	switch a.Kind {
	case Elect:
		if len(a.Options) == 0 || rd.Transfers != nil {
			return bad("an elect action names options and transfers nothing")
		}
	case Eliminate, Surplus:
		if len(a.Options) != 1 || (a.Kind == Surplus && !stv) {
			return bad("a %s action names one option (surplus: STV only)", a.Kind)
		}
		if err := values("transfers", rd.Transfers); err != nil {
			return err
		}
	default:
		return bad("unknown action %q", a.Kind)
	}
	switch a.Tie {
	case NoTie, PreviousRounds, Precedence:
	default:
		return bad("unknown tie %q", a.Tie)
	}
	return checkOptionList("action options", a.Options, n)
}

func (t *SchulzeTables) check(n int, winners []int) error {
	for _, m := range []struct {
		name string
		m    [][]int64
	}{{"d", t.D}, {"p", t.P}} {
		if len(m.m) != n {
			return bad("schulze: %s has %d rows, want %d", m.name, len(m.m), n)
		}
		for i, row := range m.m {
			if len(row) != n {
				return bad("schulze: %s row %d has %d columns, want %d", m.name, i+1, len(row), n)
			}
			for j, v := range row {
				if v < 0 || (i == j && v != 0) {
					return bad("schulze: %s[%d][%d] = %d", m.name, i+1, j+1, v)
				}
			}
		}
	}
	if err := checkOptionList("schulze ranking", t.Ranking, n); err != nil {
		return err
	}
	if len(t.Ranking) != n || !slices.Equal(t.Ranking[:len(winners)], winners) {
		return bad("schulze: the ranking has every option and starts with the winners")
	}
	for i, p := range t.Ties {
		if p < 1 || p > n || (i > 0 && p <= t.Ties[i-1]) {
			return bad("schulze: ties not increasing in 1..%d", n)
		}
	}
	return nil
}
