package tally

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// aggregateBatch is the number of items a worker takes at once.
const aggregateBatch = 512

// Aggregate sums, position by position, the ciphertext vectors of a stream
// of items (e2e/SPEC.md §10.2). vector turns one item into its vector of
// width ciphertexts; it runs on workers goroutines at once (0 means
// runtime.GOMAXPROCS), so decoding is parallel too. It returns the sum and
// the number of items. An error from items or vector stops the aggregation
// and is returned with the position of the item in the stream.
func Aggregate[T any](ctx context.Context, width, workers int, items iter.Seq2[T, error], vector func(T) ([]elgamal.Ciphertext, error)) ([]elgamal.Ciphertext, uint64, error) {
	if width <= 0 {
		return nil, 0, fmt.Errorf("tally: aggregate width %d", width)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type batch struct {
		first uint64
		items []T
	}
	in := make(chan batch, 2*workers)
	sums := make([][]*group.Point, workers)
	var wg sync.WaitGroup
	for w := range workers {
		acc := make([]*group.Point, 2*width)
		for k := range acc {
			acc[k] = group.Identity()
		}
		sums[w] = acc
		wg.Add(1)
		go func() {
			defer wg.Done()
			var at uint64 // the first item of the batch being summed
			defer func() {
				// A panic in a worker would end the process: it fails the
				// aggregate instead.
				if r := recover(); r != nil {
					cancel(fmt.Errorf("tally: aggregate: internal error (panic) summing the batch from item %d: %v", at, r))
					for range in { // drain
					}
				}
			}()
			for b := range in {
				at = b.first
				if ctx.Err() != nil {
					continue // drain
				}
				if err := addBatch(acc, b.items, b.first, width, vector); err != nil {
					cancel(err)
				}
			}
		}()
	}

	var n uint64
	cur := batch{items: make([]T, 0, aggregateBatch)}
	send := func() bool {
		select {
		case in <- cur:
		case <-ctx.Done():
			return false
		}
		cur = batch{first: n, items: make([]T, 0, aggregateBatch)}
		return true
	}
	ok := true
	for it, err := range items {
		if err != nil {
			cancel(fmt.Errorf("tally: aggregate: reading item %d: %w", n, err))
			ok = false
			break
		}
		cur.items = append(cur.items, it)
		n++
		if len(cur.items) == aggregateBatch && !send() {
			ok = false
			break
		}
	}
	if ok && len(cur.items) > 0 {
		send()
	}
	close(in)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	out := make([]elgamal.Ciphertext, width)
	for j := range out {
		A, B := group.Identity(), group.Identity()
		for _, acc := range sums {
			A, B = A.Add(acc[2*j]), B.Add(acc[2*j+1])
		}
		out[j] = elgamal.Ciphertext{A: A, B: B}
	}
	return out, n, nil
}

func addBatch[T any](acc []*group.Point, items []T, first uint64, width int, vector func(T) ([]elgamal.Ciphertext, error)) error {
	for k, it := range items {
		v, err := vector(it)
		if err == nil && len(v) != width {
			err = fmt.Errorf("vector of %d ciphertexts, want %d", len(v), width)
		}
		if err != nil {
			return fmt.Errorf("tally: aggregate: item %d: %w", first+uint64(k), err)
		}
		for j, c := range v {
			if c.A == nil || c.B == nil {
				return fmt.Errorf("tally: aggregate: item %d: nil ciphertext at position %d", first+uint64(k), j)
			}
		}
		for j, c := range v {
			acc[2*j] = acc[2*j].Add(c.A)
			acc[2*j+1] = acc[2*j+1].Add(c.B)
		}
	}
	return nil
}

// A Cast is what [CountedBallots] needs to know of a ballot on the board.
type Cast struct {
	Entry      uint64    // board index of the ballot entry
	Time       time.Time // board time of the entry
	Credential [32]byte  // encoding of the voter's credential public key
}

// CountedBetween returns, in increasing order, the board entries of the
// ballots that count under the record's rule (e2e/SPEC.md §10.1, §11.6):
// among the ballots whose entry index lies strictly between the
// election.open entry (open) and the election.close entry (close), the one
// with the highest index for each credential. The order of casts does not
// matter. Spoiled ballots must not be passed in.
func CountedBetween(casts iter.Seq[Cast], open, close uint64) []uint64 {
	latest := map[[32]byte]uint64{}
	for c := range casts {
		if c.Entry <= open || c.Entry >= close {
			continue
		}
		if prev, ok := latest[c.Credential]; !ok || c.Entry > prev {
			latest[c.Credential] = c.Entry
		}
	}
	out := make([]uint64, 0, len(latest))
	for _, e := range latest {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// CountedBallots is the time-based form of [CountedBetween] for boards
// without open and close entries: among the ballots cast at a time t with
// opens ≤ t < closes, the one with the highest entry index for each
// credential. The election record counts by index ([CountedBetween]); use
// this only where no election.open and election.close entries exist.
func CountedBallots(casts iter.Seq[Cast], opens, closes time.Time) []uint64 {
	latest := map[[32]byte]uint64{}
	for c := range casts {
		if c.Time.Before(opens) || !c.Time.Before(closes) {
			continue
		}
		if prev, ok := latest[c.Credential]; !ok || c.Entry > prev {
			latest[c.Credential] = c.Entry
		}
	}
	out := make([]uint64, 0, len(latest))
	for _, e := range latest {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// A Layout maps the aggregate vector to contests and options: the
// homomorphically counted contests of a manifest in manifest order, each
// with its options in order (e2e/SPEC.md §10.2).
type Layout struct {
	Contests []ContestLayout
}

// ContestLayout is one contest of a [Layout]; Limit is the largest value
// one ballot can give one option.
type ContestLayout struct {
	ID      string
	Options []string
	Limit   uint64
}

// LayoutOf returns the layout of manifest m: every contest that is not
// ranked (ranked contests are counted by the mixnet).
func LayoutOf(m *ballot.Manifest) *Layout {
	l := &Layout{}
	for i := range m.Contests {
		c := &m.Contests[i]
		if c.Kind == ballot.Ranked {
			continue
		}
		cl := ContestLayout{ID: c.ID, Limit: c.SelectionLimit()}
		for _, o := range c.Options {
			cl.Options = append(cl.Options, o.ID)
		}
		l.Contests = append(l.Contests, cl)
	}
	return l
}

// Width returns the number of ciphertexts in a vector.
func (l *Layout) Width() int {
	n := 0
	for _, c := range l.Contests {
		n += len(c.Options)
	}
	return n
}

// Vector returns the ciphertexts of ballot b in layout order. The ballot's
// contests must match the layout (a ballot verified against the election
// does).
func (l *Layout) Vector(b *ballot.Ballot) ([]elgamal.Ciphertext, error) {
	out := make([]elgamal.Ciphertext, 0, l.Width())
	k := 0
	for _, ec := range b.Contests {
		if k < len(l.Contests) && ec.ID == l.Contests[k].ID {
			if len(ec.Selections) != len(l.Contests[k].Options) {
				return nil, fmt.Errorf("tally: ballot contest %q has %d selections, want %d", ec.ID, len(ec.Selections), len(l.Contests[k].Options))
			}
			for _, s := range ec.Selections {
				out = append(out, s.Ciphertext)
			}
			k++
		}
	}
	if k != len(l.Contests) {
		return nil, fmt.Errorf("tally: ballot lacks contest %q", l.Contests[k].ID)
	}
	return out, nil
}

// ballotCiphertexts is the part of a ballot (e2e/SPEC.md §7.3) that the
// aggregation reads; everything else is skipped without decoding.
type ballotCiphertexts struct {
	Contests []struct {
		ID         string `json:"id"`
		Selections []struct {
			Ciphertext elgamal.Ciphertext `json:"ciphertext"`
		} `json:"selections"`
	} `json:"contests"`
}

// Ciphertexts returns the ciphertexts of an encoded ballot in layout order,
// decoding only the ciphertexts (strictly: canonical, non-identity points)
// and not the proofs. It is the fast path for a trustee recomputing the
// aggregate of ballots that the board's rules (and any verifier) have
// already checked in full; it does not check the ballot's proofs, signature
// or canonical form. Use [ballot.DecodeBallot], [ballot.Verify] and
// [Layout.Vector] to check everything.
func (l *Layout) Ciphertexts(payload []byte) ([]elgamal.Ciphertext, error) {
	if len(payload) > ballot.MaxBallotSize {
		return nil, fmt.Errorf("tally: ballot of %d bytes", len(payload))
	}
	var b ballotCiphertexts
	if err := json.Unmarshal(payload, &b); err != nil {
		return nil, fmt.Errorf("tally: ballot: %w", err)
	}
	out := make([]elgamal.Ciphertext, 0, l.Width())
	k := 0
	for _, ec := range b.Contests {
		if k < len(l.Contests) && ec.ID == l.Contests[k].ID {
			if len(ec.Selections) != len(l.Contests[k].Options) {
				return nil, fmt.Errorf("tally: ballot contest %q has %d selections, want %d", ec.ID, len(ec.Selections), len(l.Contests[k].Options))
			}
			for _, s := range ec.Selections {
				if s.Ciphertext.A == nil || s.Ciphertext.B == nil {
					return nil, fmt.Errorf("tally: ballot contest %q: missing ciphertext", ec.ID)
				}
				out = append(out, s.Ciphertext)
			}
			k++
		}
	}
	if k != len(l.Contests) {
		return nil, fmt.Errorf("tally: ballot lacks contest %q", l.Contests[k].ID)
	}
	return out, nil
}
