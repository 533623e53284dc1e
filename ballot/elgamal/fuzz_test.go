package elgamal

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

// FuzzDecodeCiphertext: the binary decoder never panics, errors come with a
// zero result, and whatever decodes re-encodes to the same bytes.
func FuzzDecodeCiphertext(f *testing.F) {
	_, pk := GenerateKey()
	good := EncryptUint(pk, 1, group.RandomScalar()).Bytes()
	f.Add(good[:])
	f.Add(make([]byte, 64))
	f.Add(good[:63])
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := DecodeCiphertext(in)
		if err != nil {
			if c.A != nil || c.B != nil {
				t.Fatal("error with a non-zero result")
			}
			return
		}
		if b := c.Bytes(); !bytes.Equal(b[:], in) {
			t.Fatalf("re-encoding differs: %x vs %x", b, in)
		}
		if c.A.IsIdentity() || c.B.IsIdentity() {
			t.Fatal("identity component accepted")
		}
	})
}

// FuzzCiphertextJSON: the JSON decoder never panics and whatever decodes
// re-encodes to the same bytes (one encoding per value).
func FuzzCiphertextJSON(f *testing.F) {
	_, pk := GenerateKey()
	good, _ := json.Marshal(EncryptUint(pk, 1, group.RandomScalar()))
	f.Add(good)
	f.Add([]byte(`{"a":"","b":""}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"a":"0000000000000000000000000000000000000000000000000000000000000000","b":"0000000000000000000000000000000000000000000000000000000000000000"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var c Ciphertext
		if err := c.UnmarshalJSON(in); err != nil {
			if c.A != nil || c.B != nil {
				t.Fatal("error but the ciphertext was modified")
			}
			return
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("re-encoding failed: %v", err)
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("re-encoding differs: %s vs %s", out, in)
		}
		b := c.Bytes()
		d, err := DecodeCiphertext(b[:])
		if err != nil || !d.Equal(c) {
			t.Fatalf("JSON-decoded ciphertext does not decode in binary: %v", err)
		}
	})
}
