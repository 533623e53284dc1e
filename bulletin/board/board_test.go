package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
)

func TestAppendReceiptsAndProofs(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		var receipts []*bulletin.Receipt
		for i := 0; i < 20; i++ {
			rs, err := b.Append(ctx, "e1", sub(i))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Index != uint64(i) {
				t.Fatalf("append %d: receipts %+v", i, rs)
			}
			receipts = append(receipts, rs[0])
		}
		// A batch in one call.
		rs, err := b.Append(ctx, "e1", sub(20), sub(21), sub(22))
		if err != nil || len(rs) != 3 || rs[2].Index != 22 {
			t.Fatalf("batch append: %v %+v", err, rs)
		}
		receipts = append(receipts, rs...)
		latest, err := b.Checkpoint(ctx, "e1")
		if err != nil {
			t.Fatal(err)
		}
		lcp, err := bulletin.OpenCheckpoint(latest, "e1", k.verifier)
		if err != nil || lcp.Size != 23 {
			t.Fatalf("latest checkpoint: %v %+v", err, lcp)
		}
		for _, r := range receipts {
			// Round trip through the canonical JSON form, as a voter keeps it.
			r2, err := bulletin.ParseReceipt(bulletin.MarshalReceipt(r))
			if err != nil {
				t.Fatalf("receipt %d: %v", r.Index, err)
			}
			cp, err := bulletin.VerifyReceipt(r2, k.verifier)
			if err != nil {
				t.Fatalf("receipt %d: %v", r.Index, err)
			}
			e, err := b.Entry(ctx, "e1", r.Index)
			if err != nil || e.Hash != r.EntryHash {
				t.Fatalf("entry %d: %v", r.Index, err)
			}
			proof, err := b.ConsistencyProof(ctx, "e1", cp.Size, lcp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := bulletin.VerifyReceiptLater(r2, latest, proof, k.verifier); err != nil {
				t.Fatalf("receipt %d against the latest checkpoint: %v", r.Index, err)
			}
			ip, err := b.InclusionProof(ctx, "e1", r.Index, lcp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := bulletin.VerifyInclusion(lcp.Checkpoint, r.Index, r.EntryHash, ip); err != nil {
				t.Fatal(err)
			}
			// The same proof does not prove another entry.
			other := receipts[(r.Index+1)%uint64(len(receipts))].EntryHash
			if bulletin.VerifyInclusion(lcp.Checkpoint, r.Index, other, ip) == nil {
				t.Fatalf("inclusion proof of entry %d verified for another entry", r.Index)
			}
		}
		// A receipt with a forged checkpoint signature or another key fails.
		bad := *receipts[3]
		bad.Checkpoint = strings.Replace(bad.Checkpoint, "— "+testBoardName+" ", "— "+testBoardName+" AAAA", 1)
		if _, err := bulletin.VerifyReceipt(&bad, k.verifier); err == nil {
			t.Fatal("receipt with forged signature verified")
		}
		if _, err := bulletin.VerifyReceipt(receipts[3], newKeys(t, testBoardName).verifier); err == nil {
			t.Fatal("receipt verified with another board key")
		}
		// Transplanted receipt: another election's name.
		tr := *receipts[3]
		tr.Election = "e2"
		if _, err := bulletin.VerifyReceipt(&tr, k.verifier); err == nil {
			t.Fatal("receipt transplanted to another election verified")
		}
		// Range read and chain.
		es, err := b.Entries(ctx, "e1", 0, 100)
		if err != nil || len(es) != 23 {
			t.Fatalf("entries: %v, %d", err, len(es))
		}
		ch := bulletin.Chain{Election: "e1"}
		for _, e := range es {
			if err := ch.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.EntryByHash(ctx, "e1", es[7].Hash); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Entry(ctx, "e1", 23); !errors.Is(err, ErrNotFound) {
			t.Fatalf("entry beyond the end: %v", err)
		}
		if _, err := b.InclusionProof(ctx, "e1", 5, 24); !errors.Is(err, ErrNotFound) {
			t.Fatalf("proof beyond the end: %v", err)
		}
		if err := b.Check(ctx, "e1"); err != nil {
			t.Fatal(err)
		}
		// Another election is another log.
		rs, err = b.Append(ctx, "e2", sub(0))
		if err != nil || rs[0].Index != 0 {
			t.Fatalf("second election: %v %+v", err, rs)
		}
		if rs[0].EntryHash == receipts[0].EntryHash {
			t.Fatal("the same entry has the same hash in two elections")
		}
	})
}

func TestIdempotentAppend(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		appendN(t, b, "e", 0, 5)
		first, err := b.Append(ctx, "e", sub(5))
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, b, "e", 6, 3)
		again, err := b.Append(ctx, "e", sub(5), sub(100), sub(100))
		if err != nil {
			t.Fatal(err)
		}
		if again[0].Index != first[0].Index || again[0].EntryHash != first[0].EntryHash {
			t.Fatalf("retry got entry %d, first was %d", again[0].Index, first[0].Index)
		}
		if again[1].Index != 9 || again[2].Index != 9 {
			t.Fatalf("duplicate in one batch: indexes %d and %d, want 9", again[1].Index, again[2].Index)
		}
		for _, r := range again {
			if _, err := bulletin.VerifyReceipt(r, k.verifier); err != nil {
				t.Fatal(err)
			}
		}
		// A pure retry returns the current checkpoint.
		re, err := b.Append(ctx, "e", sub(0))
		if err != nil || re[0].Index != 0 {
			t.Fatalf("pure retry: %v %+v", err, re)
		}
		if _, err := bulletin.VerifyReceipt(re[0], k.verifier); err != nil {
			t.Fatal(err)
		}
		if n, _ := b.Size(ctx, "e"); n != 10 {
			t.Fatalf("size %d after retries, want 10", n)
		}
		// Same payload with another signature is another submission.
		s := sub(0)
		s.Signature = []byte("other")
		rs, err := b.Append(ctx, "e", s)
		if err != nil || rs[0].Index != 10 {
			t.Fatalf("distinct submission: %v %+v", err, rs)
		}
	})
}

func TestConcurrentAppendsGroupCommit(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		const writers, each = 32, 8
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		seen := make([]uint64, writers*each)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					n := w*each + i
					rs, err := b.Append(ctx, "e", sub(n))
					if err != nil {
						errs <- err
						return
					}
					if _, err := bulletin.VerifyReceipt(rs[0], k.verifier); err != nil {
						errs <- err
						return
					}
					seen[n] = rs[0].Index
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		idx := map[uint64]bool{}
		for _, i := range seen {
			idx[i] = true
		}
		if len(idx) != writers*each {
			t.Fatalf("%d distinct indexes for %d appends", len(idx), writers*each)
		}
		if err := b.Check(ctx, "e"); err != nil {
			t.Fatal(err)
		}
	})
}

// Two boards (standing for two server processes) append to the same store
// concurrently: the database serialises them and the chain stays linear.
func TestTwoProcessesShareStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b1 := openBoard(t, dsn, k)
		b2 := openBoard(t, dsn, k)
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		appendN(t, b1, "e", 100000, 5) // the log exists before the third opens
		for j, b := range []*Board{b1, b2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for w := 0; w < 4; w++ {
					for i := 0; i < 10; i++ {
						if _, err := b.Append(ctx, "e", sub(1000*j+10*w+i)); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		// A third process starting meanwhile checks the log while it grows.
		b3, err := tryOpen(dsn, k)
		if err != nil {
			t.Errorf("open during concurrent appends: %v", err)
		} else {
			b3.Close()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, b := range []*Board{b1, b2} {
			if n, _ := b.Size(ctx, "e"); n != 85 {
				t.Fatalf("size %d, want 85", n)
			}
			if err := b.Check(ctx, "e"); err != nil {
				t.Fatal(err)
			}
		}
		// Either process serves the other's entries and checkpoints.
		r, err := b2.Receipt(ctx, "e", 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bulletin.VerifyReceipt(r, k.verifier); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAppendRejectsBadSubmissions(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, testBoardName)
	b := openBoard(t, "sqlite:"+t.TempDir()+"/b.db", k, func(o *Options) { o.MaxPayload = 100 })
	cases := []struct {
		election string
		s        Submission
		want     error
	}{
		{"e", Submission{Type: "Bad"}, ErrBadRequest},
		{"e", Submission{Type: ""}, ErrBadRequest},
		{"e", Submission{Type: "ok", Payload: make([]byte, 101)}, ErrTooLarge},
		{"e", Submission{Type: "ok", Signer: make([]byte, bulletin.MaxSignerSize+1)}, ErrTooLarge},
		{"e", Submission{Type: "ok", Signature: make([]byte, bulletin.MaxSignatureSize+1)}, ErrTooLarge},
		{"E/../x", Submission{Type: "ok"}, ErrBadRequest},
	}
	for i, c := range cases {
		if _, err := b.Append(ctx, c.election, c.s); !errors.Is(err, c.want) {
			t.Errorf("case %d: %v, want %v", i, err, c.want)
		}
	}
	if n, _ := b.Size(ctx, "e"); n != 0 {
		t.Fatalf("rejected submissions were appended: size %d", n)
	}
}

func TestOpenRejectsWrongKey(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/b.db"
	k := newKeys(t, testBoardName)
	b := openBoard(t, dsn, k)
	appendN(t, b, "e", 0, 3)
	b.Close()
	if _, err := tryOpen(dsn, newKeys(t, testBoardName)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with another board key: %v", err)
	}
	k2 := newKeys(t, "other")
	if _, err := tryOpen(dsn, keys{signer: k.signer, verifier: k2.verifier}); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("mismatched signer and verifier: %v", err)
	}
	_ = bytes.MinRead
	_ = fmt.Sprint
}

func TestCloseFailsPendingAppends(t *testing.T) {
	k := newKeys(t, testBoardName)
	b, err := tryOpen("sqlite:"+t.TempDir()+"/b.db", k)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.Append(context.Background(), "e", sub(i))
			results <- err
		}()
	}
	b.Close()
	wg.Wait() // no append may hang
	close(results)
	for err := range results {
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Fatalf("append during close: %v", err)
		}
	}
	if _, err := b.Append(context.Background(), "e", sub(100)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

// TestSQLitePathWithURICharacters: a store path holding the characters
// that SQLite URI filenames treat specially ('#', '?', '%') opens that very
// file, not a file named by the path cut short (two such paths once shared
// one database).
func TestSQLitePathWithURICharacters(t *testing.T) {
	dir := t.TempDir()
	k := newKeys(t, testBoardName)
	for i, name := range []string{"a#1.db", "a#2.db", "b?x=1.db", "c%41.db"} {
		path := filepath.Join(dir, name)
		b := openBoard(t, "sqlite:"+path, k)
		appendN(t, b, "e", 0, i+1)
		n, err := b.Size(context.Background(), "e")
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), n, "%s holds another path's entries", name)
		require.FileExists(t, path)
	}
	for _, stray := range []string{"a", "b", "c" + "A.db"} {
		require.NoFileExists(t, filepath.Join(dir, stray))
	}
}
