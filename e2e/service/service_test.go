package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// harness is one election on a service behind a real HTTP server.
type harness struct {
	t      testing.TB
	dsn    string
	skey   string
	svc    *Service
	srv    *httptest.Server
	c      *Client
	off    Official
	off2   Official // a second official listed in the setup
	id     string
	ids    []*trustee.Identity
	shares []*ceremony.KeyShare
	creds  []*ballot.Credential
	el     *ballot.Election
}

func testManifest(id string, opens, closes time.Time) []byte {
	m := &ballot.Manifest{Version: ballot.Version, ElectionID: id, Title: "Test",
		Schedule: ballot.Schedule{Opens: opens.UTC().Format(ballot.TimeLayout), Closes: closes.UTC().Format(ballot.TimeLayout)},
		Contests: []ballot.Contest{{ID: "c0", Title: "Q", Kind: ballot.OneOfN, MinSelections: 1, MaxSelections: 1,
			Options: []ballot.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}}}}
	b, err := m.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

func (h *harness) open(opts Options) {
	h.t.Helper()
	opts.BoardKey = h.skey
	opts.Officials = []ed25519.PublicKey{h.off.Public()}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := Open(context.Background(), h.dsn, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc = svc
	h.srv = httptest.NewServer(svc.Handler(HTTPOptions{CredRate: 1000, CredBurst: 1000}))
	h.c = NewClient(h.srv.URL)
}

func (h *harness) close() {
	h.srv.Close()
	h.svc.Close()
}

// newHarness sets up an election up to (not including) election.open:
// setup, manifest, roll of voters credentials, a 2-of-3 ceremony and its
// result.
func newHarness(t testing.TB, voters int, opens, closes time.Time) *harness {
	t.Helper()
	return newHarnessDSN(t, "sqlite:"+filepath.Join(t.TempDir(), "board.db"), voters, opens, closes)
}

func newHarnessDSN(t testing.TB, dsn string, voters int, opens, closes time.Time) *harness {
	t.Helper()
	return newHarnessManifest(t, dsn, voters, testManifest("e1", opens, closes))
}

// newHarnessManifest is newHarnessDSN with the given manifest (of election
// "e1").
func newHarnessManifest(t testing.TB, dsn string, voters int, man []byte) *harness {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "board.test")
	if err != nil {
		t.Fatal(err)
	}
	_, okey, _ := ed25519.GenerateKey(rand.Reader)
	_, okey2, _ := ed25519.GenerateKey(rand.Reader)
	h := &harness{t: t, dsn: dsn, skey: skey, off: Official{Key: okey}, off2: Official{Key: okey2}, id: "e1"}
	h.open(Options{})
	t.Cleanup(func() { h.close() })
	ctx := context.Background()
	var pubs []trustee.Public
	for i := range 3 {
		id, err := trustee.Generate(fmt.Sprintf("T%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		h.ids = append(h.ids, id)
		pubs = append(pubs, *id.Public())
	}
	setup, err := NewSetup(h.id, h.svc.BoardName(), h.svc.BoardKey(), []ed25519.PublicKey{h.off.Public(), h.off2.Public()}, pubs, 2)
	if err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeSetup, setup)
	h.post(record.TypeManifest, man)
	var pts []*group.Point
	for range voters {
		c := ballot.NewCredential()
		h.creds = append(h.creds, c)
		pts = append(pts, c.Public())
	}
	chunks, seal, err := RollPayloads(h.id, pts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		h.post(record.TypeRollVoters, c)
	}
	h.post(record.TypeRollSeal, seal)
	m, _ := ballot.DecodeManifest(man)
	mh, _ := m.Hash()
	p, err := ceremony.NewParams(h.id, mh, 2, 60*time.Second, pubs)
	if err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeCeremony, p.Marshal())
	h.shares = make([]*ceremony.KeyShare, 3)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i, id := range h.ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ks, err := RunTrustee(ctx, h.svc.Backend(), h.id, id, 20*time.Millisecond)
			h.shares[i] = ks
			errs <- err
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); errs <- PostCeremonyResult(ctx, h.svc.Backend(), h.id, 20*time.Millisecond) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h.el, err = h.svc.BallotElection(ctx, h.id)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) post(typ string, payload []byte) *ReceiptJSON {
	h.t.Helper()
	r, err := h.c.Submit(context.Background(), h.id, h.off.Sign(h.id, typ, payload))
	if err != nil {
		h.t.Fatalf("posting %s: %v", typ, err)
	}
	return r
}

func (h *harness) ballot(voter int, choice int) (*ballot.Ballot, []byte, *ballot.Opening) {
	h.t.Helper()
	v := []uint64{0, 0}
	v[choice] = 1
	b, o, err := ballot.Encrypt(h.el, h.creds[voter], ballot.Choices{"c0": v})
	if err != nil {
		h.t.Fatal(err)
	}
	data, err := b.Encode()
	if err != nil {
		h.t.Fatal(err)
	}
	return b, data, o
}

func voterSub(cred *group.Point, typ string, payload []byte) Submission {
	s := record.Signer{Kind: record.Voter, Key: cred.Bytes()}
	return Submission{Type: typ, Payload: payload, Signer: s.Bytes()}
}

func (h *harness) size() uint64 {
	n, err := h.svc.Board().Size(context.Background(), h.id)
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if ae.Code != code {
		t.Fatalf("got code %s (%s), want %s", ae.Code, ae.Message, code)
	}
}

func TestWholeElection(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 6, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	// Voters 0..4 vote; voter 0 changes its mind; voter 5 spoils a ballot
	// and then casts a fresh one.
	want := []uint64{0, 0}
	choices := []int{0, 1, 0, 0, 1}
	for i, c := range choices {
		_, data, _ := h.ballot(i, c)
		r, err := h.c.Submit(ctx, h.id, voterSub(h.creds[i].Public(), record.TypeBallot, data))
		if err != nil {
			t.Fatalf("voter %d: %v", i, err)
		}
		if _, err := bulletin.VerifyReceipt(r.Receipt, h.svc.Board().Verifier()); err != nil {
			t.Fatal(err)
		}
		if _, err := ballot.ParseTrackingCode(r.TrackingCode); err != nil {
			t.Fatalf("tracking code %q: %v", r.TrackingCode, err)
		}
		// A retry returns the same receipt index.
		r2, err := h.c.Submit(ctx, h.id, voterSub(h.creds[i].Public(), record.TypeBallot, data))
		if err != nil || r2.Receipt.Index != r.Receipt.Index || r2.TrackingCode != r.TrackingCode {
			t.Fatalf("retry of voter %d: %v", i, err)
		}
	}
	_, data, _ := h.ballot(0, 1) // revote
	if _, err := h.c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data)); err != nil {
		t.Fatal(err)
	}
	choices[0] = 1
	b5, data5, o5 := h.ballot(5, 0)
	sp, err := ballot.Spoil(b5, o5)
	if err != nil {
		t.Fatal(err)
	}
	spData, _ := sp.Encode()
	if _, err := h.c.Submit(ctx, h.id, voterSub(h.creds[5].Public(), record.TypeSpoiled, spData)); err != nil {
		t.Fatal(err)
	}
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[5].Public(), record.TypeBallot, data5))
	wantCode(t, err, CodeSpoiled)
	_, data5, _ = h.ballot(5, 1)
	if _, err := h.c.Submit(ctx, h.id, voterSub(h.creds[5].Public(), record.TypeBallot, data5)); err != nil {
		t.Fatal(err)
	}
	choices = append(choices, 1)
	for _, c := range choices {
		want[c]++
	}
	in, err := h.c.Info(ctx, h.id)
	if err != nil {
		t.Fatal(err)
	}
	if in.Phase != PhaseOpen || in.Ballots != 7 || in.Counted != 6 || in.Roll.Count != 6 || !in.Roll.Sealed {
		t.Fatalf("info: %+v", in)
	}
	h.post(record.TypeClose, PhasePayload(h.id))
	// A trustee cannot post decryption shares that name another trustee
	// (e2e/SPEC.md §11.2): trustee 2 signs trustee 1's share message.
	h.refuseShare(func(base [32]byte) [32]byte { return base }, 0, 1, CodeForbidden)
	for _, i := range []int{0, 2} {
		if err := PostShare(ctx, h.svc.Backend(), h.id, h.ids[i], h.shares[i]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := PostTallyResult(ctx, h.svc.Backend(), h.id)
	if err != nil {
		t.Fatal(err)
	}
	if res.Turnout != 6 || res.Contests[0].Options[0].Count != want[0] || res.Contests[0].Options[1].Count != want[1] {
		t.Fatalf("result %+v, want counts %v", res, want)
	}
	// A restarted service rebuilds the same state from the board.
	size := h.size()
	h.close()
	h.open(Options{})
	in2, err := h.c.Info(ctx, h.id)
	if err != nil {
		t.Fatal(err)
	}
	if in2.Phase != PhaseTallied || in2.Size != size || in2.Ballots != 7 || in2.Counted != 6 || !bytes.Equal(in2.Result, mustResult(t, res)) {
		t.Fatalf("after restart: %+v", in2)
	}
	// Nothing more is accepted after the result.
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[1].Public(), record.TypeBallot, data))
	wantCode(t, err, CodeClosed)
}

func mustResult(t *testing.T, r *tally.Result) []byte { return r.Marshal() }

func rawPost(t *testing.T, url string, body []byte) (int, ErrorJSON) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e ErrorJSON
	if resp.StatusCode != 200 {
		if err := canonUnmarshal(data, &e); err != nil {
			t.Fatalf("error body %q: %v", data, err)
		}
	}
	return resp.StatusCode, e
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 3, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	url := h.srv.URL + "/v1/elections/" + h.id + "/entries"
	b0, data0, _ := h.ballot(0, 0)
	cred0 := h.creds[0].Public()

	check := func(name string, err error, code string) {
		t.Helper()
		before := h.size()
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code != code {
			t.Errorf("%s: got %v, want code %s", name, err, code)
		}
		if after := h.size(); after != before {
			t.Errorf("%s: board grew from %d to %d", name, before, after)
		}
	}
	// Before open.
	_, err := h.c.Submit(ctx, h.id, voterSub(cred0, record.TypeBallot, data0))
	check("ballot before open", err, CodeNotOpen)

	// Admin requests: unsigned, wrongly signed, signed by a stranger.
	open := h.off.Sign(h.id, record.TypeOpen, PhasePayload(h.id))
	unsigned := open
	unsigned.Signature = nil
	_, err = h.c.Submit(ctx, h.id, unsigned)
	check("unsigned open", err, CodeBadSignature)
	bad := open
	bad.Signature = bytes.Clone(open.Signature)
	bad.Signature[3] ^= 1
	_, err = h.c.Submit(ctx, h.id, bad)
	check("badly signed open", err, CodeBadSignature)
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	_, err = h.c.Submit(ctx, h.id, Official{Key: stranger}.Sign(h.id, record.TypeOpen, PhasePayload(h.id)))
	check("open by a stranger", err, CodeForbidden)
	moved := h.off.Sign("e2", record.TypeOpen, PhasePayload(h.id)) // signature for another election
	_, err = h.c.Submit(ctx, h.id, moved)
	check("official signature moved from another election", err, CodeBadSignature)
	_, err = h.c.Submit(ctx, h.id, h.off.Sign(h.id, record.TypeSetup, []byte("{}")))
	check("second setup", err, CodeConflict)

	first := h.post(record.TypeOpen, PhasePayload(h.id))
	// The same open again (a retry) is answered with the first's receipt;
	// nothing is appended.
	before := h.size()
	again, err := h.c.Submit(ctx, h.id, open)
	require.NoError(t, err, "a retried open")
	require.Equal(t, first.Receipt.Index, again.Receipt.Index)
	require.Equal(t, before, h.size())

	// Malformed requests.
	for _, c := range []struct {
		name, body, code string
	}{
		{"not JSON", "hello", CodeMalformed},
		{"unknown field", `{"type":"ballot","payload":"","signer":"","signature":"","x":1}`, CodeMalformed},
		{"uppercase hex", `{"type":"ballot","payload":"AB","signer":"","signature":""}`, CodeMalformed},
		{"bad type", `{"type":"Ballot!","payload":"","signer":"","signature":""}`, CodeMalformed},
		{"empty signer", `{"type":"ballot","payload":"","signer":"","signature":""}`, CodeMalformed},
	} {
		before := h.size()
		status, e := rawPost(t, url, []byte(c.body))
		if status == 200 || e.Code != c.code {
			t.Errorf("%s: status %d code %q, want %s", c.name, status, e.Code, c.code)
		}
		if h.size() != before {
			t.Errorf("%s: board grew", c.name)
		}
	}
	status, e := rawPost(t, url, bytes.Repeat([]byte("a"), MaxSubmissionJSON+10))
	if status != http.StatusRequestEntityTooLarge || e.Code != CodeTooLarge {
		t.Errorf("oversized body: %d %s", status, e.Code)
	}

	// Ballots.
	stranger2 := ballot.NewCredential()
	sb, _, err := ballot.Encrypt(h.el, stranger2, ballot.Choices{"c0": {1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	sdata, _ := sb.Encode()
	_, err = h.c.Submit(ctx, h.id, voterSub(stranger2.Public(), record.TypeBallot, sdata))
	check("unknown credential", err, CodeNotOnRoll)

	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[1].Public(), record.TypeBallot, data0))
	check("ballot of voter 0 replayed by voter 1", err, CodeMalformed)

	replay := *b0
	replay.Credential = h.creds[1].Public()
	rdata, _ := replay.Encode()
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[1].Public(), record.TypeBallot, rdata))
	check("ballot of voter 0 under voter 1's credential", err, CodeBadProof)

	tampered := decode(t, data0)
	tampered.Signature.Z = tampered.Signature.Z.Add(group.NewScalar(1))
	tdata, _ := tampered.Encode()
	_, err = h.c.Submit(ctx, h.id, voterSub(cred0, record.TypeBallot, tdata))
	check("bad ballot signature", err, CodeBadSignature)

	tampered = decode(t, data0)
	tampered.Contests[0].Selections[0].Proof.Z[0] = tampered.Contests[0].Selections[0].Proof.Z[0].Add(group.NewScalar(1))
	tdata, _ = tampered.Encode()
	_, err = h.c.Submit(ctx, h.id, voterSub(cred0, record.TypeBallot, tdata))
	check("bad ballot proof", err, CodeBadProof)

	// A ballot for another election: same manifest id, other joint key.
	other, err := ballot.NewElection(h.el.Manifest, group.BaseMul(group.RandomScalar()), h.el.CeremonyHash)
	if err != nil {
		t.Fatal(err)
	}
	ob, _, err := ballot.Encrypt(other, h.creds[0], ballot.Choices{"c0": {1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	odata, _ := ob.Encode()
	_, err = h.c.Submit(ctx, h.id, voterSub(cred0, record.TypeBallot, odata))
	check("ballot for another election", err, CodeWrongElection)

	_, err = h.c.Submit(ctx, h.id, voterSub(cred0, record.TypeBallot, data0[:len(data0)-1]))
	check("truncated ballot", err, CodeMalformed)

	// The good ballot still goes through, and the server still serves.
	if _, err := h.c.Submit(ctx, h.id, voterSub(cred0, record.TypeBallot, data0)); err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeClose, PhasePayload(h.id))
	_, data1, _ := h.ballot(1, 0)
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[1].Public(), record.TypeBallot, data1))
	check("ballot after close", err, CodeClosed)
	_, err = h.c.Info(ctx, "nope")
	wantCode(t, err, CodeNotFound)
	resp, err := http.Get(h.srv.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
}

// TestSchedule: the manifest's schedule is enforced against board time,
// even while the election is open.
func TestSchedule(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	_, data, _ := h.ballot(0, 0)
	_, err := h.c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data))
	wantCode(t, err, CodeNotOpen)
	if !strings.Contains(err.Error(), "opens at") {
		t.Fatalf("error does not say when voting opens: %v", err)
	}
}

func decode(t *testing.T, data []byte) *ballot.Ballot {
	t.Helper()
	b, err := ballot.DecodeBallot(data)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func canonUnmarshal(data []byte, v any) error { return canon.Unmarshal(data, v, 1<<16) }

func TestLimiter(t *testing.T) {
	l := newLimiter(1, 3)
	for i := range 3 {
		if !l.allow("a") {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	if l.allow("a") {
		t.Fatal("fourth request within the burst accepted")
	}
	if !l.allow("b") {
		t.Fatal("another key is limited by the first")
	}
}

// TestRateLimitedCredential: a credential over its limit gets
// rate_limited and nothing is appended; another voter is not affected.
func TestRateLimitedCredential(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 2, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	srv := httptest.NewServer(h.svc.Handler(HTTPOptions{CredRate: 0.001, CredBurst: 2}))
	defer srv.Close()
	c := NewClient(srv.URL)
	for i := range 2 {
		_, data, _ := h.ballot(0, i%2)
		if _, err := c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data)); err != nil {
			t.Fatal(err)
		}
	}
	before := h.size()
	_, data, _ := h.ballot(0, 0)
	_, err := c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data))
	wantCode(t, err, CodeRateLimited)
	if h.size() != before {
		t.Fatal("a rate-limited ballot was appended")
	}
	_, data, _ = h.ballot(1, 0)
	if _, err := c.Submit(ctx, h.id, voterSub(h.creds[1].Public(), record.TypeBallot, data)); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyQueueFull: when the verification queue is full a ballot is
// refused at once with unavailable instead of waiting.
func TestVerifyQueueFull(t *testing.T) {
	s := &Service{verify: make(chan *vjob, 1), stop: make(chan struct{})}
	s.verify <- &vjob{}
	err := s.verifyBallot(nil, nil, nil)
	if code, status := ErrorCode(err); code != CodeUnavailable || status != http.StatusServiceUnavailable {
		t.Fatalf("full queue: %v (%s %d)", err, code, status)
	}
}

// TestFloodOfBadBallots: bad ballots verified in the same batches as good
// ones are refused one by one (batch verification falls back to naming the
// culprits) and every good ballot is admitted.
func TestFloodOfBadBallots(t *testing.T) {
	ctx := context.Background()
	const good = 8
	h := newHarness(t, good, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	var wg sync.WaitGroup
	var bad, ok, wrong atomic.Int64
	_, data0, _ := h.ballot(0, 0)
	for i := range 120 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i < good {
				_, data, _ := h.ballot(i, i%2)
				if _, err := h.c.Submit(ctx, h.id, voterSub(h.creds[i].Public(), record.TypeBallot, data)); err != nil {
					t.Errorf("good ballot %d: %v", i, err)
					return
				}
				ok.Add(1)
				return
			}
			b := decode(t, data0)
			b.Contests[0].SumProof.Z[0] = b.Contests[0].SumProof.Z[0].Add(group.NewScalar(uint64(i)))
			data, _ := b.Encode()
			_, err := h.c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data))
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == CodeBadProof {
				bad.Add(1)
			} else {
				wrong.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != good || bad.Load() != 120-good || wrong.Load() != 0 {
		t.Fatalf("good %d, refused as bad_proof %d, other outcomes %d", ok.Load(), bad.Load(), wrong.Load())
	}
	in, err := h.c.Info(ctx, h.id)
	if err != nil {
		t.Fatal(err)
	}
	if in.Ballots != good {
		t.Fatalf("%d ballots on the board, want %d", in.Ballots, good)
	}
}

// TestCeremonyParamsTrusteeRecords: ceremony.params must list the setup's
// trustee records byte for byte (e2e/SPEC.md §11.2), names included; the
// verifier rejects a record whose params rename a trustee.
func TestCeremonyParamsTrusteeRecords(t *testing.T) {
	h, pubs := setupOnly(t)
	man := testManifest(h.id, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeManifest, man)
	m, _ := ballot.DecodeManifest(man)
	mh, _ := m.Hash()
	renamed := slicesClone(pubs)
	renamed[1].Name = "Mallory"
	p, err := ceremony.NewParams(h.id, mh, 2, 5*time.Second, renamed)
	if err != nil {
		t.Fatal(err)
	}
	before := h.size()
	_, err = h.c.Submit(context.Background(), h.id, h.off.Sign(h.id, record.TypeCeremony, p.Marshal()))
	wantCode(t, err, CodeConflict)
	if h.size() != before {
		t.Fatal("ceremony.params renaming a trustee was appended")
	}
	p, err = ceremony.NewParams(h.id, mh, 2, 5*time.Second, pubs)
	if err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeCeremony, p.Marshal())
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

// TestUnknownElectionsNotRemembered: reads of and refused submissions to
// elections that do not exist leave no state behind (the ids are anyone's
// choice, so remembering them lets anyone grow the server's memory).
func TestUnknownElectionsNotRemembered(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	count := func() int {
		h.svc.mu.Lock()
		defer h.svc.mu.Unlock()
		return len(h.svc.elections)
	}
	before := count()
	_, data, _ := h.ballot(0, 0)
	for i := range 50 {
		id := fmt.Sprintf("nope%d", i)
		_, err := h.c.Info(ctx, id)
		wantCode(t, err, CodeNotFound)
		_, err = h.c.Submit(ctx, id, voterSub(h.creds[0].Public(), record.TypeBallot, data))
		if err == nil {
			t.Fatal("a ballot for an election that does not exist was accepted")
		}
		wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		_ = h.svc.Wait(wctx, id, 0)
		cancel()
	}
	if n := count(); n != before {
		t.Fatalf("the service remembers %d elections, %d before asking about unknown ones", n, before)
	}
	if _, err := h.c.Info(ctx, h.id); err != nil {
		t.Fatal(err)
	}
}

// TestSlowBodyTimesOut: a client that sends a submission's headers and then
// trickles (or withholds) its body is cut off at the request timeout
// instead of holding a server goroutine and connection forever.
func TestSlowBodyTimesOut(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "board.test")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "board.db"),
		Options{BoardKey: skey, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv := httptest.NewServer(svc.Handler(HTTPOptions{Timeout: 200 * time.Millisecond}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/elections/e1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"type\":")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn) // the server answers (or drops the connection) at its timeout
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still waits for the body after %v", time.Since(start))
	}
}

// setupOnly starts a service with an election holding only its setup (two
// trustees, threshold 2).
func setupOnly(t *testing.T) (*harness, []trustee.Public) {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "board.test")
	if err != nil {
		t.Fatal(err)
	}
	_, okey, _ := ed25519.GenerateKey(rand.Reader)
	h := &harness{t: t, dsn: "sqlite:" + filepath.Join(t.TempDir(), "board.db"), skey: skey, off: Official{Key: okey}, id: "e1"}
	h.open(Options{})
	t.Cleanup(h.close)
	var pubs []trustee.Public
	for i := range 2 {
		id, err := trustee.Generate(fmt.Sprintf("T%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		h.ids = append(h.ids, id)
		pubs = append(pubs, *id.Public())
	}
	setup, err := NewSetup(h.id, h.svc.BoardName(), h.svc.BoardKey(), []ed25519.PublicKey{h.off.Public()}, pubs, 2)
	if err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeSetup, setup)
	return h, pubs
}

// rankedTestManifest is testManifest's contest c0 and a ranked contest
// "r" of 3 options with a ranking of up to 2 (IRV).
func rankedTestManifest(id string, opens, closes time.Time) []byte {
	m, err := ballot.DecodeManifest(testManifest(id, opens, closes))
	if err != nil {
		panic(err)
	}
	m.Contests = append(m.Contests, ballot.Contest{ID: "r", Title: "Rank", Kind: ballot.Ranked, MinSelections: 1, MaxSelections: 2, Method: ballot.IRV,
		Options: []ballot.Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}, {ID: "c", Title: "C"}}})
	b, err := m.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

// TestRankedElection: a manifest with a ranked contest is accepted; ranked
// ballots (and a spoiled one) are admitted, bad ones refused with nothing
// appended; the homomorphic contest beside it is tallied as always.
func TestRankedElection(t *testing.T) {
	ctx := context.Background()
	h := newHarnessManifest(t, "sqlite:"+filepath.Join(t.TempDir(), "board.db"), 4, rankedTestManifest("e1", time.Now().Add(-time.Hour), time.Now().Add(time.Hour)))
	h.post(record.TypeOpen, PhasePayload(h.id))
	rc := h.el.Manifest.Contest("r")
	encrypt := func(voter int, yes uint64, ranking ...string) (*ballot.Ballot, []byte, *ballot.Opening) {
		t.Helper()
		v, err := rc.Ranking(ranking...)
		require.NoError(t, err)
		b, o, err := ballot.Encrypt(h.el, h.creds[voter], ballot.Choices{"c0": {yes, 1 - yes}, "r": v})
		require.NoError(t, err)
		data, err := b.Encode()
		require.NoError(t, err)
		return b, data, o
	}
	for i, r := range [][]string{{"b", "a"}, {"c"}, {"a", "c"}} {
		_, data, _ := encrypt(i, uint64(i%2), r...)
		_, err := h.c.Submit(ctx, h.id, voterSub(h.creds[i].Public(), record.TypeBallot, data))
		require.NoError(t, err, "voter %d", i)
	}
	b3, data3, o3 := encrypt(3, 1, "c", "b")
	sp, err := ballot.Spoil(b3, o3)
	require.NoError(t, err)
	spData, err := sp.Encode()
	require.NoError(t, err)
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[3].Public(), record.TypeSpoiled, spData))
	require.NoError(t, err, "spoiled ranked ballot")
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[3].Public(), record.TypeBallot, data3))
	wantCode(t, err, CodeSpoiled)

	before := h.size()
	b, _, _ := encrypt(3, 1, "a")
	swapped := decode(t, must(b.Encode()))
	r := swapped.Contests[1].Ranks
	r[0], r[1] = r[1], r[0]
	short := decode(t, must(b.Encode()))
	short.Contests[1].Ranks = short.Contests[1].Ranks[:1]
	asSelections := decode(t, must(b.Encode()))
	asSelections.Contests[1].Selections, asSelections.Contests[1].Ranks = asSelections.Contests[1].Ranks, nil
	for name, tc := range map[string]struct {
		b    *ballot.Ballot
		code string
	}{
		"ranks swapped":            {swapped, CodeBadProof},
		"L-1 ranks":                {short, CodeMalformed},
		"ranks sent as selections": {asSelections, CodeMalformed},
	} {
		data, err := tc.b.Encode()
		require.NoError(t, err)
		_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[3].Public(), record.TypeBallot, data))
		var ae *APIError
		if assert.ErrorAs(t, err, &ae, name) {
			assert.Equal(t, tc.code, ae.Code, "%s: %s", name, ae.Message)
		}
	}
	require.Equal(t, before, h.size(), "a refused ballot was appended")

	h.post(record.TypeClose, PhasePayload(h.id))
	for _, i := range []int{0, 2} {
		require.NoError(t, PostShare(ctx, h.svc.Backend(), h.id, h.ids[i], h.shares[i]))
	}
	res, err := PostTallyResult(ctx, h.svc.Backend(), h.id)
	require.NoError(t, err)
	require.Len(t, res.Contests, 1, "the result has the homomorphic contest only")
	assert.Equal(t, "c0", res.Contests[0].ID)
	assert.Equal(t, uint64(3), res.Turnout)
	assert.Equal(t, uint64(1), res.Contests[0].Options[0].Count) // voter 1
	assert.Equal(t, uint64(2), res.Contests[0].Options[1].Count) // voters 0 and 2
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSpoiledNotOnRollCostsNoVerification: a spoiled ballot from a
// credential that is not on the roll is refused before its proofs are
// verified (as a ballot is), so that strangers cannot make the server
// verify proofs outside the verification queue.
func TestSpoiledNotOnRollCostsNoVerification(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	stranger := ballot.NewCredential()
	b, o, err := ballot.Encrypt(h.el, stranger, ballot.Choices{"c0": {1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ballot.Spoil(b, o)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := sp.Encode()
	_, before := h.svc.VerifyStats()
	_, err = h.c.Submit(ctx, h.id, voterSub(stranger.Public(), record.TypeSpoiled, data))
	wantCode(t, err, CodeNotOnRoll)
	if _, after := h.svc.VerifyStats(); after != before {
		t.Fatalf("the server verified %d ballots for a stranger's spoiled ballot", after-before)
	}
}

// TestShareForAnotherElectionRefused: a trustee's decryption shares made
// for another election (same trustee key, e.g. copied from that election's
// public board) are refused, so that nobody can post them first and block
// the trustee's real shares (at most one tally.share per trustee).
func TestShareForAnotherElectionRefused(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 2, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	_, data, _ := h.ballot(0, 1)
	if _, err := h.c.Submit(ctx, h.id, voterSub(h.creds[0].Public(), record.TypeBallot, data)); err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeClose, PhasePayload(h.id))
	h.refuseShare(func(base [32]byte) [32]byte { base[0] ^= 1; return base }, 0, 0, CodeWrongElection)
	for _, i := range []int{0, 1} {
		if err := PostShare(ctx, h.svc.Backend(), h.id, h.ids[i], h.shares[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := PostTallyResult(ctx, h.svc.Backend(), h.id); err != nil {
		t.Fatal(err)
	}
}

// TestMalformedCeremonyMessageRefused: ceremony messages are decoded
// strictly at admission (e2e/SPEC.md §11.8) like every other payload, so a
// registered trustee cannot fill the board (and the memory of every reader
// of it) with megabytes of junk under a ceremony type.
func TestMalformedCeremonyMessageRefused(t *testing.T) {
	ctx := context.Background()
	h, pubs := setupOnly(t)
	man := testManifest(h.id, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeManifest, man)
	m, _ := ballot.DecodeManifest(man)
	mh, _ := m.Hash()
	// A minute a round: the junk below (1 MiB payloads) takes a while under
	// -race on a loaded machine, and a round closes once every message is in.
	p, err := ceremony.NewParams(h.id, mh, 2, 60*time.Second, pubs)
	if err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeCeremony, p.Marshal())
	signer := record.Signer{Kind: record.Trustee, Key: pubs[0].SigningKey}
	for _, junk := range [][]byte{[]byte("junk"), []byte(`{"x":"` + strings.Repeat("a", 1<<20) + `"}`)} {
		for _, typ := range []string{record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer} {
			sig := h.ids[0].Sign(h.id, typ, junk)
			before := h.size()
			_, err := h.c.Submit(ctx, h.id, Submission{Type: typ, Payload: junk, Signer: signer.Bytes(), Signature: sig[:]})
			wantCode(t, err, CodeMalformed)
			if h.size() != before {
				t.Fatalf("a malformed %s was appended", typ)
			}
		}
	}
	// Well-formed, but for another ceremony (e.g. copied from another
	// election where the trustee serves with the same key), or naming
	// another trustee than the signer: the replay would ignore it.
	other := p.Hash()
	other[0] ^= 1
	for _, c := range []struct {
		name string
		m    ceremony.Complaints
		code string
	}{
		{"another ceremony", ceremony.Complaints{Ceremony: other, Trustee: 1, Accused: []int{}}, CodeWrongElection},
		{"another trustee", ceremony.Complaints{Ceremony: p.Hash(), Trustee: 2, Accused: []int{}}, CodeForbidden},
	} {
		payload, err := canon.Marshal(&c.m)
		if err != nil {
			t.Fatal(err)
		}
		sig := h.ids[0].Sign(h.id, record.TypeComplaints, payload)
		before := h.size()
		_, err = h.c.Submit(ctx, h.id, Submission{Type: record.TypeComplaints, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]})
		if err == nil || h.size() != before {
			t.Fatalf("%s: a complaint the replay ignores was appended", c.name)
		}
		wantCode(t, err, c.code)
	}
	// The real ceremony still goes through.
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, id := range h.ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := RunTrustee(ctx, h.svc.Backend(), h.id, id, 20*time.Millisecond)
			errs <- err
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); errs <- PostCeremonyResult(ctx, h.svc.Backend(), h.id, 20*time.Millisecond) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestCancelledSubmitKeepsState: a client that goes away while its entry
// is being committed does not make the service forget its cached state
// (which would then be rebuilt from entry 0, inside the append transaction
// or with the election's lock held: a voter cancelling requests could keep
// a large election rebuilding). The entry's fate is settled instead.
func TestCancelledSubmitKeepsState(t *testing.T) {
	// The clock is read once by the precheck and then by the board's
	// commit, before admission: the second read after arming cancels the
	// submission and waits (bounded) for Submit to return.
	var armed atomic.Int32
	var cancel context.CancelFunc
	returned := make(chan struct{})
	now := func() time.Time {
		if armed.Add(-1) == 0 {
			cancel() // the client goes away during the commit
			select {
			case <-returned:
			case <-time.After(300 * time.Millisecond):
			}
		}
		return time.Now()
	}
	skey, _, err := note.GenerateKey(rand.Reader, "board.test")
	if err != nil {
		t.Fatal(err)
	}
	_, okey, _ := ed25519.GenerateKey(rand.Reader)
	h := &harness{t: t, dsn: "sqlite:" + filepath.Join(t.TempDir(), "board.db"), skey: skey, off: Official{Key: okey}, id: "e1"}
	opts := Options{}
	opts.Board.Now = now
	h.open(opts)
	t.Cleanup(h.close)
	var pubs []trustee.Public
	for i := range 2 {
		id, err := trustee.Generate(fmt.Sprintf("T%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		pubs = append(pubs, *id.Public())
	}
	setup, err := NewSetup(h.id, h.svc.BoardName(), h.svc.BoardKey(), []ed25519.PublicKey{h.off.Public()}, pubs, 2)
	if err != nil {
		t.Fatal(err)
	}
	h.post(record.TypeSetup, setup)
	e := h.svc.election(h.id)
	e.mu.Lock()
	st := e.st
	e.mu.Unlock()
	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	armed.Store(2)
	_, _ = h.svc.Submit(ctx, h.id, h.off.Sign(h.id, record.TypeManifest, testManifest(h.id, time.Now(), time.Now().Add(time.Hour))))
	close(returned)
	for deadline := time.Now().Add(5 * time.Second); h.size() != 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("board size %d after the cancelled manifest, want 2 (its commit was under way)", h.size())
		}
	}
	e.mu.Lock()
	same, size := e.st == st, e.st.Size
	e.mu.Unlock()
	if !same {
		t.Fatal("a cancelled submission made the service forget its cached state")
	}
	if size != 2 {
		t.Fatalf("cached state of %d entries, the board has 2", size)
	}
}

// refuseShare posts trustee from's decryption shares of the board's
// aggregate, made under base(the election's base hash) and signed by
// trustee by (indices into h.ids), and checks that the service refuses
// them with code and appends nothing.
func (h *harness) refuseShare(base func([32]byte) [32]byte, from, by int, code string) {
	t := h.t.(*testing.T)
	t.Helper()
	ctx := context.Background()
	c, err := CountBoard(ctx, h.svc.Backend(), h.id)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tally.DecryptShares(base(c.State.Ballots.BaseHash), h.shares[from], c.Aggregate, c.Count)
	if err != nil {
		t.Fatal(err)
	}
	payload := m.Marshal()
	sig := h.ids[by].Sign(h.id, tally.TypeDecryptionShare, payload)
	signer := record.Signer{Kind: record.Trustee, Key: h.ids[by].Public().SigningKey}
	before := h.size()
	_, err = h.c.Submit(ctx, h.id, Submission{Type: tally.TypeDecryptionShare, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]})
	wantCode(t, err, code)
	if h.size() != before {
		t.Fatalf("a refused tally.share (%s) was appended", code)
	}
}

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicRecovered: a panic in the code that checks an entry (decoding,
// the rules at precheck, the rules inside the append transaction) fails
// that request only, with code internal and a log line naming the entry;
// nothing is appended, and the server keeps admitting the next ballots,
// with its state rebuilt from the board after a panic inside admission.
func TestPanicRecovered(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 5, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	logs := &lockedBuffer{}
	h.svc.log = slog.New(slog.NewTextHandler(logs, nil))
	defer func() { testHook = nil }()
	admitted := 0
	for v, where := range []string{"decode", "precheck", "admission"} {
		_, data, _ := h.ballot(v, 0)
		testHook = func(w string, x *bulletin.Entry) {
			if w == where && bytes.Equal(x.Payload, data) {
				panic("injected fault in " + where)
			}
		}
		before := h.size()
		_, err := h.c.Submit(ctx, h.id, voterSub(h.creds[v].Public(), record.TypeBallot, data))
		wantCode(t, err, CodeInternal)
		require.Equal(t, before, h.size(), "%s: a ballot whose check panicked was appended", where)
		require.Contains(t, logs.String(), fmt.Sprintf("entry=%d", before), "%s: the log does not name the entry", where)
		require.Contains(t, logs.String(), "injected fault in "+where)
		// Without the fault the same ballot is admitted, and so is the
		// next voter's.
		testHook = nil
		r, err := h.c.Submit(ctx, h.id, voterSub(h.creds[v].Public(), record.TypeBallot, data))
		require.NoError(t, err, "%s: the ballot after the fault", where)
		require.Equal(t, before, r.Receipt.Index)
		admitted++
	}
	_, data, _ := h.ballot(4, 1)
	_, err := h.c.Submit(ctx, h.id, voterSub(h.creds[4].Public(), record.TypeBallot, data))
	require.NoError(t, err)
	in, err := h.c.Info(ctx, h.id)
	require.NoError(t, err)
	require.Equal(t, uint64(admitted+1), in.Ballots)
}

// TestRetryAfterCloseGetsReceipt: a ballot sent before the close whose
// answer was lost is sent again after the close: the service answers with
// the receipt of its entry (nothing appended), not with closed.
func TestRetryAfterCloseGetsReceipt(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 2, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	_, data, _ := h.ballot(0, 1)
	sub := voterSub(h.creds[0].Public(), record.TypeBallot, data)
	first, err := h.c.Submit(ctx, h.id, sub)
	require.NoError(t, err)
	h.post(record.TypeClose, PhasePayload(h.id))
	size := h.size()
	again, err := h.c.Submit(ctx, h.id, sub)
	require.NoError(t, err)
	require.Equal(t, first.Receipt.Index, again.Receipt.Index)
	require.Equal(t, first.Receipt.EntryHash, again.Receipt.EntryHash)
	require.Equal(t, first.TrackingCode, again.TrackingCode)
	require.Equal(t, size, h.size(), "the retry was appended")
	// A new ballot is still refused.
	_, data, _ = h.ballot(1, 0)
	_, err = h.c.Submit(ctx, h.id, voterSub(h.creds[1].Public(), record.TypeBallot, data))
	wantCode(t, err, CodeClosed)
}
