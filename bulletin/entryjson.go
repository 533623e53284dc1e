package bulletin

import (
	"bytes"
	"fmt"
	"math"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// DecodeEntryJSON decodes the canonical JSON form of an entry (e2e/SPEC.md
// §8.1, §1.1) strictly, without checking its shape or hash.
//
// Entries are most of every record and page a verifier reads, and the
// general strict decoder (decode with encoding/json, re-encode, compare)
// costs about fifteen times a SHA-256 over the same bytes. So the common
// case goes through a parser of the one canonical layout,
//
//	{"index":N,"type":"T","time":N,"prev":"H","payload":"X","signer":"X","signature":"X","hash":"H"}
//
// (N a decimal without leading zeros, T from [a-z0-9._-], H 64 and X any
// even number of lowercase hex digits), which accepts a document only
// when the strict decoder accepts it with the same value (FuzzEntryJSON
// checks this differentially). Anything else — escapes, other orders or
// spacing, negative times, malformed input — takes the strict decoder,
// which gives the precise error.
func DecodeEntryJSON(data []byte) (*Entry, error) {
	if e, ok := parseCanonicalEntry(data); ok {
		return e, nil
	}
	var e Entry
	if err := canon.Unmarshal(data, &e, MaxEntryJSON); err != nil {
		return nil, fmt.Errorf("%w: entry: %w", ErrEncoding, err)
	}
	return &e, nil
}

// entryScanner walks one canonical entry document.
type entryScanner struct {
	b  []byte
	ok bool
}

// lit consumes s exactly.
func (s *entryScanner) lit(lit string) {
	if s.ok && bytes.HasPrefix(s.b, []byte(lit)) {
		s.b = s.b[len(lit):]
		return
	}
	s.ok = false
}

// uint consumes a canonical decimal at most max.
func (s *entryScanner) uint(max uint64) uint64 {
	if !s.ok {
		return 0
	}
	i, v := 0, uint64(0)
	for i < len(s.b) && '0' <= s.b[i] && s.b[i] <= '9' {
		d := uint64(s.b[i] - '0')
		if v > (max-d)/10 {
			s.ok = false
			return 0
		}
		v = 10*v + d
		i++
	}
	if i == 0 || (i > 1 && s.b[0] == '0') {
		s.ok = false
		return 0
	}
	s.b = s.b[i:]
	return v
}

// typ consumes a quoted type of [a-z0-9._-] characters.
func (s *entryScanner) typ() string {
	s.lit(`"`)
	if !s.ok {
		return ""
	}
	i := 0
	for i < len(s.b) && i <= MaxTypeLen {
		c := s.b[i]
		if c == '"' {
			break
		}
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			s.ok = false
			return ""
		}
		i++
	}
	t := string(s.b[:i])
	s.b = s.b[i:]
	s.lit(`"`)
	return t
}

// hexLen consumes a quoted run of lowercase hex digits and returns it
// without the quotes.
func (s *entryScanner) hexRun() []byte {
	s.lit(`"`)
	if !s.ok {
		return nil
	}
	i := bytes.IndexByte(s.b, '"')
	if i < 0 || i%2 != 0 {
		s.ok = false
		return nil
	}
	h := s.b[:i]
	s.b = s.b[i+1:]
	return h
}

// fromHex[c] is the value of lowercase hex digit c, or 0xff.
var fromHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
	}
	return t
}()

// decodeHexInto decodes lowercase hex h into dst (len(h)/2 bytes),
// reporting false on any other character.
func decodeHexInto(dst, h []byte) bool {
	var bad byte
	for i := range dst {
		hi, lo := fromHex[h[2*i]], fromHex[h[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo
	}
	return bad&0xf0 == 0
}

// parseCanonicalEntry parses the canonical layout only; ok is false for
// anything else (the caller then runs the strict decoder).
func parseCanonicalEntry(data []byte) (*Entry, bool) {
	if len(data) > MaxEntryJSON {
		return nil, false
	}
	s := entryScanner{b: data, ok: true}
	e := &Entry{}
	s.lit(`{"index":`)
	e.Index = s.uint(math.MaxUint64)
	s.lit(`,"type":`)
	e.Type = s.typ()
	s.lit(`,"time":`)
	e.Time = int64(s.uint(math.MaxInt64))
	s.lit(`,"prev":`)
	prev := s.hexRun()
	s.lit(`,"payload":`)
	payload := s.hexRun()
	s.lit(`,"signer":`)
	signer := s.hexRun()
	s.lit(`,"signature":`)
	sig := s.hexRun()
	s.lit(`,"hash":`)
	hash := s.hexRun()
	s.lit(`}`)
	if !s.ok || len(s.b) != 0 || len(prev) != 2*HashSize || len(hash) != 2*HashSize {
		return nil, false
	}
	// One allocation for the three byte strings, each capped so that an
	// append to one cannot overwrite the next.
	np, ns := len(payload)/2, len(signer)/2
	buf := make([]byte, np+ns+len(sig)/2)
	e.Payload = Bytes(buf[:np:np])
	e.Signer = Bytes(buf[np : np+ns : np+ns])
	e.Signature = Bytes(buf[np+ns:])
	if !decodeHexInto(e.Prev[:], prev) || !decodeHexInto(e.Hash[:], hash) ||
		!decodeHexInto(e.Payload, payload) || !decodeHexInto(e.Signer, signer) || !decodeHexInto(e.Signature, sig) {
		return nil, false
	}
	return e, true
}
