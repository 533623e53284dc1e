package coord

import (
	"context"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
)

// A Submission is an entry to put on the board: its type, payload, signer
// field (e2e/SPEC.md §11.1) and signature.
type Submission struct {
	Type      string
	Payload   []byte
	Signer    []byte
	Signature []byte
}

// Backend is what the trustee handler and the [Coordinator] need from the
// election service. The service implements it over its board and its
// admission rules; tests implement it over a bulletin/board Board.
type Backend interface {
	// Submit puts s on election's board if the election's rules admit it
	// (signature, signer allowed for the type, order of e2e/SPEC.md §11.2)
	// and returns its receipt once it is durable. A repeated submission
	// returns the first entry's receipt. A refusal should wrap
	// [ErrRejected] (its message is shown to the trustee; it must not hold
	// secrets); other errors are reported as unavailable.
	Submit(ctx context.Context, election string, s Submission) (*bulletin.Receipt, error)
	// Entries returns the entries start ≤ index < end of election's log
	// (fewer at the end of the log; an empty list at its end).
	Entries(ctx context.Context, election string, start, end uint64) ([]*bulletin.Entry, error)
	// Wait returns nil once election's log holds more than size entries,
	// or ctx's error. It may return nil early (spuriously).
	Wait(ctx context.Context, election string, size uint64) error
	// Now is the board's clock: the time the board stamps on entries.
	Now() time.Time
	// SignBoard signs an entry as the board (record.Sign(record.Board, …))
	// and returns the signer and signature fields.
	SignBoard(election, typ string, payload []byte) (signer, signature []byte, err error)
}
