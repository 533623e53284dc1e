package coord

import (
	"fmt"
	"os"
	"testing"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally"
)

func scanFixture(t testing.TB) (*tally.Layout, [][]byte) {
	return scanFixtureOf(t, testManifest("scan"), nil)
}

// rankedScanFixture has ranked contests before, between and after the
// homomorphic ones, so the scanner must skip their rank ciphertexts.
func rankedScanFixture(t testing.TB) (*tally.Layout, [][]byte) {
	m := testManifest("scan-ranked")
	o := func(n int) []ballot.Option {
		out := make([]ballot.Option, n)
		for i := range out {
			out[i] = ballot.Option{ID: fmt.Sprintf("o%d", i+1), Title: "O"}
		}
		return out
	}
	r := func(id string) ballot.Contest {
		return ballot.Contest{ID: id, Title: "R", Kind: ballot.Ranked, Options: o(3), MaxSelections: 2, Method: ballot.IRV}
	}
	m.Contests = []ballot.Contest{r("r1"), m.Contests[0], r("r2"), m.Contests[1], r("r3")}
	return scanFixtureOf(t, m, ballot.Choices{"r1": {2, 1}, "r2": {3, 0}, "r3": {1, 3}})
}

func scanFixtureOf(t testing.TB, m *ballot.Manifest, extra ballot.Choices) (*tally.Layout, [][]byte) {
	el, err := ballot.NewElection(m, group.BaseMul(group.RandomScalar()), [32]byte{7})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for i := range 3 {
		ch := ballot.Choices{"mayor": rot([]uint64{1, 0, 0}, i), "council": rot([]uint64{1, 0, 1}, i)}
		for id, v := range extra {
			ch[id] = v
		}
		b, _, err := ballot.Encrypt(el, ballot.NewCredential(), ch)
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

// The scanner agrees with the JSON decoder on real ballots, with and
// without ranked parts.
func TestScanCiphertexts(t *testing.T) {
	l, payloads := scanFixture(t)
	rl, rp := rankedScanFixture(t)
	if rl.Width() != l.Width() {
		t.Fatalf("ranked contests in the layout: width %d, want %d", rl.Width(), l.Width())
	}
	for _, p := range append(payloads, rp...) {
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
	_, rp := rankedScanFixture(f)
	for _, p := range append(payloads, rp...) {
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
