package coord

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// A tracker follows one election's board for the server: the entries it
// streams to trustees, and the election's state, which the coordinator
// reads (ceremony messages, open and close, the latest ballot of each
// credential, decryption shares). The state is the rule book's
// (e2e/rules), folded over the board as entries already admitted
// (rules.Pre.Replay: the service checked each before appending it); the
// trustees and the verifier re-check everything.
type tracker struct {
	election string
	// guarded by Coordinator.mu: connections using the tracker, and
	// whether the coordinator keeps it regardless (Run, Status)
	conns  int
	pinned bool

	mu       sync.Mutex
	updating sync.Mutex // serialises reads of the board
	next     uint64     // entries read
	changed  chan struct{}
	relevant []*bulletin.Entry // entries of Relevant types, in index order

	st       *rules.State
	valid    []int    // trustees with a valid share (set by the coordinator)
	rejected []string // rejected shares, named
	notes    []string

	// cache of the last replay
	replayN   int
	replayNow time.Time
	replay    *ceremony.State
}

func newTracker(election string) *tracker {
	return &tracker{election: election, changed: make(chan struct{}), st: rules.New(rules.Config{Election: election})}
}

// changedCh returns a channel closed when the tracker next reads entries.
func (t *tracker) changedCh() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.changed
}

func (t *tracker) size() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.next
}

// update reads the entries appended since the last update.
func (t *tracker) update(ctx context.Context, b Backend) error {
	t.updating.Lock()
	defer t.updating.Unlock()
	for {
		t.mu.Lock()
		next := t.next
		t.mu.Unlock()
		es, err := b.Entries(ctx, t.election, next, next+bulletin.MaxPage)
		if err != nil {
			return fmt.Errorf("coord: reading %s from entry %d: %w", t.election, next, err)
		}
		if len(es) == 0 {
			return nil
		}
		t.mu.Lock()
		for _, e := range es {
			if e.Index != t.next {
				t.mu.Unlock()
				return fmt.Errorf("coord: %s: board returned entry %d where %d belongs", t.election, e.Index, t.next)
			}
			t.add(e)
			t.next++
		}
		close(t.changed)
		t.changed = make(chan struct{})
		t.mu.Unlock()
	}
}

func (t *tracker) note(format string, args ...any) {
	if len(t.notes) < 100 {
		t.notes = append(t.notes, fmt.Sprintf(format, args...))
	}
}

// add folds one entry into the state; t.mu is held.
func (t *tracker) add(e *bulletin.Entry) {
	if Relevant(e.Type) {
		t.relevant = append(t.relevant, e)
	}
	if e.Index == 0 {
		st, err := rules.ForSetup(e)
		if err != nil {
			t.note("%v", err)
			t.st.Skip(e)
			return
		}
		t.st = st
	}
	if err := t.st.Apply(e, &rules.Pre{Replay: true}); err != nil {
		t.note("%v", err)
		t.st.Skip(e)
	}
}

// ceremonyState replays the ceremony as of board time now; nil if there
// are no parameters yet. t.mu must not be held.
func (t *tracker) ceremonyState(now time.Time) *ceremony.State {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.st
	if st.Params == nil {
		return nil
	}
	if t.replay != nil && t.replayN == len(st.CeremonyMsgs) && (t.replay.Round == ceremony.RoundFinished || t.replayNow.Equal(now)) {
		return t.replay
	}
	t.replay = ceremony.Replay(st.Params, st.ParamsTime, slices.Clone(st.CeremonyMsgs), now)
	t.replayN, t.replayNow = len(st.CeremonyMsgs), now
	return t.replay
}

// counted returns the counted ballots (e2e/SPEC.md §11.6) once the
// election is closed.
func (t *tracker) counted() ([]uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.st.CloseIndex < 0 {
		return nil, false
	}
	out := make([]uint64, 0, len(t.st.Latest))
	for _, i := range t.st.Latest {
		out = append(out, i)
	}
	slices.Sort(out)
	return out, true
}

// relevantFrom returns the relevant entries with index ≥ from among those
// read so far, and the number of entries read.
func (t *tracker) relevantFrom(from uint64) ([]*bulletin.Entry, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, _ := slices.BinarySearchFunc(t.relevant, from, func(e *bulletin.Entry, f uint64) int {
		switch {
		case e.Index < f:
			return -1
		case e.Index > f:
			return 1
		}
		return 0
	})
	return slices.Clone(t.relevant[i:]), t.next
}
