package service

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// Phases of an election, as the read API reports them.
const (
	PhaseEmpty   = "empty"   // nothing on the board
	PhaseSetup   = "setup"   // setup, manifest, roll and ceremony in progress
	PhaseOpen    = "open"    // election.open posted, not closed
	PhaseClosed  = "closed"  // election.close posted, no result yet
	PhaseTallied = "tallied" // tally.result posted
)

// State is what the service knows of one election: exactly what its board
// says (e2e/SPEC.md §11). It is rebuilt by replaying the board from entry 0
// ([State.Apply]) and updated as entries are admitted. Its methods are not
// safe for concurrent use; [Service] guards each State with a mutex.
type State struct {
	Election string
	Size     uint64        // entries applied
	Last     bulletin.Hash // entry hash of entry Size-1
	LastTime int64         // time of entry Size-1

	Setup        *record.Setup
	Manifest     *ballot.Manifest
	ManifestJSON []byte
	ManifestHash [32]byte

	RollChunks int
	Roll       map[[32]byte]struct{}
	RollOrder  []*group.Point
	Seal       *record.RollSeal

	Params       *ceremony.Params
	CeremonyHash [32]byte
	Ceremony     *ceremony.ResultMessage
	Ballots      *ballot.Election // set once ceremony.result is applied

	Opened, Closed      bool
	OpenIndex, CloseIdx uint64
	OpenTime, CloseTime int64
	BallotCount         uint64
	Latest              map[[32]byte]uint64 // credential → index of its latest ballot
	Cast, Spoiled       map[[32]byte]struct{}
	Shares              map[int]uint64 // trustee index → entry index
	Result              []byte         // payload of tally.result
	ResultIndex         uint64
	ceremonyMsgs        int
}

// NewState returns the state of an empty board.
func NewState(election string) *State {
	return &State{
		Election: election,
		Roll:     map[[32]byte]struct{}{},
		Latest:   map[[32]byte]uint64{},
		Cast:     map[[32]byte]struct{}{},
		Spoiled:  map[[32]byte]struct{}{},
		Shares:   map[int]uint64{},
	}
}

// Phase returns the election's phase.
func (s *State) Phase() string {
	switch {
	case s.Result != nil:
		return PhaseTallied
	case s.Closed:
		return PhaseClosed
	case s.Opened:
		return PhaseOpen
	case s.Setup != nil:
		return PhaseSetup
	}
	return PhaseEmpty
}

// BallotHash is the ballot hash of e2e/SPEC.md §7.6 over a ballot entry's
// payload (the payload is the ballot's canonical encoding):
// SHA-256(u32be(len(tag)) || tag || u64be(len(payload)) || payload) with
// tag "tabella/v1 ballot".
func BallotHash(payload []byte) [32]byte {
	const tag = "tabella/v1 ballot"
	h := sha256.New()
	var n [12]byte
	binary.BigEndian.PutUint32(n[:4], uint32(len(tag)))
	h.Write(n[:4])
	h.Write([]byte(tag))
	binary.BigEndian.PutUint64(n[4:], uint64(len(payload)))
	h.Write(n[4:])
	h.Write(payload)
	return [32]byte(h.Sum(nil))
}

// facts are what admission needs of a submission beyond its bytes. The
// expensive parts (decoding, proofs, signatures) are computed before the
// append, outside the board's lock; Admit recomputes the cheap ones when
// they are missing.
type facts struct {
	signer record.Signer
	// for ballot.spoiled: the hash of the ballot inside
	spoiledHash [32]byte
	haveSpoiled bool
	// for roll.voters
	roll *record.RollVoters
}

// Check decides whether a submission may be appended next, at board time
// now (unix ms), given everything applied so far: the cheap rules of
// e2e/SPEC.md §11.2 (order, exactly-once, signer allowed for the type, roll
// membership, schedule, spoiled/cast ballot hashes). Signatures and proofs
// are checked before, by [Service]. The error wraps one of the service's
// sentinel errors.
func (s *State) Check(sub *Submission, f *facts, now int64) error {
	typ := sub.Type
	sg := f.signer
	official := func() error {
		if sg.Kind != record.Official {
			return fmt.Errorf("%w: %s must be signed by an official, not a %s", ErrForbidden, typ, sg.Kind)
		}
		if s.Setup == nil || !s.Setup.IsOfficial(sg.Key) {
			return fmt.Errorf("%w: %s: the signing key is not an official of this election", ErrForbidden, typ)
		}
		return nil
	}
	trusteeIdx := func() (int, error) {
		if sg.Kind != record.Trustee {
			return 0, fmt.Errorf("%w: %s must be signed by a trustee", ErrForbidden, typ)
		}
		if s.Setup == nil {
			return 0, fmt.Errorf("%w: %s before the setup", ErrConflict, typ)
		}
		i := s.Setup.TrusteeIndex(sg.Key)
		if i == 0 {
			return 0, fmt.Errorf("%w: %s: the signing key is not a trustee of this election", ErrForbidden, typ)
		}
		return i, nil
	}
	board := func() error {
		if sg.Kind != record.Board {
			return fmt.Errorf("%w: %s must be signed by the board", ErrForbidden, typ)
		}
		return nil
	}
	switch typ {
	case record.TypeSetup:
		if s.Size != 0 {
			return fmt.Errorf("%w: election.setup must be entry 0; the board has %d entries", ErrConflict, s.Size)
		}
		return nil // the signer was checked against the configured officials before
	case record.TypeManifest:
		if err := official(); err != nil {
			return err
		}
		if s.Size != 1 || s.Manifest != nil {
			return fmt.Errorf("%w: election.manifest must be entry 1", ErrConflict)
		}
	case record.TypeRollVoters:
		if err := official(); err != nil {
			return err
		}
		if s.Manifest == nil || s.Seal != nil {
			return fmt.Errorf("%w: roll.voters only after the manifest and before roll.seal", ErrConflict)
		}
		if f.roll == nil {
			return fmt.Errorf("%w: roll.voters: not decoded", ErrMalformed)
		}
		if f.roll.Chunk != s.RollChunks {
			return fmt.Errorf("%w: roll chunk %d, want chunk %d", ErrConflict, f.roll.Chunk, s.RollChunks)
		}
		seen := map[[32]byte]struct{}{}
		for i, c := range f.roll.Credentials {
			k := c.Bytes()
			if _, dup := s.Roll[k]; dup {
				return fmt.Errorf("%w: roll chunk %d: credential %d is already on the roll", ErrConflict, f.roll.Chunk, i)
			}
			if _, dup := seen[k]; dup {
				return fmt.Errorf("%w: roll chunk %d: credential %d appears twice", ErrConflict, f.roll.Chunk, i)
			}
			seen[k] = struct{}{}
		}
	case record.TypeRollSeal:
		if err := official(); err != nil {
			return err
		}
		if s.Manifest == nil || s.Seal != nil {
			return fmt.Errorf("%w: roll.seal only once, after the manifest", ErrConflict)
		}
		seal, err := record.DecodeRollSeal(sub.Payload)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if seal.Count != uint64(len(s.RollOrder)) || [32]byte(seal.Hash) != record.RollHash(s.Election, s.RollOrder) {
			return fmt.Errorf("%w: roll.seal says %d credentials with hash %x; the roll on the board has %d", ErrConflict, seal.Count, seal.Hash[:], len(s.RollOrder))
		}
	case record.TypeCeremony:
		if err := official(); err != nil {
			return err
		}
		if s.Manifest == nil || s.Params != nil {
			return fmt.Errorf("%w: ceremony.params only once, after the manifest", ErrConflict)
		}
		p, err := ceremony.ParseParams(sub.Payload)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		if [32]byte(p.Election) != s.ManifestHash {
			return fmt.Errorf("%w: ceremony.params: election is not the manifest hash", ErrConflict)
		}
		if p.Threshold != s.Setup.Threshold || len(p.Trustees) != len(s.Setup.Trustees) {
			return fmt.Errorf("%w: ceremony.params: threshold or trustees differ from the setup", ErrConflict)
		}
		for i := range p.Trustees {
			// Byte-identical records (e2e/SPEC.md §11.2), names included.
			if !bytes.Equal(p.Trustees[i].Marshal(), s.Setup.Trustees[i].Marshal()) {
				return fmt.Errorf("%w: ceremony.params: trustee %d differs from the setup", ErrConflict, i+1)
			}
		}
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		if _, err := trusteeIdx(); err != nil {
			return err
		}
		if s.Params == nil || s.Ceremony != nil {
			return fmt.Errorf("%w: %s only after ceremony.params and before ceremony.result", ErrConflict, typ)
		}
	case record.TypeCeremonyEnd:
		if err := board(); err != nil {
			return err
		}
		if s.Params == nil || s.Ceremony != nil {
			return fmt.Errorf("%w: ceremony.result only once, after ceremony.params", ErrConflict)
		}
	case record.TypeOpen:
		if err := official(); err != nil {
			return err
		}
		if s.Opened {
			return fmt.Errorf("%w: the election is already open", ErrConflict)
		}
		if s.Seal == nil || s.Ceremony == nil {
			return fmt.Errorf("%w: election.open needs roll.seal and ceremony.result first", ErrConflict)
		}
	case record.TypeClose:
		if err := official(); err != nil {
			return err
		}
		if !s.Opened {
			return fmt.Errorf("%w: the election is not open", ErrNotOpen)
		}
		if s.Closed {
			return fmt.Errorf("%w: the election is already closed", ErrClosed)
		}
	case record.TypeBallot, record.TypeSpoiled:
		if sg.Kind != record.Voter {
			return fmt.Errorf("%w: %s must be signed by a voter credential", ErrForbidden, typ)
		}
		if err := s.checkVoting(now); err != nil {
			return err
		}
		if _, ok := s.Roll[sg.Key]; !ok {
			return fmt.Errorf("%w: credential %x", ErrNotOnRoll, sg.Key[:8])
		}
		if typ == record.TypeBallot {
			if _, bad := s.Spoiled[BallotHash(sub.Payload)]; bad {
				return fmt.Errorf("%w: this ballot was spoiled (challenged); encrypt a fresh one", ErrSpoiled)
			}
		} else {
			if !f.haveSpoiled {
				return fmt.Errorf("%w: ballot.spoiled: not decoded", ErrMalformed)
			}
			if _, cast := s.Cast[f.spoiledHash]; cast {
				return fmt.Errorf("%w: the challenged ballot was already cast", ErrSpoiled)
			}
		}
	case record.TypeShare:
		i, err := trusteeIdx()
		if err != nil {
			return err
		}
		if !s.Closed || s.Result != nil {
			return fmt.Errorf("%w: tally.share only after election.close and before tally.result", ErrConflict)
		}
		if _, dup := s.Shares[i]; dup {
			return fmt.Errorf("%w: trustee %d already posted its decryption share", ErrConflict, i)
		}
	case record.TypeResult:
		if err := board(); err != nil {
			return err
		}
		if !s.Closed || s.Result != nil {
			return fmt.Errorf("%w: tally.result only once, after election.close", ErrConflict)
		}
	default:
		return fmt.Errorf("%w: unknown entry type %q", ErrMalformed, typ)
	}
	return nil
}

// checkVoting checks the phase and the manifest's schedule at board time
// now (unix ms).
func (s *State) checkVoting(now int64) error {
	switch {
	case s.Closed:
		return fmt.Errorf("%w: the election is closed", ErrClosed)
	case !s.Opened || s.Manifest == nil:
		return fmt.Errorf("%w: the election is not open yet", ErrNotOpen)
	}
	t := time.UnixMilli(now)
	if t.Before(s.Manifest.Opens()) {
		return fmt.Errorf("%w: voting opens at %s", ErrNotOpen, s.Manifest.Schedule.Opens)
	}
	if !t.Before(s.Manifest.Closes()) {
		return fmt.Errorf("%w: voting closed at %s", ErrClosed, s.Manifest.Schedule.Closes)
	}
	return nil
}

// Apply updates the state with the next entry of the board. It trusts the
// board's order (the board admitted it) but never panics on bad payloads:
// an entry it cannot interpret is skipped, and the verifier reports it.
func (s *State) Apply(e *bulletin.Entry) {
	s.apply(e.Index, e.Type, e.Time, e.Payload, e.Signer)
	s.Size = e.Index + 1
	s.Last = e.Hash
	s.LastTime = e.Time
}

func (s *State) apply(index uint64, typ string, tm int64, payload, signer []byte) {
	sg, _ := record.ParseSigner(signer)
	switch typ {
	case record.TypeSetup:
		if st, err := record.DecodeSetup(payload); err == nil && s.Setup == nil {
			s.Setup = st
		}
	case record.TypeManifest:
		if m, err := ballot.DecodeManifest(payload); err == nil && s.Manifest == nil {
			if h, err := m.Hash(); err == nil {
				s.Manifest, s.ManifestHash, s.ManifestJSON = m, h, append([]byte{}, payload...)
			}
		}
	case record.TypeRollVoters:
		if r, err := record.DecodeRollVoters(payload); err == nil {
			s.RollChunks++
			for _, c := range r.Credentials {
				s.Roll[c.Bytes()] = struct{}{}
				s.RollOrder = append(s.RollOrder, c)
			}
		}
	case record.TypeRollSeal:
		if r, err := record.DecodeRollSeal(payload); err == nil {
			s.Seal = r
		}
	case record.TypeCeremony:
		if p, err := ceremony.ParseParams(payload); err == nil && s.Params == nil {
			s.Params, s.CeremonyHash = p, p.Hash()
		}
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		s.ceremonyMsgs++
	case record.TypeCeremonyEnd:
		if s.Params == nil || s.Manifest == nil {
			return
		}
		if r, err := ceremony.DecodeResult(payload, s.Params); err == nil {
			if el, err := ballot.NewElection(s.Manifest, r.JointKey, s.CeremonyHash); err == nil {
				s.Ceremony, s.Ballots = r, el
			}
		}
	case record.TypeOpen:
		s.Opened, s.OpenIndex, s.OpenTime = true, index, tm
	case record.TypeClose:
		s.Closed, s.CloseIdx, s.CloseTime = true, index, tm
	case record.TypeBallot:
		s.BallotCount++
		s.Latest[sg.Key] = index
		s.Cast[BallotHash(payload)] = struct{}{}
	case record.TypeSpoiled:
		if sp, err := ballot.DecodeSpoiled(payload); err == nil {
			if h, err := sp.Ballot.Hash(); err == nil {
				s.Spoiled[h] = struct{}{}
			}
		}
	case record.TypeShare:
		if s.Setup != nil {
			if i := s.Setup.TrusteeIndex(sg.Key); i != 0 {
				s.Shares[i] = index
			}
		}
	case record.TypeResult:
		s.Result, s.ResultIndex = append([]byte{}, payload...), index
	}
}

// applySpoiledHash records a spoiled ballot whose inner hash is already
// known (admission computed it), avoiding a second decode.
func (s *State) applyFast(index uint64, sub *Submission, f *facts, tm int64) {
	switch {
	case sub.Type == record.TypeSpoiled && f.haveSpoiled:
		s.Spoiled[f.spoiledHash] = struct{}{}
	case sub.Type == record.TypeRollVoters && f.roll != nil:
		s.RollChunks++
		for _, c := range f.roll.Credentials {
			s.Roll[c.Bytes()] = struct{}{}
			s.RollOrder = append(s.RollOrder, c)
		}
	default:
		s.apply(index, sub.Type, tm, sub.Payload, sub.Signer)
	}
}

// Counted returns the number of credentials with a counted ballot so far
// (e2e/SPEC.md §11.6).
func (s *State) Counted() int { return len(s.Latest) }

// layout returns the tally layout of the manifest, or nil.
func (s *State) layout() *tally.Layout {
	if s.Manifest == nil {
		return nil
	}
	return tally.LayoutOf(s.Manifest)
}
