package ballot

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"strings"

	"github.com/tabella-vote/tabella/ballot/group"
)

// Credential string format (e2e/SPEC.md §7.1).
const (
	credentialPrefix   = "TC1"
	credentialSeedSize = 16
	credentialCheck    = 4
	credentialSymbols  = (credentialSeedSize + credentialCheck) * 8 / 5 // 32
	maxCredentialInput = 128
)

// A Credential is a voter's secret signing credential: a 16-byte seed, the
// secret scalar x derived from it and the public key X = x·G that the voter
// roll lists (e2e/SPEC.md §7.1). Every ballot carries X, binds it into all of
// its proofs and is signed with x.
//
// The printable form ([Credential.Secret]) is what a voter keeps; it never
// appears in errors, and a Credential formats itself (%v, %s, %#v) as its
// public key only.
type Credential struct {
	seed [credentialSeedSize]byte
	x    *group.Scalar
	pub  *group.Point
}

// NewCredential draws a fresh credential from crypto/rand.
func NewCredential() *Credential {
	var seed [credentialSeedSize]byte
	if _, err := rand.Read(seed[:]); err != nil {
		panic("ballot: crypto/rand failed: " + err.Error())
	}
	c, err := credentialFromSeed(seed)
	if err != nil {
		// Only for a seed hashing to the scalar 0 (probability 2^-252).
		return NewCredential()
	}
	return c
}

func credentialFromSeed(seed [credentialSeedSize]byte) (*Credential, error) {
	x := group.HashToScalar(credentialDST, seed[:])
	if x.IsZero() {
		return nil, fmt.Errorf("%w: seed maps to the zero scalar", ErrInvalidCredential)
	}
	// Keep X as a decoded point: it carries its encoding, so the many
	// transcripts of a ballot that bind it do not each re-encode it.
	enc := group.BaseMul(x).Bytes()
	pub, err := group.DecodeElement(enc[:])
	if err != nil {
		return nil, fmt.Errorf("ballot: internal error: credential public key: %w", err)
	}
	return &Credential{seed: seed, x: x, pub: pub}, nil
}

// Public returns the credential's public key X = x·G.
func (c *Credential) Public() *group.Point { return c.pub }

// Secret returns the printable secret credential:
//
//	TC1-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX
//
// 32 base32 symbols (Crockford alphabet) of seed || checksum.
func (c *Credential) Secret() string {
	check := taggedHash(tagCredCheck, c.seed[:])
	payload := append(c.seed[:len(c.seed):len(c.seed)], check[:credentialCheck]...)
	return credentialPrefix + "-" + groupSymbols(base32Encode(payload), 4)
}

// String returns a redacted description naming only the public key.
func (c *Credential) String() string { return "ballot.Credential(public " + c.pub.String() + ")" }

// GoString is String, so %#v does not print the secret either.
func (c *Credential) GoString() string { return c.String() }

// ParseCredential decodes a printable credential. It accepts lowercase,
// spaces and hyphens anywhere, and the Crockford aliases O→0, I→1, L→1, and
// rejects anything else, including a wrong checksum (a typo). Errors never
// contain the input.
func ParseCredential(s string) (*Credential, error) {
	if len(s) > maxCredentialInput {
		return nil, fmt.Errorf("%w: %d characters, at most %d", ErrInvalidCredential, len(s), maxCredentialInput)
	}
	norm := normalizeSymbols(s)
	if !strings.HasPrefix(norm, credentialPrefix) {
		return nil, fmt.Errorf("%w: missing %s- prefix (unknown version)", ErrInvalidCredential, credentialPrefix)
	}
	payload, err := base32Decode(norm[len(credentialPrefix):], credentialSymbols)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCredential, err)
	}
	var seed [credentialSeedSize]byte
	copy(seed[:], payload)
	check := taggedHash(tagCredCheck, seed[:])
	if subtle.ConstantTimeCompare(check[:credentialCheck], payload[credentialSeedSize:]) != 1 {
		return nil, fmt.Errorf("%w: checksum mismatch (typo?)", ErrInvalidCredential)
	}
	return credentialFromSeed(seed)
}

// base32Alphabet is Crockford's base32 alphabet (no I, L, O, U).
const base32Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// base32Encode encodes b, whose bit length must be a multiple of 5, most
// significant bit first.
func base32Encode(b []byte) string {
	n := len(b) * 8 / 5
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		out[i] = base32Alphabet[bitsAt(b, 5*i)]
	}
	return string(out)
}

// bitsAt returns the 5 bits of b starting at bit offset off (MSB first),
// reading zero bits past the end.
func bitsAt(b []byte, off int) byte {
	var v byte
	for k := 0; k < 5; k++ {
		bit := off + k
		v <<= 1
		if bit/8 < len(b) && b[bit/8]&(0x80>>(bit%8)) != 0 {
			v |= 1
		}
	}
	return v
}

// base32Decode decodes exactly n normalised symbols (n·5 a multiple of 8).
func base32Decode(s string, n int) ([]byte, error) {
	if len(s) != n {
		return nil, fmt.Errorf("%d symbols, want %d", len(s), n)
	}
	out := make([]byte, n*5/8)
	for i := 0; i < n; i++ {
		v := strings.IndexByte(base32Alphabet, s[i])
		if v < 0 {
			return nil, fmt.Errorf("invalid symbol at position %d", i+1)
		}
		for k := 0; k < 5; k++ {
			if v&(0x10>>k) != 0 {
				bit := 5*i + k
				out[bit/8] |= 0x80 >> (bit % 8)
			}
		}
	}
	return out, nil
}

// normalizeSymbols upper-cases s, drops spaces and hyphens, and maps the
// Crockford aliases O→0, I→1, L→1.
func normalizeSymbols(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// groupSymbols joins s in hyphen-separated groups of k.
func groupSymbols(s string, k int) string {
	var parts []string
	for len(s) > k {
		parts = append(parts, s[:k])
		s = s[k:]
	}
	return strings.Join(append(parts, s), "-")
}
