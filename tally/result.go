package tally

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// TypeResult is the board entry type of a [Result].
const TypeResult = "tally.result"

// ResultVersion is the version label of a [Result].
const ResultVersion = "tabella-result/v1"

// maxResultSize bounds a result's JSON.
const maxResultSize = 1 << 20

// Result is the outcome of an election (e2e/SPEC.md §10.5). JSON:
//
//	{"version":"tabella-result/v1","election":"<base hash>","turnout":n,
//	 "contests":[{"id":"…","options":[{"id":"…","count":c},…]},…],
//	 "trustees":[i,…],"shares":[entry,…]}
//
// Trustees are the trustees whose decryption shares were combined, in the
// order used, and Shares the board entries of those shares.
type Result struct {
	Version  string          `json:"version"`
	Election Hash            `json:"election"`
	Turnout  uint64          `json:"turnout"`
	Contests []ContestResult `json:"contests"`
	Trustees []int           `json:"trustees"`
	Shares   []uint64        `json:"shares"`
}

// ContestResult is the count of one contest.
type ContestResult struct {
	ID      string         `json:"id"`
	Options []OptionResult `json:"options"`
}

// OptionResult is the count of one option.
type OptionResult struct {
	ID    string `json:"id"`
	Count uint64 `json:"count"`
}

// Result assembles the result of a decryption in layout l.
func (l *Layout) Result(base [32]byte, turnout uint64, pt *Plaintext) (*Result, error) {
	if len(pt.Counts) != l.Width() {
		return nil, fmt.Errorf("tally: %d counts for a layout of %d options", len(pt.Counts), l.Width())
	}
	r := &Result{Version: ResultVersion, Election: base, Turnout: turnout, Contests: []ContestResult{},
		Trustees: append([]int{}, pt.Trustees...), Shares: append([]uint64{}, pt.Entries...)}
	k := 0
	for _, c := range l.Contests {
		cr := ContestResult{ID: c.ID, Options: []OptionResult{}}
		for _, o := range c.Options {
			cr.Options = append(cr.Options, OptionResult{ID: o, Count: pt.Counts[k]})
			k++
		}
		r.Contests = append(r.Contests, cr)
	}
	return r, nil
}

// Marshal returns the canonical JSON of r.
func (r *Result) Marshal() []byte {
	b, err := canon.Marshal(r)
	if err != nil {
		panic("tally: internal error: marshal result: " + err.Error())
	}
	return b
}

// DecodeResult decodes a result strictly (canonical JSON, no null lists,
// shares and trustees of equal length, distinct trustees).
func DecodeResult(data []byte) (*Result, error) {
	var r Result
	if err := canon.Unmarshal(data, &r, maxResultSize); err != nil {
		return nil, fmt.Errorf("%w: result: %w", ErrMalformed, err)
	}
	if r.Version != ResultVersion {
		return nil, fmt.Errorf("%w: result version %q", ErrMalformed, r.Version)
	}
	if r.Contests == nil || r.Trustees == nil || r.Shares == nil || len(r.Trustees) != len(r.Shares) {
		return nil, fmt.Errorf("%w: result: missing lists or trustees and shares differ in length", ErrMalformed)
	}
	for _, c := range r.Contests {
		if c.Options == nil {
			return nil, fmt.Errorf("%w: result: contest %q has no option list", ErrMalformed, c.ID)
		}
	}
	s := slices.Clone(r.Trustees)
	slices.Sort(s)
	if len(slices.Compact(s)) != len(r.Trustees) {
		return nil, fmt.Errorf("%w: result: duplicate trustee", ErrMalformed)
	}
	return &r, nil
}

// WriteTable writes r as a readable table: the turnout, the trustees, and
// per contest each option's count.
func (r *Result) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Election %x\n", r.Election[:8])
	fmt.Fprintf(&b, "Turnout  %d ballots\n", r.Turnout)
	tr := make([]string, len(r.Trustees))
	for i, t := range r.Trustees {
		tr[i] = fmt.Sprint(t)
	}
	fmt.Fprintf(&b, "Trustees %s (shares at entries %v)\n", strings.Join(tr, ", "), r.Shares)
	for _, c := range r.Contests {
		fmt.Fprintf(&b, "\nContest %s\n", c.ID)
		nw, cw := len("option"), len("count")
		for _, o := range c.Options {
			nw = max(nw, len(o.ID))
			cw = max(cw, len(fmt.Sprint(o.Count)))
		}
		fmt.Fprintf(&b, "  %-*s  %*s\n", nw, "option", cw, "count")
		for _, o := range c.Options {
			fmt.Fprintf(&b, "  %-*s  %*d\n", nw, o.ID, cw, o.Count)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Limits returns, per position of the layout, the most one ballot adds
// (for [Decryption.Limits]).
func (l *Layout) Limits() []uint64 {
	var out []uint64
	for _, c := range l.Contests {
		for range c.Options {
			out = append(out, c.Limit)
		}
	}
	return out
}

// CheckResult recomputes the result of decryption d in layout l from the
// posted share entries and checks that the posted result payload is
// byte-identical to it (e2e/SPEC.md §10.5).
func CheckResult(d *Decryption, l *Layout, posted []ceremony.Posted, result []byte) error {
	pt, err := Combine(d, posted)
	if err != nil {
		return err
	}
	want, err := l.Result(d.Base, d.Count, pt)
	if err != nil {
		return err
	}
	if !bytes.Equal(want.Marshal(), result) {
		return fmt.Errorf("tally: posted result differs from the result recomputed from the board")
	}
	return nil
}
