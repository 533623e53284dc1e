package zk

import (
	"encoding/binary"

	"github.com/tabella-vote/tabella/ballot/group"
)

// ChallengeDST is the RFC 9380 domain separation tag of every Fiat-Shamir
// challenge (e2e/SPEC.md §3).
const ChallengeDST = "tabella-v1-fiat-shamir-challenge"

// A Transcript accumulates the public inputs of a proof for strong
// Fiat-Shamir (e2e/SPEC.md §3). Every field is labelled and
// length-prefixed:
//
//	u32be(len(label)) || label || u64be(len(value)) || value
//
// A transcript starts with the fields "tabella" = "v1", "protocol" = the
// protocol's tag, and "base" = the 32-byte context hash (the election's base
// hash, or for the key ceremony its ceremony hash). The prover and the
// verifier append the whole statement and every commitment in the order the
// spec gives, then derive the challenge with [Transcript.Challenge].
//
// The zero value is not usable; create transcripts with [NewTranscript].
type Transcript struct {
	buf []byte
}

// NewTranscript starts a transcript for protocol bound to the context hash
// base.
func NewTranscript(protocol string, base [32]byte) *Transcript {
	t := &Transcript{buf: make([]byte, 0, 512)}
	t.Bytes("tabella", []byte("v1"))
	t.Bytes("protocol", []byte(protocol))
	t.Bytes("base", base[:])
	return t
}

// Clone returns an independent copy of t, for proofs that share a prefix.
func (t *Transcript) Clone() *Transcript {
	return &Transcript{buf: append(make([]byte, 0, cap(t.buf)), t.buf...)}
}

// Bytes appends a labelled byte string.
func (t *Transcript) Bytes(label string, value []byte) {
	t.buf = binary.BigEndian.AppendUint32(t.buf, uint32(len(label)))
	t.buf = append(t.buf, label...)
	t.buf = binary.BigEndian.AppendUint64(t.buf, uint64(len(value)))
	t.buf = append(t.buf, value...)
}

// Point appends a labelled group element (its 32-byte encoding).
func (t *Transcript) Point(label string, p *group.Point) {
	b := p.Bytes()
	t.Bytes(label, b[:])
}

// Scalar appends a labelled scalar (its 32-byte encoding).
func (t *Transcript) Scalar(label string, s *group.Scalar) {
	b := s.Bytes()
	t.Bytes(label, b[:])
}

// Uint64 appends a labelled integer as 8 bytes big-endian.
func (t *Transcript) Uint64(label string, v uint64) {
	t.Bytes(label, binary.BigEndian.AppendUint64(nil, v))
}

// Challenge derives the challenge scalar from everything appended so far:
// group.HashToScalar(ChallengeDST, transcript bytes).
func (t *Transcript) Challenge() *group.Scalar {
	return group.HashToScalar(ChallengeDST, t.buf)
}

// Encoded returns the transcript's bytes so far (for test vectors).
func (t *Transcript) Encoded() []byte { return append([]byte(nil), t.buf...) }
