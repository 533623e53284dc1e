package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
)

// table is a key table in memory; reads counts the rows read from it.
type table struct {
	rows  []KeyRow
	reads int
}

func (t *table) read(from, to uint64) ([]KeyRow, error) {
	t.reads += int(to - from)
	return t.rows[from:min(to, uint64(len(t.rows)))], nil
}

func TestKeyIndexCandidates(t *testing.T) {
	tb := &table{}
	for i := range uint64(10) {
		tb.rows = append(tb.rows, KeyRow{Index: i, HashPrefix: 100 + i, KeyPrefix: 200 + i})
	}
	tb.rows[7].KeyPrefix = 103 // collides with entry 3's hash prefix
	tb.rows[8].HashPrefix = 103
	var ki KeyIndexes
	k := ki.Get("e")
	c, err := k.Candidates(10, tb.read, []uint64{103, 205, 999})
	require.NoError(t, err)
	require.Equal(t, [][]uint64{{3, 7, 8}, {5}, nil}, c)
	require.Equal(t, 10, tb.reads)

	// Below a smaller size only the entries below it are candidates.
	c, err = k.Candidates(8, tb.read, []uint64{103})
	require.NoError(t, err)
	require.Equal(t, [][]uint64{{3, 7}}, c)
	require.Equal(t, 10+8, tb.reads, "an index larger than the log is rebuilt")

	// Committed rows are added without reading; a gap is left to the next sync.
	h := bulletin.Hash{0, 0, 0, 0, 0, 0, 0, 50}
	k.Committed([]Row{{Entry: bulletin.Entry{Index: 8, Hash: h}, Key: bulletin.Hash{1}}})
	c, err = k.Candidates(9, tb.read, []uint64{50})
	require.NoError(t, err)
	require.Equal(t, [][]uint64{{8}}, c)
	require.Equal(t, 18, tb.reads)
	k.Committed([]Row{{Entry: bulletin.Entry{Index: 11, Hash: h}}})
	c, err = k.Candidates(10, tb.read, []uint64{50, 109})
	require.NoError(t, err)
	require.Equal(t, [][]uint64{{8}, {9}}, c)
	require.Equal(t, 19, tb.reads)

	// A key table short of the head is an error, not a silent miss.
	_, err = ki.Get("f").Candidates(11, tb.read, nil)
	require.True(t, errors.Is(err, ErrMissingKeys))
}

// BenchmarkKeyIndexLoad: loading the key index of a log of 10^6 entries
// from an in-memory key table, and the heap it holds.
func BenchmarkKeyIndexLoad(b *testing.B) {
	const n = 1_000_000
	tb := &table{rows: make([]KeyRow, n)}
	var seed [16]byte
	for i := range tb.rows {
		d := sha256.Sum256(seed[:])
		copy(seed[:], d[:16])
		tb.rows[i] = KeyRow{Index: uint64(i), HashPrefix: binary.BigEndian.Uint64(seed[:8]), KeyPrefix: binary.BigEndian.Uint64(seed[8:])}
	}
	var held float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var ki KeyIndexes
		if _, err := ki.Get("e").Candidates(n, tb.read, nil); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		held = float64(after.HeapAlloc-before.HeapAlloc) / 1e6
		runtime.KeepAlive(&ki)
	}
	b.ReportMetric(held, "MB-held")
}
