package store

import (
	"encoding/binary"
	"errors"
	"sync"

	"github.com/tabella-vote/tabella/bulletin"
)

// Prefix returns the first 8 bytes of h, big-endian: the key under which
// a [KeyIndex] files an entry hash or a submission key.
func Prefix(h bulletin.Hash) uint64 { return binary.BigEndian.Uint64(h[:8]) }

// A KeyIndex is one process's in-memory index of one log's entries by the
// 8-byte prefixes ([Prefix]) of their entry hashes and submission keys,
// both in one map. It only proposes candidates: a store resolves every
// candidate by reading the entry row and comparing the full 32 bytes, so
// a prefix collision (chance or ground by a submitter, about 2^32 work
// per pair) costs one more row read and never a wrong answer.
//
// The index replaces random-key B-tree indexes on the entries, which
// dirty one page per insert once the log outgrows them (see the store
// packages' documentation for the figures). It is rebuilt from the
// store's narrow, index-ordered key table (index, hash prefix, key
// prefix), and it follows appends by other processes: [KeyIndex.Sync]
// reads the rows past its size, inside the log's write transaction or
// before a read, so every process sees every committed entry.
type KeyIndex struct {
	mu   sync.Mutex
	size uint64              // entries [0, size) are indexed
	one  map[uint64]uint64   // prefix → index of the first entry with it
	more map[uint64][]uint64 // prefix → the further indexes, in order
}

// KeyRow is one entry as the key table stores it.
type KeyRow struct {
	Index      uint64
	HashPrefix uint64
	KeyPrefix  uint64
}

// KeyRows reads the key-table rows of entries from <= index < to, in
// index order. A store implements it over a transaction or a read.
type KeyRows func(from, to uint64) ([]KeyRow, error)

// KeyIndexes holds a store's key indexes, one per log.
type KeyIndexes struct {
	mu sync.Mutex
	m  map[string]*KeyIndex
}

// Get returns the key index of log, empty at first.
func (x *KeyIndexes) Get(log string) *KeyIndex {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.m == nil {
		x.m = map[string]*KeyIndex{}
	}
	k, ok := x.m[log]
	if !ok {
		k = &KeyIndex{one: map[uint64]uint64{}, more: map[uint64][]uint64{}}
		x.m[log] = k
	}
	return k
}

// keyReadChunk bounds the rows one Sync call asks read for at a time.
const keyReadChunk = 1 << 16

// Candidates brings the index up to size entries (reading the missing
// rows with read) and returns, for each prefix, the indexes of the
// entries below size whose entry hash or submission key has it.
func (k *KeyIndex) Candidates(size uint64, read KeyRows, prefixes []uint64) ([][]uint64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.sync(size, read); err != nil {
		return nil, err
	}
	out := make([][]uint64, len(prefixes))
	for i, p := range prefixes {
		if x, ok := k.one[p]; ok && x < size {
			out[i] = append(out[i], x)
			for _, y := range k.more[p] {
				if y < size {
					out[i] = append(out[i], y)
				}
			}
		}
	}
	return out, nil
}

// sync makes the index cover exactly [0, size). Entries never change once
// committed, so only the rows past k.size are read. An index larger than
// the log (the store was restored from an older copy under a running
// process) is dropped and rebuilt.
func (k *KeyIndex) sync(size uint64, read KeyRows) error {
	if k.size > size {
		k.size, k.one, k.more = 0, map[uint64]uint64{}, map[uint64][]uint64{}
	}
	for k.size < size {
		to := min(size, k.size+keyReadChunk)
		rows, err := read(k.size, to)
		if err != nil {
			return err
		}
		if uint64(len(rows)) != to-k.size {
			return ErrMissingKeys
		}
		for _, r := range rows {
			if r.Index != k.size {
				return ErrMissingKeys
			}
			k.add(r)
		}
	}
	return nil
}

// ErrMissingKeys reports a key table without a row for some entry below
// the head.
var ErrMissingKeys = errors.New("store: key table has no row for an entry below the head")

func (k *KeyIndex) add(r KeyRow) {
	k.put(r.HashPrefix, r.Index)
	k.put(r.KeyPrefix, r.Index)
	k.size = r.Index + 1
}

func (k *KeyIndex) put(p, idx uint64) {
	if x, ok := k.one[p]; !ok {
		k.one[p] = idx
	} else if x != idx {
		k.more[p] = append(k.more[p], idx)
	}
}

// Committed records rows that a transaction has just committed. Rows the
// index already holds are skipped; rows after a gap are left to the next
// sync, which reads them from the store.
func (k *KeyIndex) Committed(rows []Row) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i := range rows {
		e := &rows[i].Entry
		switch {
		case e.Index < k.size:
			continue
		case e.Index > k.size:
			return
		}
		k.add(KeyRow{Index: e.Index, HashPrefix: Prefix(e.Hash), KeyPrefix: Prefix(rows[i].Key)})
	}
}
