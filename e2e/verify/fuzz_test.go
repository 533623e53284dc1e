package verify

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestByteFlips flips random bytes (seeded, reproducible) of the valid
// corpus record: every altered record must fail, and never panic.
func TestByteFlips(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join(corpusDir, "valid.record"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	trials := 120
	if testing.Short() {
		trials = 20
	}
	for i := range trials {
		data := bytes.Clone(valid)
		n := 1 + rng.IntN(3)
		var at []int
		for range n {
			k := rng.IntN(len(data))
			data[k] ^= byte(1 + rng.IntN(255))
			at = append(at, k)
		}
		rep, err := Record(context.Background(), bytes.NewReader(data), Options{})
		if err == nil || rep.Valid {
			t.Fatalf("trial %d: record with bytes %v flipped verifies", i, at)
		}
	}
}

// FuzzRecord feeds arbitrary record files to the verifier: it must never
// panic, and its error and report must agree.
func FuzzRecord(f *testing.F) {
	// Seeds are the first lines of corpus records (whole records make
	// each execution slow under coverage instrumentation): the header, the
	// setup, the manifest, the roll, the ceremony parameters.
	for _, name := range []string{"valid.record", "tampered/header-board-key.record", "tampered/roll-seal.record"} {
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitAfter(data, []byte("\n"))
		f.Add(bytes.Join(lines[:6], nil))
		f.Add(bytes.Join(lines[:3], nil))
	}
	f.Add([]byte(`{"version":"tabella-record/v2","election":"e","board_key":"x+00000000+AQ=="}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Record(context.Background(), bytes.NewReader(data), Options{All: true, MaxFailures: 50})
		if rep == nil {
			t.Fatal("nil report")
		}
		if (err == nil) != rep.Valid {
			t.Fatalf("error %v but valid %v", err, rep.Valid)
		}
		if err != nil && len(rep.Failures) == 0 {
			t.Fatalf("error %v without failures", err)
		}
	})
}
