package trustee

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const testLogN = 10 // fast scrypt for tests only

func TestKeyFileRoundTrip(t *testing.T) {
	id, err := Generate("Alice")
	if err != nil {
		t.Fatal(err)
	}
	data, err := id.Seal("correct horse battery", testLogN)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte("Alice")) {
		t.Fatal("key file leaks its contents in the clear")
	}
	got, err := OpenKeyFile(data, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Public().Marshal(), id.Public().Marshal()) {
		t.Fatal("public key changed through the key file")
	}
	sig := got.Sign("e1", "x", []byte("payload"))
	if err := id.Public().Verify("e1", "x", []byte("payload"), sig); err != nil {
		t.Fatal(err)
	}

	if _, err := OpenKeyFile(data, "wrong horse battery"); !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: got %v", err)
	}
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 1
	if _, err := OpenKeyFile(bad, "correct horse battery"); err == nil {
		t.Fatal("tampered key file opened")
	}
	if _, err := id.Seal("short", testLogN); !errors.Is(err, ErrWeakPass) {
		t.Fatalf("short passphrase: got %v", err)
	}
	if _, err := OpenKeyFile(make([]byte, MaxKeyFileSize+1), "x"); !errors.Is(err, ErrBadKeyFile) {
		t.Fatalf("oversized key file: got %v", err)
	}
}

func TestIdentityPrintsNoSecret(t *testing.T) {
	id, _ := Generate("Eve")
	seed := fmt.Sprintf("%x", id.signing.Seed())
	hk := fmt.Sprintf("%x", id.hpkeRaw[:])
	for _, s := range []string{fmt.Sprint(id), fmt.Sprintf("%v %+v %#v %s", id, id, id, id)} {
		if strings.Contains(s, seed) || strings.Contains(s, hk) || !strings.Contains(s, "redacted") {
			t.Fatalf("identity printed as %q", s)
		}
	}
}

func TestPublicStrict(t *testing.T) {
	id, _ := Generate("Bob")
	good := id.Public().Marshal()
	if p, err := ParsePublic(good); err != nil || !bytes.Equal(p.Marshal(), good) {
		t.Fatalf("round trip: %v", err)
	}
	mutations := map[string]string{
		"unknown field": strings.Replace(string(good), `{"version"`, `{"x":1,"version"`, 1),
		"whitespace":    strings.Replace(string(good), `,"name"`, `, "name"`, 1),
		"version":       strings.Replace(string(good), PublicVersion, "tabella-trustee/v2", 1),
		"uppercase hex": strings.Replace(string(good), hexOf(id.Public().HPKEKey), strings.ToUpper(hexOf(id.Public().HPKEKey)), 1),
		"short key":     strings.Replace(string(good), `"signing_key":"`, `"signing_key":"0`, 1),
		"control char":  strings.Replace(string(good), `"Bob"`, `"B\u0001b"`, 1),
	}
	for name, m := range mutations {
		if _, err := ParsePublic([]byte(m)); err == nil {
			t.Errorf("%s: accepted %s", name, m)
		}
	}
	if _, err := Generate(strings.Repeat("x", MaxNameLen+1)); err == nil {
		t.Error("overlong name accepted")
	}
}

func hexOf(k Key32) string { b, _ := k.MarshalText(); return string(b) }

func TestSignatureBindsElectionTypeAndPayload(t *testing.T) {
	id, _ := Generate("")
	pub := id.Public()
	sig := id.Sign("e1", "ceremony.commitments", []byte(`{"a":1}`))
	if err := pub.Verify("e1", "ceremony.commitments", []byte(`{"a":1}`), sig); err != nil {
		t.Fatal(err)
	}
	if pub.Verify("e2", "ceremony.commitments", []byte(`{"a":1}`), sig) == nil {
		t.Error("signature transplanted to another election")
	}
	if bytes.Equal(SignedBytes("e1", "x", nil), SignedBytes("e", "1x", nil)) {
		t.Error("election and type not separated in the signed bytes")
	}
	if pub.Verify("e1", "ceremony.shares", []byte(`{"a":1}`), sig) == nil {
		t.Error("signature transplanted to another type")
	}
	if pub.Verify("e1", "ceremony.commitments", []byte(`{"a":2}`), sig) == nil {
		t.Error("signature transplanted to another payload")
	}
	other, _ := Generate("")
	if other.Public().Verify("e1", "ceremony.commitments", []byte(`{"a":1}`), sig) == nil {
		t.Error("signature verified under another trustee's key")
	}
	// Field encoding is unambiguous: moving bytes between type and payload
	// changes the signed bytes.
	if bytes.Equal(SignedBytes("e", "ab", []byte("c")), SignedBytes("e", "a", []byte("bc"))) {
		t.Error("signed bytes ambiguous")
	}
}

func TestHPKEBindsInfo(t *testing.T) {
	alice, _ := Generate("a")
	bob, _ := Generate("b")
	secret := bytes.Repeat([]byte{7}, 32)
	enc, ct, err := bob.Public().Seal([]byte("info-1"), secret)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != 32+TagSize {
		t.Fatalf("ciphertext is %d bytes", len(ct))
	}
	pt, err := bob.Open([]byte("info-1"), enc, ct)
	if err != nil || !bytes.Equal(pt, secret) {
		t.Fatalf("open: %v", err)
	}
	if _, err := bob.Open([]byte("info-2"), enc, ct); !errors.Is(err, ErrDecryption) {
		t.Errorf("other info: %v", err)
	}
	if _, err := alice.Open([]byte("info-1"), enc, ct); !errors.Is(err, ErrDecryption) {
		t.Errorf("other recipient: %v", err)
	}
	ct[0] ^= 1
	if _, err := bob.Open([]byte("info-1"), enc, ct); !errors.Is(err, ErrDecryption) {
		t.Errorf("tampered: %v", err)
	}
}

func FuzzParsePublic(f *testing.F) {
	id, _ := Generate("fuzz")
	f.Add(id.Public().Marshal())
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePublic(data)
		if err != nil {
			if p != nil {
				t.Fatal("non-nil result with error")
			}
			return
		}
		if !bytes.Equal(p.Marshal(), data) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}

func FuzzParseKeyFile(f *testing.F) {
	f.Add([]byte(`{"version":"tabella-trustee-key/v1","name":"a","signing_seed":"` + strings.Repeat("01", 32) + `","hpke_private":"` + strings.Repeat("02", 32) + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := parseKeyFile(data)
		if err != nil {
			if id != nil {
				t.Fatal("non-nil result with error")
			}
			return
		}
		_ = id.Public().Marshal()
	})
}
