package elgamal

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

func TestEncryptDecrypt(t *testing.T) {
	sk, pk := GenerateKey()
	for _, m := range []uint64{0, 1, 2, 17, 1 << 20} {
		ct := EncryptUint(pk, m, group.RandomScalar())
		if got := ct.Decrypt(sk); !got.Equal(group.BaseMul(group.NewScalar(m))) {
			t.Errorf("Decrypt(Enc(%d)) ≠ %d·G", m, m)
		}
	}
	// A different key does not decrypt.
	sk2, _ := GenerateKey()
	ct := EncryptUint(pk, 5, group.RandomScalar())
	if ct.Decrypt(sk2).Equal(group.BaseMul(group.NewScalar(5))) {
		t.Error("ciphertext decrypted under the wrong key")
	}
}

func TestEncryptUintMax(t *testing.T) {
	sk, pk := GenerateKey()
	fixed := group.NewFixedBase(pk).Point()
	for _, tc := range []struct{ m, max uint64 }{{0, 1}, {1, 1}, {3, 10}, {40, 100}, {0, 0}} {
		r := group.RandomScalar()
		want := EncryptUint(pk, tc.m, r)
		for _, k := range []*group.Point{pk, fixed} {
			got := EncryptUintMax(k, tc.m, tc.max, r)
			if !got.Equal(want) {
				t.Errorf("EncryptUintMax(%d, max %d) ≠ EncryptUint", tc.m, tc.max)
			}
			if !got.Decrypt(sk).Equal(group.BaseMul(group.NewScalar(tc.m))) {
				t.Errorf("EncryptUintMax(%d) does not decrypt", tc.m)
			}
		}
	}
}

func TestEncryptFormula(t *testing.T) {
	_, pk := GenerateKey()
	m, r := group.NewScalar(3), group.RandomScalar()
	ct := Encrypt(pk, m, r)
	if !ct.A.Equal(group.BaseMul(r)) {
		t.Error("A ≠ r·G")
	}
	if !ct.B.Equal(group.BaseMul(m).Add(pk.Mul(r))) {
		t.Error("B ≠ m·G + r·K")
	}
}

func TestHomomorphicAddAndZero(t *testing.T) {
	sk, pk := GenerateKey()
	sum := Zero()
	var want uint64
	for _, m := range []uint64{1, 0, 4, 7, 1} {
		sum = sum.Add(EncryptUint(pk, m, group.RandomScalar()))
		want += m
	}
	if !sum.Decrypt(sk).Equal(group.BaseMul(group.NewScalar(want))) {
		t.Errorf("sum does not decrypt to %d", want)
	}
	c := EncryptUint(pk, 9, group.RandomScalar())
	if !c.Add(Zero()).Equal(c) || !Zero().Add(c).Equal(c) {
		t.Error("Zero is not neutral")
	}
	if !c.Sub(c).Equal(Zero()) {
		t.Error("c − c ≠ Zero")
	}
	// Randomness adds too: Enc(a; r) + Enc(b; s) = Enc(a+b; r+s).
	r, s := group.RandomScalar(), group.RandomScalar()
	if !EncryptUint(pk, 2, r).Add(EncryptUint(pk, 3, s)).Equal(EncryptUint(pk, 5, r.Add(s))) {
		t.Error("Enc(2;r)+Enc(3;s) ≠ Enc(5;r+s)")
	}
}

func TestReEncrypt(t *testing.T) {
	sk, pk := GenerateKey()
	r, s := group.RandomScalar(), group.RandomScalar()
	c := EncryptUint(pk, 6, r)
	d := c.ReEncrypt(pk, s)
	if d.Equal(c) {
		t.Fatal("re-encryption did not change the ciphertext")
	}
	if !d.Equal(EncryptUint(pk, 6, r.Add(s))) {
		t.Error("ReEncrypt(Enc(6;r), s) ≠ Enc(6; r+s)")
	}
	if !d.Decrypt(sk).Equal(c.Decrypt(sk)) {
		t.Error("re-encryption changed the plaintext")
	}
}

func TestGenerateKey(t *testing.T) {
	sk, pk := GenerateKey()
	if sk.IsZero() || pk.IsIdentity() || !group.BaseMul(sk).Equal(pk) {
		t.Fatal("bad key pair")
	}
	sk2, _ := GenerateKey()
	if sk.Equal(sk2) {
		t.Fatal("two key pairs share a secret")
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	_, pk := GenerateKey()
	c := EncryptUint(pk, 1, group.RandomScalar())
	b := c.Bytes()
	d, err := DecodeCiphertext(b[:])
	if err != nil {
		t.Fatal(err)
	}
	if !d.Equal(c) || d.Bytes() != b {
		t.Fatal("round trip changed the ciphertext")
	}
}

func TestDecodeCiphertextRejects(t *testing.T) {
	_, pk := GenerateKey()
	good := EncryptUint(pk, 1, group.RandomScalar()).Bytes()
	id := group.Identity().Bytes()
	nonCanonical, _ := hex.DecodeString("00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
	cases := map[string][]byte{
		"empty":           nil,
		"short":           good[:63],
		"long":            append(good[:], 0),
		"identity a":      append(append([]byte{}, id[:]...), good[32:]...),
		"identity b":      append(append([]byte{}, good[:32]...), id[:]...),
		"non-canonical a": append(append([]byte{}, nonCanonical...), good[32:]...),
		"non-canonical b": append(append([]byte{}, good[:32]...), nonCanonical...),
	}
	for name, in := range cases {
		if _, err := DecodeCiphertext(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	_, pk := GenerateKey()
	c := EncryptUint(pk, 1, group.RandomScalar())
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.A.Bytes(), c.B.Bytes()
	want := `{"a":"` + hex.EncodeToString(a[:]) + `","b":"` + hex.EncodeToString(b[:]) + `"}`
	if string(data) != want {
		t.Fatalf("JSON = %s, want %s", data, want)
	}
	var d Ciphertext
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if !d.Equal(c) {
		t.Fatal("JSON round trip changed the ciphertext")
	}
	// Nested in a struct, as ballots carry it.
	var wrap struct{ C Ciphertext }
	if err := json.Unmarshal([]byte(`{"C":`+string(data)+`}`), &wrap); err != nil || !wrap.C.Equal(c) {
		t.Fatalf("nested decode: %v", err)
	}
}

func TestJSONRejects(t *testing.T) {
	_, pk := GenerateKey()
	c := EncryptUint(pk, 1, group.RandomScalar())
	a, b := c.A.Bytes(), c.B.Bytes()
	ha, hb := hex.EncodeToString(a[:]), hex.EncodeToString(b[:])
	hid := strings.Repeat("0", 64)
	cases := map[string]string{
		"missing b":     `{"a":"` + ha + `"}`,
		"missing a":     `{"b":"` + hb + `"}`,
		"unknown field": `{"a":"` + ha + `","b":"` + hb + `","c":"` + hb + `"}`,
		"reordered":     `{"b":"` + hb + `","a":"` + ha + `"}`,
		"whitespace":    `{"a": "` + ha + `","b":"` + hb + `"}`,
		"uppercase":     `{"a":"` + strings.ToUpper(ha) + `","b":"` + hb + `"}`,
		"short hex":     `{"a":"` + ha[:62] + `","b":"` + hb + `"}`,
		"identity a":    `{"a":"` + hid + `","b":"` + hb + `"}`,
		"identity b":    `{"a":"` + ha + `","b":"` + hid + `"}`,
		"non-canonical": `{"a":"00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff","b":"` + hb + `"}`,
		"duplicate":     `{"a":"` + ha + `","a":"` + ha + `","b":"` + hb + `"}`,
		"null":          `null`,
		"array":         `["` + ha + `","` + hb + `"]`,
		"null field":    `{"a":null,"b":"` + hb + `"}`,
		"trailing":      `{"a":"` + ha + `","b":"` + hb + `"} `,
	}
	for name, in := range cases {
		var d Ciphertext
		if err := d.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	var zero Ciphertext
	if _, err := zero.MarshalJSON(); err == nil {
		t.Error("MarshalJSON of a ciphertext with nil components succeeded")
	}
}

// The example of e2e/SPEC.md §4.2: K = 2·G, m = 1, r = 1.
func TestSpecExample(t *testing.T) {
	K := group.BaseMul(group.NewScalar(2))
	data, err := json.Marshal(EncryptUint(K, 1, group.NewScalar(1)))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"a":"e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76","b":"94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259"}`
	if string(data) != want {
		t.Fatalf("got %s\nwant %s", data, want)
	}
}
