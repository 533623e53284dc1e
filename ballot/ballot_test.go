package ballot

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

var update = flag.Bool("update", false, "rewrite the vectors in testdata")

// testElection is the election of the vectors in testdata: the manifest in
// testdata/manifest.json, a joint key whose secret is derived from a fixed
// string (so tests can decrypt) and a fixed ceremony hash.
type testElection struct {
	*Election
	sk *group.Scalar
}

func vectorSecret() *group.Scalar {
	return group.HashToScalar("tabella-test-vectors", []byte("joint secret key"))
}

func vectorCeremonyHash() [32]byte {
	return taggedHash("tabella/test ceremony", []byte("vectors"))
}

func newTestElection(t testing.TB, m *Manifest) *testElection {
	t.Helper()
	sk := vectorSecret()
	e, err := NewElection(m, group.BaseMul(sk), vectorCeremonyHash())
	if err != nil {
		t.Fatal(err)
	}
	return &testElection{Election: e, sk: sk}
}

func vectorElection(t testing.TB) *testElection {
	t.Helper()
	m, err := DecodeManifest(readTestdata(t, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	return newTestElection(t, m)
}

// vectorCredential is the credential of testdata/ballot.json.
func vectorCredential(t testing.TB) *Credential {
	t.Helper()
	c, err := ParseCredential(strings.TrimSpace(string(readTestdata(t, "credential.txt"))))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var vectorChoices = Choices{
	"mayor":   {0, 1, 0},
	"council": {1, 0, 0, 1},
	"parks":   {5, 3},
}

func mustEncrypt(t testing.TB, e *testElection, cred *Credential, ch Choices) (*Ballot, *Opening) {
	t.Helper()
	b, o, err := Encrypt(e.Election, cred, ch)
	if err != nil {
		t.Fatal(err)
	}
	return b, o
}

// decryptAll decrypts every selection of b with the test election's secret.
func decryptAll(t *testing.T, e *testElection, b *Ballot) Choices {
	t.Helper()
	dl := elgamal.NewDLog(1024)
	ch := Choices{}
	for _, c := range b.Contests {
		for _, s := range c.Selections {
			v, err := dl.Solve(s.Ciphertext.Decrypt(e.sk))
			if err != nil {
				t.Fatalf("contest %s: %v", c.ID, err)
			}
			ch[c.ID] = append(ch[c.ID], v)
		}
	}
	return ch
}

func equalChoices(a, b Choices) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb := b[k]
		if len(va) != len(vb) {
			return false
		}
		for i := range va {
			if va[i] != vb[i] {
				return false
			}
		}
	}
	return true
}

// resign replaces b's signature with a fresh one by cred, so that a test can
// isolate the failure of a tampered proof from the signature's.
func resign(e *Election, b *Ballot, cred *Credential) {
	b.Credential = cred.Public()
	bh, err := b.Body.Hash()
	if err != nil {
		panic(err)
	}
	b.Signature = zk.ProveSchnorr(signatureTranscript(e.BaseHash, bh), cred.x, cred.Public())
}

// craftContest builds contest ci of a ballot by cred whose selections
// encrypt the (possibly negative or out-of-range) values ms, with selection
// proofs claiming claims and a sum proof claiming sumClaim. Where a claim is
// true the proof is honest; where it is false the proof is what an honest
// prover's algorithm produces for the false claim (a forgery attempt).
func craftContest(t *testing.T, e *Election, cred *Credential, ci int, ms []int64, claims []uint64, sumClaim uint64) EncryptedContest {
	t.Helper()
	mc := &e.Manifest.Contests[ci]
	ec := EncryptedContest{ID: mc.ID}
	rsum := group.NewScalar(0)
	for j, m := range ms {
		r := group.RandomNonZeroScalar()
		ct := elgamal.Encrypt(e.JointKey, group.NewScalarInt(m), r)
		p, err := zk.ProveRange(selectionTranscript(e.BaseHash, cred.Public(), mc.ID, j), e.JointKey, ct, claims[j], r, 0, mc.SelectionLimit())
		if err != nil {
			t.Fatal(err)
		}
		ec.Selections = append(ec.Selections, Selection{Ciphertext: ct, Proof: p})
		rsum = rsum.Add(r)
	}
	lo, hi := mc.SumRange()
	sp, err := zk.ProveRange(sumTranscript(e.BaseHash, cred.Public(), mc.ID), e.JointKey, sumCiphertext(ec.Selections), sumClaim, rsum, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	ec.SumProof = sp
	return ec
}

// wantProofError checks that err is a ProofError for the given proof.
func wantProofError(t *testing.T, name string, err error, contest string, option int, proof string) {
	t.Helper()
	var pe *ProofError
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidBallot) {
		t.Errorf("%s: err = %v, want a ProofError", name, err)
		return
	}
	if pe.Contest != contest || pe.Option != option || pe.Proof != proof {
		t.Errorf("%s: failed at contest %q option %d %s, want contest %q option %d %s (%v)",
			name, pe.Contest, pe.Option, pe.Proof, contest, option, proof, err)
	}
}

func TestEncryptVerifyRoundTrip(t *testing.T) {
	e := vectorElection(t)
	cred := NewCredential()
	b, _ := mustEncrypt(t, e, cred, vectorChoices)
	if err := Verify(e.Election, b); err != nil {
		t.Fatalf("fresh ballot rejected: %v", err)
	}
	if got := decryptAll(t, e, b); !equalChoices(got, vectorChoices) {
		t.Fatalf("ballot decrypts to %v, want %v", got, vectorChoices)
	}
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeBallot(data)
	if err != nil {
		t.Fatalf("decoding an encoded ballot: %v", err)
	}
	again, _ := d.Encode()
	if !bytes.Equal(again, data) {
		t.Fatal("decode/encode is not the identity")
	}
	if err := Verify(e.Election, d); err != nil {
		t.Fatalf("decoded ballot rejected: %v", err)
	}
	h1, _ := b.Hash()
	if h1 != taggedHash(tagBallot, data) {
		t.Fatal("ballot hash is not over the encoded bytes")
	}
	// The body is the ballot's bytes up to ,"signature": plus "}"
	// (e2e/SPEC.md §7.3).
	body := append(bytes.Clone(data[:bytes.LastIndex(data, []byte(`,"signature":`))]), '}')
	if bh, _ := b.Body.Hash(); bh != taggedHash(tagBallotBody, body) {
		t.Fatal("body hash is not over the ballot's prefix")
	}
	// Blank contests: a missing contest encrypts zeros where allowed.
	b2, _ := mustEncrypt(t, e, cred, Choices{"mayor": {1, 0, 0}})
	if err := Verify(e.Election, b2); err != nil {
		t.Fatal(err)
	}
	if got := decryptAll(t, e, b2); !equalChoices(got, Choices{"mayor": {1, 0, 0}, "council": {0, 0, 0, 0}, "parks": {0, 0}}) {
		t.Fatalf("blank contests decrypt to %v", got)
	}
	// Two encryptions of the same choices differ (fresh nonces).
	b3, _ := mustEncrypt(t, e, cred, vectorChoices)
	h3, _ := b3.Hash()
	if h1 == h3 {
		t.Fatal("two encryptions of the same choices are identical")
	}
}

func TestEncryptRejects(t *testing.T) {
	e := vectorElection(t)
	cred := NewCredential()
	if _, _, err := Encrypt(e.Election, cred, Choices{"mayor": {1, 1, 0}}); !errors.Is(err, ErrOverVote) {
		t.Errorf("over-vote: %v", err)
	}
	if _, _, err := Encrypt(e.Election, cred, Choices{"mayor": {1, 0, 0}, "parks": {6, 0}}); !errors.Is(err, ErrOverVote) {
		t.Errorf("score above max: %v", err)
	}
	m := *e.Manifest
	m.Contests = append(append([]Contest(nil), m.Contests...), Contest{ID: "budget", Title: "Budget", Kind: Ranked,
		Options: []Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}}, MinSelections: 1, MaxSelections: 2, Method: IRV})
	re := newTestElection(t, &m)
	if _, _, err := Encrypt(re.Election, cred, Choices{"mayor": {1, 0, 0}, "budget": {1, 1}}); !errors.Is(err, ErrOverVote) || !strings.Contains(err.Error(), `"budget"`) {
		t.Errorf("ranked contest with a repeat: %v", err)
	}
	if _, _, err := Encrypt(re.Election, cred, Choices{"mayor": {1, 0, 0}, "budget": {0, 2}}); !errors.Is(err, ErrInvalidChoices) || !strings.Contains(err.Error(), "skipped") {
		t.Errorf("ranked contest with a skip: %v", err)
	}
}

// TestMustFail covers the must-fail list of the issue. Every tampered ballot
// is re-signed by the credential it carries, so each case fails on the
// proof it attacks and not merely on the signature.
func TestMustFail(t *testing.T) {
	e := vectorElection(t)
	alice, bob := NewCredential(), NewCredential()
	honest, _ := mustEncrypt(t, e, alice, vectorChoices)
	clone := func() *Ballot {
		data, err := honest.Encode()
		if err != nil {
			t.Fatal(err)
		}
		b, err := DecodeBallot(data)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	t.Run("vote 2 in a 0/1 selection with a forged proof", func(t *testing.T) {
		// council is approval with max 2: a 2 on one option and 0 elsewhere
		// keeps the sum in range, so only the selection proof can catch it.
		b := clone()
		b.Contests[1] = craftContest(t, e.Election, alice, 1, []int64{2, 0, 0, 0}, []uint64{1, 0, 0, 0}, 2)
		resign(e.Election, b, alice)
		wantProofError(t, "vote 2", Verify(e.Election, b), "council", 0, ProofSelection)
		// Also with a proof claiming 0.
		b.Contests[1] = craftContest(t, e.Election, alice, 1, []int64{2, 0, 0, 0}, []uint64{0, 0, 0, 0}, 2)
		resign(e.Election, b, alice)
		wantProofError(t, "vote 2 claim 0", Verify(e.Election, b), "council", 0, ProofSelection)
	})

	t.Run("over-vote in a one-of-n contest", func(t *testing.T) {
		b := clone()
		b.Contests[0] = craftContest(t, e.Election, alice, 0, []int64{1, 1, 0}, []uint64{1, 1, 0}, 1)
		resign(e.Election, b, alice)
		wantProofError(t, "over-vote", Verify(e.Election, b), "mayor", -1, ProofSum)
	})

	t.Run("negative vote", func(t *testing.T) {
		// −1 (ℓ−1) on alice plus 1 on bob and carol: the sum is 1, which is
		// in range and honestly proven, so only the selection proof of
		// option 0 can catch it.
		b := clone()
		b.Contests[0] = craftContest(t, e.Election, alice, 0, []int64{-1, 1, 1}, []uint64{0, 1, 1}, 1)
		resign(e.Election, b, alice)
		if !sumCiphertext(b.Contests[0].Selections).Decrypt(e.sk).Equal(group.Generator()) {
			t.Fatal("setup: the contest sum is not 1")
		}
		if !b.Contests[0].Selections[0].Ciphertext.Decrypt(e.sk).Equal(group.Generator().Neg()) {
			t.Fatal("setup: option 0 does not encrypt −1")
		}
		wantProofError(t, "negative", Verify(e.Election, b), "mayor", 0, ProofSelection)
	})

	t.Run("ballot copied to another credential", func(t *testing.T) {
		b := clone()
		resign(e.Election, b, bob) // bob signs alice's encrypted choices
		if err := b.Signature.Verify(signatureTranscript(e.BaseHash, mustBodyHash(t, b)), bob.Public()); err != nil {
			t.Fatal("setup: bob's signature")
		}
		wantProofError(t, "copied ballot", Verify(e.Election, b), "mayor", 0, ProofSelection)
	})

	t.Run("one proof moved onto another voter's ballot", func(t *testing.T) {
		bobs, _ := mustEncrypt(t, e, bob, Choices{"mayor": {1, 0, 0}, "council": {0, 1, 0, 0}, "parks": {1, 1}})
		// Copy alice's mayor contest (ciphertexts, proofs, sum proof).
		bobs.Contests[0] = honest.Contests[0]
		resign(e.Election, bobs, bob)
		wantProofError(t, "moved contest", Verify(e.Election, bobs), "mayor", 0, ProofSelection)
	})

	t.Run("proof moved to another option", func(t *testing.T) {
		b := clone()
		s := b.Contests[0].Selections
		s[0], s[1] = s[1], s[0] // the sum is unchanged
		resign(e.Election, b, alice)
		wantProofError(t, "swapped options", Verify(e.Election, b), "mayor", 0, ProofSelection)
	})

	t.Run("proof moved to another contest", func(t *testing.T) {
		// council and mayor selections have the same limit (1).
		b := clone()
		b.Contests[1].Selections[0] = b.Contests[0].Selections[0]
		b.Contests[1].Selections[1] = b.Contests[0].Selections[1]
		resign(e.Election, b, alice)
		wantProofError(t, "moved across contests", Verify(e.Election, b), "council", 0, ProofSelection)
	})

	t.Run("replayed in another election", func(t *testing.T) {
		// Same manifest and key, another ceremony: another base hash.
		other, err := NewElection(e.Manifest, e.JointKey, taggedHash("other", nil))
		if err != nil {
			t.Fatal(err)
		}
		b := clone()
		if err := Verify(other, b); !errors.Is(err, ErrWrongElection) {
			t.Fatalf("as is: %v", err)
		}
		b.BaseHash = Hash(other.BaseHash)
		resign(other, b, alice)
		wantProofError(t, "replayed", Verify(other, b), "mayor", 0, ProofSelection)
		// Another election id with its own manifest.
		m2 := *e.Manifest
		m2.ElectionID = "demo-2027"
		e2 := newTestElection(t, &m2)
		b2 := clone()
		b2.ElectionID, b2.BaseHash = m2.ElectionID, Hash(e2.BaseHash)
		resign(e2.Election, b2, alice)
		wantProofError(t, "other manifest", Verify(e2.Election, b2), "mayor", 0, ProofSelection)
	})

	t.Run("challenge computed without the statement context", func(t *testing.T) {
		// A selection proof whose transcript omits credential, contest and
		// option (weak binding) must not verify. The contest is rebuilt with
		// known nonces so that its sum proof is honest; the control with the
		// full transcript verifies.
		build := func(weak bool) *Ballot {
			b := clone()
			mc := &e.Manifest.Contests[0]
			ec := EncryptedContest{ID: mc.ID}
			rsum := group.NewScalar(0)
			for j, v := range vectorChoices["mayor"] {
				r := group.RandomNonZeroScalar()
				ct := elgamal.EncryptUint(e.JointKey, v, r)
				tr := selectionTranscript(e.BaseHash, alice.Public(), mc.ID, j)
				if weak && j == 2 {
					tr = zk.NewTranscript(protoSelection, e.BaseHash)
				}
				p, err := zk.ProveRange(tr, e.JointKey, ct, v, r, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				ec.Selections = append(ec.Selections, Selection{Ciphertext: ct, Proof: p})
				rsum = rsum.Add(r)
			}
			sp, err := zk.ProveRange(sumTranscript(e.BaseHash, alice.Public(), mc.ID), e.JointKey, sumCiphertext(ec.Selections), 1, rsum, 1, 1)
			if err != nil {
				t.Fatal(err)
			}
			ec.SumProof = sp
			b.Contests[0] = ec
			resign(e.Election, b, alice)
			return b
		}
		if err := Verify(e.Election, build(false)); err != nil {
			t.Fatalf("control: %v", err)
		}
		wantProofError(t, "weak binding", Verify(e.Election, build(true)), "mayor", 2, ProofSelection)
	})

	t.Run("signature does not match the body", func(t *testing.T) {
		b := clone()
		other, _ := mustEncrypt(t, e, alice, Choices{"mayor": {1, 0, 0}})
		b.Contests[0] = other.Contests[0] // valid proofs by alice, other ballot
		wantProofError(t, "spliced ballot", Verify(e.Election, b), "", -1, ProofSignature)
		b = clone()
		b.Signature = other.Signature
		wantProofError(t, "other signature", Verify(e.Election, b), "", -1, ProofSignature)
	})

	t.Run("shape", func(t *testing.T) {
		cases := map[string]struct {
			mutate func(b *Ballot)
			want   error
		}{
			"version":        {func(b *Ballot) { b.Version = "tabella/v2" }, ErrMalformed},
			"election id":    {func(b *Ballot) { b.ElectionID = "other" }, ErrWrongElection},
			"missing":        {func(b *Ballot) { b.Contests = b.Contests[:2] }, ErrMalformed},
			"extra":          {func(b *Ballot) { b.Contests = append(b.Contests, b.Contests[0]) }, ErrMalformed},
			"order":          {func(b *Ballot) { b.Contests[0], b.Contests[1] = b.Contests[1], b.Contests[0] }, ErrMalformed},
			"selections":     {func(b *Ballot) { b.Contests[0].Selections = b.Contests[0].Selections[:2] }, ErrMalformed},
			"identity cred":  {func(b *Ballot) { b.Credential = group.Identity() }, ErrMalformed},
			"nil cred":       {func(b *Ballot) { b.Credential = nil }, ErrMalformed},
			"nil signature":  {func(b *Ballot) { b.Signature = nil }, ErrMalformed},
			"nil sum proof":  {func(b *Ballot) { b.Contests[2].SumProof = nil }, ErrMalformed},
			"nil sel. proof": {func(b *Ballot) { b.Contests[2].Selections[1].Proof = nil }, ErrMalformed},
			"nil ciphertext": {func(b *Ballot) { b.Contests[2].Selections[1].Ciphertext.B = nil }, ErrMalformed},
		}
		for name, tc := range cases {
			b := clone()
			tc.mutate(b)
			err := Verify(e.Election, b)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", name, err, tc.want)
			}
			if errs := VerifyBatch(e.Election, []*Ballot{clone(), b}); errs[0] != nil || !errors.Is(errs[1], tc.want) {
				t.Errorf("%s in a batch: %v", name, errs)
			}
		}
		// Range proof with the wrong number of branches for the range.
		b := clone()
		b.Contests[2].Selections[0].Proof = b.Contests[0].Selections[0].Proof // 2 branches, needs 6
		resign(e.Election, b, alice)
		err := Verify(e.Election, b)
		wantProofError(t, "branch count", err, "parks", 0, ProofSelection)
		if !errors.Is(err, zk.ErrMalformed) {
			t.Errorf("branch count: %v", err)
		}
	})
}

func mustBodyHash(t *testing.T, b *Ballot) [32]byte {
	h, err := b.Body.Hash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestDecodeBallotStrict(t *testing.T) {
	e := vectorElection(t)
	b, _ := mustEncrypt(t, e, NewCredential(), vectorChoices)
	data, _ := b.Encode()
	s := string(data)
	cred := b.Credential.String()
	z := b.Signature.Z.Bytes()
	zhex := strings.TrimPrefix(s[strings.LastIndex(s, `"z":"`):], `"z":"`)[:64]
	_ = z
	// ℓ itself, little-endian: a non-reduced scalar.
	ellHex := "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
	// A non-canonical point encoding (RFC 9496 A.2: negative field element).
	nonCanonical := "0100000000000000000000000000000000000000000000000000000000000000"
	bad := map[string]string{
		"unknown field":     strings.Replace(s, `"version":`, `"extra":1,"version":`, 1),
		"whitespace":        strings.Replace(s, `"version":`, `"version": `, 1),
		"uppercase hex":     strings.Replace(s, cred, strings.ToUpper(cred), 1),
		"non-canonical pt":  strings.Replace(s, cred, nonCanonical, 1),
		"identity cred":     strings.Replace(s, cred, strings.Repeat("0", 64), 1),
		"non-reduced z":     strings.Replace(s, zhex, ellHex, 1),
		"short hex":         strings.Replace(s, cred, cred[:62], 1),
		"null signature":    s[:strings.LastIndex(s, `"signature":`)] + `"signature":null}`,
		"missing signature": s[:strings.LastIndex(s, `,"signature":`)] + `}`,
		"null credential":   strings.Replace(s, `"`+cred+`"`, "null", 1),
		"null proof":        strings.Replace(s, `"proof":{`, `"proof":null,"x":{`, 1),
		"truncated":         s[:len(s)-1],
		"trailing":          s + " ",
		"null contests":     s[:strings.Index(s, `"contests":`)] + `"contests":null,"signature":` + s[strings.LastIndex(s, `"signature":`)+len(`"signature":`):],
		"null selections":   strings.Replace(s, `"selections":[`, `"selections":null,"x":[`, 1),
		"base hash short":   strings.Replace(s, `"base_hash":"`, `"base_hash":"00`, 1),
		"empty":             "",
	}
	for name, in := range bad {
		if in == s {
			t.Fatalf("%s: mutation did not apply", name)
		}
		got, err := DecodeBallot([]byte(in))
		if err == nil || got != nil || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, %v", name, got != nil, err)
		}
	}
	if _, err := DecodeBallot(bytes.Repeat([]byte("x"), MaxBallotSize+1)); !errors.Is(err, canon.ErrTooLarge) {
		t.Errorf("oversized: %v", err)
	}
}

// TestVectors checks the stored example ballot and spoiled ballot: they
// verify, decrypt to the vector choices, and their hash and tracking code
// are stable. Run with -update to regenerate them.
func TestVectors(t *testing.T) {
	e := vectorElection(t)
	if *update {
		writeVectors(t, e)
	}
	data := readTestdata(t, "ballot.json")
	b, err := DecodeBallot(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(e.Election, b); err != nil {
		t.Fatal(err)
	}
	if !b.Credential.Equal(vectorCredential(t).Public()) {
		t.Fatal("vector ballot is not signed by the vector credential")
	}
	if got := decryptAll(t, e, b); !equalChoices(got, vectorChoices) {
		t.Fatalf("vector ballot decrypts to %v", got)
	}
	code, err := b.TrackingCode()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(readTestdata(t, "ballot.tracking"))); string(code) != want {
		t.Fatalf("tracking code %s, want %s", code, want)
	}
	eh := strings.TrimSpace(string(readTestdata(t, "election.txt")))
	if eh != electionSummary(e) {
		t.Fatalf("election vector:\n%s\nwant\n%s", electionSummary(e), eh)
	}
	w1 := newTestElection(t, oneOfN(1, 2))
	small, err := DecodeBallot(readTestdata(t, "ballot-w1.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(w1.Election, small); err != nil {
		t.Fatalf("ballot-w1.json: %v", err)
	}
	sp, err := DecodeSpoiled(readTestdata(t, "spoiled.json"))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := VerifySpoiled(e.Election, sp)
	if err != nil || !equalChoices(ch, spoiledChoices) {
		t.Fatalf("spoiled vector: %v %v", ch, err)
	}
}

var spoiledChoices = Choices{"mayor": {0, 0, 1}, "council": {0, 1, 1, 0}, "parks": {2, 4}}

func electionSummary(e *testElection) string {
	var sb strings.Builder
	mh, _ := Hash(e.ManifestHash).MarshalText()
	ch, _ := Hash(e.CeremonyHash).MarshalText()
	bh, _ := Hash(e.BaseHash).MarshalText()
	sb.WriteString("manifest_hash " + string(mh) + "\n")
	sb.WriteString("joint_key " + e.JointKey.String() + "\n")
	sb.WriteString("ceremony_hash " + string(ch) + "\n")
	sb.WriteString("base_hash " + string(bh))
	return sb.String()
}

func writeVectors(t *testing.T, e *testElection) {
	cred := NewCredential()
	write := func(name string, data []byte) {
		if err := os.WriteFile("testdata/"+name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("credential.txt", []byte(cred.Secret()+"\n"))
	b, _ := mustEncrypt(t, e, cred, vectorChoices)
	data, _ := b.Encode()
	write("ballot.json", data)
	code, _ := b.TrackingCode()
	write("ballot.tracking", []byte(string(code)+"\n"))
	write("election.txt", []byte(electionSummary(e)+"\n"))
	w1 := newTestElection(t, oneOfN(1, 2))
	small, _ := mustEncrypt(t, w1, cred, Choices{"c0": {1, 0}})
	smallData, _ := small.Encode()
	write("ballot-w1.json", smallData)
	sb, o := mustEncrypt(t, e, cred, spoiledChoices)
	sp, err := Spoil(sb, o)
	if err != nil {
		t.Fatal(err)
	}
	sdata, _ := sp.Encode()
	write("spoiled.json", sdata)
}

func FuzzDecodeBallot(f *testing.F) {
	// A small W1 ballot (testdata/ballot-w1.json) keeps each execution
	// fast; the main vector is a second seed.
	e := newTestElection(f, oneOfN(1, 2))
	orig := readTestdata(f, "ballot-w1.json")
	f.Add(orig)
	f.Add(readTestdata(f, "ballot.json"))
	// Seeds for the string and array paths of the parser.
	o := string(orig)
	f.Add([]byte(strings.Replace(o, `"election_id":"w-1-2"`, `"election_id":"w\u003c1\"\\é"`, 1)))
	f.Add([]byte(strings.Replace(o, `"election_id":"w-1-2"`, `"election_id":"w<1"`, 1)))
	f.Add([]byte(o[:strings.Index(o, `"contests":`)] + `"contests":[],"signature":` + o[strings.LastIndex(o, `"signature":`)+len(`"signature":`):]))
	// A small ballot with a ranked part (a one_of_n contest and a ranked
	// contest of 3 options, L = 2), and seeds for the ranked paths.
	re := newTestElection(f, rankedW1())
	origRanked := readTestdata(f, "ballot-ranked-w1.json")
	f.Add(origRanked)
	r := string(origRanked)
	f.Add([]byte(strings.Replace(r, `{"id":"r","ranks":`, `{"id":"r","selections":`, 1)))
	f.Add([]byte(strings.Replace(r, `"ranks":[{`, `"ranks":[],"x":[{`, 1)))
	f.Add([]byte(strings.Replace(r, `{"id":"c0","selections":`, `{"id":"c0","ranks":`, 1)))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := DecodeBallot(in)
		ref, refErr := decodeBallotReference(in)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("direct parser: %v; reference decoder: %v", err, refErr)
		}
		if err != nil {
			if b != nil {
				t.Fatal("error with non-nil ballot")
			}
			return
		}
		if h1, _ := b.Hash(); h1 != must(ref.Hash()) {
			t.Fatal("the decoders decode differently")
		}
		out, err := b.Encode()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("accepted non-canonical ballot: %v", err)
		}
		if std, err := json.Marshal(b); err != nil || !bytes.Equal(std, in) {
			t.Fatalf("accepted a ballot encoding/json encodes differently: %v", err)
		}
		// A ballot that differs from the seed must not verify (it would
		// need a forgery); the seed itself must.
		err = Verify(e.Election, b)
		if bytes.Equal(in, orig) != (err == nil) {
			t.Fatalf("verify of %d-byte ballot: %v", len(in), err)
		}
		err = Verify(re.Election, b)
		if bytes.Equal(in, origRanked) != (err == nil) {
			t.Fatalf("verify of %d-byte ballot for the ranked election: %v", len(in), err)
		}
	})
}

func TestBallotSize(t *testing.T) {
	for _, e := range []*testElection{vectorElection(t), newTestElection(t, oneOfN(10, 5))} {
		var ch Choices
		if e.Manifest.ElectionID == "demo-2026" {
			ch = vectorChoices
		} else {
			ch = w2Choices(3)
		}
		b, _ := mustEncrypt(t, e, NewCredential(), ch)
		data, _ := b.Encode()
		if got := e.BallotSize(); got != len(data) {
			t.Errorf("%s: BallotSize %d, encoded ballot %d bytes", e.Manifest.ElectionID, got, len(data))
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
