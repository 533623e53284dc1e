package cascade

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/count"
)

func TestLimits(t *testing.T) {
	require.Equal(t, bulletin.MaxPayloadSize, MaxPayload)
	require.Equal(t, bulletin.MaxElectionIDLen, MaxIDLength)
	require.Equal(t, mixnet.MaxContestID, MaxIDLength)
	require.LessOrEqual(t, sharesSize(string(make([]byte, MaxIDLength)), string(make([]byte, MaxIDLength)), MaxShares), MaxPayload)
}

func TestDecodeMixRejects(t *testing.T) {
	f := newFixture(t, 2)
	c := f.cascade(t)
	good := mix(t, c, 1).Marshal()
	cases := map[string][]byte{
		"empty":       {},
		"label":       append([]byte("TMX2"), good[4:]...),
		"truncated":   good[:len(good)-1],
		"trailing":    append(bytes.Clone(good), 0),
		"no election": append([]byte("TMX1\x00"), good[5+len(testElection):]...),
		"mixer 0":     bytes.Replace(bytes.Clone(good), []byte("rank\x00\x00\x00\x01"), []byte("rank\x00\x00\x00\x00"), 1),
		"mixer 65":    bytes.Replace(bytes.Clone(good), []byte("rank\x00\x00\x00\x01"), []byte("rank\x00\x00\x00\x41"), 1),
		"only head":   good[:4+1+len(testElection)+1+4+4+32],
		"list tag":    bytes.Replace(bytes.Clone(good), []byte(mixnet.ListTag), []byte("TML9"), 1),
		"proof tag":   bytes.Replace(bytes.Clone(good), []byte(mixnet.ProofTag), []byte("TMP9"), 1),
		"oversized":   make([]byte, MaxPayload+1),
		"bad point": func() []byte {
			b := bytes.Clone(good)
			i := bytes.Index(b, []byte(mixnet.ListTag)) + 12
			copy(b[i:], bytes.Repeat([]byte{0xff}, 32))
			return b
		}(),
		"identity point": func() []byte {
			b := bytes.Clone(good)
			i := bytes.Index(b, []byte(mixnet.ListTag)) + 12
			copy(b[i:], make([]byte, 32))
			return b
		}(),
	}
	for name, b := range cases {
		m, err := DecodeMix(b)
		require.ErrorIs(t, err, ErrMalformed, name)
		require.Nil(t, m, name)
	}
}

func TestDecodeSharesRejects(t *testing.T) {
	f := newFixture(t, 2)
	c := f.cascade(t)
	admit(t, c, 1, start, mix(t, c, 1))
	m, err := c.DecryptShares(f.shares[1])
	require.NoError(t, err)
	good := m.Marshal()
	head := 4 + 1 + len(testElection) + 1 + 4 + 4 + 32
	cases := map[string][]byte{
		"label":     append([]byte("TMD0"), good[4:]...),
		"truncated": good[:len(good)-1],
		"trailing":  append(bytes.Clone(good), 0),
		"count":     func() []byte { b := bytes.Clone(good); b[head+3]++; return b }(),
		"width 0":   func() []byte { b := bytes.Clone(good); b[head+7] = 0; return b }(),
		"n 0":       func() []byte { b := bytes.Clone(good); b[head+3] = 0; return b }(),
		"bad D":     func() []byte { b := bytes.Clone(good); copy(b[head+8:], bytes.Repeat([]byte{0xff}, 32)); return b }(),
		"bad z":     func() []byte { b := bytes.Clone(good); copy(b[head+8+96:], bytes.Repeat([]byte{0xff}, 32)); return b }(),
	}
	for name, b := range cases {
		m, err := DecodeShares(b)
		require.ErrorIs(t, err, ErrMalformed, name)
		require.Nil(t, m, name)
	}
}

func FuzzDecodeMix(f *testing.F) {
	fx := newFixture(f, 2)
	c := fx.cascade(f)
	f.Add(mix(f, c, 1).Marshal())
	f.Add([]byte("TMX1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMix(b)
		if err != nil {
			require.Nil(t, m)
			return
		}
		require.Equal(t, b, m.Marshal(), "decode→marshal is byte-identical")
	})
}

func FuzzDecodeShares(f *testing.F) {
	fx := newFixture(f, 1)
	c := fx.cascade(f)
	admit(f, c, 1, start, mix(f, c, 1))
	m, err := c.DecryptShares(fx.shares[1])
	require.NoError(f, err)
	f.Add(m.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeShares(b)
		if err != nil {
			require.Nil(t, m)
			return
		}
		require.Equal(t, b, m.Marshal())
	})
}

func FuzzDecodeResult(f *testing.F) {
	fx := newFixture(f, 0)
	c := New(fx.cfg, Contest{ID: "rank", Options: 3, Width: 3, Method: count.Schulze, Seats: 2})
	require.NoError(f, c.SetInput(nil))
	r, err := c.ComputeResult()
	require.NoError(f, err)
	f.Add(r.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResult(b)
		if err != nil {
			require.Nil(t, r)
			return
		}
		require.Equal(t, b, r.Marshal())
	})
}
