package cascade

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/count"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

const (
	testElection = "cascade-test"
	window       = 10 * time.Second
	start        = int64(1_000_000)
)

// fixture is a 2-of-3 threshold key shared by hand (f(x) = a0 + a1·x), a
// ranked contest of 3 options and width 3, and n counted sequences.
type fixture struct {
	cfg    *Config
	shares map[int]*ceremony.KeyShare
	input  []mixnet.Sequence
	plain  [][]uint16
}

func newFixture(t testing.TB, n int) *fixture {
	a0, a1 := group.RandomNonZeroScalar(), group.RandomNonZeroScalar()
	K := group.Generator().Mul(a0)
	f := &fixture{shares: map[int]*ceremony.KeyShare{}}
	f.cfg = &Config{Election: testElection, Base: [32]byte{7}, Key: K, Qualified: []int{1, 2, 3}, Keys: map[int]*group.Point{},
		Threshold: 2, Window: window, Start: start}
	for i := 1; i <= 3; i++ {
		s := a0.Add(a1.Mul(group.NewScalar(uint64(i))))
		V := group.Generator().Mul(s)
		f.cfg.Keys[i] = V
		f.shares[i] = &ceremony.KeyShare{Trustee: i, Secret: s, Verification: V, JointKey: K}
	}
	for i := range n {
		seq := make(mixnet.Sequence, 3)
		p := make([]uint16, 3)
		for k := range seq {
			p[k] = uint16((i + k) % 4)
			seq[k] = elgamal.EncryptUint(K, uint64(p[k]), group.RandomScalar())
		}
		f.input = append(f.input, seq)
		f.plain = append(f.plain, p)
	}
	return f
}

func (f *fixture) cascade(t testing.TB) *Cascade {
	c := New(f.cfg, Contest{ID: "rank", Options: 3, Width: 3, Method: count.IRV})
	require.NoError(t, c.SetInput(f.input))
	return c
}

// mix is trustee i's honest mix of c's latest list.
func mix(t testing.TB, c *Cascade, i int) *Mix {
	in, h := c.Latest()
	st, err := c.Statement(i)
	require.NoError(t, err)
	out, proof, err := mixnet.Shuffle(st, in)
	require.NoError(t, err)
	m, err := NewMix(testElection, c.Contest.ID, i, h, out, proof)
	require.NoError(t, err)
	return roundTrip(t, m)
}

// roundTrip encodes and decodes m, as the board does.
func roundTrip(t testing.TB, m *Mix) *Mix {
	d, err := DecodeMix(m.Marshal())
	require.NoError(t, err)
	require.Equal(t, m.Marshal(), d.Marshal())
	return d
}

func admit(t testing.TB, c *Cascade, index uint64, now int64, m *Mix) {
	commit, err := c.CheckMix(index, now, m.Mixer, m, true)
	require.NoError(t, err)
	commit()
}

func admitShares(t testing.TB, c *Cascade, index uint64, now int64, i int, f *fixture) *Shares {
	m, err := c.DecryptShares(f.shares[i])
	require.NoError(t, err)
	d, err := DecodeShares(m.Marshal())
	require.NoError(t, err)
	require.Equal(t, m.Marshal(), d.Marshal())
	commit, err := c.CheckShares(index, now, i, d, true)
	require.NoError(t, err)
	commit()
	return d
}

func sorted(s [][]uint16) [][]uint16 {
	s = slices.Clone(s)
	slices.SortFunc(s, slices.Compare)
	return s
}

func TestCascadeHonest(t *testing.T) {
	f := newFixture(t, 7)
	c := f.cascade(t)
	require.Equal(t, 1, c.TurnAt(start).Mixer)
	for i := 1; i <= 3; i++ {
		admit(t, c, uint64(10+i), start+int64(i)*1000, mix(t, c, i))
	}
	require.True(t, c.Over(start+3000))
	admitShares(t, c, 20, start+4000, 3, f)
	admitShares(t, c, 21, start+4000, 1, f)
	admitShares(t, c, 22, start+4000, 2, f)
	r, err := c.ComputeResult()
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, r.Mixers)
	require.Equal(t, []int{3, 1}, r.Trustees)
	require.Equal(t, []uint64{20, 21}, r.Shares)
	require.Equal(t, sorted(f.plain), sorted(r.Sequences), "the final list decrypts to the counted rankings, each kept whole")
	cr, err := count.Verify(r.Count, rawOf(r.Sequences))
	require.NoError(t, err, "the count is the count of the decrypted rankings")
	require.Equal(t, 7, cr.Ballots)
	direct, err := count.Count(count.IRV, 3, 1, rawOf(f.plain))
	require.NoError(t, err)
	require.Equal(t, direct.Winners, cr.Winners, "the winners are those of the counted rankings")
	_, commit, err := c.CheckResult(30, r.Marshal(), false)
	require.NoError(t, err)
	commit()
	_, _, err = c.CheckResult(31, r.Marshal(), false)
	require.ErrorIs(t, err, ErrOrder)
}

// state is what a refused entry must leave unchanged.
func state(c *Cascade) string {
	_, h := c.Latest()
	return string(h[:]) + "|" + strings.Repeat("m", len(c.Mixes)) + "|" + strings.Repeat("s", len(c.Shares))
}

func refuse(t *testing.T, c *Cascade, now int64, m *Mix, signer int, want error, contains string) {
	t.Helper()
	before := state(c)
	_, err := c.CheckMix(99, now, signer, m, true)
	require.ErrorIs(t, err, want)
	require.Contains(t, err.Error(), contains)
	require.Equal(t, before, state(c), "a refused mix changes nothing")
}

func TestMixMustFail(t *testing.T) {
	f := newFixture(t, 5)
	c := f.cascade(t)
	admit(t, c, 10, start+1000, mix(t, c, 1))
	now := start + 2000
	in, h := c.Latest()
	st, err := c.Statement(2)
	require.NoError(t, err)
	out, proof, err := mixnet.Shuffle(st, in)
	require.NoError(t, err)
	build := func(out []mixnet.Sequence, proof *mixnet.Proof, input [32]byte) *Mix {
		m, err := NewMix(testElection, "rank", 2, input, out, proof)
		require.NoError(t, err)
		return roundTrip(t, m)
	}
	fresh := func() elgamal.Ciphertext { return elgamal.EncryptUint(f.cfg.Key, 1, group.RandomScalar()) }

	t.Run("drops a sequence", func(t *testing.T) {
		m, err := NewMix(testElection, "rank", 2, h, out[1:], proof)
		require.NoError(t, err)
		_, err = DecodeMix(m.Marshal())
		require.ErrorIs(t, err, ErrMalformed, "the proof's header does not fit the list")
		refuse(t, c, now, m, 2, mixnet.ErrMalformed, "mixer 2")
	})
	t.Run("duplicates a sequence", func(t *testing.T) {
		o := slices.Clone(out)
		o[1] = o[0]
		refuse(t, c, now, build(o, proof, h), 2, mixnet.ErrInvalidProof, "mixer 2's shuffle")
	})
	t.Run("replaces a sequence", func(t *testing.T) {
		o := slices.Clone(out)
		o[2] = mixnet.Sequence{fresh(), fresh(), fresh()}
		refuse(t, c, now, build(o, proof, h), 2, mixnet.ErrInvalidProof, "mixer 2's shuffle")
	})
	t.Run("splits a ranking across voters", func(t *testing.T) {
		o := slices.Clone(out)
		o[0], o[1] = slices.Clone(o[0]), slices.Clone(o[1])
		o[0][2], o[1][2] = o[1][2], o[0][2]
		refuse(t, c, now, build(o, proof, h), 2, mixnet.ErrInvalidProof, "mixer 2's shuffle")
	})
	t.Run("proof for another input list", func(t *testing.T) {
		other := newFixture(t, 5)
		other.input = slices.Clone(in)
		other.input[0] = mixnet.Sequence{fresh(), fresh(), fresh()}
		o, p, err := mixnet.Shuffle(st, other.input)
		require.NoError(t, err)
		refuse(t, c, now, build(o, p, h), 2, mixnet.ErrInvalidProof, "mixer 2's shuffle")
		b, err := mixnet.EncodeList(other.input)
		require.NoError(t, err)
		refuse(t, c, now, build(o, p, ListHash(testElection, "rank", b)), 2, ErrWrongInput, "latest valid list")
		// The counted sequences, not the latest list: an earlier list.
		o, p, err = mixnet.Shuffle(st, f.input)
		require.NoError(t, err)
		b, err = mixnet.EncodeList(f.input)
		require.NoError(t, err)
		h0 := ListHash(testElection, "rank", b)
		refuse(t, c, now, build(o, p, h0), 2, ErrWrongInput, "trustee 2 shuffled list")
	})
	t.Run("proof for another election", func(t *testing.T) {
		other, err := mixnet.NewStatement(f.cfg.Key, [32]byte{8}, 2, "rank")
		require.NoError(t, err)
		o, p, err := mixnet.Shuffle(other, in)
		require.NoError(t, err)
		refuse(t, c, now, build(o, p, h), 2, mixnet.ErrInvalidProof, "mixer 2's shuffle")
		m := build(out, proof, h)
		m.Election = "another-election"
		refuse(t, c, now, m, 2, ErrWrongElection, "another-election")
	})
	t.Run("proof for another mixer or contest", func(t *testing.T) {
		for _, s := range []struct {
			mixer   uint32
			contest string
		}{{3, "rank"}, {2, "other"}} {
			other, err := mixnet.NewStatement(f.cfg.Key, f.cfg.Base, s.mixer, s.contest)
			require.NoError(t, err)
			o, p, err := mixnet.Shuffle(other, in)
			require.NoError(t, err)
			refuse(t, c, now, build(o, p, h), 2, mixnet.ErrInvalidProof, "mixer 2's shuffle")
		}
	})
	t.Run("previous list re-posted with a fake proof", func(t *testing.T) {
		prev := c.Mixes[0]
		require.Equal(t, 1, prev.Mixer)
		// The previous mixer's own proof, and a proof of a real shuffle.
		first := mix(t, f.cascade(t), 1)
		refuse(t, c, now, build(in, first.Proof, h), 2, mixnet.ErrUnmixed, "mixer 2's shuffle")
		refuse(t, c, now, build(in, proof, h), 2, mixnet.ErrUnmixed, "mixer 2's shuffle")
	})
	t.Run("second mix by the same trustee", func(t *testing.T) {
		st1, err := c.Statement(1)
		require.NoError(t, err)
		o, p, err := mixnet.Shuffle(st1, in)
		require.NoError(t, err)
		m, err := NewMix(testElection, "rank", 1, h, o, p)
		require.NoError(t, err)
		refuse(t, c, now, m, 1, ErrOrder, "second mix of contest \"rank\" by trustee 1 (the first is entry 10)")
	})
	t.Run("not its turn", func(t *testing.T) {
		st3, err := c.Statement(3)
		require.NoError(t, err)
		o, p, err := mixnet.Shuffle(st3, in)
		require.NoError(t, err)
		m, err := NewMix(testElection, "rank", 3, h, o, p)
		require.NoError(t, err)
		refuse(t, c, now, m, 3, ErrOrder, "not trustee 3's turn")
	})
	t.Run("signed by another trustee", func(t *testing.T) {
		refuse(t, c, now, build(out, proof, h), 3, ErrForbidden, "signed by trustee 3")
	})
	t.Run("not qualified", func(t *testing.T) {
		m, err := NewMix(testElection, "rank", 4, h, out, proof)
		require.NoError(t, err)
		refuse(t, c, now, m, 4, ErrForbidden, "not qualified")
	})
	// The honest mix is still admitted after all that.
	admit(t, c, 11, now, build(out, proof, h))
}

func TestDeadlineSkips(t *testing.T) {
	f := newFixture(t, 4)
	c := f.cascade(t)
	w := window.Milliseconds()
	require.Equal(t, Turn{Mixer: 1, Opened: start, Deadline: start + w, Skipped: []int{}}, withEmpty(c.TurnAt(start+w)))
	// Trustee 1 misses its deadline: trustee 2 starts from the counted
	// sequences at the deadline.
	late := start + w + 1
	require.Equal(t, Turn{Mixer: 2, Opened: start + w, Deadline: start + 2*w, Skipped: []int{1}}, c.TurnAt(late))
	m1 := mix(t, c, 1)
	refuse(t, c, late, m1, 1, ErrOrder, "trustee 1 missed its turn")
	admit(t, c, 10, late, mix(t, c, 2))
	require.Equal(t, []int{1}, c.Skipped)
	// Trustee 3's turn opened with trustee 2's mix.
	require.Equal(t, Turn{Mixer: 3, Opened: late, Deadline: late + w, Skipped: []int{1}}, c.TurnAt(late+w))
	// Shares before trustee 3's deadline are refused.
	sh, err := c.DecryptShares(f.shares[1])
	require.NoError(t, err)
	_, err = c.CheckShares(20, late+w, 1, sh, true)
	require.ErrorIs(t, err, ErrOrder)
	require.Contains(t, err.Error(), "before the cascade is over: trustee 3")
	// Trustee 3 is skipped too: the cascade is over and the last valid
	// list, trustee 2's, is decrypted.
	after := late + w + 1
	require.True(t, c.Over(after))
	admitShares(t, c, 20, after, 1, f)
	// A mix after the decryption started is refused, even in turn.
	m3 := mix(t, c, 3)
	refuse(t, c, after, m3, 3, ErrOrder, "after its decryption started (entry 20)")
	admitShares(t, c, 21, after, 2, f)
	r, err := c.ComputeResult()
	require.NoError(t, err)
	require.Equal(t, []int{2}, r.Mixers)
	require.Equal(t, []int{1, 3}, r.Skipped)
	require.Equal(t, sorted(f.plain), sorted(r.Sequences))
}

func withEmpty(t Turn) Turn {
	if t.Skipped == nil {
		t.Skipped = []int{}
	}
	return t
}

func TestNoMixNoDecryption(t *testing.T) {
	f := newFixture(t, 3)
	c := f.cascade(t)
	_, err := c.DecryptShares(f.shares[1])
	require.Error(t, err)
	// Every mixer skipped: still no decryption without a mix.
	m := &Shares{Election: testElection, Contest: "rank", Trustee: 1, N: 3, W: 3}
	_, err = c.CheckShares(5, start+10*window.Milliseconds(), 1, m, true)
	require.ErrorIs(t, err, ErrOrder)
	require.Contains(t, err.Error(), "at least one mix")
	_, err = c.ComputeResult()
	require.ErrorIs(t, err, ErrOrder)
}

func TestEmptyContest(t *testing.T) {
	f := newFixture(t, 0)
	c := New(f.cfg, Contest{ID: "rank", Options: 3, Width: 3, Method: count.STV, Seats: 2})
	require.NoError(t, c.SetInput(nil))
	r, err := c.ComputeResult()
	require.NoError(t, err)
	require.Empty(t, r.Sequences)
	const head = `{"version":"tabella-mix-result/v1","election":"0700000000000000000000000000000000000000000000000000000000000000","contest":"rank","list":"0000000000000000000000000000000000000000000000000000000000000000","mixers":[],"skipped":[],"sequences":[],"trustees":[],"shares":[],"count":{"version":"tabella/v1","method":"stv","options":3,"seats":2,"ballots":0,`
	require.True(t, strings.HasPrefix(string(r.Marshal()), head), "%s", r.Marshal())
	d, err := DecodeResult(r.Marshal())
	require.NoError(t, err)
	require.Equal(t, r.Marshal(), d.Marshal())
}

func TestShareMustFail(t *testing.T) {
	f := newFixture(t, 4)
	c := f.cascade(t)
	for i := 1; i <= 3; i++ {
		admit(t, c, uint64(10+i), start+int64(i), mix(t, c, i))
	}
	now := start + 10
	good, err := c.DecryptShares(f.shares[2])
	require.NoError(t, err)
	check := func(m *Shares, signer int, want error, contains string) {
		t.Helper()
		before := state(c)
		d, err := DecodeShares(m.Marshal())
		require.NoError(t, err)
		_, err = c.CheckShares(50, now, signer, d, true)
		require.ErrorIs(t, err, want)
		require.Contains(t, err.Error(), contains)
		require.Equal(t, before, state(c))
	}
	t.Run("wrong proof", func(t *testing.T) {
		m := *good
		m.Shares = slices.Clone(good.Shares)
		m.Shares[5].Proof = good.Shares[4].Proof
		check(&m, 2, ErrBadShare, "trustee 2's decryption share of ciphertext 5 (sequence 1, rank 3)")
	})
	t.Run("wrong share", func(t *testing.T) {
		m := *good
		m.Shares = slices.Clone(good.Shares)
		m.Shares[0].D = m.Shares[0].D.Add(group.Generator())
		check(&m, 2, ErrBadShare, "ciphertext 0")
	})
	t.Run("another trustee's shares", func(t *testing.T) {
		m := *good
		m.Trustee = 1
		check(&m, 1, ErrBadShare, "trustee 1's decryption share of ciphertext 0")
	})
	t.Run("another list", func(t *testing.T) {
		m := *good
		m.List = c.Mixes[1].Hash
		check(&m, 2, ErrWrongInput, "final list")
	})
	t.Run("signer", func(t *testing.T) {
		check(good, 3, ErrForbidden, "signed by trustee 3")
	})
	commit, err := c.CheckShares(51, now, 2, good, true)
	require.NoError(t, err)
	commit()
	t.Run("second", func(t *testing.T) {
		check(good, 2, ErrOrder, "second decryption")
	})
	// A posted result that differs is refused.
	admitShares(t, c, 52, now, 1, f)
	r, err := c.ComputeResult()
	require.NoError(t, err)
	posted := r.Marshal()
	r.Sequences[0] = slices.Clone(r.Sequences[0])
	r.Sequences[0][0] ^= 1
	_, _, err = c.CheckResult(60, r.Marshal(), false)
	require.ErrorIs(t, err, ErrResult)
	require.Contains(t, err.Error(), "sequence 0")
	// The count of other rankings (one ballot dropped), well formed.
	r, err = DecodeResult(posted)
	require.NoError(t, err)
	other, err := count.Count(count.IRV, 3, 1, rawOf(r.Sequences[1:]))
	require.NoError(t, err)
	r.Count, err = other.Encode()
	require.NoError(t, err)
	_, _, err = c.CheckResult(60, r.Marshal(), false)
	require.ErrorIs(t, err, ErrResult)
	require.Contains(t, err.Error(), "the count differs from the recount of the decrypted rankings")
	_, commit, err = c.CheckResult(60, posted, false)
	require.NoError(t, err)
	commit()
}
