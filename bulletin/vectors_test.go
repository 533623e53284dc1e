package bulletin

import (
	"encoding/json"
	"os"
	"testing"
)

// TestVectors checks the published vectors of e2e/SPEC.md §8.10.
func TestVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Election    string            `json:"election"`
		Board       string            `json:"board"`
		Entries     []json.RawMessage `json:"entries"`
		Leaf0       Hash              `json:"leaf0"`
		Submission0 Hash              `json:"submission0"`
		Root        Hash              `json:"root"`
		Checkpoint  string            `json:"checkpoint"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	ch := Chain{Election: v.Election}
	var tree Tree
	var first *Entry
	for i, raw := range v.Entries {
		e, err := ParseEntry(v.Election, raw)
		if err != nil {
			t.Fatalf("vector entry %d: %v", i, err)
		}
		if err := ch.Add(e); err != nil {
			t.Fatal(err)
		}
		tree.Add(e.Hash)
		if first == nil {
			first = e
		}
	}
	if LeafHash(first.Hash) != v.Leaf0 {
		t.Error("leaf hash differs from the vector")
	}
	if SubmissionKey(first.Type, first.Payload, first.Signer, first.Signature) != v.Submission0 {
		t.Error("submission key differs from the vector")
	}
	if tree.Root() != v.Root {
		t.Error("root differs from the vector")
	}
	cp := Checkpoint{Origin: Origin(v.Board, v.Election), Size: tree.Size(), Root: tree.Root()}
	if cp.Text() != v.Checkpoint {
		t.Errorf("checkpoint body %q, vector %q", cp.Text(), v.Checkpoint)
	}
}
