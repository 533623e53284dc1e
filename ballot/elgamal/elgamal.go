// Package elgamal is exponential ElGamal over ristretto255 (e2e/SPEC.md §4).
//
// A message m (a small non-negative integer, a vote count) is encrypted under
// the public key K = sk·G with randomness r as
//
//	Enc(m; r) = (A, B) = (r·G, m·G + r·K)
//
// Ciphertexts add component-wise, so the sum of encryptions of m₁ and m₂ is
// an encryption of m₁ + m₂: the tally is the sum of the ballots.
// Decryption with sk gives m·G = B − sk·A; the integer m is then recovered
// with a bounded discrete logarithm ([DLog], baby-step giant-step), which is
// feasible because m is at most the size of the electorate times the largest
// score.
//
// # Encodings
//
// A [Ciphertext] is A || B, 64 bytes, each component the canonical 32-byte
// ristretto255 encoding; in JSON it is {"a":"<hex>","b":"<hex>"}. Decoders
// reject the identity in either component: a fresh encryption has A = r·G
// with r uniformly random, so the identity only appears with negligible
// probability, and accepting it would let a ciphertext carry no randomness.
//
// # Speed
//
// Encryption multiplies the key by a secret scalar. A key wrapped with
// group.NewFixedBase(pk).Point() carries a precomputed table, and [Encrypt],
// [Ciphertext.ReEncrypt] and the provers in package zk then use it
// automatically; build it once per election key.
//
// # Constant time
//
// [Encrypt], [Ciphertext.ReEncrypt], [Ciphertext.Decrypt] and [GenerateKey]
// run in time independent of the secret message, randomness and key.
// [DLog.Solve] is variable time: it is only used on decrypted tallies, which
// are public.
package elgamal

import (
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
)

// CiphertextSize is the size of a binary ciphertext: A || B.
const CiphertextSize = 2 * group.PointSize

// ErrMalformed is returned (wrapped) by the decoders for input that is not a
// canonical ciphertext encoding.
var ErrMalformed = errors.New("elgamal: malformed ciphertext")

// A Ciphertext is (A, B) = (r·G, m·G + r·K). JSON: {"a":"<hex>","b":"<hex>"};
// binary: A||B, 64 bytes (e2e/SPEC.md §4.2).
//
// Ciphertexts are values; the points they hold are never modified.
type Ciphertext struct{ A, B *group.Point }

// GenerateKey returns a fresh key pair: a uniformly random non-zero secret
// scalar sk and the public key pk = sk·G.
func GenerateKey() (sk *group.Scalar, pk *group.Point) {
	sk = group.RandomNonZeroScalar()
	return sk, group.BaseMul(sk)
}

// Encrypt returns Enc(m; r) = (r·G, m·G + r·pk), in constant time. Pass
// group.NewFixedBase(pk).Point() as pk to use a precomputed table for pk
// (about twice as fast; see the package comment).
func Encrypt(pk *group.Point, m, r *group.Scalar) Ciphertext {
	return Ciphertext{
		A: group.BaseMul(r),
		B: group.MulAddBase(pk, r, m),
	}
}

// EncryptUint returns Enc(m; r) for an integer m.
func EncryptUint(pk *group.Point, m uint64, r *group.Scalar) Ciphertext {
	return Encrypt(pk, group.NewScalar(m), r)
}

// EncryptUintMax returns Enc(m; r) for an integer m ≤ max, in time that
// does not depend on m or r. With a key that carries a precomputed table
// (group.NewFixedBase) and max ≤ group.MaxSmall, m·G is a constant-time table
// lookup instead of a scalar multiplication, which makes a 0/1 selection
// about a quarter cheaper to encrypt. It panics if m > max (a caller bug:
// check the choice first).
func EncryptUintMax(pk *group.Point, m, max uint64, r *group.Scalar) Ciphertext {
	return Ciphertext{
		A: group.BaseMul(r),
		B: group.MulAddSmallBase(pk, r, m, max),
	}
}

// Zero returns (identity, identity), the neutral element for [Ciphertext.Add]
// (an encryption of 0 with randomness 0). It is a starting point for sums,
// not a valid ciphertext on the wire: the decoders reject it.
func Zero() Ciphertext { return Ciphertext{A: group.Identity(), B: group.Identity()} }

// Add returns the component-wise sum c + d, an encryption of the sum of the
// messages with the sum of the randomness.
func (c Ciphertext) Add(d Ciphertext) Ciphertext {
	return Ciphertext{A: c.A.Add(d.A), B: c.B.Add(d.B)}
}

// Sub returns c − d, an encryption of the difference of the messages.
func (c Ciphertext) Sub(d Ciphertext) Ciphertext {
	return Ciphertext{A: c.A.Sub(d.A), B: c.B.Sub(d.B)}
}

// ReEncrypt returns c + Enc(0; r) = (A + r·G, B + r·pk): a fresh-looking
// ciphertext of the same message.
func (c Ciphertext) ReEncrypt(pk *group.Point, r *group.Scalar) Ciphertext {
	return Ciphertext{A: c.A.Add(group.BaseMul(r)), B: c.B.Add(pk.Mul(r))}
}

// Decrypt returns m·G = B − sk·A. Recover m with [DLog.Solve].
func (c Ciphertext) Decrypt(sk *group.Scalar) *group.Point {
	return c.B.Sub(c.A.Mul(sk))
}

// Equal reports whether c and d are the same pair of points.
func (c Ciphertext) Equal(d Ciphertext) bool {
	return c.A.Equal(d.A) && c.B.Equal(d.B)
}

// Bytes returns the 64-byte encoding A || B. It panics if a component is nil,
// which is a caller bug.
func (c Ciphertext) Bytes() [CiphertextSize]byte {
	if c.A == nil || c.B == nil {
		panic("elgamal: internal error: encoding a ciphertext with a nil component")
	}
	var out [CiphertextSize]byte
	a, b := c.A.Bytes(), c.B.Bytes()
	copy(out[:group.PointSize], a[:])
	copy(out[group.PointSize:], b[:])
	return out
}

// DecodeCiphertext decodes exactly 64 bytes A || B. Each component must be a
// canonical ristretto255 encoding and not the identity.
func DecodeCiphertext(b []byte) (Ciphertext, error) {
	if len(b) != CiphertextSize {
		return Ciphertext{}, fmt.Errorf("%w: %d bytes, want %d", ErrMalformed, len(b), CiphertextSize)
	}
	A, err := group.DecodeElement(b[:group.PointSize])
	if err != nil {
		return Ciphertext{}, fmt.Errorf("%w: component a: %w", ErrMalformed, err)
	}
	B, err := group.DecodeElement(b[group.PointSize:])
	if err != nil {
		return Ciphertext{}, fmt.Errorf("%w: component b: %w", ErrMalformed, err)
	}
	return Ciphertext{A: A, B: B}, nil
}

// ciphertextJSON is the wire form; field order is the canonical order.
type ciphertextJSON struct {
	A *group.Point `json:"a"`
	B *group.Point `json:"b"`
}

// maxCiphertextJSON bounds the JSON encoding: {"a":"<64>","b":"<64>"}.
const maxCiphertextJSON = 147

// MarshalJSON encodes c as {"a":"<hex>","b":"<hex>"}.
func (c Ciphertext) MarshalJSON() ([]byte, error) {
	if c.A == nil || c.B == nil {
		return nil, fmt.Errorf("%w: nil component", ErrMalformed)
	}
	return canon.Marshal(ciphertextJSON{A: c.A, B: c.B})
}

// UnmarshalJSON decodes {"a":"<hex>","b":"<hex>"} strictly: both fields,
// nothing else, canonical form, lowercase hex, canonical non-identity points.
func (c *Ciphertext) UnmarshalJSON(data []byte) error {
	var w ciphertextJSON
	if err := canon.Unmarshal(data, &w, maxCiphertextJSON); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if w.A == nil || w.B == nil {
		return fmt.Errorf("%w: missing component", ErrMalformed)
	}
	if w.A.IsIdentity() {
		return fmt.Errorf("%w: component a: %w", ErrMalformed, group.ErrIdentity)
	}
	if w.B.IsIdentity() {
		return fmt.Errorf("%w: component b: %w", ErrMalformed, group.ErrIdentity)
	}
	*c = Ciphertext{A: w.A, B: w.B}
	return nil
}
