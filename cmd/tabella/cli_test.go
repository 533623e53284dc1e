package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/service"
)

func lowScrypt(t *testing.T) {
	old := officialScryptLogN
	officialScryptLogN = 10
	t.Cleanup(func() { officialScryptLogN = old })
}

func TestOfficialInit(t *testing.T) {
	lowScrypt(t)
	dir := t.TempDir()
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("a long passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "official.key")
	code, out, errOut := runCmd(t, "official", "init", "--out", key, "--passphrase-file", pass)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	pub, err := parseOfficialKey(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	off, err := loadOfficial(&env{}, key, pass)
	if err != nil {
		t.Fatal(err)
	}
	if !off.Public().Equal(pub) {
		t.Fatal("the key file does not hold the printed key")
	}
	data, _ := os.ReadFile(key)
	if strings.Contains(string(data), hex.EncodeToString(off.Key.Seed())) {
		t.Fatal("the seed is in the key file in the clear")
	}
	if _, err := openOfficialKey(data, "another passphrase"); err == nil {
		t.Fatal("opened with the wrong passphrase")
	}
	if code, _, _ := runCmd(t, "official", "init", "--out", key, "--passphrase-file", pass); code != 1 {
		t.Fatalf("overwrote a key file (exit %d)", code)
	}
	if code, _, _ := runCmd(t, "official", "init"); code != 2 {
		t.Fatalf("missing --out: exit %d, want 2", code)
	}
}

func TestParseChoices(t *testing.T) {
	m, _, err := readManifest("../../ballot/testdata/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := parseChoices(m, "mayor=bob; council=dan,grace ;parks=north:5,south:3")
	if err != nil {
		t.Fatal(err)
	}
	want := ballot.Choices{"mayor": {0, 1, 0}, "council": {1, 0, 0, 1}, "parks": {5, 3}}
	for k, v := range want {
		if len(ch[k]) != len(v) {
			t.Fatalf("%s: %v", k, ch[k])
		}
		for i := range v {
			if ch[k][i] != v[i] {
				t.Fatalf("%s: %v, want %v", k, ch[k], v)
			}
		}
	}
	for _, bad := range []string{
		"mayor=alice,bob",           // over-vote
		"mayor=dave",                // no such option
		"senate=alice",              // no such contest
		"mayor",                     // no '='
		"mayor=alice;mayor=bob",     // twice
		"parks=north:9",             // over the max score
		"council=dan,erin,frank",    // over max_selections
		"mayor=alice;parks=north:x", // bad score
		"",                          // mayor requires one selection
	} {
		if _, err := parseChoices(m, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseChoicesRanked(t *testing.T) {
	m, _, err := readManifest("../../ballot/testdata/ranked-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	ch, err := parseChoices(m, "mayor=bob;budget=o3,o1;board=o2")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ch["budget"]) != "[3 1 0]" || fmt.Sprint(ch["board"]) != "[2 0]" {
		t.Fatalf("rankings %v %v, want [3 1 0] [2 0]", ch["budget"], ch["board"])
	}
	for _, bad := range []string{
		"mayor=bob",                    // budget needs one option ranked
		"mayor=bob;budget=o1,o1",       // repeat
		"mayor=bob;budget=o1,o2,o3,o4", // longer than L = 3
		"mayor=bob;budget=o9",          // no such option
	} {
		if _, err := parseChoices(m, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := randomChoices(m); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		ch, err := randomChoices(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := ch.Validate(m); err != nil {
			t.Fatalf("random choices %v: %v", ch, err)
		}
	}
}

func TestCredentialFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "creds")
	creds := []*ballot.Credential{ballot.NewCredential(), ballot.NewCredential()}
	if err := writeCredentials(dir, "http://vote.example", "e1", []string{"Ann", "Bob"}, creds); err != nil {
		t.Fatal(err)
	}
	for i, c := range creds {
		got, id, err := readCredential(filepath.Join(dir, []string{"voter-000001.txt", "voter-000002.txt"}[i]))
		if err != nil {
			t.Fatal(err)
		}
		if id != "e1" || got.Public().Bytes() != c.Public().Bytes() {
			t.Fatalf("voter %d: election %q, credential differs", i+1, id)
		}
	}
	f, err := os.Open(filepath.Join(dir, "credentials.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "voter" || rows[2][0] != "Bob" || rows[2][3] != creds[1].Secret() {
		t.Fatalf("csv: %v", rows)
	}
	if err := writeCredentials(dir, "x", "e1", []string{"C"}, creds[:1]); err == nil {
		t.Fatal("wrote into an existing directory")
	}
	// A bare secret is a credential file too; garbage is not.
	if _, _, err := parseCredentialFile([]byte(creds[0].Secret() + "\n")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseCredentialFile([]byte("credential: nope\n")); err == nil {
		t.Fatal("accepted a bad credential")
	}
}

func TestParseOfficialKeys(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(nil)
	h := hex.EncodeToString(pub)
	ks, err := parseOfficialKeys("# officials\n\n" + h + "\n")
	if err != nil || len(ks) != 1 || !ks[0].Equal(pub) {
		t.Fatalf("%v %v", ks, err)
	}
	for _, bad := range []string{strings.ToUpper(h), h[:62], h + "00", "zz"} {
		if _, err := parseOfficialKeys(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestElectionCommandsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"election", "create"},
		{"election", "roll", "--server", "http://x"},
		{"election", "open"},
		{"election", "status"},
		{"vote", "--server", "http://x"},
		{"receipt", "check"},
		{"export", "--server", "http://x"},
		{"demo", "--threshold", "9"},
	} {
		if code, _, errOut := runCmd(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}

func FuzzParseChoices(f *testing.F) {
	m, _, err := readManifest("../../ballot/testdata/manifest.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("mayor=bob;council=dan,grace;parks=north:5,south:3")
	f.Add("mayor=alice:99999999999")
	f.Fuzz(func(t *testing.T, spec string) {
		ch, err := parseChoices(m, spec)
		if err == nil {
			if verr := ch.Validate(m); verr != nil {
				t.Fatalf("accepted invalid choices %q: %v", spec, verr)
			}
		} else if ch != nil {
			t.Fatal("choices with an error")
		}
	})
}

func FuzzParseCredentialFile(f *testing.F) {
	f.Add([]byte("# x\nvoter: 1\nelection: e1\ncredential: " + ballot.NewCredential().Secret() + "\n"))
	f.Add([]byte("credential:"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := parseCredentialFile(data)
		if (err == nil) != (c != nil) {
			t.Fatal("credential and error disagree")
		}
	})
}

func FuzzOpenOfficialKey(f *testing.F) {
	f.Add([]byte("age-encryption.org/v1\n-> scrypt abc 10\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := openOfficialKey(data, "a long passphrase")
		if err == nil && len(k) != ed25519.PrivateKeySize {
			t.Fatal("bad key without error")
		}
		if err != nil && k != nil {
			t.Fatal("key with an error")
		}
	})
}

// TestServeTLSAndShutdown: the server serves HTTPS with the given
// certificate, mounts the API, and shuts down cleanly.
func TestServeTLSAndShutdown(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, certFile, keyFile)
	skey, _, err := note.GenerateKey(rand.Reader, "tls.test")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv, err := startServer(ctx, serverConfig{dsn: "sqlite:" + filepath.Join(dir, "b.db"), addr: "127.0.0.1:0", boardKey: skey,
		logger: slog.New(slog.NewTextHandler(io.Discard, nil)), tlsCert: certFile, tlsKey: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(srv.url, "https://") {
		t.Fatalf("url %s", srv.url)
	}
	certPEM, _ := os.ReadFile(certFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(srv.url + "/v1/board")
	if err != nil {
		t.Fatal(err)
	}
	var b service.BoardJSON
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || b.Name != "tls.test" {
		t.Fatalf("board: %+v %v", b, err)
	}
	resp.Body.Close()
	if err := srv.shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := hc.Get(srv.url + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func writeSelfSigned(t *testing.T, certFile, keyFile string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pemEncode("CERTIFICATE", der), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pemEncode("PRIVATE KEY", kder), 0o600); err != nil {
		t.Fatal(err)
	}
}

func pemEncode(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
