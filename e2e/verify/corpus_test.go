package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
)

//go:generate go test -run TestCorpus -update

var (
	update    = flag.Bool("update", false, "rebuild the tamper corpus in e2e/testdata")
	updateMix = flag.Bool("update-mix", false, "rebuild only the ranked record and its mix cases in e2e/testdata, keeping the rest")
)

const corpusDir = "../testdata"

// CorpusEntry is one line of e2e/testdata/corpus.json (e2e/SPEC.md §13).
type CorpusEntry struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"`
	Check    Check  `json:"check,omitempty"`
	Entry    int64  `json:"entry"`
	Contains string `json:"contains,omitempty"`
	What     string `json:"what"`
}

// corpusManifest is small on purpose (the corpus is committed): a
// one-of-three contest and a score contest.
func corpusManifest() *ballot.Manifest {
	m := electiontest.SmallManifest()
	m.Contests = []ballot.Contest{m.Contests[0], {ID: "parks", Title: "Rate the park projects", Kind: ballot.Score,
		Options: []ballot.Option{{ID: "north", Title: "North park"}, {ID: "south", Title: "South park"}}, MaxScore: 2, MaxTotal: 3}}
	return m
}

var (
	corpusOnce sync.Once
	corpusEl   *electiontest.Election
	corpusErr  error
)

func corpusElection(t testing.TB) *electiontest.Election {
	corpusOnce.Do(func() {
		corpusEl, corpusErr = electiontest.Build(electiontest.Config{Manifest: corpusManifest(), Trustees: 5, Threshold: 3,
			Voters: 8, Ballots: 7, Revotes: 2, Spoils: 1, CheckpointEvery: 8})
	})
	if corpusErr != nil {
		t.Fatal(corpusErr)
	}
	return corpusEl
}

// expectFailure verifies data and checks the first failure.
func expectFailure(t *testing.T, data []byte, check Check, entry int64, contains string) {
	t.Helper()
	rep, err := Record(context.Background(), bytes.NewReader(data), Options{})
	if err == nil {
		t.Fatalf("tampered record verifies")
	}
	var f *Failure
	if !errors.As(err, &f) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v is not a Failure", err)
	}
	if rep.Valid || len(rep.Failures) != 1 || rep.Failures[0] != f {
		t.Fatalf("report: valid %v, failures %v", rep.Valid, rep.Failures)
	}
	t.Log(f)
	if f.Check != check || f.Entry != entry || !strings.Contains(f.Message, contains) {
		t.Fatalf("failure %v\nwant check %s, entry %d, message containing %q", f, check, entry, contains)
	}
}

// TestTamperCases runs every tamper case on a freshly built election.
func TestTamperCases(t *testing.T) {
	e := corpusElection(t)
	if _, err := Record(context.Background(), bytes.NewReader(e.Bytes()), Options{}); err != nil {
		t.Fatalf("untouched record: %v", err)
	}
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			data, entry, err := tc.mutate(e)
			if err != nil {
				t.Fatal(err)
			}
			expectFailure(t, data, tc.check, entry, tc.contains)
		})
	}
}

// rankedRecord is the corpus file of the ranked election.
const rankedRecord = "valid-ranked.record"

// mixCorpus writes the ranked record and its mix cases and returns their
// corpus lines and the board's signer key.
func mixCorpus(t *testing.T) ([]CorpusEntry, string) {
	e := rankedCorpusElection(t)
	out := []CorpusEntry{{File: rankedRecord, Valid: true, Entry: -1,
		What: "a valid election with a ranked contest beside homomorphic ones: 2-of-3 trustees, trustees 1 and 2 mix, trustee 3 misses its turn, trustees 1 and 2 decrypt the final list"}}
	if err := os.WriteFile(filepath.Join(corpusDir, rankedRecord), e.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range mixCases {
		data, entry, err := tc.mutate(e)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		f := "tampered/" + tc.name + ".record"
		if err := os.WriteFile(filepath.Join(corpusDir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, CorpusEntry{File: f, Check: tc.check, Entry: entry, Contains: tc.contains, What: tc.what})
	}
	return out, electiontest.SignerKey(e.BoardName, e.BoardPriv)
}

// isMixFile reports whether a corpus file is the ranked record's.
func isMixFile(f string) bool {
	return f == rankedRecord || strings.HasPrefix(f, "tampered/mix-")
}

// updateMixCorpus rewrites only the ranked record's files and lines.
func updateMixCorpus(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var old []CorpusEntry
	if err := json.Unmarshal(data, &old); err != nil {
		t.Fatal(err)
	}
	var corpus []CorpusEntry
	for _, c := range old {
		if !isMixFile(c.File) {
			corpus = append(corpus, c)
		}
	}
	mixed, key := mixCorpus(t)
	keys, err := os.ReadFile(filepath.Join(corpusDir, "board-keys.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(strings.TrimSpace(string(keys)), "\n") {
		if !strings.HasPrefix(l, "#") && !strings.Contains(l, "+ranked.example+") {
			kept = append(kept, l)
		}
	}
	corpusBoardKeys = append(kept, key)
	writeCorpusFiles(t, append(corpus, mixed...))
}

// TestCorpus checks the committed corpus in e2e/testdata: the valid record
// passes and every tampered record fails with exactly its expected check,
// entry and message. With -update it rebuilds the corpus first.
func TestCorpus(t *testing.T) {
	if *update {
		writeCorpus(t)
	} else if *updateMix {
		updateMixCorpus(t)
	}
	data, err := os.ReadFile(filepath.Join(corpusDir, "corpus.json"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus []CorpusEntry
	if err := json.Unmarshal(data, &corpus); err != nil {
		t.Fatal(err)
	}
	if len(corpus) != len(tamperCases)+len(mixCases)+2 {
		t.Fatalf("corpus has %d records, want %d (run go generate)", len(corpus), len(tamperCases)+len(mixCases)+2)
	}
	for _, c := range corpus {
		t.Run(c.File, func(t *testing.T) {
			rec, err := os.ReadFile(filepath.Join(corpusDir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			if c.Valid {
				rep, err := Record(context.Background(), bytes.NewReader(rec), Options{})
				if err != nil || !rep.Valid || !rep.Complete {
					t.Fatalf("valid record: %v", err)
				}
				return
			}
			expectFailure(t, rec, c.Check, c.Entry, c.Contains)
		})
	}
}

// corpusBoardKeys are the signer keys of the boards of the corpus's
// records, written to board-keys.txt so that the differential test
// (e2e/difftest) can replay each record through a service that is its
// board.
var corpusBoardKeys []string

func writeCorpus(t *testing.T) {
	e := corpusElection(t)
	corpusBoardKeys = []string{electiontest.SignerKey(e.BoardName, e.BoardPriv)}
	if err := os.MkdirAll(filepath.Join(corpusDir, "tampered"), 0o755); err != nil {
		t.Fatal(err)
	}
	corpus := []CorpusEntry{{File: "valid.record", Valid: true, Entry: -1,
		What: "a valid election: 3-of-5 trustees, 8 voters, 7 ballots, 2 replaced by a second ballot, 1 spoiled ballot"}}
	if err := os.WriteFile(filepath.Join(corpusDir, "valid.record"), e.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tamperCases {
		data, entry, err := tc.mutate(e)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		f := "tampered/" + tc.name + ".record"
		if err := os.WriteFile(filepath.Join(corpusDir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
		corpus = append(corpus, CorpusEntry{File: f, Check: tc.check, Entry: entry, Contains: tc.contains, What: tc.what})
	}
	mixed, key := mixCorpus(t)
	corpusBoardKeys = append(corpusBoardKeys, key)
	writeCorpusFiles(t, append(corpus, mixed...))
}

// writeCorpusFiles writes corpus.json and board-keys.txt.
func writeCorpusFiles(t *testing.T, corpus []CorpusEntry) {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, c := range corpus {
		line, err := canon.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		if i < len(corpus)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]\n")
	if err := os.WriteFile(filepath.Join(corpusDir, "corpus.json"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	keys := "# TEST KEYS ONLY: the note signer keys of the boards of the records in this\n" +
		"# folder, published so that tests can replay the records through a service.\n" +
		strings.Join(corpusBoardKeys, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(corpusDir, "board-keys.txt"), []byte(keys), 0o644); err != nil {
		t.Fatal(err)
	}
}
