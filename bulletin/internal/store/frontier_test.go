package store

import (
	"crypto/sha256"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"
)

// hashStore is a tlog.HashReader over a map, for building trees here.
type hashStore map[int64]tlog.Hash

func (h hashStore) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = h[x]
	}
	return out, nil
}

func TestFrontierCaches(t *testing.T) {
	hs := hashStore{}
	var f FrontierCaches
	for n := int64(0); n < 300; n++ {
		// The frontier of n leaves is one subtree per set bit, and the
		// root computed from it alone is the tree's.
		front := Frontier(uint64(n))
		require.Len(t, front, bits.OnesCount64(uint64(n)))
		if n > 0 {
			out := make([]tlog.Hash, len(front))
			miss := f.Get("e", front, out)
			require.Empty(t, miss, "size %d: the cache holds the whole frontier after each commit", n)
			only := hashStore{}
			for i, x := range front {
				require.Equal(t, hs[x], out[i])
				only[x] = out[i]
			}
			want, err := tlog.TreeHash(n, hs)
			require.NoError(t, err)
			got, err := tlog.TreeHash(n, only)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
		// Append leaf n and commit what the append wrote.
		leaf := sha256.Sum256([]byte{byte(n), byte(n >> 8)})
		news, err := tlog.StoredHashes(n, leaf[:], hs)
		require.NoError(t, err)
		var written []IndexedHash
		base := tlog.StoredHashIndex(0, n)
		for k, h := range news {
			hs[base+int64(k)] = h
			written = append(written, IndexedHash{Index: base + int64(k), Hash: h})
		}
		f.Committed("e", uint64(n+1), written)
	}
	// Other logs are separate; Forget empties a log's cache.
	out := make([]tlog.Hash, 1)
	assert.Equal(t, []int{0}, f.Get("other", Frontier(1), out))
	f.Forget("e")
	assert.Len(t, f.Get("e", Frontier(299), make([]tlog.Hash, len(Frontier(299)))), len(Frontier(299)))
}
