// Package trustee holds a trustee's long-term identity: an Ed25519 signing
// key that authenticates every message the trustee posts on the board, and an
// HPKE (RFC 9180) X25519 key on which the trustee receives its key-ceremony
// shares (e2e/SPEC.md §9.1).
//
// # Keys and algorithms
//
// The signing key is Ed25519 (RFC 8032, crypto/ed25519): it is the signature
// scheme every board client already has, and its 32-byte public keys and
// 64-byte signatures have a single encoding. (A ristretto255 Schnorr
// signature would have worked as well, but would be one more spec'd proof for
// independent verifiers to implement.) Trustee messages are signed over a
// domain-separated, length-prefixed encoding of the message type and the exact
// payload bytes ([SignedBytes]).
//
// The share-encryption key is an HPKE key for the suite
// DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20Poly1305, from
// github.com/cloudflare/circl/hpke, used in base mode; the sender is
// authenticated by its signature on the board entry that carries the
// ciphertext, and the HPKE info string binds the ceremony and the pair of
// trustees ([Public.Seal], [Identity.Open]).
//
// # Key file
//
// [Identity.Seal] writes the secret keys as canonical JSON encrypted with
// filippo.io/age to a passphrase (age's scrypt recipient, work factor 2^18 by
// default); [OpenKeyFile] reverses it. The package does no file I/O: the
// command writes the bytes with mode 0600. The public part ([Public]) is what
// the election official registers.
package trustee

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"filippo.io/age"
	"github.com/cloudflare/circl/hpke"
	"github.com/cloudflare/circl/kem"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// Version labels of the encodings in this package.
const (
	PublicVersion  = "tabella-trustee/v1"
	KeyFileVersion = "tabella-trustee-key/v1"
)

// Limits on untrusted input.
const (
	// MaxNameLen bounds a trustee's display name, in bytes.
	MaxNameLen = 128
	// MaxPublicSize bounds the JSON of a [Public].
	MaxPublicSize = 1024
	// MaxKeyFileSize bounds an encrypted key file.
	MaxKeyFileSize = 16 << 10
	// MinPassphraseLen is the shortest passphrase [Identity.Seal] accepts.
	MinPassphraseLen = 8
)

// Suite is the HPKE suite of share encryption (RFC 9180 identifiers 0x0020,
// 0x0001, 0x0003).
var Suite = hpke.NewSuite(hpke.KEM_X25519_HKDF_SHA256, hpke.KDF_HKDF_SHA256, hpke.AEAD_ChaCha20Poly1305)

var kemScheme = hpke.KEM_X25519_HKDF_SHA256.Scheme()

// Errors. They are wrapped with detail; test with errors.Is.
var (
	ErrBadPublic     = errors.New("trustee: malformed public key record")
	ErrBadKeyFile    = errors.New("trustee: malformed key file")
	ErrPassphrase    = errors.New("trustee: wrong passphrase or not a trustee key file")
	ErrWeakPass      = errors.New("trustee: passphrase too short")
	ErrBadSignature  = errors.New("trustee: invalid signature")
	ErrDecryption    = errors.New("trustee: cannot decrypt")
	ErrBadCiphertext = errors.New("trustee: malformed HPKE ciphertext")
)

// Key32 is a 32-byte key or hash, in JSON 64 lowercase hexadecimal
// characters.
type Key32 [32]byte

// MarshalText encodes k as 64 lowercase hexadecimal characters.
func (k Key32) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(k[:])), nil }

// UnmarshalText decodes exactly 64 lowercase hexadecimal characters.
func (k *Key32) UnmarshalText(text []byte) error {
	b, err := DecodeHex(text, 32)
	if err != nil {
		return err
	}
	copy(k[:], b)
	return nil
}

// DecodeHex decodes lowercase hexadecimal text of exactly n bytes.
func DecodeHex(text []byte, n int) ([]byte, error) {
	if len(text) != 2*n {
		return nil, fmt.Errorf("trustee: hex value is %d characters, want %d", len(text), 2*n)
	}
	for _, c := range text {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return nil, errors.New("trustee: hex value is not lowercase hexadecimal")
		}
	}
	b := make([]byte, n)
	if _, err := hex.Decode(b, text); err != nil {
		return nil, fmt.Errorf("trustee: bad hex: %v", err)
	}
	return b, nil
}

// Public is the public identity of a trustee, what the official registers
// (e2e/SPEC.md §9.1). Its JSON form is
//
//	{"version":"tabella-trustee/v1","name":"…","signing_key":"<hex32>","hpke_key":"<hex32>"}
type Public struct {
	Version    string `json:"version"`
	Name       string `json:"name"`
	SigningKey Key32  `json:"signing_key"` // Ed25519 public key
	HPKEKey    Key32  `json:"hpke_key"`    // X25519 public key (RFC 7748 encoding)
}

// ParsePublic decodes and checks a [Public] from canonical JSON.
func ParsePublic(data []byte) (*Public, error) {
	var p Public
	if err := canon.Unmarshal(data, &p, MaxPublicSize); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPublic, err)
	}
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Check validates the fields of p: version, name, and that the HPKE key is a
// usable X25519 public key.
func (p *Public) Check() error {
	if p.Version != PublicVersion {
		return fmt.Errorf("%w: version %q, want %q", ErrBadPublic, p.Version, PublicVersion)
	}
	if err := checkName(p.Name); err != nil {
		return err
	}
	if _, err := kemScheme.UnmarshalBinaryPublicKey(p.HPKEKey[:]); err != nil {
		return fmt.Errorf("%w: HPKE key: %v", ErrBadPublic, err)
	}
	if p.HPKEKey == (Key32{}) || p.SigningKey == (Key32{}) {
		return fmt.Errorf("%w: all-zero key", ErrBadPublic)
	}
	return nil
}

func checkName(name string) error {
	if len(name) > MaxNameLen || !utf8.ValidString(name) {
		return fmt.Errorf("%w: name longer than %d bytes or not UTF-8", ErrBadPublic, MaxNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: control character in name", ErrBadPublic)
		}
	}
	return nil
}

// Marshal returns the canonical JSON of p.
func (p *Public) Marshal() []byte {
	b, err := canon.Marshal(p)
	if err != nil {
		panic("trustee: internal error: marshal public: " + err.Error())
	}
	return b
}

// An Identity is a trustee's secret keys. Keep it in memory only as long as
// needed; it never appears in logs or errors.
type Identity struct {
	name    string
	signing ed25519.PrivateKey
	hpkeSK  kem.PrivateKey
	hpkeRaw [32]byte
}

// Generate makes a new identity from crypto/rand.
func Generate(name string) (*Identity, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	_, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("trustee: generating signing key: %w", err)
	}
	var seed [32]byte
	if _, err := io.ReadFull(rand.Reader, seed[:]); err != nil {
		return nil, fmt.Errorf("trustee: generating HPKE key: %w", err)
	}
	_, hsk := kemScheme.DeriveKeyPair(seed[:])
	raw, err := hsk.MarshalBinary()
	if err != nil || len(raw) != 32 {
		return nil, errors.New("trustee: internal error: HPKE private key encoding")
	}
	id := &Identity{name: name, signing: sk, hpkeSK: hsk}
	copy(id.hpkeRaw[:], raw)
	return id, nil
}

// Public returns the public part of id.
func (id *Identity) Public() *Public {
	p := &Public{Version: PublicVersion, Name: id.name}
	copy(p.SigningKey[:], id.signing.Public().(ed25519.PublicKey))
	pk, err := id.hpkeSK.Public().MarshalBinary()
	if err != nil || len(pk) != 32 {
		panic("trustee: internal error: HPKE public key encoding")
	}
	copy(p.HPKEKey[:], pk)
	return p
}

// keyFile is the plaintext inside the age encryption (e2e/SPEC.md §9.1).
type keyFile struct {
	Version     string `json:"version"`
	Name        string `json:"name"`
	SigningSeed Key32  `json:"signing_seed"` // RFC 8032 private key seed
	HPKEPrivate Key32  `json:"hpke_private"` // X25519 private key
}

// Seal encrypts id to passphrase with age's scrypt recipient at work factor
// 2^logN (0 means age's default, 18) and returns the key file bytes.
func (id *Identity) Seal(passphrase string, logN int) ([]byte, error) {
	if len(passphrase) < MinPassphraseLen {
		return nil, fmt.Errorf("%w: at least %d bytes", ErrWeakPass, MinPassphraseLen)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("trustee: %w", err)
	}
	if logN != 0 {
		r.SetWorkFactor(logN)
	}
	kf := keyFile{Version: KeyFileVersion, Name: id.name, HPKEPrivate: id.hpkeRaw}
	copy(kf.SigningSeed[:], id.signing.Seed())
	plain, err := canon.Marshal(&kf)
	if err != nil {
		return nil, fmt.Errorf("trustee: internal error: marshal key file")
	}
	defer clear(plain)
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, fmt.Errorf("trustee: encrypting key file: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("trustee: encrypting key file: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("trustee: encrypting key file: %w", err)
	}
	return out.Bytes(), nil
}

// OpenKeyFile decrypts a key file written by [Identity.Seal].
func OpenKeyFile(data []byte, passphrase string) (*Identity, error) {
	if len(data) > MaxKeyFileSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadKeyFile, len(data), MaxKeyFileSize)
	}
	ident, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w", ErrPassphrase)
	}
	r, err := age.Decrypt(bytes.NewReader(data), ident)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, ErrPassphrase
		}
		return nil, fmt.Errorf("%w: %v", ErrBadKeyFile, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKeyFile, err)
	}
	defer clear(plain)
	return parseKeyFile(plain)
}

func parseKeyFile(plain []byte) (*Identity, error) {
	var kf keyFile
	if err := canon.Unmarshal(plain, &kf, MaxKeyFileSize); err != nil {
		return nil, fmt.Errorf("%w: contents: %w", ErrBadKeyFile, err)
	}
	defer clear(kf.SigningSeed[:])
	if kf.Version != KeyFileVersion {
		return nil, fmt.Errorf("%w: version %q, want %q", ErrBadKeyFile, kf.Version, KeyFileVersion)
	}
	if err := checkName(kf.Name); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKeyFile, err)
	}
	hsk, err := kemScheme.UnmarshalBinaryPrivateKey(kf.HPKEPrivate[:])
	if err != nil {
		return nil, fmt.Errorf("%w: HPKE private key", ErrBadKeyFile)
	}
	return &Identity{
		name:    kf.Name,
		signing: ed25519.NewKeyFromSeed(kf.SigningSeed[:]),
		hpkeSK:  hsk,
		hpkeRaw: kf.HPKEPrivate,
	}, nil
}

// SignedBytes returns the bytes a trustee signs for a message of type typ
// with the given payload in the election with id election (e2e/SPEC.md
// §9.1):
//
//	field("tabella","v1") || field("purpose","trustee-message") || field("election",election) ||
//	field("type",typ) || field("payload",payload)
//
// with field(l, v) = u32be(len(l)) || l || u64be(len(v)) || v. Naming the
// election makes a trustee's signed message worthless on any other
// election's board, whatever its payload says.
func SignedBytes(election, typ string, payload []byte) []byte {
	b := make([]byte, 0, 96+len(election)+len(typ)+len(payload))
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("trustee-message"))
	b = field(b, "election", []byte(election))
	b = field(b, "type", []byte(typ))
	b = field(b, "payload", payload)
	return b
}

func field(b []byte, label string, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
	return append(b, v...)
}

// Sign signs a message of type typ in election with the trustee's signing key.
func (id *Identity) Sign(election, typ string, payload []byte) [ed25519.SignatureSize]byte {
	var s [ed25519.SignatureSize]byte
	copy(s[:], ed25519.Sign(id.signing, SignedBytes(election, typ, payload)))
	return s
}

// Verify checks sig on a message of type typ from p in election.
func (p *Public) Verify(election, typ string, payload []byte, sig [ed25519.SignatureSize]byte) error {
	if !ed25519.Verify(ed25519.PublicKey(p.SigningKey[:]), SignedBytes(election, typ, payload), sig[:]) {
		return ErrBadSignature
	}
	return nil
}

// Sizes of an HPKE-encrypted 32-byte secret: the encapsulated key and the
// AEAD ciphertext (plaintext plus 16-byte tag).
const (
	EncSize = 32
	TagSize = 16
)

// Seal encrypts plaintext to p's HPKE key in base mode with the given info
// string and empty associated data. It returns the encapsulated key and the
// ciphertext.
func (p *Public) Seal(info, plaintext []byte) (enc [EncSize]byte, ct []byte, err error) {
	pk, err := kemScheme.UnmarshalBinaryPublicKey(p.HPKEKey[:])
	if err != nil {
		return enc, nil, fmt.Errorf("%w: HPKE key: %v", ErrBadPublic, err)
	}
	s, err := Suite.NewSender(pk, info)
	if err != nil {
		return enc, nil, fmt.Errorf("trustee: HPKE: %w", err)
	}
	e, sealer, err := s.Setup(rand.Reader)
	if err != nil {
		return enc, nil, fmt.Errorf("trustee: HPKE: %w", err)
	}
	ct, err = sealer.Seal(plaintext, nil)
	if err != nil {
		return enc, nil, fmt.Errorf("trustee: HPKE: %w", err)
	}
	if len(e) != EncSize {
		return enc, nil, errors.New("trustee: internal error: HPKE enc size")
	}
	copy(enc[:], e)
	return enc, ct, nil
}

// Open decrypts an HPKE ciphertext sealed to id with the same info string.
// Its errors never say more than that decryption failed.
func (id *Identity) Open(info []byte, enc [EncSize]byte, ct []byte) ([]byte, error) {
	r, err := Suite.NewReceiver(id.hpkeSK, info)
	if err != nil {
		return nil, ErrDecryption
	}
	o, err := r.Setup(enc[:])
	if err != nil {
		return nil, ErrDecryption
	}
	pt, err := o.Open(ct, nil)
	if err != nil {
		return nil, ErrDecryption
	}
	return pt, nil
}

// Name returns the trustee's display name.
func (id *Identity) Name() string { return id.name }

// String describes id without its secrets, so that printing an Identity by
// mistake leaks nothing.
func (id *Identity) String() string {
	pub := id.Public()
	return fmt.Sprintf("trustee.Identity(%q, signing key %x…, secrets redacted)", id.name, pub.SigningKey[:8])
}

// GoString is [Identity.String], for %#v.
func (id *Identity) GoString() string { return id.String() }
