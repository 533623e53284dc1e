package service

import (
	"context"
	"slices"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/rules"
)

// Phases of an election, as the read API reports them (the rule book's).
const (
	PhaseEmpty   = rules.PhaseEmpty
	PhaseSetup   = rules.PhaseSetup
	PhaseOpen    = rules.PhaseOpen
	PhaseClosed  = rules.PhaseClosed
	PhaseTallied = rules.PhaseTallied
)

// newState returns the rule book's state of an empty board of this
// service (e2e/rules): what the service knows of one election is exactly
// what its board says, folded through the same rules the verifier runs.
func (s *Service) newState(id string) *rules.State {
	return rules.New(rules.Config{Election: id, BoardName: s.name, BoardKey: s.vkey, BoardPub: [32]byte(s.boardPub)})
}

// counted returns the entry indexes of the counted ballots, in board
// order (e2e/SPEC.md §11.6).
func counted(st *rules.State) []uint64 {
	idx := make([]uint64, 0, len(st.Latest))
	for _, i := range st.Latest {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return idx
}

// entrySource reads one election's entries from the service's board
// (coord.EntrySource).
type entrySource struct {
	s  *Service
	id string
}

func (r entrySource) Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
	return r.s.b.Entries(ctx, r.id, start, end)
}
