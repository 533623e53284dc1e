package board

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// Every change to a stored entry, to the chain or to the tree is detected
// both on open (full check) and on the read path, with the entry named.
func TestTamperDetected(t *testing.T) {
	rnd := func() []byte {
		b := make([]byte, 32)
		rand.Read(b)
		return b
	}
	flipped := append([]byte(nil), sub(5).Payload...)
	flipped[2] ^= 1
	cases := []struct {
		name  string
		stmts [][]any // statement, args…
		want  string  // in the error
	}{
		{"type", [][]any{{"UPDATE board_entries SET type = 'test.entrz' WHERE log = 'e' AND idx = 5"}}, "entry 5"},
		{"time", [][]any{{"UPDATE board_entries SET time = time + 1 WHERE log = 'e' AND idx = 5"}}, "entry 5"},
		{"prev", [][]any{{"UPDATE board_entries SET prev = ? WHERE log = 'e' AND idx = 5", rnd()}}, "entry 5"},
		{"payload byte", [][]any{{"UPDATE board_entries SET payload = ? WHERE log = 'e' AND idx = 5", flipped}}, "entry 5"},
		{"signer", [][]any{{"UPDATE board_entries SET signer = ? WHERE log = 'e' AND idx = 5", []byte("signes")}}, "entry 5"},
		{"signature", [][]any{{"UPDATE board_entries SET signature = ? WHERE log = 'e' AND idx = 5", []byte("sig6")}}, "entry 5"},
		{"hash", [][]any{{"UPDATE board_entries SET hash = ? WHERE log = 'e' AND idx = 5", rnd()}}, "entry 5"},
		{"missing", [][]any{{"DELETE FROM board_entries WHERE log = 'e' AND idx = 5"}}, "entry 5"},
		{"reordered", [][]any{
			{"UPDATE board_entries SET idx = 1000 WHERE log = 'e' AND idx = 5"},
			{"UPDATE board_entries SET idx = 5 WHERE log = 'e' AND idx = 6"},
			{"UPDATE board_entries SET idx = 6 WHERE log = 'e' AND idx = 1000"},
		}, "entry 5"},
		{"tree leaf", [][]any{{"UPDATE board_hashes SET hash = ? WHERE log = 'e' AND sidx = ?", rnd(), tlog.StoredHashIndex(0, 5)}}, "entry 5"},
	}
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				execSQL(t, dsn, "DELETE FROM board_entries")
				execSQL(t, dsn, "DELETE FROM board_hashes")
				execSQL(t, dsn, "DELETE FROM board_heads")
				execSQL(t, dsn, "DELETE FROM board_checkpoints")
				execSQL(t, dsn, "DELETE FROM board_keys")
				k := newKeys(t, testBoardName)
				b := openBoard(t, dsn, k)
				appendN(t, b, "e", 0, 10)
				for _, s := range c.stmts {
					execSQL(t, dsn, s[0].(string), s[1:]...)
				}
				// Read path, on the running board.
				_, err := b.Entries(ctx, "e", 0, 10)
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("read: %v, want ErrCorrupt naming %q", err, c.want)
				}
				_, err = b.Entry(ctx, "e", 6)
				if c.name != "tree leaf" && (!errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "entry")) {
					t.Errorf("read entry 6: %v, want ErrCorrupt", err)
				}
				b.Close()
				// Start.
				_, err = tryOpen(dsn, k)
				if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("open: %v, want ErrCorrupt naming %q", err, c.want)
				}
			})
		}
		t.Run("extra entry beyond head", func(t *testing.T) {
			execSQL(t, dsn, "DELETE FROM board_entries")
			execSQL(t, dsn, "DELETE FROM board_hashes")
			execSQL(t, dsn, "DELETE FROM board_heads")
			execSQL(t, dsn, "DELETE FROM board_checkpoints")
			execSQL(t, dsn, "DELETE FROM board_keys")
			k := newKeys(t, testBoardName)
			b := openBoard(t, dsn, k)
			appendN(t, b, "e", 0, 10)
			b.Close()
			execSQL(t, dsn, "INSERT INTO board_entries (log, idx, type, time, prev, payload, signer, signature, hash, subkey) SELECT log, 10, type, time, prev, payload, signer, signature, ?, ? FROM board_entries WHERE log = 'e' AND idx = 9", rnd(), rnd())
			if _, err := tryOpen(dsn, k); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "entry 10") {
				t.Errorf("open: %v, want ErrCorrupt naming entry 10", err)
			}
		})
		t.Run("forged checkpoint signature", func(t *testing.T) {
			execSQL(t, dsn, "DELETE FROM board_entries")
			execSQL(t, dsn, "DELETE FROM board_hashes")
			execSQL(t, dsn, "DELETE FROM board_heads")
			execSQL(t, dsn, "DELETE FROM board_checkpoints")
			execSQL(t, dsn, "DELETE FROM board_keys")
			k := newKeys(t, testBoardName)
			b := openBoard(t, dsn, k)
			appendN(t, b, "e", 0, 10)
			n, err := b.Checkpoint(ctx, "e")
			if err != nil {
				t.Fatal(err)
			}
			b.Close()
			forged := []byte(strings.Replace(string(n), "\n10\n", "\n11\n", 1))
			execSQL(t, dsn, "UPDATE board_checkpoints SET note = ? WHERE log = 'e' AND size = 10", forged)
			if _, err := tryOpen(dsn, k); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "checkpoint") {
				t.Errorf("open: %v, want ErrCorrupt about the checkpoint", err)
			}
		})
	})
}
