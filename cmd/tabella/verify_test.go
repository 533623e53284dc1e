package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
)

const corpus = "../../e2e/testdata"

func TestVerifyValidRecord(t *testing.T) {
	code, out, errOut := runCmd(t, "verify", "--no-progress", filepath.Join(corpus, "valid.record"))
	if code != 0 || !strings.Contains(out, "VALID") || !strings.Contains(out, "ballots counted") || !strings.Contains(out, "Turnout") {
		t.Fatalf("code %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "verify", "--json", filepath.Join(corpus, "valid.record"))
	var rep struct {
		Valid    bool `json:"valid"`
		Complete bool `json:"complete"`
		Counts   struct {
			Ballots uint64 `json:"ballots"`
		} `json:"counts"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.Valid || !rep.Complete || rep.Counts.Ballots == 0 {
		t.Fatalf("json: code %d, %s", code, out)
	}
}

func TestVerifyTampered(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"changed-vote", "entry 23 (ballot): ballot.proof"},
		{"forked-checkpoint", "board.fork"},
		{"wrong-count", "tally.result: posted result differs"},
	} {
		code, out, errOut := runCmd(t, "verify", filepath.Join(corpus, "tampered", c.file+".record"))
		if code != 1 || !strings.Contains(errOut, c.want) || !strings.Contains(out, "INVALID") {
			t.Errorf("%s: code %d\nstdout %s\nstderr %s", c.file, code, out, errOut)
		}
	}
	// --all lists more than one failure when there are several.
	code, out, _ := runCmd(t, "verify", "--all", "--json", filepath.Join(corpus, "tampered", "outside-schedule.record"))
	var rep struct {
		Failures []struct {
			Check string `json:"check"`
			Entry int64  `json:"entry"`
		} `json:"failures"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Failures) == 0 || rep.Failures[0].Check != "ballot.schedule" {
		t.Fatalf("--all: code %d, %s", code, out)
	}
}

func TestVerifyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"verify", "a", "b"},
		{"verify", "--server", "http://x"},
		{"verify", "--follow", "x.record"},
		{"verify", "--quorum", "1", "x.record"},
	} {
		if code, _, _ := runCmd(t, args...); code != 2 {
			t.Errorf("%v: code %d, want 2", args, code)
		}
	}
	if code, _, _ := runCmd(t, "verify", filepath.Join(t.TempDir(), "missing.record")); code != 1 {
		t.Errorf("missing file: code %d, want 1", code)
	}
}

// TestVerifySpoiled extracts the spoiled ballot of the valid record and
// checks it with --spoiled; a spoiled ballot with an altered value fails.
func TestVerifySpoiled(t *testing.T) {
	f, err := os.Open(filepath.Join(corpus, "valid.record"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := record.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var payload []byte
	for {
		it, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Entry != nil && it.Entry.Type == record.TypeSpoiled {
			payload = it.Entry.Payload
		}
	}
	if payload == nil {
		t.Fatal("no spoiled ballot in the record")
	}
	sp := filepath.Join(t.TempDir(), "spoiled.json")
	os.WriteFile(sp, payload, 0o644)
	code, out, errOut := runCmd(t, "verify", "--spoiled", sp, filepath.Join(corpus, "valid.record"))
	if code != 0 || !strings.Contains(out, "it encrypted") || !strings.Contains(out, "posted on the board as spoiled at entry") {
		t.Fatalf("code %d\n%s\n%s", code, out, errOut)
	}
	bad := strings.Replace(string(payload), `"value":1`, `"value":0`, 1)
	if bad == string(payload) {
		t.Fatal("no value to alter")
	}
	os.WriteFile(sp, []byte(bad), 0o644)
	code, _, errOut = runCmd(t, "verify", "--spoiled", sp, filepath.Join(corpus, "valid.record"))
	if code != 1 || !strings.Contains(errOut, "spoiled ballot") {
		t.Fatalf("altered spoiled ballot: code %d, %s", code, errOut)
	}
}

// receiptFromRecord builds the board's receipt for entry index of a record
// file, against the record's last checkpoint.
func receiptFromRecord(t *testing.T, path string, want string) *bulletin.Receipt {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := record.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var stored []tlog.Hash
	var hashes []bulletin.Hash
	var types []string
	var note []byte
	for {
		it, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Checkpoint != nil {
			note = it.Checkpoint
			continue
		}
		hs, err := tlog.StoredHashes(int64(len(hashes)), it.Entry.Hash[:], tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(ix))
			for i, x := range ix {
				out[i] = stored[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		hashes = append(hashes, it.Entry.Hash)
		types = append(types, it.Entry.Type)
	}
	index := slices.Index(types, want)
	hr := tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(ix))
		for i, x := range ix {
			out[i] = stored[x]
		}
		return out, nil
	})
	proof, err := tlog.ProveRecord(int64(len(hashes)), int64(index), hr)
	if err != nil {
		t.Fatal(err)
	}
	return &bulletin.Receipt{Election: rd.Header().Election, Index: uint64(index), EntryHash: hashes[index],
		Checkpoint: string(note), Inclusion: bulletin.FromTlog(proof)}
}

func TestVerifyReceipt(t *testing.T) {
	rec := filepath.Join(corpus, "valid.record")
	rc := receiptFromRecord(t, rec, record.TypeBallot)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.json")
	os.WriteFile(plain, bulletin.MarshalReceipt(rc), 0o644)
	wrapped := filepath.Join(dir, "voter.json")
	data, _ := json.Marshal(struct {
		Receipt      *bulletin.Receipt `json:"receipt"`
		TrackingCode string            `json:"tracking_code"`
		BoardKey     string            `json:"board_key"`
	}{rc, "X", "k"})
	os.WriteFile(wrapped, data, 0o644)
	for _, file := range []string{plain, wrapped} {
		code, out, errOut := runCmd(t, "verify", "--receipt", file, rec)
		if code != 0 || !strings.Contains(out, "included in the record") || !strings.Contains(out, "tracking code") {
			t.Fatalf("%s: code %d\n%s\n%s", file, code, out, errOut)
		}
	}
	bad := *rc
	bad.EntryHash[0] ^= 1
	os.WriteFile(plain, bulletin.MarshalReceipt(&bad), 0o644)
	if code, _, errOut := runCmd(t, "verify", "--receipt", plain, rec); code != 1 || !strings.Contains(errOut, "receipt") {
		t.Fatalf("bad receipt: code %d, %s", code, errOut)
	}
}
