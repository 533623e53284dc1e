package board

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
)

// rawSQL runs statements on the store's database without opening a store
// (which would migrate it). Placeholders are written "?" for both.
func rawSQL(t *testing.T, dsn string, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
		require.NoError(t, err)
		defer db.Close()
		for _, q := range stmts {
			_, err := db.ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
		return
	}
	c, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer c.Close(ctx)
	for _, q := range stmts {
		_, err := c.Exec(ctx, q)
		require.NoError(t, err, q)
	}
}

// rawCount returns the integer result of a query run without a store.
func rawCount(t *testing.T, dsn, q string) int64 {
	t.Helper()
	ctx := context.Background()
	var n int64
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		db, err := sql.Open("sqlite", "file:"+path)
		require.NoError(t, err)
		defer db.Close()
		require.NoError(t, db.QueryRowContext(ctx, q).Scan(&n), q)
		return n
	}
	c, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer c.Close(ctx)
	require.NoError(t, c.QueryRow(ctx, q).Scan(&n), q)
	return n
}

// appendReceipts appends sub(0), …, sub(n-1) to log "e", one call each,
// and returns their receipts.
func appendReceipts(t *testing.T, b *Board, n int) []*bulletin.Receipt {
	t.Helper()
	var out []*bulletin.Receipt
	for i := range n {
		r, err := b.Append(context.Background(), "e", sub(i))
		require.NoError(t, err)
		out = append(out, r[0])
	}
	return out
}

// oldIndexes counts the first schema's random-key indexes on the entries.
func oldIndexes(t *testing.T, dsn string) int64 {
	if strings.HasPrefix(dsn, "sqlite:") {
		return rawCount(t, dsn, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('board_entries_hash', 'board_entries_subkey')")
	}
	return rawCount(t, dsn, "SELECT (to_regclass('board_entries_hash') IS NOT NULL)::int + (to_regclass('board_entries_subkey') IS NOT NULL)::int")
}

// TestMigrateFirstSchema: a database made by the first schema (unique
// indexes on (log, hash) and (log, subkey), no key table) opens, is
// migrated on open, and keeps every semantic: the chain checks, an old
// submission retried gets its first receipt, entries are found by hash,
// and appends continue the chain.
func TestMigrateFirstSchema(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		first := appendReceipts(t, b, 20)
		appendN(t, b, "f", 0, 3)
		require.NoError(t, b.Close())
		// Turn it into the first schema's database.
		rawSQL(t, dsn,
			"DROP TABLE board_keys",
			"CREATE UNIQUE INDEX board_entries_hash ON board_entries(log, hash)",
			"CREATE UNIQUE INDEX board_entries_subkey ON board_entries(log, subkey)")
		require.EqualValues(t, 2, oldIndexes(t, dsn))

		b = openBoard(t, dsn, k) // checks every log
		require.EqualValues(t, 0, oldIndexes(t, dsn))
		require.EqualValues(t, 23, rawCount(t, dsn, "SELECT count(*) FROM board_keys"))
		for i, want := range first {
			r, err := b.Append(ctx, "e", sub(i))
			require.NoError(t, err)
			require.Equal(t, want.Index, r[0].Index, "retry of submission %d", i)
			require.Equal(t, want.EntryHash, r[0].EntryHash)
			e, err := b.EntryByHash(ctx, "e", want.EntryHash)
			require.NoError(t, err)
			require.Equal(t, want.Index, e.Index)
		}
		r, err := b.Append(ctx, "e", sub(20))
		require.NoError(t, err)
		require.EqualValues(t, 20, r[0].Index)
		require.NoError(t, b.Check(ctx, "e"))
		require.NoError(t, b.Check(ctx, "f"))
	})
}

// TestKeyPrefixCollision: the key index only proposes candidates by 8-byte
// prefix. Forcing every entry's prefixes to entry 0's in the key table
// (which a fresh process loads) makes every lookup of entry 0 see eight
// candidates: the answer must still be entry 0, found by comparing the
// full 32 bytes, and a hash sharing only the prefix must not be found.
func TestKeyPrefixCollision(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		rs := appendReceipts(t, b, 8)
		require.NoError(t, b.Close())
		execSQL(t, dsn, "UPDATE board_keys SET hp = (SELECT hp FROM board_keys WHERE idx = 0), kp = (SELECT kp FROM board_keys WHERE idx = 0)")

		b = openBoard(t, dsn, k)
		e, err := b.EntryByHash(ctx, "e", rs[0].EntryHash)
		require.NoError(t, err)
		require.EqualValues(t, 0, e.Index)
		r, err := b.Append(ctx, "e", sub(0))
		require.NoError(t, err)
		require.EqualValues(t, 0, r[0].Index, "retry of submission 0")
		near := rs[0].EntryHash
		near[31] ^= 1
		_, err = b.EntryByHash(ctx, "e", near)
		require.ErrorIs(t, err, ErrNotFound)
		r, err = b.Append(ctx, "e", sub(100))
		require.NoError(t, err)
		require.EqualValues(t, 8, r[0].Index)
	})
}
