// Package officialkey reads and writes an election official's key file:
// an Ed25519 signing key encrypted to a passphrase with age (scrypt). The
// same code opens the file in the command line (`tabella official init`,
// `tabella election …`) and in the browser (cmd/tabellawasm, the
// officials' console), so both accept exactly the same files and refuse
// the same mistakes with the same errors.
//
// The plaintext inside the age encryption is the canonical JSON
// {"seed":"<64 hex>","version":"tabella-official-key/v1"}.
//
// # Errors
//
// [Open] tells apart what an official can get wrong: [ErrPassphrase] (the
// passphrase does not open the file), [ErrOtherKind] (a file of another
// kind: a trustee's key file or public record, a voter's credential, a
// file encrypted to a key instead of a passphrase) and [ErrCorrupt] (an
// age file that does not decrypt or decode). Messages never contain the
// passphrase or key material.
package officialkey

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// Version labels the plaintext of an official's key file.
const Version = "tabella-official-key/v1"

// MinPassphraseLen is the shortest passphrase Seal accepts.
const MinPassphraseLen = 8

// trusteeKeyVersion is tally/trustee.KeyFileVersion, named here so that
// a trustee's key file opened by mistake is recognised (this package does
// not import the trustee's).
const trusteeKeyVersion = "tabella-trustee-key/v1"

// MaxFileSize bounds a key file (a real one is about 300 bytes).
const MaxFileSize = 4096

// The errors of Open.
var (
	ErrPassphrase = errors.New("officialkey: wrong passphrase")
	ErrOtherKind  = errors.New("officialkey: not an official's key file")
	ErrCorrupt    = errors.New("officialkey: the key file is damaged")
	ErrWeakPass   = errors.New("officialkey: the passphrase must be at least 8 bytes")
)

// keyFile is the plaintext inside the age encryption.
type keyFile struct {
	Version string `json:"version"`
	Seed    string `json:"seed"` // RFC 8032 private key seed, hex
}

// Seal encrypts key to pass at scrypt work factor 2^logN (0: age's
// default, 2^18).
func Seal(key ed25519.PrivateKey, pass string, logN int) ([]byte, error) {
	if len(pass) < MinPassphraseLen {
		return nil, ErrWeakPass
	}
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, fmt.Errorf("officialkey: %w", err)
	}
	if logN != 0 {
		r.SetWorkFactor(logN)
	}
	plain, err := canon.Marshal(&keyFile{Version: Version, Seed: hex.EncodeToString(key.Seed())})
	if err != nil {
		return nil, fmt.Errorf("officialkey: internal error: marshal key file")
	}
	defer clear(plain)
	var out bytes.Buffer
	w, err := age.Encrypt(&out, r)
	if err != nil {
		return nil, fmt.Errorf("officialkey: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("officialkey: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("officialkey: %w", err)
	}
	return out.Bytes(), nil
}

// ageMagic starts every age file (the binary form, which Seal writes).
var ageMagic = []byte("age-encryption.org/")

// Open decrypts an official's key file with pass.
func Open(data []byte, pass string) (ed25519.PrivateKey, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %d bytes, an official's key file has at most %d", ErrOtherKind, len(data), MaxFileSize)
	}
	if !bytes.HasPrefix(data, ageMagic) {
		return nil, fmt.Errorf("%w: %s", ErrOtherKind, plainKind(data))
	}
	if pass == "" {
		return nil, ErrPassphrase
	}
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, ErrPassphrase
	}
	r, err := age.Decrypt(bytes.NewReader(data), id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			if bytes.Contains(data, []byte("\n-> scrypt ")) {
				return nil, ErrPassphrase
			}
			return nil, fmt.Errorf("%w: it is encrypted to a key, not to a passphrase", ErrOtherKind)
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer clear(plain)
	var kf keyFile
	if err := canon.Unmarshal(plain, &kf, MaxFileSize); err != nil {
		// Another Tabella key file under the same passphrase (a
		// trustee's) decrypts, but does not decode as an official's.
		var v struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(plain, &v) == nil && v.Version == trusteeKeyVersion {
			return nil, fmt.Errorf("%w: it is a trustee's key file", ErrOtherKind)
		}
		return nil, fmt.Errorf("%w: malformed contents", ErrCorrupt)
	}
	if kf.Version != Version {
		return nil, fmt.Errorf("%w: version %q, want %q", ErrOtherKind, kf.Version, Version)
	}
	seed, err := hex.DecodeString(kf.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: malformed seed", ErrCorrupt)
	}
	defer clear(seed)
	return ed25519.NewKeyFromSeed(seed), nil
}

// plainKind names what an unencrypted file looks like, for the error.
func plainKind(data []byte) string {
	s := string(data[:min(len(data), 512)])
	switch {
	case len(data) == 0:
		return "the file is empty"
	case strings.Contains(s, "Tabella voting credential") || strings.Contains(s, "credential:"):
		return "it is a voter's credential"
	case strings.Contains(s, `"tabella-trustee/v1"`):
		return "it is a trustee's public record (.pub.json)"
	case strings.Contains(s, `"`+trusteeKeyVersion+`"`):
		return "it is a trustee's key file"
	default:
		return "it is not an age-encrypted file (an official's key file starts with age-encryption.org/)"
	}
}
