package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tabella-vote/tabella/e2e/record"
)

// testPostgres returns a DSN for a fresh schema on the server named by
// TABELLA_TEST_POSTGRES; the test skips without it (fails under CI=true).
func testPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TABELLA_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TABELLA_TEST_POSTGRES is not set, and CI=true")
		}
		t.Skip("TABELLA_TEST_POSTGRES not set; skipping the PostgreSQL test")
	}
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "svc_" + hex.EncodeToString(rb[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// TestTwoServersOnePostgres: two services share one PostgreSQL store.
// Ballots cast through both are all admitted once; an exactly-once entry
// (election.close) posted through both at once is appended once; after
// the close neither accepts a ballot, though one of them never saw the
// close itself; both report the same summary.
func TestTwoServersOnePostgres(t *testing.T) {
	dsn := testPostgres(t)
	ctx := context.Background()
	h := newHarnessDSN(t, dsn, 20, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	other := &harness{t: t, dsn: dsn, skey: h.skey, off: h.off, id: h.id, creds: h.creds, el: h.el}
	other.open(Options{})
	defer other.close()
	h.post(record.TypeOpen, PhasePayload(h.id))
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		_, data, _ := h.ballot(i, i%2)
		c := []*Client{h.c, other.c}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Submit(ctx, h.id, voterSub(h.creds[i].Public(), record.TypeBallot, data)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Two officials close at once, one through each server: the two
	// submissions differ (signers), so exactly one may be appended.
	closes := make(chan error, 2)
	for k, c := range []*Client{h.c, other.c} {
		off := []Official{h.off, h.off2}[k]
		go func() {
			_, err := c.Submit(ctx, h.id, off.Sign(h.id, record.TypeClose, PhasePayload(h.id)))
			closes <- err
		}()
	}
	e1, e2 := <-closes, <-closes
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("want exactly one close accepted: %v; %v", e1, e2)
	}
	var ae *APIError
	if !errors.As(errors.Join(e1, e2), &ae) || ae.Code != CodeClosed {
		t.Fatalf("the second close: %v %v", e1, e2)
	}
	_, data, _ := h.ballot(0, 1)
	for _, c := range []*Client{h.c, other.c} {
		_, err := c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data))
		if !errors.As(err, &ae) || ae.Code != CodeClosed {
			t.Fatalf("ballot after close: %v", err)
		}
	}
	in1, err := h.c.Info(ctx, h.id)
	if err != nil {
		t.Fatal(err)
	}
	in2, err := other.c.Info(ctx, h.id)
	if err != nil {
		t.Fatal(err)
	}
	if in1.Size != in2.Size || in1.Ballots != 20 || in2.Ballots != 20 || in1.Phase != PhaseClosed || in2.Phase != PhaseClosed {
		t.Fatalf("summaries differ: %+v / %+v", in1, in2)
	}
	n := 0
	es, err := ReadAll(ctx, h.svc.Backend(), h.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Type == record.TypeClose {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d election.close entries, want 1", n)
	}
}
