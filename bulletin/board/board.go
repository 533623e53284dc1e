// Package board is the server side of Tabella's bulletin board
// (e2e/SPEC.md §8): a [Board] appends entries to per-election logs in a
// [store], batching concurrent appends into one transaction (group commit),
// signs a checkpoint per batch, returns receipts, serves verified reads and
// proofs, accepts witness cosignatures, and exposes all of it over HTTP and
// websocket ([NewHandler]).
//
// # Stores
//
// [Open] takes a data source name: "sqlite:PATH" for the embedded store (one
// SQLite file in WAL mode, pure Go) or a "postgres://…" URL for PostgreSQL,
// where several processes may append to the same logs concurrently: appends
// are serialised in the database (a row lock on the log's head), not in
// process memory.
//
// # Crash ordering
//
// An append is acknowledged (its receipt returned) only after the store's
// transaction holding the entry, its tree hashes, the new head and the
// checkpoint of the new size has committed durably. A crash before the
// commit loses the whole batch and nobody was told it was appended; a crash
// after it loses nothing. On open the board re-checks every log completely
// (hashes, chain, tree, checkpoint signature) and refuses to start on any
// mismatch, naming the entry.
//
// [store]: github.com/tabella-vote/tabella/bulletin/internal/store
package board

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/pgstore"
	"github.com/tabella-vote/tabella/bulletin/internal/sqlitestore"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"golang.org/x/mod/sumdb/note"
)

// Errors of the board. The HTTP layer maps them to status codes in one
// place ([NewHandler]).
var (
	// ErrNotFound: no such election, entry, checkpoint or size.
	ErrNotFound = errors.New("board: not found")
	// ErrBadRequest: a malformed submission or query.
	ErrBadRequest = errors.New("board: bad request")
	// ErrTooLarge: a submission over the board's limits.
	ErrTooLarge = errors.New("board: too large")
	// ErrRejected: a cosignature that does not verify or does not match.
	ErrRejected = errors.New("board: rejected")
	// ErrCorrupt: the store does not hold a valid log; the message names the
	// entry. It wraps [bulletin.ErrInvalidEntry] when an entry is at fault.
	ErrCorrupt = errors.New("board: store is corrupt")
	// ErrClosed: the board was closed.
	ErrClosed = errors.New("board: closed")
)

// Options configure a board.
type Options struct {
	// Signer is the board's Ed25519 note key. Its name is the board name,
	// the prefix of every checkpoint origin (bulletin.Origin).
	Signer note.Signer
	// Verifier is the public key of Signer.
	Verifier note.Verifier
	// Witnesses are the cosigners whose cosignatures the board accepts.
	Witnesses []note.Verifier
	// MaxPayload bounds payloads; default 1 MiB, at most
	// bulletin.MaxPayloadSize.
	MaxPayload int
	// MaxBatch bounds the submissions of one group commit; default 1024.
	MaxBatch int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Progress, if set, is called during the chain check on open.
	Progress func(election string, done, total uint64)
	// PollInterval is how often websocket feeds look for entries appended
	// by other processes; default 1 s.
	PollInterval time.Duration
	// Admit, if set, decides inside each append transaction which new
	// submissions may be appended (see [AdmitFunc]).
	Admit AdmitFunc
}

// A Submission is what a client asks the board to append. The board does
// not verify Signer and Signature: the service above does, before calling
// [Board.Append].
type Submission struct {
	Type      string
	Payload   []byte
	Signer    []byte
	Signature []byte
}

// Board is a bulletin board over a store. It is safe for concurrent use.
type Board struct {
	st   store.Store
	opts Options
	name string

	mu        sync.Mutex
	appenders map[string]*appender
	notify    map[string]chan struct{}
	closed    bool
	done      chan struct{}
	wg        sync.WaitGroup

	// commits and committed count group commits and the submissions they
	// carried, for the benchmarks' mean batch size.
	commits, committed atomic.Int64
}

// Open opens the store named by dsn ("sqlite:PATH" or "postgres://…"),
// checks every log in it and returns a board.
func Open(ctx context.Context, dsn string, opts Options) (*Board, error) {
	st, err := OpenStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	b, err := newBoard(ctx, st, opts)
	if err != nil {
		st.Close()
		return nil, err
	}
	return b, nil
}

// OpenStore opens the store named by dsn without a board on top.
func OpenStore(ctx context.Context, dsn string) (store.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlitestore.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return pgstore.Open(ctx, dsn)
	}
	return nil, fmt.Errorf("%w: store must be sqlite:PATH or postgres://…", ErrBadRequest)
}

func newBoard(ctx context.Context, st store.Store, opts Options) (*Board, error) {
	return newBoardChecked(ctx, st, opts, true)
}

// newBoardChecked is newBoard with the start-up check optional, for
// benchmarks that measure it separately.
func newBoardChecked(ctx context.Context, st store.Store, opts Options, check bool) (*Board, error) {
	if opts.Signer == nil || opts.Verifier == nil {
		return nil, fmt.Errorf("%w: board needs a signer and its verifier", ErrBadRequest)
	}
	name := opts.Signer.Name()
	if !bulletin.ValidBoardName(name) || opts.Verifier.Name() != name || opts.Verifier.KeyHash() != opts.Signer.KeyHash() {
		return nil, fmt.Errorf("%w: board signer and verifier do not match or the name is invalid", ErrBadRequest)
	}
	probe := bulletin.Checkpoint{Origin: name, Size: 1}
	msg, err := bulletin.SignCheckpoint(probe, opts.Signer)
	if err != nil {
		return nil, fmt.Errorf("board: signer: %w", err)
	}
	if _, err := note.Open(msg, note.VerifierList(opts.Verifier)); err != nil {
		return nil, fmt.Errorf("%w: verifier does not verify the signer's signatures", ErrBadRequest)
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = 1 << 20
	}
	if opts.MaxPayload > bulletin.MaxPayloadSize {
		return nil, fmt.Errorf("%w: MaxPayload over %d", ErrBadRequest, bulletin.MaxPayloadSize)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1024
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	b := &Board{st: st, opts: opts, name: name, appenders: map[string]*appender{}, notify: map[string]chan struct{}{}, done: make(chan struct{})}
	logs, err := st.Logs(ctx)
	if err != nil {
		return nil, fmt.Errorf("board: %w", err)
	}
	if !check {
		logs = nil
	}
	for _, l := range logs {
		if err := b.Check(ctx, l); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Name returns the board name (its note key name).
func (b *Board) Name() string { return b.name }

// Verifier returns the board's public note key.
func (b *Board) Verifier() note.Verifier { return b.opts.Verifier }

// Close stops the appenders (pending appends fail with ErrClosed) and
// closes the store.
func (b *Board) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	b.mu.Unlock()
	b.wg.Wait()
	return b.st.Close()
}

// changed returns a channel closed at the next append to election in this
// process.
func (b *Board) changed(election string) <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch, ok := b.notify[election]
	if !ok {
		ch = make(chan struct{})
		b.notify[election] = ch
	}
	return ch
}

func (b *Board) broadcast(election string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch, ok := b.notify[election]; ok {
		close(ch)
		delete(b.notify, election)
	}
}
