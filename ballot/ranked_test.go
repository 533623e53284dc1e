package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// rankedManifest is the vector manifest with two ranked contests after
// its three homomorphic ones: "budget" (4 options, L = 3, IRV) and
// "board" (3 options, L = 2, STV for 1 seat).
func rankedManifest(t testing.TB) *Manifest {
	t.Helper()
	m, err := DecodeManifest(readTestdata(t, "manifest.json"))
	require.NoError(t, err)
	m.ElectionID = "ranked-2026"
	m.Contests = append(m.Contests,
		Contest{ID: "budget", Title: "Budget priorities", Kind: Ranked, Options: rankedOptions(4), MinSelections: 1, MaxSelections: 3, Method: IRV},
		Contest{ID: "board", Title: "Board", Kind: Ranked, Options: rankedOptions(3), MaxSelections: 2, Method: STV, Seats: 1})
	require.NoError(t, m.Validate())
	return m
}

var updateRanked = flag.Bool("update-ranked", false, "rewrite only the ranked vectors in testdata (-update rewrites them too)")

// rankedW1 is a small manifest with a ranked part: a one_of_n contest of 2
// options and a ranked contest "r" of 3 options, L = 2 (the fuzz seed
// testdata/ballot-ranked-w1.json).
func rankedW1() *Manifest {
	m := oneOfN(1, 2)
	m.ElectionID = "w-ranked"
	m.Contests = append(m.Contests, Contest{ID: "r", Title: "R", Kind: Ranked, Options: rankedOptions(3), MaxSelections: 2, Method: Schulze})
	return m
}

var rankedW1Choices = Choices{"c0": {0, 1}, "r": {3, 1}}

var rankedSpoiledChoices = Choices{
	"mayor":   {1, 0, 0},
	"council": {0, 0, 1, 1},
	"parks":   {0, 5},
	"budget":  {4, 2, 1},
	"board":   {1, 3},
}

// writeRankedVectors writes the ranked vectors (e2e/SPEC.md §7.10):
// ranked-manifest.json, ballot-ranked.json and spoiled-ranked.json for the
// election of ranked-manifest.json under the vector key and ceremony hash,
// signed by credential.txt, and ballot-ranked-w1.json for [rankedW1].
func writeRankedVectors(t *testing.T) {
	write := func(name string, data []byte) {
		require.NoError(t, os.WriteFile("testdata/"+name, data, 0o644))
	}
	cred := vectorCredential(t)
	m := rankedManifest(t)
	write("ranked-manifest.json", must(m.Encode()))
	e := newTestElection(t, m)
	b, _ := mustEncrypt(t, e, cred, rankedChoices)
	write("ballot-ranked.json", must(b.Encode()))
	sb, o := mustEncrypt(t, e, cred, rankedSpoiledChoices)
	sp, err := Spoil(sb, o)
	require.NoError(t, err)
	write("spoiled-ranked.json", must(sp.Encode()))
	w1, _ := mustEncrypt(t, newTestElection(t, rankedW1()), cred, rankedW1Choices)
	write("ballot-ranked-w1.json", must(w1.Encode()))
}

// TestRankedVectors checks the stored ranked vectors: they verify and
// decrypt (or open) to their choices.
func TestRankedVectors(t *testing.T) {
	if *update || *updateRanked {
		writeRankedVectors(t)
	}
	m, err := DecodeManifest(readTestdata(t, "ranked-manifest.json"))
	require.NoError(t, err)
	assert.Equal(t, must(rankedManifest(t).Encode()), must(m.Encode()))
	e := newTestElection(t, m)
	b, err := DecodeBallot(readTestdata(t, "ballot-ranked.json"))
	require.NoError(t, err)
	require.NoError(t, Verify(e.Election, b))
	assert.True(t, b.Credential.Equal(vectorCredential(t).Public()))
	assert.True(t, equalChoices(decryptParts(t, e, b), rankedChoices))
	sp, err := DecodeSpoiled(readTestdata(t, "spoiled-ranked.json"))
	require.NoError(t, err)
	ch, err := VerifySpoiled(e.Election, sp)
	require.NoError(t, err)
	assert.True(t, equalChoices(ch, rankedSpoiledChoices), "opens to %v", ch)
	w1 := newTestElection(t, rankedW1())
	small, err := DecodeBallot(readTestdata(t, "ballot-ranked-w1.json"))
	require.NoError(t, err)
	require.NoError(t, Verify(w1.Election, small))
	assert.True(t, equalChoices(decryptParts(t, w1, small), rankedW1Choices))
}

var rankedChoices = Choices{
	"mayor":   {0, 1, 0},
	"council": {1, 0, 0, 1},
	"parks":   {5, 3},
	"budget":  {3, 1, 0}, // o3, then o1
	"board":   {2, 0},    // o2 only
}

// decryptParts decrypts every selection and rank of b.
func decryptParts(t *testing.T, e *testElection, b *Ballot) Choices {
	t.Helper()
	dl := elgamal.NewDLog(1024)
	ch := Choices{}
	for _, c := range b.Contests {
		for _, s := range c.Parts() {
			v, err := dl.Solve(s.Ciphertext.Decrypt(e.sk))
			require.NoError(t, err, "contest %s", c.ID)
			ch[c.ID] = append(ch[c.ID], v)
		}
	}
	return ch
}

func TestRankedBallot(t *testing.T) {
	e := newTestElection(t, rankedManifest(t))
	cred := NewCredential()
	b, o := mustEncrypt(t, e, cred, rankedChoices)
	require.Len(t, b.Contests, 5)
	for i, c := range b.Contests {
		if e.Manifest.Contests[i].Kind == Ranked {
			assert.Nil(t, c.Selections, c.ID)
			assert.Nil(t, c.SumProof, c.ID)
			assert.Len(t, c.Ranks, e.Manifest.Contests[i].RankingLength(), c.ID)
			for _, r := range c.Ranks {
				assert.Len(t, r.Proof.A, len(e.Manifest.Contests[i].Options)+1, "a rank's proof has n+1 branches")
			}
		} else {
			assert.Nil(t, c.Ranks, c.ID)
			assert.NotNil(t, c.SumProof, c.ID)
		}
	}
	// The homomorphic contests decrypt as before, the ranks to the ranking.
	assert.True(t, equalChoices(decryptParts(t, e, b), rankedChoices), "decrypts to %v", decryptParts(t, e, b))
	require.NoError(t, Verify(e.Election, b))

	data, err := b.Encode()
	require.NoError(t, err)
	assert.Equal(t, e.BallotSize(), len(data), "BallotSize of a manifest with ranked contests")
	assert.Contains(t, string(data), `{"id":"budget","ranks":[{"ciphertext":`)
	d, err := DecodeBallot(data)
	require.NoError(t, err)
	ref, err := decodeBallotReference(data)
	require.NoError(t, err)
	assert.Equal(t, must(d.Hash()), must(ref.Hash()), "the direct parser and the reference decoder agree")
	require.NoError(t, Verify(e.Election, d))

	// The batch verifier accepts it among others and names a bad one.
	b2, _ := mustEncrypt(t, e, NewCredential(), rankedChoices)
	bad := cloneBallot(t, b2)
	bad.Contests[3].Ranks[1].Ciphertext.B = bad.Contests[3].Ranks[1].Ciphertext.B.Add(group.Generator())
	errs := VerifyBatch(e.Election, []*Ballot{b, b2, bad})
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	wantProofError(t, "tampered rank in a batch", errs[2], "budget", 1, ProofRank)

	// Spoiling reveals the ranking; it re-encrypts to the ciphertexts.
	sp, err := Spoil(b, o)
	require.NoError(t, err)
	sdata, err := sp.Encode()
	require.NoError(t, err)
	sp2, err := DecodeSpoiled(sdata)
	require.NoError(t, err)
	got, err := VerifySpoiled(e.Election, sp2)
	require.NoError(t, err)
	assert.True(t, equalChoices(got, rankedChoices), "spoiled ballot opens to %v", got)
	ids, err := e.Manifest.Contest("budget").RankedOptions(got["budget"])
	require.NoError(t, err)
	assert.Equal(t, []string{"o3", "o1"}, ids)

	// An opening of a rank to another value does not match.
	sp2.Openings[3][0].Value = 2
	_, err = VerifySpoiled(e.Election, sp2)
	require.ErrorIs(t, err, ErrSpoiledMismatch)
	assert.Contains(t, err.Error(), `contest "budget" rank 1`)
}

func cloneBallot(t *testing.T, b *Ballot) *Ballot {
	t.Helper()
	data, err := b.Encode()
	require.NoError(t, err)
	c, err := DecodeBallot(data)
	require.NoError(t, err)
	return c
}

// craftRank returns rank j of ranked contest ci encrypting m (possibly out
// of range), with a proof under transcript tr claiming claim over 0..hi.
func craftRank(t *testing.T, e *Election, tr *zk.Transcript, m int64, claim, hi uint64) Selection {
	t.Helper()
	r := group.RandomNonZeroScalar()
	ct := elgamal.Encrypt(e.JointKey, group.NewScalarInt(m), r)
	p, err := zk.ProveRange(tr, e.JointKey, ct, claim, r, 0, hi)
	require.NoError(t, err)
	return Selection{Ciphertext: ct, Proof: p}
}

// buildRankedMustFail builds the ranked must-fail ballots
// (testdata/ranked-must-fail.json, e2e/SPEC.md §7.10) for election e of
// rankedManifest, signed by alice: each tampered ballot is re-signed by
// its credential so that it fails on the shape or proof it attacks.
// Class "shape" is a ballot that decodes but does not have the manifest's
// shape (§7.8 step 2, ErrMalformed).
func buildRankedMustFail(t *testing.T, e *testElection, alice *Credential) []mustFailVector {
	X := alice.Public()
	honest, _ := mustEncrypt(t, e, alice, rankedChoices)
	const budget = 3 // contest index; n = 4, L = 3
	n := uint64(len(e.Manifest.Contests[budget].Options))
	var vs []mustFailVector
	add := func(name, class, contest string, option int, proof string, b *Ballot) {
		vs = append(vs, mustFailVector{name, class, contest, option, proof, string(must(b.Encode()))})
	}
	// tamper re-signs a copy of honest changed by f.
	tamper := func(f func(b *Ballot)) *Ballot {
		b := cloneBallot(t, honest)
		f(b)
		resign(e.Election, b, alice)
		return b
	}
	rt := func(contest string, j int) *zk.Transcript { return rankTranscript(e.BaseHash, X, contest, j) }

	add("ranked part with L-1 ranks", "shape", "budget", -1, "", tamper(func(b *Ballot) {
		b.Contests[budget].Ranks = b.Contests[budget].Ranks[:2]
	}))
	add("ranked part with L+1 ranks", "shape", "budget", -1, "", tamper(func(b *Ballot) {
		b.Contests[budget].Ranks = append(b.Contests[budget].Ranks, craftRank(t, e.Election, rt("budget", 3), 0, 0, n))
	}))
	add("ranks where a one_of_n contest's selections belong", "shape", "mayor", -1, "", tamper(func(b *Ballot) {
		b.Contests[0].Ranks, b.Contests[0].Selections, b.Contests[0].SumProof = b.Contests[0].Selections, nil, nil
	}))
	add("selections and a sum proof where a ranked contest's ranks belong", "shape", "budget", -1, "", tamper(func(b *Ballot) {
		c := &b.Contests[budget]
		c.Selections, c.SumProof, c.Ranks = c.Ranks, honest.Contests[0].SumProof, nil
	}))
	m2 := rankedManifest(t)
	m2.ElectionID = "ranked-other"
	other, _ := mustEncrypt(t, newTestElection(t, m2), alice, rankedChoices)
	theirs, _ := mustEncrypt(t, e, NewCredential(), rankedChoices)
	for _, tc := range []struct {
		name string
		j    int
		rank Selection
	}{
		{"rank encrypts n+1 with a proof over 0..n+1", 2, craftRank(t, e.Election, rt("budget", 2), int64(n+1), n+1, n+1)},
		{"rank encrypts n+1 with a forged proof over 0..n", 0, craftRank(t, e.Election, rt("budget", 0), int64(n+1), 1, n)},
		{"rank encrypts -1 (ℓ−1)", 1, craftRank(t, e.Election, rt("budget", 1), -1, 0, n)},
		{"rank transplanted to another position", 0, honest.Contests[budget].Ranks[1]},
		// board's transcript with budget's range: only the contest binding differs.
		{"rank proof transplanted from another contest", 0, craftRank(t, e.Election, rt("board", 0), 3, 3, n)},
		{"rank transplanted from another election", 2, other.Contests[budget].Ranks[2]},
		{"rank transplanted from another credential", 1, theirs.Contests[budget].Ranks[1]},
		{"selection proof used as a rank proof", 0, craftRank(t, e.Election, selectionTranscript(e.BaseHash, X, "budget", 0), 3, 3, n)},
	} {
		add(tc.name, "invalid", "budget", tc.j, ProofRank, tamper(func(b *Ballot) { b.Contests[budget].Ranks[tc.j] = tc.rank }))
	}
	b := cloneBallot(t, honest)
	b.Contests[budget].Ranks[0] = craftRank(t, e.Election, rt("budget", 0), 2, 2, n)
	add("rank changed after signing (and proving)", "invalid", "", -1, ProofSignature, b)
	s := string(must(honest.Encode()))
	empty := strings.Replace(s, s[strings.Index(s, `{"id":"budget","ranks":`):strings.Index(s, `,{"id":"board"`)], `{"id":"budget","ranks":[]}`, 1)
	vs = append(vs, mustFailVector{Name: "empty ranks", Class: "malformed", Option: -1, Ballot: empty})
	return vs
}

// checkRankedVectors checks each vector alone and the decodable ones in
// one batch.
func checkRankedVectors(t *testing.T, e *testElection, vs []mustFailVector) {
	t.Helper()
	var decoded []*Ballot
	var want []mustFailVector
	for _, v := range vs {
		b, err := DecodeBallot([]byte(v.Ballot))
		if v.Class == "malformed" {
			assert.ErrorIs(t, err, ErrMalformed, v.Name)
			continue
		}
		require.NoError(t, err, v.Name)
		err = Verify(e.Election, b)
		if v.Class == "shape" {
			assert.ErrorIs(t, err, ErrMalformed, v.Name)
			assert.Contains(t, err.Error(), `"`+v.Contest+`"`, v.Name)
			continue
		}
		checkVector(t, v, err)
		decoded = append(decoded, b)
		want = append(want, v)
	}
	for i, err := range VerifyBatch(e.Election, decoded) {
		checkVector(t, want[i], err)
	}
}

// TestRankedMustFail runs the ranked must-fail cases on fresh ballots.
func TestRankedMustFail(t *testing.T) {
	e := newTestElection(t, rankedManifest(t))
	vs := buildRankedMustFail(t, e, NewCredential())
	checkRankedVectors(t, e, vs)
	// The size check alone rejects L−1 and L+1 ranks before decoding.
	for _, v := range vs[:2] {
		assert.NotEqual(t, e.BallotSize(), len(v.Ballot), v.Name)
	}
}

// TestRankedMustFailVectors checks testdata/ranked-must-fail.json
// (rewritten by -update and -update-ranked).
func TestRankedMustFailVectors(t *testing.T) {
	e := newTestElection(t, rankedManifest(t))
	if *update || *updateRanked {
		vs := buildRankedMustFail(t, e, vectorCredential(t))
		var buf bytes.Buffer
		buf.WriteString("[\n")
		for i, v := range vs {
			buf.Write(must(json.Marshal(v)))
			if i < len(vs)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString("]\n")
		require.NoError(t, os.WriteFile("testdata/ranked-must-fail.json", buf.Bytes(), 0o644))
	}
	var vs []mustFailVector
	require.NoError(t, json.Unmarshal(readTestdata(t, "ranked-must-fail.json"), &vs))
	require.GreaterOrEqual(t, len(vs), 12)
	checkRankedVectors(t, e, vs)
}

// TestRankedRepeatVerifies documents the limit of §7.8: a ballot whose
// ranking repeats an option (which only a dishonest client makes) has
// valid proofs; the count treats it as exhausted from the repeat.
func TestRankedRepeatVerifies(t *testing.T) {
	e := newTestElection(t, rankedManifest(t))
	alice := NewCredential()
	b, _ := mustEncrypt(t, e, alice, rankedChoices)
	n := uint64(len(e.Manifest.Contests[3].Options))
	for j, v := range []int64{2, 2, 0} {
		b.Contests[3].Ranks[j] = craftRank(t, e.Election, rankTranscript(e.BaseHash, alice.Public(), "budget", j), v, uint64(v), n)
	}
	resign(e.Election, b, alice)
	require.NoError(t, Verify(e.Election, b))
}

func TestDecodeRankedStrict(t *testing.T) {
	e := newTestElection(t, rankedManifest(t))
	b, _ := mustEncrypt(t, e, NewCredential(), rankedChoices)
	data, err := b.Encode()
	require.NoError(t, err)
	s := string(data)
	at := strings.Index(s, `{"id":"budget","ranks":[`) + len(`{"id":"budget"`)
	bad := map[string]string{
		"empty ranks":            s[:at] + `,"ranks":[]` + s[strings.Index(s, `},{"id":"board"`):],
		"null ranks":             s[:at] + `,"ranks":null` + s[strings.Index(s, `},{"id":"board"`):],
		"ranks and selections":   strings.Replace(s, `{"id":"budget","ranks":`, `{"id":"budget","selections":[]`+`,"ranks":`, 1),
		"ranks before id":        strings.Replace(s, `{"id":"budget","ranks":`, `{"ranks":[],"id":"budget","ranks":`, 1),
		"empty contest":          s[:at] + s[strings.Index(s, `},{"id":"board"`):],
		"sum proof without sels": strings.Replace(s, `{"id":"mayor","selections":`, `{"id":"mayor","sum_proof":{"a":[],"b":[],"c":[],"z":[]},"selections":`, 1),
	}
	for name, in := range bad {
		got, err := DecodeBallot([]byte(in))
		assert.Error(t, err, name)
		assert.Nil(t, got, name)
		assert.True(t, errors.Is(err, ErrMalformed), "%s: %v", name, err)
		_, refErr := decodeBallotReference([]byte(in))
		assert.Error(t, refErr, "%s: the reference decoder accepts it", name)
	}
	assert.False(t, bytes.Equal(data, []byte(bad["empty ranks"])))
}
