package ballot

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

func TestSpoilRoundTrip(t *testing.T) {
	e := vectorElection(t)
	cred := NewCredential()
	b, o := mustEncrypt(t, e, cred, vectorChoices)
	sp, err := Spoil(b, o)
	if err != nil {
		t.Fatal(err)
	}
	data, err := sp.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeSpoiled(data)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := d.Encode(); !bytes.Equal(again, data) {
		t.Fatal("spoiled decode/encode is not the identity")
	}
	ch, err := VerifySpoiled(e.Election, d)
	if err != nil {
		t.Fatal(err)
	}
	if !equalChoices(ch, vectorChoices) {
		t.Fatalf("spoiled ballot opens to %v, want %v", ch, vectorChoices)
	}
	// The opening never prints its secrets.
	r := o.nonces[0][0].Bytes()
	if s := fmt.Sprintf("%v %+v %#v", o, o, o); strings.Contains(s, fmt.Sprintf("%x", r[:8])) {
		t.Fatalf("opening prints a nonce: %s", s)
	}
}

// A lying device encrypts one choice and, when challenged, claims another.
func TestSpoiledLyingFails(t *testing.T) {
	e := vectorElection(t)
	cred := NewCredential()
	b, o := mustEncrypt(t, e, cred, vectorChoices) // mayor = bob
	fresh := func() *Spoiled {
		sp, err := Spoil(b, o)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := sp.Encode()
		d, err := DecodeSpoiled(data)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Claim alice instead of bob, keeping the nonces.
	sp := fresh()
	sp.Openings[0][0].Value, sp.Openings[0][1].Value = 1, 0
	if _, err := VerifySpoiled(e.Election, sp); !errors.Is(err, ErrSpoiledMismatch) || !strings.Contains(err.Error(), `contest "mayor" option 0 ("alice")`) {
		t.Errorf("claimed other choice: %v", err)
	}
	// A wrong nonce.
	sp = fresh()
	sp.Openings[2][1].Nonce = group.RandomScalar()
	if _, err := VerifySpoiled(e.Election, sp); !errors.Is(err, ErrSpoiledMismatch) || !strings.Contains(err.Error(), `"parks" option 1`) {
		t.Errorf("wrong nonce: %v", err)
	}
	// The nonce of a ballot with the claimed choice, on this ballot.
	other, o2 := mustEncrypt(t, e, cred, Choices{"mayor": {1, 0, 0}, "council": {1, 0, 0, 1}, "parks": {5, 3}})
	_ = other
	sp = fresh()
	sp.Openings[0][0] = OpenedSelection{Value: 1, Nonce: o2.nonces[0][0]}
	if _, err := VerifySpoiled(e.Election, sp); !errors.Is(err, ErrSpoiledMismatch) {
		t.Errorf("foreign nonce: %v", err)
	}
	// A device that encrypted something else with valid proofs: the opening
	// of the real content verifies and shows the voter the difference.
	sp = fresh()
	if ch, err := VerifySpoiled(e.Election, sp); err != nil || ch["mayor"][1] != 1 {
		t.Errorf("honest opening: %v %v", ch, err)
	}
	// Shapes.
	sp = fresh()
	sp.Openings = sp.Openings[:2]
	if _, err := VerifySpoiled(e.Election, sp); !errors.Is(err, ErrMalformed) {
		t.Errorf("missing contest opening: %v", err)
	}
	sp = fresh()
	sp.Openings[1] = sp.Openings[1][:3]
	if _, err := VerifySpoiled(e.Election, sp); !errors.Is(err, ErrMalformed) {
		t.Errorf("missing selection opening: %v", err)
	}
	sp = fresh()
	sp.Ballot.Contests[0].Selections[0].Ciphertext = elgamal.EncryptUint(e.JointKey, 1, sp.Openings[0][0].Nonce)
	if _, err := VerifySpoiled(e.Election, sp); !errors.Is(err, ErrInvalidBallot) {
		t.Errorf("tampered ballot inside: %v", err)
	}
	if _, err := VerifySpoiled(e.Election, &Spoiled{Version: Version}); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil ballot: %v", err)
	}
}

func TestDecodeSpoiledStrict(t *testing.T) {
	s := string(readTestdata(t, "spoiled.json"))
	bad := map[string]string{
		"null nonce":    strings.Replace(s, `"nonce":"`, `"nonce":null,"x":"`, 1),
		"null ballot":   strings.Replace(s, `"ballot":{`, `"ballot":null,"x":{`, 1),
		"null openings": s[:strings.Index(s, `"openings":`)] + `"openings":null}`,
		"null contest":  strings.Replace(s, `"openings":[[`, `"openings":[null,[`, 1),
		"negative":      strings.Replace(s, `"value":0`, `"value":-1`, 1),
		"unknown field": strings.Replace(s, `"openings"`, `"extra":1,"openings"`, 1),
		"trailing":      s + "{}",
		"empty":         "",
	}
	for name, in := range bad {
		if in == s {
			t.Fatalf("%s: mutation did not apply", name)
		}
		if sp, err := DecodeSpoiled([]byte(in)); err == nil || sp != nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeSpoiled(f *testing.F) {
	orig := readTestdata(f, "spoiled.json")
	f.Add(orig)
	e := vectorElection(f)
	origRanked := readTestdata(f, "spoiled-ranked.json")
	f.Add(origRanked)
	re := newTestElection(f, rankedManifest(f))
	f.Fuzz(func(t *testing.T, in []byte) {
		sp, err := DecodeSpoiled(in)
		if err != nil {
			if sp != nil {
				t.Fatal("error with non-nil spoiled ballot")
			}
			return
		}
		out, err := sp.Encode()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("accepted non-canonical spoiled ballot: %v", err)
		}
		_, err = VerifySpoiled(e.Election, sp)
		if bytes.Equal(in, orig) != (err == nil) {
			t.Fatalf("verify of mutated spoiled ballot: %v", err)
		}
		_, err = VerifySpoiled(re.Election, sp)
		if bytes.Equal(in, origRanked) != (err == nil) {
			t.Fatalf("verify of mutated ranked spoiled ballot: %v", err)
		}
	})
}
