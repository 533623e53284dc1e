// Package sqlitestore is the board's embedded store: one SQLite file in WAL
// mode with synchronous=FULL, through the pure-Go modernc.org/sqlite driver
// (no cgo). Write transactions begin IMMEDIATE, so appends from several
// processes on the same file are serialised by SQLite's write lock; a
// commit returns only after the WAL is synced, so an acknowledged append
// survives a crash (e2e/SPEC.md §8).
package sqlitestore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

const schema = `
CREATE TABLE IF NOT EXISTS board_heads (
	log TEXT PRIMARY KEY,
	size INTEGER NOT NULL,
	last BLOB NOT NULL,
	time INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS board_entries (
	log TEXT NOT NULL,
	idx INTEGER NOT NULL,
	type TEXT NOT NULL,
	time INTEGER NOT NULL,
	prev BLOB NOT NULL,
	payload BLOB NOT NULL,
	signer BLOB NOT NULL,
	signature BLOB NOT NULL,
	hash BLOB NOT NULL,
	subkey BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS board_entries_idx ON board_entries(log, idx);
CREATE TABLE IF NOT EXISTS board_keys (
	log TEXT NOT NULL,
	idx INTEGER NOT NULL,
	hp BLOB NOT NULL,
	kp BLOB NOT NULL,
	PRIMARY KEY (log, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS board_hashes (
	log TEXT NOT NULL,
	sidx INTEGER NOT NULL,
	hash BLOB NOT NULL,
	PRIMARY KEY (log, sidx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS board_checkpoints (
	log TEXT NOT NULL,
	size INTEGER NOT NULL,
	note BLOB NOT NULL,
	PRIMARY KEY (log, size)
) WITHOUT ROWID;
`

var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// migrate turns a database made by the first schema, whose entries had
// unique indexes on (log, hash) and (log, subkey), into the current one:
// it fills the key table from the entries (rows already there are kept, so
// a database an older binary appended to after a migration is completed)
// and drops the two indexes. It runs in the transaction that creates the
// schema, so it happens once, entirely or not at all.
const migrate = `
INSERT OR IGNORE INTO board_keys (log, idx, hp, kp)
	SELECT log, idx, substr(hash, 1, 8), substr(subkey, 1, 8) FROM board_entries;
DROP INDEX IF EXISTS board_entries_hash;
DROP INDEX IF EXISTS board_entries_subkey;
`

// Store is a SQLite board store.
type Store struct {
	db   *sql.DB
	keys store.KeyIndexes

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // the append's multi-row INSERTs, by text
}

// Open opens (creating if needed) the SQLite database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlitestore: empty path")
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "cache_size(-65536)")
	q.Set("_txlock", "immediate")
	// A URI filename: '%', '?' and '#' in the path must be escaped, or
	// SQLite opens another file (a path cut at '#' or '?').
	dsn := "file:" + uriPath.Replace(path) + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := createSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: create schema in %s: %w", path, err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: %s: journal mode %q, want wal (%v)", path, mode, err)
	}
	return &Store{db: db}, nil
}

// createSchema creates the tables and migrates a first-schema database,
// in one IMMEDIATE transaction (so two processes opening one file do it
// once).
func createSchema(ctx context.Context, db *sql.DB) (err error) {
	t, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = t.Rollback()
		}
	}()
	if _, err := t.ExecContext(ctx, schema); err != nil {
		return err
	}
	var old int
	if err := t.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN ('board_entries_hash', 'board_entries_subkey')").Scan(&old); err != nil {
		return err
	}
	if old > 0 {
		if _, err := t.ExecContext(ctx, migrate); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return t.Commit()
}

// Exec runs one statement, for tests that tamper with rows.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, query, args...)
	return err
}

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.mu.Unlock()
	return s.db.Close()
}

// exec runs one of the append's INSERTs through a prepared statement
// kept for the store's lifetime: preparing a 100-row INSERT anew on every
// append cost about a quarter of the time spent writing rows (pprof,
// 256 writers). There are at most a few hundred distinct texts (one per
// table and chunk length).
func (t *tx) exec(ctx context.Context, q string, args ...any) error {
	s := t.s
	s.mu.Lock()
	st, ok := s.stmts[q]
	s.mu.Unlock()
	if !ok {
		var err error
		if st, err = s.db.PrepareContext(ctx, q); err != nil {
			return err
		}
		s.mu.Lock()
		if old, ok := s.stmts[q]; ok {
			st.Close()
			st = old
		} else {
			if s.stmts == nil {
				s.stmts = map[string]*sql.Stmt{}
			}
			s.stmts[q] = st
		}
		s.mu.Unlock()
	}
	_, err := t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	return err
}

type tx struct {
	s    *Store
	tx   *sql.Tx
	log  string
	head store.Head
	keys *store.KeyIndex
	rows []store.Row // written by Write, for the key index after commit
}

// Update implements store.Store.
func (s *Store) Update(ctx context.Context, log string, fn func(store.Tx) error) (err error) {
	t, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: takes the write lock now
	if err != nil {
		return fmt.Errorf("sqlitestore: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = t.Rollback()
		}
	}()
	h, err := headQ(ctx, t, log)
	if err != nil {
		return err
	}
	w := &tx{s: s, tx: t, log: log, head: h, keys: s.keys.Get(log)}
	if err := fn(w); err != nil {
		return err
	}
	// Persist-then-acknowledge: Commit returns after the WAL frame holding
	// the whole batch is synced (synchronous=FULL); only then does the
	// board answer the appenders.
	if err := t.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit: %w", err)
	}
	// Only committed rows enter the key index; after a failed commit
	// (which may have persisted) the next sync reads them back.
	w.keys.Committed(w.rows)
	return nil
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func headQ(ctx context.Context, q querier, log string) (store.Head, error) {
	var h store.Head
	var size int64
	var last []byte
	err := q.QueryRowContext(ctx, "SELECT size, last, time FROM board_heads WHERE log = ?", log).Scan(&size, &last, &h.Time)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Head{}, nil
	}
	if err != nil {
		return h, fmt.Errorf("sqlitestore: read head of %s: %w", log, err)
	}
	if size < 0 || len(last) != bulletin.HashSize {
		return h, fmt.Errorf("sqlitestore: malformed head row of %s", log)
	}
	h.Size = uint64(size)
	copy(h.Last[:], last)
	return h, nil
}

func (t *tx) Head() store.Head { return t.head }

func (t *tx) FindKeys(ctx context.Context, keys []bulletin.Hash) (map[bulletin.Hash]store.Found, error) {
	out := map[bulletin.Hash]store.Found{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := lookup(ctx, t.tx, t.keys, t.log, t.head.Size, keys)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: find submissions: %w", err)
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
	for off := 0; off < len(idx); off += 500 {
		chunk := idx[off:min(off+500, len(idx))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, log)
		for _, x := range chunk {
			args = append(args, x)
		}
		rs, err := q.QueryContext(ctx, "SELECT idx, hash, subkey FROM board_entries WHERE log = ? AND idx IN (?"+strings.Repeat(",?", len(chunk)-1)+")", args...)
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
		if err := rs.Close(); err != nil {
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
	rs, err := q.QueryContext(ctx, "SELECT idx, hp, kp FROM board_keys WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx", log, int64(from), int64(to))
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
	return readHashes(ctx, t.tx, t.log, idx)
}

func (t *tx) Checkpoint(ctx context.Context, size uint64) ([]byte, error) {
	var n []byte
	err := t.tx.QueryRowContext(ctx, "SELECT note FROM board_checkpoints WHERE log = ? AND size = ?", t.log, int64(size)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlitestore: checkpoint %d of %s: %w", size, t.log, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: checkpoint %d of %s: %w", size, t.log, err)
	}
	return n, nil
}

// insertRows is how many rows one multi-row INSERT carries.
const insertRows = 100

func (t *tx) Write(ctx context.Context, b *store.Batch) error {
	for off := 0; off < len(b.Rows); off += insertRows {
		chunk := b.Rows[off:min(off+insertRows, len(b.Rows))]
		args := make([]any, 0, 10*len(chunk))
		for _, r := range chunk {
			e := &r.Entry
			args = append(args, t.log, int64(e.Index), e.Type, e.Time, e.Prev[:], nz(e.Payload), nz(e.Signer), nz(e.Signature), e.Hash[:], r.Key[:])
		}
		q := "INSERT INTO board_entries (log, idx, type, time, prev, payload, signer, signature, hash, subkey) VALUES (?,?,?,?,?,?,?,?,?,?)" + strings.Repeat(",(?,?,?,?,?,?,?,?,?,?)", len(chunk)-1)
		if err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("sqlitestore: insert entries %d..%d of %s: %w", chunk[0].Entry.Index, chunk[len(chunk)-1].Entry.Index, t.log, err)
		}
	}
	for off := 0; off < len(b.Rows); off += 3 * insertRows {
		chunk := b.Rows[off:min(off+3*insertRows, len(b.Rows))]
		args := make([]any, 0, 4*len(chunk))
		for _, r := range chunk {
			args = append(args, t.log, int64(r.Entry.Index), r.Entry.Hash[:8], r.Key[:8])
		}
		q := "INSERT INTO board_keys (log, idx, hp, kp) VALUES (?,?,?,?)" + strings.Repeat(",(?,?,?,?)", len(chunk)-1)
		if err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("sqlitestore: insert keys of %s: %w", t.log, err)
		}
	}
	t.rows = append(t.rows, b.Rows...)
	for off := 0; off < len(b.Hashes); off += 3 * insertRows {
		chunk := b.Hashes[off:min(off+3*insertRows, len(b.Hashes))]
		args := make([]any, 0, 3*len(chunk))
		for _, h := range chunk {
			args = append(args, t.log, h.Index, h.Hash[:])
		}
		q := "INSERT INTO board_hashes (log, sidx, hash) VALUES (?,?,?)" + strings.Repeat(",(?,?,?)", len(chunk)-1)
		if err := t.exec(ctx, q, args...); err != nil {
			return fmt.Errorf("sqlitestore: insert tree hashes of %s: %w", t.log, err)
		}
	}
	if _, err := t.tx.ExecContext(ctx, "INSERT INTO board_heads (log, size, last, time) VALUES (?,?,?,?) ON CONFLICT(log) DO UPDATE SET size = excluded.size, last = excluded.last, time = excluded.time",
		t.log, int64(b.Head.Size), b.Head.Last[:], b.Head.Time); err != nil {
		return fmt.Errorf("sqlitestore: update head of %s: %w", t.log, err)
	}
	if _, err := t.tx.ExecContext(ctx, "INSERT INTO board_checkpoints (log, size, note) VALUES (?,?,?)", t.log, int64(b.Head.Size), b.Checkpoint); err != nil {
		return fmt.Errorf("sqlitestore: insert checkpoint %d of %s: %w", b.Head.Size, t.log, err)
	}
	return nil
}

// nz maps nil to an empty slice: the columns are NOT NULL.
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
	uniq := make([]any, 0, len(idx)+1)
	uniq = append(uniq, log)
	for i, x := range idx {
		if _, ok := pos[x]; !ok {
			uniq = append(uniq, x)
		}
		pos[x] = append(pos[x], i)
	}
	found := 0
	for off := 1; off < len(uniq); off += 500 {
		chunk := uniq[off:min(off+500, len(uniq))]
		args := append([]any{log}, chunk...)
		rows, err := q.QueryContext(ctx, "SELECT sidx, hash FROM board_hashes WHERE log = ? AND sidx IN (?"+strings.Repeat(",?", len(chunk)-1)+")", args...)
		if err != nil {
			return nil, fmt.Errorf("sqlitestore: read tree hashes of %s: %w", log, err)
		}
		for rows.Next() {
			var x int64
			var h []byte
			if err := rows.Scan(&x, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlitestore: read tree hashes of %s: %w", log, err)
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("sqlitestore: tree hash %d of %s has %d bytes", x, log, len(h))
			}
			for _, i := range pos[x] {
				copy(out[i][:], h)
				found++
			}
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("sqlitestore: read tree hashes of %s: %w", log, err)
		}
	}
	if found != len(idx) {
		return nil, fmt.Errorf("sqlitestore: tree hashes of %s: %w", log, store.ErrNotFound)
	}
	return out, nil
}

// Head implements store.Store.
func (s *Store) Head(ctx context.Context, log string) (store.Head, error) {
	return headQ(ctx, s.db, log)
}

// Entries implements store.Store.
func (s *Store) Entries(ctx context.Context, log string, start, end uint64) ([]bulletin.Entry, error) {
	if end <= start {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT idx, type, time, prev, payload, signer, signature, hash FROM board_entries WHERE log = ? AND idx >= ? AND idx < ? ORDER BY idx", log, int64(start), int64(min(end, 1<<62)))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: read entries of %s: %w", log, err)
	}
	defer rows.Close()
	var out []bulletin.Entry
	for rows.Next() {
		var e bulletin.Entry
		var idx int64
		var prev, hash []byte
		var payload, signer, sig []byte
		if err := rows.Scan(&idx, &e.Type, &e.Time, &prev, &payload, &signer, &sig, &hash); err != nil {
			return nil, fmt.Errorf("sqlitestore: read entries of %s: %w", log, err)
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
		return nil, fmt.Errorf("sqlitestore: read entries of %s: %w", log, err)
	}
	return out, nil
}

// IndexByHash implements store.Store.
func (s *Store) IndexByHash(ctx context.Context, log string, h bulletin.Hash) (uint64, error) {
	head, err := headQ(ctx, s.db, log)
	if err != nil {
		return 0, err
	}
	rows, err := lookup(ctx, s.db, s.keys.Get(log), log, head.Size, []bulletin.Hash{h})
	if err != nil {
		return 0, fmt.Errorf("sqlitestore: entry %s of %s: %w", h, log, err)
	}
	for _, r := range rows[0] {
		if r.hash == h {
			return r.idx, nil
		}
	}
	return 0, fmt.Errorf("sqlitestore: entry %s of %s: %w", h, log, store.ErrNotFound)
}

// ReadHashes implements store.Store.
func (s *Store) ReadHashes(ctx context.Context, log string, idx []int64) ([]tlog.Hash, error) {
	return readHashes(ctx, s.db, log, idx)
}

// HashRange implements store.Store.
func (s *Store) HashRange(ctx context.Context, log string, start, end int64) ([]tlog.Hash, error) {
	if end <= start {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT sidx, hash FROM board_hashes WHERE log = ? AND sidx >= ? AND sidx < ? ORDER BY sidx", log, start, end)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: read tree hashes of %s: %w", log, err)
	}
	defer rows.Close()
	out := make([]tlog.Hash, 0, end-start)
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return nil, fmt.Errorf("sqlitestore: read tree hashes of %s: %w", log, err)
		}
		if x != start+int64(len(out)) || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("sqlitestore: tree hash %d of %s missing or malformed: %w", start+int64(len(out)), log, store.ErrNotFound)
		}
		out = append(out, tlog.Hash(h))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitestore: read tree hashes of %s: %w", log, err)
	}
	if int64(len(out)) != end-start {
		return nil, fmt.Errorf("sqlitestore: tree hash %d of %s: %w", start+int64(len(out)), log, store.ErrNotFound)
	}
	return out, nil
}

// LatestCheckpoint implements store.Store.
func (s *Store) LatestCheckpoint(ctx context.Context, log string) (uint64, []byte, error) {
	var size int64
	var n []byte
	err := s.db.QueryRowContext(ctx, "SELECT size, note FROM board_checkpoints WHERE log = ? ORDER BY size DESC LIMIT 1", log).Scan(&size, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fmt.Errorf("sqlitestore: checkpoint of %s: %w", log, store.ErrNotFound)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("sqlitestore: checkpoint of %s: %w", log, err)
	}
	return uint64(size), n, nil
}

// UpdateCheckpoint implements store.Store.
func (s *Store) UpdateCheckpoint(ctx context.Context, log string, size uint64, fn func([]byte) ([]byte, error)) (err error) {
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = t.Rollback()
		}
	}()
	old, err := (&tx{tx: t, log: log}).Checkpoint(ctx, size)
	if err != nil {
		return err
	}
	n, err := fn(old)
	if err != nil {
		return err
	}
	if _, err := t.ExecContext(ctx, "UPDATE board_checkpoints SET note = ? WHERE log = ? AND size = ?", n, log, int64(size)); err != nil {
		return fmt.Errorf("sqlitestore: update checkpoint %d of %s: %w", size, log, err)
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit: %w", err)
	}
	return nil
}

// Logs implements store.Store.
func (s *Store) Logs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT log FROM board_heads WHERE size > 0 UNION SELECT DISTINCT log FROM board_entries ORDER BY 1")
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: list logs: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, fmt.Errorf("sqlitestore: list logs: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

var _ store.Store = (*Store)(nil)
