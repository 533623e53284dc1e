package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/tabella-vote/tabella/tally/trustee"
)

// trusteeScryptLogN is the scrypt work factor of new key files (0: age's
// default, 2^18). Tests lower it.
var trusteeScryptLogN = 0

const trusteeInitUsage = `Usage: tabella trustee init --out FILE [--name NAME] [--passphrase-file FILE]

Generates a trustee's long-term keys: an Ed25519 signing key and an HPKE
X25519 key for receiving key-ceremony shares. The secret keys are written to
FILE encrypted with a passphrase (age, scrypt), mode 0600; FILE must not
exist. The public part is printed on stdout as JSON: send it to the election
official, who registers it.

The passphrase is read from the terminal (twice, not echoed), or from the
first line of --passphrase-file. It must be at least 8 bytes.
`

const trusteeInitExample = `tabella trustee init --name "Alice Martin" --out alice.key > alice.pub.json`

func init() {
	register(&command{
		name:    "trustee init",
		summary: "make a trustee's keys (encrypted key file + public record)",
		usage:   trusteeInitUsage,
		example: trusteeInitExample,
		run:     runTrusteeInit,
	})
}

func runTrusteeInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "trustee init")
	out := fs.String("out", "", "the key `FILE` to create (must not exist)")
	name := fs.String("name", "", "display `NAME` in the public record")
	passFile := fs.String("passphrase-file", "", "read the new passphrase from the first line of `FILE` instead of the terminal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s already exists; not overwriting a key file", *out)
	}
	pass, err := readNewPassphrase(e, *passFile)
	if err != nil {
		return err
	}
	id, err := trustee.Generate(*name)
	if err != nil {
		return err
	}
	data, err := id.Seal(pass, trusteeScryptLogN)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating key file: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(*out)
		return fmt.Errorf("writing key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(*out)
		return fmt.Errorf("writing key file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(*out)
		return fmt.Errorf("writing key file: %w", err)
	}
	fmt.Fprintf(e.stderr, "wrote %s (mode 0600); register the public record below with the election official\n", *out)
	fmt.Fprintf(e.stdout, "%s\n", id.Public().Marshal())
	return nil
}

// readNewPassphrase reads the passphrase for a new key file from path's first
// line, or from the terminal twice. It never echoes it.
func readNewPassphrase(e *env, path string) (string, error) {
	if path != "" {
		return readPassphraseFile(path)
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", fmt.Errorf("%w: no terminal to read the passphrase from; use --passphrase-file", errUsage)
	}
	fmt.Fprint(e.stderr, "passphrase: ")
	p1, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("reading passphrase: %w", err)
	}
	fmt.Fprint(e.stderr, "passphrase (again): ")
	p2, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("reading passphrase: %w", err)
	}
	if !bytes.Equal(p1, p2) {
		return "", errors.New("the passphrases differ")
	}
	return string(p1), nil
}

// readPassphraseFile returns the first line of path, without its line ending.
func readPassphraseFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("reading passphrase file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", fmt.Errorf("reading passphrase file: %w", err)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return "", errors.New("passphrase file is empty")
	}
	return string(b), nil
}
