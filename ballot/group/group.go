// Package group is Tabella's prime-order group: ristretto255 (RFC 9496) and
// its scalar field, behind a small API with strict, canonical encodings
// (e2e/SPEC.md §2; hash-to-scalar for challenges, §3).
//
// # Encodings
//
// A [Point] is encoded as the 32-byte canonical ristretto255 encoding
// (RFC 9496 §4.3.2). [DecodePoint] accepts exactly 32 bytes and rejects every
// non-canonical encoding; [DecodeElement] additionally rejects the identity,
// which is what public keys, commitments and ciphertext components need.
//
// A [Scalar] is an integer modulo the group order
//
//	ℓ = 2^252 + 27742317777372353535851937790883648493
//
// encoded as 32 bytes little-endian. [DecodeScalar] rejects values ≥ ℓ.
//
// In JSON both are lowercase hexadecimal strings of exactly 64 characters;
// uppercase or any other length is rejected.
//
// # Backend
//
// The group arithmetic is filippo.io/edwards25519 (v1.2.0; its field is
// the one Go's crypto/ed25519 uses), with the ristretto255 encoding and
// decoding written in this package from RFC 9496 §4.3 (r255.go). Points
// enter and leave only through that canonical encoding:
// edwards25519's own Point.SetBytes accepts non-canonical Ed25519
// encodings and is never used on wire data.
//
// Three backends were measured in one run of BenchmarkBackend in this
// package, the operations of the hot path: github.com/gtank/ristretto255
// (the previous backend), github.com/cloudflare/circl/group (no
// multi-scalar multiplication: its MSM is n separate multiplications),
// github.com/bwesterb/go-ristretto (which circl wraps), and this package
// over filippo.io/edwards25519. Medians of five 100 ms runs (MSM: three)
// on the 2-core machine while it was shared with other jobs (load 10–14),
// so only the ratios mean much, in µs:
//
//	backend       decode  encode  s·G   s·P   MSM 64   MSM 1024
//	gtank         16      21      70    146   3 190    33 600
//	circl          8.5     9.2    42    186   21 300   211 000
//	go-ristretto  14      12      73    288   17 600   113 000
//	edwards25519  14      11      47    140   2 280    39 100
//	(this package: decode 14, s·G 46, s·P 135, FixedBase s·P 56)
//
// edwards25519 is the fastest or within noise of it on every row that
// the proofs use in bulk (fixed-base multiplication for encryption, MSM
// for verification); circl decodes and encodes fastest, but a ballot's
// verification is one large MSM, where circl is 5–10× slower. gtank stays
// in the tests as the reference: the RFC 9496 vectors (valid and
// invalid encodings, testdata/) run on both, and FuzzDifferentialGtank
// compares decoding, encoding, Mul, BaseMul, FixedBase and MSM between
// them. circl is still used for RFC 9380 expand_message_xmd in
// hash-to-scalar (see [HashToScalar]).
//
// Two speed-ups sit behind the same API, both measured in this package's
// benchmarks:
//
//   - [FixedBase]: a precomputed, constant-time table for one point (the
//     election key), the affine radix-16 layout edwards25519 keeps for the
//     generator but does not offer for other points (fixedbase.go; 24
//     KiB). BenchmarkFixedBaseWindow sized it against projective tables
//     of 3- to 8-bit windows (54 KiB to 660 KiB: slower past w = 4, the
//     scans and the cache lose) and go-ristretto's table, the previous
//     FixedBase: in one run 54 µs against 70 µs (w = 4), 171 µs
//     (go-ristretto) and 179 µs for variable-base Mul.
//   - [VarTimeMSM] uses edwards25519's Straus method below
//     pippengerThreshold (192) terms and Pippenger's bucket method with
//     signed digits above (msm.go): batch verification of many ballots
//     is one such MSM, and Pippenger needs several times fewer additions
//     per term there (BenchmarkVarTimeMSM).
//
// Decoded points keep their encoding, so [Point.Bytes] (transcripts,
// hashing, re-encoding) costs nothing for them.
//
// # Constant time
//
// [Point.Mul], [BaseMul], scalar arithmetic and the decoders run in time
// independent of secret values. Functions named VarTime… depend on their
// inputs and must only be given public values (verification).
package group

import (
	"crypto"
	"crypto/rand"
	_ "crypto/sha512" // registers SHA-512 for the expander
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"filippo.io/edwards25519"
	"github.com/cloudflare/circl/expander"
)

// Sizes of encodings, in bytes.
const (
	PointSize  = 32
	ScalarSize = 32
)

// Errors returned by the decoders. They are wrapped with detail; test with
// errors.Is.
var (
	ErrLength       = errors.New("group: wrong length")
	ErrNonCanonical = errors.New("group: non-canonical encoding")
	ErrIdentity     = errors.New("group: identity element not allowed")
	ErrZeroScalar   = errors.New("group: zero scalar not allowed")
)

// A Scalar is an element of the scalar field of ristretto255. The zero value
// is the scalar 0 and is ready to use. Scalars are immutable through this
// API: every operation returns a new Scalar.
type Scalar struct{ s edwards25519.Scalar }

// A Point is an element of the ristretto255 group. The zero value is the
// identity and is ready to use. Points are immutable through this API: every
// operation returns a new Point.
//
// A Point may carry its canonical encoding (set when it was decoded) so
// that [Point.Bytes] costs nothing for points read from the wire, and a
// precomputed table (see [NewFixedBase]) that makes [Point.Mul] faster.
// Both are set once when the Point is created and never modified. A
// computed Point encodes itself on the first call to [Point.Bytes] and keeps
// the result (encoding costs a field exponentiation, and a proof commitment
// is encoded for its transcript, for the ballot hash and for the JSON).
type Point struct {
	e      edwards25519.Point // a representative of the element, valid if set
	set    bool               // false for the zero Point (the identity)
	enc    [PointSize]byte    // canonical encoding, valid if hasEnc
	hasEnc bool
	cache  *encCache  // the encoding of a computed Point, once computed
	table  *FixedBase // precomputed multiples of this point, or nil
}

// An encCache holds the encoding of a computed Point, set at most once,
// safely for concurrent first use. Copies of a Point share it, which is
// right: they are the same element.
type encCache struct {
	once sync.Once
	enc  [PointSize]byte
}

// computedPoint puts a Point and its cache in one allocation.
type computedPoint struct {
	p Point
	c encCache
}

// newComputed returns a Point for an arithmetic result, to be set by the
// caller before it is shared.
func newComputed() *Point {
	cp := new(computedPoint)
	cp.p.set = true
	cp.p.cache = &cp.c
	return &cp.p
}

// el returns p's edwards25519 representative. It must not be modified.
func (p *Point) el() *edwards25519.Point {
	if !p.set {
		return edIdentity
	}
	return &p.e
}

// newPoint returns a Point for an edwards25519 result.
func newPoint(e *edwards25519.Point) *Point {
	p := newComputed()
	p.e.Set(e)
	return p
}

// NewScalar returns the scalar v.
func NewScalar(v uint64) *Scalar {
	var b [32]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
	s := new(Scalar)
	if _, err := s.s.SetCanonicalBytes(b[:]); err != nil {
		panic("group: internal error: small scalar did not decode")
	}
	return s
}

// NewScalarInt returns the scalar v mod ℓ, for a possibly negative v.
func NewScalarInt(v int64) *Scalar {
	if v >= 0 {
		return NewScalar(uint64(v))
	}
	return NewScalar(uint64(-v)).Neg()
}

// RandomScalar returns a uniformly random scalar read from crypto/rand.
func RandomScalar() *Scalar {
	s, err := randomScalar(rand.Reader)
	if err != nil {
		// crypto/rand.Read never returns an error on supported platforms.
		panic("group: crypto/rand failed: " + err.Error())
	}
	return s
}

// RandomNonZeroScalar returns a uniformly random non-zero scalar.
func RandomNonZeroScalar() *Scalar {
	for {
		if s := RandomScalar(); !s.IsZero() {
			return s
		}
	}
}

func randomScalar(r io.Reader) (*Scalar, error) {
	var b [64]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, err
	}
	return ScalarFromUniform(b), nil
}

// ScalarFromUniform reduces 64 uniformly distributed bytes (little-endian)
// modulo ℓ; the result is statistically close to uniform.
func ScalarFromUniform(b [64]byte) *Scalar {
	s := new(Scalar)
	if _, err := s.s.SetUniformBytes(b[:]); err != nil {
		panic("group: internal error: 64 bytes rejected as uniform input")
	}
	return s
}

// HashToScalar hashes msg to a scalar as RFC 9380 hash_to_field does for
// ristretto255: expand_message_xmd with SHA-512 to 64 bytes under the domain
// separation tag dst, then reduction modulo ℓ. dst must be non-empty and at
// most 255 bytes.
func HashToScalar(dst string, msg []byte) *Scalar {
	if len(dst) == 0 || len(dst) > 255 {
		panic("group: internal error: bad hash-to-scalar DST length")
	}
	u := expander.NewExpanderMD(crypto.SHA512, []byte(dst)).Expand(msg, 64)
	var b [64]byte
	copy(b[:], u)
	return ScalarFromUniform(b)
}

// DecodeScalar decodes a 32-byte little-endian scalar, rejecting any value
// that is not reduced modulo ℓ.
func DecodeScalar(b []byte) (*Scalar, error) {
	if len(b) != ScalarSize {
		return nil, fmt.Errorf("%w: scalar is %d bytes, want %d", ErrLength, len(b), ScalarSize)
	}
	s := new(Scalar)
	if _, err := s.s.SetCanonicalBytes(b); err != nil {
		return nil, fmt.Errorf("%w: scalar not reduced modulo the group order", ErrNonCanonical)
	}
	return s, nil
}

// Bytes returns the canonical 32-byte encoding of s.
func (s *Scalar) Bytes() [ScalarSize]byte {
	return [ScalarSize]byte(s.s.Bytes())
}

// Add returns s + t.
func (s *Scalar) Add(t *Scalar) *Scalar { r := new(Scalar); r.s.Add(&s.s, &t.s); return r }

// Sub returns s − t.
func (s *Scalar) Sub(t *Scalar) *Scalar { r := new(Scalar); r.s.Subtract(&s.s, &t.s); return r }

// Mul returns s · t.
func (s *Scalar) Mul(t *Scalar) *Scalar { r := new(Scalar); r.s.Multiply(&s.s, &t.s); return r }

// Neg returns −s.
func (s *Scalar) Neg() *Scalar { r := new(Scalar); r.s.Negate(&s.s); return r }

// Inv returns 1/s. It panics if s is zero; callers must rule that out.
func (s *Scalar) Inv() *Scalar {
	if s.IsZero() {
		panic("group: internal error: inverse of zero")
	}
	r := new(Scalar)
	r.s.Invert(&s.s)
	return r
}

// Equal reports whether s == t, in constant time.
func (s *Scalar) Equal(t *Scalar) bool { return s.s.Equal(&t.s) == 1 }

// IsZero reports whether s == 0.
func (s *Scalar) IsZero() bool { var z Scalar; return s.s.Equal(&z.s) == 1 }

// Generator returns the canonical ristretto255 generator G.
func Generator() *Point { return newPoint(edGenerator) }

// Identity returns the identity element.
func Identity() *Point { return newPoint(edIdentity) }

// DecodePoint decodes a canonical 32-byte ristretto255 encoding. The identity
// is accepted; use [DecodeElement] where it is degenerate.
func DecodePoint(b []byte) (*Point, error) {
	if len(b) != PointSize {
		return nil, fmt.Errorf("%w: point is %d bytes, want %d", ErrLength, len(b), PointSize)
	}
	p := &Point{set: true, hasEnc: true}
	copy(p.enc[:], b)
	if err := r255Decode(&p.e, &p.enc); err != nil {
		return nil, fmt.Errorf("%w: not a canonical ristretto255 encoding", ErrNonCanonical)
	}
	return p, nil
}

// DecodeElement is [DecodePoint] that also rejects the identity.
func DecodeElement(b []byte) (*Point, error) {
	p, err := DecodePoint(b)
	if err != nil {
		return nil, err
	}
	if p.IsIdentity() {
		return nil, ErrIdentity
	}
	return p, nil
}

// Bytes returns the canonical 32-byte encoding of p.
func (p *Point) Bytes() [PointSize]byte {
	if p.hasEnc {
		return p.enc
	}
	if c := p.cache; c != nil {
		c.once.Do(func() { r255Encode(&c.enc, &p.e) })
		return c.enc
	}
	var b [PointSize]byte
	r255Encode(&b, p.el())
	return b
}

// Add returns p + q.
func (p *Point) Add(q *Point) *Point {
	r := newComputed()
	r.e.Add(p.el(), q.el())
	return r
}

// Sub returns p − q.
func (p *Point) Sub(q *Point) *Point {
	r := newComputed()
	r.e.Subtract(p.el(), q.el())
	return r
}

// Neg returns −p.
func (p *Point) Neg() *Point {
	r := newComputed()
	r.e.Negate(p.el())
	return r
}

// Mul returns s·p in constant time. If p carries a precomputed table (it
// was returned by [FixedBase.Point]) the table is used.
func (p *Point) Mul(s *Scalar) *Point {
	if p.table != nil {
		return p.table.Mul(s)
	}
	r := newComputed()
	r.e.ScalarMult(&s.s, p.el())
	return r
}

// Equal reports whether p == q.
func (p *Point) Equal(q *Point) bool {
	if p.hasEnc && q.hasEnc {
		// Canonical encodings are equal exactly when the points are.
		return subtle.ConstantTimeCompare(p.enc[:], q.enc[:]) == 1
	}
	return r255Equal(p.el(), q.el()) == 1
}

// IsIdentity reports whether p is the identity.
func (p *Point) IsIdentity() bool {
	if p.hasEnc {
		// The identity encodes as zeros.
		return subtle.ConstantTimeCompare(p.enc[:], zeroEncoding[:]) == 1
	}
	return r255Equal(p.el(), edIdentity) == 1
}

// BaseMul returns s·G in constant time, using filippo.io/edwards25519's
// precomputed table for the generator.
func BaseMul(s *Scalar) *Point {
	r := newComputed()
	r.e.ScalarBaseMult(&s.s)
	return r
}

// VarTimeDoubleBaseMul returns a·A + b·G. Its running time depends on its
// inputs: use it for verification only.
func VarTimeDoubleBaseMul(a *Scalar, A *Point, b *Scalar) *Point {
	r := newComputed()
	r.e.VarTimeDoubleScalarBaseMult(&a.s, A.el(), &b.s)
	return r
}

// VarTimeMSM returns Σ scalars[i]·points[i]. Its running time depends on its
// inputs: use it for verification only. Below a few hundred terms it uses
// the Straus multi-scalar multiplication of filippo.io/edwards25519; above,
// Pippenger's bucket method (msm.go), which needs fewer additions per term.
// It panics if the slices differ in length, which is a caller bug.
func VarTimeMSM(scalars []*Scalar, points []*Point) *Point {
	if len(scalars) != len(points) {
		panic("group: internal error: VarTimeMSM length mismatch")
	}
	if len(scalars) == 0 {
		return Identity()
	}
	if len(scalars) >= pippengerThreshold {
		return varTimeMSMPippenger(scalars, points)
	}
	return varTimeMSMStraus(scalars, points)
}

// varTimeMSMStraus is filippo.io/edwards25519's interleaved width-5 NAF
// multi-scalar multiplication.
func varTimeMSMStraus(scalars []*Scalar, points []*Point) *Point {
	ss, ps := edTerms(scalars, points)
	r := newComputed()
	r.e.VarTimeMultiScalarMult(ss, ps)
	return r
}

// varTimeMSMPippenger is Pippenger's bucket method (msm.go).
func varTimeMSMPippenger(scalars []*Scalar, points []*Point) *Point {
	bs := make([][32]byte, len(scalars))
	ps := make([]*edwards25519.Point, len(points))
	for i := range scalars {
		bs[i] = scalars[i].Bytes()
		ps[i] = points[i].el()
	}
	r := pippengerNiels(bs, ps)
	return newPoint(&r)
}

func edTerms(scalars []*Scalar, points []*Point) ([]*edwards25519.Scalar, []*edwards25519.Point) {
	ss := make([]*edwards25519.Scalar, len(scalars))
	ps := make([]*edwards25519.Point, len(points))
	for i := range scalars {
		ss[i] = &scalars[i].s
		ps[i] = points[i].el()
	}
	return ss, ps
}

// MSM returns Σ scalars[i]·points[i] in time that depends only on the number
// of terms. It panics if the slices differ in length.
func MSM(scalars []*Scalar, points []*Point) *Point {
	if len(scalars) != len(points) {
		panic("group: internal error: MSM length mismatch")
	}
	if len(scalars) == 0 {
		return Identity()
	}
	ss, ps := edTerms(scalars, points)
	r := newComputed()
	r.e.MultiScalarMult(ss, ps)
	return r
}

// MarshalText encodes p as 64 lowercase hexadecimal characters.
func (p *Point) MarshalText() ([]byte, error) {
	b := p.Bytes()
	return []byte(hex.EncodeToString(b[:])), nil
}

// UnmarshalText decodes 64 lowercase hexadecimal characters with
// [DecodePoint]. Callers that must reject the identity check [Point.IsIdentity]
// or decode with [DecodeElement].
func (p *Point) UnmarshalText(text []byte) error {
	b, err := decodeHex(text, PointSize)
	if err != nil {
		return err
	}
	q, err := DecodePoint(b)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}

// MarshalText encodes s as 64 lowercase hexadecimal characters.
func (s *Scalar) MarshalText() ([]byte, error) {
	b := s.Bytes()
	return []byte(hex.EncodeToString(b[:])), nil
}

// UnmarshalText decodes 64 lowercase hexadecimal characters with
// [DecodeScalar].
func (s *Scalar) UnmarshalText(text []byte) error {
	b, err := decodeHex(text, ScalarSize)
	if err != nil {
		return err
	}
	t, err := DecodeScalar(b)
	if err != nil {
		return err
	}
	*s = *t
	return nil
}

// String returns the hexadecimal encoding of p.
func (p *Point) String() string { t, _ := p.MarshalText(); return string(t) }

// decodeHex decodes exactly n bytes of lowercase hexadecimal.
func decodeHex(text []byte, n int) ([]byte, error) {
	if len(text) != 2*n {
		return nil, fmt.Errorf("%w: %d hex characters, want %d", ErrLength, len(text), 2*n)
	}
	for _, c := range text {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, fmt.Errorf("%w: hex must be lowercase 0-9a-f", ErrNonCanonical)
		}
	}
	b := make([]byte, n)
	if _, err := hex.Decode(b, text); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNonCanonical, err)
	}
	return b, nil
}
