package ballot

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// A mustFailVector is one entry of testdata/must-fail.json: a ballot for the
// vector election (testdata/election.txt) that every verifier must reject,
// with the class of the rejection (e2e/SPEC.md §7.8):
//
//   - "malformed": it does not decode (step 1);
//   - "wrong_election": it names another election or base hash (step 2);
//   - "invalid": a proof fails; Contest, Option (−1 if none) and Proof name it.
type mustFailVector struct {
	Name    string `json:"name"`
	Class   string `json:"class"`
	Contest string `json:"contest"`
	Option  int    `json:"option"`
	Proof   string `json:"proof"`
	Ballot  string `json:"ballot"`
}

func buildMustFailVectors(t *testing.T, e *testElection) []mustFailVector {
	alice, bob := vectorCredential(t), NewCredential()
	honest, _ := mustEncrypt(t, e, alice, vectorChoices)
	honestData, _ := honest.Encode()
	clone := func() *Ballot {
		b, err := DecodeBallot(honestData)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var vs []mustFailVector
	add := func(name, class, contest string, option int, proof string, b *Ballot) {
		data, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, mustFailVector{name, class, contest, option, proof, string(data)})
	}
	addRaw := func(name, data string) {
		if data == string(honestData) {
			t.Fatalf("%s: mutation did not apply", name)
		}
		vs = append(vs, mustFailVector{Name: name, Class: "malformed", Option: -1, Ballot: data})
	}

	b := clone()
	b.Contests[1] = craftContest(t, e.Election, alice, 1, []int64{2, 0, 0, 0}, []uint64{1, 0, 0, 0}, 2)
	resign(e.Election, b, alice)
	add("selection encrypts 2 in a 0/1 option, forged proof", "invalid", "council", 0, ProofSelection, b)

	b = clone()
	b.Contests[0] = craftContest(t, e.Election, alice, 0, []int64{1, 1, 0}, []uint64{1, 1, 0}, 1)
	resign(e.Election, b, alice)
	add("over-vote in a one_of_n contest", "invalid", "mayor", -1, ProofSum, b)

	b = clone()
	b.Contests[0] = craftContest(t, e.Election, alice, 0, []int64{-1, 1, 1}, []uint64{0, 1, 1}, 1)
	resign(e.Election, b, alice)
	add("negative vote (ℓ−1) with an in-range contest sum", "invalid", "mayor", 0, ProofSelection, b)

	b = clone()
	resign(e.Election, b, bob)
	add("ballot copied under another credential and re-signed", "invalid", "mayor", 0, ProofSelection, b)

	b = clone()
	s := b.Contests[0].Selections
	s[0], s[1] = s[1], s[0]
	resign(e.Election, b, alice)
	add("selections swapped between options", "invalid", "mayor", 0, ProofSelection, b)

	other := BaseHash(e.ManifestHash, e.JointKey, taggedHash("other ceremony", nil))
	b = clone()
	b.BaseHash = Hash(other)
	add("ballot of another election (base hash)", "wrong_election", "", -1, "", b)

	b = clone()
	b.Signature = zk.ProveSchnorr(signatureTranscript(other, mustBodyHash(t, b)), alice.x, alice.Public())
	add("signature bound to another base hash", "invalid", "", -1, ProofSignature, b)

	b = clone()
	b.Contests[2].Selections[1].Ciphertext.B = b.Contests[2].Selections[1].Ciphertext.B.Add(group.Generator())
	add("ciphertext changed after signing (and proving)", "invalid", "parks", 1, ProofSelection, b)

	s0 := string(honestData)
	cred := honest.Credential.String()
	addRaw("identity credential", strings.Replace(s0, cred, strings.Repeat("0", 64), 1))
	addRaw("non-canonical credential encoding", strings.Replace(s0, cred, "0100000000000000000000000000000000000000000000000000000000000000", 1))
	z := honest.Signature.Z.Bytes()
	zhex := hex.EncodeToString(z[:])
	addRaw("non-reduced scalar (ℓ) in the signature", strings.Replace(s0, zhex, "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", 1))
	addRaw("unknown field", strings.Replace(s0, `{"version":`, `{"extra":0,"version":`, 1))
	addRaw("not canonical: whitespace", strings.Replace(s0, `"version":`, `"version": `, 1))
	addRaw("uppercase hex", strings.Replace(s0, cred, strings.ToUpper(cred), 1))
	return vs
}

// TestMustFailVectors checks testdata/must-fail.json (regenerate with
// -update): each ballot is rejected with its class and, for "invalid", the
// named proof.
func TestMustFailVectors(t *testing.T) {
	e := vectorElection(t)
	if *update {
		vs := buildMustFailVectors(t, e)
		var buf bytes.Buffer
		buf.WriteString("[\n")
		for i, v := range vs {
			line, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			buf.Write(line)
			if i < len(vs)-1 {
				buf.WriteByte(',')
			}
			buf.WriteByte('\n')
		}
		buf.WriteString("]\n")
		if err := os.WriteFile("testdata/must-fail.json", buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var vs []mustFailVector
	if err := json.Unmarshal(readTestdata(t, "must-fail.json"), &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 10 {
		t.Fatalf("only %d vectors", len(vs))
	}
	var decoded []*Ballot
	var want []mustFailVector
	for _, v := range vs {
		b, err := DecodeBallot([]byte(v.Ballot))
		if v.Class == "malformed" {
			if err == nil || !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: decoded: %v", v.Name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: does not decode: %v", v.Name, err)
			continue
		}
		err = Verify(e.Election, b)
		checkVector(t, v, err)
		decoded = append(decoded, b)
		want = append(want, v)
	}
	// The batch verifier names the same failures.
	for i, err := range VerifyBatch(e.Election, decoded) {
		checkVector(t, want[i], err)
	}
}

func checkVector(t *testing.T, v mustFailVector, err error) {
	t.Helper()
	switch v.Class {
	case "wrong_election":
		if !errors.Is(err, ErrWrongElection) {
			t.Errorf("%s: %v, want ErrWrongElection", v.Name, err)
		}
	case "invalid":
		var pe *ProofError
		if !errors.As(err, &pe) || pe.Contest != v.Contest || pe.Option != v.Option || pe.Proof != v.Proof {
			t.Errorf("%s: %v, want %s failing at contest %q option %d", v.Name, err, v.Proof, v.Contest, v.Option)
		}
	default:
		t.Errorf("%s: unknown class %q", v.Name, v.Class)
	}
}
