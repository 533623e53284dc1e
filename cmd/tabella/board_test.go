package main

import (
	"context"
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

// testBoard starts a board with the key in keyFile behind an HTTP server.
func testBoard(t *testing.T, keyFile string, witnesses ...note.Verifier) (*board.Board, string) {
	t.Helper()
	s, v, _, err := loadSigner(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	fixed := func() time.Time { return time.UnixMilli(1_700_000_000_000) }
	b, err := board.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "b.db"), board.Options{Signer: s, Verifier: v, Witnesses: witnesses, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	srv := httptest.NewServer(board.NewHandler(b, board.HandlerOptions{AllowCosign: true}))
	t.Cleanup(srv.Close)
	return b, srv.URL
}

func addEntries(t *testing.T, b *board.Board, tag string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := b.Append(context.Background(), "e1", board.Submission{Type: "t", Payload: fmt.Appendf(nil, "%s%d", tag, i)}); err != nil {
			t.Fatal(err)
		}
	}
}

func keygen(t *testing.T, name string) (file, boardKey, witnessKey string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), name+".key")
	code, out, errOut := runCmd(t, "board", "keygen", "--name", name, "--out", file)
	if code != 0 {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(l, " ")
		switch k {
		case "board-key":
			boardKey = v
		case "witness-key":
			witnessKey = v
		}
	}
	if boardKey == "" || witnessKey == "" {
		t.Fatalf("keygen printed %q", out)
	}
	return
}

func TestBoardFollowAndWitness(t *testing.T) {
	keyFile, boardKey, _ := keygen(t, "board.test")
	wFile, _, wKey := keygen(t, "witness.test")
	wv, err := bulletin.NewCosignatureVerifier(wKey)
	if err != nil {
		t.Fatal(err)
	}
	b, url := testBoard(t, keyFile, wv)
	addEntries(t, b, "x", 6)
	pub := filepath.Join(t.TempDir(), "board.pub")
	os.WriteFile(pub, []byte(boardKey+"\n"), 0o644)
	state := t.TempDir()
	code, out, errOut := runCmd(t, "board", "follow", "--server", url, "--election", "e1", "--board-key", "@"+pub, "--state", state, "--once")
	if code != 0 || !strings.HasPrefix(out, "e1 6 ") {
		t.Fatalf("follow: %d %q %s", code, out, errOut)
	}
	code, out, errOut = runCmd(t, "board", "witness", "--server", url, "--election", "e1", "--board-key", boardKey, "--key", wFile, "--state", t.TempDir(), "--once")
	if code != 0 || !strings.HasPrefix(out, "e1 6 ") {
		t.Fatalf("witness: %d %q %s", code, out, errOut)
	}
	n, _ := b.Checkpoint(context.Background(), "e1")
	if !strings.Contains(string(n), "— witness.test ") {
		t.Fatalf("board checkpoint not cosigned:\n%s", n)
	}
	// Usage errors exit 2.
	if code, _, _ := runCmd(t, "board", "follow", "--server", url); code != 2 {
		t.Fatalf("missing flags: exit %d", code)
	}
	if code, _, _ := runCmd(t, "board", "follow", "--server", url, "--election", "e1", "--board-key", "junk"); code != 2 {
		t.Fatalf("bad key: exit %d", code)
	}
}

func TestBoardFollowForkEvidence(t *testing.T) {
	keyFile, boardKey, _ := keygen(t, "board.test")
	honest, urlA := testBoard(t, keyFile)
	forked, urlB := testBoard(t, keyFile)
	addEntries(t, honest, "x", 5)
	addEntries(t, forked, "y", 5)
	state := t.TempDir()
	if code, _, errOut := runCmd(t, "board", "follow", "--server", urlA, "--election", "e1", "--board-key", boardKey, "--state", state, "--once"); code != 0 {
		t.Fatalf("follow honest: %s", errOut)
	}
	code, out, errOut := runCmd(t, "board", "follow", "--server", urlB, "--election", "e1", "--board-key", boardKey, "--state", state, "--once")
	if code != 1 || !strings.Contains(errOut, "fork") {
		t.Fatalf("follow forked: exit %d, stderr %s", code, errOut)
	}
	ev, err := bulletin.ParseEvidence([]byte(strings.TrimSpace(out)))
	if err != nil {
		t.Fatalf("evidence on stdout: %v: %q", err, out)
	}
	v, _ := note.NewVerifier(boardKey)
	if err := bulletin.CheckEvidence(ev, v); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(state, "evidence.json")); err != nil {
		t.Fatal(err)
	}
}

func TestBoardServe(t *testing.T) {
	keyFile, boardKey, _ := keygen(t, "board.test")
	dbPath := filepath.Join(t.TempDir(), "b.db")
	s, v, _, _ := loadSigner(keyFile)
	b, err := board.Open(context.Background(), "sqlite:"+dbPath, board.Options{Signer: s, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	addEntries(t, b, "x", 3)
	b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := "127.0.0.1:" + freePort(t)
	done := make(chan int, 1)
	go func() {
		var o, e strings.Builder
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &o, stderr: &e, getenv: func(string) string { return "" }}, []string{"board", "serve", "--store", "sqlite:" + dbPath, "--key", keyFile, "--addr", addr})
	}()
	var code int
	var out, errOut string
	for i := 0; i < 100; i++ {
		code, out, errOut = runCmd(t, "board", "follow", "--server", "http://"+addr, "--election", "e1", "--board-key", boardKey, "--state", t.TempDir(), "--once")
		if code == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 0 || !strings.HasPrefix(out, "e1 3 ") {
		t.Fatalf("follow served board: %d %q %s", code, out, errOut)
	}
	cancel()
	if c := <-done; c != 0 {
		t.Fatalf("serve exited %d", c)
	}
}
