package bulletin

import (
	"bytes"
	"encoding/json"
	"testing"
)

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzParseEntry(f *testing.F) {
	f.Add(MarshalEntry(testEntry(0, Hash{})))
	f.Add(MarshalEntry(testEntry(3, Hash{1})))
	f.Add([]byte(`{"index":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseEntry("e1", data)
		if err != nil {
			if e != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if !bytes.Equal(MarshalEntry(e), data) {
			t.Fatal("accepted entry is not canonical")
		}
		if e.ComputeHash("e1") != e.Hash {
			t.Fatal("accepted entry with a wrong hash")
		}
	})
}

func FuzzParseReceipt(f *testing.F) {
	e := testEntry(0, Hash{})
	f.Add(MarshalReceipt(&Receipt{Election: "e1", Index: 0, EntryHash: e.Hash, Checkpoint: "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— b x\n", Inclusion: []Hash{{1}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReceipt(data)
		if err != nil {
			if r != nil {
				t.Fatal("error with a result")
			}
			return
		}
		if !bytes.Equal(MarshalReceipt(r), data) {
			t.Fatal("accepted receipt is not canonical")
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add(Checkpoint{Origin: "b/election/e", Size: 5, Root: Hash{1}}.Text())
	f.Add("o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCheckpoint(s)
		if err != nil {
			return
		}
		if c.Text() != s {
			t.Fatalf("accepted checkpoint is not canonical: %q", s)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	s, v, _ := newNoteKeyF(f, "board.test")
	n, _ := SignCheckpoint(Checkpoint{Origin: Origin("board.test", "e1"), Size: 3, Root: Hash{7}}, s)
	f.Add(n)
	f.Fuzz(func(t *testing.T, msg []byte) {
		cp, err := OpenCheckpoint(msg, "e1", v)
		if err != nil {
			return
		}
		// Only the board can sign: any accepted note has the seed's body.
		if cp.Size != 3 || cp.Root != (Hash{7}) {
			t.Fatalf("accepted a checkpoint the board never signed: %+v", cp.Checkpoint)
		}
	})
}

func FuzzParseProofs(f *testing.F) {
	f.Add(mustJSON(f, &InclusionProof{Index: 1, Size: 4, Proof: []Hash{{1}, {2}}}))
	f.Add(mustJSON(f, &ConsistencyProof{Old: 1, New: 4, Proof: []Hash{{1}}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := ParseInclusionProof(data); err == nil {
			if !bytes.Equal(mustJSON(t, p), data) {
				t.Fatal("accepted inclusion proof is not canonical")
			}
		} else if p != nil {
			t.Fatal("error with a result")
		}
		if p, err := ParseConsistencyProof(data); err == nil {
			if !bytes.Equal(mustJSON(t, p), data) {
				t.Fatal("accepted consistency proof is not canonical")
			}
		} else if p != nil {
			t.Fatal("error with a result")
		}
	})
}

func FuzzParseAPI(f *testing.F) {
	f.Add(mustJSON(f, &EntryPage{Entries: []*Entry{testEntry(0, Hash{})}}))
	f.Add(mustJSON(f, &FeedMessage{Entry: testEntry(0, Hash{})}))
	f.Add(mustJSON(f, &FeedMessage{Checkpoint: "x"}))
	f.Add(mustJSON(f, &Evidence{Election: "e1", Old: "a", New: "b", Proof: []Hash{}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if p, err := ParseEntryPage("e1", data); err == nil {
			if !bytes.Equal(mustJSON(t, p), data) {
				t.Fatal("accepted page is not canonical")
			}
			for _, e := range p.Entries {
				if e.ComputeHash("e1") != e.Hash {
					t.Fatal("accepted page entry with a wrong hash")
				}
			}
		}
		if m, err := ParseFeedMessage("e1", data); err == nil {
			if (m.Entry == nil) == (m.Checkpoint == "") || !bytes.Equal(mustJSON(t, m), data) {
				t.Fatal("accepted feed message is malformed or not canonical")
			}
		}
		if ev, err := ParseEvidence(data); err == nil && !bytes.Equal(mustJSON(t, ev), data) {
			t.Fatal("accepted evidence is not canonical")
		}
	})
}

func FuzzNewCosignatureVerifier(f *testing.F) {
	f.Add("witness.test+01234567+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := NewCosignatureVerifier(s)
		if err != nil {
			return
		}
		if v.Verify([]byte("x\n"), make([]byte, 72)) {
			t.Fatal("zero signature verified")
		}
	})
}
