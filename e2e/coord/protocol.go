package coord

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// Path is the route of the trustee websocket, relative to the server root
// ({id} is the election id). Clients add the query ?from=N.
const Path = "/v1/elections/{id}/trustee"

// Limits of the trustee protocol (e2e/SPEC.md §9.10).
const (
	// MaxClientMessage bounds one message from a trustee: a submission of
	// a payload of at most bulletin.MaxPayloadSize bytes in hexadecimal.
	MaxClientMessage = 2*bulletin.MaxPayloadSize + 4096
	// MaxServerMessage bounds one message from the server.
	MaxServerMessage = bulletin.MaxEntryJSON + 4096
	// MaxWaiting bounds the trustees listed in a status.
	MaxWaiting     = ceremony.MaxTrustees
	maxMessageText = 512
)

// Errors of the protocol and the client.
var (
	// ErrProtocol wraps a message that breaks the protocol.
	ErrProtocol = errors.New("coord: protocol error")
	// ErrRejected wraps the server's refusal of a submission.
	ErrRejected = errors.New("coord: submission rejected")
	// ErrDisconnected: the connection dropped before the answer came; the
	// submission may or may not be on the board (a retry is safe: the
	// board answers a repeated submission with the first entry's receipt).
	ErrDisconnected = errors.New("coord: disconnected")
)

// Error codes of [ErrorMessage].
const (
	CodeBadRequest  = "bad_request" // malformed message or submission
	CodeRejected    = "rejected"    // the election's rules refuse it
	CodeUnavailable = "unavailable" // try again later
)

// TrusteeTypes are the entry types a trustee may submit.
var TrusteeTypes = []string{record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer, tally.TypeDecryptionShare,
	record.TypeMix, record.TypeMixShare}

// Relevant reports whether the server streams entries of type typ to
// trustees: everything except the roll and the ballots.
func Relevant(typ string) bool {
	switch typ {
	case record.TypeSetup, record.TypeManifest, record.TypeRollSeal, record.TypeCeremony,
		record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer, record.TypeCeremonyEnd,
		record.TypeOpen, record.TypeClose, tally.TypeDecryptionShare, tally.TypeResult,
		record.TypeMix, record.TypeMixShare, record.TypeMixResult:
		return true
	}
	return false
}

// ClientMessage is a message from a trustee to the server (e2e/SPEC.md
// §9.10): a submission. JSON:
//
//	{"submit":{"id":k,"type":"…","payload":"<hex>","signer":"<hex 33>","signature":"<hex 64>"}}
type ClientMessage struct {
	Submit *Submit `json:"submit"`
}

// Submit asks the server to put a trustee's signed entry on the board. ID
// is chosen by the client and echoed in the answer.
type Submit struct {
	ID        uint64         `json:"id"`
	Type      string         `json:"type"`
	Payload   bulletin.Bytes `json:"payload"`
	Signer    bulletin.Bytes `json:"signer"`
	Signature bulletin.Bytes `json:"signature"`
}

// ServerMessage is a message from the server to a trustee: exactly one of
// its fields is set (e2e/SPEC.md §9.10). JSON:
//
//	{"entry":<entry §8.1>} | {"status":<Status>} | {"receipt":<Receipt>} | {"error":<ErrorMessage>}
type ServerMessage struct {
	Entry   *bulletin.Entry `json:"entry,omitempty"`
	Status  *Status         `json:"status,omitempty"`
	Receipt *Receipt        `json:"receipt,omitempty"`
	Error   *ErrorMessage   `json:"error,omitempty"`
}

// Receipt answers a [Submit]: the board's receipt of the entry.
type Receipt struct {
	ID      uint64            `json:"id"`
	Receipt *bulletin.Receipt `json:"receipt"`
}

// ErrorMessage answers a [Submit] that was refused (ID is the submission's)
// or reports a fatal error of the connection (ID 0, then the server
// closes).
type ErrorMessage struct {
	ID      uint64 `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Phases of an election as a [Status] reports them.
const (
	PhaseSetup      = "setup"      // no ceremony.params yet
	PhaseCeremony   = "ceremony"   // the key ceremony is running
	PhaseFailed     = "failed"     // the ceremony failed: no key, see Message
	PhaseKeyed      = "keyed"      // ceremony.result is posted; voting not closed
	PhaseDecryption = "decryption" // closed, waiting for decryption shares
	PhaseDone       = "done"       // tally.result is posted
)

// Status is the server's view of the election as of board time Time
// (unix milliseconds): every relevant entry with a time at or before Time
// has been sent before this status. Size is the number of board entries the
// server had read. For the ceremony phase Round, Deadline (unix ms) and
// Waiting say which round is open, until when, and whose messages are
// missing; for the decryption phase Shares lists the trustees with a valid
// share and Needed is t. Message is a human-readable summary.
type Status struct {
	Time     int64  `json:"time"`
	Size     uint64 `json:"size"`
	Phase    string `json:"phase"`
	Round    int    `json:"round"`
	Deadline int64  `json:"deadline"`
	Waiting  []int  `json:"waiting"`
	Shares   []int  `json:"shares"`
	Needed   int    `json:"needed"`
	Message  string `json:"message"`
}

// DecodeClientMessage decodes a trustee's message strictly: canonical JSON
// of at most MaxClientMessage bytes, a submission with a valid entry type,
// a 33-byte signer and a 64-byte signature.
func DecodeClientMessage(data []byte) (*ClientMessage, error) {
	var m ClientMessage
	if err := canon.Unmarshal(data, &m, MaxClientMessage); err != nil {
		return nil, fmt.Errorf("%w: client message: %w", ErrProtocol, err)
	}
	s := m.Submit
	switch {
	case s == nil:
		return nil, fmt.Errorf("%w: client message without submission", ErrProtocol)
	case !bulletin.ValidType(s.Type):
		return nil, fmt.Errorf("%w: submission %d: malformed type", ErrProtocol, s.ID)
	case len(s.Signer) != record.SignerSize:
		return nil, fmt.Errorf("%w: submission %d: signer is %d bytes, want %d", ErrProtocol, s.ID, len(s.Signer), record.SignerSize)
	case len(s.Signature) != record.SignatureSize:
		return nil, fmt.Errorf("%w: submission %d: signature is %d bytes, want %d", ErrProtocol, s.ID, len(s.Signature), record.SignatureSize)
	case len(s.Payload) > bulletin.MaxPayloadSize:
		return nil, fmt.Errorf("%w: submission %d: payload too large", ErrProtocol, s.ID)
	}
	return &m, nil
}

// DecodeServerMessage decodes a server message strictly: canonical JSON of
// at most MaxServerMessage bytes with exactly one field set; an entry must
// be a valid entry of election (shape and hash, e2e/SPEC.md §8.1–8.2).
func DecodeServerMessage(election string, data []byte) (*ServerMessage, error) {
	var m ServerMessage
	if err := canon.Unmarshal(data, &m, MaxServerMessage); err != nil {
		return nil, fmt.Errorf("%w: server message: %w", ErrProtocol, err)
	}
	n := 0
	for _, set := range []bool{m.Entry != nil, m.Status != nil, m.Receipt != nil, m.Error != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%w: server message has %d fields set, want 1", ErrProtocol, n)
	}
	switch {
	case m.Entry != nil:
		if err := m.Entry.Check(election); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrProtocol, err)
		}
	case m.Status != nil:
		s := m.Status
		if s.Waiting == nil || s.Shares == nil || len(s.Waiting) > MaxWaiting || len(s.Shares) > MaxWaiting || len(s.Message) > maxMessageText {
			return nil, fmt.Errorf("%w: status: bad shape", ErrProtocol)
		}
	case m.Receipt != nil:
		if m.Receipt.Receipt == nil || m.Receipt.Receipt.Election != election || m.Receipt.Receipt.Inclusion == nil {
			return nil, fmt.Errorf("%w: receipt for another election or without proof", ErrProtocol)
		}
	case m.Error != nil:
		if m.Error.Code == "" || len(m.Error.Message) > maxMessageText {
			return nil, fmt.Errorf("%w: error message: bad shape", ErrProtocol)
		}
	}
	return &m, nil
}

func mustMarshal(v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		panic("coord: internal error: marshal: " + err.Error())
	}
	return b
}

func clip(s string) string {
	if len(s) > maxMessageText {
		s = s[:maxMessageText-3] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
