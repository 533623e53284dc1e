package zk

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

func base(b byte) [32]byte { var h [32]byte; h[0] = b; return h }

// ctx returns a transcript for a test protocol, election base hash base(e)
// and a context field (credential, trustee, ...).
func ctx(e byte, who string) *Transcript {
	t := NewTranscript("tabella/test", base(e))
	t.Bytes("who", []byte(who))
	return t
}

func randPoint() *group.Point { return group.BaseMul(group.RandomNonZeroScalar()) }

func TestSchnorr(t *testing.T) {
	x := group.RandomNonZeroScalar()
	X := group.BaseMul(x)
	tr := ctx(1, "alice")
	before := tr.Encoded()
	p := ProveSchnorr(tr, x, X)
	if string(tr.Encoded()) != string(before) {
		t.Fatal("ProveSchnorr modified the transcript")
	}
	if err := p.Verify(tr, X); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	if string(tr.Encoded()) != string(before) {
		t.Fatal("Verify modified the transcript")
	}
	check := func(name string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
	}
	// Transplants: other election, other context, other statement.
	check("other election", p.Verify(ctx(2, "alice"), X), ErrInvalidProof)
	check("other credential", p.Verify(ctx(1, "bob"), X), ErrInvalidProof)
	check("other statement", p.Verify(tr, randPoint()), ErrInvalidProof)
	// Forgeries.
	check("random z", (&Schnorr{A: p.A, Z: group.RandomScalar()}).Verify(tr, X), ErrInvalidProof)
	check("random a", (&Schnorr{A: randPoint(), Z: p.Z}).Verify(tr, X), ErrInvalidProof)
	check("wrong witness", ProveSchnorr(tr, group.RandomScalar(), X).Verify(tr, X), ErrInvalidProof)
	// Shapes.
	check("identity X", p.Verify(tr, group.Identity()), ErrMalformed)
	check("nil X", p.Verify(tr, nil), ErrMalformed)
	check("identity a", (&Schnorr{A: group.Identity(), Z: p.Z}).Verify(tr, X), ErrMalformed)
	check("nil z", (&Schnorr{A: p.A}).Verify(tr, X), ErrMalformed)
	check("nil proof", (*Schnorr)(nil).Verify(tr, X), ErrMalformed)
}

// A proof whose challenge omits the statement X (weak Fiat-Shamir, as in
// Helios) lets anyone "prove" knowledge of the log of a key they pick after
// the commitment: X = (z·G − A)/c. It must not verify.
func TestSchnorrWeakFiatShamirRejected(t *testing.T) {
	tr := ctx(1, "alice")
	w, z := group.RandomNonZeroScalar(), group.RandomScalar()
	A := group.BaseMul(w)
	weak := tr.Clone()
	weak.Bytes("proof", []byte(labelSchnorr))
	weak.Point("A", A)
	c := weak.Challenge()
	X := group.BaseMul(z).Sub(A).Mul(c.Inv()) // z·G = A + c·X by construction
	if !group.BaseMul(z).Equal(A.Add(X.Mul(c))) {
		t.Fatal("test setup: forged equation does not hold")
	}
	if err := (&Schnorr{A: A, Z: z}).Verify(tr, X); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("weak Fiat-Shamir forgery: err = %v, want ErrInvalidProof", err)
	}
}

func TestDLEQ(t *testing.T) {
	x := group.RandomNonZeroScalar()
	G := group.Generator()
	h := randPoint()
	X, Y := G.Mul(x), h.Mul(x)
	tr := ctx(1, "trustee-1")
	p := ProveDLEQ(tr, x, G, X, h, Y)
	if err := p.Verify(tr, G, X, h, Y); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	// Non-generator g too.
	g2 := randPoint()
	p2 := ProveDLEQ(tr, x, g2, g2.Mul(x), h, Y)
	if err := p2.Verify(tr, g2, g2.Mul(x), h, Y); err != nil {
		t.Fatalf("valid proof (g ≠ G) rejected: %v", err)
	}
	check := func(name string, err error, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
	}
	check("other election", p.Verify(ctx(2, "trustee-1"), G, X, h, Y), ErrInvalidProof)
	check("other trustee", p.Verify(ctx(1, "trustee-2"), G, X, h, Y), ErrInvalidProof)
	check("other ciphertext", p.Verify(tr, G, X, randPoint(), Y), ErrInvalidProof)
	// A wrong decryption share: Y' = x'·h with x' ≠ x, proved with x.
	Yb := h.Mul(group.RandomNonZeroScalar())
	check("wrong share", ProveDLEQ(tr, x, G, X, h, Yb).Verify(tr, G, X, h, Yb), ErrInvalidProof)
	check("swapped roles", p.Verify(tr, h, Y, G, X), ErrInvalidProof)
	check("random z", (&DLEQ{A1: p.A1, A2: p.A2, Z: group.RandomScalar()}).Verify(tr, G, X, h, Y), ErrInvalidProof)
	check("random a2", (&DLEQ{A1: p.A1, A2: randPoint(), Z: p.Z}).Verify(tr, G, X, h, Y), ErrInvalidProof)
	check("identity X", p.Verify(tr, G, group.Identity(), h, Y), ErrMalformed)
	check("identity h", p.Verify(tr, G, X, group.Identity(), Y), ErrMalformed)
	check("nil Y", p.Verify(tr, G, X, h, nil), ErrMalformed)
	check("identity a1", (&DLEQ{A1: group.Identity(), A2: p.A2, Z: p.Z}).Verify(tr, G, X, h, Y), ErrMalformed)
	check("nil proof", (*DLEQ)(nil).Verify(tr, G, X, h, Y), ErrMalformed)
}

// Weak Fiat-Shamir for DLEQ: the challenge omits Y, so the prover can pick
// a false share after seeing c. Verify must reject it.
func TestDLEQWeakFiatShamirRejected(t *testing.T) {
	x := group.RandomNonZeroScalar()
	G, h := group.Generator(), randPoint()
	X := G.Mul(x)
	tr := ctx(1, "trustee-1")
	w := group.RandomNonZeroScalar()
	A1, A2 := G.Mul(w), h.Mul(w)
	weak := tr.Clone()
	weak.Bytes("proof", []byte(labelDLEQ))
	weak.Point("g", G)
	weak.Point("X", X)
	weak.Point("h", h)
	weak.Point("A1", A1)
	weak.Point("A2", A2)
	c := weak.Challenge()
	z := w.Add(c.Mul(x))
	// Any Y with z·h = A2 + c·Y: here the honest one, showing the forged
	// challenge derivation is the only difference.
	Y := h.Mul(z).Sub(A2).Mul(c.Inv())
	if err := (&DLEQ{A1: A1, A2: A2, Z: z}).Verify(tr, G, X, h, Y); !errors.Is(err, ErrInvalidProof) {
		t.Fatalf("weak Fiat-Shamir proof: err = %v, want ErrInvalidProof", err)
	}
}

func TestSchnorrDLEQBatch(t *testing.T) {
	G := group.Generator()
	b := NewBatch()
	if !b.Verify() || b.Len() != 0 {
		t.Fatal("empty batch does not verify")
	}
	type item struct {
		tr      *Transcript
		x       *group.Scalar
		X, h, Y *group.Point
	}
	var items []item
	for i := range 20 {
		x := group.RandomNonZeroScalar()
		h := randPoint()
		it := item{ctx(1, string(rune('a'+i))), x, G.Mul(x), h, h.Mul(x)}
		items = append(items, it)
		if err := ProveSchnorr(it.tr, x, it.X).AddToBatch(b, it.tr, it.X); err != nil {
			t.Fatal(err)
		}
		if err := ProveDLEQ(it.tr, x, G, it.X, h, it.Y).AddToBatch(b, it.tr, G, it.X, h, it.Y); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 60 {
		t.Fatalf("Len = %d, want 60", b.Len())
	}
	if !b.Verify() {
		t.Fatal("batch of valid proofs rejected")
	}
	// One bad Schnorr proof among valid ones fails the batch.
	for bad := range 3 {
		b := NewBatch()
		for i, it := range items {
			tr := it.tr
			if i == 7 && bad == 0 {
				tr = ctx(2, "transplanted")
			}
			p := ProveSchnorr(it.tr, it.x, it.X)
			if i == 7 && bad == 1 {
				p.Z = p.Z.Add(group.NewScalar(1))
			}
			if err := p.AddToBatch(b, tr, it.X); err != nil {
				t.Fatal(err)
			}
			Y := it.Y
			if i == 11 && bad == 2 {
				Y = it.h.Mul(group.RandomNonZeroScalar())
			}
			if err := ProveDLEQ(it.tr, it.x, G, it.X, it.h, Y).AddToBatch(b, it.tr, G, it.X, it.h, Y); err != nil {
				t.Fatal(err)
			}
		}
		if b.Verify() {
			t.Errorf("case %d: batch with a bad proof verified", bad)
		}
	}
	// Shape errors are reported at AddToBatch.
	p := ProveSchnorr(items[0].tr, items[0].x, items[0].X)
	if err := p.AddToBatch(NewBatch(), items[0].tr, group.Identity()); !errors.Is(err, ErrMalformed) {
		t.Errorf("identity statement: err = %v", err)
	}
}

// Two invalid equations that cancel when summed without weights must still
// fail: e and −e.
func TestBatchCancellingErrors(t *testing.T) {
	x := group.RandomNonZeroScalar()
	X := group.BaseMul(x)
	tr := ctx(1, "alice")
	p := ProveSchnorr(tr, x, X)
	one := group.NewScalar(1)
	p1 := &Schnorr{A: p.A, Z: p.Z.Add(one)}
	p2 := &Schnorr{A: p.A, Z: p.Z.Sub(one)}
	b := NewBatch()
	if err := p1.AddToBatch(b, tr, X); err != nil {
		t.Fatal(err)
	}
	if err := p2.AddToBatch(b, tr, X); err != nil {
		t.Fatal(err)
	}
	if b.Verify() {
		t.Fatal("cancelling invalid proofs verified in a batch")
	}
}

func TestSchnorrDLEQEncodings(t *testing.T) {
	x := group.RandomNonZeroScalar()
	X := group.BaseMul(x)
	tr := ctx(1, "alice")
	s := ProveSchnorr(tr, x, X)
	sb := s.Bytes()
	s2, err := DecodeSchnorr(sb[:])
	if err != nil || s2.Bytes() != sb || s2.Verify(tr, X) != nil {
		t.Fatalf("schnorr binary round trip: %v", err)
	}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	a, z := s.A.Bytes(), s.Z.Bytes()
	if string(js) != `{"a":"`+hex.EncodeToString(a[:])+`","z":"`+hex.EncodeToString(z[:])+`"}` {
		t.Fatalf("schnorr JSON = %s", js)
	}
	var s3 Schnorr
	if err := json.Unmarshal(js, &s3); err != nil || s3.Verify(tr, X) != nil {
		t.Fatalf("schnorr JSON round trip: %v", err)
	}
	h := randPoint()
	d := ProveDLEQ(tr, x, group.Generator(), X, h, h.Mul(x))
	db := d.Bytes()
	d2, err := DecodeDLEQ(db[:])
	if err != nil || d2.Bytes() != db {
		t.Fatalf("dleq binary round trip: %v", err)
	}
	jd, _ := json.Marshal(d)
	var d3 DLEQ
	if err := json.Unmarshal(jd, &d3); err != nil || d3.Bytes() != db {
		t.Fatalf("dleq JSON round trip: %v", err)
	}

	hexOf := func(p [32]byte) string { return hex.EncodeToString(p[:]) }
	ha, hz := hexOf(a), hexOf(z)
	id := strings.Repeat("0", 64)
	over := strings.Repeat("f", 64) // scalar ≥ ℓ
	bad := map[string]string{
		"unknown":    `{"a":"` + ha + `","z":"` + hz + `","x":1}`,
		"missing z":  `{"a":"` + ha + `"}`,
		"identity a": `{"a":"` + id + `","z":"` + hz + `"}`,
		"big z":      `{"a":"` + ha + `","z":"` + over + `"}`,
		"upper":      `{"a":"` + strings.ToUpper(ha) + `","z":"` + hz + `"}`,
		"order":      `{"z":"` + hz + `","a":"` + ha + `"}`,
		"null":       `null`,
		"space":      ` {"a":"` + ha + `","z":"` + hz + `"}`,
	}
	for name, in := range bad {
		var p Schnorr
		if err := p.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("schnorr %s: err = %v", name, err)
		}
	}
	idb := group.Identity().Bytes()
	for name, in := range map[string][]byte{
		"short":      sb[:63],
		"long":       append(sb[:], 0),
		"identity a": append(idb[:], sb[32:]...),
		"big z":      append(append([]byte{}, sb[:32]...), bytesOf(0xff, 32)...),
	} {
		if _, err := DecodeSchnorr(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeSchnorr %s: err = %v", name, err)
		}
	}
	for name, in := range map[string][]byte{
		"short":       db[:95],
		"identity a2": append(append(append([]byte{}, db[:32]...), idb[:]...), db[64:]...),
		"big z":       append(append([]byte{}, db[:64]...), bytesOf(0xff, 32)...),
	} {
		if _, err := DecodeDLEQ(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeDLEQ %s: err = %v", name, err)
		}
	}
}

func bytesOf(c byte, n int) []byte { return []byte(strings.Repeat(string([]byte{c}), n)) }
