package board

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/bulletin/internal/pgstore"
	"github.com/tabella-vote/tabella/bulletin/internal/sqlitestore"
	"github.com/tabella-vote/tabella/bulletin/internal/testpg"
	"golang.org/x/mod/sumdb/note"
)

const testBoardName = "board.test"

// forEachStore runs f as a subtest against a fresh SQLite file and a fresh
// PostgreSQL schema: the one suite both stores must pass.
func forEachStore(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		f(t, "sqlite:"+filepath.Join(t.TempDir(), "board.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, testpg.DSN(t))
	})
}

type keys struct {
	skey, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func newKeys(t testing.TB, name string) keys {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return keys{skey, vkey, s, v}
}

func openBoard(t testing.TB, dsn string, k keys, mod ...func(*Options)) *Board {
	t.Helper()
	b, err := tryOpen(dsn, k, mod...)
	if err != nil {
		t.Fatalf("open board: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func tryOpen(dsn string, k keys, mod ...func(*Options)) (*Board, error) {
	o := Options{Signer: k.signer, Verifier: k.verifier}
	for _, m := range mod {
		m(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return Open(ctx, dsn, o)
}

// execSQL runs a statement directly on the store, bypassing the board, to
// simulate tampering. Placeholders are written "?" and rewritten to $n for
// PostgreSQL.
func execSQL(t testing.TB, dsn, q string, args ...any) {
	t.Helper()
	ctx := context.Background()
	if strings.HasPrefix(dsn, "sqlite:") {
		s, err := sqlitestore.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Exec(ctx, q, args...); err != nil {
			t.Fatalf("exec %q: %v", q, err)
		}
		return
	}
	n := 0
	var sb strings.Builder
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&sb, "$%d", n)
		} else {
			sb.WriteRune(r)
		}
	}
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Exec(ctx, sb.String(), args...); err != nil {
		t.Fatalf("exec %q: %v", sb.String(), err)
	}
}

func sub(i int) Submission {
	return Submission{Type: "test.entry", Payload: fmt.Appendf(nil, `{"n":%d}`, i), Signer: []byte("signer"), Signature: fmt.Appendf(nil, "sig%d", i)}
}

func appendN(t testing.TB, b *Board, election string, from, n int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		if _, err := b.Append(ctx, election, sub(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// bulletinVerifierFromSigner derives the verifier key of a note signer key.
func bulletinVerifierFromSigner(skey string) []string {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 {
		return nil
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	v, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		return nil
	}
	return []string{v}
}
