package store

import (
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Frontier returns the stored-hash indexes of the complete subtrees that
// make up a Merkle tree of n leaves (largest first): all an append needs
// from the old tree to compute the new tree hashes and root.
func Frontier(n uint64) []int64 {
	var out []int64
	start := int64(0)
	for l := 62; l >= 0; l-- {
		if n&(1<<l) != 0 {
			out = append(out, tlog.StoredHashIndex(l, start>>l))
			start += 1 << l
		}
	}
	return out
}

// FrontierCaches keeps, per log, the stored tree hashes of the frontier
// of the last committed head this process knows, so that an append by
// the process that made the previous one needs no round trip to read
// them. A stored hash never changes once committed (the log only grows),
// so a cached hash stays right whoever appends next; the cache only ever
// holds hashes read from committed rows or written by a committed
// transaction, and at most the ~log2(size) hashes of one frontier per log.
// The zero value is ready to use.
type FrontierCaches struct {
	mu sync.Mutex
	m  map[string]map[int64]tlog.Hash
}

// Get fills out[i] with the cached hash of idx[i] where there is one and
// returns the positions it could not fill.
func (f *FrontierCaches) Get(log string, idx []int64, out []tlog.Hash) (miss []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.m[log]
	for i, x := range idx {
		if h, ok := c[x]; ok {
			out[i] = h
		} else {
			miss = append(miss, i)
		}
	}
	return miss
}

// Committed records that a transaction on log committed with a head of
// size leaves, having read or written the stored hashes hs: the cache of
// log becomes the frontier of that size, from the old cache and hs.
func (f *FrontierCaches) Committed(log string, size uint64, hs []IndexedHash) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]map[int64]tlog.Hash{}
	}
	old := f.m[log]
	front := Frontier(size)
	want := make(map[int64]bool, len(front))
	for _, x := range front {
		want[x] = true
	}
	c := make(map[int64]tlog.Hash, len(front))
	for x, h := range old {
		if want[x] {
			c[x] = h
		}
	}
	for _, h := range hs {
		if want[h.Index] {
			c[h.Index] = h.Hash
		}
	}
	f.m[log] = c
}

// Forget drops the cache of log (after a failed commit, whose writes may
// or may not have persisted; hashes read before it stay right, but
// dropping them is simpler than sorting them out).
func (f *FrontierCaches) Forget(log string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, log)
}
