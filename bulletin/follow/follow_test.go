package follow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"golang.org/x/mod/sumdb/note"
)

type env struct {
	skey, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func keys(t *testing.T, name string) env {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	return env{skey, vkey, s, v}
}

func fixedClock() time.Time { return time.UnixMilli(1_700_000_000_000) }

// newBoard starts a board on a fresh SQLite file behind an HTTP server.
func newBoard(t *testing.T, k env, witnesses ...note.Verifier) (*board.Board, string) {
	b, err := board.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "b.db"), board.Options{Signer: k.signer, Verifier: k.verifier, Witnesses: witnesses, Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := httptest.NewServer(board.NewHandler(b, board.HandlerOptions{AllowCosign: true}))
	t.Cleanup(srv.Close)
	return b, srv.URL
}

// add appends entries from..to-1, in batches of up to 500 per call.
func add(t *testing.T, b *board.Board, tag string, from, to int) {
	for i := from; i < to; {
		var subs []board.Submission
		for ; i < to && len(subs) < 500; i++ {
			subs = append(subs, board.Submission{Type: "t", Payload: fmt.Appendf(nil, "%s%d", tag, i)})
		}
		if _, err := b.Append(context.Background(), "e", subs...); err != nil {
			t.Fatal(err)
		}
	}
}

func follower(t *testing.T, url, state string, k env, mod ...func(*Config)) *Follower {
	c, err := bulletin.NewClient(url, "e", nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Client: c, Board: k.verifier, StateDir: state}
	for _, m := range mod {
		m(&cfg)
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestFollowMirrorsAndResumes(t *testing.T) {
	ctx := context.Background()
	k := keys(t, "board.test")
	b, url := newBoard(t, k)
	state := t.TempDir()
	f := follower(t, url, state, k)
	if err := f.Sync(ctx); err != nil { // empty board
		t.Fatal(err)
	}
	add(t, b, "x", 0, 7)
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if f.Size() != 7 {
		t.Fatalf("mirrored %d entries, want 7", f.Size())
	}
	add(t, b, "x", 7, 1500) // more than one page
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A restart reloads and re-verifies the mirror, then continues.
	f2 := follower(t, url, state, k)
	if f2.Size() != 1500 || f2.Checkpoint().Size != 1500 {
		t.Fatalf("reloaded %d entries", f2.Size())
	}
	add(t, b, "x", 1500, 1503)
	if err := f2.Sync(ctx); err != nil || f2.Size() != 1503 {
		t.Fatalf("after reload: %v, %d", err, f2.Size())
	}
	f2.Close()
	// A tampered mirror is refused on load.
	path := filepath.Join(state, "entries.jsonl")
	data, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(data), `"type":"t"`, `"type":"u"`, 1)), 0o644)
	c, _ := bulletin.NewClient(url, "e", nil)
	if _, err := New(Config{Client: c, Board: k.verifier, StateDir: state}); err == nil || !strings.Contains(err.Error(), "entry 0") {
		t.Fatalf("tampered mirror: %v", err)
	}
}

func TestFollowRunUsesFeed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k := keys(t, "board.test")
	b, url := newBoard(t, k)
	add(t, b, "x", 0, 3)
	f := follower(t, url, "", k)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	add(t, b, "x", 3, 10)
	for f.Checkpoint() == nil || f.Checkpoint().Size < 10 {
		select {
		case err := <-done:
			t.Fatalf("Run ended: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if ctx.Err() != nil {
			t.Fatal("follower did not reach size 10")
		}
	}
	cancel()
	<-done
}

func TestWitnessCosigns(t *testing.T) {
	ctx := context.Background()
	k := keys(t, "board.test")
	w := keys(t, "witness.test")
	wvkey, _ := bulletin.CosignerVerifierKey(w.skey)
	wv, err := bulletin.NewCosignatureVerifier(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := bulletin.NewCosigner(w.skey, nil)
	b, url := newBoard(t, k, wv)
	add(t, b, "x", 0, 5)
	f := follower(t, url, t.TempDir(), k, func(c *Config) { c.Cosigner = cs })
	if err := f.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := b.Checkpoint(ctx, "e")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := bulletin.OpenCheckpoint(n, "e", k.verifier, wv)
	if err != nil || len(cp.Witnesses) != 1 {
		t.Fatalf("board checkpoint after witnessing: %v %+v", err, cp)
	}
}

func TestForkDetected(t *testing.T) {
	ctx := context.Background()
	k := keys(t, "board.test")
	for _, c := range []struct {
		name           string
		honest, forked func(*board.Board)
		reason         string
	}{
		{"larger tree not extending", func(b *board.Board) { add(t, b, "x", 0, 5) }, func(b *board.Board) { add(t, b, "x", 0, 3); add(t, b, "y", 3, 6) }, "does not extend"},
		{"same size, other root", func(b *board.Board) { add(t, b, "x", 0, 5) }, func(b *board.Board) { add(t, b, "x", 0, 4); add(t, b, "y", 4, 5) }, "different roots"},
		{"smaller tree not a prefix", func(b *board.Board) { add(t, b, "x", 0, 5) }, func(b *board.Board) { add(t, b, "y", 0, 3) }, "does not extend"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, urlA := newBoard(t, k)
			bb, urlB := newBoard(t, k) // same key: the board showing two histories
			c.honest(a)
			c.forked(bb)
			state := t.TempDir()
			f := follower(t, urlA, state, k)
			if err := f.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			f.Close()
			g := follower(t, urlB, state, k)
			err := g.Sync(ctx)
			var fe *ForkError
			if !errors.As(err, &fe) || !errors.Is(err, bulletin.ErrFork) || !strings.Contains(fe.Evidence.Reason, c.reason) {
				t.Fatalf("want a fork (%s), got %v", c.reason, err)
			}
			// The evidence is saved and convinces a third party.
			data, err := os.ReadFile(filepath.Join(state, "evidence.json"))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := bulletin.ParseEvidence(data)
			if err != nil {
				t.Fatal(err)
			}
			if err := bulletin.CheckEvidence(ev, k.verifier); err != nil {
				t.Fatalf("evidence not conclusive: %v", err)
			}
		})
	}
}

func TestForgedCheckpointRejected(t *testing.T) {
	ctx := context.Background()
	k := keys(t, "board.test")
	impostor := keys(t, "board.test")
	b, url := newBoard(t, impostor)
	add(t, b, "x", 0, 3)
	f := follower(t, url, "", k)
	if err := f.Sync(ctx); !errors.Is(err, bulletin.ErrCheckpoint) || errors.Is(err, bulletin.ErrFork) {
		t.Fatalf("checkpoint signed by another key: %v", err)
	}
	if f.Size() != 0 {
		t.Fatal("entries mirrored under a forged checkpoint")
	}
}
