package group

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/gtank/ristretto255"
	"github.com/stretchr/testify/require"
)

// The previous backend, github.com/gtank/ristretto255 v0.1.2, is kept in the
// tests as the reference implementation: values cross between it and this
// package only as canonical encodings.

func toGtank(t testing.TB, p *Point) *ristretto255.Element {
	t.Helper()
	enc := freshEncoding(p)
	e := new(ristretto255.Element)
	require.NoError(t, e.Decode(enc[:]), "gtank rejected our encoding %x", enc)
	return e
}

func toGtankScalar(t testing.TB, s *Scalar) *ristretto255.Scalar {
	t.Helper()
	b := s.Bytes()
	g := new(ristretto255.Scalar)
	require.NoError(t, g.Decode(b[:]))
	return g
}

func fromGtank(t testing.TB, e *ristretto255.Element) *Point {
	t.Helper()
	p, err := DecodePoint(e.Encode(nil))
	require.NoError(t, err)
	return p
}

// gtankMul computes s·P with gtank.
func gtankMul(t testing.TB, P *Point, s *Scalar) *Point {
	var r ristretto255.Element
	r.ScalarMult(toGtankScalar(t, s), toGtank(t, P))
	return fromGtank(t, &r)
}

func requireSame(t testing.TB, what string, got *Point, want *ristretto255.Element) {
	t.Helper()
	g := freshEncoding(got)
	require.Equal(t, hex.EncodeToString(want.Encode(nil)), hex.EncodeToString(g[:]), what)
}

// TestGtankAgreesOnRFC9496 runs the RFC 9496 vectors through both backends.
func TestGtankAgreesOnRFC9496(t *testing.T) {
	for i, h := range generatorMultiples {
		b := mustHex(t, h)
		var e ristretto255.Element
		require.NoError(t, e.Decode(b))
		p, err := DecodePoint(b)
		require.NoError(t, err)
		requireSame(t, "decode", p, &e)
		requireSame(t, "i·G", BaseMul(NewScalar(uint64(i))), &e)
		requireSame(t, "i·G by Mul", Generator().Mul(NewScalar(uint64(i))), &e)
	}
	for _, h := range badEncodings {
		var e ristretto255.Element
		require.Error(t, e.Decode(mustHex(t, h)))
		_, err := DecodePoint(mustHex(t, h))
		require.ErrorIs(t, err, ErrNonCanonical, h)
	}
}

// FuzzDifferentialGtank compares decoding, encoding, Mul, BaseMul, the
// FixedBase table, VarTimeDoubleBaseMul, MSM and VarTimeMSM (both
// algorithms) with gtank/ristretto255 on the same inputs. The input is a
// 32-byte candidate encoding followed by 32-byte scalar chunks.
func FuzzDifferentialGtank(f *testing.F) {
	for _, h := range append(append([]string{}, badEncodings...), generatorMultiples...) {
		b, _ := hex.DecodeString(h)
		f.Add(append(b, bytes.Repeat([]byte{0x5a}, 96)...))
	}
	f.Add(bytes.Repeat([]byte{0xff}, 32*9))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < PointSize {
			_, err := DecodePoint(in)
			require.ErrorIs(t, err, ErrLength)
			return
		}
		enc := in[:PointSize]
		var ge ristretto255.Element
		gerr := ge.Decode(enc)
		p, err := DecodePoint(enc)
		require.Equal(t, gerr == nil, err == nil, "decode %x: gtank %v, ours %v", enc, gerr, err)
		if err != nil {
			require.Nil(t, p)
			return
		}
		requireSame(t, "re-encoding", p, &ge)
		fe := freshEncoding(p)
		require.Equal(t, enc, fe[:])
		var gid ristretto255.Element
		gid.Zero()
		_, eerr := DecodeElement(enc)
		require.Equal(t, ge.Equal(&gid) == 1, eerr != nil, "identity check")

		// Scalars from the rest of the input, reduced as 64-byte uniform values.
		var ss []*Scalar
		var gs []*ristretto255.Scalar
		for rest := in[PointSize:]; len(rest) > 0 && len(ss) < 8; {
			var u [64]byte
			n := copy(u[:32], rest)
			rest = rest[n:]
			ss = append(ss, ScalarFromUniform(u))
			g := new(ristretto255.Scalar)
			g.FromUniformBytes(u[:])
			gs = append(gs, g)
		}
		if len(ss) == 0 {
			return
		}
		s, g := ss[0], gs[0]
		var r ristretto255.Element
		requireSame(t, "Mul", p.Mul(s), r.ScalarMult(g, &ge))
		requireSame(t, "FixedBase.Mul", NewFixedBase(p).Mul(s), &r)
		requireSame(t, "BaseMul", BaseMul(s), r.ScalarBaseMult(g))
		requireSame(t, "VarTimeDoubleBaseMul", VarTimeDoubleBaseMul(s, p, ss[len(ss)-1]),
			r.VarTimeDoubleScalarBaseMult(g, &ge, gs[len(gs)-1]))
		// MSM terms: the decoded point and multiples of it and of G.
		pts := make([]*Point, len(ss))
		gpts := make([]*ristretto255.Element, len(ss))
		for i := range ss {
			switch i % 3 {
			case 0:
				pts[i] = p
			case 1:
				pts[i] = p.Add(Generator())
			default:
				pts[i] = BaseMul(NewScalar(uint64(i)))
			}
			gpts[i] = toGtank(t, pts[i])
		}
		r.VarTimeMultiScalarMult(gs, gpts)
		requireSame(t, "VarTimeMSM", VarTimeMSM(ss, pts), &r)
		requireSame(t, "Straus", varTimeMSMStraus(ss, pts), &r)
		requireSame(t, "Pippenger", varTimeMSMPippenger(ss, pts), &r)
		requireSame(t, "MSM", MSM(ss, pts), &r)
	})
}

// TestPippengerMatchesGtank checks the large-term MSM against gtank.
func TestPippengerMatchesGtank(t *testing.T) {
	for _, n := range []int{192, 1000} {
		ss, ps := make([]*Scalar, n), make([]*Point, n)
		gs, gp := make([]*ristretto255.Scalar, n), make([]*ristretto255.Element, n)
		for i := range ss {
			ss[i], ps[i] = RandomScalar(), BaseMul(RandomScalar())
			gs[i], gp[i] = toGtankScalar(t, ss[i]), toGtank(t, ps[i])
		}
		var r ristretto255.Element
		r.VarTimeMultiScalarMult(gs, gp)
		requireSame(t, "VarTimeMSM", VarTimeMSM(ss, ps), &r)
	}
}
