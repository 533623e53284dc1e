package rules

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
)

// FuzzApply: folding arbitrary entries never panics, a refused entry
// leaves the state as it was (the next Check gives the same verdict), and
// every refusal is a *Violation naming a check and wrapping a reason.
func FuzzApply(f *testing.F) {
	types := []string{record.TypeSetup, record.TypeManifest, record.TypeRollVoters, record.TypeRollSeal, record.TypeCeremony,
		record.TypeCommitments, record.TypeCeremonyEnd, record.TypeOpen, record.TypeBallot, record.TypeSpoiled, record.TypeClose,
		record.TypeShare, record.TypeResult, record.TypeMix, record.TypeMixShare, record.TypeMixResult, "bogus"}
	f.Add(uint8(0), []byte(`{}`), []byte{3}, uint8(7), []byte(`{}`), false)
	f.Add(uint8(2), []byte(`{"chunk":0,"credentials":[]}`), []byte{1}, uint8(3), []byte(`{"count":0,"hash":"00"}`), true)
	f.Fuzz(func(t *testing.T, t1 uint8, p1, signer []byte, t2 uint8, p2 []byte, replay bool) {
		st := New(Config{Election: "e", BoardName: "b", BoardKey: "b+00000000+AQ"})
		for i, e := range []*bulletin.Entry{
			{Index: 0, Type: types[int(t1)%len(types)], Payload: p1, Signer: signer},
			{Index: 1, Type: types[int(t2)%len(types)], Payload: p2, Signer: signer},
		} {
			pre := &Pre{Replay: replay}
			first := st.Check(e, pre)
			err := st.Apply(e, pre)
			if err == nil {
				continue
			}
			require.Equal(t, first.Error(), err.Error(), "entry %d: Check and Apply disagree", i)
			var v *Violation
			require.True(t, errors.As(err, &v), "entry %d: %v is not a violation", i, err)
			require.NotEmpty(t, v.Check)
			require.Equal(t, err.Error(), st.Check(e, pre).Error(), "entry %d: a refusal changed the state", i)
			st.Skip(e)
		}
	})
}
