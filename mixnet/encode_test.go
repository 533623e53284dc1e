package mixnet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/group"
)

func TestEncodingRoundTrip(t *testing.T) {
	f := newFixture(t, 6, 3)
	out, proof, err := Shuffle(f.st, f.in)
	require.NoError(t, err)

	lb, err := EncodeList(out)
	require.NoError(t, err)
	require.Len(t, lb, ListSize(6, 3))
	require.Equal(t, []byte(ListTag), lb[:4])
	l, err := DecodeList(lb)
	require.NoError(t, err)
	lb2, err := EncodeList(l)
	require.NoError(t, err)
	require.Equal(t, lb, lb2)

	pb, err := proof.Bytes()
	require.NoError(t, err)
	require.Len(t, pb, ProofSize(6, 3))
	require.Len(t, pb, 12+32*(5*6+3*3+6))
	p, err := DecodeProof(pb)
	require.NoError(t, err)
	pb2, err := p.Bytes()
	require.NoError(t, err)
	require.Equal(t, pb, pb2)

	inb, err := EncodeList(f.in)
	require.NoError(t, err)
	in, err := DecodeList(inb)
	require.NoError(t, err)
	require.NoError(t, Verify(f.st, in, l, p))
}

func TestDecodeRejects(t *testing.T) {
	f := newFixture(t, 3, 2)
	out, proof, err := Shuffle(f.st, f.in)
	require.NoError(t, err)
	lb, err := EncodeList(out)
	require.NoError(t, err)
	pb, err := proof.Bytes()
	require.NoError(t, err)

	nonCanonical := bytes.Repeat([]byte{0xff}, 32)
	identity := make([]byte, 32)
	orderL := []byte{ // ℓ, little-endian: not reduced
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	with := func(b []byte, off int, v []byte) []byte {
		c := append([]byte(nil), b...)
		copy(c[off:], v)
		return c
	}
	header := func(tag string, n, w uint32) []byte {
		b := append([]byte(tag), 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint32(b[4:], n)
		binary.BigEndian.PutUint32(b[8:], w)
		return b
	}
	for name, b := range map[string][]byte{
		"empty":         nil,
		"proof tag":     with(lb, 0, []byte(ProofTag)),
		"truncated":     lb[:len(lb)-1],
		"trailing":      append(append([]byte(nil), lb...), 0),
		"n = 0":         header(ListTag, 0, 2),
		"w = 0":         header(ListTag, 3, 0),
		"n too large":   header(ListTag, MaxSequences+1, 1),
		"w too large":   header(ListTag, 1, MaxWidth+1),
		"too many":      header(ListTag, MaxSequences, MaxWidth),
		"n changed":     with(lb, 4, []byte{0, 0, 0, 2}),
		"non-canonical": with(lb, headerSize+64*2, nonCanonical),
		"identity":      with(lb, headerSize+64*5+32, identity),
		"header only":   lb[:headerSize],
	} {
		_, err := DecodeList(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
	scalars := headerSize + 32*(3*3+3+2*2)
	for name, b := range map[string][]byte{
		"empty":               nil,
		"list tag":            with(pb, 0, []byte(ListTag)),
		"truncated":           pb[:len(pb)-1],
		"trailing":            append(append([]byte(nil), pb...), 0),
		"w changed":           with(pb, 8, []byte{0, 0, 0, 1}),
		"non-canonical point": with(pb, headerSize+32, nonCanonical),
		"identity commitment": with(pb, headerSize, identity),
		"identity T4":         with(pb, scalars-32, identity),
		"unreduced scalar":    with(pb, scalars+32, orderL),
		"unreduced last":      with(pb, len(pb)-32, orderL),
	} {
		_, err := DecodeProof(b)
		require.ErrorIs(t, err, ErrMalformed, name)
	}
	// Reduced scalars, including 0, decode.
	_, err = DecodeProof(with(pb, scalars, make([]byte, 32)))
	require.NoError(t, err)
}

func TestEncodeRejectsBadShapes(t *testing.T) {
	_, err := EncodeList(nil)
	require.ErrorIs(t, err, ErrMalformed)
	_, err = (*Proof)(nil).Bytes()
	require.ErrorIs(t, err, ErrMalformed)
	_, err = (&Proof{}).Bytes()
	require.ErrorIs(t, err, ErrMalformed)
	f := newFixture(t, 2, 1)
	_, proof, err := Shuffle(f.st, f.in)
	require.NoError(t, err)
	proof.Chain[1] = group.Identity()
	_, err = proof.Bytes()
	assert.ErrorIs(t, err, ErrMalformed)
}

// fuzzFixture is a fixed shuffle the fuzz targets mutate.
func fuzzFixture(f *testing.F) (*fixture, []Sequence, []byte, []byte) {
	fx := newFixture(f, 3, 2)
	out, proof, err := Shuffle(fx.st, fx.in)
	require.NoError(f, err)
	lb, err := EncodeList(out)
	require.NoError(f, err)
	pb, err := proof.Bytes()
	require.NoError(f, err)
	return fx, out, lb, pb
}

// FuzzDecodeProof: a decoded proof re-encodes to the same bytes, errors
// come with nil results, and no proof other than the original verifies.
func FuzzDecodeProof(f *testing.F) {
	fx, out, lb, pb := fuzzFixture(f)
	f.Add(pb)
	f.Add(pb[:len(pb)-1])
	f.Add(lb)
	f.Add([]byte(ProofTag))
	f.Add(append([]byte(ProofTag), 0, 0, 0, 1, 0, 0, 0, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeProof(b)
		if err != nil {
			require.Nil(t, p)
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		enc, err := p.Bytes()
		require.NoError(t, err)
		require.Equal(t, b, enc)
		if err := Verify(fx.st, fx.in, out, p); err == nil {
			require.Equal(t, pb, b, "a mutated proof verified")
		}
	})
}

// FuzzDecodeList: a decoded list re-encodes to the same bytes, and no
// output list other than the original verifies with the proof.
func FuzzDecodeList(f *testing.F) {
	fx, _, lb, pb := fuzzFixture(f)
	proof, err := DecodeProof(pb)
	require.NoError(f, err)
	f.Add(lb)
	f.Add(lb[:headerSize])
	f.Add(pb)
	f.Add(append([]byte(ListTag), 0, 0, 0, 1, 0, 0, 0, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeList(b)
		if err != nil {
			require.Nil(t, l)
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		enc, err := EncodeList(l)
		require.NoError(t, err)
		require.Equal(t, b, enc)
		if err := Verify(fx.st, fx.in, l, proof); err == nil {
			require.Equal(t, lb, b, "another output list verified")
		}
	})
}
