package mixnet

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// fixture is an election key, a statement and an input list of n sequences
// of width w, sequence i encrypting i·w+k in column k.
type fixture struct {
	sk *group.Scalar
	st *Statement
	in []Sequence
}

func newFixture(t testing.TB, n, w int) *fixture {
	sk, pk := elgamal.GenerateKey()
	st, err := NewStatement(pk, [32]byte{1, 2, 3}, 2, "ranked")
	require.NoError(t, err)
	in := make([]Sequence, n)
	for i := range in {
		in[i] = make(Sequence, w)
		for k := range w {
			in[i][k] = elgamal.EncryptUint(st.Key(), uint64(i*w+k), group.RandomScalar())
		}
	}
	return &fixture{sk: sk, st: st, in: in}
}

func TestShuffleVerifies(t *testing.T) {
	for _, c := range []struct{ n, w int }{{1, 1}, {2, 1}, {3, 5}, {40, 2}, {300, 1}} {
		f := newFixture(t, c.n, c.w)
		out, proof, err := Shuffle(f.st, f.in)
		require.NoError(t, err)
		require.NoError(t, Verify(f.st, f.in, out, proof), "n=%d w=%d", c.n, c.w)
		// The output decrypts to the same sequences, each kept whole.
		seen := map[uint64]bool{}
		dl := elgamal.NewDLog(uint64(c.n * c.w))
		for _, s := range out {
			first, err := dl.Solve(s[0].Decrypt(f.sk))
			require.NoError(t, err)
			require.Zero(t, first%uint64(c.w))
			for k := range s {
				m, err := dl.Solve(s[k].Decrypt(f.sk))
				require.NoError(t, err)
				require.Equal(t, first+uint64(k), m)
			}
			require.False(t, seen[first])
			seen[first] = true
		}
	}
}
