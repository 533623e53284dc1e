// Package pgstore is the board's PostgreSQL store, through pgx/v5, for
// deployments where several server processes append to one database.
// Appends to a log are serialised in the database, not in process memory:
// each write transaction first locks the log's row in the heads table
// (SELECT … FOR UPDATE), so the chain stays linear whichever process
// appends. The stored tree hashes and checkpoints live in the database too,
// so any process can serve proofs and the latest checkpoint
// (e2e/SPEC.md §8).
//
// # Round trips
//
// The board's group commit is serial per log, so every round trip of an
// append transaction is time in which no other batch of that log can
// proceed. An append takes two in the common case: BEGIN and the head
// lock, pipelined; then the batch's statements (one INSERT … SELECT FROM
// unnest(arrays) per table, the head update, the checkpoint) and the
// COMMIT, pipelined. The tree frontier the append needs is cached in
// process ([store.FrontierCaches]: stored hashes never change once
// committed), and the key index is in memory, so neither needs a read.
// BenchmarkFloor in this package measures what the server allows for
// the same rows; the rest of the gap is the server's own work for the
// five tables (the entry insert is most of it) while the appender waits.
// With 256 writers and 2 KiB payloads (BenchmarkAppend in bulletin/board,
// 2-core machine, idle), the five or six round trips before this layout
// gave 9 450–9 690 appends/s and these two 13 680–14 100 (three runs
// each, old and new alternated); on the loaded machine the timing split
// of a ~130-entry batch was about 4 ms for the lock, 1.5 ms of the
// board's own work and 25 ms for the writes and the commit.
package pgstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"golang.org/x/mod/sumdb/tlog"
)

const schema = `
CREATE TABLE IF NOT EXISTS board_heads (
	log TEXT PRIMARY KEY,
	size BIGINT NOT NULL,
	last BYTEA NOT NULL,
	time BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS board_entries (
	log TEXT NOT NULL,
	idx BIGINT NOT NULL,
	type TEXT NOT NULL,
	time BIGINT NOT NULL,
	prev BYTEA NOT NULL,
	payload BYTEA NOT NULL,
	signer BYTEA NOT NULL,
	signature BYTEA NOT NULL,
	hash BYTEA NOT NULL,
	subkey BYTEA NOT NULL,
	PRIMARY KEY (log, idx)
);
CREATE TABLE IF NOT EXISTS board_keys (
	log TEXT NOT NULL,
	idx BIGINT NOT NULL,
	hp BYTEA NOT NULL,
	kp BYTEA NOT NULL,
	PRIMARY KEY (log, idx)
);
CREATE TABLE IF NOT EXISTS board_hashes (
	log TEXT NOT NULL,
	sidx BIGINT NOT NULL,
	hash BYTEA NOT NULL,
	PRIMARY KEY (log, sidx)
);
CREATE TABLE IF NOT EXISTS board_checkpoints (
	log TEXT NOT NULL,
	size BIGINT NOT NULL,
	note BYTEA NOT NULL,
	PRIMARY KEY (log, size)
);
`

// migrate turns a database made by the first schema, whose entries had
// unique indexes on (log, hash) and (log, subkey), into the current one:
// it fills the key table from the entries (rows already there are kept)
// and drops the two indexes, in the transaction that creates the schema.
const migrate = `
INSERT INTO board_keys (log, idx, hp, kp)
	SELECT log, idx, substring(hash from 1 for 8), substring(subkey from 1 for 8) FROM board_entries
	ON CONFLICT DO NOTHING;
DROP INDEX IF EXISTS board_entries_hash;
DROP INDEX IF EXISTS board_entries_subkey;
`

// schemaLock is the advisory lock key that serialises schema creation
// between processes starting at the same time.
const schemaLock = 0x7461_6265_6c6c_61

// Store is a PostgreSQL board store.
type Store struct {
	pool  *pool
	keys  store.KeyIndexes
	front store.FrontierCaches
}

// Open connects to the database at the postgres:// URL dsn and creates the
// tables if needed.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errors.New("pgstore: malformed connection string") // the DSN may hold a password
	}
	s := &Store{pool: newPool(cfg, 8)}
	err = s.pool.with(ctx, func(c *pgx.Conn) error {
		return pgx.BeginFunc(ctx, c, func(t pgx.Tx) error {
			if _, err := t.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(schemaLock)); err != nil {
				return err
			}
			if _, err := t.Exec(ctx, schema); err != nil {
				return err
			}
			var old bool
			if err := t.QueryRow(ctx, "SELECT to_regclass('board_entries_subkey') IS NOT NULL OR to_regclass('board_entries_hash') IS NOT NULL").Scan(&old); err != nil {
				return err
			}
			if old {
				if _, err := t.Exec(ctx, migrate); err != nil {
					return fmt.Errorf("migrate: %w", err)
				}
			}
			return nil
		})
	})
	if err != nil {
		s.pool.close()
		return nil, fmt.Errorf("pgstore: create schema: %w", err)
	}
	return s, nil
}

// Exec runs one statement, for tests that tamper with rows.
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	return s.pool.with(ctx, func(c *pgx.Conn) error { _, err := c.Exec(ctx, sql, args...); return err })
}

// Close closes the connections.
func (s *Store) Close() error { s.pool.close(); return nil }

type tx struct {
	c    *pgx.Conn
	log  string
	head store.Head
	keys *store.KeyIndex
	rows []store.Row // written by Write, for the key index after commit
	// front caches the tree frontier; hashes are the stored hashes read
	// or written by this transaction and size the head it writes, for
	// the cache once it has committed.
	front  *store.FrontierCaches
	hashes []store.IndexedHash
	size   uint64
	// staged holds Write's statements until the commit, which goes in
	// the same round trip (what lists them, for errors).
	staged *pgx.Batch
	what   []string
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, log string, fn func(store.Tx) error) error {
	ki := s.keys.Get(log)
	var w *tx
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		w = &tx{c: c, log: log, keys: ki, front: &s.front}
		return update(ctx, w, fn)
	})
	if err != nil {
		s.front.Forget(log)
		return err
	}
	// Only committed rows enter the key index; after a failed commit
	// (which may have persisted) the next sync reads them back.
	ki.Committed(w.rows)
	s.front.Committed(log, w.size, w.hashes)
	return nil
}

// update runs fn in transaction w, in two round trips when fn only reads
// the head, the key index and the cached tree frontier: BEGIN with the
// head lock, and Write's statements with the COMMIT.
func update(ctx context.Context, w *tx, fn func(store.Tx) error) (err error) {
	c, log := w.c, w.log
	defer func() {
		if err != nil && c.PgConn().TxStatus() != 'I' && !c.IsClosed() {
			// Failed or aborted: roll back (the pool closes a connection
			// left in a transaction).
			_, _ = c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	// Serialise appends to this log across processes: lock the head row
	// until commit, creating it first on the log's first append. BEGIN
	// and the lock go in one pipelined batch.
	var h store.Head
	var size int64
	var last []byte
	var q pgx.Batch
	q.Queue("BEGIN")
	q.Queue("SELECT size, last, time FROM board_heads WHERE log = $1 FOR UPDATE", log)
	br := c.SendBatch(ctx, &q)
	_, err = br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&size, &last, &h.Time)
	}
	if cerr := br.Close(); err == nil || (errors.Is(err, pgx.ErrNoRows) && cerr != nil) {
		err = cerr
	}
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := c.Exec(ctx, "INSERT INTO board_heads (log, size, last, time) VALUES ($1, 0, $2, 0) ON CONFLICT (log) DO NOTHING", log, make([]byte, 32)); err != nil {
			return fmt.Errorf("pgstore: create head of %s: %w", log, err)
		}
		err = c.QueryRow(ctx, "SELECT size, last, time FROM board_heads WHERE log = $1 FOR UPDATE", log).Scan(&size, &last, &h.Time)
	}
	if err != nil {
		return fmt.Errorf("pgstore: lock head of %s: %w", log, err)
	}
	if size < 0 || len(last) != bulletin.HashSize {
		return fmt.Errorf("pgstore: malformed head row of %s", log)
	}
	h.Size = uint64(size)
	copy(h.Last[:], last)
	w.head, w.size = h, h.Size
	if err := fn(w); err != nil {
		return err
	}
	// The staged writes and the commit in one round trip. With
	// synchronous_commit=on (the default) COMMIT returns after the WAL is
	// flushed, and only then does the board acknowledge the appends.
	if w.staged == nil {
		w.staged = &pgx.Batch{}
	}
	w.staged.Queue("COMMIT")
	w.what = append(w.what, "commit")
	return w.send(ctx, true)
}

// send sends the staged statements; commit says whether the last is the
// COMMIT, whose tag must say it committed (a COMMIT of a failed
// transaction answers ROLLBACK, without an error).
func (t *tx) send(ctx context.Context, commit bool) error {
	q, what := t.staged, t.what
	t.staged, t.what = nil, nil
	if q == nil {
		return nil
	}
	br := t.c.SendBatch(ctx, q)
	for i, w := range what {
		tag, err := br.Exec()
		if err == nil && commit && i == len(what)-1 && tag.String() != "COMMIT" {
			err = fmt.Errorf("the transaction was rolled back (%s)", tag)
		}
		if err != nil {
			br.Close()
			return fmt.Errorf("pgstore: %s of %s: %w", w, t.log, err)
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("pgstore: write %s: %w", t.log, err)
	}
	return nil
}

// flush sends staged writes before a read, so that the transaction reads
// its own writes.
func (t *tx) flush(ctx context.Context) error { return t.send(ctx, false) }

func (t *tx) Head() store.Head { return t.head }

func (t *tx) FindKeys(ctx context.Context, keys []bulletin.Hash) (map[bulletin.Hash]store.Found, error) {
	out := map[bulletin.Hash]store.Found{}
	if len(keys) == 0 {
		return out, nil
	}
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := lookup(ctx, t.c, t.keys, t.log, t.head.Size, keys)
	if err != nil {
		return nil, fmt.Errorf("pgstore: find submissions: %w", err)
	}
	for i, k := range keys {
		for _, r := range rows[i] {
			if r.key == k {
				out[k] = store.Found{Index: r.idx, Hash: r.hash}
				break
			}
		}
	}
	return out, nil
}

// keyed is an entry's index, stored hash and submission key.
type keyed struct {
	idx       uint64
	hash, key bulletin.Hash
}

// lookup returns, for each of hs, the entries below size whose stored hash
// or submission key has the same 8-byte prefix, in index order, read from
// the entry rows (the caller compares the full 32 bytes).
func lookup(ctx context.Context, q querier, ki *store.KeyIndex, log string, size uint64, hs []bulletin.Hash) ([][]keyed, error) {
	pre := make([]uint64, len(hs))
	for i := range hs {
		pre[i] = store.Prefix(hs[i])
	}
	cands, err := ki.Candidates(size, func(from, to uint64) ([]store.KeyRow, error) { return keyRows(ctx, q, log, from, to) }, pre)
	if err != nil {
		return nil, err
	}
	var idx []int64
	for _, c := range cands {
		for _, x := range c {
			idx = append(idx, int64(x))
		}
	}
	rows := make(map[uint64]keyed, len(idx))
	if len(idx) > 0 {
		rs, err := q.Query(ctx, "SELECT idx, hash, subkey FROM board_entries WHERE log = $1 AND idx = ANY($2)", log, idx)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var x int64
			var h, k []byte
			if err := rs.Scan(&x, &h, &k); err != nil {
				rs.Close()
				return nil, err
			}
			if x < 0 || len(h) != bulletin.HashSize || len(k) != bulletin.HashSize {
				rs.Close()
				return nil, fmt.Errorf("malformed entry row %d", x)
			}
			rows[uint64(x)] = keyed{idx: uint64(x), hash: bulletin.Hash(h), key: bulletin.Hash(k)}
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	out := make([][]keyed, len(hs))
	for i, c := range cands {
		for _, x := range c {
			if r, ok := rows[x]; ok {
				out[i] = append(out[i], r)
			}
		}
	}
	return out, nil
}

// keyRows reads the key table's rows of entries from <= idx < to.
func keyRows(ctx context.Context, q querier, log string, from, to uint64) ([]store.KeyRow, error) {
	rs, err := q.Query(ctx, "SELECT idx, hp, kp FROM board_keys WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx", log, int64(from), int64(to))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]store.KeyRow, 0, to-from)
	for rs.Next() {
		var x int64
		var hp, kp []byte
		if err := rs.Scan(&x, &hp, &kp); err != nil {
			return nil, err
		}
		if x < 0 || len(hp) != 8 || len(kp) != 8 {
			return nil, fmt.Errorf("malformed key row %d", x)
		}
		out = append(out, store.KeyRow{Index: uint64(x), HashPrefix: binary.BigEndian.Uint64(hp), KeyPrefix: binary.BigEndian.Uint64(kp)})
	}
	return out, rs.Err()
}

func (t *tx) ReadHashes(ctx context.Context, idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	miss := t.front.Get(t.log, idx, out)
	if len(miss) == 0 {
		return out, nil
	}
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	sub := make([]int64, len(miss))
	for k, i := range miss {
		sub[k] = idx[i]
	}
	hs, err := readHashes(ctx, t.c, t.log, sub)
	if err != nil {
		return nil, err
	}
	for k, i := range miss {
		out[i] = hs[k]
		t.hashes = append(t.hashes, store.IndexedHash{Index: sub[k], Hash: hs[k]})
	}
	return out, nil
}

func (t *tx) Checkpoint(ctx context.Context, size uint64) ([]byte, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return checkpoint(ctx, t.c, t.log, size)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func checkpoint(ctx context.Context, q querier, log string, size uint64) ([]byte, error) {
	var n []byte
	err := q.QueryRow(ctx, "SELECT note FROM board_checkpoints WHERE log = $1 AND size = $2", log, int64(size)).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("pgstore: checkpoint %d of %s: %w", size, log, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: checkpoint %d of %s: %w", size, log, err)
	}
	return n, nil
}

func (t *tx) Write(ctx context.Context, b *store.Batch) error {
	// The statements are staged, in this order, and sent with the COMMIT
	// in one pipelined round trip (see update); the first error stops
	// them and the transaction rolls back.
	if t.staged == nil {
		t.staged = &pgx.Batch{}
	}
	q, what := t.staged, t.what
	if n := len(b.Rows); n > 0 {
		idx, tm := make([]int64, n), make([]int64, n)
		typ := make([]string, n)
		prev, payload, signer, sig, hash, key := make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
		hp, kp := make([][]byte, n), make([][]byte, n)
		for i := range b.Rows {
			e := &b.Rows[i].Entry
			idx[i], tm[i], typ[i] = int64(e.Index), e.Time, e.Type
			prev[i], payload[i], signer[i], sig[i] = e.Prev[:], nz(e.Payload), nz(e.Signer), nz(e.Signature)
			hash[i], key[i] = e.Hash[:], b.Rows[i].Key[:]
			hp[i], kp[i] = e.Hash[:8], b.Rows[i].Key[:8]
		}
		q.Queue(`INSERT INTO board_entries (log, idx, type, time, prev, payload, signer, signature, hash, subkey)
			SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bytea[], $9::bytea[], $10::bytea[])`,
			t.log, idx, typ, tm, prev, payload, signer, sig, hash, key)
		what = append(what, fmt.Sprintf("insert entries %d..%d", idx[0], idx[n-1]))
		q.Queue("INSERT INTO board_keys (log, idx, hp, kp) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[], $4::bytea[])", t.log, idx, hp, kp)
		what = append(what, "insert keys")
	}
	if n := len(b.Hashes); n > 0 {
		sidx := make([]int64, n)
		hs := make([][]byte, n)
		for i := range b.Hashes {
			sidx[i], hs[i] = b.Hashes[i].Index, b.Hashes[i].Hash[:]
		}
		q.Queue("INSERT INTO board_hashes (log, sidx, hash) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])", t.log, sidx, hs)
		what = append(what, "insert tree hashes")
	}
	q.Queue("UPDATE board_heads SET size = $2, last = $3, time = $4 WHERE log = $1", t.log, int64(b.Head.Size), b.Head.Last[:], b.Head.Time)
	what = append(what, "update head")
	q.Queue("INSERT INTO board_checkpoints (log, size, note) VALUES ($1, $2, $3)", t.log, int64(b.Head.Size), b.Checkpoint)
	what = append(what, fmt.Sprintf("insert checkpoint %d", b.Head.Size))
	t.what = what
	t.rows = append(t.rows, b.Rows...)
	t.hashes = append(t.hashes, b.Hashes...)
	t.size = b.Head.Size
	return nil
}

func nz(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func readHashes(ctx context.Context, q querier, log string, idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	if len(idx) == 0 {
		return out, nil
	}
	pos := make(map[int64][]int, len(idx))
	for i, x := range idx {
		pos[x] = append(pos[x], i)
	}
	rows, err := q.Query(ctx, "SELECT sidx, hash FROM board_hashes WHERE log = $1 AND sidx = ANY($2)", log, idx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: read tree hashes of %s: %w", log, err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return nil, fmt.Errorf("pgstore: read tree hashes of %s: %w", log, err)
		}
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("pgstore: tree hash %d of %s has %d bytes", x, log, len(h))
		}
		for _, i := range pos[x] {
			copy(out[i][:], h)
			found++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: read tree hashes of %s: %w", log, err)
	}
	if found != len(idx) {
		return nil, fmt.Errorf("pgstore: tree hashes of %s: %w", log, store.ErrNotFound)
	}
	return out, nil
}

// Head implements store.Store.
func (s *Store) Head(ctx context.Context, log string) (store.Head, error) {
	return withConn(ctx, s, func(c *pgx.Conn) (store.Head, error) {
		var h store.Head
		var size int64
		var last []byte
		err := c.QueryRow(ctx, "SELECT size, last, time FROM board_heads WHERE log = $1", log).Scan(&size, &last, &h.Time)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.Head{}, nil
		}
		if err != nil {
			return h, fmt.Errorf("pgstore: read head of %s: %w", log, err)
		}
		if size < 0 || len(last) != bulletin.HashSize {
			return h, fmt.Errorf("pgstore: malformed head row of %s", log)
		}
		h.Size = uint64(size)
		copy(h.Last[:], last)
		return h, nil
	})
}

// Entries implements store.Store.
func (s *Store) Entries(ctx context.Context, log string, start, end uint64) ([]bulletin.Entry, error) {
	return withConn(ctx, s, func(c *pgx.Conn) ([]bulletin.Entry, error) {
		if end <= start {
			return nil, nil
		}
		rows, err := c.Query(ctx, "SELECT idx, type, time, prev, payload, signer, signature, hash FROM board_entries WHERE log = $1 AND idx >= $2 AND idx < $3 ORDER BY idx", log, int64(start), int64(min(end, 1<<62)))
		if err != nil {
			return nil, fmt.Errorf("pgstore: read entries of %s: %w", log, err)
		}
		defer rows.Close()
		var out []bulletin.Entry
		for rows.Next() {
			var e bulletin.Entry
			var idx int64
			var prev, hash, payload, signer, sig []byte
			if err := rows.Scan(&idx, &e.Type, &e.Time, &prev, &payload, &signer, &sig, &hash); err != nil {
				return nil, fmt.Errorf("pgstore: read entries of %s: %w", log, err)
			}
			if idx < 0 || len(prev) != bulletin.HashSize || len(hash) != bulletin.HashSize {
				return nil, fmt.Errorf("%w: entry %d: malformed stored row", bulletin.ErrInvalidEntry, idx)
			}
			e.Index = uint64(idx)
			copy(e.Prev[:], prev)
			copy(e.Hash[:], hash)
			e.Payload, e.Signer, e.Signature = payload, signer, sig
			out = append(out, e)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("pgstore: read entries of %s: %w", log, err)
		}
		return out, nil
	})
}

// IndexByHash implements store.Store.
func (s *Store) IndexByHash(ctx context.Context, log string, h bulletin.Hash) (uint64, error) {
	head, err := s.Head(ctx, log)
	if err != nil {
		return 0, err
	}
	return withConn(ctx, s, func(c *pgx.Conn) (uint64, error) {
		rows, err := lookup(ctx, c, s.keys.Get(log), log, head.Size, []bulletin.Hash{h})
		if err != nil {
			return 0, fmt.Errorf("pgstore: entry %s of %s: %w", h, log, err)
		}
		for _, r := range rows[0] {
			if r.hash == h {
				return r.idx, nil
			}
		}
		return 0, fmt.Errorf("pgstore: entry %s of %s: %w", h, log, store.ErrNotFound)
	})
}

// ReadHashes implements store.Store.
func (s *Store) ReadHashes(ctx context.Context, log string, idx []int64) ([]tlog.Hash, error) {
	return withConn(ctx, s, func(c *pgx.Conn) ([]tlog.Hash, error) { return readHashes(ctx, c, log, idx) })
}

// HashRange implements store.Store.
func (s *Store) HashRange(ctx context.Context, log string, start, end int64) ([]tlog.Hash, error) {
	return withConn(ctx, s, func(c *pgx.Conn) ([]tlog.Hash, error) {
		if end <= start {
			return nil, nil
		}
		rows, err := c.Query(ctx, "SELECT sidx, hash FROM board_hashes WHERE log = $1 AND sidx >= $2 AND sidx < $3 ORDER BY sidx", log, start, end)
		if err != nil {
			return nil, fmt.Errorf("pgstore: read tree hashes of %s: %w", log, err)
		}
		defer rows.Close()
		out := make([]tlog.Hash, 0, end-start)
		for rows.Next() {
			var x int64
			var h []byte
			if err := rows.Scan(&x, &h); err != nil {
				return nil, fmt.Errorf("pgstore: read tree hashes of %s: %w", log, err)
			}
			if x != start+int64(len(out)) || len(h) != tlog.HashSize {
				return nil, fmt.Errorf("pgstore: tree hash %d of %s missing or malformed: %w", start+int64(len(out)), log, store.ErrNotFound)
			}
			out = append(out, tlog.Hash(h))
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("pgstore: read tree hashes of %s: %w", log, err)
		}
		if int64(len(out)) != end-start {
			return nil, fmt.Errorf("pgstore: tree hash %d of %s: %w", start+int64(len(out)), log, store.ErrNotFound)
		}
		return out, nil
	})
}

// LatestCheckpoint implements store.Store.
func (s *Store) LatestCheckpoint(ctx context.Context, log string) (uint64, []byte, error) {
	var size int64
	var n []byte
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		return c.QueryRow(ctx, "SELECT size, note FROM board_checkpoints WHERE log = $1 ORDER BY size DESC LIMIT 1", log).Scan(&size, &n)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, fmt.Errorf("pgstore: checkpoint of %s: %w", log, store.ErrNotFound)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("pgstore: checkpoint of %s: %w", log, err)
	}
	return uint64(size), n, nil
}

// UpdateCheckpoint implements store.Store.
func (s *Store) UpdateCheckpoint(ctx context.Context, log string, size uint64, fn func([]byte) ([]byte, error)) error {
	return s.pool.with(ctx, func(c *pgx.Conn) error { return updateCheckpoint(ctx, c, log, size, fn) })
}

func updateCheckpoint(ctx context.Context, c *pgx.Conn, log string, size uint64, fn func([]byte) ([]byte, error)) error {
	return pgx.BeginFunc(ctx, c, func(t pgx.Tx) error {
		var old []byte
		err := t.QueryRow(ctx, "SELECT note FROM board_checkpoints WHERE log = $1 AND size = $2 FOR UPDATE", log, int64(size)).Scan(&old)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("pgstore: checkpoint %d of %s: %w", size, log, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("pgstore: checkpoint %d of %s: %w", size, log, err)
		}
		n, err := fn(old)
		if err != nil {
			return err
		}
		if _, err := t.Exec(ctx, "UPDATE board_checkpoints SET note = $3 WHERE log = $1 AND size = $2", log, int64(size), n); err != nil {
			return fmt.Errorf("pgstore: update checkpoint %d of %s: %w", size, log, err)
		}
		return nil
	})
}

// Logs implements store.Store.
func (s *Store) Logs(ctx context.Context) ([]string, error) {
	return withConn(ctx, s, func(c *pgx.Conn) ([]string, error) {
		rows, err := c.Query(ctx, "SELECT log FROM board_heads WHERE size > 0 UNION SELECT DISTINCT log FROM board_entries ORDER BY 1")
		if err != nil {
			return nil, fmt.Errorf("pgstore: list logs: %w", err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				return nil, fmt.Errorf("pgstore: list logs: %w", err)
			}
			out = append(out, l)
		}
		return out, rows.Err()
	})
}

var _ store.Store = (*Store)(nil)

func withConn[T any](ctx context.Context, s *Store, f func(c *pgx.Conn) (T, error)) (T, error) {
	var out T
	err := s.pool.with(ctx, func(c *pgx.Conn) error {
		var err error
		out, err = f(c)
		return err
	})
	return out, err
}
