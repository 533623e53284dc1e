package board

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"github.com/tabella-vote/tabella/bulletin/internal/testpg"
	"golang.org/x/mod/sumdb/note"
)

// benchAppends appends b.N submissions of payloadSize bytes from writers
// goroutines and reports durable appends per second.
func benchAppends(b *testing.B, bd *Board, election string, writers, payloadSize int) {
	var next atomic.Int64
	var seq [8]byte
	rand.Read(seq[:])
	prefix := binary.BigEndian.Uint64(seq[:])
	b.SetBytes(int64(payloadSize))
	c0, n0 := bd.commits.Load(), bd.committed.Load()
	// A process loads a log's key index on its first lookup: do it before
	// the clock starts (its cost is reported on its own).
	t0 := time.Now()
	if _, err := bd.st.IndexByHash(context.Background(), election, bulletin.Hash{}); err != nil && !errors.Is(err, store.ErrNotFound) {
		b.Fatal(err)
	}
	load := time.Since(t0)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := make([]byte, payloadSize)
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				binary.BigEndian.PutUint64(p, prefix)
				binary.BigEndian.PutUint64(p[8:], uint64(i))
				if _, err := bd.Append(context.Background(), election, Submission{Type: "bench", Payload: p}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	rate := float64(b.N) / el.Seconds()
	b.ReportMetric(rate, "appends/s")
	b.ReportMetric(load.Seconds(), "load-s")
	if c := bd.commits.Load() - c0; c > 0 {
		b.ReportMetric(float64(bd.committed.Load()-n0)/float64(c), "batch")
	}
	if floor := appendFloor(b, b.N, writers, payloadSize); floor > 0 {
		b.ReportMetric(floor, "floor/s")
		b.ReportMetric(rate/floor, "x-floor")
	}
}

// appendFloor measures, in the same run, what the hardware allows for n
// appends from writers concurrent writers: one fsync'd SQLite transaction
// (WAL, synchronous=FULL, the store's driver) per batch of writers rows of
// payloadSize bytes into a plain table with no index. It returns rows/s.
func appendFloor(b *testing.B, n, batch, payloadSize int) float64 {
	b.Helper()
	path := filepath.Join(b.TempDir(), "floor.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE floor (payload BLOB NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	p := make([]byte, payloadSize)
	start := time.Now()
	for done := 0; done < n; {
		k := min(batch, n-done)
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for off := 0; off < k; off += 100 {
			m := min(100, k-off)
			args := make([]any, m)
			for i := range args {
				q := append([]byte{}, p...)
				binary.BigEndian.PutUint64(q, uint64(done+off+i))
				args[i] = q
			}
			if _, err := tx.Exec("INSERT INTO floor (payload) VALUES (?)"+strings.Repeat(",(?)", m-1), args...); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		done += k
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkFloor: the fsync floor alone at several batch sizes (2 KiB
// rows), the figures that size the group commit.
func BenchmarkFloor(b *testing.B) {
	for _, n := range []int{1, 16, 64, 256, 1024} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			b.ReportMetric(appendFloor(b, b.N, n, 2048), "rows/s")
		})
	}
}

// BenchmarkAppend: durable appends of 2 KiB payloads with 1, 16 and 256
// concurrent writers, on SQLite and PostgreSQL.
func BenchmarkAppend(b *testing.B) {
	for _, st := range []string{"sqlite", "postgres"} {
		for _, w := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/writers=%d", st, w), func(b *testing.B) {
				dsn := "sqlite:" + filepath.Join(b.TempDir(), "b.db")
				if st == "postgres" {
					dsn = testpg.DSN(b)
				}
				k := newKeys(b, testBoardName)
				bd := openBoard(b, dsn, k)
				benchAppends(b, bd, "e", w, 2048)
			})
		}
	}
}

// bigLog returns the DSN of a SQLite log of n entries (100-byte payloads),
// built once and kept in the temp directory across benchmark runs, and
// its keys.
func bigLog(b *testing.B, n int) (string, keys) {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tabella-bench-log-%d-%s", n, benchLogSchema))
	db := filepath.Join(dir, "board.db")
	keyFile := filepath.Join(dir, "key")
	if skey, err := os.ReadFile(keyFile); err == nil {
		if k, ok := keysFrom(string(skey)); ok {
			return "sqlite:" + db, k
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	k := newKeys(b, testBoardName)
	buildLog(b, "sqlite:"+db, k, n)
	if err := os.WriteFile(keyFile, []byte(k.skey), 0o600); err != nil {
		b.Fatal(err)
	}
	return "sqlite:" + db, k
}

// buildLog appends n entries of 100-byte payloads to log "e" of the store
// at dsn, in batches of 4096.
func buildLog(b *testing.B, dsn string, k keys, n int) {
	b.Helper()
	bd, err := tryOpen(dsn, k, func(o *Options) { o.MaxBatch = 4096 })
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	start := time.Now()
	const batch = 4096
	subs := make([]Submission, 0, batch)
	for i := 0; i < n; i++ {
		p := make([]byte, 100)
		binary.BigEndian.PutUint64(p, uint64(i))
		subs = append(subs, Submission{Type: "bench", Payload: p})
		if len(subs) == batch || i == n-1 {
			if _, err := bd.Append(context.Background(), "e", subs...); err != nil {
				b.Fatal(err)
			}
			subs = subs[:0]
		}
	}
	b.Logf("built a log of %d entries in %v", n, time.Since(start))
}

func keysFrom(skey string) (keys, bool) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return keys{}, false
	}
	for _, k := range bulletinVerifierFromSigner(skey) {
		if v, err := note.NewVerifier(k); err == nil {
			return keys{skey: skey, vkey: k, signer: s, verifier: v}, true
		}
	}
	return keys{}, false
}

const bigN = 1_000_000

// benchLogSchema names the store schema of the cached benchmark logs, so a
// schema change builds them again.
const benchLogSchema = "s2"

// BenchmarkInclusionProof: one inclusion proof (and its verification
// against the latest checkpoint) in a log of 10^6 entries.
func BenchmarkInclusionProof(b *testing.B) {
	dsn, k := bigLog(b, bigN)
	bd := openBoardNoCheck(b, dsn, k)
	ctx := context.Background()
	n, err := bd.Checkpoint(ctx, "e")
	if err != nil {
		b.Fatal(err)
	}
	cp, err := bulletin.OpenCheckpoint(n, "e", k.verifier)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx := uint64(i*7919) % cp.Size
		p, err := bd.InclusionProof(ctx, "e", idx, cp.Size)
		if err != nil {
			b.Fatal(err)
		}
		if i < 10 { // spot-check that the proofs are real
			e, err := bd.Entry(ctx, "e", idx)
			if err != nil {
				b.Fatal(err)
			}
			if err := bulletin.VerifyInclusion(cp.Checkpoint, idx, e.Hash, p); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCheckOnOpen: the full re-check of a 10^6-entry log on start
// (hashes, chain, every stored tree hash, checkpoint).
func BenchmarkCheckOnOpen(b *testing.B) {
	dsn, k := bigLog(b, bigN)
	bd := openBoardNoCheck(b, dsn, k)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := bd.Check(context.Background(), "e"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(bigN)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkAppendAtSize: the cost of a durable 2 KiB append with 256
// writers in a log of 10^3, 10^5 and 10^6 entries, on SQLite (a fresh copy
// of the log per run) and PostgreSQL (one log per size, grown by the runs,
// by at most a few 10^4 entries).
func BenchmarkAppendAtSize(b *testing.B) {
	parent := b
	for _, n := range []int{1_000, 100_000, bigN} {
		b.Run(fmt.Sprintf("sqlite/size=%d", n), func(b *testing.B) {
			dsn, k := bigLog(b, n)
			// Work on a copy so the shared log keeps its size.
			src := dsn[len("sqlite:"):]
			dst := filepath.Join(b.TempDir(), "board.db")
			copyFile(b, src, dst)
			bd := openBoardNoCheck(b, "sqlite:"+dst, k)
			benchAppends(b, bd, "e", 256, 2048)
		})
	}
	for _, n := range []int{1_000, 100_000, bigN} {
		var dsn string
		var k keys
		b.Run(fmt.Sprintf("postgres/size=%d", n), func(b *testing.B) {
			if os.Getenv(testpg.EnvVar) == "" {
				testpg.DSN(b) // skips, or fails in CI
			}
			if dsn == "" {
				// The log outlives this run: its schema is the parent's.
				dsn, k = testpg.DSN(parent), newKeys(b, testBoardName)
				buildLog(b, dsn, k, n)
			}
			bd := openBoardNoCheck(b, dsn, k)
			benchAppends(b, bd, "e", 256, 2048)
		})
	}
}

// copyFile copies src to dst and syncs it, so the copy's write-back does
// not compete with the benchmark's fsyncs.
func copyFile(b *testing.B, src, dst string) {
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// openBoardNoCheck opens a board without the full check of existing logs
// (benchmarks measure it separately).
func openBoardNoCheck(b *testing.B, dsn string, k keys) *Board {
	st, err := OpenStore(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	bd, err := newBoardChecked(context.Background(), st, Options{Signer: k.signer, Verifier: k.verifier}, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bd.Close() })
	return bd
}
