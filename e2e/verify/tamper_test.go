package verify

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// A tamperCase alters a valid record so that it fails exactly one check.
// entry is the index of the entry the failure must name (−1: none); where
// the index depends on the election, entryOf computes it.
type tamperCase struct {
	name     string
	check    Check
	contains string // a substring of the failure message
	what     string // for e2e/testdata/corpus.json
	// mutate returns the tampered record file and the failing entry.
	mutate func(e *electiontest.Election) ([]byte, int64, error)
}

// insert returns a copy of e with submission s inserted at position i
// (times of s are taken as given).
func insert(e *electiontest.Election, i int, s electiontest.Submission) *electiontest.Election {
	c := e.Clone()
	c.Subs = slices.Insert(c.Subs, i, s)
	return c
}

// trusteeSub returns the index of the last submission of type typ signed
// by trustee k (1-based).
func trusteeSub(e *electiontest.Election, typ string, k int) int {
	i := -1
	for j, s := range e.Subs {
		if s.Type == typ && bytes.Equal(s.Signer, electiontest.TrusteeSigner(e.Trustees[k-1])) {
			i = j
		}
	}
	return i
}

func rebuilt(c *electiontest.Election) ([]byte, error) {
	c.CheckpointSizes = fixSizes(c.CheckpointSizes, len(c.Subs))
	if err := c.Rebuild(); err != nil {
		return nil, err
	}
	return c.Bytes(), nil
}

// fixSizes keeps the checkpoint sizes below n.
func fixSizes(sizes []uint64, n int) []uint64 {
	var out []uint64
	for _, s := range sizes {
		if s < uint64(n) {
			out = append(out, s)
		}
	}
	return out
}

// newBallot encrypts a fresh ballot of voter (a credential index, or −1
// for a credential not on the roll) under election el.
func newBallot(e *electiontest.Election, el *ballot.Election, voter int, t int64) (electiontest.Submission, error) {
	cred := ballot.NewCredential()
	if voter >= 0 {
		cred = e.Creds[voter]
	}
	b, _, err := ballot.Encrypt(el, cred, electiontest.CycleChoices(el.Manifest, 7, 0))
	if err != nil {
		return electiontest.Submission{}, err
	}
	payload, err := b.Encode()
	if err != nil {
		return electiontest.Submission{}, err
	}
	return electiontest.Submission{Type: record.TypeBallot, Time: t, Payload: payload, Signer: electiontest.VoterSigner(cred)}, nil
}

var tamperCases = []tamperCase{
	{
		name: "changed-vote", check: CheckBallotProof, contains: "selection range proof failed",
		what: "a ballot's first two selections (ciphertexts and proofs) swapped, changing the vote; entry hashes, chain and checkpoints recomputed by a dishonest board",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.BallotIndexes[0]
			b, err := ballot.DecodeBallot(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			s := b.Contests[0].Selections
			s[0], s[1] = s[1], s[0]
			if c.Subs[i].Payload, err = b.Encode(); err != nil {
				return nil, 0, err
			}
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "not-on-roll", check: CheckBallotRoll, contains: "not on the roll",
		what: "a valid ballot from a credential that is not on the roll",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			i := e.BallotIndexes[1]
			s, err := newBallot(e, e.Election, -1, e.Subs[i].Time)
			if err != nil {
				return nil, 0, err
			}
			data, err := rebuilt(insert(e, i, s))
			return data, int64(i), err
		},
	},
	{
		name: "after-close", check: CheckOrder, contains: "after election.close",
		what: "a valid ballot of a voter on the roll appended after election.close",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			i := e.CloseIndex + 1
			s, err := newBallot(e, e.Election, 0, e.Subs[e.CloseIndex].Time)
			if err != nil {
				return nil, 0, err
			}
			data, err := rebuilt(insert(e, i, s))
			return data, int64(i), err
		},
	},
	{
		name: "outside-schedule", check: CheckBallotSchedule, contains: "outside the schedule",
		what: "a valid ballot with a board time at the manifest's closing time (the schedule is [opens, closes))",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			i := e.CloseIndex
			s, err := newBallot(e, e.Election, 0, e.Subs[e.CloseIndex].Time)
			if err != nil {
				return nil, 0, err
			}
			data, err := rebuilt(insert(e, i, s))
			return data, int64(i), err
		},
	},
	{
		name: "duplicate-ballot", check: CheckDuplicate, contains: "already cast at entry",
		what: "a ballot entry's submission repeated byte for byte later (it would be counted twice)",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			i := e.CloseIndex
			s := e.Subs[e.BallotIndexes[1]]
			s.Time = e.Subs[i-1].Time
			data, err := rebuilt(insert(e, i, s))
			return data, int64(i), err
		},
	},
	{
		name: "dropped-ballot", check: CheckRoot, contains: "contradicts a checkpoint",
		what: "a ballot removed and the chain rebuilt, the board's original checkpoints kept: the first checkpoint after the gap contradicts the entries",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.BallotIndexes[2]
			c.Subs = slices.Delete(c.Subs, i, i+1)
			orig := c.Checkpoints
			if err := c.Rebuild(); err != nil {
				return nil, 0, err
			}
			c.Checkpoints = orig
			return c.Bytes(), -1, nil
		},
	},
	{
		name: "wrong-count", check: CheckResult, contains: "posted result differs",
		what: "the posted tally.result with one option's count increased by one, re-signed by the board",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.ResultIndex
			r, err := tally.DecodeResult(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			r.Contests[0].Options[0].Count++
			c.Subs[i].Payload = r.Marshal()
			c.ResignBoard(i)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "share-other-ciphertext", check: CheckShare, contains: "uses the invalid decryption share",
		what: "trustee 1's decryption shares computed for the aggregate with two positions swapped (shares of other ciphertexts) under the real aggregate hash, re-signed by trustee 1; the posted result uses them",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.ShareIndexes[0]
			agg := slices.Clone(e.Aggregate)
			agg[0], agg[1] = agg[1], agg[0]
			m, err := tally.DecryptShares(e.Election.BaseHash, e.KeyShares[0], agg, e.Turnout)
			if err != nil {
				return nil, 0, err
			}
			m.Aggregate = tally.AggregateHash(e.Aggregate, e.Turnout)
			c.Subs[i].Payload = m.Marshal()
			c.ResignTrustee(i, 1)
			data, err := rebuilt(c)
			return data, int64(e.ResultIndex), err
		},
	},
	{
		name: "bad-commitment-proof", check: CheckQualified, contains: "proof of knowledge",
		what: "trustee 2's ceremony.commitments with the proof of coefficient 1 in place of coefficient 0's, re-signed by trustee 2; the posted ceremony.result still qualifies trustee 2",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := trusteeSub(e, record.TypeCommitments, 2)
			m, err := ceremony.DecodeCommitments(c.Subs[i].Payload, e.Params)
			if err != nil {
				return nil, 0, err
			}
			m.Proofs[0] = m.Proofs[1]
			c.Subs[i].Payload = mustMarshal(m)
			c.ResignTrustee(i, 2)
			data, err := rebuilt(c)
			return data, int64(e.CeremonyResultIndex), err
		},
	},
	{
		name: "second-ceremony-message", check: CheckCeremonyMsg, contains: "second ceremony.commitments from trustee 2",
		what: "a second ceremony.commitments of trustee 2 (with a changed proof), signed by trustee 2, right after its first: at most one message per trustee and type is admitted",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			i := trusteeSub(e, record.TypeCommitments, 2)
			m, err := ceremony.DecodeCommitments(e.Subs[i].Payload, e.Params)
			if err != nil {
				return nil, 0, err
			}
			m.Proofs[0] = m.Proofs[1]
			c := insert(e, i+1, electiontest.Submission{Type: record.TypeCommitments, Time: e.Subs[i].Time, Payload: mustMarshal(m)})
			c.ResignTrustee(i+1, 2)
			data, err := rebuilt(c)
			return data, int64(i + 1), err
		},
	},
	{
		name: "ceremony-params-election-id", check: CheckCeremonyParams, contains: `ceremony is for election "elsewhere-2026"`,
		what: "ceremony.params naming another election id (the one the trustees would sign for), re-signed by the official",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := slices.IndexFunc(c.Subs, func(s electiontest.Submission) bool { return s.Type == record.TypeCeremony })
			p, err := ceremony.ParseParams(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			p.ElectionID = "elsewhere-2026"
			c.Subs[i].Payload = p.Marshal()
			c.ResignOfficial(i)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "ceremony-result-keys", check: CheckCeremonyResult, contains: "verification key of trustee 1 differs",
		what: "the posted ceremony.result with the verification keys of trustees 1 and 2 swapped, re-signed by the board",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.CeremonyResultIndex
			r, err := ceremony.DecodeResult(c.Subs[i].Payload, e.Params)
			if err != nil {
				return nil, 0, err
			}
			r.VerificationKeys[0], r.VerificationKeys[1] = r.VerificationKeys[1], r.VerificationKeys[0]
			c.Subs[i].Payload = r.Marshal()
			c.ResignBoard(i)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "forked-checkpoint", check: CheckFork, contains: "two checkpoints of size",
		what: "a second checkpoint, validly signed by the board, of the same size as an earlier one but for a history with one ballot removed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			alt := e.Clone()
			i := e.BallotIndexes[0]
			alt.Subs = slices.Delete(alt.Subs, i, i+1)
			if err := alt.Rebuild(); err != nil {
				return nil, 0, err
			}
			var size uint64
			for _, cp := range e.Checkpoints {
				if cp.Size > uint64(i+1) {
					size = cp.Size
					break
				}
			}
			var fork []byte
			for _, cp := range alt.Checkpoints {
				if cp.Size == size {
					fork = cp.Note
				}
			}
			if fork == nil {
				return nil, 0, fmt.Errorf("no checkpoint of size %d in the forked history", size)
			}
			c := e.Clone()
			k := slices.IndexFunc(c.Checkpoints, func(cp electiontest.Checkpoint) bool { return cp.Size == size })
			c.Checkpoints = slices.Insert(c.Checkpoints, k+1, electiontest.Checkpoint{Size: size, Note: fork})
			return c.Bytes(), -1, nil
		},
	},
	{
		name: "truncated-mid-line", check: CheckFormat, contains: "no final newline",
		what: "the record file cut in the middle of its last line",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			data := e.Bytes()
			return data[:len(data)-40], -1, nil
		},
	},
	{
		name: "truncated-after-entry", check: CheckLast, contains: "last line must be a checkpoint",
		what: "the record file cut after an entry line (its last checkpoint dropped)",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			data := e.Bytes()
			data = data[:len(data)-1]
			return data[:bytes.LastIndexByte(data, '\n')+1], -1, nil
		},
	},
	{
		name: "truncated-at-checkpoint", check: CheckComplete, contains: "ends before",
		what: "the record file cut after a checkpoint line in the middle of the election",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			n := e.Checkpoints[len(e.Checkpoints)/2].Size
			c.Subs = c.Subs[:n]
			c.Entries = c.Entries[:n]
			c.Checkpoints = slices.DeleteFunc(c.Checkpoints, func(cp electiontest.Checkpoint) bool { return cp.Size > n })
			return c.Bytes(), -1, nil
		},
	},
	{
		name: "noncanonical-ballot", check: CheckBallotDecode, contains: "ballot: malformed",
		what: "a ballot payload with one insignificant space added to its JSON, entry hashes and checkpoints recomputed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.BallotIndexes[3]
			p := c.Subs[i].Payload
			c.Subs[i].Payload = append([]byte("{ "), p[1:]...)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "noncanonical-line", check: CheckFormat, contains: "canonical",
		what: "one entry line of the record file with an insignificant space added",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			lines := bytes.SplitAfter(e.Bytes(), []byte("\n"))
			lines[3] = append([]byte("{ "), lines[3][1:]...)
			return bytes.Join(lines, nil), -1, nil
		},
	},
	{
		name: "entry-hash", check: CheckEntry, contains: "hash",
		what: "one byte of an entry's payload changed without recomputing its hash",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.OpenIndex
			en := *c.Entries[i]
			en.Payload = bytes.Replace(en.Payload, []byte(e.ID), []byte("x"+e.ID[1:]), 1)
			c.Entries[i] = &en
			return c.Bytes(), -1, nil
		},
	},
	{
		name: "roll-seal", check: CheckRollSeal, contains: "seal counts",
		what: "roll.seal counting one credential more than the roll has, re-signed by the official",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := slices.IndexFunc(c.Subs, func(s electiontest.Submission) bool { return s.Type == record.TypeRollSeal })
			s, err := record.DecodeRollSeal(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			s.Count++
			c.Subs[i].Payload = mustMarshal(s)
			c.ResignOfficial(i)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "unknown-official", check: CheckSigner, contains: "not an official",
		what: "election.close signed by an Ed25519 key that is not an official of the setup",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.CloseIndex
			_, k, _ := ed25519.GenerateKey(rand.Reader)
			c.Subs[i].Signer, c.Subs[i].Signature = record.Sign(record.Official, k, e.ID, c.Subs[i].Type, c.Subs[i].Payload)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "bad-signature", check: CheckSignature, contains: "does not verify",
		what: "election.open's official signature with one bit flipped",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i := e.OpenIndex
			sig := bytes.Clone(c.Subs[i].Signature)
			sig[5] ^= 1
			c.Subs[i].Signature = sig
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "spoiled-then-cast", check: CheckBallotSpoiled, contains: "was spoiled",
		what: "the ballot inside a spoiled ballot (its nonces public) cast afterwards",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			sp := e.Subs[e.SpoiledIndexes[0]]
			s, err := ballot.DecodeSpoiled(sp.Payload)
			if err != nil {
				return nil, 0, err
			}
			payload, err := s.Ballot.Encode()
			if err != nil {
				return nil, 0, err
			}
			i := e.CloseIndex
			sub := electiontest.Submission{Type: record.TypeBallot, Time: e.Subs[i-1].Time, Payload: payload, Signer: sp.Signer}
			data, err := rebuilt(insert(e, i, sub))
			return data, int64(i), err
		},
	},
	{
		name: "other-election", check: CheckBallotElection, contains: "another election",
		what: "a valid ballot of a voter on the roll, made for another election (other joint key, so another base hash)",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			_, k := elgamal.GenerateKey()
			other, err := ballot.NewElection(e.Election.Manifest, k, e.Election.CeremonyHash)
			if err != nil {
				return nil, 0, err
			}
			i := e.CloseIndex
			s, err := newBallot(e, other, 1, e.Subs[i-1].Time)
			if err != nil {
				return nil, 0, err
			}
			data, err := rebuilt(insert(e, i, s))
			return data, int64(i), err
		},
	},
	{
		name: "header-board-key", check: CheckBoardKey, contains: "board key",
		what: "the record's header names another board key than the setup (checkpoints re-signed with it)",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			priv, _, vkey, err := electiontest.NewBoardKey(e.BoardName)
			if err != nil {
				return nil, 0, err
			}
			c.BoardKey = vkey
			c.SetBoardKey(priv)
			corpusBoardKeys = append(corpusBoardKeys, electiontest.SignerKey(e.BoardName, priv))
			if err := c.Rebuild(); err != nil {
				return nil, 0, err
			}
			return c.Bytes(), 0, nil
		},
	},
	{
		name: "unknown-type", check: CheckType, contains: "unknown entry type",
		what: "an entry of a type §11.2 does not define",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			i := e.OpenIndex
			data, err := rebuilt(insert(e, i, electiontest.Submission{Type: "election.note", Time: e.Subs[i-1].Time, Payload: []byte("{}")}))
			return data, int64(i), err
		},
	},
	{
		name: "second-share", check: CheckOrder, contains: "second tally.share",
		what: "a second tally.share entry of trustee 1 (a different, valid one), signed by trustee 1",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			m, err := tally.DecryptShares(e.Election.BaseHash, e.KeyShares[0], e.Aggregate, e.Turnout)
			if err != nil {
				return nil, 0, err
			}
			c := insert(e, e.ResultIndex, electiontest.Submission{Type: record.TypeShare, Time: e.Subs[e.ResultIndex-1].Time, Payload: m.Marshal()})
			c.ResignTrustee(e.ResultIndex, 1)
			data, err := rebuilt(c)
			return data, int64(e.ResultIndex), err
		},
	},
	{
		name: "checkpoint-signature", check: CheckCheckpoint, contains: "invalid signature",
		what: "one byte of the board's signature on a checkpoint changed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			n, err := flipNoteSignature(c.Checkpoints[1].Note)
			if err != nil {
				return nil, 0, err
			}
			c.Checkpoints[1].Note = n
			return c.Bytes(), -1, nil
		},
	},
	{
		name: "manifest-election", check: CheckManifest, contains: "manifest is for election",
		what: "the manifest's election_id changed, re-signed by the official",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			c.Subs[1].Payload = bytes.Replace(c.Subs[1].Payload, []byte(`"election_id":"`+e.ID+`"`), []byte(`"election_id":"other-2026"`), 1)
			c.ResignOfficial(1)
			data, err := rebuilt(c)
			return data, 1, err
		},
	},
	{
		name: "open-before-ceremony", check: CheckOrder, contains: "before ceremony.result",
		what: "election.open moved before ceremony.result (its board time set to the previous entry's)",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			open := c.Subs[e.OpenIndex]
			c.Subs = slices.Delete(c.Subs, e.OpenIndex, e.OpenIndex+1)
			i := e.CeremonyResultIndex
			open.Time = c.Subs[i-1].Time
			c.Subs = slices.Insert(c.Subs, i, open)
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "ballot-signature", check: CheckBallotProof, contains: "signature failed",
		what: "a ballot's signature (Schnorr response) replaced by another ballot's",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			i, j := e.BallotIndexes[2], e.BallotIndexes[3]
			b, err := ballot.DecodeBallot(c.Subs[i].Payload)
			if err != nil {
				return nil, 0, err
			}
			o, err := ballot.DecodeBallot(c.Subs[j].Payload)
			if err != nil {
				return nil, 0, err
			}
			b.Signature = o.Signature
			if c.Subs[i].Payload, err = b.Encode(); err != nil {
				return nil, 0, err
			}
			data, err := rebuilt(c)
			return data, int64(i), err
		},
	},
	{
		name: "replaced-ballot-counted", check: CheckShare, contains: "another aggregate",
		what: "the trustees decrypted, and the result counts, an aggregate in which a voter's first ballot counts instead of the ballot that replaced it; shares and result re-signed",
		mutate: func(e *electiontest.Election) ([]byte, int64, error) {
			c := e.Clone()
			// Voter 0 voted twice: its first ballot is BallotIndexes[0].
			first, err := ballot.DecodeBallot(c.Subs[e.BallotIndexes[0]].Payload)
			if err != nil {
				return nil, 0, err
			}
			var last *ballot.Ballot
			for _, i := range e.BallotIndexes[1:] {
				if bytes.Equal(c.Subs[i].Signer, c.Subs[e.BallotIndexes[0]].Signer) {
					if last, err = ballot.DecodeBallot(c.Subs[i].Payload); err != nil {
						return nil, 0, err
					}
				}
			}
			l := tally.LayoutOf(e.Election.Manifest)
			vf, err := l.Vector(first)
			if err != nil {
				return nil, 0, err
			}
			vl, err := l.Vector(last)
			if err != nil {
				return nil, 0, err
			}
			agg := slices.Clone(e.Aggregate)
			for k := range agg {
				agg[k] = agg[k].Sub(vl[k]).Add(vf[k])
			}
			var posted []ceremony.Posted
			for n, i := range e.ShareIndexes {
				m, err := tally.DecryptShares(e.Election.BaseHash, e.KeyShares[n], agg, e.Turnout)
				if err != nil {
					return nil, 0, err
				}
				c.Subs[i].Payload = m.Marshal()
				c.ResignTrustee(i, n+1)
				p := ceremony.Posted{Index: uint64(i), Type: record.TypeShare, Payload: c.Subs[i].Payload}
				copy(p.Signature[:], c.Subs[i].Signature)
				posted = append(posted, p)
			}
			d := &tally.Decryption{Election: e.ID, Base: e.Election.BaseHash, Aggregate: agg, Count: e.Turnout, Limits: l.Limits(),
				Threshold: e.Params.Threshold, Trustees: e.Params.Trustees, Keys: keysOf(e)}
			pt, err := tally.Combine(d, posted)
			if err != nil {
				return nil, 0, err
			}
			r, err := l.Result(e.Election.BaseHash, e.Turnout, pt)
			if err != nil {
				return nil, 0, err
			}
			c.Subs[e.ResultIndex].Payload = r.Marshal()
			c.ResignBoard(e.ResultIndex)
			data, err := rebuilt(c)
			return data, int64(e.ResultIndex), err
		},
	},
}

// keysOf returns the verification keys of e's qualified trustees.
func keysOf(e *electiontest.Election) map[int]*group.Point {
	keys := map[int]*group.Point{}
	for _, ks := range e.KeyShares {
		if ks != nil {
			keys[ks.Trustee] = ks.Verification
		}
	}
	return keys
}

func mustMarshal(v any) []byte {
	b, err := canon.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var _ = bulletin.Hash{}

// flipNoteSignature changes one bit of the signature (not of its base64
// text, which could make the note malformed instead) on a note's last
// signature line: "— name base64(keyhash || signature)".
func flipNoteSignature(note []byte) ([]byte, error) {
	text := strings.TrimSuffix(string(note), "\n")
	i := strings.LastIndex(text, " ")
	if i < 0 {
		return nil, errors.New("no signature line in the note")
	}
	sig, err := base64.StdEncoding.DecodeString(text[i+1:])
	if err != nil || len(sig) < 5 {
		return nil, fmt.Errorf("signature line: %v", err)
	}
	sig[len(sig)-1] ^= 1
	return []byte(text[:i+1] + base64.StdEncoding.EncodeToString(sig) + "\n"), nil
}

// otherElectionCases: for every signed entry type of the corpus election,
// its entry with the signature its signer would make for another election
// (e2e/SPEC.md §9.1, §11.1: every signature names its election), so that a
// message signed for one election cannot be replayed on another's board.
// Ballots carry their own election binding (the base hash; case
// other-election).
func otherElectionCases() []tamperCase {
	const elsewhere = "elsewhere-2026"
	var out []tamperCase
	for _, typ := range []string{
		record.TypeSetup, record.TypeManifest, record.TypeRollVoters, record.TypeRollSeal, record.TypeCeremony,
		record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeCeremonyEnd,
		record.TypeOpen, record.TypeClose, record.TypeShare, record.TypeResult,
	} {
		out = append(out, tamperCase{
			name: "signed-elsewhere-" + strings.ReplaceAll(typ, ".", "-"), check: CheckSignature, contains: "does not verify",
			what: "the first " + typ + " entry signed by its signer for election " + elsewhere + " instead of this one (a replay from another election)",
			mutate: func(e *electiontest.Election) ([]byte, int64, error) {
				c := e.Clone()
				i := slices.IndexFunc(c.Subs, func(s electiontest.Submission) bool { return s.Type == typ })
				if i < 0 {
					return nil, 0, fmt.Errorf("no %s entry", typ)
				}
				s := &c.Subs[i]
				sg, err := record.ParseSigner(s.Signer)
				if err != nil {
					return nil, 0, err
				}
				switch sg.Kind {
				case record.Official:
					_, s.Signature = record.Sign(record.Official, e.Official, elsewhere, s.Type, s.Payload)
				case record.Board:
					_, s.Signature = record.Sign(record.Board, e.BoardPriv, elsewhere, s.Type, s.Payload)
				case record.Trustee:
					k := slices.IndexFunc(e.Trustees, func(id *trustee.Identity) bool { return id.Public().SigningKey == sg.Key })
					sig := e.Trustees[k].Sign(elsewhere, s.Type, s.Payload)
					s.Signature = sig[:]
				default:
					return nil, 0, fmt.Errorf("%s: signer kind %s", typ, sg.Kind)
				}
				data, err := rebuilt(c)
				return data, int64(i), err
			},
		})
	}
	return out
}

func init() { tamperCases = append(tamperCases, otherElectionCases()...) }
