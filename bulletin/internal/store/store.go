// Package store defines the small storage interface under the board
// (e2e/SPEC.md §8): a per-log serialised write transaction and plain
// reads. Stores keep bytes; every check (hashes, chain, tree) is the
// board's, so a store cannot make a wrong log look right.
//
// # Schema: append-only tables, lookups in memory
//
// Both stores (sqlitestore, pgstore) keep the same tables, and every one
// of them is written in key order, so an append only touches the right
// edge of each B-tree: entries, the key table (entry index, 8-byte
// prefixes of the entry hash and of the submission key) and the Merkle
// tree hashes by (log, index); the head; the checkpoints by (log, size).
// The two lookups by a random key, an entry by its hash and a submission
// by its idempotence key, go through a [KeyIndex]: a per-process map from
// 8-byte prefixes to entry indexes, loaded from the key table on a log's
// first lookup and synced inside the log's write transaction, with every
// candidate resolved by reading its entry row and comparing all 32 bytes.
//
// The first schema had unique B-tree indexes on (log, hash) and (log,
// subkey). A random key dirties a different leaf page per insert once the
// index outgrows the batch, so the bytes written per append grew with the
// log: on SQLite, with 256 writers and 2 KiB payloads, the profile at 10^6
// entries spent 38% of the time in WAL checkpoints writing those pages
// back. Measured against the fsync floor of the same run (one fsync'd
// SQLite transaction per batch of 256 rows of 2 KiB into a plain table,
// BenchmarkAppendAtSize in bulletin/board, 20 000 appends per run;
// medians of three runs on a 2-core machine shared with other jobs,
// ratio = appends/s ÷ floor, higher is better):
//
//	store       entries   first schema   this schema
//	SQLite      10^3      0.18           0.38
//	SQLite      10^5      0.12           0.36
//	SQLite      10^6      0.14           0.40
//	PostgreSQL  10^3      0.29           0.50
//	PostgreSQL  10^5      0.24           0.38
//	PostgreSQL  10^6      0.27           0.34
//
// Shorter prefix indexes would not have flattened the curve: an 8-byte
// key still lands on a random leaf, one dirty page per insert. The key
// index costs memory instead, about 76 MB per 10^6 entries of a log per
// process (BenchmarkKeyIndexLoad in this package), and a load on a log's
// first lookup (at 10^6 entries 2.3 s from SQLite and 4.6 s from
// PostgreSQL, BenchmarkAppendAtSize's load-s, medians of three); a
// grinder needs about 2^32 hashes per prefix collision, and a collision
// costs one more row read, never a wrong answer.
//
// The rest of the gap to the floor is the group commit's serial path:
// the append transaction's own CPU (entry and tree hashes, the checkpoint
// signature, SQL encoding) runs while no fsync is in flight. Batches
// form by themselves (with 256 writers, two cohorts of about 128 take
// turns: one is being committed while the other queues); waiting for
// larger batches was measured and lost (256 writers: no gain; 16 writers:
// 0.19 of the floor instead of 0.33).
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
