package rules

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"golang.org/x/mod/sumdb/note"
)

// Phases of an election.
const (
	PhaseEmpty   = "empty"   // nothing on the board
	PhaseSetup   = "setup"   // setup, manifest, roll and ceremony in progress
	PhaseOpen    = "open"    // election.open posted, not closed
	PhaseClosed  = "closed"  // election.close posted, no result yet
	PhaseTallied = "tallied" // tally.result posted
)

// signerOf is who may sign each entry type (e2e/SPEC.md §11.2).
var signerOf = map[string]record.SignerKind{
	record.TypeSetup:       record.Official,
	record.TypeManifest:    record.Official,
	record.TypeRollVoters:  record.Official,
	record.TypeRollSeal:    record.Official,
	record.TypeCeremony:    record.Official,
	record.TypeCommitments: record.Trustee,
	record.TypeShares:      record.Trustee,
	record.TypeComplaints:  record.Trustee,
	record.TypeAnswer:      record.Trustee,
	record.TypeCeremonyEnd: record.Board,
	record.TypeOpen:        record.Official,
	record.TypeBallot:      record.Voter,
	record.TypeSpoiled:     record.Voter,
	record.TypeClose:       record.Official,
	record.TypeShare:       record.Trustee,
	record.TypeResult:      record.Board,
	record.TypeMix:         record.Trustee,
	record.TypeMixShare:    record.Trustee,
	record.TypeMixResult:   record.Board,
}

// SignerOf returns the signer kind an entry type must have (e2e/SPEC.md
// §11.2), and false for an unknown type.
func SignerOf(typ string) (record.SignerKind, bool) {
	k, ok := signerOf[typ]
	return k, ok
}

// once lists the types that appear at most once (e2e/SPEC.md §11.2).
var once = map[string]bool{
	record.TypeSetup: true, record.TypeManifest: true, record.TypeRollSeal: true, record.TypeCeremony: true,
	record.TypeCeremonyEnd: true, record.TypeOpen: true, record.TypeClose: true, record.TypeResult: true,
}

// Config is what the rules know before entry 0: the election and the
// board that holds it.
type Config struct {
	// Election is the election id of the board's log.
	Election string
	// BoardName and BoardKey are the board's name and note verifier key,
	// which election.setup must name (e2e/SPEC.md §11.3); BoardPub is the
	// Ed25519 key inside BoardKey, the signer of board entries.
	BoardName string
	BoardKey  string
	BoardPub  [32]byte
}

// NewConfig returns the Config of election on the board whose note
// verifier key (golang.org/x/mod/sumdb/note, Ed25519) is vkey.
func NewConfig(election, vkey string) (Config, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Config{}, fmt.Errorf("board key: %w", err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return Config{}, errors.New("board key: not name+hash+key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return Config{}, errors.New("board key: not an Ed25519 note key")
	}
	if !bulletin.ValidBoardName(v.Name()) {
		return Config{}, fmt.Errorf("board key: invalid board name %q", v.Name())
	}
	return Config{Election: election, BoardName: v.Name(), BoardKey: vkey, BoardPub: [32]byte(raw[1:])}, nil
}

// ForSetup returns the state of a board read as its entry 0, the
// election.setup, names it: election id and board key from the setup
// itself. It is for readers that take the board's identity from the board
// (the coordinator on its own board, a trustee reading a board it reached
// by address); an observer pins the board key ([NewConfig]) instead.
func ForSetup(e0 *bulletin.Entry) (*State, error) {
	if e0.Index != 0 || e0.Type != record.TypeSetup {
		return nil, violation(e0, CheckOrder, ErrConflict, nil, "entry 0 must be %s", record.TypeSetup)
	}
	st, err := record.DecodeSetup(e0.Payload)
	if err != nil {
		return nil, violation(e0, CheckSetup, ErrMalformed, err, "%v", err)
	}
	cfg, err := NewConfig(st.ElectionID, st.Board.Key)
	if err != nil {
		return nil, violation(e0, CheckBoardKey, ErrMalformed, err, "%v", err)
	}
	return New(cfg), nil
}

// State is an election after entries 0..Size−1 of its board: everything
// the rules of e2e/SPEC.md §11 need to decide on the next entry. It is
// built by folding [State.Apply] over the board from entry 0. It does no
// I/O and reads no clock but the entries' board times. Fields are for
// reading; only Apply and Skip change them. A State is not safe for
// concurrent use.
type State struct {
	Config
	Size     uint64        // entries applied or skipped
	Last     bulletin.Hash // entry hash of entry Size−1
	LastTime int64         // board time of entry Size−1 (unix ms)

	Setup        *record.Setup
	Manifest     *ballot.Manifest
	ManifestJSON []byte
	ManifestHash [32]byte

	RollChunks int
	Roll       map[[32]byte]struct{}
	RollOrder  [][32]byte
	Seal       *record.RollSeal

	Params        *ceremony.Params
	ParamsIndex   int64 // −1 before ceremony.params
	ParamsTime    time.Time
	CeremonyHash  [32]byte
	CeremonyMsgs  []ceremony.Posted
	CeremonyState *ceremony.State         // the replay at ceremony.result's time
	Ceremony      *ceremony.ResultMessage // the posted ceremony.result
	// Ballots is the election ballots are encrypted for, set by
	// ceremony.result.
	Ballots *ballot.Election
	Layout  *tally.Layout

	OpenIndex, CloseIndex int64 // −1 before election.open / election.close
	OpenTime, CloseTime   int64
	BallotCount           uint64
	Latest                map[[32]byte]uint64 // credential ↦ index of its latest ballot
	Cast                  map[[32]byte]uint64 // ballot hash ↦ index
	Spoiled               map[[32]byte]uint64 // hash of a spoiled ballot ↦ index
	Shares                []ceremony.Posted
	ShareBy               map[int]uint64 // trustee index ↦ index of its tally.share
	// CeremonyBy holds the index of each trustee's message of each
	// ceremony type: at most one is admitted (§9.8).
	CeremonyBy  map[CeremonyKey]uint64
	Result      *tally.Result
	ResultJSON  []byte
	ResultIndex int64 // −1 before tally.result

	// Cascades holds the mix cascade of each ranked contest, by contest
	// id, from election.close on (e2e/SPEC.md §16); MixConfig is what
	// they share.
	Cascades  map[string]*cascade.Cascade
	MixConfig *cascade.Config

	// Notes are observations that are not violations (a ceremony message
	// the replay ignored, a decryption share the result did not use).
	Notes []string

	once    map[string]uint64
	subKeys map[bulletin.Hash]uint64
}

// New returns the state of an empty board.
func New(cfg Config) *State {
	return &State{
		Config:      cfg,
		Roll:        map[[32]byte]struct{}{},
		Latest:      map[[32]byte]uint64{},
		Cast:        map[[32]byte]uint64{},
		Spoiled:     map[[32]byte]uint64{},
		ShareBy:     map[int]uint64{},
		CeremonyBy:  map[CeremonyKey]uint64{},
		ParamsIndex: -1, OpenIndex: -1, CloseIndex: -1, ResultIndex: -1,
		once:    map[string]uint64{},
		subKeys: map[bulletin.Hash]uint64{},
	}
}

// Phase returns the election's phase.
func (s *State) Phase() string {
	switch {
	case s.ResultIndex >= 0:
		return PhaseTallied
	case s.CloseIndex >= 0:
		return PhaseClosed
	case s.OpenIndex >= 0:
		return PhaseOpen
	case s.Setup != nil:
		return PhaseSetup
	}
	return PhaseEmpty
}

// Counted returns the number of credentials whose latest ballot counts
// (e2e/SPEC.md §11.6).
func (s *State) Counted() int { return len(s.Latest) }

// Pre carries work a caller did on an entry before [State.Apply], so that
// Apply does not repeat it: the service verifies signatures and proofs
// outside its lock, the verifier verifies ballots in parallel batches. A
// field left zero means Apply does the work itself. Pre must describe the
// very entry given to Apply.
type Pre struct {
	// SignatureOK: the entry signature was verified against this
	// election, type, payload and signer (record.VerifySignature).
	SignatureOK bool
	// Ballot: a ballot entry's payload decoded and checked by
	// [VerifyBallots] without a violation.
	Ballot *ballot.Ballot
	// DeferBallots: the caller checks the ballot's content (decoding,
	// credential, proofs) itself with [VerifyBallots] or a [Recount];
	// Apply checks the rest.
	DeferBallots bool
	// DeferSpoiled: the caller verifies a spoiled ballot's proofs itself
	// (ballot.VerifySpoiled); Apply checks the rest.
	DeferSpoiled bool
	// Spoiled: a ballot.spoiled payload decoded and verified
	// (ballot.VerifySpoiled) for this election.
	Spoiled *ballot.Spoiled
	// Roll: a roll.voters payload decoded.
	Roll *record.RollVoters
	// Tally: the aggregate of the counted ballots, which tally.result
	// needs; without it Apply refuses tally.result.
	Tally *Tally
	// Ranked: the counted ballots' sequences of each ranked contest, by
	// contest id, in board order (e2e/SPEC.md §16.2): the input of the
	// contest's first mix. Without it Apply refuses a contest's first
	// mix.shuffle (unless Replay).
	Ranked map[string][]mixnet.Sequence
	// Mix: a mix.shuffle payload decoded, and its proof verified against
	// the list its input hash names (the rules then check that this list
	// is the contest's latest).
	Mix *cascade.Mix
	// MixShares: a mix.share payload decoded and its proofs verified
	// against the list it names (the rules check it is the final list).
	MixShares *cascade.Shares
	// DeferMix: the caller verifies a mix's or a mix.share's proofs
	// itself ([State.MixWork]); Apply checks the rest.
	DeferMix bool
	// Replay: the entry is on the board already, admitted by these rules
	// (the service catching up with its own board after a restart or
	// with what another process appended): Apply skips the cryptographic
	// checks (signatures, ballot and spoiled-ballot proofs, the result's
	// recomputation) and checks the rest. Only the verifier's fold over
	// a record, without Replay, is an audit.
	Replay bool
}

// Apply checks that e may be the next entry of the board (e2e/SPEC.md
// §11, in the order of §12.3) and, if so, applies it. On a violation it
// returns a *[Violation] and leaves the state unchanged.
func (s *State) Apply(e *bulletin.Entry, pre *Pre) error {
	if pre == nil {
		pre = &Pre{}
	}
	commit, err := s.check(e, pre)
	if err != nil {
		return err
	}
	commit()
	s.advance(e)
	return nil
}

// Check is Apply without applying: whether e could be the next entry. The
// service runs it before the expensive checks of a submission, against
// its cached state, so that a hopeless submission costs no proof
// verification.
func (s *State) Check(e *bulletin.Entry, pre *Pre) error {
	if pre == nil {
		pre = &Pre{}
	}
	_, err := s.check(e, pre)
	return err
}

// Skip moves past an entry that is on the board but was not applied (the
// verifier, reporting every failure, goes on after a violation).
func (s *State) Skip(e *bulletin.Entry) { s.advance(e) }

func (s *State) advance(e *bulletin.Entry) {
	s.Size, s.Last, s.LastTime = e.Index+1, e.Hash, e.Time
}

func (s *State) note(format string, args ...any) {
	if len(s.Notes) < 1000 {
		s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
	}
}

// violation builds the error for e.
func violation(e *bulletin.Entry, c Check, reason, cause error, format string, args ...any) *Violation {
	return &Violation{Check: c, Index: e.Index, Type: e.Type, Msg: fmt.Sprintf(format, args...), reason: reason, cause: cause}
}

func fatal(v *Violation) *Violation { v.Fatal = true; return v }

func (s *State) check(e *bulletin.Entry, pre *Pre) (func(), error) {
	typ := e.Type
	bad := func(c Check, reason, cause error, format string, args ...any) (func(), error) {
		return nil, violation(e, c, reason, cause, format, args...)
	}
	kind, known := signerOf[typ]
	if !known {
		return bad(CheckType, ErrMalformed, nil, "unknown entry type %q", typ)
	}
	if e.Index == 0 && typ != record.TypeSetup {
		return nil, fatal(violation(e, CheckOrder, ErrConflict, nil, "entry 0 must be %s", record.TypeSetup))
	}
	if e.Index == 1 && typ != record.TypeManifest {
		return nil, fatal(violation(e, CheckOrder, ErrConflict, nil, "entry 1 must be %s", record.TypeManifest))
	}
	if first, ok := s.once[typ]; ok {
		reason := ErrConflict
		if typ == record.TypeClose {
			reason = ErrClosed // what a late official needs to hear
		}
		return bad(CheckOrder, reason, nil, "second %s entry (the first is entry %d)", typ, first)
	}
	signer, err := s.parseSigner(e.Signer)
	if err != nil {
		return bad(CheckSigner, ErrMalformed, err, "%v", err)
	}
	if signer.Kind != kind {
		return bad(CheckSigner, ErrForbidden, record.ErrSignature, "signed by a %s, a %s entry must be signed by a %s", signer.Kind, typ, kind)
	}
	if typ == record.TypeSetup {
		return s.doSetup(e, signer, pre)
	}
	if s.Setup == nil || s.Manifest == nil && typ != record.TypeManifest {
		return nil, fatal(violation(e, CheckOrder, ErrConflict, nil, "%s before the setup and the manifest", typ))
	}
	switch kind {
	case record.Official:
		if !s.Setup.IsOfficial(signer.Key) {
			return bad(CheckSigner, ErrForbidden, record.ErrSignature, "signer %x… is not an official of the setup", signer.Key[:8])
		}
	case record.Trustee:
		if s.Setup.TrusteeIndex(signer.Key) == 0 {
			return bad(CheckSigner, ErrForbidden, record.ErrSignature, "signer %x… is not a trustee of the setup", signer.Key[:8])
		}
	case record.Board:
		if signer.Key != s.BoardPub {
			return bad(CheckSigner, ErrForbidden, record.ErrSignature, "signer %x… is not the board key", signer.Key[:8])
		}
	}
	if !pre.SignatureOK && !pre.Replay {
		if err := record.VerifySignature(signer, s.Election, typ, e.Payload, e.Signature); err != nil {
			return bad(CheckSignature, ErrBadSignature, err, "%v", err)
		}
	}
	var subKey bulletin.Hash
	if typ != record.TypeBallot {
		// Ballots are kept apart by their hash (below), which the
		// submission key of a ballot entry determines.
		subKey = bulletin.SubmissionKey(typ, e.Payload, e.Signer, e.Signature)
		if first, ok := s.subKeys[subKey]; ok {
			return bad(CheckDuplicate, ErrConflict, nil, "repeats the submission of entry %d byte for byte", first)
		}
	}
	commit, err := s.byType(e, signer, pre)
	if err != nil {
		return nil, err
	}
	return func() {
		commit()
		if typ != record.TypeBallot {
			s.subKeys[subKey] = e.Index
		}
		if once[typ] {
			s.once[typ] = e.Index
		}
	}, nil
}

// parseSigner is record.ParseSigner, without decoding the point of a voter
// already on the roll (the roll holds valid elements only).
func (s *State) parseSigner(b []byte) (record.Signer, error) {
	if len(b) == record.SignerSize && record.SignerKind(b[0]) == record.Voter {
		if _, ok := s.Roll[[32]byte(b[1:])]; ok {
			return record.Signer{Kind: record.Voter, Key: [32]byte(b[1:])}, nil
		}
	}
	return record.ParseSigner(b)
}

// A commit applies a checked entry to the state.
type commit = func()

func (s *State) byType(e *bulletin.Entry, signer record.Signer, pre *Pre) (commit, error) {
	typ := e.Type
	bad := func(c Check, reason, cause error, format string, args ...any) (commit, error) {
		return nil, violation(e, c, reason, cause, format, args...)
	}
	switch typ {
	case record.TypeManifest:
		return s.doManifest(e)
	case record.TypeRollVoters:
		return s.doRoll(e, pre)
	case record.TypeRollSeal:
		return s.doSeal(e)
	case record.TypeCeremony:
		return s.doParams(e)
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		return s.doCeremonyMsg(e, signer)
	case record.TypeCeremonyEnd:
		if s.Params == nil {
			return nil, fatal(violation(e, CheckOrder, ErrConflict, nil, "%s before %s", typ, record.TypeCeremony))
		}
		return s.doCeremonyResult(e)
	case record.TypeOpen:
		switch {
		case s.Seal == nil:
			return bad(CheckOrder, ErrConflict, nil, "%s before %s", typ, record.TypeRollSeal)
		case s.Ballots == nil:
			return bad(CheckOrder, ErrConflict, nil, "%s before %s", typ, record.TypeCeremonyEnd)
		}
		if _, err := record.DecodePhase(e.Payload, s.Election); err != nil {
			return bad(CheckPhase, ErrMalformed, err, "%v", err)
		}
		return func() { s.OpenIndex, s.OpenTime = int64(e.Index), e.Time }, nil
	case record.TypeClose:
		if s.OpenIndex < 0 {
			return bad(CheckOrder, ErrNotOpen, nil, "%s before %s: the election is not open", typ, record.TypeOpen)
		}
		if _, err := record.DecodePhase(e.Payload, s.Election); err != nil {
			return bad(CheckPhase, ErrMalformed, err, "%v", err)
		}
		return func() {
			s.CloseIndex, s.CloseTime = int64(e.Index), e.Time
			s.startCascades()
		}, nil
	case record.TypeBallot, record.TypeSpoiled:
		if err := s.voting(e, signer); err != nil {
			return nil, err
		}
		if typ == record.TypeBallot {
			return s.doBallot(e, signer, pre)
		}
		return s.doSpoiled(e, signer, pre)
	case record.TypeShare:
		return s.doShare(e, signer)
	case record.TypeResult:
		return s.doResult(e, pre)
	case record.TypeMix:
		return s.doMix(e, signer, pre)
	case record.TypeMixShare:
		return s.doMixShare(e, signer, pre)
	case record.TypeMixResult:
		return s.doMixResult(e, pre)
	}
	return func() {}, nil
}

func (s *State) doSetup(e *bulletin.Entry, signer record.Signer, pre *Pre) (commit, error) {
	bad := func(c Check, reason, cause error, format string, args ...any) (commit, error) {
		return nil, fatal(violation(e, c, reason, cause, format, args...))
	}
	if e.Index != 0 {
		return nil, violation(e, CheckOrder, ErrConflict, nil, "%s must be entry 0", e.Type)
	}
	st, err := record.DecodeSetup(e.Payload)
	if err != nil {
		return bad(CheckSetup, ErrMalformed, err, "%v", err)
	}
	switch {
	case st.ElectionID != s.Election:
		return bad(CheckSetup, ErrWrongElection, nil, "setup is for election %q, the board's log for %q", st.ElectionID, s.Election)
	case st.Board.Key != s.BoardKey:
		return bad(CheckBoardKey, ErrConflict, nil, "setup names board key %q, the board's is %q", st.Board.Key, s.BoardKey)
	case st.Board.Name != s.BoardName:
		return bad(CheckBoardKey, ErrConflict, nil, "setup names board %q, the board is %q", st.Board.Name, s.BoardName)
	case !st.IsOfficial(signer.Key):
		return bad(CheckSigner, ErrForbidden, record.ErrSignature, "the setup is not signed by one of its officials")
	}
	if !pre.SignatureOK && !pre.Replay {
		if err := record.VerifySignature(signer, s.Election, e.Type, e.Payload, e.Signature); err != nil {
			return bad(CheckSignature, ErrBadSignature, err, "%v", err)
		}
	}
	return func() {
		s.Setup = st
		s.once[e.Type] = e.Index
		s.subKeys[bulletin.SubmissionKey(e.Type, e.Payload, e.Signer, e.Signature)] = e.Index
	}, nil
}

func (s *State) doManifest(e *bulletin.Entry) (commit, error) {
	bad := func(c Check, reason, cause error, format string, args ...any) (commit, error) {
		return nil, fatal(violation(e, c, reason, cause, format, args...))
	}
	m, err := ballot.DecodeManifest(e.Payload)
	if err != nil {
		return bad(CheckManifest, ErrMalformed, err, "%v", err)
	}
	if m.ElectionID != s.Election {
		return bad(CheckManifest, ErrWrongElection, nil, "manifest is for election %q, the board's log for %q", m.ElectionID, s.Election)
	}
	h, err := m.Hash()
	if err != nil {
		return bad(CheckManifest, ErrMalformed, err, "%v", err)
	}
	return func() {
		s.Manifest, s.ManifestHash, s.ManifestJSON = m, h, bytes.Clone(e.Payload)
		s.Layout = tally.LayoutOf(m)
	}, nil
}

func (s *State) doRoll(e *bulletin.Entry, pre *Pre) (commit, error) {
	bad := func(c Check, reason, cause error, format string, args ...any) (commit, error) {
		return nil, violation(e, c, reason, cause, format, args...)
	}
	if s.Seal != nil {
		return bad(CheckOrder, ErrConflict, nil, "%s after %s", e.Type, record.TypeRollSeal)
	}
	r := pre.Roll
	if r == nil {
		var err error
		if r, err = record.DecodeRollVoters(e.Payload); err != nil {
			return bad(CheckRoll, ErrMalformed, err, "%v", err)
		}
	}
	if r.Chunk != s.RollChunks {
		return bad(CheckRoll, ErrConflict, nil, "roll chunk %d, want chunk %d", r.Chunk, s.RollChunks)
	}
	keys := make([][32]byte, len(r.Credentials))
	seen := make(map[[32]byte]int, len(r.Credentials))
	for i, c := range r.Credentials {
		k := c.Bytes()
		if _, dup := s.Roll[k]; dup {
			return bad(CheckRoll, ErrConflict, nil, "credential %d of chunk %d (%x…) is already on the roll", i, r.Chunk, k[:8])
		}
		if j, dup := seen[k]; dup {
			return bad(CheckRoll, ErrConflict, nil, "credential %d of chunk %d (%x…) repeats credential %d", i, r.Chunk, k[:8], j)
		}
		seen[k] = i
		keys[i] = k
	}
	return func() {
		s.RollChunks++
		for _, k := range keys {
			s.Roll[k] = struct{}{}
		}
		s.RollOrder = append(s.RollOrder, keys...)
	}, nil
}

func (s *State) doSeal(e *bulletin.Entry) (commit, error) {
	seal, err := record.DecodeRollSeal(e.Payload)
	if err != nil {
		return nil, violation(e, CheckRollSeal, ErrMalformed, err, "%v", err)
	}
	if seal.Count != uint64(len(s.RollOrder)) {
		return nil, violation(e, CheckRollSeal, ErrConflict, nil, "seal counts %d credentials, the roll has %d", seal.Count, len(s.RollOrder))
	}
	if h := record.RollHashKeys(s.Election, s.RollOrder); [32]byte(seal.Hash) != h {
		return nil, violation(e, CheckRollSeal, ErrConflict, nil, "seal hash %x…, the roll's hash is %x…", seal.Hash[:8], h[:8])
	}
	return func() { s.Seal = seal }, nil
}

func (s *State) doParams(e *bulletin.Entry) (commit, error) {
	bad := func(format string, args ...any) (commit, error) {
		return nil, fatal(violation(e, CheckCeremonyParams, ErrConflict, nil, format, args...))
	}
	p, err := ceremony.ParseParams(e.Payload)
	if err != nil {
		return nil, fatal(violation(e, CheckCeremonyParams, ErrMalformed, err, "%v", err))
	}
	switch {
	case p.ElectionID != s.Election:
		return bad("ceremony is for election %q, this board's is %q", p.ElectionID, s.Election)
	case p.Election != ceremony.Hash(s.ManifestHash):
		return bad("ceremony is for manifest hash %x…, the manifest's is %x…", p.Election[:8], s.ManifestHash[:8])
	case p.Threshold != s.Setup.Threshold:
		return bad("ceremony threshold %d, the setup's is %d", p.Threshold, s.Setup.Threshold)
	case len(p.Trustees) != len(s.Setup.Trustees):
		return bad("ceremony has %d trustees, the setup %d", len(p.Trustees), len(s.Setup.Trustees))
	}
	for i := range p.Trustees {
		// Byte-identical records (e2e/SPEC.md §11.2), names included.
		if !bytes.Equal(p.Trustees[i].Marshal(), s.Setup.Trustees[i].Marshal()) {
			return bad("ceremony trustee %d differs from the setup's trustee %d", i+1, i+1)
		}
	}
	return func() {
		s.Params, s.CeremonyHash = p, p.Hash()
		s.ParamsIndex, s.ParamsTime = int64(e.Index), time.UnixMilli(e.Time)
	}, nil
}

// doCeremonyMsg admits a trustee's ceremony message: decoded strictly,
// for this ceremony, naming its signer as the trustee (e2e/SPEC.md §11.2).
// Whether it counts (its round's deadline, its proofs) is the replay's
// business at ceremony.result (§9.7).
func (s *State) doCeremonyMsg(e *bulletin.Entry, signer record.Signer) (commit, error) {
	switch {
	case s.Params == nil:
		return nil, violation(e, CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeCeremony)
	case s.Ceremony != nil:
		return nil, violation(e, CheckOrder, ErrConflict, nil, "%s after %s", e.Type, record.TypeCeremonyEnd)
	}
	i, h, err := DecodeCeremonyMessage(e.Type, e.Payload, s.Params)
	switch {
	case err != nil:
		return nil, violation(e, CheckCeremonyMsg, ErrMalformed, err, "%v", err)
	case [32]byte(h) != s.CeremonyHash:
		return nil, violation(e, CheckCeremonyMsg, ErrWrongElection, nil, "%s is for ceremony %x…, this ceremony is %x…", e.Type, h[:8], s.CeremonyHash[:8])
	case i != s.Setup.TrusteeIndex(signer.Key):
		return nil, violation(e, CheckCeremonyMsg, ErrForbidden, nil, "%s claims trustee %d but is signed by trustee %d", e.Type, i, s.Setup.TrusteeIndex(signer.Key))
	}
	k := CeremonyKey{Type: e.Type, Trustee: i}
	if first, ok := s.CeremonyBy[k]; ok {
		return nil, violation(e, CheckCeremonyMsg, ErrConflict, nil, "second %s from trustee %d (the first is entry %d)", e.Type, i, first)
	}
	return func() {
		s.CeremonyMsgs = append(s.CeremonyMsgs, Posted(e))
		s.CeremonyBy[k] = e.Index
	}, nil
}

// A CeremonyKey names one trustee's message of one ceremony type.
type CeremonyKey struct {
	Type    string
	Trustee int
}

// Posted converts a board entry to the ceremony package's view of it.
func Posted(e *bulletin.Entry) ceremony.Posted {
	p := ceremony.Posted{Index: e.Index, Time: time.UnixMilli(e.Time), Type: e.Type, Payload: e.Payload}
	copy(p.Signature[:], e.Signature)
	return p
}

// DecodeCeremonyMessage decodes a trustee's ceremony message strictly
// (e2e/SPEC.md §9.3–9.6) and returns the trustee and ceremony it names.
func DecodeCeremonyMessage(typ string, payload []byte, p *ceremony.Params) (int, ceremony.Hash, error) {
	switch typ {
	case record.TypeCommitments:
		m, err := ceremony.DecodeCommitments(payload, p)
		if err != nil {
			return 0, ceremony.Hash{}, err
		}
		return m.Trustee, m.Ceremony, nil
	case record.TypeShares:
		m, err := ceremony.DecodeShares(payload, p)
		if err != nil {
			return 0, ceremony.Hash{}, err
		}
		return m.Trustee, m.Ceremony, nil
	case record.TypeComplaints:
		m, err := ceremony.DecodeComplaints(payload, p)
		if err != nil {
			return 0, ceremony.Hash{}, err
		}
		return m.Trustee, m.Ceremony, nil
	case record.TypeAnswer:
		m, err := ceremony.DecodeAnswer(payload, p)
		if err != nil {
			return 0, ceremony.Hash{}, err
		}
		return m.Trustee, m.Ceremony, nil
	}
	return 0, ceremony.Hash{}, fmt.Errorf("not a ceremony message type: %q", typ)
}

// ReplayCeremony replays the ceremony messages applied so far at board
// time now (e2e/SPEC.md §9.7): what the coordinator posts as
// ceremony.result, and what Apply checks it against.
func (s *State) ReplayCeremony(now time.Time) *ceremony.State {
	if s.Params == nil {
		return nil
	}
	return ceremony.Replay(s.Params, s.ParamsTime, s.CeremonyMsgs, now)
}

func (s *State) doCeremonyResult(e *bulletin.Entry) (commit, error) {
	bad := func(c Check, cause error, format string, args ...any) (commit, error) {
		return nil, fatal(violation(e, c, ErrConflict, cause, format, args...))
	}
	if s.Ceremony != nil {
		return bad(CheckOrder, nil, "second %s", e.Type)
	}
	st := s.ReplayCeremony(time.UnixMilli(e.Time))
	if !st.Done() {
		return bad(CheckCeremonyResult, st.Err, "a result is posted, but replaying the board at its time gives: %s", st.Describe())
	}
	posted, err := ceremony.DecodeResult(e.Payload, s.Params)
	if err != nil {
		return nil, fatal(violation(e, CheckCeremonyResult, ErrMalformed, err, "%v", err))
	}
	for _, q := range posted.Qualified {
		if slices.Contains(st.Qualified, q) {
			continue
		}
		reason, ok := st.Disqualified[q]
		if !ok {
			reason = "it is not a dealer (no valid commitments and shares in time)"
		}
		for _, n := range st.Notes {
			if n.Trustee == q && n.Entry >= 0 && strings.HasPrefix(n.Reason, "disqualified") {
				reason = fmt.Sprintf("%s (entry %d)", reason, n.Entry)
				break
			}
		}
		return bad(CheckQualified, nil, "the posted ceremony result qualifies trustee %d, which the board disqualifies: %s", q, reason)
	}
	want := st.Result()
	if !bytes.Equal(want.Marshal(), e.Payload) {
		var what []string
		if !slices.Equal(want.Qualified, posted.Qualified) {
			what = append(what, fmt.Sprintf("qualified %v, recomputed %v", posted.Qualified, want.Qualified))
		}
		if !posted.JointKey.Equal(want.JointKey) {
			what = append(what, "joint key differs")
		}
		if len(what) == 0 && len(want.VerificationKeys) == len(posted.VerificationKeys) {
			for k, V := range want.VerificationKeys {
				if !posted.VerificationKeys[k].Equal(V) {
					what = append(what, fmt.Sprintf("verification key of trustee %d differs", want.Qualified[k]))
				}
			}
		}
		if len(what) == 0 {
			what = append(what, "encoding differs")
		}
		return bad(CheckCeremonyResult, nil, "posted ceremony result differs from the replay of the board: %s", strings.Join(what, "; "))
	}
	el, err := ballot.NewElection(s.Manifest, st.JointKey, st.Hash)
	if err != nil {
		return bad(CheckCeremonyResult, err, "%v", err)
	}
	return func() {
		for _, n := range st.Notes {
			s.note("ceremony: %s", n)
		}
		s.CeremonyState, s.Ceremony, s.Ballots = st, posted, el
	}, nil
}

// voting checks a ballot or spoiled ballot's phase, schedule and roll.
func (s *State) voting(e *bulletin.Entry, signer record.Signer) error {
	bad := func(c Check, reason error, format string, args ...any) error {
		return violation(e, c, reason, nil, format, args...)
	}
	switch {
	case s.OpenIndex < 0:
		return bad(CheckOrder, ErrNotOpen, "%s before %s: the election is not open yet", e.Type, record.TypeOpen)
	case s.CloseIndex >= 0:
		return bad(CheckOrder, ErrClosed, "%s after %s (entry %d): the election is closed", e.Type, record.TypeClose, s.CloseIndex)
	}
	if _, ok := s.Roll[signer.Key]; !ok {
		return bad(CheckBallotRoll, ErrNotOnRoll, "credential %x… is not on the roll", signer.Key[:8])
	}
	t := time.UnixMilli(e.Time)
	if t.Before(s.Manifest.Opens()) {
		return bad(CheckBallotSchedule, ErrNotOpen, "cast at %s, outside the schedule: voting opens at %s", t.UTC().Format(time.RFC3339Nano), s.Manifest.Schedule.Opens)
	}
	if !t.Before(s.Manifest.Closes()) {
		return bad(CheckBallotSchedule, ErrClosed, "cast at %s, outside the schedule: voting closed at %s", t.UTC().Format(time.RFC3339Nano), s.Manifest.Schedule.Closes)
	}
	return nil
}

func (s *State) doBallot(e *bulletin.Entry, signer record.Signer, pre *Pre) (commit, error) {
	bh := BallotHash(e.Payload)
	if first, ok := s.Cast[bh]; ok {
		return nil, violation(e, CheckDuplicate, ErrConflict, nil, "ballot %x… was already cast at entry %d", bh[:8], first)
	}
	if sp, ok := s.Spoiled[bh]; ok {
		return nil, violation(e, CheckBallotSpoiled, ErrSpoiled, nil, "ballot %x… was spoiled (challenged) at entry %d and must not be cast; encrypt a fresh one", bh[:8], sp)
	}
	if pre.Ballot == nil && !pre.DeferBallots && !pre.Replay {
		_, errs := VerifyBallots(s.Ballots, []*bulletin.Entry{e})
		if errs[0] != nil {
			return nil, errs[0]
		}
	}
	return func() {
		s.Cast[bh] = e.Index
		s.Latest[signer.Key] = e.Index
		s.BallotCount++
	}, nil
}

func (s *State) doSpoiled(e *bulletin.Entry, signer record.Signer, pre *Pre) (commit, error) {
	sp := pre.Spoiled
	if sp == nil {
		var err error
		if sp, err = ballot.DecodeSpoiled(e.Payload); err != nil {
			return nil, violation(e, CheckSpoiled, ErrMalformed, err, "%v", err)
		}
	}
	if sp.Ballot.Credential.Bytes() != signer.Key {
		return nil, violation(e, CheckBallotSigner, ErrMalformed, nil, "the spoiled ballot's credential is not the entry's signer")
	}
	if pre.Spoiled == nil && !pre.Replay && !pre.DeferSpoiled {
		if _, err := ballot.VerifySpoiled(s.Ballots, sp); err != nil {
			return nil, SpoiledViolation(e, err)
		}
	}
	h, err := sp.Ballot.Hash()
	if err != nil {
		return nil, violation(e, CheckSpoiled, ErrMalformed, err, "%v", err)
	}
	if c, ok := s.Cast[h]; ok {
		return nil, violation(e, CheckBallotSpoiled, ErrSpoiled, nil, "the spoiled ballot %x… was cast at entry %d", h[:8], c)
	}
	return func() { s.Spoiled[h] = e.Index }, nil
}

// SpoiledViolation is the violation of spoiled-ballot entry e whose
// ballot.VerifySpoiled failed with err.
func SpoiledViolation(e *bulletin.Entry, err error) *Violation {
	return violation(e, CheckSpoiled, BallotReason(err), err, "%v", err)
}

func (s *State) doShare(e *bulletin.Entry, signer record.Signer) (commit, error) {
	bad := func(c Check, reason, cause error, format string, args ...any) (commit, error) {
		return nil, violation(e, c, reason, cause, format, args...)
	}
	switch {
	case s.CloseIndex < 0:
		return bad(CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeClose)
	case s.ResultIndex >= 0:
		return bad(CheckOrder, ErrConflict, nil, "%s after %s", e.Type, record.TypeResult)
	}
	k := s.Setup.TrusteeIndex(signer.Key)
	if first, ok := s.ShareBy[k]; ok {
		return bad(CheckOrder, ErrConflict, nil, "second %s of trustee %d (the first is entry %d)", e.Type, k, first)
	}
	m, err := tally.DecodeShareMessage(e.Payload)
	if err != nil {
		return bad(CheckShare, ErrMalformed, err, "%v", err)
	}
	if m.Trustee != k {
		return bad(CheckShare, ErrForbidden, nil, "shares claim trustee %d but are signed by trustee %d", m.Trustee, k)
	}
	if [32]byte(m.Election) != s.Ballots.BaseHash {
		// Shares made for another election (a trustee key may serve
		// several) would otherwise take this trustee's one tally.share.
		return bad(CheckShare, ErrWrongElection, nil, "shares are for base hash %x…, this election's is %x…", m.Election[:8], s.Ballots.BaseHash[:8])
	}
	return func() {
		s.ShareBy[k] = e.Index
		s.Shares = append(s.Shares, Posted(e))
	}, nil
}

func (s *State) doResult(e *bulletin.Entry, pre *Pre) (commit, error) {
	bad := func(c Check, reason, cause error, format string, args ...any) (commit, error) {
		return nil, violation(e, c, reason, cause, format, args...)
	}
	if s.CloseIndex < 0 {
		return bad(CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeClose)
	}
	posted, err := tally.DecodeResult(e.Payload)
	if err != nil {
		return bad(CheckResult, ErrMalformed, err, "%v", err)
	}
	done := func() {
		s.Result, s.ResultJSON, s.ResultIndex = posted, bytes.Clone(e.Payload), int64(e.Index)
	}
	if pre.Replay {
		return done, nil
	}
	if pre.Tally == nil {
		return bad(CheckResult, ErrConflict, nil, "the result cannot be checked: the aggregate of the counted ballots was not computed")
	}
	want, rejected, err := s.ComputeResult(pre.Tally)
	for _, r := range rejected {
		if slices.Contains(posted.Shares, r.Entry) {
			return bad(CheckShare, ErrBadProof, r.Err, "the posted result uses the invalid decryption share of entry %d: %v", r.Entry, r.Err)
		}
	}
	if err != nil {
		return bad(CheckResult, ErrConflict, err, "the result cannot be recomputed from the board: %v", err)
	}
	if !bytes.Equal(want.Marshal(), e.Payload) {
		return bad(CheckResult, ErrConflict, nil, "posted result differs from the result recomputed from the board: %s", diffResult(posted, want))
	}
	return func() {
		for _, r := range rejected {
			s.note("tally: rejected %s (not used by the result)", r)
		}
		done()
	}, nil
}

// ComputeResult combines the decryption shares applied so far over the
// aggregate t (e2e/SPEC.md §10.4, §10.5): the result the board must post,
// and the shares that failed their proofs.
func (s *State) ComputeResult(t *Tally) (*tally.Result, []tally.Rejection, error) {
	if s.Ballots == nil || s.CeremonyState == nil {
		return nil, nil, fmt.Errorf("rules: no ceremony result")
	}
	d := &tally.Decryption{Election: s.Election, Base: s.Ballots.BaseHash, Aggregate: t.Aggregate, Count: t.Turnout, Limits: s.Layout.Limits(),
		Threshold: s.Params.Threshold, Trustees: s.Params.Trustees, Keys: s.CeremonyState.VerificationKeys}
	pt, err := tally.Combine(d, s.Shares)
	var rejected []tally.Rejection
	if pt != nil {
		rejected = pt.Rejected
	}
	if err != nil {
		return nil, rejected, err
	}
	res, err := s.Layout.Result(s.Ballots.BaseHash, t.Turnout, pt)
	return res, rejected, err
}

// diffResult names the first differences between two results.
func diffResult(got, want *tally.Result) string {
	var d []string
	if got.Election != want.Election {
		d = append(d, "election (base hash) differs")
	}
	if got.Turnout != want.Turnout {
		d = append(d, fmt.Sprintf("turnout %d, recomputed %d", got.Turnout, want.Turnout))
	}
	if len(got.Contests) != len(want.Contests) {
		d = append(d, fmt.Sprintf("%d contests, want %d", len(got.Contests), len(want.Contests)))
	} else {
		for i, c := range want.Contests {
			g := got.Contests[i]
			if g.ID != c.ID || len(g.Options) != len(c.Options) {
				d = append(d, fmt.Sprintf("contest %d is %q, want %q", i, g.ID, c.ID))
				continue
			}
			for j, o := range c.Options {
				if g.Options[j] != o {
					d = append(d, fmt.Sprintf("%s/%s: posted %s=%d, recomputed %s=%d", c.ID, o.ID, g.Options[j].ID, g.Options[j].Count, o.ID, o.Count))
				}
			}
		}
	}
	if !slices.Equal(got.Trustees, want.Trustees) || !slices.Equal(got.Shares, want.Shares) {
		d = append(d, fmt.Sprintf("trustees %v at entries %v, recomputed %v at %v", got.Trustees, got.Shares, want.Trustees, want.Shares))
	}
	if len(d) == 0 {
		d = append(d, "encoding differs")
	}
	if len(d) > 5 {
		d = append(d[:5], fmt.Sprintf("and %d more", len(d)-5))
	}
	return strings.Join(d, "; ")
}

// BallotHash is the ballot hash of e2e/SPEC.md §7.6 of a ballot entry's
// payload (ballot.HashEncoded).
func BallotHash(payload []byte) [32]byte { return ballot.HashEncoded(payload) }

// Known reports whether the state holds an entry that e repeats byte for
// byte (same type, payload, signer and signature; for a ballot, the same
// ballot), and its index. A board answers such a submission with the
// first entry's receipt and appends nothing (§8.1), whatever the phase: a
// client retrying a ballot it sent before the close gets its receipt.
func (s *State) Known(e *bulletin.Entry) (uint64, bool) {
	if e.Type == record.TypeBallot {
		// The same ballot from another signer is another submission: the
		// board then runs admission, which refuses it.
		i, ok := s.Cast[BallotHash(e.Payload)]
		return i, ok
	}
	i, ok := s.subKeys[bulletin.SubmissionKey(e.Type, e.Payload, e.Signer, e.Signature)]
	return i, ok
}
