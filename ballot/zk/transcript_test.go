package zk

import (
	"bytes"
	"crypto/sha512"
	"encoding/binary"
	"math/big"
	"slices"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// field is e2e/SPEC.md §3's field(label, value), written independently of
// Transcript.
func field(label string, value []byte) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(value)))
	return append(b, value...)
}

// challengeRef computes §3's challenge from scratch: RFC 9380 §5.3.1
// expand_message_xmd with SHA-512 to 64 bytes, read little-endian, mod ℓ.
func challengeRef(msg []byte) *group.Scalar {
	dst := []byte(ChallengeDST)
	dstPrime := append(slices.Clone(dst), byte(len(dst)))
	var mp []byte
	mp = append(mp, make([]byte, 128)...) // Z_pad, SHA-512 block size
	mp = append(mp, msg...)
	mp = append(mp, 0, 64, 0) // I2OSP(64, 2) || I2OSP(0, 1)
	mp = append(mp, dstPrime...)
	b0 := sha512.Sum512(mp)
	b1 := sha512.Sum512(append(append(b0[:], 1), dstPrime...))
	le := slices.Clone(b1[:])
	slices.Reverse(le)
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	v := new(big.Int).Mod(new(big.Int).SetBytes(le), l)
	var out [32]byte
	vb := v.Bytes()
	for i := range vb {
		out[i] = vb[len(vb)-1-i]
	}
	s, err := group.DecodeScalar(out[:])
	if err != nil {
		panic(err)
	}
	return s
}

func TestTranscriptEncodingAndChallenge(t *testing.T) {
	var base [32]byte
	for i := range base {
		base[i] = byte(i)
	}
	tr := NewTranscript("tabella/test", base)
	P := group.BaseMul(group.NewScalar(3))
	s := group.NewScalar(5)
	tr.Bytes("ctx", []byte("voter"))
	tr.Point("P", P)
	tr.Scalar("s", s)
	tr.Uint64("n", 258)
	pb, sb := P.Bytes(), s.Bytes()
	want := slices.Concat(
		field("tabella", []byte("v1")),
		field("protocol", []byte("tabella/test")),
		field("base", base[:]),
		field("ctx", []byte("voter")),
		field("P", pb[:]),
		field("s", sb[:]),
		field("n", []byte{0, 0, 0, 0, 0, 0, 1, 2}),
	)
	if !bytes.Equal(tr.Encoded(), want) {
		t.Fatalf("transcript bytes differ from e2e/SPEC.md §3:\n%x\n%x", tr.Encoded(), want)
	}
	if !tr.Challenge().Equal(challengeRef(want)) {
		t.Fatal("challenge differs from an independent RFC 9380 expand_message_xmd")
	}
	// Clone is independent.
	c := tr.Clone()
	c.Bytes("x", nil)
	if bytes.Equal(c.Encoded(), tr.Encoded()) {
		t.Fatal("Clone shares state")
	}
	// Field boundaries are unambiguous: ("ab","c") ≠ ("a","bc").
	t1, t2 := NewTranscript("p", base), NewTranscript("p", base)
	t1.Bytes("ab", []byte("c"))
	t2.Bytes("a", []byte("bc"))
	if t1.Challenge().Equal(t2.Challenge()) {
		t.Fatal("label/value boundary is ambiguous")
	}
}

// The Schnorr transcript is exactly the one e2e/SPEC.md §5.1 lists.
func TestSchnorrTranscriptMatchesSpec(t *testing.T) {
	var base [32]byte
	tr := NewTranscript("tabella/test", base)
	x := group.RandomNonZeroScalar()
	X := group.BaseMul(x)
	p := ProveSchnorr(tr, x, X)
	xb, ab := X.Bytes(), p.A.Bytes()
	msg := slices.Concat(tr.Encoded(), field("proof", []byte("schnorr")), field("X", xb[:]), field("A", ab[:]))
	c := challengeRef(msg)
	if !group.BaseMul(p.Z).Equal(p.A.Add(X.Mul(c))) {
		t.Fatal("proof does not satisfy z·G = A + c·X with the spec's challenge")
	}
}

// The range transcript is exactly the one e2e/SPEC.md §5.3 lists.
func TestRangeTranscriptMatchesSpec(t *testing.T) {
	var base [32]byte
	tr := NewTranscript("tabella/test", base)
	_, pk := groupKey()
	r := group.RandomScalar()
	ct := encrypt(pk, 2, r)
	p, err := ProveRange(tr, pk, ct, 2, r, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	b := func(p *group.Point) []byte { e := p.Bytes(); return e[:] }
	msg := slices.Concat(tr.Encoded(), field("proof", []byte("range")), field("pk", b(pk)),
		field("ct.a", b(ct.A)), field("ct.b", b(ct.B)),
		field("lo", []byte{0, 0, 0, 0, 0, 0, 0, 1}), field("hi", []byte{0, 0, 0, 0, 0, 0, 0, 3}))
	for k := range 3 {
		msg = slices.Concat(msg, field("a", b(p.A[k])), field("b", b(p.B[k])))
	}
	sum := group.NewScalar(0)
	for _, c := range p.C {
		sum = sum.Add(c)
	}
	if !sum.Equal(challengeRef(msg)) {
		t.Fatal("challenge shares do not sum to the spec's challenge")
	}
}

func groupKey() (*group.Scalar, *group.Point) {
	sk := group.RandomNonZeroScalar()
	return sk, group.BaseMul(sk)
}

func encrypt(pk *group.Point, m uint64, r *group.Scalar) elgamal.Ciphertext {
	return elgamal.EncryptUint(pk, m, r)
}
