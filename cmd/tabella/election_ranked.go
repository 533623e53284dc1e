package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/mixnet/count"
)

// The ranked part of `tabella election tally`: after the homomorphic
// result, each ranked contest's count from its mix.result (e2e/SPEC.md
// §16.4), round by round (mixnet/count's Result.Table, §15.7).

// waitMixResults reads the board until every ranked contest of m has its
// mix.result, and returns them by contest id. Entries are read once.
func waitMixResults(ctx context.Context, e *env, bc *bulletin.Client, m *ballot.Manifest, wait time.Duration) (map[string]*cascade.Result, error) {
	want := 0
	for i := range m.Contests {
		if m.Contests[i].Kind == ballot.Ranked {
			want++
		}
	}
	out := map[string]*cascade.Result{}
	if want == 0 {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var next uint64
	said := false
	for {
		page, err := bc.Entries(ctx, next, next+bulletin.MaxPage)
		if err != nil {
			return nil, fmt.Errorf("reading the board from entry %d: %w", next, err)
		}
		for _, x := range page {
			next = x.Index + 1
			if x.Type != cascade.TypeResult {
				continue
			}
			r, err := cascade.DecodeResult(x.Payload)
			if err != nil {
				return nil, fmt.Errorf("mix.result at entry %d: %w", x.Index, err)
			}
			out[r.Contest] = r
		}
		if len(out) >= want {
			return out, nil
		}
		if len(page) == bulletin.MaxPage {
			continue
		}
		if !said {
			said = true
			fmt.Fprintf(e.stderr, "waiting for the mix cascades and the decryption of the mixed rankings (%d of %d ranked contests counted)…\n", len(out), want)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d ranked contests counted after %s: %w", len(out), want, wait, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// writeRankedRounds prints, for each ranked contest of m in manifest
// order, who mixed it and its count's rounds.
func writeRankedRounds(w io.Writer, m *ballot.Manifest, results map[string]*cascade.Result) error {
	return eachRanked(m, results, func(c *ballot.Contest, r *cascade.Result, cr *count.Result) error {
		names := make([]string, len(c.Options))
		for k, o := range c.Options {
			names[k] = o.Title
		}
		fmt.Fprintf(w, "\n%s (%s, ranked): %d rankings after the mix by trustees %s (skipped: %s), decrypted by trustees %s\n",
			c.Title, c.ID, len(r.Sequences), ints(r.Mixers), ints(r.Skipped), ints(r.Trustees))
		_, err := io.WriteString(w, cr.Table(names))
		return err
	})
}

// eachRanked calls f for each ranked contest of m, in manifest order, with
// its mix.result from results and the decoded count; a contest without one
// is an error naming it.
func eachRanked(m *ballot.Manifest, results map[string]*cascade.Result, f func(c *ballot.Contest, r *cascade.Result, cr *count.Result) error) error {
	for i := range m.Contests {
		c := &m.Contests[i]
		if c.Kind != ballot.Ranked {
			continue
		}
		r := results[c.ID]
		if r == nil {
			return fmt.Errorf("ranked contest %q has no mix.result", c.ID)
		}
		cr, err := count.Decode(r.Count)
		if err != nil {
			return fmt.Errorf("ranked contest %q: %w", c.ID, err)
		}
		if err := f(c, r, cr); err != nil {
			return err
		}
	}
	return nil
}

func ints(v []int) string {
	if len(v) == 0 {
		return "none"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// rankedTally is one ranked contest in `election tally --json`.
type rankedTally struct {
	Contest  string `json:"contest"`
	Title    string `json:"title"`
	Rankings int    `json:"rankings"`
	Mixers   []int  `json:"mixers"`
	Skipped  []int  `json:"skipped"`
	Trustees []int  `json:"trustees"`
	// Winners are the elected options' ids, in the count's order.
	Winners []string `json:"winners"`
	// Count is the count as posted in the mix.result, rounds included.
	Count json.RawMessage `json:"count"`
}

// tallyJSON is the output of `election tally --json`: the tally.result as
// posted (raw) and every ranked contest of m, in manifest order, from its
// mix.result.
func tallyJSON(raw []byte, m *ballot.Manifest, results map[string]*cascade.Result) ([]byte, error) {
	out := struct {
		Result json.RawMessage `json:"result"`
		Ranked []rankedTally   `json:"ranked"`
	}{Result: raw, Ranked: []rankedTally{}}
	err := eachRanked(m, results, func(c *ballot.Contest, r *cascade.Result, cr *count.Result) error {
		rt := rankedTally{Contest: c.ID, Title: c.Title, Rankings: len(r.Sequences), Mixers: r.Mixers, Skipped: r.Skipped,
			Trustees: r.Trustees, Winners: []string{}, Count: r.Count}
		for _, w := range cr.Winners { // 1-based
			if w < 1 || w > len(c.Options) {
				return fmt.Errorf("ranked contest %q: winner %d is not an option", c.ID, w)
			}
			rt.Winners = append(rt.Winners, c.Options[w-1].ID)
		}
		out.Ranked = append(out.Ranked, rt)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return canon.Marshal(&out)
}
