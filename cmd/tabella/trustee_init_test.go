package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/tally/trustee"
)

func TestTrusteeInit(t *testing.T) {
	old := trusteeScryptLogN
	trusteeScryptLogN = 10
	t.Cleanup(func() { trusteeScryptLogN = old })

	dir := t.TempDir()
	passFile := filepath.Join(dir, "pass")
	if err := os.WriteFile(passFile, []byte("a long passphrase\nignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "alice.key")
	code, out, errOut := runCmd(t, "trustee", "init", "--name", "Alice", "--out", keyFile, "--passphrase-file", passFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out+errOut, "a long passphrase") {
		t.Fatal("passphrase echoed")
	}
	pub, err := trustee.ParsePublic([]byte(strings.TrimSuffix(out, "\n")))
	if err != nil {
		t.Fatalf("stdout is not a public record: %v\n%s", err, out)
	}
	if pub.Name != "Alice" {
		t.Errorf("name %q", pub.Name)
	}
	st, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(keyFile)
	id, err := trustee.OpenKeyFile(data, "a long passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if string(id.Public().Marshal()) != string(pub.Marshal()) {
		t.Error("printed public record does not match the key file")
	}

	// Never overwrites.
	code, _, errOut = runCmd(t, "trustee", "init", "--out", keyFile, "--passphrase-file", passFile)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("overwrite: exit %d, %s", code, errOut)
	}
	// No terminal and no passphrase file: usage error.
	code, _, errOut = runCmd(t, "trustee", "init", "--out", filepath.Join(dir, "b.key"))
	if code != 2 || !strings.Contains(errOut, "passphrase-file") {
		t.Errorf("no passphrase: exit %d, %s", code, errOut)
	}
	// Missing --out.
	if code, _, _ = runCmd(t, "trustee", "init"); code != 2 {
		t.Errorf("missing --out: exit %d", code)
	}
	// Short passphrase.
	os.WriteFile(passFile, []byte("short\n"), 0o600)
	code, _, errOut = runCmd(t, "trustee", "init", "--out", filepath.Join(dir, "c.key"), "--passphrase-file", passFile)
	if code != 1 || !strings.Contains(errOut, "too short") {
		t.Errorf("short passphrase: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.key")); err == nil {
		t.Error("key file written despite the error")
	}
}
