package ballot

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// This file is a direct parser for the canonical encoding of a ballot
// (e2e/SPEC.md §7.3). Canonical JSON leaves no freedom (field order, no
// whitespace, lowercase hex), so the parser reads the one accepted layout
// literally; anything else is rejected where it differs. It replaces
// encoding/json's reflection and the nested canonical re-encodings of each
// proof, which cost as much as decoding the points. DecodeBallot still
// re-encodes the result and compares it with the input, and a fuzz target
// checks that this parser and the reflection-based decoder accept exactly
// the same inputs.

// parser reads canonical JSON from data.
type parser struct {
	data []byte
	pos  int
}

// errorf builds a decoding error naming the byte offset.
func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: "+format, append([]any{p.pos}, args...)...)
}

// lit consumes the literal s.
func (p *parser) lit(s string) error {
	if len(p.data)-p.pos < len(s) || string(p.data[p.pos:p.pos+len(s)]) != s {
		return p.errorf("expected %s", s)
	}
	p.pos += len(s)
	return nil
}

// peek reports whether the next byte is c.
func (p *parser) peek(c byte) bool { return p.pos < len(p.data) && p.data[p.pos] == c }

// str reads a JSON string.
func (p *parser) str() (string, error) {
	if !p.peek('"') {
		return "", p.errorf("expected a string")
	}
	start := p.pos
	plain := true
	for i := start + 1; i < len(p.data); i++ {
		c := p.data[i]
		switch {
		case c == '\\':
			plain = false
			i++ // skip the escaped byte
		case c == '"':
			p.pos = i + 1
			if plain {
				return string(p.data[start+1 : i]), nil
			}
			var s string
			if err := json.Unmarshal(p.data[start:i+1], &s); err != nil {
				return "", p.errorf("bad string: %v", err)
			}
			return s, nil
		case c < 0x20 || c >= 0x7f:
			plain = false
		}
	}
	return "", p.errorf("unterminated string")
}

// hex32 reads "<64 lowercase hex>" into 32 bytes.
func (p *parser) hex32() ([32]byte, error) {
	var out [32]byte
	if len(p.data)-p.pos < 66 || p.data[p.pos] != '"' || p.data[p.pos+65] != '"' {
		return out, p.errorf("expected 64 hex characters in quotes")
	}
	text := p.data[p.pos+1 : p.pos+65]
	for _, c := range text {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return out, p.errorf("hex must be lowercase 0-9a-f")
		}
	}
	if _, err := hex.Decode(out[:], text); err != nil {
		return out, p.errorf("%v", err)
	}
	p.pos += 66
	return out, nil
}

// element reads a point that must be canonical and not the identity.
func (p *parser) element(what string) (*group.Point, error) {
	at := p.pos
	b, err := p.hex32()
	if err != nil {
		return nil, err
	}
	q, err := group.DecodeElement(b[:])
	if err != nil {
		return nil, fmt.Errorf("at byte %d: %s: %w", at, what, err)
	}
	return q, nil
}

// scalar reads a reduced scalar.
func (p *parser) scalar(what string) (*group.Scalar, error) {
	at := p.pos
	b, err := p.hex32()
	if err != nil {
		return nil, err
	}
	s, err := group.DecodeScalar(b[:])
	if err != nil {
		return nil, fmt.Errorf("at byte %d: %s: %w", at, what, err)
	}
	return s, nil
}

// list reads a JSON array, calling item for each element. An empty array
// is allowed; max bounds the count (0: no bound).
func (p *parser) list(max int, item func() error) (int, error) {
	if err := p.lit("["); err != nil {
		return 0, err
	}
	n := 0
	if p.peek(']') {
		p.pos++
		return 0, nil
	}
	for {
		if max > 0 && n == max {
			return 0, p.errorf("more than %d entries", max)
		}
		if err := item(); err != nil {
			return 0, err
		}
		n++
		if p.peek(',') {
			p.pos++
			continue
		}
		if err := p.lit("]"); err != nil {
			return 0, err
		}
		return n, nil
	}
}

func (p *parser) points(what string) ([]*group.Point, error) {
	var ps []*group.Point
	_, err := p.list(zk.MaxRangeWidth, func() error {
		q, err := p.element(what)
		ps = append(ps, q)
		return err
	})
	return ps, err
}

func (p *parser) scalars(what string) ([]*group.Scalar, error) {
	var ss []*group.Scalar
	_, err := p.list(zk.MaxRangeWidth, func() error {
		s, err := p.scalar(what)
		ss = append(ss, s)
		return err
	})
	return ss, err
}

// rangeProof reads {"a":[…],"b":[…],"c":[…],"z":[…]} with the rules of the
// zk package's decoder: 1 to MaxRangeWidth entries, equal counts,
// commitments elements, scalars reduced.
func (p *parser) rangeProof() (*zk.Range, error) {
	r := new(zk.Range)
	var err error
	if err = p.lit(`{"a":`); err != nil {
		return nil, err
	}
	if r.A, err = p.points("range proof commitment a"); err != nil {
		return nil, err
	}
	if err = p.lit(`,"b":`); err != nil {
		return nil, err
	}
	if r.B, err = p.points("range proof commitment b"); err != nil {
		return nil, err
	}
	if err = p.lit(`,"c":`); err != nil {
		return nil, err
	}
	if r.C, err = p.scalars("range proof c"); err != nil {
		return nil, err
	}
	if err = p.lit(`,"z":`); err != nil {
		return nil, err
	}
	if r.Z, err = p.scalars("range proof z"); err != nil {
		return nil, err
	}
	if err = p.lit("}"); err != nil {
		return nil, err
	}
	n := len(r.A)
	if n == 0 || len(r.B) != n || len(r.C) != n || len(r.Z) != n {
		return nil, p.errorf("range proof has %d, %d, %d, %d entries; want equal counts from 1 to %d",
			len(r.A), len(r.B), len(r.C), len(r.Z), zk.MaxRangeWidth)
	}
	return r, nil
}

func (p *parser) selection() (Selection, error) {
	var s Selection
	var err error
	if err = p.lit(`{"ciphertext":{"a":`); err != nil {
		return s, err
	}
	if s.Ciphertext.A, err = p.element("ciphertext a"); err != nil {
		return s, err
	}
	if err = p.lit(`,"b":`); err != nil {
		return s, err
	}
	if s.Ciphertext.B, err = p.element("ciphertext b"); err != nil {
		return s, err
	}
	if err = p.lit(`},"proof":`); err != nil {
		return s, err
	}
	if s.Proof, err = p.rangeProof(); err != nil {
		return s, err
	}
	return s, p.lit("}")
}

func (p *parser) contest() (EncryptedContest, error) {
	var c EncryptedContest
	var err error
	if err = p.lit(`{"id":`); err != nil {
		return c, err
	}
	if c.ID, err = p.str(); err != nil {
		return c, err
	}
	// Each of the three fields is optional, as omitempty makes them in
	// the reference encoding; checkFields then requires selections and a
	// sum proof, or ranks alone (e2e/SPEC.md §7.3).
	if p.peekLit(`,"selections":`) {
		if c.Selections, err = p.selections(); err != nil {
			return c, err
		}
	}
	if p.peekLit(`,"sum_proof":`) {
		if c.SumProof, err = p.rangeProof(); err != nil {
			return c, err
		}
	}
	if p.peekLit(`,"ranks":`) {
		if c.Ranks, err = p.selections(); err != nil {
			return c, err
		}
	}
	return c, p.lit("}")
}

// peekLit consumes the literal s if the input continues with it.
func (p *parser) peekLit(s string) bool {
	if len(p.data)-p.pos >= len(s) && string(p.data[p.pos:p.pos+len(s)]) == s {
		p.pos += len(s)
		return true
	}
	return false
}

// selections reads a non-empty list of selections (an empty list is not
// canonical: omitempty omits the field).
func (p *parser) selections() ([]Selection, error) {
	var out []Selection
	n, err := p.list(0, func() error {
		s, err := p.selection()
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, p.errorf("empty list (omitted when empty)")
	}
	return out, nil
}

// parseBallot parses the canonical encoding of a ballot. The caller bounds
// the size and compares the re-encoding with the input.
func parseBallot(data []byte) (*Ballot, error) {
	p := &parser{data: data}
	b := new(Ballot)
	var err error
	if err = p.lit(`{"version":`); err != nil {
		return nil, err
	}
	if b.Version, err = p.str(); err != nil {
		return nil, err
	}
	if err = p.lit(`,"election_id":`); err != nil {
		return nil, err
	}
	if b.ElectionID, err = p.str(); err != nil {
		return nil, err
	}
	if err = p.lit(`,"base_hash":`); err != nil {
		return nil, err
	}
	h, err := p.hex32()
	if err != nil {
		return nil, err
	}
	b.BaseHash = Hash(h)
	if err = p.lit(`,"credential":`); err != nil {
		return nil, err
	}
	if b.Credential, err = p.element("credential"); err != nil {
		return nil, err
	}
	if err = p.lit(`,"contests":`); err != nil {
		return nil, err
	}
	b.Contests = []EncryptedContest{}
	if _, err = p.list(0, func() error {
		c, err := p.contest()
		b.Contests = append(b.Contests, c)
		return err
	}); err != nil {
		return nil, err
	}
	if err = p.lit(`,"signature":{"a":`); err != nil {
		return nil, err
	}
	sig := new(zk.Schnorr)
	if sig.A, err = p.element("signature commitment a"); err != nil {
		return nil, err
	}
	if err = p.lit(`,"z":`); err != nil {
		return nil, err
	}
	if sig.Z, err = p.scalar("signature response z"); err != nil {
		return nil, err
	}
	if err = p.lit("}}"); err != nil {
		return nil, err
	}
	if p.pos != len(data) {
		return nil, p.errorf("trailing data")
	}
	b.Signature = sig
	return b, nil
}
