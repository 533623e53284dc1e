package zk

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// roundTrip checks the JSON contract of a decoder: on error the value is
// untouched, on success the canonical re-encoding is the input.
func roundTrip[T any, P interface {
	*T
	json.Unmarshaler
}](t *testing.T, in []byte) (P, bool) {
	var v T
	p := P(&v)
	if err := p.UnmarshalJSON(in); err != nil {
		var zero T
		again, _ := json.Marshal(zero)
		now, _ := json.Marshal(v)
		if !bytes.Equal(again, now) {
			t.Fatal("error but the value was modified")
		}
		return nil, false
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("re-encoding failed: %v", err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("re-encoding differs:\n%s\n%s", out, in)
	}
	return p, true
}

// FuzzSchnorrJSON: decode, re-encode byte-identically, and a decoded proof
// other than the genuine one never verifies.
func FuzzSchnorrJSON(f *testing.F) {
	x := group.RandomNonZeroScalar()
	X := group.BaseMul(x)
	tr := ctx(1, "alice")
	good, _ := json.Marshal(ProveSchnorr(tr, x, X))
	f.Add(good)
	f.Add([]byte(`{"a":"","z":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, ok := roundTrip[Schnorr](t, in)
		if !ok {
			return
		}
		if !bytes.Equal(in, good) && p.Verify(tr, X) == nil {
			t.Fatalf("mutated proof verified: %s", in)
		}
		b := p.Bytes()
		if q, err := DecodeSchnorr(b[:]); err != nil || q.Bytes() != b {
			t.Fatalf("binary round trip: %v", err)
		}
	})
}

// FuzzDecodeSchnorr: the binary decoder never panics and is canonical.
func FuzzDecodeSchnorr(f *testing.F) {
	x := group.RandomNonZeroScalar()
	good := ProveSchnorr(ctx(1, "alice"), x, group.BaseMul(x)).Bytes()
	f.Add(good[:])
	f.Add(make([]byte, SchnorrSize))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := DecodeSchnorr(in)
		if err != nil {
			if p != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if b := p.Bytes(); !bytes.Equal(b[:], in) {
			t.Fatal("re-encoding differs")
		}
	})
}

// FuzzDLEQJSON: as FuzzSchnorrJSON for DLEQ proofs.
func FuzzDLEQJSON(f *testing.F) {
	x := group.RandomNonZeroScalar()
	G, h := group.Generator(), randPoint()
	X, Y := G.Mul(x), h.Mul(x)
	tr := ctx(1, "trustee")
	good, _ := json.Marshal(ProveDLEQ(tr, x, G, X, h, Y))
	f.Add(good)
	f.Add([]byte(`{"a1":"","a2":"","z":""}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, ok := roundTrip[DLEQ](t, in)
		if !ok {
			return
		}
		if !bytes.Equal(in, good) && p.Verify(tr, G, X, h, Y) == nil {
			t.Fatalf("mutated proof verified: %s", in)
		}
	})
}

// FuzzDecodeDLEQ: the binary decoder never panics and is canonical.
func FuzzDecodeDLEQ(f *testing.F) {
	x := group.RandomNonZeroScalar()
	h := randPoint()
	good := ProveDLEQ(ctx(1, "t"), x, group.Generator(), group.BaseMul(x), h, h.Mul(x)).Bytes()
	f.Add(good[:])
	f.Add(make([]byte, DLEQSize))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := DecodeDLEQ(in)
		if err != nil {
			if p != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if b := p.Bytes(); !bytes.Equal(b[:], in) {
			t.Fatal("re-encoding differs")
		}
	})
}

// FuzzRangeJSON: decode and re-encode byte-identically; a mutated proof of a
// true statement never verifies, and nothing verifies for a false statement
// (an encryption of 2 claimed to be in [0, 1]), in Verify or in a batch.
func FuzzRangeJSON(f *testing.F) {
	_, pk := elgamal.GenerateKey()
	tr := ctx(1, "alice")
	r := group.RandomScalar()
	ct := elgamal.EncryptUint(pk, 1, r)
	p, _ := ProveRange(tr, pk, ct, 1, r, 0, 1)
	good, _ := json.Marshal(p)
	r2 := group.RandomScalar()
	ct2 := elgamal.EncryptUint(pk, 2, r2)
	forged, _ := json.Marshal(proveRange(tr, pk, ct2, group.NewScalar(2), 1, r2, 0, 1))
	f.Add(good)
	f.Add(forged)
	f.Add([]byte(`{"a":[],"b":[],"c":[],"z":[]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		q, ok := roundTrip[Range](t, in)
		if !ok {
			return
		}
		if !bytes.Equal(in, good) && q.Verify(tr, pk, ct, 0, 1) == nil {
			t.Fatalf("mutated proof verified: %s", in)
		}
		if q.Verify(tr, pk, ct2, 0, 1) == nil {
			t.Fatalf("proof that 2 is in [0,1] verified: %s", in)
		}
		b := NewBatch()
		if q.AddToBatch(b, tr, pk, ct2, 0, 1) == nil && b.Verify() {
			t.Fatalf("batch accepted a proof that 2 is in [0,1]: %s", in)
		}
	})
}
