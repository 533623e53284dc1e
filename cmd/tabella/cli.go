package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/tabella-vote/tabella/cmd/internal/officialkey"
	"github.com/tabella-vote/tabella/e2e/service"
)

// Shared helpers of the officials' and voters' commands.

// officialScryptLogN is the scrypt work factor of new official key files
// (0: age's default, 2^18). Tests lower it.
var officialScryptLogN = 0

// sealOfficialKey encrypts an official's Ed25519 key to a passphrase
// (cmd/internal/officialkey, the same code as the officials' console).
func sealOfficialKey(key ed25519.PrivateKey, pass string) ([]byte, error) {
	return officialkey.Seal(key, pass, officialScryptLogN)
}

// openOfficialKey decrypts an official's key file.
func openOfficialKey(data []byte, pass string) (ed25519.PrivateKey, error) {
	return officialkey.Open(data, pass)
}

// readPassphrase reads an existing key file's passphrase from path's first
// line, or once from the terminal.
func readPassphrase(e *env, path string) (string, error) {
	if path != "" {
		return readPassphraseFile(path)
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", fmt.Errorf("%w: no terminal to read the passphrase from; use --passphrase-file", errUsage)
	}
	fmt.Fprint(e.stderr, "passphrase: ")
	p, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("reading passphrase: %w", err)
	}
	return string(p), nil
}

// loadOfficial opens the official's key file.
func loadOfficial(e *env, keyFile, passFile string) (service.Official, error) {
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return service.Official{}, hintIfMissing(fmt.Errorf("reading key file: %w", err), "tabella official init --out "+keyFile, "to make an official's key file")
	}
	pass, err := readPassphrase(e, passFile)
	if err != nil {
		return service.Official{}, err
	}
	k, err := openOfficialKey(data, pass)
	if err != nil {
		return service.Official{}, fmt.Errorf("%s: %w", keyFile, err)
	}
	return service.Official{Key: k}, nil
}

// newOfficialKey draws a fresh Ed25519 key from crypto/rand.
func newOfficialKey() ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("tabella: crypto/rand failed: " + err.Error())
	}
	return k
}

// writeNewFile creates path (which must not exist) with mode perm.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// parseOfficialKeys parses Ed25519 public keys in hex, one per line (blank
// lines and # comments ignored).
func parseOfficialKeys(text string) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := parseOfficialKey(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}

func parseOfficialKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize || hex.EncodeToString(b) != s {
		return nil, fmt.Errorf("official key %q is not 64 lowercase hex characters", s)
	}
	return ed25519.PublicKey(b), nil
}

// requireFlags returns a usage error naming the first empty flag.
func requireFlags(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			return fmt.Errorf("%w: --%s is required", errUsage, kv[i])
		}
	}
	return nil
}

// Descriptions of the flags many commands share, so their help reads alike.
const (
	serverFlagDoc   = "the election server `URL`, e.g. https://vote.example"
	electionFlagDoc = "the election `ID`"
	passFlagDoc     = "read the key file's passphrase from the first line of `FILE` instead of the terminal"
	officialKeyDoc  = "the official's key `FILE` ('tabella official init')"
)
