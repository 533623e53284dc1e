package verify

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
)

// liveBoard serves election e from a real board (embedded store, HTTP
// API); append posts e's submissions from..to with their board times.
type liveBoard struct {
	e        *electiontest.Election
	b        *board.Board
	srv      *httptest.Server
	mu       sync.Mutex
	now      time.Time
	receipts []*bulletin.Receipt
}

func newLiveBoard(t *testing.T, e *electiontest.Election) *liveBoard {
	t.Helper()
	vk, err := note.NewVerifier(e.BoardKey)
	if err != nil {
		t.Fatal(err)
	}
	lb := &liveBoard{e: e}
	b, err := board.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "board.db"), board.Options{
		Signer: e.NoteSigner(), Verifier: vk, PollInterval: 20 * time.Millisecond,
		Now: func() time.Time { lb.mu.Lock(); defer lb.mu.Unlock(); return lb.now }})
	if err != nil {
		t.Fatal(err)
	}
	lb.b = b
	lb.srv = httptest.NewServer(board.NewHandler(b, board.HandlerOptions{}))
	t.Cleanup(func() { lb.srv.Close(); b.Close() })
	return lb
}

func (lb *liveBoard) append(t *testing.T, from, to int) {
	t.Helper()
	for _, s := range lb.e.Subs[from:to] {
		lb.mu.Lock()
		lb.now = time.UnixMilli(s.Time)
		lb.mu.Unlock()
		rs, err := lb.b.Append(context.Background(), lb.e.ID, board.Submission{Type: s.Type, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature})
		if err != nil {
			t.Fatal(err)
		}
		lb.receipts = append(lb.receipts, rs...)
	}
}

func (lb *liveBoard) client(t *testing.T) *bulletin.Client {
	c, err := bulletin.NewClient(lb.srv.URL, lb.e.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServer(t *testing.T) {
	e := corpusElection(t)
	lb := newLiveBoard(t, e)
	lb.append(t, 0, len(e.Subs))
	c := lb.client(t)
	rep, err := Server(context.Background(), c, ServerOptions{Options: Options{BoardKey: e.BoardKey}})
	if err != nil || !rep.Valid || !rep.Complete || rep.Result == nil {
		t.Fatalf("live board: %v (valid %v complete %v)", err, rep.Valid, rep.Complete)
	}
	if rep.Counts.Entries != uint64(len(e.Subs)) || rep.Counts.Counted != e.Turnout {
		t.Fatalf("counts %+v", rep.Counts)
	}

	// Unpinned key: valid, with a note.
	rep, err = Server(context.Background(), c, ServerOptions{})
	if err != nil || len(rep.Notes) == 0 {
		t.Fatalf("unpinned: %v, notes %v", err, rep.Notes)
	}
	// A pinned key that is not the board's fails.
	_, _, other, _ := electiontest.NewBoardKey(e.BoardName)
	if _, err := Server(context.Background(), c, ServerOptions{Options: Options{BoardKey: other}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong pinned key: %v", err)
	}

	// Voter's receipt against the live board.
	vk, _ := note.NewVerifier(e.BoardKey)
	bi := e.BallotIndexes[0]
	res, err := LiveReceipt(context.Background(), c, lb.receipts[bi], vk)
	if err != nil || !res.OK || res.Tracking == "" {
		t.Fatalf("live receipt: %v %+v", err, res)
	}
	forged := *lb.receipts[bi]
	forged.EntryHash[0] ^= 1
	if _, err := LiveReceipt(context.Background(), c, &forged, vk); err == nil {
		t.Fatal("forged receipt accepted")
	}
}

func TestServerFollow(t *testing.T) {
	e := corpusElection(t)
	lb := newLiveBoard(t, e)
	half := e.OpenIndex + 3
	lb.append(t, 0, half)
	c := lb.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var sizes []uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var rep *Report
	var err error
	go func() {
		defer close(done)
		rep, err = Server(ctx, c, ServerOptions{Options: Options{BoardKey: e.BoardKey}, Follow: true,
			OnCheckpoint: func(n uint64) { mu.Lock(); sizes = append(sizes, n); mu.Unlock() }})
	}()
	time.Sleep(200 * time.Millisecond)
	lb.append(t, half, len(e.Subs))
	<-done
	if err != nil || !rep.Valid || !rep.Complete {
		t.Fatalf("follow: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sizes) < 2 || sizes[0] != uint64(half) || sizes[len(sizes)-1] != uint64(len(e.Subs)) {
		t.Fatalf("checkpoints seen at sizes %v", sizes)
	}
}

// TestReceiptsAgainstRecord checks receipts the live board issued against
// the record file: a replaced ballot, a counted ballot, and a receipt
// whose entry hash was altered.
func TestReceiptsAgainstRecord(t *testing.T) {
	e := corpusElection(t)
	lb := newLiveBoard(t, e)
	lb.append(t, 0, len(e.Subs))
	first, last := e.BallotIndexes[0], e.BallotIndexes[len(e.BallotIndexes)-1]
	bad := *lb.receipts[last]
	bad.EntryHash[3] ^= 1
	rep, err := verifyBytes(t, e.Bytes(), Options{Receipts: []*bulletin.Receipt{lb.receipts[first], lb.receipts[last], &bad}})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Receipts
	if len(r) != 3 || !r[0].OK || r[0].Counted || !r[1].OK || !r[1].Counted || r[1].Tracking == "" || r[2].OK {
		t.Fatalf("receipts %+v", r)
	}
}
