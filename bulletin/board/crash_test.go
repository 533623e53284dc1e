package board

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/note"
)

const (
	crashEnvDSN  = "TABELLA_BOARD_CRASH_DSN"
	crashEnvSKey = "TABELLA_BOARD_CRASH_SKEY"
	crashEnvVKey = "TABELLA_BOARD_CRASH_VKEY"
)

// TestCrashChild is the child of TestCrashKill: it appends in a loop from
// 16 writers and prints "ack <index> <hash>" after each acknowledged
// append, until it is killed. It does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	dsn := os.Getenv(crashEnvDSN)
	if dsn == "" {
		return
	}
	s, err := note.NewSigner(os.Getenv(crashEnvSKey))
	if err != nil {
		fmt.Println("child: bad key")
		os.Exit(3)
	}
	v, err := note.NewVerifier(os.Getenv(crashEnvVKey))
	if err != nil {
		os.Exit(3)
	}
	b, err := Open(context.Background(), dsn, Options{Signer: s, Verifier: v})
	if err != nil {
		fmt.Println("child: open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := make([]byte, 2048)
			for i := 0; ; i++ {
				copy(payload, fmt.Sprintf("w%d-i%d-", w, i))
				rs, err := b.Append(context.Background(), "e", Submission{Type: "crash", Payload: payload})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child: append:", err)
					os.Exit(4)
				}
				// Acknowledged: the entry is durable. Report it at once.
				mu.Lock()
				fmt.Fprintf(out, "ack %d %s\n", rs[0].Index, rs[0].EntryHash)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrashKill(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test spawns processes")
	}
	forEachStore(t, func(t *testing.T, dsn string) {
		k := newKeys(t, testBoardName)
		// Start with some history so the restart checks a real tree.
		b := openBoard(t, dsn, k)
		appendN(t, b, "e", 0, 5)
		b.Close()
		for round := 0; round < 2; round++ {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnvDSN+"="+dsn, crashEnvSKey+"="+k.skey, crashEnvVKey+"="+k.vkey)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			acks := map[uint64]bulletin.Hash{}
			sc := bufio.NewScanner(stdout)
			deadline := time.Now().Add(30 * time.Second)
			killed := false
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) != 3 || f[0] != "ack" {
					t.Fatalf("child said %q", sc.Text())
				}
				i, err := strconv.ParseUint(f[1], 10, 64)
				h, err2 := bulletin.ParseHash(f[2])
				if err != nil || err2 != nil {
					t.Fatalf("child said %q", sc.Text())
				}
				acks[i] = h
				// Kill in the middle of the stream, at a point that varies.
				if !killed && (len(acks) >= 200+round*137 || time.Now().After(deadline)) {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					killed = true
				}
			}
			_ = cmd.Wait()
			if !killed {
				t.Fatalf("child ended before it was killed: %s", stderr.String())
			}
			if len(acks) < 200 {
				t.Fatalf("only %d acknowledged appends", len(acks))
			}
			// Restart: Open re-checks the whole log (chain, tree, checkpoint).
			b := openBoard(t, dsn, k)
			ctx := context.Background()
			size, err := b.Size(ctx, "e")
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range acks {
				if i >= size {
					t.Fatalf("acknowledged entry %d lost: size %d after restart", i, size)
				}
				e, err := b.Entry(ctx, "e", i)
				if err != nil {
					t.Fatal(err)
				}
				if e.Hash != h {
					t.Fatalf("acknowledged entry %d changed after restart", i)
				}
			}
			n, err := b.Checkpoint(ctx, "e")
			if err != nil {
				t.Fatal(err)
			}
			cp, err := bulletin.OpenCheckpoint(n, "e", k.verifier)
			if err != nil || cp.Size != size {
				t.Fatalf("checkpoint after restart: %v, size %d vs %d", err, cp.Size, size)
			}
			// The board keeps working after the crash.
			if _, err := b.Append(ctx, "e", sub(1_000_000+round)); err != nil {
				t.Fatal(err)
			}
			b.Close()
			t.Logf("round %d: %d acknowledged, size %d after restart", round, len(acks), size)
		}
	})
}
