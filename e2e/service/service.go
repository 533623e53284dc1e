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
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
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

	pending sync.Map // bulletin.Hash (submission key) → *facts
	verify  chan *vjob
	stop    chan struct{}
	wg      sync.WaitGroup

	// Stats for benchmarks: total time spent verifying ballots.
	statMu     sync.Mutex
	verifyTime time.Duration
	verified   int
}

type election struct {
	mu sync.Mutex
	st *State
	// grown is closed when this process appends to the election.
	grown chan struct{}
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
		elections: map[string]*election{}, verify: make(chan *vjob, opts.VerifyQueue), stop: make(chan struct{})}
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
		e = &election{st: NewState(id), grown: make(chan struct{})}
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
	return &election{st: NewState(id), grown: make(chan struct{})}
}

// entryReader reads a range of committed entries.
type entryReader func(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error)

// catchUp brings st to size entries whose last hash is last, reading the
// missing ones with read; it rebuilds from entry 0 when st is ahead of the
// board or does not chain onto it (an append that failed after admission,
// or a board another process changed). e.mu must be held.
func (e *election) catchUp(ctx context.Context, size uint64, last bulletin.Hash, read entryReader) error {
	st := e.st
	if st.Size == size && st.Last == last {
		return nil
	}
	if st.Size > size {
		st = NewState(st.Election)
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
				st = NewState(st.Election)
				break
			}
			st.Apply(x)
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
		return nil, err
	}
	e := s.lookup(id)
	if size > 0 {
		e = s.election(id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.Size >= size {
		return e, nil
	}
	var last bulletin.Hash
	if size > 0 {
		x, err := s.b.Entry(ctx, id, size-1)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		last = x.Hash
	}
	read := func(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
		return s.b.Entries(ctx, id, start, end)
	}
	return e, e.catchUp(ctx, size, last, read)
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
			return nil, err
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
// the append transaction it catches the state up with the committed board,
// checks each new submission against the rules of e2e/SPEC.md §11.2 and
// applies the admitted ones, computing their entry hashes as the board
// will.
func (s *Service) admit(ctx context.Context, id string, view board.AdmitView, subs []board.Submission) []error {
	e := s.election(id)
	e.mu.Lock()
	defer e.mu.Unlock()
	errs := make([]error, len(subs))
	if err := e.catchUp(ctx, view.Size(), view.Last(), view.Entries); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	st := e.st
	now := view.Time()
	for i, bs := range subs {
		sub := Submission(bs)
		key := bulletin.SubmissionKey(sub.Type, sub.Payload, sub.Signer, sub.Signature)
		f, err := s.factsOf(key, &sub)
		if err == nil {
			err = st.Check(&sub, f, now)
		}
		if err != nil {
			errs[i] = err
			continue
		}
		x := bulletin.Entry{Index: st.Size, Type: sub.Type, Time: now, Prev: st.Last, Payload: sub.Payload, Signer: sub.Signer, Signature: sub.Signature}
		x.Hash = x.ComputeHash(id)
		st.applyFast(x.Index, &sub, f, now)
		st.Size, st.Last, st.LastTime = x.Index+1, x.Hash, now
	}
	return errs
}

// factsOf returns the pre-computed facts of a submission, or computes the
// cheap ones.
func (s *Service) factsOf(key bulletin.Hash, sub *Submission) (*facts, error) {
	if f, ok := s.pending.Load(key); ok {
		return f.(*facts), nil
	}
	sg, err := record.ParseSigner(sub.Signer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	f := &facts{signer: sg}
	switch sub.Type {
	case record.TypeRollVoters:
		if f.roll, err = record.DecodeRollVoters(sub.Payload); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	case record.TypeSpoiled:
		sp, err := ballot.DecodeSpoiled(sub.Payload)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if f.spoiledHash, err = sp.Ballot.Hash(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		f.haveSpoiled = true
	}
	return f, nil
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
	if !bulletin.ValidElectionID(id) {
		return nil, fmt.Errorf("%w: malformed election id", ErrMalformed)
	}
	if !bulletin.ValidType(sub.Type) {
		return nil, fmt.Errorf("%w: malformed entry type", ErrMalformed)
	}
	if len(sub.Payload) > bulletin.MaxPayloadSize {
		return nil, fmt.Errorf("%w: payload of %d bytes", ErrTooLarge, len(sub.Payload))
	}
	f, tc, err := s.precheck(ctx, id, &sub)
	if err != nil {
		return nil, err
	}
	key := bulletin.SubmissionKey(sub.Type, sub.Payload, sub.Signer, sub.Signature)
	s.pending.Store(key, f)
	rs, err := s.b.Append(ctx, id, board.Submission(sub))
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
		e.st = NewState(id)
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
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

// precheck checks what can be checked before the append: shapes, the
// signature and proofs, and (against the cached state, refreshed once on a
// failure) the cheap rules, so that a hopeless submission costs no proof
// verification and no lock.
func (s *Service) precheck(ctx context.Context, id string, sub *Submission) (*facts, ballot.TrackingCode, error) {
	sg, err := record.ParseSigner(sub.Signer)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	f := &facts{signer: sg}
	// The entry signature first (it is cheap), so that nobody but an
	// official, a trustee or the board can make the server decode a large
	// payload. A voter's entry carries none: its ballot's signature is
	// verified with the proofs.
	if err := record.VerifySignature(sg, id, sub.Type, sub.Payload, sub.Signature); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	// Cheap rules next, against the cached state; refresh it from the
	// board once if they fail (another process may have appended).
	var st snapshot
	for attempt := 0; ; attempt++ {
		e := s.lookup(id)
		if attempt > 0 {
			if e, err = s.sync(ctx, id); err != nil {
				return nil, "", err
			}
		}
		e.mu.Lock()
		st = snap(e.st)
		err = s.cheapRules(e.st, sub, f)
		e.mu.Unlock()
		if err == nil || attempt > 0 || errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadSignature) {
			break
		}
	}
	if err != nil {
		return nil, "", err
	}
	var tc ballot.TrackingCode
	switch sub.Type {
	case record.TypeSetup:
		err = s.checkSetup(id, sub, sg)
	case record.TypeManifest:
		var m *ballot.Manifest
		if m, err = ballot.DecodeManifest(sub.Payload); err != nil {
			err = fmt.Errorf("%w: %w", ErrMalformed, err)
		} else if m.ElectionID != id {
			err = fmt.Errorf("%w: the manifest is for election %q", ErrWrongElection, m.ElectionID)
		} else {
			// Ranked contests need the mixnet's entry types, which this
			// version's record does not have: the verifier rejects such a
			// manifest (e2e/SPEC.md §12.4, unsupported).
			for _, c := range m.Contests {
				if c.Kind == ballot.Ranked {
					err = fmt.Errorf("%w: contest %q is ranked, which this version does not support (%w)", ErrMalformed, c.ID, ballot.ErrUnsupported)
					break
				}
			}
		}
	case record.TypeRollVoters:
		if f.roll, err = record.DecodeRollVoters(sub.Payload); err != nil {
			err = fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	case record.TypeOpen, record.TypeClose:
		if _, err = record.DecodePhase(sub.Payload, id); err != nil {
			err = fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		// Strict decoding, as for every payload: the replay would ignore a
		// malformed message, but the board would keep it (up to the
		// payload limit, as often as a trustee likes).
		// A message for another ceremony, or naming another trustee than
		// its signer, is ignored by the replay: refuse it rather than keep
		// it (a trustee's signature does not name the election, so its
		// messages could otherwise be copied from another election).
		var i int
		var h ceremony.Hash
		if st.params == nil || st.setup == nil {
			err = fmt.Errorf("%w: %s before ceremony.params", ErrConflict, sub.Type)
		} else if i, h, err = rules.DecodeCeremonyMessage(sub.Type, sub.Payload, st.params); err != nil {
			err = fmt.Errorf("%w: %w", ErrMalformed, err)
		} else if [32]byte(h) != st.params.Hash() {
			err = fmt.Errorf("%w: %s is for another ceremony", ErrWrongElection, sub.Type)
		} else if i != st.setup.TrusteeIndex(sg.Key) {
			err = fmt.Errorf("%w: %s claims trustee %d but is not signed by that trustee's key", ErrForbidden, sub.Type, i)
		}
	case record.TypeCeremonyEnd, record.TypeResult:
		if !bytes.Equal(sg.Key[:], s.boardPub) {
			err = fmt.Errorf("%w: %s must be signed by this board", ErrForbidden, sub.Type)
		}
	case record.TypeShare:
		var m *tally.ShareMessage
		if m, err = tally.DecodeShareMessage(sub.Payload); err != nil {
			err = fmt.Errorf("%w: %w", ErrMalformed, err)
		} else if st.setup == nil || m.Trustee != st.setup.TrusteeIndex(sg.Key) {
			// e2e/SPEC.md §11.2: a share's trustee field is its signer's index.
			err = fmt.Errorf("%w: tally.share claims trustee %d but is not signed by that trustee's key", ErrForbidden, m.Trustee)
		} else if st.el != nil && [32]byte(m.Election) != st.el.BaseHash {
			// Shares made for another election (the same trustee key
			// may serve several) would otherwise take this trustee's one
			// tally.share.
			err = fmt.Errorf("%w: tally.share is for base hash %x…, this election's is %x…", ErrWrongElection, m.Election[:8], st.el.BaseHash[:8])
		}
	case record.TypeBallot:
		tc, err = s.checkBallot(st, sub, sg)
	case record.TypeSpoiled:
		err = s.checkSpoiled(st, sub, f)
	}
	if err != nil {
		return nil, "", err
	}
	return f, tc, nil
}

// cheapRules runs State.Check where it needs no decoded payload.
func (s *Service) cheapRules(st *State, sub *Submission, f *facts) error {
	switch sub.Type {
	case record.TypeRollVoters, record.TypeSpoiled:
		// Need the decoded payload; admission checks them.
		if st.Manifest == nil {
			return fmt.Errorf("%w: %s before the manifest", ErrConflict, sub.Type)
		}
		if sub.Type == record.TypeSpoiled {
			// The signer and the roll before the proofs, as for ballots:
			// a spoiled ballot is verified outside the batch queue.
			if f.signer.Kind != record.Voter {
				return fmt.Errorf("%w: %s must be signed by a voter credential", ErrForbidden, sub.Type)
			}
			if err := st.checkVoting(s.now().UnixMilli()); err != nil {
				return err
			}
			if _, ok := st.Roll[f.signer.Key]; !ok {
				return fmt.Errorf("%w: credential %x", ErrNotOnRoll, f.signer.Key[:8])
			}
		}
		return nil
	}
	return st.Check(sub, f, s.now().UnixMilli())
}

// snapshot is what ballot checks need of the state, copied under the lock.
type snapshot struct {
	el     *ballot.Election
	setup  *record.Setup
	params *ceremony.Params
}

func snap(st *State) snapshot { return snapshot{el: st.Ballots, setup: st.Setup, params: st.Params} }

func (s *Service) checkSetup(id string, sub *Submission, sg record.Signer) error {
	st, err := record.DecodeSetup(sub.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if st.ElectionID != id {
		return fmt.Errorf("%w: the setup is for election %q", ErrWrongElection, st.ElectionID)
	}
	if st.Board.Name != s.name || st.Board.Key != s.vkey {
		return fmt.Errorf("%w: the setup names board %q with key %q; this board is %q with key %q", ErrConflict, st.Board.Name, st.Board.Key, s.name, s.vkey)
	}
	if sg.Kind != record.Official || !st.IsOfficial(sg.Key) {
		return fmt.Errorf("%w: the setup must be signed by one of its officials", ErrForbidden)
	}
	for _, k := range s.opts.Officials {
		if bytes.Equal(k, sg.Key[:]) {
			return nil
		}
	}
	return fmt.Errorf("%w: the setup's signer is not an official this server was configured with", ErrForbidden)
}

func (s *Service) checkBallot(st snapshot, sub *Submission, sg record.Signer) (ballot.TrackingCode, error) {
	if st.el == nil {
		return "", fmt.Errorf("%w: the election has no key yet", ErrNotOpen)
	}
	if n := st.el.BallotSize(); n != 0 && len(sub.Payload) != n {
		return "", fmt.Errorf("%w: ballot of %d bytes; every ballot of this election is %d bytes", ErrMalformed, len(sub.Payload), n)
	}
	b, err := ballot.DecodeBallot(sub.Payload)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if b.Credential.Bytes() != sg.Key {
		return "", fmt.Errorf("%w: the ballot's credential is not the entry's signer", ErrMalformed)
	}
	if err := s.verifyBallot(st.el, b); err != nil {
		return "", fmt.Errorf("%w: %w", classifyBallot(err), err)
	}
	return ballot.NewTrackingCode(BallotHash(sub.Payload)), nil
}

func (s *Service) checkSpoiled(st snapshot, sub *Submission, f *facts) error {
	if st.el == nil {
		return fmt.Errorf("%w: the election has no key yet", ErrNotOpen)
	}
	sp, err := ballot.DecodeSpoiled(sub.Payload)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if sp.Ballot.Credential.Bytes() != f.signer.Key {
		return fmt.Errorf("%w: the spoiled ballot's credential is not the entry's signer", ErrMalformed)
	}
	t0 := time.Now()
	_, err = ballot.VerifySpoiled(st.el, sp)
	s.addVerifyTime(time.Since(t0), 1)
	if err != nil {
		return fmt.Errorf("%w: %w", classifyBallot(err), err)
	}
	if f.spoiledHash, err = sp.Ballot.Hash(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	f.haveSpoiled = true
	return nil
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
	b    *ballot.Ballot
	done chan error
}

// verifyBallot queues a ballot for batch verification and waits for the
// verdict. A full queue is refused at once (ErrUnavailable): a flood costs
// the flooder, not the ballots already queued.
func (s *Service) verifyBallot(el *ballot.Election, b *ballot.Ballot) error {
	j := &vjob{el: el, b: b, done: make(chan error, 1)}
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
// BatchWait) for more ballots: ballot.VerifyBatch checks batches of at most
// a few ballots one by one.
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
		errs := ballot.VerifyBatch(el, bs)
		for i, j := range js {
			j.done <- errs[i]
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
		Ballots: st.BallotCount, Counted: st.Counted(), BoardName: s.name, BoardKey: s.vkey, Result: rawOrNull(st.Result)}
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
