package coord

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

var t0 = time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)

// testBackend is the service's part for the tests: a SQLite board, the
// admission rules the trustee side relies on, growth notification, the
// board's clock and key.
type testBackend struct {
	bd       *board.Board
	clock    *ceremony.FakeClock
	boardKey ed25519.PrivateKey

	mu    sync.Mutex
	grown chan struct{}
	// refuse, if set, may refuse a submission before admission.
	refuse func(s Submission) error
}

func (b *testBackend) notify() {
	b.mu.Lock()
	close(b.grown)
	b.grown = make(chan struct{})
	b.mu.Unlock()
}

func (b *testBackend) grownCh() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.grown
}

func (b *testBackend) all(ctx context.Context, election string) ([]*bulletin.Entry, error) {
	var out []*bulletin.Entry
	for {
		es, err := b.bd.Entries(ctx, election, uint64(len(out)), uint64(len(out))+bulletin.MaxPage)
		if errors.Is(err, board.ErrNotFound) && len(out) == 0 {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			return out, nil
		}
		out = append(out, es...)
	}
}

// Submit applies the admission rules of e2e/SPEC.md §11.2 that concern
// trustees and the board's own entries.
func (b *testBackend) Submit(ctx context.Context, election string, s Submission) (*bulletin.Receipt, error) {
	if b.refuse != nil {
		if err := b.refuse(s); err != nil {
			return nil, err
		}
	}
	signer, err := record.ParseSigner(s.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	if err := record.VerifySignature(signer, election, s.Type, s.Payload, s.Signature); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	es, err := b.all(ctx, election)
	if err != nil {
		return nil, err
	}
	var params *ceremony.Params
	has := map[string]bool{}
	shareBy := map[[32]byte][]byte{}
	for _, e := range es {
		has[e.Type] = true
		if e.Type == record.TypeCeremony && params == nil {
			params, _ = ceremony.ParseParams(e.Payload)
		}
		if e.Type == tally.TypeDecryptionShare {
			sg, _ := record.ParseSigner(e.Signer)
			shareBy[sg.Key] = e.Payload
		}
	}
	switch signer.Kind {
	case record.Trustee:
		if params == nil || !slices.ContainsFunc(params.Trustees, func(p trustee.Public) bool { return p.SigningKey == signer.Key }) {
			return nil, fmt.Errorf("%w: not a trustee of this election", ErrRejected)
		}
		switch s.Type {
		case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
			if has[record.TypeCeremonyEnd] {
				return nil, fmt.Errorf("%w: %s after ceremony.result", ErrRejected, s.Type)
			}
		case tally.TypeDecryptionShare:
			if !has[record.TypeClose] {
				return nil, fmt.Errorf("%w: tally.share before election.close", ErrRejected)
			}
			if has[tally.TypeResult] { // as the service's order rule
				return nil, fmt.Errorf("%w: tally.share after tally.result", ErrRejected)
			}
			if p, ok := shareBy[signer.Key]; ok && string(p) != string(s.Payload) {
				return nil, fmt.Errorf("%w: second tally.share of the trustee", ErrRejected)
			}
		default:
			return nil, fmt.Errorf("%w: type %s", ErrRejected, s.Type)
		}
	case record.Board:
		if signer.Key != [32]byte(b.boardKey.Public().(ed25519.PublicKey)) {
			return nil, fmt.Errorf("%w: not the board key", ErrRejected)
		}
		switch {
		case s.Type == record.TypeCeremonyEnd && params != nil && !has[s.Type]:
		case s.Type == tally.TypeResult && has[record.TypeClose] && !has[s.Type]:
		default:
			return nil, fmt.Errorf("%w: board may not post %s now", ErrRejected, s.Type)
		}
	default:
		return nil, fmt.Errorf("%w: signer kind %v", ErrRejected, signer.Kind)
	}
	return b.append(ctx, election, s)
}

func (b *testBackend) append(ctx context.Context, election string, s Submission) (*bulletin.Receipt, error) {
	rs, err := b.bd.Append(ctx, election, board.Submission{Type: s.Type, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature})
	if err != nil {
		return nil, err
	}
	b.notify()
	return rs[0], nil
}

func (b *testBackend) Entries(ctx context.Context, election string, start, end uint64) ([]*bulletin.Entry, error) {
	es, err := b.bd.Entries(ctx, election, start, end)
	if errors.Is(err, board.ErrNotFound) && start == 0 {
		return nil, nil
	}
	return es, err
}

func (b *testBackend) Wait(ctx context.Context, election string, size uint64) error {
	for {
		ch := b.grownCh()
		n, err := b.bd.Size(ctx, election)
		if err == nil && n > size {
			return nil
		}
		t := time.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-ch:
		case <-t.C:
		}
		t.Stop()
	}
}

func (b *testBackend) Now() time.Time { return b.clock.Now() }

func (b *testBackend) SignBoard(election, typ string, payload []byte) ([]byte, []byte, error) {
	signer, sig := record.Sign(record.Board, b.boardKey, election, typ, payload)
	return signer, sig, nil
}

// noteSigner returns the note signer of an Ed25519 key.
func noteSigner(name string, priv ed25519.PrivateKey) (note.Signer, note.Verifier, string) {
	pub := priv.Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte(name+"\n\x01"), pub...))
	skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, binary.BigEndian.Uint32(h[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, priv.Seed()...)))
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		panic(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		panic(err)
	}
	return s, v, vkey
}

// testElection is an election on a real board behind a real HTTP server
// with the trustee websocket and a running coordinator.
type testElection struct {
	tb       testing.TB
	id       string
	ids      []*trustee.Identity
	official ed25519.PrivateKey
	be       *testBackend
	srv      *httptest.Server
	co       *Coordinator
	coErr    chan error
	coStop   context.CancelFunc
	clock    *ceremony.FakeClock
	manifest *ballot.Manifest
	setup    *record.Setup
	creds    []*ballot.Credential
	params   *ceremony.Params
	// badVoter, if positive, is the voter (1-based) whose ballots vote
	// encrypts under another key: well formed and signed, proofs false.
	badVoter int
	// badFirstOnly limits badVoter's false ballot to its first one.
	badFirstOnly bool
}

var idCache []*trustee.Identity

func identities(tb testing.TB, n int) []*trustee.Identity {
	for len(idCache) < n {
		id, err := trustee.Generate(fmt.Sprintf("trustee %d", len(idCache)+1))
		if err != nil {
			tb.Fatal(err)
		}
		idCache = append(idCache, id)
	}
	return idCache[:n]
}

func testManifest(id string) *ballot.Manifest {
	o := func(ids ...string) []ballot.Option {
		var out []ballot.Option
		for _, i := range ids {
			out = append(out, ballot.Option{ID: i, Title: i})
		}
		return out
	}
	return &ballot.Manifest{Version: ballot.Version, ElectionID: id, Title: "Test election",
		Schedule: ballot.Schedule{Opens: "2026-11-01T06:00:00Z", Closes: "2026-11-01T20:00:00Z"}, // t0 is within
		Contests: []ballot.Contest{
			{ID: "mayor", Title: "Mayor", Kind: ballot.OneOfN, Options: o("alice", "bob", "carol"), MinSelections: 1, MaxSelections: 1},
			{ID: "council", Title: "Council", Kind: ballot.Approval, Options: o("dan", "erin", "frank"), MaxSelections: 2},
		}}
}

func mustJSON(tb testing.TB, v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// newTestElection builds the board up to the ceremony parameters: setup,
// manifest, roll of the given size, roll seal, ceremony.params (t-of-n,
// rounds of one minute on the fake clock).
func newTestElection(tb testing.TB, t, n, voters int) *testElection {
	ctx := context.Background()
	e := &testElection{tb: tb, id: "e2026", ids: identities(tb, n), clock: ceremony.NewFakeClock(t0)}
	var err error
	_, e.official, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	_, bk, _ := ed25519.GenerateKey(rand.Reader)
	signer, verifier, vkey := noteSigner("board.test", bk)
	bd, err := board.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "board.db"), board.Options{Signer: signer, Verifier: verifier, Now: e.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bd.Close() })
	e.be = &testBackend{bd: bd, clock: e.clock, boardKey: bk, grown: make(chan struct{})}
	e.co = New(e.be, Options{Clock: e.clock, NoSettle: true, StatusEvery: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, e.co)
	mux.Handle("/", board.NewHandler(bd, board.HandlerOptions{}))
	e.srv = httptest.NewServer(mux)
	tb.Cleanup(e.srv.Close)

	var pubs []trustee.Public
	for _, id := range e.ids {
		pubs = append(pubs, *id.Public())
	}
	e.setup = &record.Setup{Version: record.Version, ElectionID: e.id, Board: record.BoardInfo{Name: "board.test", Key: vkey},
		Officials: []record.Key32{record.Key32(e.official.Public().(ed25519.PublicKey))}, Trustees: pubs, Threshold: t}
	e.post(record.TypeSetup, mustJSON(tb, e.setup))
	e.manifest = testManifest(e.id)
	mb, err := e.manifest.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	e.post(record.TypeManifest, mb)
	var creds []*group.Point
	for range voters {
		c := ballot.NewCredential()
		e.creds = append(e.creds, c)
		creds = append(creds, c.Public())
	}
	if voters > 0 {
		e.post(record.TypeRollVoters, mustJSON(tb, &record.RollVoters{Chunk: 0, Credentials: creds}))
	}
	e.post(record.TypeRollSeal, mustJSON(tb, &record.RollSeal{Count: uint64(voters), Hash: record.RollHash(e.id, creds)}))
	mh, err := e.manifest.Hash()
	if err != nil {
		tb.Fatal(err)
	}
	e.params, err = ceremony.NewParams(e.id, mh, t, time.Minute, pubs)
	if err != nil {
		tb.Fatal(err)
	}
	e.post(record.TypeCeremony, e.params.Marshal())
	e.startCoordinator(e.co)
	return e
}

// startCoordinator runs co for the election until stopCoordinator.
func (e *testElection) startCoordinator(co *Coordinator) {
	e.coErr = make(chan error, 1)
	cctx, cancel := context.WithCancel(context.Background())
	e.tb.Cleanup(cancel)
	e.coStop = cancel
	go func() { e.coErr <- co.Run(cctx, e.id) }()
}

// stopCoordinator stops the running coordinator and returns its error.
func (e *testElection) stopCoordinator() error {
	e.coStop()
	return <-e.coErr
}

// post appends an official entry.
func (e *testElection) post(typ string, payload []byte) uint64 {
	signer, sig := record.Sign(record.Official, e.official, e.id, typ, payload)
	r, err := e.be.append(context.Background(), e.id, Submission{Type: typ, Payload: payload, Signer: signer, Signature: sig})
	if err != nil {
		e.tb.Fatal(err)
	}
	return r.Index
}

// dial connects trustee i (1-based; 0 for an observer).
func (e *testElection) dial(ctx context.Context, i int, opts ClientOptions) *Client {
	var id *trustee.Identity
	if i > 0 {
		id = e.ids[i-1]
	}
	c, err := Dial(ctx, e.srv.URL, e.id, id, opts)
	if err != nil {
		e.tb.Fatal(err)
	}
	e.tb.Cleanup(func() { c.Close() })
	return c
}

// ceremonyOver runs trustee i's ceremony over c, as the CLI does.
func ceremonyOver(ctx context.Context, c *Client, id *trustee.Identity, progress func(*ceremony.State, error)) (*ceremony.KeyShare, error) {
	if err := c.WaitUntil(ctx, func(s *Status) bool { return s != nil && s.Phase != PhaseSetup }); err != nil {
		return nil, err
	}
	var pe *bulletin.Entry
	for _, e := range c.Entries() {
		if e.Type == record.TypeCeremony {
			pe = e
			break
		}
	}
	if pe == nil {
		return nil, errors.New("no ceremony.params entry")
	}
	p, err := ceremony.ParseParams(pe.Payload)
	if err != nil {
		return nil, err
	}
	t, err := ceremony.NewTrustee(id, p, time.UnixMilli(pe.Time))
	if err != nil {
		return nil, err
	}
	return t.Run(ctx, c, ceremony.SystemClock{}, 10*time.Millisecond, progress)
}

// waitStatus waits until an observer sees cond.
func (e *testElection) waitStatus(ctx context.Context, what string, cond func(*Status) bool) *Status {
	c := e.dial(ctx, 0, ClientOptions{})
	defer c.Close()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.WaitUntil(wctx, func(s *Status) bool { return s != nil && cond(s) }); err != nil {
		e.tb.Fatalf("waiting for %s: %v (last status %+v)", what, err, c.Status())
	}
	return c.Status()
}

// entriesOf returns the board entries of type typ.
func (e *testElection) entriesOf(typ string) []*bulletin.Entry {
	es, err := e.be.all(context.Background(), e.id)
	if err != nil {
		e.tb.Fatal(err)
	}
	var out []*bulletin.Entry
	for _, x := range es {
		if x.Type == typ {
			out = append(out, x)
		}
	}
	return out
}

// vote opens the election, casts a ballot for every voter (and a second
// one for the first revote voters), closes it, and returns the expected
// counts in layout order.
func (e *testElection) vote(st *ceremony.State, revote int) []uint64 {
	tb := e.tb
	el, err := ballot.NewElection(e.manifest, st.JointKey, st.Hash)
	if err != nil {
		tb.Fatal(err)
	}
	e.post(record.TypeOpen, mustJSON(tb, &record.Phase{ElectionID: e.id}))
	choices := func(v, k int) ballot.Choices {
		return ballot.Choices{"mayor": rot([]uint64{1, 0, 0}, v+k), "council": rot([]uint64{1, 1, 0}, v*k+v)}
	}
	final := map[int]ballot.Choices{}
	other, err := ballot.NewElection(e.manifest, group.BaseMul(group.RandomNonZeroScalar()), st.Hash)
	if err != nil {
		tb.Fatal(err)
	}
	cast := func(v, k int) {
		ch := choices(v, k)
		use := el
		if v+1 == e.badVoter && (k == 0 || !e.badFirstOnly) {
			use = other
		}
		b, _, err := ballot.Encrypt(use, e.creds[v], ch)
		if err != nil {
			tb.Fatal(err)
		}
		payload, err := b.Encode()
		if err != nil {
			tb.Fatal(err)
		}
		s := record.Signer{Kind: record.Voter, Key: e.creds[v].Public().Bytes()}
		if _, err := e.be.append(context.Background(), e.id, Submission{Type: record.TypeBallot, Payload: payload, Signer: s.Bytes()}); err != nil {
			tb.Fatal(err)
		}
		final[v] = ch
	}
	for v := range e.creds {
		cast(v, 0)
	}
	for v := range revote {
		cast(v, 1)
	}
	e.post(record.TypeClose, mustJSON(tb, &record.Phase{ElectionID: e.id}))
	want := make([]uint64, 6)
	for _, ch := range final {
		for k, x := range append(slices.Clone(ch["mayor"]), ch["council"]...) {
			want[k] += x
		}
	}
	return want
}

func rot(v []uint64, k int) []uint64 {
	out := make([]uint64, len(v))
	for i := range v {
		out[(i+k)%len(v)] = v[i]
	}
	return out
}

// reader returns a bulletin client for the board's read API.
func (e *testElection) reader() *bulletin.Client {
	c, err := bulletin.NewClient(e.srv.URL, e.id, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

func counts(r *tally.Result) []uint64 {
	var out []uint64
	for _, c := range r.Contests {
		for _, o := range c.Options {
			out = append(out, o.Count)
		}
	}
	return out
}
