package board

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/note"
)

func serve(t *testing.T, b *Board, opts HandlerOptions) (*httptest.Server, *bulletin.Client) {
	t.Helper()
	srv := httptest.NewServer(NewHandler(b, opts))
	t.Cleanup(srv.Close)
	c, err := bulletin.NewClient(srv.URL, "e", nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestHTTPReadAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		appendN(t, b, "e", 0, 12)
		srv, c := serve(t, b, HandlerOptions{})

		es, err := c.Entries(ctx, 0, 100)
		if err != nil || len(es) != 12 {
			t.Fatalf("entries: %v, %d", err, len(es))
		}
		ch := bulletin.Chain{Election: "e"}
		for _, e := range es {
			if err := ch.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		es, err = c.Entries(ctx, 4, 7)
		if err != nil || len(es) != 3 || es[0].Index != 4 {
			t.Fatalf("entries 4..7: %v %d", err, len(es))
		}
		e, err := c.Entry(ctx, 5)
		if err != nil || e.Index != 5 {
			t.Fatalf("entry 5: %v", err)
		}
		e2, err := c.EntryByHash(ctx, e.Hash)
		if err != nil || !e2.Equal(e) {
			t.Fatalf("entry by hash: %v", err)
		}
		n, err := c.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := bulletin.OpenCheckpoint(n, "e", k.verifier)
		if err != nil || cp.Size != 12 {
			t.Fatalf("checkpoint: %v", err)
		}
		p, err := c.InclusionProof(ctx, 5, 12)
		if err != nil {
			t.Fatal(err)
		}
		if err := bulletin.VerifyInclusion(cp.Checkpoint, 5, e.Hash, p); err != nil {
			t.Fatal(err)
		}
		appendN(t, b, "e", 12, 5)
		n2, _ := c.Checkpoint(ctx)
		cp2, err := bulletin.OpenCheckpoint(n2, "e", k.verifier)
		if err != nil {
			t.Fatal(err)
		}
		cpf, err := c.ConsistencyProof(ctx, 12, cp2.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := bulletin.VerifyConsistency(cp.Checkpoint, cp2.Checkpoint, cpf); err != nil {
			t.Fatal(err)
		}
		// A consistency proof that does not match is a fork.
		cpf[0][0] ^= 1
		if err := bulletin.VerifyConsistency(cp.Checkpoint, cp2.Checkpoint, cpf); !errors.Is(err, bulletin.ErrFork) {
			t.Fatalf("tampered consistency proof: %v", err)
		}

		// Errors: stable codes and statuses.
		for _, tc := range []struct {
			path   string
			status int
			code   string
		}{
			{"/v1/elections/e/entries/99", 404, bulletin.CodeNotFound},
			{"/v1/elections/e/entries/x", 400, bulletin.CodeBadRequest},
			{"/v1/elections/e/entries/05", 400, bulletin.CodeBadRequest},
			{"/v1/elections/e/entries?start=-1", 400, bulletin.CodeBadRequest},
			{"/v1/elections/e/entries/by-hash/ABCD", 400, bulletin.CodeBadRequest},
			{"/v1/elections/nope/checkpoint", 404, bulletin.CodeNotFound},
			{"/v1/elections/UPPER/checkpoint", 400, bulletin.CodeBadRequest},
			{"/v1/elections/e/proof/inclusion?index=3&size=100", 404, bulletin.CodeNotFound},
			{"/v1/elections/e/proof/consistency?old=0&new=3", 404, bulletin.CodeNotFound},
		} {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), `"code":"`+tc.code+`"`) {
				t.Errorf("%s: %d %s, want %d %s", tc.path, resp.StatusCode, body, tc.status, tc.code)
			}
		}
		// Cosigning is off unless enabled.
		resp, err := http.Post(srv.URL+"/v1/elections/e/cosignature", "text/plain", strings.NewReader(string(n2)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
			t.Fatalf("cosign without AllowCosign: %d", resp.StatusCode)
		}
	})
}

func TestFeedStreamsAndResumes(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		appendN(t, b, "e", 0, 3)
		_, c := serve(t, b, HandlerOptions{})
		f, err := c.Feed(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		ch := bulletin.Chain{Election: "e"}
		var lastCP *bulletin.SignedCheckpoint
		read := func(wantSize uint64) {
			t.Helper()
			for lastCP == nil || lastCP.Size < wantSize {
				m, err := f.Next()
				if err != nil {
					t.Fatal(err)
				}
				if m.Entry != nil {
					if err := ch.Add(m.Entry); err != nil {
						t.Fatal(err)
					}
					continue
				}
				cp, err := bulletin.OpenCheckpoint([]byte(m.Checkpoint), "e", k.verifier)
				if err != nil {
					t.Fatal(err)
				}
				if cp.Size > ch.Next {
					t.Fatalf("checkpoint of size %d before its entries (have %d)", cp.Size, ch.Next)
				}
				lastCP = cp
			}
		}
		read(3)
		done := make(chan error, 1)
		go func() { // live entries
			for i := 3; i < 7; i++ {
				if _, err := b.Append(ctx, "e", sub(i)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		read(7)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		f.Close()
		// Resume from where we stopped after a reconnect.
		appendN(t, b, "e", 7, 2)
		f, err = c.Feed(ctx, ch.Next)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		read(9)
		if ch.Next != 9 {
			t.Fatalf("resumed feed ended at %d", ch.Next)
		}
	})
}

func TestWitnessCosignatures(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, testBoardName)
	w := newKeys(t, "witness.test")
	wvkey, err := bulletin.CosignerVerifierKey(w.skey)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := bulletin.NewCosignatureVerifier(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := bulletin.NewCosigner(w.skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := openBoard(t, "sqlite:"+t.TempDir()+"/b.db", k, func(o *Options) { o.Witnesses = []note.Verifier{wv} })
	appendN(t, b, "e", 0, 4)
	_, c := serve(t, b, HandlerOptions{AllowCosign: true})
	n, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text, _, err := bulletin.NoteText(n)
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(&note.Note{Text: text}, ws)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Cosign(ctx, cosigned)
	if err != nil {
		t.Fatal(err)
	}
	n2, _ := c.Checkpoint(ctx)
	if string(n2) != string(out) {
		t.Fatal("served checkpoint lacks the stored cosignature")
	}
	cp, err := bulletin.OpenCheckpoint(n2, "e", k.verifier, wv)
	if err != nil || len(cp.Witnesses) != 1 || cp.Witnesses[0] != "witness.test" {
		t.Fatalf("cosigned checkpoint: %v %+v", err, cp)
	}
	// Cosigning again replaces, not duplicates.
	if _, err := c.Cosign(ctx, cosigned); err != nil {
		t.Fatal(err)
	}
	n3, _ := c.Checkpoint(ctx)
	if strings.Count(string(n3), "— witness.test ") != 1 {
		t.Fatalf("duplicate cosignature lines:\n%s", n3)
	}
	// A forged cosignature, an unknown witness, and a checkpoint the board
	// never signed are rejected.
	forged := []byte(strings.Replace(string(cosigned), "— witness.test ", "— witness.test AAAA", 1))
	other := newKeys(t, "witness.test")
	os, _ := bulletin.NewCosigner(other.skey, nil)
	unknown, _ := note.Sign(&note.Note{Text: text}, os)
	fake := bulletin.Checkpoint{Origin: bulletin.Origin(testBoardName, "e"), Size: 4}
	fakeNote, _ := note.Sign(&note.Note{Text: fake.Text()}, ws)
	for name, m := range map[string][]byte{"forged": forged, "unknown witness": unknown, "other body": fakeNote} {
		_, err := c.Cosign(ctx, m)
		var ae *bulletin.APIError
		if !errors.As(err, &ae) || (ae.Code != bulletin.CodeRejected && ae.Code != bulletin.CodeBadRequest) {
			t.Errorf("%s cosignature: %v", name, err)
		}
	}
	if n4, _ := c.Checkpoint(ctx); string(n4) != string(n3) {
		t.Fatal("a rejected cosignature changed the checkpoint")
	}
}

// TestCosignSlowBodyTimesOut: a witness POST whose body never arrives is
// cut off at the handler timeout instead of holding the connection forever.
func TestCosignSlowBodyTimesOut(t *testing.T) {
	k := newKeys(t, testBoardName)
	b := openBoard(t, "sqlite:"+t.TempDir()+"/b.db", k)
	appendN(t, b, "e", 0, 1)
	srv, _ := serve(t, b, HandlerOptions{AllowCosign: true, Timeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/elections/e/cosignature HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nboard")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still waits for the body after %v", time.Since(start))
	}
}

// TestFeedUnknownElectionsNotRemembered: feeds of elections that do not
// exist leave nothing behind in the board's notification map (the ids are
// anyone's choice), and a feed opened before an election's first entry
// still streams it.
func TestFeedUnknownElectionsNotRemembered(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	k := newKeys(t, testBoardName)
	b := openBoard(t, "sqlite:"+t.TempDir()+"/b.db", k, func(o *Options) { o.PollInterval = 50 * time.Millisecond })
	srv, _ := serve(t, b, HandlerOptions{})
	for i := range 20 {
		c, err := bulletin.NewClient(srv.URL, fmt.Sprintf("nope%d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := c.Feed(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
	}
	time.Sleep(200 * time.Millisecond)
	b.mu.Lock()
	n := len(b.notify)
	b.mu.Unlock()
	if n != 0 {
		t.Fatalf("the board keeps %d notification channels for elections that do not exist", n)
	}
	c, err := bulletin.NewClient(srv.URL, "e", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Feed(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	appendN(t, b, "e", 0, 1)
	m, err := f.Next()
	if err != nil || m.Entry == nil || m.Entry.Index != 0 {
		t.Fatalf("feed of a new election: %+v, %v", m, err)
	}
}

// TestEntriesPageCappedInBytes: a range of large entries is answered with
// as many as fit in MaxPageBytes (at least one), whose JSON is within the
// cap; the client reads the rest from where the page ended.
func TestEntriesPageCappedInBytes(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, testBoardName)
	b := openBoard(t, "sqlite:"+filepath.Join(t.TempDir(), "board.db"), k)
	big := make([]byte, 1<<20) // 1 MiB payloads: 2 MiB of hex each
	for i := range 9 {
		big[0] = byte(i)
		_, err := b.Append(ctx, "e", Submission{Type: "big", Payload: bytes.Clone(big)})
		require.NoError(t, err)
	}
	srv, c := serve(t, b, HandlerOptions{})
	resp, err := http.Get(srv.URL + "/v1/elections/e/entries?start=0")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.LessOrEqual(t, len(body), bulletin.MaxPageBytes)
	var page bulletin.EntryPage
	require.NoError(t, json.Unmarshal(body, &page))
	require.Equal(t, 3, len(page.Entries), "8 MiB hold three entries of 2 MiB of hex")
	var got []*bulletin.Entry
	for next := uint64(0); next < 9; {
		es, err := c.Entries(ctx, next, 9)
		require.NoError(t, err)
		require.NotEmpty(t, es)
		got = append(got, es...)
		next += uint64(len(es))
	}
	require.Len(t, got, 9)
	require.Len(t, capPage(got[:1], 10), 1, "a page holds at least one entry")
}
