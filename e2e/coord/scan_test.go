package coord

import (
	"os"
	"testing"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally"
)

func scanFixture(t testing.TB) (*tally.Layout, [][]byte) {
	m := testManifest("scan")
	el, err := ballot.NewElection(m, group.BaseMul(group.RandomScalar()), [32]byte{7})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for i := range 3 {
		b, _, err := ballot.Encrypt(el, ballot.NewCredential(), ballot.Choices{"mayor": rot([]uint64{1, 0, 0}, i), "council": rot([]uint64{1, 0, 1}, i)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return tally.LayoutOf(m), out
}

// The scanner agrees with the JSON decoder on real ballots.
func TestScanCiphertexts(t *testing.T) {
	l, payloads := scanFixture(t)
	for _, p := range payloads {
		got, err := scanCiphertexts(p, l.Width())
		if err != nil {
			t.Fatal(err)
		}
		want, err := l.Ciphertexts(p)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if !got[k].Equal(want[k]) {
				t.Fatalf("position %d differs", k)
			}
		}
	}
	p := payloads[0]
	if _, err := scanCiphertexts(p, l.Width()+1); err == nil {
		t.Fatal("missing ciphertext not noticed")
	}
	if _, err := scanCiphertexts(p, l.Width()-1); err == nil {
		t.Fatal("extra ciphertext not noticed")
	}
	if _, err := scanCiphertexts(p[:len(p)/2], l.Width()); err == nil {
		t.Fatal("truncated ballot accepted")
	}
}

// On any input the scanner either fails or agrees with the strict JSON
// decoder when that one succeeds; it never panics.
func FuzzScanCiphertexts(f *testing.F) {
	l, payloads := scanFixture(f)
	for _, p := range payloads {
		f.Add(p)
	}
	if b, err := os.ReadFile("../../ballot/testdata/ballot.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := scanCiphertexts(data, l.Width())
		if err != nil {
			if got != nil {
				t.Fatal("result with error")
			}
			return
		}
		if len(got) != l.Width() {
			t.Fatal("wrong width")
		}
		if want, err := l.Ciphertexts(data); err == nil {
			for k := range want {
				if !got[k].Equal(want[k]) {
					t.Fatalf("position %d differs from the JSON decoder", k)
				}
			}
		}
	})
}
