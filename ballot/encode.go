package ballot

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// This file is a direct encoder for ballots: it writes exactly the bytes
// encoding/json writes for a [Ballot] (e2e/SPEC.md §7.3, canonical JSON
// §1.1), without reflection. Hashing a ballot's body is on the hot path of
// batch verification, where encoding/json cost as much as the whole
// multi-scalar multiplication. Tests and a fuzz target check the two
// encoders agree byte for byte.

// errIncomplete is returned when a ballot to encode has a nil field.
var errIncomplete = errors.New("ballot: cannot encode a ballot with a missing field")

// appendString appends the JSON encoding of s as encoding/json writes it.
func appendString(dst []byte, s string) []byte {
	if isPlain(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(s) // cannot fail for a string
	return append(dst, b...)
}

// isPlain reports whether s needs no escaping: printable ASCII other than
// '"', '\\', '<', '>' and '&'.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func appendHex(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, b)
	return append(dst, '"')
}

func appendPoint(dst []byte, p *group.Point) []byte {
	b := p.Bytes()
	return appendHex(dst, b[:])
}

func appendScalar(dst []byte, s *group.Scalar) []byte {
	b := s.Bytes()
	return appendHex(dst, b[:])
}

func appendCiphertext(dst []byte, c elgamal.Ciphertext) ([]byte, error) {
	if c.A == nil || c.B == nil {
		return nil, errIncomplete
	}
	dst = append(dst, `{"a":`...)
	dst = appendPoint(dst, c.A)
	dst = append(dst, `,"b":`...)
	dst = appendPoint(dst, c.B)
	return append(dst, '}'), nil
}

func appendPoints(dst []byte, ps []*group.Point) ([]byte, error) {
	dst = append(dst, '[')
	for i, p := range ps {
		if p == nil {
			return nil, errIncomplete
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendPoint(dst, p)
	}
	return append(dst, ']'), nil
}

func appendScalars(dst []byte, ss []*group.Scalar) ([]byte, error) {
	dst = append(dst, '[')
	for i, s := range ss {
		if s == nil {
			return nil, errIncomplete
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendScalar(dst, s)
	}
	return append(dst, ']'), nil
}

// appendRange writes {"a":[…],"b":[…],"c":[…],"z":[…]} (e2e/SPEC.md §5.3).
func appendRange(dst []byte, p *zk.Range) ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: range proof", errIncomplete)
	}
	n := len(p.A)
	if n == 0 || n > zk.MaxRangeWidth || len(p.B) != n || len(p.C) != n || len(p.Z) != n {
		return nil, fmt.Errorf("%w: range proof", errIncomplete)
	}
	var err error
	dst = append(dst, `{"a":`...)
	if dst, err = appendPoints(dst, p.A); err != nil {
		return nil, err
	}
	dst = append(dst, `,"b":`...)
	if dst, err = appendPoints(dst, p.B); err != nil {
		return nil, err
	}
	dst = append(dst, `,"c":`...)
	if dst, err = appendScalars(dst, p.C); err != nil {
		return nil, err
	}
	dst = append(dst, `,"z":`...)
	if dst, err = appendScalars(dst, p.Z); err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// appendBody writes the body's fields, without the closing brace.
func appendBody(dst []byte, b *Body) ([]byte, error) {
	if b.Credential == nil {
		return nil, errIncomplete
	}
	var err error
	dst = append(dst, `{"version":`...)
	dst = appendString(dst, b.Version)
	dst = append(dst, `,"election_id":`...)
	dst = appendString(dst, b.ElectionID)
	dst = append(dst, `,"base_hash":`...)
	dst = appendHex(dst, b.BaseHash[:])
	dst = append(dst, `,"credential":`...)
	dst = appendPoint(dst, b.Credential)
	dst = append(dst, `,"contests":`...)
	if b.Contests == nil {
		return nil, errIncomplete
	}
	dst = append(dst, '[')
	for i := range b.Contests {
		c := &b.Contests[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"id":`...)
		dst = appendString(dst, c.ID)
		// The three fields are omitted when empty, as encoding/json's
		// omitempty does: a homomorphic contest has selections and a
		// sum proof, a ranked one ranks (e2e/SPEC.md §7.3).
		if len(c.Selections) > 0 {
			dst = append(dst, `,"selections":`...)
			if dst, err = appendSelections(dst, c.Selections); err != nil {
				return nil, err
			}
		}
		if c.SumProof != nil {
			dst = append(dst, `,"sum_proof":`...)
			if dst, err = appendRange(dst, c.SumProof); err != nil {
				return nil, err
			}
		}
		if len(c.Ranks) > 0 {
			dst = append(dst, `,"ranks":`...)
			if dst, err = appendSelections(dst, c.Ranks); err != nil {
				return nil, err
			}
		}
		if len(c.Selections) == 0 && len(c.Ranks) == 0 {
			return nil, errIncomplete
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// appendSelections writes [{"ciphertext":…,"proof":…},…].
func appendSelections(dst []byte, sel []Selection) ([]byte, error) {
	var err error
	dst = append(dst, '[')
	for j := range sel {
		s := &sel[j]
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"ciphertext":`...)
		if dst, err = appendCiphertext(dst, s.Ciphertext); err != nil {
			return nil, err
		}
		dst = append(dst, `,"proof":`...)
		if s.Proof == nil {
			return nil, errIncomplete
		}
		if dst, err = appendRange(dst, s.Proof); err != nil {
			return nil, err
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), nil
}

// encodedSizeHint estimates the size of a ballot's encoding.
func (b *Body) encodedSizeHint() int {
	n := 512
	for i := range b.Contests {
		for _, s := range b.Contests[i].Parts() {
			if p := s.Proof; p != nil {
				n += 160 + 4*67*len(p.A)
			}
		}
		if p := b.Contests[i].SumProof; p != nil {
			n += 64 + 4*67*len(p.A)
		}
	}
	return n
}

// appendBallot writes the canonical encoding of b.
func appendBallot(dst []byte, b *Ballot) ([]byte, error) {
	dst, err := appendBody(dst, &b.Body)
	if err != nil {
		return nil, err
	}
	if b.Signature == nil || b.Signature.A == nil || b.Signature.Z == nil {
		return nil, errIncomplete
	}
	dst = append(dst, `,"signature":{"a":`...)
	dst = appendPoint(dst, b.Signature.A)
	dst = append(dst, `,"z":`...)
	dst = appendScalar(dst, b.Signature.Z)
	return append(dst, `}}`...), nil
}
