package verify

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/mixnet/count"
)

// mixBoard is an election folded by the rule book up to its close, with a
// ranked contest's cascade, and helpers to post the cascade's entries.
type mixBoard struct {
	t     *testing.T
	e     *electiontest.Election
	st    *rules.State
	input []mixnet.Sequence
	now   int64
}

const rankID = "rank"

// newMixBoard folds a built election up to its election.close. The
// manifest has no ranked contest yet (ranked ballots are not encrypted by
// this version's ballot package), so the test opens the cascade of a
// ranked contest "rank" (3 options, width 2) itself, with counted
// sequences it encrypts under the joint key: the rules of §16 are what is
// tested, from the first mix on.
func newMixBoard(t *testing.T) *mixBoard {
	e, err := electiontest.Build(electiontest.Config{Trustees: 3, Threshold: 2, Voters: 4, Ballots: 3})
	require.NoError(t, err)
	cfg, err := rules.NewConfig(e.ID, e.BoardKey)
	require.NoError(t, err)
	st := rules.New(cfg)
	for _, en := range e.Entries[:e.CloseIndex+1] {
		require.NoError(t, st.Apply(en, nil), "entry %d", en.Index)
	}
	require.NotNil(t, st.MixConfig)
	c := cascade.New(st.MixConfig, cascade.Contest{ID: rankID, Options: 3, Width: 2, Method: count.IRV})
	st.Cascades[rankID] = c
	b := &mixBoard{t: t, e: e, st: st, now: st.CloseTime + 1000}
	for i := range 4 {
		b.input = append(b.input, mixnet.Sequence{
			elgamal.EncryptUint(st.MixConfig.Key, uint64(i%4), group.RandomScalar()),
			elgamal.EncryptUint(st.MixConfig.Key, uint64((i+1)%4), group.RandomScalar())})
	}
	return b
}

func (b *mixBoard) entry(typ string, payload []byte, trustee int) *bulletin.Entry {
	var signer, sig []byte
	if trustee == 0 {
		signer, sig = record.Sign(record.Board, b.e.BoardPriv, b.e.ID, typ, payload)
	} else {
		id := b.e.Trustees[trustee-1]
		s := id.Sign(b.e.ID, typ, payload)
		signer, sig = electiontest.TrusteeSigner(id), s[:]
	}
	return &bulletin.Entry{Index: b.st.Size, Time: b.now, Type: typ, Payload: payload, Signer: signer, Signature: sig}
}

func (b *mixBoard) pre() *rules.Pre {
	return &rules.Pre{Ranked: map[string][]mixnet.Sequence{rankID: b.input}}
}

// mix is trustee i's honest mix of the latest list.
func (b *mixBoard) mix(i int) *cascade.Mix {
	c := b.st.Cascades[rankID]
	require.NoError(b.t, c.SetInput(b.input))
	in, h := c.Latest()
	stm, err := c.Statement(i)
	require.NoError(b.t, err)
	out, proof, err := mixnet.Shuffle(stm, in)
	require.NoError(b.t, err)
	m, err := cascade.NewMix(b.e.ID, rankID, i, h, out, proof)
	require.NoError(b.t, err)
	return m
}

func (b *mixBoard) apply(en *bulletin.Entry) {
	require.NoError(b.t, b.st.Apply(en, b.pre()))
}

// refuse requires en to be refused with check c and a message containing
// contains, and the state unchanged (the same verdict again, same size).
func (b *mixBoard) refuse(en *bulletin.Entry, c rules.Check, contains string) {
	b.t.Helper()
	size := b.st.Size
	err := b.st.Apply(en, b.pre())
	var v *rules.Violation
	require.True(b.t, errors.As(err, &v), "%v", err)
	require.Equal(b.t, c, v.Check, v.Error())
	require.Contains(b.t, v.Msg, contains)
	require.Equal(b.t, size, b.st.Size, "nothing appended")
	require.Equal(b.t, err.Error(), b.st.Check(en, b.pre()).Error(), "the refusal changed the state")
}

func TestMixRules(t *testing.T) {
	b := newMixBoard(t)
	m1 := b.mix(1)
	b.apply(b.entry(record.TypeMix, m1.Marshal(), 1))
	b.now += 1000

	m2 := b.mix(2)
	t.Run("signed by another trustee", func(t *testing.T) {
		b.refuse(b.entry(record.TypeMix, m2.Marshal(), 3), rules.CheckMix, "signed by trustee 3")
	})
	t.Run("second mix by the same trustee", func(t *testing.T) {
		again := b.mix(1)
		b.refuse(b.entry(record.TypeMix, again.Marshal(), 1), rules.CheckOrder, "second mix of contest \"rank\" by trustee 1")
	})
	t.Run("previous list re-posted with a fake proof", func(t *testing.T) {
		fake, err := cascade.NewMix(b.e.ID, rankID, 2, m2.Input, m1.Output, m1.Proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, fake.Marshal(), 2), rules.CheckMix, "mixer 2's shuffle of contest \"rank\" is refused")
	})
	t.Run("duplicated sequence", func(t *testing.T) {
		out := append([]mixnet.Sequence{m2.Output[1]}, m2.Output[1:]...)
		bad, err := cascade.NewMix(b.e.ID, rankID, 2, m2.Input, out, m2.Proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, bad.Marshal(), 2), rules.CheckMix, "mixer 2's shuffle")
	})
	t.Run("ranking split across voters", func(t *testing.T) {
		out := slices.Clone(m2.Output)
		a, c := slices.Clone(out[0]), slices.Clone(out[1])
		a[1], c[1] = c[1], a[1] // the second-ranked ciphertexts of two voters swapped
		out[0], out[1] = a, c
		bad, err := cascade.NewMix(b.e.ID, rankID, 2, m2.Input, out, m2.Proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, bad.Marshal(), 2), rules.CheckMix, "mixer 2's shuffle of contest \"rank\" is refused")
	})
	t.Run("proof for another input list", func(t *testing.T) {
		c := b.st.Cascades[rankID]
		stm, err := c.Statement(2)
		require.NoError(t, err)
		out, proof, err := mixnet.Shuffle(stm, b.input) // the counted list, not the latest
		require.NoError(t, err)
		h, err := rules.MixInputHash(b.e.ID, rankID, b.input)
		require.NoError(t, err)
		bad, err := cascade.NewMix(b.e.ID, rankID, 2, h, out, proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, bad.Marshal(), 2), rules.CheckMix, "must be the latest valid list")
	})
	t.Run("another election", func(t *testing.T) {
		other, err := cascade.NewMix("other-election", rankID, 2, m2.Input, m2.Output, m2.Proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, other.Marshal(), 2), rules.CheckMix, "other-election")
	})
	t.Run("not a ranked contest", func(t *testing.T) {
		other, err := cascade.NewMix(b.e.ID, "nope", 2, m2.Input, m2.Output, m2.Proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, other.Marshal(), 2), rules.CheckMix, "not a ranked contest")
	})
	t.Run("malformed", func(t *testing.T) {
		p := m2.Marshal()
		b.refuse(b.entry(record.TypeMix, p[:len(p)-1], 2), rules.CheckMix, "proof")
	})
	b.apply(b.entry(record.TypeMix, m2.Marshal(), 2))
	b.now += 1000
	b.apply(b.entry(record.TypeMix, b.mix(3).Marshal(), 3))
	b.now += 1000

	c := b.st.Cascades[rankID]
	shares := func(i int) *cascade.Shares {
		s, err := c.DecryptShares(b.e.KeyShares[i-1])
		require.NoError(t, err)
		return s
	}
	s2 := shares(2)
	t.Run("share with a wrong proof", func(t *testing.T) {
		bad := *s2
		bad.Shares = append([]cascade.Share(nil), s2.Shares...)
		bad.Shares[3].Proof = s2.Shares[2].Proof
		b.refuse(b.entry(record.TypeMixShare, bad.Marshal(), 2), rules.CheckMixShare, "trustee 2's decryption share of ciphertext 3 (sequence 1, rank 2)")
	})
	t.Run("result before the shares", func(t *testing.T) {
		cr, err := count.Count(count.IRV, 3, 1, nil)
		require.NoError(t, err)
		enc, err := cr.Encode()
		require.NoError(t, err)
		r := &cascade.Result{Version: cascade.ResultVersion, Contest: rankID, Mixers: []int{}, Skipped: []int{}, Sequences: [][]uint16{}, Trustees: []int{}, Shares: []uint64{}, Count: enc}
		b.refuse(b.entry(record.TypeMixResult, r.Marshal(), 0), rules.CheckOrder, "2 needed")
	})
	b.apply(b.entry(record.TypeMixShare, s2.Marshal(), 2))
	t.Run("mix after the decryption started", func(t *testing.T) {
		b.refuse(b.entry(record.TypeMix, b.mix(1).Marshal(), 1), rules.CheckOrder, "second mix")
		// Trustee 3 mixed already; a fourth trustee does not exist: the
		// order rule is the one a late mixer meets.
		late, err := cascade.NewMix(b.e.ID, rankID, 3, m2.Input, m2.Output, m2.Proof)
		require.NoError(t, err)
		b.refuse(b.entry(record.TypeMix, late.Marshal(), 3), rules.CheckOrder, "second mix")
	})
	b.apply(b.entry(record.TypeMixShare, shares(3).Marshal(), 3))
	r, err := c.ComputeResult()
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, r.Mixers)
	require.Equal(t, []int{2, 3}, r.Trustees)
	t.Run("changed result", func(t *testing.T) {
		bad := *r
		bad.Sequences = append([][]uint16{{3, 3}}, r.Sequences[1:]...)
		b.refuse(b.entry(record.TypeMixResult, bad.Marshal(), 0), rules.CheckMixResult, "sequence 0")
	})
	b.apply(b.entry(record.TypeMixResult, r.Marshal(), 0))
	require.True(t, b.st.MixesDone())
}

// TestMixAfterDecryptionStarted: shares wait for the cascade's end, so a
// mixer that posts after the decryption started is one that was skipped;
// it is refused by the order rule, naming the decryption.
func TestMixAfterDecryptionStarted(t *testing.T) {
	b := newMixBoard(t)
	b.apply(b.entry(record.TypeMix, b.mix(1).Marshal(), 1))
	// Trustees 2 and 3 miss their windows.
	late := b.mix(2)
	b.now += 2*b.st.MixConfig.Window.Milliseconds() + 1
	c := b.st.Cascades[rankID]
	s1, err := c.DecryptShares(b.e.KeyShares[0])
	require.NoError(t, err)
	b.apply(b.entry(record.TypeMixShare, s1.Marshal(), 1))
	b.refuse(b.entry(record.TypeMix, late.Marshal(), 2), rules.CheckOrder, "after its decryption started")
}
