package verify

import (
	"slices"
	"sync"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/cascade"
)

// The ranked record of the corpus (e2e/SPEC.md §13.1, §16): a ranked
// contest beside homomorphic ones, 2-of-3 trustees of whom trustees 1 and
// 2 mix and trustee 3 misses its turn, trustees 1 and 2 decrypt the final
// list. mixCases alter it.
var (
	rankedCorpusOnce sync.Once
	rankedCorpusEl   *electiontest.Election
	rankedCorpusErr  error
)

const rankedContest = "budget"

func rankedCorpusElection(t testing.TB) *electiontest.Election {
	rankedCorpusOnce.Do(func() {
		rankedCorpusEl, rankedCorpusErr = electiontest.Build(electiontest.Config{ElectionID: "ranked-2026", BoardName: "ranked.example", Manifest: electiontest.RankedManifest(),
			Trustees: 3, Threshold: 2, Voters: 6, Ballots: 5, Revotes: 1, CheckpointEvery: 8, Mixers: 2})
	})
	if rankedCorpusErr != nil {
		t.Fatal(rankedCorpusErr)
	}
	return rankedCorpusEl
}

// mixInputOf returns the list the k-th mix of e (0-based) shuffled: the
// counted sequences for the first, the previous mix's output after.
func mixInputOf(e *electiontest.Election, k int) ([]mixnet.Sequence, [32]byte, error) {
	if k > 0 {
		m, err := cascade.DecodeMix(e.Subs[e.MixIndexes[k-1]].Payload)
		if err != nil {
			return nil, [32]byte{}, err
		}
		return m.Output, cascade.ListHash(e.ID, rankedContest, m.OutputBytes), nil
	}
	var counted []*bulletin.Entry
	for _, i := range e.BallotIndexes {
		if e.Counted[i] {
			counted = append(counted, &bulletin.Entry{Index: uint64(i), Type: record.TypeBallot, Payload: e.Subs[i].Payload})
		}
	}
	l, err := rules.MixInput(e.Election, rankedContest, counted)
	if err != nil {
		return nil, [32]byte{}, err
	}
	h, err := rules.MixInputHash(e.ID, rankedContest, l)
	return l, h, err
}

// replaceMix replaces the k-th mix of e by one trustee mixer posts with the
// given output and proof for input hash in, re-signed by the mixer.
func replaceMix(e *electiontest.Election, k, mixer int, in [32]byte, out []mixnet.Sequence, proof *mixnet.Proof) ([]byte, int64, error) {
	m, err := cascade.NewMix(e.ID, rankedContest, mixer, in, out, proof)
	if err != nil {
		return nil, 0, err
	}
	c := e.Clone()
	i := e.MixIndexes[k]
	c.Subs[i].Payload = m.Marshal()
	c.ResignTrustee(i, mixer)
	data, err := rebuilt(c)
	return data, int64(i), err
}

// shuffleAs shuffles l as trustee mixer of e (optionally for another base
// hash).
func shuffleAs(e *electiontest.Election, mixer int, base [32]byte, l []mixnet.Sequence) ([]mixnet.Sequence, *mixnet.Proof, error) {
	st, err := mixnet.NewStatement(e.Election.JointKey, base, uint32(mixer), rankedContest)
	if err != nil {
		return nil, nil, err
	}
	return mixnet.Shuffle(st, l)
}

// badMix: trustee 2's mix (the second) with its honest output changed by
// change, and its honest proof.
func badMix(e *electiontest.Election, change func(out []mixnet.Sequence) []mixnet.Sequence) ([]byte, int64, error) {
	in, h, err := mixInputOf(e, 1)
	if err != nil {
		return nil, 0, err
	}
	out, proof, err := shuffleAs(e, 2, e.Election.BaseHash, in)
	if err != nil {
		return nil, 0, err
	}
	return replaceMix(e, 1, 2, h, change(slices.Clone(out)), proof)
}

var mixCases = []tamperCase{
	{
		name: "mix-dropped-sequence", check: CheckMix, contains: "mixer 2's shuffle of contest \"budget\" is refused",
		what: "trustee 2 shuffles its input without one sequence (N−1 in, N−1 out, a valid proof for that) and posts it as the mix of the whole list, re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			in, h, err := mixInputOf(e, 1)
			if err != nil {
				return nil, 0, err
			}
			out, proof, err := shuffleAs(e, 2, e.Election.BaseHash, in[1:])
			if err != nil {
				return nil, 0, err
			}
			return replaceMix(e, 1, 2, h, out, proof)
		},
	},
	{
		name: "mix-duplicated-sequence", check: CheckMix, contains: "mixer 2's shuffle of contest \"budget\" is refused",
		what: "trustee 2's mix with one output sequence replaced by a copy of another (its proof kept), re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			return badMix(e, func(out []mixnet.Sequence) []mixnet.Sequence { out[1] = out[0]; return out })
		},
	},
	{
		name: "mix-replaced-sequence", check: CheckMix, contains: "mixer 2's shuffle of contest \"budget\" is refused",
		what: "trustee 2's mix with one output sequence replaced by a fresh encryption of another ranking, re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			return badMix(e, func(out []mixnet.Sequence) []mixnet.Sequence {
				s := make(mixnet.Sequence, len(out[0]))
				for k := range s {
					s[k] = elgamal.EncryptUint(e.Election.JointKey, 1, group.RandomScalar())
				}
				out[0] = s
				return out
			})
		},
	},
	{
		name: "mix-split-ranking", check: CheckMix, contains: "mixer 2's shuffle of contest \"budget\" is refused",
		what: "trustee 2's mix with the first-ranked ciphertexts of two output sequences swapped (a permutation of ciphertexts that splits two voters' rankings, its proof kept), re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			return badMix(e, func(out []mixnet.Sequence) []mixnet.Sequence {
				a, b := slices.Clone(out[0]), slices.Clone(out[1])
				a[0], b[0] = b[0], a[0]
				out[0], out[1] = a, b
				return out
			})
		},
	},
	{
		name: "mix-other-input", check: CheckMix, contains: "must be the latest valid list",
		what: "trustee 2 shuffles the counted sequences (an earlier list) instead of trustee 1's output, with a valid proof for that, re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			in, h, err := mixInputOf(e, 0)
			if err != nil {
				return nil, 0, err
			}
			out, proof, err := shuffleAs(e, 2, e.Election.BaseHash, in)
			if err != nil {
				return nil, 0, err
			}
			return replaceMix(e, 1, 2, h, out, proof)
		},
	},
	{
		name: "mix-other-election", check: CheckMix, contains: "mixer 2's shuffle of contest \"budget\" is refused",
		what: "trustee 2's shuffle of the right list with a proof made for another election's base hash, re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			in, h, err := mixInputOf(e, 1)
			if err != nil {
				return nil, 0, err
			}
			out, proof, err := shuffleAs(e, 2, [32]byte{1}, in)
			if err != nil {
				return nil, 0, err
			}
			return replaceMix(e, 1, 2, h, out, proof)
		},
	},
	{
		name: "mix-reposted-list", check: CheckMix, contains: "mixer 2's shuffle of contest \"budget\" is refused",
		what: "trustee 2 re-posts trustee 1's output list as its own mix with trustee 1's proof, re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			prev, err := cascade.DecodeMix(e.Subs[e.MixIndexes[0]].Payload)
			if err != nil {
				return nil, 0, err
			}
			_, h, err := mixInputOf(e, 1)
			if err != nil {
				return nil, 0, err
			}
			return replaceMix(e, 1, 2, h, prev.Output, prev.Proof)
		},
	},
	{
		name: "mix-second-by-trustee", check: CheckOrder, contains: "second mix of contest \"budget\" by trustee 1",
		what: "a second, valid mix of the latest list by trustee 1, signed by it, after trustee 2's mix",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			return insertFinalMix(e, e.MixIndexes[1]+1, 1)
		},
	},
	{
		name: "mix-after-decryption", check: CheckOrder, contains: "after its decryption started",
		what: "a valid mix of the final list by trustee 3 (which missed its turn) after the first decryption share of the contest, signed by it",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			return insertFinalMix(e, e.MixShareIndexes[0]+1, 3)
		},
	},
	{
		name: "mix-after-result", check: CheckOrder, contains: "after its decryption started",
		what: "a valid mix of the final list by trustee 3 (which missed its turn) after the contest's mix.result, signed by it",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			return insertFinalMix(e, e.MixResultIndexes[0]+1, 3)
		},
	},
	{
		name: "mix-share-bad-proof", check: CheckMixShare, contains: "trustee 1's decryption share of ciphertext 1 (sequence 0, rank 2)",
		what: "trustee 1's decryption shares of the final list with ciphertext 1's proof replaced by ciphertext 0's, re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.MixShareIndexes[0]
			m, err := cascade.DecodeShares(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			m.Shares[1].Proof = m.Shares[0].Proof
			c.Subs[i].Payload = m.Marshal()
			c.ResignTrustee(i, m.Trustee)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "mix-result-changed", check: CheckMixResult, contains: "sequence 0 is",
		what: "the board's mix.result with the first decrypted ranking changed, re-signed by the board",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.MixResultIndexes[0]
			r, err := cascade.DecodeResult(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			r.Sequences[0][0] = (r.Sequences[0][0] + 1) % 5
			c.Subs[i].Payload = r.Marshal()
			c.ResignBoard(i)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
}

// insertFinalMix inserts at position i a valid mix of the final list by
// trustee mixer.
func insertFinalMix(e *electiontest.Election, i, mixer int) ([]byte, int64, error) {
	in, h, err := mixInputOf(e, 2)
	if err != nil {
		return nil, 0, err
	}
	return insertMix(e, i, mixer, h, in)
}

// insertMix inserts at position i a valid mix of list in (named h) by
// trustee mixer, signed by it, one millisecond after the entry before.
func insertMix(e *electiontest.Election, i, mixer int, h [32]byte, in []mixnet.Sequence) ([]byte, int64, error) {
	out, proof, err := shuffleAs(e, mixer, e.Election.BaseHash, in)
	if err != nil {
		return nil, 0, err
	}
	m, err := cascade.NewMix(e.ID, rankedContest, mixer, h, out, proof)
	if err != nil {
		return nil, 0, err
	}
	s := electiontest.Submission{Type: record.TypeMix, Time: e.Subs[i-1].Time + 1, Payload: m.Marshal()}
	c := insert(e, i, s)
	c.ResignTrustee(i, mixer)
	data, err := rebuilt(c)
	return data, int64(i), err
}

// TestMixCases runs every mix tamper case on a freshly built ranked
// election.
func TestMixCases(t *testing.T) {
	e := rankedCorpusElection(t)
	rep, err := verifyBytes(t, e.Bytes(), Options{})
	if err != nil || !rep.Complete {
		t.Fatalf("untouched ranked record: %v", err)
	}
	if len(rep.Mixes) != 2 || rep.MixResults[0].Skipped[0] != 3 {
		t.Fatalf("mixes %v, results %v: want trustees 1 and 2 mixing and 3 skipped", rep.Mixes, rep.MixResults)
	}
	for _, tc := range mixCases {
		t.Run(tc.name, func(t *testing.T) {
			data, entry, err := tc.mutate(e)
			if err != nil {
				t.Fatal(err)
			}
			expectFailure(t, data, tc.check, entry, tc.contains)
		})
	}
}
