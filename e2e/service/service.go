package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/mixnet"
	"golang.org/x/mod/sumdb/note"
)

// A Submission is an entry someone asks the service to append: type,
// payload, signer and signature as in e2e/SPEC.md §8.1 and §11.1.
type Submission = coord.Submission

// BoardAccess is what the trustee side (e2e/coord) needs from the
// service: submit through the admission path, read entries, wait for the
// board to grow, the board's clock, and signing as the board. [*Service]
// implements it.
type BoardAccess = coord.Backend

// Options configure a [Service].
type Options struct {
	// BoardKey is the board's note signer key ("PRIVATE+KEY+name+hash+…"):
	// it signs checkpoints and, as record signer kind Board, the entries
	// derived from the record (ceremony.result, tally.result).
	BoardKey string
	// Officials are the Ed25519 keys allowed to post an election.setup.
	// Later official entries must come from the setup's officials.
	Officials []ed25519.PublicKey
	// Logger receives structured logs; default slog.Default().
	Logger *slog.Logger
	// VerifyWorkers bounds the concurrent batch verifications; default
	// GOMAXPROCS.
	VerifyWorkers int
	// VerifyQueue bounds the ballots waiting for verification; beyond it a
	// ballot is refused with ErrUnavailable; default 4096.
	VerifyQueue int
	// BatchWait is how long a verification worker waits to gather a batch;
	// default 2 ms. MaxVerifyBatch bounds a batch; default 256.
	BatchWait      time.Duration
	MaxVerifyBatch int
	// Board adds options to the board (witnesses, limits, clock); its
	// Signer, Verifier and Admit are set by Open.
	Board board.Options
	// OnAppend, if set, is called after each submission this process
	// appended (not for retries answered from the board), with the
	// election and the entry type.
	OnAppend func(election, typ string)
}

// Service is the election service: the rules of e2e/SPEC.md §11 over a
// board. It is safe for concurrent use.
type Service struct {
	b        *board.Board
	opts     Options
	log      *slog.Logger
	name     string
	vkey     string
	boardPub ed25519.PublicKey
	boardKey ed25519.PrivateKey
	now      func() time.Time

	mu        sync.Mutex
	elections map[string]*election

	pending sync.Map // bulletin.Hash (submission key) → *rules.Pre
	verify  chan *vjob
	stop    chan struct{}
	wg      sync.WaitGroup

	// Stats for benchmarks: total time spent verifying ballots.
	statMu     sync.Mutex
	verifyTime time.Duration
	verified   int

	metrics *metrics

	// appends tracks the last failed and the last successful commit, for
	// readiness: a store that answers but cannot grow (a full disk) fails
	// commits, not the readiness probe's no-op write.
	appends appendHealth
}

// appendHealth remembers when an append last failed in the store and
// when one last succeeded.
type appendHealth struct {
	mu       sync.Mutex
	failedAt time.Time
	failErr  error
	okAt     time.Time
}

// appendFailWindow is how long after a failed commit, with none
// successful since, the service reports not ready.
const appendFailWindow = 5 * time.Second

func (a *appendHealth) record(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.failedAt, a.failErr = time.Now(), err
	} else {
		a.okAt = time.Now()
	}
}

// recentFailure returns the error of the last commit if it failed less
// than appendFailWindow ago and none succeeded since.
func (a *appendHealth) recentFailure() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failErr == nil || !a.failedAt.After(a.okAt) || time.Since(a.failedAt) > appendFailWindow {
		return nil
	}
	return fmt.Errorf("the last append failed %s ago, none succeeded since: %w", time.Since(a.failedAt).Round(time.Millisecond), a.failErr)
}

type election struct {
	mu sync.Mutex
	st *rules.State
	// grown is closed when this process appends to the election.
	grown chan struct{}
	// tally is the aggregate of the counted ballots, computed once the
	// election is closed (for the check of tally.result), for the
	// election.close at entry tallyClose.
	tally      *rules.Tally
	tallyClose int64
	// ranked is the counted sequences of the ranked contests (for the
	// first mix of each), for the election.close at entry rankedClose.
	ranked      map[string][]mixnet.Sequence
	rankedClose int64
}

// Open opens the board store named by dsn ("sqlite:PATH" or
// "postgres://…") with the service's admission hook and returns the
// service.
func Open(ctx context.Context, dsn string, opts Options) (*Service, error) {
	signer, err := note.NewSigner(opts.BoardKey)
	if err != nil {
		return nil, fmt.Errorf("service: board key: %w", err)
	}
	priv, err := boardPrivateKey(opts.BoardKey)
	if err != nil {
		return nil, err
	}
	pub := priv.Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(signer.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("service: board key: %w", err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("service: board key: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.VerifyWorkers <= 0 {
		opts.VerifyWorkers = runtime.GOMAXPROCS(0)
	}
	if opts.VerifyQueue <= 0 {
		opts.VerifyQueue = 4096
	}
	if opts.BatchWait <= 0 {
		opts.BatchWait = 2 * time.Millisecond
	}
	if opts.MaxVerifyBatch <= 0 {
		opts.MaxVerifyBatch = 256
	}
	s := &Service{opts: opts, log: opts.Logger, name: signer.Name(), vkey: vkey, boardPub: pub, boardKey: priv,
		elections: map[string]*election{}, verify: make(chan *vjob, opts.VerifyQueue), stop: make(chan struct{}), metrics: newMetrics()}
	bo := opts.Board
	bo.Signer, bo.Verifier, bo.Admit = signer, verifier, s.admit
	if bo.MaxPayload == 0 {
		bo.MaxPayload = bulletin.MaxPayloadSize
	}
	if bo.Now == nil {
		bo.Now = time.Now
	}
	s.now = bo.Now
	b, err := board.Open(ctx, dsn, bo)
	if err != nil {
		return nil, err
	}
	s.b = b
	s.wg.Add(1)
	go s.verifyGatherer()
	return s, nil
}

// boardPrivateKey extracts the Ed25519 key of a note signer key.
func boardPrivateKey(skey string) (ed25519.PrivateKey, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, errors.New("service: board key is not a note signer key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("service: board key is not an Ed25519 note signer key")
	}
	return ed25519.NewKeyFromSeed(raw[1:]), nil
}

// Close stops the verification workers and closes the board.
func (s *Service) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	s.wg.Wait()
	return s.b.Close()
}

// Ready reports whether the service can admit entries: the board key is
// loaded and signs, the store answers and accepts writes
// ([board.Board.Ready]), and no append failed in the store in the last
// appendFailWindow without one succeeding since (a full disk fails the
// commits of new entries, not the probe's no-op write). The error says
// which is wrong.
func (s *Service) Ready(ctx context.Context) error {
	probe := []byte("tabella readiness probe")
	if len(s.boardKey) != ed25519.PrivateKeySize || !ed25519.Verify(s.boardPub, probe, ed25519.Sign(s.boardKey, probe)) {
		return fmt.Errorf("%w: the board key is not loaded", ErrUnavailable)
	}
	if err := s.b.Ready(ctx); err != nil {
		return fmt.Errorf("%w: %w: %w", ErrUnavailable, errStoreNotReady, err)
	}
	if err := s.appends.recentFailure(); err != nil {
		return fmt.Errorf("%w: %w: %w", ErrUnavailable, errStoreNotReady, err)
	}
	return nil
}

// errStoreNotReady marks a readiness failure of the store, whose detail
// (which may name the database host) goes to the log, not to the client.
var errStoreNotReady = errors.New("the store does not accept writes")

// Board returns the underlying board.
func (s *Service) Board() *board.Board { return s.b }

// BoardName returns the board's name; BoardKey its note verifier key.
func (s *Service) BoardName() string { return s.name }

// BoardKey returns the board's note verifier key.
func (s *Service) BoardKey() string { return s.vkey }

// VerifyStats returns the total time spent in ballot verification and the
// number of ballots verified.
func (s *Service) VerifyStats() (time.Duration, int) {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	return s.verifyTime, s.verified
}

func (s *Service) election(id string) *election {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.elections[id]
	if !ok {
		e = &election{st: s.newState(id), grown: make(chan struct{})}
		s.elections[id] = e
	}
	return e
}

// lookup returns the election's cached state if this process has one, or
// else a fresh one it does not remember: reads and refused submissions for
// an election nobody created must not grow the map (the id is anyone's
// choice). Only admission, which runs once a submission has passed its
// checks, adds elections.
func (s *Service) lookup(id string) *election {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.elections[id]; ok {
		return e
	}
	return &election{st: s.newState(id), grown: make(chan struct{})}
}

// entryReader reads a range of committed entries.
type entryReader func(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error)

// catchUp brings e's state to size entries whose last hash is last,
// reading the missing ones with read and folding them through the rule
// book as entries already admitted (rules.Pre.Replay); it rebuilds from
// entry 0 when the state is ahead of the board or does not chain onto it
// (an append that failed after admission, or a board another process
// changed). e.mu must be held.
func (s *Service) catchUp(ctx context.Context, e *election, size uint64, last bulletin.Hash, read entryReader) error {
	st := e.st
	if st.Size == size && st.Last == last {
		return nil
	}
	if st.Size > size {
		st = s.newState(st.Election)
	}
	for st.Size < size {
		es, err := read(ctx, st.Size, size)
		if err != nil {
			return fmt.Errorf("%w: reading the board of %s from entry %d: %w", ErrUnavailable, st.Election, st.Size, err)
		}
		if len(es) == 0 {
			return fmt.Errorf("%w: the board of %s has no entry %d", ErrUnavailable, st.Election, st.Size)
		}
		for _, x := range es {
			if x.Index != st.Size || (st.Size > 0 && x.Prev != st.Last) {
				// Our state does not chain onto the board: start over.
				if st.Size == 0 {
					return fmt.Errorf("%w: the board of %s does not chain at entry %d", ErrUnavailable, st.Election, x.Index)
				}
				st = s.newState(st.Election)
				break
			}
			if err := st.Apply(x, &rules.Pre{Replay: true}); err != nil {
				// Only an entry appended by another admission (an older
				// version, or a store changed by hand) gets here; the
				// verifier reports it, and the service goes on.
				s.log.Warn("service: the board holds an entry the rules refuse", "election", st.Election, "entry", x.Index, "err", err)
				st.Skip(x)
			}
		}
	}
	if st.Last != last {
		return fmt.Errorf("%w: the board of %s changed while reading it", ErrUnavailable, st.Election)
	}
	e.st = st
	return nil
}

// sync catches the cached state up with the committed board (entries
// other processes appended). State ahead of the board (admitted, being
// committed) is left alone.
func (s *Service) sync(ctx context.Context, id string) (*election, error) {
	size, err := s.b.Size(ctx, id)
	if err != nil {
		return nil, storeError(err)
	}
	e := s.lookup(id)
	if size > 0 {
		e = s.election(id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e, s.catchUpTo(ctx, e, id, size)
}

// catchUpTo is sync's work with e.mu held, for a board of size entries.
func (s *Service) catchUpTo(ctx context.Context, e *election, id string, size uint64) error {
	if e.st.Size >= size {
		return nil
	}
	var last bulletin.Hash
	if size > 0 {
		x, err := s.b.Entry(ctx, id, size-1)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		last = x.Hash
	}
	read := func(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
		return s.b.Entries(ctx, id, start, end)
	}
	return s.catchUp(ctx, e, size, last, read)
}

// storeError classifies an error of a board read: one the board already
// classifies (a malformed id, a closed board) keeps its code; any other
// is the store failing (PostgreSQL down or restarting, a disk error) and
// is ErrUnavailable, which clients retry, not an internal error of the
// service. (Found by e2e TestPostgresRestartDuringLoad: while PostgreSQL
// restarted, submissions were refused as internal and not retried.)
func storeError(err error) error {
	if code, _ := ErrorCode(err); code != CodeInternal {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// syncCommitted is sync for readers that must not see admitted entries
// before they are committed (the election summary: a client that sees the
// joint key or the result there acts on it, and the board must already
// hold it). When the state is ahead of the board, a commit is in flight:
// it waits for it, up to a bound, and then answers with what it has.
func (s *Service) syncCommitted(ctx context.Context, id string) (*election, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		e, err := s.sync(ctx, id)
		if err != nil {
			return nil, err
		}
		size, err := s.b.Size(ctx, id)
		if err != nil {
			return nil, storeError(err)
		}
		e.mu.Lock()
		ahead, grown := e.st.Size > size, e.grown
		e.mu.Unlock()
		if !ahead || time.Now().After(deadline) {
			return e, nil
		}
		select {
		case <-grown:
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// admit is the board's admission hook (bulletin/board AdmitFunc): inside
// the append transaction it catches the state up with the committed board
// and folds each new submission through the rule book (rules.State.Apply)
// at the board's time, with the work done before the append (signature,
// proofs, the tally) passed in rules.Pre. An admitted submission is
// applied, with its entry hash computed as the board will.
func (s *Service) admit(ctx context.Context, id string, view board.AdmitView, subs []board.Submission) []error {
	e := s.election(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	errs := make([]error, len(subs))
	if err := s.catchUp(ctx, e, view.Size(), view.Last(), view.Entries); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	st := e.st
	now := view.Time()
	for i, bs := range subs {
		sub := Submission(bs)
		pre := &rules.Pre{}
		if p, ok := s.pending.Load(bulletin.SubmissionKey(sub.Type, sub.Payload, sub.Signer, sub.Signature)); ok {
			pre = p.(*rules.Pre)
		}
		x := tentative(st, &sub, now)
		x.Hash = x.ComputeHash(id)
		if sub.Type == record.TypeSetup {
			if err := s.configuredOfficial(&sub); err != nil {
				errs[i] = err
				continue
			}
		}
		err := s.recovered(id, x, "admission", func() error {
			hook("admission", x)
			return st.Apply(x, pre)
		})
		if errors.Is(err, ErrInternal) {
			// The state may be half changed: forget it (the next
			// admission rebuilds it from the board) and refuse the rest
			// of the batch, which the caller may retry.
			e.st = s.newState(id)
			errs[i] = err
			for j := i + 1; j < len(subs); j++ {
				errs[j] = fmt.Errorf("%w: admission was interrupted by an internal error; retry", ErrUnavailable)
			}
			return errs
		}
		errs[i] = err
	}
	return errs
}

// recovered runs f, turning a panic into an error wrapping ErrInternal,
// logged at Error with the election, the entry being checked and where:
// the request fails, the server keeps serving. (Code that checks entries
// runs on hostile input; a bug in it must not stop the election.)
func (s *Service) recovered(id string, x *bulletin.Entry, where string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("internal error: panic while checking an entry", "election", id, "entry", x.Index, "type", x.Type,
				"in", where, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("%w: checking entry %d (%s) failed; the server logged the cause", ErrInternal, x.Index, x.Type)
		}
	}()
	return f()
}

// testHook, if set (by tests), is called where entries are checked, so
// that tests can make that code panic.
var testHook func(where string, x *bulletin.Entry)

func hook(where string, x *bulletin.Entry) {
	if testHook != nil {
		testHook(where, x)
	}
}

// tentative is the entry sub would be if appended next at board time now
// (unix ms), without its entry hash (the rules' checks do not read it;
// admission, which applies the entry, computes it).
func tentative(st *rules.State, sub *Submission, now int64) *bulletin.Entry {
	return &bulletin.Entry{Index: st.Size, Type: sub.Type, Time: now, Prev: st.Last, Payload: sub.Payload, Signer: sub.Signer, Signature: sub.Signature}
}

// A Receipt is the answer to an accepted submission: the board's receipt
// and, for a ballot, its tracking code.
type Receipt struct {
	Receipt      *bulletin.Receipt
	TrackingCode ballot.TrackingCode
}

// Submit checks a submission and appends it: the signature and every
// proof first (in parallel, batched with concurrent ballots), then the
// rules of e2e/SPEC.md §11.2 inside the board's append transaction. A
// repeated submission returns the receipt of its first entry. Errors wrap
// the service's sentinels.
func (s *Service) Submit(ctx context.Context, id string, sub Submission) (*Receipt, error) {
	r, err := s.submit(ctx, id, sub)
	s.metrics.submitted(sub.Type, err)
	return r, err
}

func (s *Service) submit(ctx context.Context, id string, sub Submission) (*Receipt, error) {
	if !bulletin.ValidElectionID(id) {
		return nil, fmt.Errorf("%w: malformed election id", ErrMalformed)
	}
	if !bulletin.ValidType(sub.Type) {
		return nil, fmt.Errorf("%w: malformed entry type", ErrMalformed)
	}
	if len(sub.Payload) > bulletin.MaxPayloadSize {
		return nil, fmt.Errorf("%w: payload of %d bytes", ErrTooLarge, len(sub.Payload))
	}
	pre, tc, err := s.precheck(ctx, id, &sub)
	if err != nil {
		return nil, err
	}
	key := bulletin.SubmissionKey(sub.Type, sub.Payload, sub.Signer, sub.Signature)
	s.pending.Store(key, pre)
	t0 := time.Now()
	rs, err := s.b.Append(ctx, id, board.Submission(sub))
	s.metrics.observeAppend(time.Since(t0))
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		// The client went away: the entry may or may not be committed.
		// Settle it (a repeated submission appends nothing twice) rather
		// than forget the cached state below, which the next request
		// would rebuild from entry 0 with the election's lock held.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		srs, serr := s.b.Append(sctx, id, board.Submission(sub))
		cancel()
		if serr == nil {
			rs, err = srs, nil
		} else if ae := (*board.AdmitError)(nil); errors.As(serr, &ae) {
			err = serr // refused now: nothing of it is in the cached state
		}
	}
	s.pending.Delete(key)
	if err != nil {
		var ae *board.AdmitError
		if errors.As(err, &ae) && len(ae.Errs) == 1 && ae.Errs[0] != nil {
			return nil, ae.Errs[0]
		}
		// The batch may have been admitted and then failed to commit: the
		// cached state may hold entries the board does not. Forget it;
		// the next admission or read rebuilds it from the board.
		e := s.election(id)
		e.mu.Lock()
		e.st = s.newState(id)
		e.mu.Unlock()
		if ctx.Err() == nil {
			s.appends.record(err)
		}
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	s.appends.record(nil)
	e := s.election(id)
	e.mu.Lock()
	close(e.grown)
	e.grown = make(chan struct{})
	e.mu.Unlock()
	if s.opts.OnAppend != nil {
		s.opts.OnAppend(id, sub.Type)
	}
	return &Receipt{Receipt: rs[0], TrackingCode: tc}, nil
}

// precheck checks what can be checked before the append: the rule book
// against the cached state (refreshed once on a failure: another process
// may have appended), and then, outside the election's lock and in
// parallel, the expensive work the rules leave to the caller: every proof
// of a ballot or spoiled ballot, and for tally.result the aggregate of the
// counted ballots. The work done is returned as the rules.Pre that
// admission passes to rules.State.Apply, so that a hopeless submission
// costs no proof verification and no work is done twice.
func (s *Service) precheck(ctx context.Context, id string, sub *Submission) (*rules.Pre, ballot.TrackingCode, error) {
	var (
		x   *bulletin.Entry
		el  *ballot.Election
		err error
	)
	pre := &rules.Pre{DeferBallots: true, DeferSpoiled: true, DeferMix: true}
	var mixWork func(*rules.Pre) error
	for attempt := 0; ; attempt++ {
		e := s.lookup(id)
		if attempt > 0 {
			if e, err = s.sync(ctx, id); err != nil {
				return nil, "", err
			}
		}
		if sub.Type == record.TypeResult {
			if pre.Tally, err = s.tallyOf(ctx, e); err != nil {
				return nil, "", err
			}
		}
		if sub.Type == record.TypeMix || sub.Type == record.TypeMixResult {
			if pre.Ranked, err = s.rankedOf(ctx, e); err != nil {
				return nil, "", err
			}
		}
		e.mu.Lock()
		if attempt > 0 {
			// Again with the lock held: a failed commit elsewhere may
			// have dropped the state since the sync above (found by
			// e2e TestStoreFull: a valid ballot was then checked
			// against an empty state and refused as out of order).
			size, err := s.b.Size(ctx, id)
			if err == nil {
				err = s.catchUpTo(ctx, e, id, size)
			}
			if err != nil {
				e.mu.Unlock()
				return nil, "", storeError(err)
			}
		}
		x = tentative(e.st, sub, s.now().UnixMilli())
		if _, known := e.st.Known(x); known {
			// A retry of a submission on the board, in whatever phase.
			e.mu.Unlock()
			return passThrough(sub)
		}
		err = s.recovered(id, x, "precheck", func() error {
			hook("precheck", x)
			return e.st.Check(x, pre)
		})
		el = e.st.Ballots
		if err == nil {
			mixWork = e.st.MixWork(x)
		}
		e.mu.Unlock()
		if errors.Is(err, ErrInternal) {
			return nil, "", err
		}
		if err == nil || attempt > 0 || errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrBadProof) {
			break
		}
	}
	if v := (*rules.Violation)(nil); errors.As(err, &v) && v.Check == rules.CheckDuplicate {
		return passThrough(sub)
	}
	if err != nil {
		return nil, "", err
	}
	done := &rules.Pre{SignatureOK: true, Tally: pre.Tally, Ranked: pre.Ranked}
	var tc ballot.TrackingCode
	switch sub.Type {
	case record.TypeSetup:
		err = s.configuredOfficial(sub)
	case record.TypeBallot:
		if done.Ballot, err = s.checkBallot(el, x); err == nil {
			tc = ballot.NewTrackingCode(rules.BallotHash(sub.Payload))
		}
	case record.TypeSpoiled:
		done.Spoiled, err = s.checkSpoiled(el, x)
	case record.TypeMix, record.TypeMixShare:
		// The shuffle or share proofs, against the list the state held
		// (admission checks it is still the latest); without work, the
		// rules verify inside admission.
		if mixWork != nil {
			err = s.recovered(id, x, "mix verification", func() error { return mixWork(done) })
		}
	}
	if err != nil {
		return nil, "", err
	}
	return done, tc, nil
}

// passThrough lets a retry of a submission on the board go to the board,
// which answers it with the receipt of its entry without admission (or,
// if it is not the same submission byte for byte, runs admission, which
// refuses it).
func passThrough(sub *Submission) (*rules.Pre, ballot.TrackingCode, error) {
	var tc ballot.TrackingCode
	if sub.Type == record.TypeBallot {
		tc = ballot.NewTrackingCode(rules.BallotHash(sub.Payload))
	}
	return &rules.Pre{}, tc, nil
}

// tallyOf returns the aggregate of the counted ballots of a closed
// election (rules.Tally), which the check of tally.result needs, or nil
// before election.close (the rules then refuse tally.result for its
// order). The ciphertexts are summed from the board without verifying the
// ballots again: the rules admitted each of them with its proofs.
func (s *Service) tallyOf(ctx context.Context, e *election) (*rules.Tally, error) {
	e.mu.Lock()
	st := e.st
	if st.CloseIndex < 0 || st.Layout == nil {
		e.mu.Unlock()
		return nil, nil
	}
	if e.tally != nil && e.tallyClose == st.CloseIndex {
		t := e.tally
		e.mu.Unlock()
		return t, nil
	}
	id, from, to, idx, layout := st.Election, uint64(st.OpenIndex)+1, uint64(st.CloseIndex), counted(st), st.Layout
	e.mu.Unlock()
	agg, n, err := coord.AggregateFromBoard(ctx, entrySource{s, id}, from, to, idx, layout, s.opts.VerifyWorkers)
	if err != nil {
		return nil, fmt.Errorf("%w: summing the counted ballots of %s: %w", ErrUnavailable, id, err)
	}
	t := &rules.Tally{Aggregate: agg, Turnout: n}
	e.mu.Lock()
	e.tally, e.tallyClose = t, int64(to)
	e.mu.Unlock()
	return t, nil
}

// rankedOf returns the counted sequences of the ranked contests of a
// closed election (rules.Pre.Ranked, the input of each contest's first
// mix, e2e/SPEC.md §16.1), read from the board once, or nil before the
// close (the rules then refuse the mix for its order).
func (s *Service) rankedOf(ctx context.Context, e *election) (map[string][]mixnet.Sequence, error) {
	e.mu.Lock()
	st := e.st
	if st.CloseIndex < 0 || st.Ballots == nil {
		e.mu.Unlock()
		return nil, nil
	}
	if e.ranked != nil && e.rankedClose == st.CloseIndex {
		r := e.ranked
		e.mu.Unlock()
		return r, nil
	}
	id, from, to, idx, el := st.Election, uint64(st.OpenIndex)+1, uint64(st.CloseIndex), counted(st), st.Ballots
	e.mu.Unlock()
	r, err := coord.RankedFromBoard(ctx, entrySource{s, id}, el, from, to, idx)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the counted rankings of %s: %w", ErrUnavailable, id, err)
	}
	e.mu.Lock()
	e.ranked, e.rankedClose = r, int64(to)
	e.mu.Unlock()
	return r, nil
}

// configuredOfficial is the service's own policy on top of the rules: an
// election.setup must be signed by an official this server was configured
// with (the rules check that it is one of the setup's officials).
func (s *Service) configuredOfficial(sub *Submission) error {
	sg, err := record.ParseSigner(sub.Signer)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	for _, k := range s.opts.Officials {
		if bytes.Equal(k, sg.Key[:]) {
			return nil
		}
	}
	return fmt.Errorf("%w: the setup's signer is not an official this server was configured with", ErrForbidden)
}

// checkBallot decodes ballot entry x and verifies its signature and proofs
// in the batch queue; the error is the rule book's violation.
func (s *Service) checkBallot(el *ballot.Election, x *bulletin.Entry) (*ballot.Ballot, error) {
	var b *ballot.Ballot
	err := s.recovered(el.Manifest.ElectionID, x, "ballot decoding", func() (err error) {
		hook("decode", x)
		b, err = rules.DecodeBallot(el, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.verifyBallot(el, x, b); err != nil {
		var v verdict
		if !errors.As(err, &v) {
			return nil, err // the queue refused it
		}
		return nil, rules.BallotViolation(x, v.k, v.err)
	}
	return b, nil
}

// checkSpoiled decodes spoiled-ballot entry x and verifies the ballot
// inside (e2e/SPEC.md §7.9); the error is the rule book's violation.
func (s *Service) checkSpoiled(el *ballot.Election, x *bulletin.Entry) (*ballot.Spoiled, error) {
	sp, err := ballot.DecodeSpoiled(x.Payload)
	if err != nil {
		return nil, rules.SpoiledViolation(x, err) // unreachable: the rules decoded it
	}
	t0 := time.Now()
	err = s.recovered(el.Manifest.ElectionID, x, "spoiled ballot verification", func() error {
		_, err := ballot.VerifySpoiled(el, sp)
		return err
	})
	s.addVerifyTime(time.Since(t0), 1)
	if errors.Is(err, ErrInternal) {
		return nil, err
	}
	if err != nil {
		return nil, rules.SpoiledViolation(x, err)
	}
	return sp, nil
}

func (s *Service) addVerifyTime(d time.Duration, n int) {
	s.statMu.Lock()
	s.verifyTime += d
	s.verified += n
	s.statMu.Unlock()
}

// A vjob is one ballot waiting for batch verification.
type vjob struct {
	el   *ballot.Election
	x    *bulletin.Entry // the tentative entry, for logs
	b    *ballot.Ballot
	done chan error
}

// A verdict is a ballot's failure in a batch: the error of
// ballot.VerifyBatch and the ballot's place k in the batch.
type verdict struct {
	err error
	k   int
}

func (v verdict) Error() string { return v.err.Error() }

// verifyBallot queues a ballot for batch verification and waits for the
// verdict. A full queue is refused at once (ErrUnavailable): a flood costs
// the flooder, not the ballots already queued.
func (s *Service) verifyBallot(el *ballot.Election, x *bulletin.Entry, b *ballot.Ballot) error {
	j := &vjob{el: el, x: x, b: b, done: make(chan error, 1)}
	select {
	case s.verify <- j:
	default:
		return fmt.Errorf("%w: too many ballots are waiting for verification; retry shortly", ErrUnavailable)
	}
	select {
	case err := <-j.done:
		return err
	case <-s.stop:
		return fmt.Errorf("%w: shutting down", ErrUnavailable)
	}
}

// minVerifyBatch is the batch size below which the gatherer waits (up to
// BatchWait) for more ballots: a batch's cost per ballot falls with its
// size.
const minVerifyBatch = 16

// verifyGatherer collects queued ballots into batches and hands each batch
// to one of VerifyWorkers concurrent verifications. While every worker is
// busy, ballots accumulate into the next batch, so batches grow with the
// load; under light load a ballot waits at most BatchWait.
func (s *Service) verifyGatherer() {
	defer s.wg.Done()
	slots := make(chan struct{}, s.opts.VerifyWorkers)
	var running sync.WaitGroup
	defer running.Wait()
	for {
		var batch []*vjob
		select {
		case j := <-s.verify:
			batch = append(batch, j)
		case <-s.stop:
			return
		}
		timer := time.NewTimer(s.opts.BatchWait)
		acquired, timedOut := false, false
		for !acquired {
			if len(batch) >= s.opts.MaxVerifyBatch {
				slots <- struct{}{}
				acquired = true
				break
			}
			if len(batch) >= minVerifyBatch || timedOut {
				select {
				case slots <- struct{}{}:
					acquired = true
				case j := <-s.verify:
					batch = append(batch, j)
				}
				continue
			}
			select {
			case j := <-s.verify:
				batch = append(batch, j)
			case <-timer.C:
				timedOut = true
			}
		}
		timer.Stop()
		running.Add(1)
		go func() {
			defer running.Done()
			defer func() { <-slots }()
			s.verifyBatch(batch)
		}()
	}
}

func (s *Service) verifyBatch(batch []*vjob) {
	t0 := time.Now()
	byElection := map[*ballot.Election][]*vjob{}
	for _, j := range batch {
		byElection[j.el] = append(byElection[j.el], j)
	}
	for el, js := range byElection {
		bs := make([]*ballot.Ballot, len(js))
		for i, j := range js {
			bs[i] = j.b
		}
		// One goroutine per batch: the gatherer runs VerifyWorkers batches
		// at once, and a batch split further over the cores left chunks of
		// a few ballots, verified with the costlier Straus MSM (the W1 cast
		// profile: Straus 63% of the batch verification's CPU).
		errs := ballot.VerifyBatchOn(el, bs, 1)
		for i, j := range js {
			switch {
			case errors.Is(errs[i], ballot.ErrInternal):
				// VerifyBatch recovered a panic on this ballot.
				s.log.Error("internal error: panic while verifying a ballot", "election", el.Manifest.ElectionID, "entry", j.x.Index, "err", errs[i])
				j.done <- fmt.Errorf("%w: verifying ballot entry %d failed; the server logged the cause", ErrInternal, j.x.Index)
			case errs[i] != nil:
				j.done <- verdict{errs[i], i}
			default:
				j.done <- nil
			}
		}
	}
	s.addVerifyTime(time.Since(t0), len(batch))
}

// Info is the public summary of an election (GET /v1/elections/{id}).
type Info struct {
	ElectionID string          `json:"election_id"`
	Phase      string          `json:"phase"`
	Size       uint64          `json:"size"`
	Manifest   json.RawMessage `json:"manifest"`
	JointKey   string          `json:"joint_key"`
	Ceremony   string          `json:"ceremony_hash"`
	BaseHash   string          `json:"base_hash"`
	Roll       RollInfo        `json:"roll"`
	Ballots    uint64          `json:"ballots"`
	Counted    int             `json:"counted"`
	BoardName  string          `json:"board_name"`
	BoardKey   string          `json:"board_key"`
	Threshold  int             `json:"threshold"`
	Trustees   int             `json:"trustees"`
	Result     json.RawMessage `json:"result"`
}

// RollInfo is the roll's public size and hash (e2e/SPEC.md §11.4), from
// roll.seal; before the seal, the count so far and an empty hash.
type RollInfo struct {
	Count  uint64 `json:"count"`
	Hash   string `json:"hash"`
	Sealed bool   `json:"sealed"`
}

// Info returns the election's summary, after catching up with the board.
func (s *Service) Info(ctx context.Context, id string) (*Info, error) {
	if !bulletin.ValidElectionID(id) {
		return nil, fmt.Errorf("%w: malformed election id", ErrMalformed)
	}
	e, err := s.syncCommitted(ctx, id)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.st
	if st.Size == 0 {
		return nil, fmt.Errorf("%w: no election %q", ErrNotFound, id)
	}
	in := &Info{ElectionID: id, Phase: st.Phase(), Size: st.Size, Manifest: rawOrNull(st.ManifestJSON),
		Ballots: st.BallotCount, Counted: st.Counted(), BoardName: s.name, BoardKey: s.vkey, Result: rawOrNull(st.ResultJSON)}
	in.Roll.Count = uint64(len(st.RollOrder))
	if st.Seal != nil {
		in.Roll = RollInfo{Count: st.Seal.Count, Hash: fmt.Sprintf("%x", st.Seal.Hash[:]), Sealed: true}
	}
	if st.Setup != nil {
		in.Threshold, in.Trustees = st.Setup.Threshold, len(st.Setup.Trustees)
	}
	if st.Ballots != nil {
		in.JointKey = st.Ballots.JointKey.String()
		in.BaseHash = fmt.Sprintf("%x", st.Ballots.BaseHash[:])
		in.Ceremony = fmt.Sprintf("%x", st.Ballots.CeremonyHash[:])
	}
	return in, nil
}

// Elections lists the elections on the board.
func (s *Service) Elections(ctx context.Context) ([]string, error) {
	return s.b.Elections(ctx)
}

// BallotElection returns the election's ballot parameters (manifest, joint
// key, base hash) once its key ceremony is over.
func (s *Service) BallotElection(ctx context.Context, id string) (*ballot.Election, error) {
	e, err := s.sync(ctx, id)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Ballots == nil {
		return nil, fmt.Errorf("%w: election %q has no key yet", ErrNotOpen, id)
	}
	return e.st.Ballots, nil
}

// The coord.Backend methods.

// Entries returns committed entries of an election (coord.Backend).
func (s *Service) Entries(ctx context.Context, id string, start, end uint64) ([]*bulletin.Entry, error) {
	return s.b.Entries(ctx, id, start, end)
}

// Wait returns once the election's board holds more than size entries, or
// ctx ends; it may return early (coord.Backend).
func (s *Service) Wait(ctx context.Context, id string, size uint64) error {
	for {
		e := s.lookup(id)
		e.mu.Lock()
		ch := e.grown
		e.mu.Unlock()
		n, err := s.b.Size(ctx, id)
		if err != nil {
			return err
		}
		if n > size {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(500 * time.Millisecond): // other processes
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Now is the board's clock (coord.Backend).
func (s *Service) Now() time.Time { return s.now() }

// SignBoard signs an entry as the board (coord.Backend).
func (s *Service) SignBoard(id, typ string, payload []byte) (signer, signature []byte, err error) {
	sg, sig := record.Sign(record.Board, s.boardKey, id, typ, payload)
	return sg, sig, nil
}

// SubmitEntry is Submit returning only the board's receipt
// (coord.Backend's Submit). Refusals wrap coord.ErrRejected.
func (s *Service) backendSubmit(ctx context.Context, id string, sub Submission) (*bulletin.Receipt, error) {
	r, err := s.Submit(ctx, id, sub)
	if err != nil {
		if code, _ := ErrorCode(err); code != CodeUnavailable && code != CodeInternal {
			return nil, fmt.Errorf("%w: %w", coord.ErrRejected, err)
		}
		return nil, err
	}
	return r.Receipt, nil
}

// Backend returns the service as the trustee side's coord.Backend.
func (s *Service) Backend() BoardAccess { return backend{s} }

type backend struct{ *Service }

func (b backend) Submit(ctx context.Context, id string, sub Submission) (*bulletin.Receipt, error) {
	return b.backendSubmit(ctx, id, sub)
}

func rawOrNull(b []byte) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return json.RawMessage(b)
}
