package ceremony

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// Version is the version label of the ceremony parameters.
const Version = "tabella-ceremony/v2"

// Limits on ceremony parameters and messages.
const (
	MaxTrustees      = 64
	MaxRoundSeconds  = 7 * 24 * 3600
	maxParamsSize    = 256 + MaxTrustees*(trustee.MaxPublicSize)
	maxMessageSize   = 64 << 10
	shareCTSize      = 32 + trustee.TagSize
	maxBackupCTSize  = MaxTrustees*32 + trustee.TagSize
	scalarSize       = 32
	hash32Size       = 32
	defaultRoundSecs = 600
)

// Errors. They are wrapped with detail (which trustee, which message, which
// check); test with errors.Is.
var (
	ErrBadParams       = errors.New("ceremony: invalid parameters")
	ErrMalformed       = errors.New("ceremony: malformed message")
	ErrTooFewQualified = errors.New("ceremony: fewer than t qualified trustees")
	ErrNotTrustee      = errors.New("ceremony: key is not one of the ceremony's trustees")
	ErrInconsistent    = errors.New("ceremony: key share inconsistent with the commitments")
	ErrBackup          = errors.New("ceremony: cannot recover own polynomial from the board")
)

// Hash is a 32-byte hash, in JSON 64 lowercase hexadecimal characters.
type Hash = trustee.Key32

// Params are the public parameters of a ceremony, posted on the board by the
// official to open it (e2e/SPEC.md §9.2). Trustee i (1-based) is
// Trustees[i−1]. JSON:
//
//	{"version":"tabella-ceremony/v2","election_id":"<id>","election":"<hex32>","threshold":t,
//	 "round_seconds":d,"trustees":[<trustee public record>,…]}
type Params struct {
	Version      string           `json:"version"`
	ElectionID   string           `json:"election_id"`   // the election's id: trustees sign for it (§9.1)
	Election     Hash             `json:"election"`      // the election's manifest hash
	Threshold    int              `json:"threshold"`     // t: trustees needed to decrypt
	RoundSeconds int              `json:"round_seconds"` // deadline of each round, seconds
	Trustees     []trustee.Public `json:"trustees"`      // n registered trustees, in index order
}

// NewParams returns parameters for a t-of-len(trustees) ceremony with the
// given round duration (rounded down to whole seconds; 0 means 10 minutes).
func NewParams(electionID string, election [32]byte, t int, round time.Duration, trustees []trustee.Public) (*Params, error) {
	secs := int(round / time.Second)
	if round == 0 {
		secs = defaultRoundSecs
	}
	p := &Params{Version: Version, ElectionID: electionID, Election: election, Threshold: t, RoundSeconds: secs, Trustees: append([]trustee.Public(nil), trustees...)}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return p, nil
}

// ParseParams decodes and checks ceremony parameters from canonical JSON.
func ParseParams(data []byte) (*Params, error) {
	var p Params
	if err := canon.Unmarshal(data, &p, maxParamsSize); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadParams, err)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Check validates p: version, 1 ≤ t ≤ n ≤ MaxTrustees, a positive round
// duration, well-formed and pairwise distinct trustee keys.
func (p *Params) Check() error {
	if p.Version != Version {
		return fmt.Errorf("%w: version %q, want %q", ErrBadParams, p.Version, Version)
	}
	if !bulletin.ValidElectionID(p.ElectionID) {
		return fmt.Errorf("%w: malformed election_id", ErrBadParams)
	}
	n := len(p.Trustees)
	if n < 1 || n > MaxTrustees {
		return fmt.Errorf("%w: %d trustees, want 1..%d", ErrBadParams, n, MaxTrustees)
	}
	if p.Threshold < 1 || p.Threshold > n {
		return fmt.Errorf("%w: threshold %d with %d trustees", ErrBadParams, p.Threshold, n)
	}
	if p.RoundSeconds < 1 || p.RoundSeconds > MaxRoundSeconds {
		return fmt.Errorf("%w: round_seconds %d, want 1..%d", ErrBadParams, p.RoundSeconds, MaxRoundSeconds)
	}
	seenS, seenH := map[Hash]bool{}, map[Hash]bool{}
	for i := range p.Trustees {
		tp := &p.Trustees[i]
		if err := tp.Check(); err != nil {
			return fmt.Errorf("%w: trustee %d: %w", ErrBadParams, i+1, err)
		}
		if seenS[tp.SigningKey] || seenH[tp.HPKEKey] {
			return fmt.Errorf("%w: trustee %d reuses another trustee's key", ErrBadParams, i+1)
		}
		seenS[tp.SigningKey], seenH[tp.HPKEKey] = true, true
	}
	return nil
}

// N returns the number of trustees.
func (p *Params) N() int { return len(p.Trustees) }

// Marshal returns the canonical JSON of p.
func (p *Params) Marshal() []byte {
	b, err := canon.Marshal(p)
	if err != nil {
		panic("ceremony: internal error: marshal params: " + err.Error())
	}
	return b
}

// Round returns the round duration.
func (p *Params) Round() time.Duration { return time.Duration(p.RoundSeconds) * time.Second }

// Hash returns the ceremony hash (e2e/SPEC.md §9.2):
//
//	SHA-256( field("tabella","v1") || field("purpose","ceremony")
//	      || field("election", election) || field("threshold", u64be(t))
//	      || field("trustees", u64be(n))
//	      || for i = 1..n: field("signing_key", sᵢ) || field("hpke_key", hᵢ)
//	      || field("round_seconds", u64be(d)) )
//
// with field(l, v) = u32be(len(l)) || l || u64be(len(v)) || v. It is the
// base of every ceremony transcript and is bound into every HPKE info string.
func (p *Params) Hash() [32]byte {
	var b []byte
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("ceremony"))
	b = field(b, "election_id", []byte(p.ElectionID))
	b = field(b, "election", p.Election[:])
	b = field(b, "threshold", u64(uint64(p.Threshold)))
	b = field(b, "trustees", u64(uint64(len(p.Trustees))))
	for i := range p.Trustees {
		b = field(b, "signing_key", p.Trustees[i].SigningKey[:])
		b = field(b, "hpke_key", p.Trustees[i].HPKEKey[:])
	}
	b = field(b, "round_seconds", u64(uint64(p.RoundSeconds)))
	return sha256.Sum256(b)
}

// IndexOf returns the 1-based index of the trustee with public key pub, or 0.
func (p *Params) IndexOf(pub *trustee.Public) int {
	for i := range p.Trustees {
		if p.Trustees[i].SigningKey == pub.SigningKey && p.Trustees[i].HPKEKey == pub.HPKEKey {
			return i + 1
		}
	}
	return 0
}

func field(b []byte, label string, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
	return append(b, v...)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// shareInfo is the HPKE info string of the share from sender to recipient
// (e2e/SPEC.md §9.4).
func shareInfo(ceremony [32]byte, sender, recipient int) []byte {
	var b []byte
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("ceremony-share"))
	b = field(b, "ceremony", ceremony[:])
	b = field(b, "sender", u64(uint64(sender)))
	return field(b, "recipient", u64(uint64(recipient)))
}

// backupInfo is the HPKE info string of a trustee's encrypted coefficients
// (e2e/SPEC.md §9.3).
func backupInfo(ceremony [32]byte, i int) []byte {
	var b []byte
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("ceremony-backup"))
	b = field(b, "ceremony", ceremony[:])
	return field(b, "trustee", u64(uint64(i)))
}

// Bytes is a byte string, in JSON lowercase hexadecimal.
type Bytes []byte

// MarshalText encodes b as lowercase hexadecimal.
func (b Bytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(b)), nil }

// UnmarshalText decodes lowercase hexadecimal of even length, at most
// maxMessageSize characters.
func (b *Bytes) UnmarshalText(text []byte) error {
	if len(text)%2 != 0 || len(text) > maxMessageSize {
		return fmt.Errorf("%w: hex string of length %d", ErrMalformed, len(text))
	}
	v, err := trustee.DecodeHex(text, len(text)/2)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	*b = v
	return nil
}
