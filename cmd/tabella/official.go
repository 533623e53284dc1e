package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
)

// `tabella official init`: an election official's signing key.

func init() {
	register(&command{
		name:    "official init",
		summary: "make an election official's signing key (encrypted key file)",
		usage: `Usage: tabella official init --out FILE [--passphrase-file FILE]

Generates an official's Ed25519 signing key and writes it to FILE encrypted
with a passphrase (age, scrypt), mode 0600; FILE must not exist. The public
key is printed on stdout in hex: configure the server with it
('tabella serve --official KEY' or a line of --officials FILE). Every
official action (setup, manifest, roll, open, close) is an entry on the
board signed with this key; no reusable secret is ever sent to the server.

The passphrase is read from the terminal (twice), or from the first line of
--passphrase-file. It must be at least 8 bytes.
`,
		example: "tabella official init --out official.key > official.pub",
		run:     runOfficialInit,
	})
}

func runOfficialInit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "official init")
	out := fs.String("out", "", "the new key `FILE` (must not exist)")
	passFile := fs.String("passphrase-file", "", "read the passphrase from the first line of `FILE` instead of the terminal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := requireFlags("out", *out); err != nil {
		return err
	}
	if _, err := os.Lstat(*out); err == nil {
		return fmt.Errorf("%s already exists; not overwriting a key file", *out)
	}
	pass, err := readNewPassphrase(e, *passFile)
	if err != nil {
		return err
	}
	k := newOfficialKey()
	data, err := sealOfficialKey(k, pass)
	if err != nil {
		return err
	}
	if err := writeNewFile(*out, data, 0o600); err != nil {
		return fmt.Errorf("writing key file: %w", err)
	}
	fmt.Fprintf(e.stderr, "wrote %s (mode 0600); configure the server with the public key below\n", *out)
	fmt.Fprintln(e.stdout, hex.EncodeToString(k.Public().(ed25519.PublicKey)))
	return nil
}
