package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tabella-vote/tabella/bulletin"
)

var errOdd = errors.New("odd payload")

// rejectOdd rejects the submissions whose payload is {"n":ODD}.
func rejectOdd(ctx context.Context, election string, v AdmitView, subs []Submission) []error {
	errs := make([]error, len(subs))
	for i, s := range subs {
		var n int
		if _, err := fmt.Sscanf(string(s.Payload), `{"n":%d}`, &n); err == nil && n%2 == 1 {
			errs[i] = fmt.Errorf("%w: %d", errOdd, n)
		}
	}
	return errs
}

func TestAdmitRejectsOnlyTheRejected(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		b := openBoard(t, dsn, newKeys(t, testBoardName), func(o *Options) { o.Admit = rejectOdd })
		// Everything rejected on an empty log: nothing appended, no receipt.
		rs, err := b.Append(ctx, "e", sub(1))
		var ae *AdmitError
		if !errors.As(err, &ae) || !errors.Is(err, errOdd) || !errors.Is(err, ErrNotAdmitted) || len(ae.Errs) != 1 || ae.Errs[0] == nil {
			t.Fatalf("append of a rejected submission: %v", err)
		}
		if len(rs) != 1 || rs[0] != nil {
			t.Fatalf("receipts %v, want one nil", rs)
		}
		if n, _ := b.Size(ctx, "e"); n != 0 {
			t.Fatalf("size %d after a rejection, want 0", n)
		}
		// A mixed call: 0 and 2 appended, 1 and 3 rejected.
		rs, err = b.Append(ctx, "e", sub(0), sub(1), sub(2), sub(3))
		if !errors.As(err, &ae) || len(ae.Errs) != 4 || ae.Errs[0] != nil || ae.Errs[1] == nil || ae.Errs[2] != nil || ae.Errs[3] == nil {
			t.Fatalf("mixed append: %v", err)
		}
		if rs[0] == nil || rs[2] == nil || rs[1] != nil || rs[3] != nil || rs[0].Index != 0 || rs[2].Index != 1 {
			t.Fatalf("mixed receipts: %+v", rs)
		}
		for _, r := range []*bulletin.Receipt{rs[0], rs[2]} {
			if _, err := bulletin.VerifyReceipt(r, b.Verifier()); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := b.Size(ctx, "e"); n != 2 {
			t.Fatalf("size %d, want 2", n)
		}
		es, err := b.Entries(ctx, "e", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(es[1].Payload, sub(2).Payload) {
			t.Fatalf("entry 1 is %s, want sub(2)", es[1].Payload)
		}
		// A retry of an appended submission is not shown to the hook and
		// keeps its receipt index.
		rs, err = b.Append(ctx, "e", sub(2))
		if err != nil || rs[0].Index != 1 {
			t.Fatalf("retry: %v %+v", err, rs)
		}
		if err := b.Check(ctx, "e"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAdmitIsAtomicAcrossProcesses: two boards on one store each accept a
// "claim" only if no claim is in the log yet. With concurrent appends from
// both, exactly one claim may be appended, and every hook call sees the
// entries the other process appended (through the view) and the time its
// entries get.
func TestAdmitIsAtomicAcrossProcesses(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		var calls atomic.Int64
		var bad atomic.Value
		once := func(ctx context.Context, election string, v AdmitView, subs []Submission) []error {
			calls.Add(1)
			claimed := false
			for start := uint64(0); start < v.Size(); {
				es, err := v.Entries(ctx, start, v.Size())
				if err != nil || len(es) == 0 {
					bad.Store(fmt.Sprintf("view entries from %d: %v", start, err))
					return nil
				}
				for _, e := range es {
					claimed = claimed || e.Type == "claim"
				}
				start += uint64(len(es))
			}
			errs := make([]error, len(subs))
			for i, s := range subs {
				if s.Type != "claim" {
					continue
				}
				if claimed {
					errs[i] = errors.New("already claimed")
				}
				claimed = true
			}
			return errs
		}
		b1 := openBoard(t, dsn, k, func(o *Options) { o.Admit = once })
		b2 := openBoard(t, dsn, k, func(o *Options) { o.Admit = once })
		var wg sync.WaitGroup
		var won atomic.Int64
		for w := 0; w < 16; w++ {
			b := []*Board{b1, b2}[w%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 5; i++ {
					if _, err := b.Append(ctx, "e", sub(100*w+i)); err != nil {
						bad.Store(err.Error())
					}
				}
				_, err := b.Append(ctx, "e", Submission{Type: "claim", Payload: fmt.Appendf(nil, "%d", w)})
				if err == nil {
					won.Add(1)
				} else if !errors.Is(err, ErrNotAdmitted) {
					bad.Store(err.Error())
				}
			}()
		}
		wg.Wait()
		if s := bad.Load(); s != nil {
			t.Fatal(s)
		}
		if won.Load() != 1 {
			t.Fatalf("%d claims accepted, want exactly 1", won.Load())
		}
		n, _ := b1.Size(ctx, "e")
		if n != 16*5+1 {
			t.Fatalf("size %d, want %d", n, 16*5+1)
		}
		if calls.Load() == 0 {
			t.Fatal("hook never called")
		}
		if err := b2.Check(ctx, "e"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAdmitViewTime(t *testing.T) {
	ctx := context.Background()
	var seen int64
	b := openBoard(t, "sqlite:"+t.TempDir()+"/b.db", newKeys(t, testBoardName), func(o *Options) {
		o.Admit = func(ctx context.Context, election string, v AdmitView, subs []Submission) []error {
			seen = v.Time()
			if v.Size() > 0 {
				es, err := v.Entries(ctx, v.Size()-1, v.Size())
				if err != nil || len(es) != 1 || es[0].Hash != v.Last() {
					t.Errorf("view: last hash does not match entry %d: %v", v.Size()-1, err)
				}
			} else if v.Last() != (bulletin.Hash{}) {
				t.Error("view: empty log with a last hash")
			}
			return nil
		}
	})
	appendN(t, b, "e", 0, 3)
	e, err := b.Entry(ctx, "e", 2)
	if err != nil {
		t.Fatal(err)
	}
	if e.Time != seen {
		t.Fatalf("entry time %d, hook saw %d", e.Time, seen)
	}
	ls, err := b.Elections(ctx)
	if err != nil || len(ls) != 1 || ls[0] != "e" {
		t.Fatalf("Elections: %v %v", ls, err)
	}
}
