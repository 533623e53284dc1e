// Package store defines the small storage interface under the board
// (e2e/SPEC.md §8): a per-log serialised write transaction and plain
// reads. Stores keep bytes; every check (hashes, chain, tree) is the
// board's, so a store cannot make a wrong log look right.
package store

import (
	"context"
	"errors"

	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// Head is the state of one log after its last committed append.
type Head struct {
	Size uint64
	Last bulletin.Hash // hash of entry Size-1, zero when Size is 0
	Time int64         // time of entry Size-1
}

// Row is one entry as stored, with its submission key.
type Row struct {
	Entry bulletin.Entry
	Key   bulletin.Hash
}

// Found locates an entry found by its submission key.
type Found struct {
	Index uint64
	Hash  bulletin.Hash
}

// IndexedHash is one stored Merkle tree hash at its tlog stored-hash index.
type IndexedHash struct {
	Index int64
	Hash  tlog.Hash
}

// Batch is what one append transaction writes: new entries, the new
// stored tree hashes, the new head and the signed checkpoint of the new
// size. A store writes all of it or nothing.
type Batch struct {
	Rows       []Row
	Hashes     []IndexedHash
	Head       Head
	Checkpoint []byte
}

// Tx is a write transaction on one log. The store guarantees that at most
// one Tx per log is open at a time, across processes for stores shared by
// several processes.
type Tx interface {
	// Head returns the head as of the start of the transaction.
	Head() Head
	// FindKeys returns, for the submission keys already in the log, the
	// index and stored hash of their entry.
	FindKeys(ctx context.Context, keys []bulletin.Hash) (map[bulletin.Hash]Found, error)
	// ReadHashes returns stored tree hashes by tlog stored-hash index.
	ReadHashes(ctx context.Context, idx []int64) ([]tlog.Hash, error)
	// Checkpoint returns the stored checkpoint note of the given size.
	Checkpoint(ctx context.Context, size uint64) ([]byte, error)
	// Write stages the batch; it is durable once Update returns nil.
	Write(ctx context.Context, b *Batch) error
}

// Store is the storage of a board: many logs (one per election).
type Store interface {
	// Update runs fn in a serialised write transaction on log and commits
	// when fn returns nil. When Update returns nil the writes are durable.
	Update(ctx context.Context, log string, fn func(Tx) error) error
	// Head returns the committed head of log (zero for an unknown log).
	Head(ctx context.Context, log string) (Head, error)
	// Entries returns the stored rows' entries with start <= index < end, in
	// index order, exactly as stored.
	Entries(ctx context.Context, log string, start, end uint64) ([]bulletin.Entry, error)
	// IndexByHash returns the index of the entry with the given stored hash.
	IndexByHash(ctx context.Context, log string, h bulletin.Hash) (uint64, error)
	// ReadHashes returns stored tree hashes by stored-hash index; a missing
	// one is an error wrapping ErrNotFound.
	ReadHashes(ctx context.Context, log string, idx []int64) ([]tlog.Hash, error)
	// HashRange returns the stored tree hashes with start <= index < end,
	// in order; a missing one is an error wrapping ErrNotFound.
	HashRange(ctx context.Context, log string, start, end int64) ([]tlog.Hash, error)
	// LatestCheckpoint returns the checkpoint note of the largest size.
	LatestCheckpoint(ctx context.Context, log string) (size uint64, note []byte, err error)
	// UpdateCheckpoint replaces the note of the checkpoint of the given size
	// with fn(old), atomically.
	UpdateCheckpoint(ctx context.Context, log string, size uint64, fn func(old []byte) ([]byte, error)) error
	// Logs lists the logs that have at least one entry.
	Logs(ctx context.Context) ([]string, error)
	// Close releases the store.
	Close() error
}
