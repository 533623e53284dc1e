package bulletin

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// HashSize is the size of every hash on the board (SHA-256).
const HashSize = 32

// A Hash is a SHA-256 value: an entry hash, a Merkle tree node or root. Its
// text and JSON form is 64 lowercase hex characters (e2e/SPEC.md §1).
type Hash [HashSize]byte

// String returns the lowercase hex form of h.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText encodes h as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) {
	out := make([]byte, 2*HashSize)
	hex.Encode(out, h[:])
	return out, nil
}

// UnmarshalText decodes exactly 64 lowercase hex characters.
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ErrEncoding is wrapped by every error about a malformed encoding.
var ErrEncoding = errors.New("bulletin: malformed encoding")

// ParseHash decodes exactly 64 lowercase hex characters.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("%w: hash has %d hex characters, want 64", ErrEncoding, len(s))
	}
	if err := decodeLowerHex(h[:], s); err != nil {
		return Hash{}, err
	}
	return h, nil
}

func decodeLowerHex(dst []byte, s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fmt.Errorf("%w: not lowercase hex", ErrEncoding)
		}
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	return nil
}

// Bytes is an opaque byte string whose text and JSON form is lowercase hex.
type Bytes []byte

// MarshalText encodes b as lowercase hex.
func (b Bytes) MarshalText() ([]byte, error) {
	out := make([]byte, 2*len(b))
	hex.Encode(out, b)
	return out, nil
}

// UnmarshalText decodes lowercase hex of even length.
func (b *Bytes) UnmarshalText(t []byte) error {
	if len(t)%2 != 0 {
		return fmt.Errorf("%w: odd hex length", ErrEncoding)
	}
	v := make([]byte, len(t)/2)
	if err := decodeLowerHex(v, string(t)); err != nil {
		return err
	}
	*b = v
	return nil
}

// field appends the SPEC §3 field encoding
// u32be(len(label)) || label || u64be(len(value)) || value.
func field(buf []byte, label string, value []byte) []byte {
	return append(fieldHeader(buf, label, len(value)), value...)
}

// fieldHeader appends the part of field before the value.
func fieldHeader(buf []byte, label string, n int) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(label)))
	buf = append(buf, label...)
	return binary.BigEndian.AppendUint64(buf, uint64(n))
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// LeafHash returns the RFC 6962 Merkle leaf hash of an entry hash:
// SHA-256(0x00 || entryHash) (e2e/SPEC.md §8.3).
func LeafHash(entryHash Hash) Hash { return Hash(tlog.RecordHash(entryHash[:])) }

func sha(b []byte) Hash { return sha256.Sum256(b) }

func toTlog(hs []Hash) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = tlog.Hash(h)
	}
	return out
}

// FromTlog converts tlog hashes to board hashes.
func FromTlog(hs []tlog.Hash) []Hash {
	out := make([]Hash, len(hs))
	for i, h := range hs {
		out[i] = Hash(h)
	}
	return out
}
