// Package record defines the election record (e2e/SPEC.md §11): which
// entries an election's board holds, who signs each, and the payloads that
// are not defined by the ballot and tally packages (setup, roll, phases).
//
// The service uses it to build and admit entries; the verifier uses it to
// parse them. The rules about order and counting are deliberately not
// here: the service and the verifier each implement them, so that a bug in
// one is caught by the other.
package record

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// Version is the version label of the record's payloads.
const Version = "tabella/v1"

// Entry types (e2e/SPEC.md §11.2).
const (
	TypeSetup       = "election.setup"
	TypeManifest    = "election.manifest"
	TypeRollVoters  = "roll.voters"
	TypeRollSeal    = "roll.seal"
	TypeCeremony    = "ceremony.params"
	TypeCommitments = "ceremony.commitments"
	TypeShares      = "ceremony.shares"
	TypeComplaints  = "ceremony.complaints"
	TypeAnswer      = "ceremony.answer"
	TypeCeremonyEnd = "ceremony.result"
	TypeOpen        = "election.open"
	TypeBallot      = "ballot"
	TypeSpoiled     = "ballot.spoiled"
	TypeClose       = "election.close"
	TypeShare       = "tally.share"
	TypeResult      = "tally.result"
	TypeMix         = "mix.shuffle" // e2e/SPEC.md §16.1
	TypeMixShare    = "mix.share"   // e2e/SPEC.md §16.3
	TypeMixResult   = "mix.result"  // e2e/SPEC.md §16.4
)

// Limits (e2e/SPEC.md §11.3, §11.4).
const (
	MaxOfficials  = 16
	MaxTrustees   = 64
	MaxRollChunk  = 10000
	MaxSetupSize  = 64 << 10
	MaxRollSize   = MaxRollChunk*67 + 64
	MaxPhaseSize  = 128
	MaxSealSize   = 160
	SignerSize    = 1 + 32
	SignatureSize = ed25519.SignatureSize
)

// Errors.
var (
	// ErrMalformed is wrapped by every decoding error.
	ErrMalformed = errors.New("record: malformed")
	// ErrSignature is wrapped when a signer or signature does not check.
	ErrSignature = errors.New("record: bad signature")
)

// A SignerKind says who signed an entry (e2e/SPEC.md §11.1).
type SignerKind byte

// Signer kinds.
const (
	Official SignerKind = 0x01
	Trustee  SignerKind = 0x02
	Voter    SignerKind = 0x03
	Board    SignerKind = 0x04
)

func (k SignerKind) String() string {
	switch k {
	case Official:
		return "official"
	case Trustee:
		return "trustee"
	case Voter:
		return "voter"
	case Board:
		return "board"
	}
	return fmt.Sprintf("signer kind %#x", byte(k))
}

// A Signer is the decoded signer field of an entry.
type Signer struct {
	Kind SignerKind
	Key  [32]byte
}

// Bytes returns the 33-byte encoding: kind || key.
func (s Signer) Bytes() []byte { return append([]byte{byte(s.Kind)}, s.Key[:]...) }

// ParseSigner decodes an entry's signer field: exactly 33 bytes, a known
// kind; a voter's key must be a ristretto255 element.
func ParseSigner(b []byte) (Signer, error) {
	var s Signer
	if len(b) != SignerSize {
		return s, fmt.Errorf("%w: signer is %d bytes, want %d", ErrMalformed, len(b), SignerSize)
	}
	s.Kind = SignerKind(b[0])
	copy(s.Key[:], b[1:])
	switch s.Kind {
	case Official, Trustee, Board:
	case Voter:
		if _, err := group.DecodeElement(s.Key[:]); err != nil {
			return Signer{}, fmt.Errorf("%w: voter signer: %w", ErrMalformed, err)
		}
	default:
		return Signer{}, fmt.Errorf("%w: unknown signer kind %#x", ErrMalformed, b[0])
	}
	return s, nil
}

// Purposes of [SigningMessage].
const (
	PurposeOfficial = "official-action"
	PurposeBoard    = "board-action"
)

// SigningMessage returns the bytes an official (purpose
// [PurposeOfficial]) or the board ([PurposeBoard]) signs for an entry
// (e2e/SPEC.md §11.1).
func SigningMessage(purpose, election, typ string, payload []byte) []byte {
	b := make([]byte, 0, 128+len(election)+len(typ)+len(payload))
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte(purpose))
	b = field(b, "election", []byte(election))
	b = field(b, "type", []byte(typ))
	b = field(b, "payload", payload)
	return b
}

// Sign signs an entry as an official or the board with an Ed25519 key and
// returns the signer and signature fields.
func Sign(kind SignerKind, key ed25519.PrivateKey, election, typ string, payload []byte) (signer, sig []byte) {
	purpose := PurposeOfficial
	if kind == Board {
		purpose = PurposeBoard
	} else if kind != Official {
		panic("record: internal error: Sign is for officials and the board")
	}
	var s Signer
	s.Kind = kind
	copy(s.Key[:], key.Public().(ed25519.PublicKey))
	return s.Bytes(), ed25519.Sign(key, SigningMessage(purpose, election, typ, payload))
}

// VerifySignature checks an entry's signature for its signer kind: Ed25519
// over [SigningMessage] for officials and the board, over
// trustee.SignedBytes for trustees, and an empty signature for voters (the
// ballot carries its own). It does not check that the key is allowed; the
// caller looks it up in the setup or the roll.
func VerifySignature(s Signer, election, typ string, payload, sig []byte) error {
	var msg []byte
	switch s.Kind {
	case Official:
		msg = SigningMessage(PurposeOfficial, election, typ, payload)
	case Board:
		msg = SigningMessage(PurposeBoard, election, typ, payload)
	case Trustee:
		msg = trustee.SignedBytes(election, typ, payload)
	case Voter:
		if len(sig) != 0 {
			return fmt.Errorf("%w: a voter entry carries no entry signature", ErrSignature)
		}
		return nil
	default:
		return fmt.Errorf("%w: unknown signer kind", ErrSignature)
	}
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: %s signature is %d bytes, want %d", ErrSignature, s.Kind, len(sig), SignatureSize)
	}
	if !ed25519.Verify(ed25519.PublicKey(s.Key[:]), msg, sig) {
		return fmt.Errorf("%w: %s signature does not verify", ErrSignature, s.Kind)
	}
	return nil
}

// A Key32 is 32 bytes, in JSON 64 lowercase hex characters.
type Key32 = trustee.Key32

// BoardInfo names the board and its checkpoint key (e2e/SPEC.md §11.3).
type BoardInfo struct {
	Name string `json:"name"`
	Key  string `json:"key"` // note verifier key, "name+hash+base64"
}

// Setup is the payload of entry 0 (e2e/SPEC.md §11.3).
type Setup struct {
	Version    string           `json:"version"`
	ElectionID string           `json:"election_id"`
	Board      BoardInfo        `json:"board"`
	Officials  []Key32          `json:"officials"`
	Trustees   []trustee.Public `json:"trustees"`
	Threshold  int              `json:"threshold"`
}

// DecodeSetup decodes and checks a setup payload.
func DecodeSetup(data []byte) (*Setup, error) {
	var s Setup
	if err := canon.Unmarshal(data, &s, MaxSetupSize); err != nil {
		return nil, fmt.Errorf("%w: setup: %w", ErrMalformed, err)
	}
	if err := s.Check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Check checks the setup's fields.
func (s *Setup) Check() error {
	if s.Version != Version {
		return fmt.Errorf("%w: setup: version %q, want %q", ErrMalformed, s.Version, Version)
	}
	if s.ElectionID == "" || s.Board.Name == "" || s.Board.Key == "" {
		return fmt.Errorf("%w: setup: election id, board name and board key are required", ErrMalformed)
	}
	if len(s.Officials) == 0 || len(s.Officials) > MaxOfficials {
		return fmt.Errorf("%w: setup: %d officials, want 1 to %d", ErrMalformed, len(s.Officials), MaxOfficials)
	}
	seen := map[Key32]bool{}
	for i, k := range s.Officials {
		if seen[k] {
			return fmt.Errorf("%w: setup: official %d is listed twice", ErrMalformed, i)
		}
		seen[k] = true
	}
	n := len(s.Trustees)
	if n == 0 || n > MaxTrustees {
		return fmt.Errorf("%w: setup: %d trustees, want 1 to %d", ErrMalformed, n, MaxTrustees)
	}
	keys := map[Key32]bool{}
	for i, t := range s.Trustees {
		if err := t.Check(); err != nil {
			return fmt.Errorf("%w: setup: trustee %d: %w", ErrMalformed, i+1, err)
		}
		if keys[t.SigningKey] {
			return fmt.Errorf("%w: setup: trustee %d has the signing key of another trustee", ErrMalformed, i+1)
		}
		keys[t.SigningKey] = true
	}
	if s.Threshold < 1 || s.Threshold > n {
		return fmt.Errorf("%w: setup: threshold %d with %d trustees", ErrMalformed, s.Threshold, n)
	}
	return nil
}

// IsOfficial reports whether key is one of the setup's officials.
func (s *Setup) IsOfficial(key [32]byte) bool {
	for _, k := range s.Officials {
		if k == Key32(key) {
			return true
		}
	}
	return false
}

// TrusteeIndex returns the 1-based index of the trustee with the given
// signing key, or 0.
func (s *Setup) TrusteeIndex(key [32]byte) int {
	for i, t := range s.Trustees {
		if t.SigningKey == Key32(key) {
			return i + 1
		}
	}
	return 0
}

// RollVoters is one chunk of the voter roll (e2e/SPEC.md §11.4).
type RollVoters struct {
	Chunk       int            `json:"chunk"`
	Credentials []*group.Point `json:"credentials"`
}

// DecodeRollVoters decodes and checks a roll chunk.
func DecodeRollVoters(data []byte) (*RollVoters, error) {
	var r RollVoters
	if err := canon.Unmarshal(data, &r, MaxRollSize); err != nil {
		return nil, fmt.Errorf("%w: roll chunk: %w", ErrMalformed, err)
	}
	if r.Chunk < 0 {
		return nil, fmt.Errorf("%w: roll chunk: negative chunk number", ErrMalformed)
	}
	if len(r.Credentials) == 0 || len(r.Credentials) > MaxRollChunk {
		return nil, fmt.Errorf("%w: roll chunk %d: %d credentials, want 1 to %d", ErrMalformed, r.Chunk, len(r.Credentials), MaxRollChunk)
	}
	for i, c := range r.Credentials {
		if c == nil || c.IsIdentity() {
			return nil, fmt.Errorf("%w: roll chunk %d: credential %d is not a group element", ErrMalformed, r.Chunk, i)
		}
	}
	return &r, nil
}

// RollSeal closes the roll (e2e/SPEC.md §11.4).
type RollSeal struct {
	Count uint64 `json:"count"`
	Hash  Key32  `json:"hash"`
}

// DecodeRollSeal decodes a roll seal.
func DecodeRollSeal(data []byte) (*RollSeal, error) {
	var r RollSeal
	if err := canon.Unmarshal(data, &r, MaxSealSize); err != nil {
		return nil, fmt.Errorf("%w: roll seal: %w", ErrMalformed, err)
	}
	return &r, nil
}

// RollHash returns the roll hash of e2e/SPEC.md §11.4 over the credentials
// in roll order.
func RollHash(election string, creds []*group.Point) [32]byte {
	keys := make([][32]byte, len(creds))
	for i, c := range creds {
		keys[i] = c.Bytes()
	}
	return RollHashKeys(election, keys)
}

// RollHashKeys is [RollHash] over the credentials' encodings.
func RollHashKeys(election string, creds [][32]byte) [32]byte {
	h := sha256.New()
	var b []byte
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("roll"))
	b = field(b, "election", []byte(election))
	b = field(b, "count", binary.BigEndian.AppendUint64(nil, uint64(len(creds))))
	h.Write(b)
	for _, c := range creds {
		h.Write(field(nil, "credential", c[:]))
	}
	return [32]byte(h.Sum(nil))
}

// Phase is the payload of election.open and election.close
// (e2e/SPEC.md §11.5).
type Phase struct {
	ElectionID string `json:"election_id"`
}

// DecodePhase decodes an open or close payload for the given election.
func DecodePhase(data []byte, election string) (*Phase, error) {
	var p Phase
	if err := canon.Unmarshal(data, &p, MaxPhaseSize); err != nil {
		return nil, fmt.Errorf("%w: phase: %w", ErrMalformed, err)
	}
	if p.ElectionID != election {
		return nil, fmt.Errorf("%w: phase: election %q, want %q", ErrMalformed, p.ElectionID, election)
	}
	return &p, nil
}

func field(b []byte, label string, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
	return append(b, v...)
}
