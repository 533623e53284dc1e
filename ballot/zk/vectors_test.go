package zk

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// A vector is a proof with its statement and context, and the expected
// verdict: "valid", "invalid" (an equation or the challenge sum fails) or
// "malformed" (a shape rule of e2e/SPEC.md §5.0 fails). The context
// transcript is NewTranscript(protocol, base) followed by
// field("ctx", ctx). Proof JSON is raw so malformed encodings can be stored.
type vector struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"` // schnorr, dleq, range
	Protocol string          `json:"protocol"`
	Base     string          `json:"base"`
	Ctx      string          `json:"ctx"`
	Points   []string        `json:"points"` // schnorr: X; dleq: g X h Y; range: pk ct.a ct.b
	Lo       uint64          `json:"lo"`
	Hi       uint64          `json:"hi"`
	Proof    json.RawMessage `json:"proof"`
	Expect   string          `json:"expect"`
}

func (v *vector) transcript(t *testing.T) *Transcript {
	b, err := hex.DecodeString(v.Base)
	if err != nil || len(b) != 32 {
		t.Fatalf("%s: bad base", v.Name)
	}
	tr := NewTranscript(v.Protocol, [32]byte(b))
	tr.Bytes("ctx", []byte(v.Ctx))
	return tr
}

func (v *vector) run(t *testing.T) error {
	tr := v.transcript(t)
	pts := make([]*group.Point, len(v.Points))
	for i, h := range v.Points {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("%s: bad point hex", v.Name)
		}
		if pts[i], err = group.DecodePoint(b); err != nil {
			return errors.Join(ErrMalformed, err)
		}
	}
	switch v.Type {
	case "schnorr":
		var p Schnorr
		if err := p.UnmarshalJSON(v.Proof); err != nil {
			return err
		}
		return p.Verify(tr, pts[0])
	case "dleq":
		var p DLEQ
		if err := p.UnmarshalJSON(v.Proof); err != nil {
			return err
		}
		return p.Verify(tr, pts[0], pts[1], pts[2], pts[3])
	case "range":
		var p Range
		if err := p.UnmarshalJSON(v.Proof); err != nil {
			return err
		}
		return p.Verify(tr, pts[0], elgamal.Ciphertext{A: pts[1], B: pts[2]}, v.Lo, v.Hi)
	}
	t.Fatalf("%s: unknown type %q", v.Name, v.Type)
	return nil
}

func hexPoint(p *group.Point) string { b := p.Bytes(); return hex.EncodeToString(b[:]) }

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// generateVectors makes a fresh set (random proofs; the keys are derived
// from fixed small scalars so the statements are easy to recompute).
func generateVectors() []vector {
	var base [32]byte
	copy(base[:], "tabella test vectors base hash..")
	hb := hex.EncodeToString(base[:])
	mk := func(ctx string) *Transcript {
		tr := NewTranscript("tabella/vectors", base)
		tr.Bytes("ctx", []byte(ctx))
		return tr
	}
	var out []vector
	x := group.NewScalar(7)
	X := group.BaseMul(x)
	s := ProveSchnorr(mk("alice"), x, X)
	out = append(out,
		vector{Name: "schnorr valid", Type: "schnorr", Protocol: "tabella/vectors", Base: hb, Ctx: "alice", Points: []string{hexPoint(X)}, Proof: mustJSON(s), Expect: "valid"},
		vector{Name: "schnorr other context", Type: "schnorr", Protocol: "tabella/vectors", Base: hb, Ctx: "bob", Points: []string{hexPoint(X)}, Proof: mustJSON(s), Expect: "invalid"},
		vector{Name: "schnorr identity key", Type: "schnorr", Protocol: "tabella/vectors", Base: hb, Ctx: "alice", Points: []string{hexPoint(group.Identity())}, Proof: mustJSON(s), Expect: "malformed"},
	)
	h := group.BaseMul(group.NewScalar(11))
	d := ProveDLEQ(mk("trustee 1"), x, group.Generator(), X, h, h.Mul(x))
	dpts := []string{hexPoint(group.Generator()), hexPoint(X), hexPoint(h), hexPoint(h.Mul(x))}
	wrong := []string{dpts[0], dpts[1], dpts[2], hexPoint(h.Mul(group.NewScalar(8)))}
	out = append(out,
		vector{Name: "dleq valid", Type: "dleq", Protocol: "tabella/vectors", Base: hb, Ctx: "trustee 1", Points: dpts, Proof: mustJSON(d), Expect: "valid"},
		vector{Name: "dleq wrong share", Type: "dleq", Protocol: "tabella/vectors", Base: hb, Ctx: "trustee 1", Points: wrong, Proof: mustJSON(d), Expect: "invalid"},
	)
	pk := group.BaseMul(group.NewScalar(5))
	r := group.NewScalar(3)
	ct1 := elgamal.EncryptUint(pk, 1, r)
	p1, _ := ProveRange(mk("voter 1"), pk, ct1, 1, r, 0, 1)
	rpts := []string{hexPoint(pk), hexPoint(ct1.A), hexPoint(ct1.B)}
	ct2 := elgamal.EncryptUint(pk, 2, r)
	forged := proveRange(mk("voter 1"), pk, ct2, group.NewScalar(2), 1, r, 0, 1)
	rpts2 := []string{hexPoint(pk), hexPoint(ct2.A), hexPoint(ct2.B)}
	ctm := elgamal.Encrypt(pk, group.NewScalarInt(-1), r)
	negative := proveRange(mk("voter 1"), pk, ctm, group.NewScalarInt(-1), 0, r, 0, 1)
	rptsm := []string{hexPoint(pk), hexPoint(ctm.A), hexPoint(ctm.B)}
	p3, _ := ProveRange(mk("voter 2"), pk, ct2, 2, r, 1, 3)
	out = append(out,
		vector{Name: "range 1 in [0,1]", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 1", Points: rpts, Lo: 0, Hi: 1, Proof: mustJSON(p1), Expect: "valid"},
		vector{Name: "range copied to another voter", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 2", Points: rpts, Lo: 0, Hi: 1, Proof: mustJSON(p1), Expect: "invalid"},
		vector{Name: "range 2 in [0,1] forged", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 1", Points: rpts2, Lo: 0, Hi: 1, Proof: mustJSON(forged), Expect: "invalid"},
		vector{Name: "range -1 in [0,1] forged", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 1", Points: rptsm, Lo: 0, Hi: 1, Proof: mustJSON(negative), Expect: "invalid"},
		vector{Name: "range 2 in [1,3]", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 2", Points: rpts2, Lo: 1, Hi: 3, Proof: mustJSON(p3), Expect: "valid"},
		vector{Name: "range wrong width", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 2", Points: rpts2, Lo: 1, Hi: 4, Proof: mustJSON(p3), Expect: "malformed"},
		vector{Name: "range identity key", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 1", Points: []string{hexPoint(group.Identity()), rpts[1], rpts[2]}, Lo: 0, Hi: 1, Proof: mustJSON(p1), Expect: "malformed"},
		vector{Name: "range non-canonical commitment", Type: "range", Protocol: "tabella/vectors", Base: hb, Ctx: "voter 1", Points: rpts, Lo: 0, Hi: 1,
			Proof:  json.RawMessage(`{"a":["00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff","` + hexPoint(p1.A[1]) + `"],"b":["` + hexPoint(p1.B[0]) + `","` + hexPoint(p1.B[1]) + `"],"c":["` + hexScalar(p1.C[0]) + `","` + hexScalar(p1.C[1]) + `"],"z":["` + hexScalar(p1.Z[0]) + `","` + hexScalar(p1.Z[1]) + `"]}`),
			Expect: "malformed"},
	)
	return out
}

func hexScalar(s *group.Scalar) string { b := s.Bytes(); return hex.EncodeToString(b[:]) }

// TestVectors checks the stored vectors in testdata/vectors.json (published
// for independent verifiers; regenerate with -update).
func TestVectors(t *testing.T) {
	const path = "testdata/vectors.json"
	if *update {
		// One vector per line; no indentation, so the embedded proofs stay
		// in canonical form.
		data := []byte("[\n")
		for i, v := range generateVectors() {
			if i > 0 {
				data = append(data, ",\n"...)
			}
			data = append(data, mustJSON(v)...)
		}
		data = append(data, "\n]"...)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 10 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for _, v := range vs {
		err := v.run(t)
		var got string
		switch {
		case err == nil:
			got = "valid"
		case errors.Is(err, ErrMalformed):
			got = "malformed"
		case errors.Is(err, ErrInvalidProof):
			got = "invalid"
		default:
			t.Errorf("%s: unclassified error %v", v.Name, err)
			continue
		}
		if got != v.Expect {
			t.Errorf("%s: got %s (%v), want %s", v.Name, got, err, v.Expect)
		}
	}
}

// Fresh vectors classify the same way as stored ones.
func TestGeneratedVectors(t *testing.T) {
	for _, v := range generateVectors() {
		err := v.run(t)
		ok := (v.Expect == "valid" && err == nil) ||
			(v.Expect == "invalid" && errors.Is(err, ErrInvalidProof)) ||
			(v.Expect == "malformed" && errors.Is(err, ErrMalformed))
		if !ok {
			t.Errorf("%s: err = %v, want %s", v.Name, err, v.Expect)
		}
	}
}
