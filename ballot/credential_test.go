package ballot

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

func sha256Hex(hexInput string) string {
	b, err := hex.DecodeString(hexInput)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestCredentialRoundTrip(t *testing.T) {
	c := NewCredential()
	s := c.Secret()
	if len(s) != len("TC1-")+8*4+7 || !strings.HasPrefix(s, "TC1-") {
		t.Fatalf("secret form %q", s)
	}
	for _, variant := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, "-", ""), strings.ReplaceAll(s, "-", " "), "  " + s + " "} {
		d, err := ParseCredential(variant)
		if err != nil {
			t.Fatalf("parse %q: %v", variant, err)
		}
		if !d.Public().Equal(c.Public()) || d.Secret() != s {
			t.Fatal("round trip changed the credential")
		}
	}
	if !c.Public().Equal(group.BaseMul(c.x)) || c.Public().IsIdentity() {
		t.Fatal("public key is not x·G")
	}
	if NewCredential().Public().Equal(c.Public()) {
		t.Fatal("two fresh credentials are equal")
	}
}

func TestCredentialAliases(t *testing.T) {
	// A seed whose encoding contains 0 and 1, typed with O, I and L.
	var seed [16]byte
	c, _ := credentialFromSeed(seed)
	s := c.Secret() // seed 0 encodes to many '0's
	typed := strings.Replace(strings.Replace(s, "0", "O", 3), "TC1-", "tcl-", 1)
	d, err := ParseCredential(typed)
	if err != nil || !d.Public().Equal(c.Public()) {
		t.Fatalf("aliases not accepted: %q: %v", typed, err)
	}
}

func TestCredentialVector(t *testing.T) {
	// Known answer: seed 00 01 … 0f (e2e/SPEC.md §7.1).
	var seed [16]byte
	for i := range seed {
		seed[i] = byte(i)
	}
	c, err := credentialFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	check := taggedHash(tagCredCheck, seed[:])
	// Independent base32: big.Int style bit walk.
	payload := append(seed[:], check[:4]...)
	var bits strings.Builder
	for _, b := range payload {
		fmt.Fprintf(&bits, "%08b", b)
	}
	var sym strings.Builder
	for i := 0; i < 160; i += 5 {
		var v int
		fmt.Sscanf(bits.String()[i:i+5], "%b", &v)
		sym.WriteByte("0123456789ABCDEFGHJKMNPQRSTVWXYZ"[v])
		if i%20 == 15 && i != 155 {
			sym.WriteByte('-')
		}
	}
	if want := "TC1-" + sym.String(); c.Secret() != want {
		t.Fatalf("Secret() = %s, want %s", c.Secret(), want)
	}
	if !c.Public().Equal(group.BaseMul(group.HashToScalar("tabella-v1-credential-secret", seed[:]))) {
		t.Fatal("x is not HashToScalar of the seed")
	}
}

func TestParseCredentialRejects(t *testing.T) {
	s := NewCredential().Secret()
	flip := []byte(s)
	i := len(flip) - 3
	if flip[i] == 'A' {
		flip[i] = 'B'
	} else {
		flip[i] = 'A'
	}
	bad := map[string]string{
		"typo":       string(flip),
		"no prefix":  s[4:],
		"version 2":  "TC2-" + s[4:],
		"short":      s[:len(s)-1],
		"long":       s + "A",
		"symbol U":   s[:len(s)-1] + "U",
		"symbol *":   s[:len(s)-1] + "*",
		"empty":      "",
		"oversized":  s + strings.Repeat("-", 200),
		"non-ascii":  s[:len(s)-1] + "é",
		"swap group": "TC1-" + s[9:13] + "-" + s[4:8] + s[13:],
	}
	for name, in := range bad {
		c, err := ParseCredential(in)
		if err == nil || c != nil || !errors.Is(err, ErrInvalidCredential) {
			t.Errorf("%s: got %v, %v", name, c, err)
			continue
		}
		if strings.Contains(err.Error(), s[4:]) || strings.Contains(err.Error(), s[4:8]+"-"+s[9:13]) {
			t.Errorf("%s: error leaks the secret: %v", name, err)
		}
	}
}

func TestCredentialDoesNotPrintSecret(t *testing.T) {
	c := NewCredential()
	s := c.Secret()
	xb := c.x.Bytes()
	xhex := hex.EncodeToString(xb[:])
	seedHex := hex.EncodeToString(c.seed[:])
	for _, f := range []string{"%v", "%s", "%+v", "%#v"} {
		out := fmt.Sprintf(f, c)
		if strings.Contains(out, s[4:8]) && strings.Contains(out, s[9:13]) || strings.Contains(out, xhex) || strings.Contains(out, seedHex) {
			t.Errorf("%s prints the secret: %s", f, out)
		}
		if !strings.Contains(out, c.Public().String()) {
			t.Errorf("%s does not name the public key: %s", f, out)
		}
	}
}

func FuzzParseCredential(f *testing.F) {
	f.Add(NewCredential().Secret())
	f.Add("tc1-0000-0000")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCredential(in)
		if err != nil {
			if c != nil {
				t.Fatal("error with non-nil credential")
			}
			return
		}
		d, err := ParseCredential(c.Secret())
		if err != nil || !d.Public().Equal(c.Public()) {
			t.Fatalf("accepted %q does not round-trip: %v", in, err)
		}
		if normalizeSymbols(in) != normalizeSymbols(c.Secret()) {
			t.Fatalf("accepted %q, canonical %q", in, c.Secret())
		}
	})
}

func TestTrackingCode(t *testing.T) {
	var h [32]byte
	h[0] = 42
	code := NewTrackingCode(h)
	if code != NewTrackingCode(h) {
		t.Fatal("tracking code not deterministic")
	}
	if len(code) != 19 || strings.Count(string(code), "-") != 3 {
		t.Fatalf("form %q", code)
	}
	h2 := h
	h2[31] ^= 1
	if NewTrackingCode(h2) == code {
		t.Fatal("tracking code ignores the hash")
	}
	// Known answer from the definition: 15 symbols of the tracking hash.
	th := taggedHash("tabella/v1 tracking-code", h[:])
	var bits strings.Builder
	for _, b := range th[:10] {
		fmt.Fprintf(&bits, "%08b", b)
	}
	var data strings.Builder
	for i := 0; i < 75; i += 5 {
		var v int
		fmt.Sscanf(bits.String()[i:i+5], "%b", &v)
		data.WriteByte(base32Alphabet[v])
	}
	ch := taggedHash("tabella/v1 tracking-code-check", []byte(data.String()))
	full := data.String() + string(base32Alphabet[ch[0]>>3])
	if want := full[0:4] + "-" + full[4:8] + "-" + full[8:12] + "-" + full[12:16]; string(code) != want {
		t.Fatalf("code %s, want %s", code, want)
	}
	for _, in := range []string{string(code), strings.ToLower(string(code)), strings.ReplaceAll(string(code), "-", ""), " " + strings.ReplaceAll(string(code), "-", " ")} {
		got, err := ParseTrackingCode(in)
		if err != nil || got != code {
			t.Errorf("parse %q = %q, %v", in, got, err)
		}
	}
	// Every single-symbol substitution is caught unless the check symbol
	// collides (probability 1/32 each): require that most are caught.
	caught, total := 0, 0
	norm := strings.ReplaceAll(string(code), "-", "")
	for i := 0; i < len(norm); i++ {
		for _, r := range base32Alphabet {
			if byte(r) == norm[i] {
				continue
			}
			typo := norm[:i] + string(r) + norm[i+1:]
			total++
			if _, err := ParseTrackingCode(typo); errors.Is(err, ErrInvalidTrackingCode) {
				caught++
			}
		}
	}
	if caught < total*9/10 {
		t.Errorf("only %d of %d typos caught", caught, total)
	}
	for _, in := range []string{"", "ABCD", norm + "0", norm[:15] + "U", norm[:15] + "!", strings.Repeat("-", 100)} {
		if c, err := ParseTrackingCode(in); !errors.Is(err, ErrInvalidTrackingCode) || c != "" {
			t.Errorf("accepted %q: %q %v", in, c, err)
		}
	}
}

func FuzzParseTrackingCode(f *testing.F) {
	f.Add(string(NewTrackingCode([32]byte{1})))
	f.Add("abcd-efgh-jkmn-pqrs")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseTrackingCode(in)
		if err != nil {
			if c != "" {
				t.Fatal("error with a code")
			}
			return
		}
		again, err := ParseTrackingCode(string(c))
		if err != nil || again != c {
			t.Fatalf("canonical form %q does not re-parse: %v", c, err)
		}
	})
}
