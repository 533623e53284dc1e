package bulletin

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// Size limits of an entry (e2e/SPEC.md §8.1). A board MAY enforce a lower
// payload limit; decoders reject anything above these.
const (
	MaxTypeLen       = 64
	MaxPayloadSize   = 4 << 20
	MaxSignerSize    = 1024
	MaxSignatureSize = 4096
	MaxElectionIDLen = 64
)

// ErrInvalidEntry is wrapped by every error about an entry that breaks the
// rules of e2e/SPEC.md §8.1–8.2 (shape, hash, chain).
var ErrInvalidEntry = errors.New("bulletin: invalid entry")

// An Entry is one message on an election's board (e2e/SPEC.md §8.1).
type Entry struct {
	// Index is the position of the entry in its election's log, from 0.
	Index uint64 `json:"index"`
	// Type is a short tag chosen by the layer above, e.g. "manifest".
	Type string `json:"type"`
	// Time is the board's clock when it appended the entry, in unix
	// milliseconds; it never decreases along the chain.
	Time int64 `json:"time"`
	// Prev is the hash of entry Index-1, all zero for entry 0.
	Prev Hash `json:"prev"`
	// Payload is opaque to the board.
	Payload Bytes `json:"payload"`
	// Signer and Signature identify and authenticate the submitter; the
	// board stores them without interpreting them.
	Signer    Bytes `json:"signer"`
	Signature Bytes `json:"signature"`
	// Hash is the entry hash as the board claims it; [Entry.Check]
	// recomputes it.
	Hash Hash `json:"hash"`
}

// ValidElectionID reports whether id is a well-formed election id:
// 1 to 64 characters from [a-z0-9._-], starting with a letter or digit.
func ValidElectionID(id string) bool {
	if len(id) == 0 || len(id) > MaxElectionIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

// ValidType reports whether t is a well-formed entry type: 1 to 64
// characters from [a-z0-9._-], starting with a letter.
func ValidType(t string) bool {
	if len(t) == 0 || len(t) > MaxTypeLen || !('a' <= t[0] && t[0] <= 'z') {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckShape checks the fields of e against the limits of e2e/SPEC.md §8.1,
// without looking at the hash.
func (e *Entry) CheckShape() error {
	switch {
	case !ValidType(e.Type):
		return fmt.Errorf("%w: entry %d: malformed type", ErrInvalidEntry, e.Index)
	case e.Time < 0:
		return fmt.Errorf("%w: entry %d: negative time", ErrInvalidEntry, e.Index)
	case len(e.Payload) > MaxPayloadSize:
		return fmt.Errorf("%w: entry %d: payload of %d bytes over %d", ErrInvalidEntry, e.Index, len(e.Payload), MaxPayloadSize)
	case len(e.Signer) > MaxSignerSize:
		return fmt.Errorf("%w: entry %d: signer of %d bytes over %d", ErrInvalidEntry, e.Index, len(e.Signer), MaxSignerSize)
	case len(e.Signature) > MaxSignatureSize:
		return fmt.Errorf("%w: entry %d: signature of %d bytes over %d", ErrInvalidEntry, e.Index, len(e.Signature), MaxSignatureSize)
	case e.Index == 0 && e.Prev != (Hash{}):
		return fmt.Errorf("%w: entry 0: prev hash is not zero", ErrInvalidEntry)
	}
	return nil
}

// ComputeHash returns the entry hash of e in the given election
// (e2e/SPEC.md §8.2):
//
//	SHA-256( field("tabella","v1") || field("domain","board-entry") ||
//	         field("election",id) || field("index",u64be) ||
//	         field("type",type) || field("time",u64be) || field("prev",prev) ||
//	         field("payload",payload) || field("signer",signer) ||
//	         field("signature",signature) )
func (e *Entry) ComputeHash(election string) Hash {
	// The fields before the payload are framed in a small buffer; the
	// payload is hashed in place rather than copied.
	var small [512]byte
	buf := small[:0]
	buf = field(buf, "tabella", []byte("v1"))
	buf = field(buf, "domain", []byte("board-entry"))
	buf = field(buf, "election", []byte(election))
	buf = field(buf, "index", u64(e.Index))
	buf = field(buf, "type", []byte(e.Type))
	buf = field(buf, "time", u64(uint64(e.Time)))
	buf = field(buf, "prev", e.Prev[:])
	buf = fieldHeader(buf, "payload", len(e.Payload))
	h := sha256.New()
	h.Write(buf)
	h.Write(e.Payload)
	buf = field(small[:0], "signer", e.Signer)
	buf = field(buf, "signature", e.Signature)
	h.Write(buf)
	var out Hash
	h.Sum(out[:0])
	return out
}

// Check checks the shape of e and that e.Hash is its entry hash in the
// given election.
func (e *Entry) Check(election string) error {
	if err := e.CheckShape(); err != nil {
		return err
	}
	if e.ComputeHash(election) != e.Hash {
		return fmt.Errorf("%w: entry %d: hash does not match its contents", ErrInvalidEntry, e.Index)
	}
	return nil
}

// SubmissionKey returns the idempotence key of a submission
// (e2e/SPEC.md §8.1): a board that sees the same key twice returns the
// first entry instead of appending a second one.
//
//	SHA-256( field("tabella","v1") || field("domain","board-submission") ||
//	         field("type",type) || field("payload",payload) ||
//	         field("signer",signer) || field("signature",signature) )
func SubmissionKey(typ string, payload, signer, signature []byte) Hash {
	buf := make([]byte, 0, 160+len(payload)+len(signer)+len(signature))
	buf = field(buf, "tabella", []byte("v1"))
	buf = field(buf, "domain", []byte("board-submission"))
	buf = field(buf, "type", []byte(typ))
	buf = field(buf, "payload", payload)
	buf = field(buf, "signer", signer)
	buf = field(buf, "signature", signature)
	return sha(buf)
}

// A Chain checks entries one after another: contiguous indexes, each hash
// correct, each prev equal to the hash before, time non-decreasing. The
// zero Chain (with Election set) expects entry 0.
type Chain struct {
	Election string
	// Next is the index the next entry must have.
	Next uint64
	// Last and LastTime describe entry Next-1 (zero when Next is 0).
	Last     Hash
	LastTime int64
}

// Add checks e as the next entry and advances the chain. The error names
// the index.
func (c *Chain) Add(e *Entry) error {
	if e.Index != c.Next {
		return fmt.Errorf("%w: entry %d found where entry %d belongs (missing, duplicated or reordered entry)", ErrInvalidEntry, e.Index, c.Next)
	}
	if err := e.Check(c.Election); err != nil {
		return err
	}
	if e.Prev != c.Last {
		return fmt.Errorf("%w: entry %d: prev hash does not match entry %d", ErrInvalidEntry, e.Index, int64(e.Index)-1)
	}
	if e.Time < c.LastTime {
		return fmt.Errorf("%w: entry %d: time goes backwards", ErrInvalidEntry, e.Index)
	}
	c.Next++
	c.Last = e.Hash
	c.LastTime = e.Time
	return nil
}

// MaxEntryJSON bounds the JSON form of one entry.
const MaxEntryJSON = 2*(MaxPayloadSize+MaxSignerSize+MaxSignatureSize) + 4096

// ParseEntry decodes the canonical JSON form of an entry of the given
// election strictly and checks its shape and hash.
func ParseEntry(election string, data []byte) (*Entry, error) {
	e, err := DecodeEntryJSON(data)
	if err != nil {
		return nil, err
	}
	if err := e.Check(election); err != nil {
		return nil, err
	}
	return e, nil
}

// MarshalEntry returns the canonical JSON form of e.
func MarshalEntry(e *Entry) []byte {
	b, err := canon.Marshal(e)
	if err != nil {
		panic("bulletin: internal error: marshal entry: " + err.Error())
	}
	return b
}

// Equal reports whether a and b are the same entry, field by field.
func (e *Entry) Equal(o *Entry) bool {
	return e.Index == o.Index && e.Type == o.Type && e.Time == o.Time && e.Prev == o.Prev &&
		bytes.Equal(e.Payload, o.Payload) && bytes.Equal(e.Signer, o.Signer) &&
		bytes.Equal(e.Signature, o.Signature) && e.Hash == o.Hash
}
