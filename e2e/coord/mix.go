package coord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/tally/trustee"
)

func isMixType(typ string) bool {
	return typ == record.TypeMix || typ == record.TypeMixShare || typ == record.TypeMixResult
}

// What a trustee's [Mix] found for a contest.
const (
	MixPosted  = "posted"  // this trustee's mix was posted now
	MixDone    = "mixed"   // this trustee's mix is on the board already
	MixWaiting = "waiting" // another mixer's turn comes first
	MixSkipped = "skipped" // this trustee missed its turn
	MixOver    = "over"    // the cascade is over (or has nothing to mix)
)

// MixStep is what [Mix] did for one ranked contest.
type MixStep struct {
	Contest string
	State   string // one of the Mix… constants
	Entry   uint64 // the trustee's mix entry (posted or existing)
	// Mixer and Deadline: whose turn it is, until when (unix ms), when
	// State is MixWaiting.
	Mixer    int
	Deadline int64
}

// Mix is the trustee's mixing step (e2e/SPEC.md §16.2, §16.6): it brings
// its view v of the board ([ReadView]) up to date from src (every earlier
// mix's proof is verified by the rule book, against the counted sequences
// the trustee recounted itself), and for each ranked contest whose turn at board time now is
// this trustee's, shuffles the latest valid list and posts the mix through
// p, signed by id. It returns what it found for every ranked contest.
func Mix(ctx context.Context, src EntrySource, v *View, id *trustee.Identity, p Poster, now int64, progress func(string)) ([]MixStep, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	if err := v.closed(ctx, src); err != nil {
		return nil, err
	}
	s, election := v.State, v.Election
	me := s.Setup.TrusteeIndex(id.Public().SigningKey)
	if me == 0 {
		return nil, fmt.Errorf("coord: this key is not a trustee of %s", election)
	}
	var steps []MixStep
	for _, rc := range rules.RankedContests(s.Manifest) {
		c := s.Cascades[rc.ID]
		step := MixStep{Contest: rc.ID}
		if err := v.input(ctx, src, c); err != nil {
			return nil, err
		}
		turn := c.TurnAt(now)
		i := slices.IndexFunc(c.Mixes, func(m cascade.Posted) bool { return m.Mixer == me })
		switch {
		case i >= 0:
			step.State, step.Entry = MixDone, c.Mixes[i].Index
			say("contest %s: this trustee's mix is on the board at entry %d", rc.ID, step.Entry)
		case c.Empty() || turn.Mixer == 0 && !slices.Contains(turn.Skipped, me):
			step.State = MixOver
			say("contest %s: the cascade is over", rc.ID)
		case slices.Contains(turn.Skipped, me):
			step.State = MixSkipped
			say("contest %s: trustee %d missed its turn to mix (skipped)", rc.ID, me)
		case turn.Mixer != me:
			step.State, step.Mixer, step.Deadline = MixWaiting, turn.Mixer, turn.Deadline
			say("contest %s: waiting for trustee %d's mix (its turn ends %s)", rc.ID, turn.Mixer, time.UnixMilli(turn.Deadline).UTC().Format(time.RFC3339))
		default:
			e, err := postMix(ctx, election, id, p, c, me, say)
			if err != nil {
				return nil, err
			}
			step.State, step.Entry = MixPosted, e
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// postMix shuffles c's latest list as mixer me and posts it.
func postMix(ctx context.Context, election string, id *trustee.Identity, p Poster, c *cascade.Cascade, me int, say func(string, ...any)) (uint64, error) {
	in, h := c.Latest()
	st, err := c.Statement(me)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	say("contest %s: shuffling %d sequences of %d ciphertexts (input %x…)", c.Contest.ID, len(in), len(in[0]), h[:8])
	out, proof, err := mixnet.Shuffle(st, in)
	if err != nil {
		return 0, err
	}
	m, err := cascade.NewMix(election, c.Contest.ID, me, h, out, proof)
	if err != nil {
		return 0, err
	}
	if err := c.VerifyMix(in, m); err != nil {
		return 0, fmt.Errorf("coord: internal error: own shuffle does not verify: %w", err)
	}
	payload := m.Marshal()
	say("contest %s: shuffled and proved in %v; posting %d bytes", c.Contest.ID, time.Since(t0).Round(time.Millisecond), len(payload))
	r, err := p.Submit(ctx, signed(id, election, record.TypeMix, payload))
	if err != nil {
		return 0, fmt.Errorf("coord: posting the mix of contest %s: %w", c.Contest.ID, err)
	}
	say("contest %s: mix posted at entry %d", c.Contest.ID, r.Index)
	return r.Index, nil
}

func signed(id *trustee.Identity, election, typ string, payload []byte) Submission {
	sig := id.Sign(election, typ, payload)
	signer := record.Signer{Kind: record.Trustee, Key: id.Public().SigningKey}
	return Submission{Type: typ, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]}
}

// MixShare is what [DecryptMixes] did for one ranked contest.
type MixShare struct {
	Contest  string
	Entry    uint64 // the trustee's mix.share (posted or existing)
	Existing bool
	// Waiting: the cascade is not over at the board time given (Mixer's
	// turn runs until Deadline); nothing was posted.
	Waiting  bool
	Mixer    int
	Deadline int64
	// Empty: no ballot was counted; there is nothing to decrypt.
	Empty bool
	// Late: the contest's mix.result was on the board already.
	Late bool
}

// DecryptMixes is the trustee's decryption of the final lists
// (e2e/SPEC.md §16.3): it brings its view v up to date ([Mix]),
// recomputes its key share from the ceremony, and for each ranked contest
// whose cascade is over at board time now posts its decryption shares of
// the final list with their DLEQ proofs through p, unless they are on the
// board already.
func DecryptMixes(ctx context.Context, src EntrySource, v *View, id *trustee.Identity, p Poster, now int64, progress func(string)) ([]MixShare, error) {
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf(format, args...))
		}
	}
	if err := v.closed(ctx, src); err != nil {
		return nil, err
	}
	s, election := v.State, v.Election
	ks, _, err := v.KeyShare(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []MixShare
	for _, rc := range rules.RankedContests(s.Manifest) {
		c := s.Cascades[rc.ID]
		ms := MixShare{Contest: rc.ID}
		if k := slices.IndexFunc(c.Shares, func(m *cascade.Shares) bool { return m.Trustee == ks.Trustee }); k >= 0 {
			ms.Entry, ms.Existing = c.ShareIndex[k], true
			say("contest %s: this trustee's decryption shares are on the board at entry %d", rc.ID, ms.Entry)
			out = append(out, ms)
			continue
		}
		if c.ResultIndex >= 0 {
			ms.Late = true
			say("contest %s: its mix.result is on the board already (entry %d): no decryption share needed", rc.ID, c.ResultIndex)
			out = append(out, ms)
			continue
		}
		if err := v.input(ctx, src, c); err != nil {
			return nil, err
		}
		if c.Empty() {
			ms.Empty = true
			say("contest %s: no ballot was counted: nothing to decrypt", rc.ID)
			out = append(out, ms)
			continue
		}
		if t := c.TurnAt(now); t.Mixer != 0 || len(c.Mixes) == 0 {
			ms.Waiting, ms.Mixer, ms.Deadline = true, t.Mixer, t.Deadline
			say("contest %s: the cascade is not over (%d mixes so far)", rc.ID, len(c.Mixes))
			out = append(out, ms)
			continue
		}
		sh, err := c.DecryptShares(ks)
		if err != nil {
			return nil, err
		}
		l, _ := c.Latest()
		if err := c.VerifyShares(sh, l); err != nil {
			return nil, fmt.Errorf("coord: internal error: own decryption shares do not verify: %w", err)
		}
		r, err := p.Submit(ctx, signed(id, election, record.TypeMixShare, sh.Marshal()))
		if err != nil {
			if errors.Is(err, ErrRejected) && seenAfterRefusal(ctx, v, src, func() bool {
				now := v.State.Cascades[rc.ID] // Update may give the view a new state
				if now != nil {
					c = now
				}
				return c.ResultIndex >= 0
			}) {
				ms.Late = true
				say("contest %s: its mix.result was posted meanwhile (entry %d): no decryption share needed", rc.ID, c.ResultIndex)
				out = append(out, ms)
				continue
			}
			return nil, fmt.Errorf("coord: posting the decryption shares of contest %s: %w", rc.ID, err)
		}
		ms.Entry = r.Index
		say("contest %s: decryption shares of the final list (%d ciphertexts) posted at entry %d", rc.ID, len(sh.Shares), r.Index)
		out = append(out, ms)
	}
	return out, nil
}

// closed brings v up to date and checks that the election is closed.
func (v *View) closed(ctx context.Context, src EntrySource) error {
	if err := v.Update(ctx, src, nil); err != nil {
		return err
	}
	if v.State.CloseIndex < 0 || v.State.MixConfig == nil {
		return fmt.Errorf("%w: the election is not closed", ErrNotReady)
	}
	return nil
}

// input gives cascade c its counted sequences from the trustee's own
// recount, if no mix needed them yet.
func (v *View) input(ctx context.Context, src EntrySource, c *cascade.Cascade) error {
	if c.HasInput() {
		return nil
	}
	r, err := v.Recount(ctx, src, v.State.CeremonyState, nil)
	if err != nil {
		return err
	}
	if err := c.SetInput(r.Ranked[c.Contest.ID]); err != nil {
		return fmt.Errorf("%w: %w", ErrRecord, err)
	}
	return nil
}

// RankedFromBoard reads the counted ballots (entries counted, increasing,
// all in [from, to)) from src and returns each ranked contest's counted
// sequences in board order (e2e/SPEC.md §16.1, rules.MixInput), page by
// page. The ballots are not verified again: the service admitted each.
func RankedFromBoard(ctx context.Context, src EntrySource, el *ballot.Election, from, to uint64, counted []uint64) (map[string][]mixnet.Sequence, error) {
	ids := rules.AwaitingMix(el.Manifest)
	out := make(map[string][]mixnet.Sequence, len(ids))
	for _, id := range ids {
		out[id] = []mixnet.Sequence{}
	}
	if len(ids) == 0 || len(counted) == 0 {
		return out, nil
	}
	k := 0
	for es, err := range Pages(ctx, src, from, to) {
		if err != nil {
			return nil, err
		}
		var page []*bulletin.Entry
		for _, e := range es {
			for k < len(counted) && counted[k] < e.Index {
				k++
			}
			if k < len(counted) && counted[k] == e.Index {
				page = append(page, e)
			}
		}
		for _, id := range ids {
			l, err := rules.MixInput(el, id, page)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrRecord, err)
			}
			out[id] = append(out[id], l...)
		}
	}
	if n := len(out[ids[0]]); n != len(counted) {
		return nil, fmt.Errorf("%w: found %d of %d counted ballots", ErrRecord, n, len(counted))
	}
	return out, nil
}
