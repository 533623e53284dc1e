package group

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// rfc9496 holds the test vectors of RFC 9496 Appendix A.1 (i·G for
// i = 0…15) and A.2 (invalid encodings), from testdata/rfc9496.json.
var rfc9496 = func() (v struct {
	GeneratorMultiples []string `json:"generator_multiples"`
	InvalidEncodings   []string `json:"invalid_encodings"`
}) {
	b, err := os.ReadFile("testdata/rfc9496.json")
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	return v
}()

var (
	generatorMultiples = rfc9496.GeneratorMultiples
	badEncodings       = rfc9496.InvalidEncodings
)

func TestRFC9496VectorCounts(t *testing.T) {
	require.Len(t, generatorMultiples, 16)
	require.Len(t, badEncodings, 29)
}

func TestGeneratorMultiplesRFC9496(t *testing.T) {
	for i, want := range generatorMultiples {
		got := BaseMul(NewScalar(uint64(i))).Bytes()
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("%d·G = %x, want %s", i, got, want)
		}
		p, err := DecodePoint(mustHex(t, want))
		if err != nil {
			t.Fatalf("decode %d·G: %v", i, err)
		}
		if !p.Equal(BaseMul(NewScalar(uint64(i)))) {
			t.Errorf("decode(%d·G) mismatch", i)
		}
	}
}

func TestDecodeRejectsRFC9496Invalid(t *testing.T) {
	for _, h := range badEncodings {
		if _, err := DecodePoint(mustHex(t, h)); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("DecodePoint(%s) = %v, want ErrNonCanonical", h, err)
		}
	}
}

func TestDecodeLengthsAndIdentity(t *testing.T) {
	g := Generator().Bytes()
	for _, n := range []int{0, 31, 33, 64} {
		b := make([]byte, n)
		copy(b, g[:])
		if _, err := DecodePoint(b); !errors.Is(err, ErrLength) {
			t.Errorf("DecodePoint(len %d) = %v, want ErrLength", n, err)
		}
		if _, err := DecodeScalar(b); !errors.Is(err, ErrLength) {
			t.Errorf("DecodeScalar(len %d) = %v, want ErrLength", n, err)
		}
	}
	id := Identity().Bytes()
	if _, err := DecodePoint(id[:]); err != nil {
		t.Errorf("DecodePoint(identity) = %v", err)
	}
	if _, err := DecodeElement(id[:]); !errors.Is(err, ErrIdentity) {
		t.Errorf("DecodeElement(identity) = %v, want ErrIdentity", err)
	}
}

func TestScalarCanonical(t *testing.T) {
	// ℓ itself, little-endian, is not reduced.
	l := mustHex(t, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	if _, err := DecodeScalar(l); !errors.Is(err, ErrNonCanonical) {
		t.Errorf("DecodeScalar(ℓ) = %v, want ErrNonCanonical", err)
	}
	// ℓ − 1 is the largest canonical scalar, and equals −1.
	lm1 := mustHex(t, "ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	s, err := DecodeScalar(lm1)
	if err != nil {
		t.Fatalf("DecodeScalar(ℓ−1): %v", err)
	}
	if !s.Equal(NewScalarInt(-1)) {
		t.Error("ℓ−1 != −1")
	}
	all := bytes.Repeat([]byte{0xff}, 32)
	if _, err := DecodeScalar(all); !errors.Is(err, ErrNonCanonical) {
		t.Errorf("DecodeScalar(ff…) = %v", err)
	}
}

func TestArithmetic(t *testing.T) {
	a, b := RandomScalar(), RandomScalar()
	P := BaseMul(a)
	if !P.Add(BaseMul(b)).Equal(BaseMul(a.Add(b))) {
		t.Error("aG + bG != (a+b)G")
	}
	if !P.Sub(BaseMul(b)).Equal(BaseMul(a.Sub(b))) {
		t.Error("aG − bG != (a−b)G")
	}
	if !Generator().Mul(a.Mul(b)).Equal(P.Mul(b)) {
		t.Error("(ab)G != b(aG)")
	}
	if !a.Mul(a.Inv()).Equal(NewScalar(1)) {
		t.Error("a·a⁻¹ != 1")
	}
	if !P.Add(P.Neg()).IsIdentity() {
		t.Error("P − P != 0")
	}
	if !VarTimeDoubleBaseMul(b, P, a).Equal(P.Mul(b).Add(BaseMul(a))) {
		t.Error("VarTimeDoubleBaseMul")
	}
	ss := []*Scalar{a, b, NewScalar(7)}
	ps := []*Point{P, Generator(), BaseMul(b)}
	want := P.Mul(a).Add(Generator().Mul(b)).Add(BaseMul(b).Mul(NewScalar(7)))
	if !VarTimeMSM(ss, ps).Equal(want) || !MSM(ss, ps).Equal(want) {
		t.Error("MSM")
	}
	if !VarTimeMSM(nil, nil).IsIdentity() {
		t.Error("empty MSM is not the identity")
	}
}

func TestTextEncoding(t *testing.T) {
	p := BaseMul(RandomScalar())
	txt, _ := p.MarshalText()
	var q Point
	if err := q.UnmarshalText(txt); err != nil || !q.Equal(p) {
		t.Fatalf("round trip: %v", err)
	}
	up := bytes.ToUpper(txt)
	if !bytes.Equal(up, txt) {
		if err := q.UnmarshalText(up); !errors.Is(err, ErrNonCanonical) {
			t.Errorf("uppercase hex accepted: %v", err)
		}
	}
	if err := q.UnmarshalText(txt[:62]); !errors.Is(err, ErrLength) {
		t.Errorf("short hex accepted: %v", err)
	}
}

func TestHashToScalarDomainSeparated(t *testing.T) {
	a := HashToScalar("tabella-test-a", []byte("m"))
	b := HashToScalar("tabella-test-b", []byte("m"))
	c := HashToScalar("tabella-test-a", []byte("n"))
	if a.Equal(b) || a.Equal(c) {
		t.Error("hash-to-scalar ignores DST or message")
	}
	if !a.Equal(HashToScalar("tabella-test-a", []byte("m"))) {
		t.Error("hash-to-scalar not deterministic")
	}
}

func FuzzDecodePoint(f *testing.F) {
	for _, h := range append(generatorMultiples, badEncodings...) {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePoint(b)
		if err != nil {
			if p != nil {
				t.Fatal("error with non-nil point")
			}
			return
		}
		// Re-encode from the decoded element, not the cached input bytes.
		enc := freshEncoding(p)
		if !bytes.Equal(enc[:], b) {
			t.Fatalf("accepted non-canonical %x (canonical %x)", b, enc)
		}
	})
}

func FuzzDecodeScalar(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeScalar(b)
		if err != nil {
			if s != nil {
				t.Fatal("error with non-nil scalar")
			}
			return
		}
		enc := s.Bytes()
		if !bytes.Equal(enc[:], b) {
			t.Fatalf("accepted non-canonical %x", b)
		}
	})
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
