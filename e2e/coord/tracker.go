package coord

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// A tracker follows one election's board for the server: the entries it
// streams to trustees and what the coordinator needs (ceremony messages,
// open and close, the latest ballot of each credential, decryption shares).
// It trusts the board's admission for what it records (the service checked
// every entry before appending it); the trustees and the verifier re-check
// everything.
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

	manifest  *ballot.Manifest
	params    *ceremony.Params
	start     time.Time // board time of ceremony.params (T0)
	cer       []ceremony.Posted
	cerResult int64 // index of ceremony.result, −1 if none
	open      int64 // index of election.open, −1
	close     int64 // index of election.close, −1
	latest    map[[32]byte]uint64
	shares    []ceremony.Posted
	result    int64    // index of tally.result, −1
	valid     []int    // trustees with a valid share (set by the coordinator)
	rejected  []string // rejected shares, named
	notes     []string

	// cache of the last replay
	replayN   int
	replayNow time.Time
	replay    *ceremony.State
}

func newTracker(election string) *tracker {
	return &tracker{election: election, changed: make(chan struct{}), cerResult: -1, open: -1, close: -1, result: -1, latest: map[[32]byte]uint64{}}
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

func posted(e *bulletin.Entry) ceremony.Posted {
	p := ceremony.Posted{Index: e.Index, Time: time.UnixMilli(e.Time), Type: e.Type, Payload: e.Payload}
	copy(p.Signature[:], e.Signature)
	return p
}

func (t *tracker) note(format string, args ...any) {
	if len(t.notes) < 100 {
		t.notes = append(t.notes, fmt.Sprintf(format, args...))
	}
}

// add records one entry; t.mu is held.
func (t *tracker) add(e *bulletin.Entry) {
	if Relevant(e.Type) {
		t.relevant = append(t.relevant, e)
	}
	switch e.Type {
	case record.TypeManifest:
		if t.manifest == nil {
			m, err := ballot.DecodeManifest(e.Payload)
			if err != nil {
				t.note("entry %d: manifest: %v", e.Index, err)
				return
			}
			t.manifest = m
		}
	case record.TypeCeremony:
		if t.params == nil {
			p, err := ceremony.ParseParams(e.Payload)
			if err != nil {
				t.note("entry %d: ceremony parameters: %v", e.Index, err)
				return
			}
			t.params, t.start = p, time.UnixMilli(e.Time)
		}
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		if t.params != nil && t.cerResult < 0 {
			t.cer = append(t.cer, posted(e))
		}
	case record.TypeCeremonyEnd:
		if t.cerResult < 0 {
			t.cerResult = int64(e.Index)
		}
	case record.TypeOpen:
		if t.open < 0 {
			t.open = int64(e.Index)
		}
	case record.TypeClose:
		if t.close < 0 && t.open >= 0 {
			t.close = int64(e.Index)
		}
	case record.TypeBallot:
		if t.open >= 0 && t.close < 0 {
			s, err := record.ParseSigner(e.Signer)
			if err != nil || s.Kind != record.Voter {
				t.note("entry %d: ballot without a voter signer", e.Index)
				return
			}
			t.latest[s.Key] = e.Index
		}
	case tally.TypeDecryptionShare:
		if t.close >= 0 {
			t.shares = append(t.shares, posted(e))
		}
	case tally.TypeResult:
		if t.result < 0 {
			t.result = int64(e.Index)
		}
	}
}

// ceremonyState replays the ceremony as of board time now; nil if there
// are no parameters yet. t.mu must not be held.
func (t *tracker) ceremonyState(now time.Time) *ceremony.State {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.params == nil {
		return nil
	}
	if t.replay != nil && t.replayN == len(t.cer) && (t.replay.Round == ceremony.RoundFinished || t.replayNow.Equal(now)) {
		return t.replay
	}
	t.replay = ceremony.Replay(t.params, t.start, slices.Clone(t.cer), now)
	t.replayN, t.replayNow = len(t.cer), now
	return t.replay
}

// counted returns the counted ballots (e2e/SPEC.md §11.6) once the
// election is closed.
func (t *tracker) counted() ([]uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.close < 0 {
		return nil, false
	}
	out := make([]uint64, 0, len(t.latest))
	for _, i := range t.latest {
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
