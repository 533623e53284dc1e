package bulletin

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Witness cosignatures follow C2SP tlog-cosignature (e2e/SPEC.md §8.5): a
// witness with name N and Ed25519 key pair (pub, priv) signs
//
//	"cosignature/v1\ntime " || decimal(T) || "\n" || checkpoint body
//
// where T is unix seconds, and appends to the note the line
//
//	"— " N " " base64(keyID || u64be(T) || signature)
//
// with keyID = SHA-256(N || 0x0A || 0x04 || pub)[:4].

const cosigAlg = 0x04

func cosigKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', cosigAlg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosigMessage(t uint64, text []byte) []byte {
	m := []byte("cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n")
	return append(m, text...)
}

type cosigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	now  func() time.Time
}

// NewCosigner returns a note signer that produces C2SP tlog-cosignature
// cosignatures with the Ed25519 key inside the note signer key skey (the
// format of [note.GenerateKey]). now may be nil for time.Now.
func NewCosigner(skey string, now func() time.Time) (note.Signer, error) {
	name, priv, err := parseNoteSKey(skey)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &cosigner{name: name, hash: cosigKeyHash(name, pub), priv: priv, now: now}, nil
}

func (c *cosigner) Name() string    { return c.name }
func (c *cosigner) KeyHash() uint32 { return c.hash }
func (c *cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	sig := ed25519.Sign(c.priv, cosigMessage(t, msg))
	return append(binary.BigEndian.AppendUint64(nil, t), sig...), nil
}

// CosignerVerifierKey returns the public verifier key of a cosigner key in
// the form "<name>+<hex keyID>+base64(0x04 || pub)".
func CosignerVerifierKey(skey string) (string, error) {
	name, priv, err := parseNoteSKey(skey)
	if err != nil {
		return "", err
	}
	pub := priv.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", name, cosigKeyHash(name, pub), base64.StdEncoding.EncodeToString(append([]byte{cosigAlg}, pub...))), nil
}

type cosigVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewCosignatureVerifier parses a witness verifier key
// "<name>+<hex keyID>+base64(0x04 || pub)" and returns a note verifier of
// its cosignatures.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hexHash, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || !ValidBoardName(name) || len(hexHash) != 8 {
		return nil, fmt.Errorf("%w: malformed witness key", ErrCheckpoint)
	}
	h, err := strconv.ParseUint(hexHash, 16, 32)
	key, err2 := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || err2 != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != cosigAlg || fmt.Sprintf("%08x", h) != hexHash {
		return nil, fmt.Errorf("%w: malformed witness key", ErrCheckpoint)
	}
	pub := ed25519.PublicKey(key[1:])
	if uint32(h) != cosigKeyHash(name, pub) {
		return nil, fmt.Errorf("%w: witness key hash does not match", ErrCheckpoint)
	}
	return &cosigVerifier{name: name, hash: uint32(h), pub: pub}, nil
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	return ed25519.Verify(v.pub, cosigMessage(t, msg), sig[8:])
}

// parseNoteSKey extracts the name and Ed25519 private key from a note
// signer key "PRIVATE+KEY+<name>+<hash>+base64(0x01 || seed)".
func parseNoteSKey(skey string) (string, ed25519.PrivateKey, error) {
	if _, err := note.NewSigner(skey); err != nil {
		return "", nil, fmt.Errorf("%w: malformed signer key", ErrCheckpoint)
	}
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 {
		return "", nil, fmt.Errorf("%w: malformed signer key", ErrCheckpoint)
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", nil, fmt.Errorf("%w: malformed signer key", ErrCheckpoint)
	}
	return parts[2], ed25519.NewKeyFromSeed(key[1:]), nil
}
