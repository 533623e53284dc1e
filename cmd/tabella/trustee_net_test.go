package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// netBackend is a minimal coord.Backend for the command tests: it checks
// signatures and appends (the service's admission rules are tested there).
type netBackend struct {
	bd  *board.Board
	key ed25519.PrivateKey
}

func (b *netBackend) Submit(ctx context.Context, election string, s coord.Submission) (*bulletin.Receipt, error) {
	signer, err := record.ParseSigner(s.Signer)
	if err == nil {
		err = record.VerifySignature(signer, election, s.Type, s.Payload, s.Signature)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", coord.ErrRejected, err)
	}
	rs, err := b.bd.Append(ctx, election, board.Submission{Type: s.Type, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

func (b *netBackend) Entries(ctx context.Context, election string, start, end uint64) ([]*bulletin.Entry, error) {
	return b.bd.Entries(ctx, election, start, end)
}

func (b *netBackend) Wait(ctx context.Context, election string, size uint64) error {
	for {
		if n, err := b.bd.Size(ctx, election); err == nil && n > size {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (b *netBackend) Now() time.Time { return time.Now() }

func (b *netBackend) SignBoard(election, typ string, payload []byte) ([]byte, []byte, error) {
	s, sig := record.Sign(record.Board, b.key, election, typ, payload)
	return s, sig, nil
}

func TestTrusteeCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	const election = "cli-2026"
	// One Ed25519 key signs the board's checkpoints and, as the setup's
	// board key, its ceremony.result and tally.result.
	_, bkey, _ := ed25519.GenerateKey(rand.Reader)
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bkey.Seed()), "board.cli")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	bd, err := board.Open(ctx, "sqlite:"+filepath.Join(dir, "board.db"), board.Options{Signer: signer, Verifier: verifier})
	if err != nil {
		t.Fatal(err)
	}
	defer bd.Close()
	be := &netBackend{bd: bd, key: bkey}
	co := coord.New(be, coord.Options{NoSettle: true, StatusEvery: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux := http.NewServeMux()
	mux.Handle("GET "+coord.Path, co)
	mux.Handle("/", board.NewHandler(bd, board.HandlerOptions{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	go co.Run(ctx, election)

	// Three trustees with key files; a 2-of-3 election of four voters.
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("correct horse battery\n"), 0o600)
	var ids []*trustee.Identity
	var pubs []trustee.Public
	for i := range 3 {
		id, err := trustee.Generate(fmt.Sprintf("T%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		data, err := id.Seal("correct horse battery", 10)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("t%d.key", i+1)), data, 0o600)
		ids, pubs = append(ids, id), append(pubs, *id.Public())
	}
	_, off, _ := ed25519.GenerateKey(rand.Reader)
	post := func(typ string, v any, raw []byte) {
		t.Helper()
		payload := raw
		if v != nil {
			payload, _ = canon.Marshal(v)
		}
		s, sig := record.Sign(record.Official, off, election, typ, payload)
		if _, err := bd.Append(ctx, election, board.Submission{Type: typ, Payload: payload, Signer: s, Signature: sig}); err != nil {
			t.Fatal(err)
		}
	}
	post(record.TypeSetup, &record.Setup{Version: record.Version, ElectionID: election, Board: record.BoardInfo{Name: "board.cli", Key: vkey},
		Officials: []record.Key32{record.Key32(off.Public().(ed25519.PublicKey))}, Trustees: pubs, Threshold: 2}, nil)
	m := &ballot.Manifest{Version: ballot.Version, ElectionID: election, Title: "CLI test",
		// The board's clock is the real one: ballots are cast now.
		Schedule: ballot.Schedule{Opens: time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), Closes: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
		Contests: []ballot.Contest{{ID: "q", Title: "Question", Kind: ballot.OneOfN, Options: []ballot.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}, MinSelections: 1, MaxSelections: 1}}}
	mb, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	post(record.TypeManifest, nil, mb)
	var creds []*ballot.Credential
	var cpubs []*group.Point
	for range 4 {
		c := ballot.NewCredential()
		creds, cpubs = append(creds, c), append(cpubs, c.Public())
	}
	post(record.TypeRollVoters, &record.RollVoters{Chunk: 0, Credentials: cpubs}, nil)
	post(record.TypeRollSeal, &record.RollSeal{Count: 4, Hash: record.RollHash(election, cpubs)}, nil)
	mh, _ := m.Hash()
	params, err := ceremony.NewParams(election, mh, 2, time.Minute, pubs)
	if err != nil {
		t.Fatal(err)
	}

	// Before the parameters: status says so.
	code, out, errOut := runCmd(t, "trustee", "status", "--server", srv.URL, "--election", election)
	if code != 0 || !strings.Contains(out, "setup") {
		t.Fatalf("status: %d %q %q", code, out, errOut)
	}
	post(record.TypeCeremony, nil, params.Marshal())

	type res struct {
		code     int
		out, err string
	}
	results := make([]res, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, o, e := runCmd(t, "trustee", "ceremony", "--server", srv.URL, "--election", election,
				"--key", filepath.Join(dir, fmt.Sprintf("t%d.key", i+1)), "--passphrase-file", passFile)
			results[i] = res{c, o, e}
		}()
	}
	wg.Wait()
	var joint string
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("trustee %d: exit %d\n%s", i+1, r.code, r.err)
		}
		if !strings.Contains(r.err, fmt.Sprintf("trustee %d of 3, threshold 2", i+1)) || !strings.Contains(r.err, "ceremony complete: 2-of-3") {
			t.Errorf("trustee %d: no progress shown:\n%s", i+1, r.err)
		}
		var o ceremonyOutcome
		if err := json.Unmarshal([]byte(r.out), &o); err != nil {
			t.Fatalf("trustee %d: stdout %q: %v", i+1, r.out, err)
		}
		if o.Trustee != i+1 || len(o.Qualified) != 3 || (joint != "" && o.JointKey != joint) {
			t.Fatalf("trustee %d: %+v", i+1, o)
		}
		joint = o.JointKey
	}

	// Vote: 3 yes, 1 no.
	K, err := group.DecodeElement(mustHex(t, joint))
	if err != nil {
		t.Fatal(err)
	}
	el, err := ballot.NewElection(m, K, params.Hash())
	if err != nil {
		t.Fatal(err)
	}
	post(record.TypeOpen, &record.Phase{ElectionID: election}, nil)
	for v, c := range creds {
		ch := ballot.Choices{"q": {1, 0}}
		if v == 3 {
			ch = ballot.Choices{"q": {0, 1}}
		}
		b, _, err := ballot.Encrypt(el, c, ch)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := b.Encode()
		s := record.Signer{Kind: record.Voter, Key: c.Public().Bytes()}
		if _, err := bd.Append(ctx, election, board.Submission{Type: record.TypeBallot, Payload: payload, Signer: s.Bytes()}); err != nil {
			t.Fatal(err)
		}
	}
	post(record.TypeClose, &record.Phase{ElectionID: election}, nil)

	code, out, errOut = runCmd(t, "trustee", "decrypt", "--server", srv.URL, "--election", election, "--key", filepath.Join(dir, "t3.key"), "--passphrase-file", passFile)
	if code != 0 || !strings.Contains(out, `"trustee":3`) || !strings.Contains(errOut, "verified 4/4 counted ballots") {
		t.Fatalf("decrypt 3: %d %q\n%s", code, out, errOut)
	}
	for range 100 { // the coordinator checks the share shortly
		code, out, _ = runCmd(t, "trustee", "status", "--server", srv.URL, "--election", election)
		if strings.Contains(out, "(trustees 3)") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 0 || !strings.Contains(out, "valid decryption shares: 1 of 2 needed (trustees 3)") {
		t.Fatalf("status after one share: %d\n%s", code, out)
	}
	code, out, errOut = runCmd(t, "trustee", "decrypt", "--server", srv.URL, "--election", election, "--key", filepath.Join(dir, "t1.key"), "--passphrase-file", passFile, "--wait", "30s")
	if code != 0 || !hasRow(out, "yes", "3") || !hasRow(out, "no", "1") {
		t.Fatalf("decrypt 1 --wait: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "trustee", "status", "--server", srv.URL, "--election", election)
	if code != 0 || !strings.Contains(out, "done") || !strings.Contains(out, "Turnout  4 ballots") {
		t.Fatalf("status at the end: %d\n%s", code, out)
	}
	// Trustee 2 comes after the result: its share was not needed; it says
	// so, posts nothing and exits 0.
	before, err := bd.Size(ctx, election)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "trustee", "decrypt", "--server", srv.URL, "--election", election, "--key", filepath.Join(dir, "t2.key"), "--passphrase-file", passFile)
	if code != 0 || !strings.Contains(out, `"not_needed":true`) || !strings.Contains(errOut, "this trustee's decryption share was not needed: the tally.result is already on the board") {
		t.Fatalf("decrypt 2 after the result: %d %q\n%s", code, out, errOut)
	}
	if after, err := bd.Size(ctx, election); err != nil || after != before {
		t.Fatalf("decrypt 2 after the result appended: %d then %d entries (%v)", before, after, err)
	}
	// A wrong key file is refused before anything is posted.
	code, _, errOut = runCmd(t, "trustee", "decrypt", "--server", srv.URL, "--election", election, "--key", passFile, "--passphrase-file", passFile)
	if code != 1 {
		t.Fatalf("bad key file: exit %d %s", code, errOut)
	}
	code, _, _ = runCmd(t, "trustee", "ceremony", "--server", srv.URL)
	if code != 2 {
		t.Fatalf("missing flags: exit %d", code)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var x byte
		fmt.Sscanf(s[i:i+2], "%02x", &x)
		b = append(b, x)
	}
	if len(b) != 32 {
		t.Fatalf("bad hex %q", s)
	}
	return b
}

// hasRow reports whether a line of out has exactly the given fields.
func hasRow(out string, fields ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == len(fields) && strings.Join(f, " ") == strings.Join(fields, " ") {
			return true
		}
	}
	return false
}
