package board

import (
	"context"
	"errors"
	"testing"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
)

var errInjected = errors.New("injected fault")

// faultyStore wraps a real store. With failNoPersist, the next Update fails
// after staging its writes and rolls back; with failPersist, it commits and
// then reports a failure (a lost acknowledgement).
type faultyStore struct {
	store.Store
	failNoPersist, failPersist bool
}

func (f *faultyStore) Update(ctx context.Context, log string, fn func(store.Tx) error) error {
	switch {
	case f.failNoPersist:
		f.failNoPersist = false
		return f.Store.Update(ctx, log, func(tx store.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errInjected // staged, then rolled back
		})
	case f.failPersist:
		f.failPersist = false
		if err := f.Store.Update(ctx, log, fn); err != nil {
			return err
		}
		return errInjected // committed, but the caller hears a failure
	}
	return f.Store.Update(ctx, log, fn)
}

func TestCommitFaults(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		st, err := OpenStore(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		fs := &faultyStore{Store: st}
		b, err := newBoard(ctx, fs, Options{Signer: k.signer, Verifier: k.verifier})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		appendN(t, b, "e", 0, 3)

		// Fails and does not persist: no receipt, nothing written, and the
		// next append continues the chain.
		fs.failNoPersist = true
		if _, err := b.Append(ctx, "e", sub(3)); !errors.Is(err, errInjected) {
			t.Fatalf("append with a failing commit: %v", err)
		}
		if n, _ := b.Size(ctx, "e"); n != 3 {
			t.Fatalf("a failed commit left size %d", n)
		}
		rs, err := b.Append(ctx, "e", sub(3))
		if err != nil || rs[0].Index != 3 {
			t.Fatalf("append after a failed commit: %v %+v", err, rs)
		}

		// Fails but persists: the client retries and gets the first entry,
		// not a second one.
		fs.failPersist = true
		if _, err := b.Append(ctx, "e", sub(4)); !errors.Is(err, errInjected) {
			t.Fatalf("append with a lost acknowledgement: %v", err)
		}
		rs, err = b.Append(ctx, "e", sub(4))
		if err != nil || rs[0].Index != 4 {
			t.Fatalf("retry after a lost acknowledgement: %v %+v", err, rs)
		}
		if _, err := bulletin.VerifyReceipt(rs[0], k.verifier); err != nil {
			t.Fatal(err)
		}
		if n, _ := b.Size(ctx, "e"); n != 5 {
			t.Fatalf("size %d after the retry, want 5", n)
		}
		if err := b.Check(ctx, "e"); err != nil {
			t.Fatal(err)
		}
	})
}
