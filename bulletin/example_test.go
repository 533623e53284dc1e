package bulletin_test

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type hashes []tlog.Hash

func (h hashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = h[x]
	}
	return out, nil
}

// makeReceipt builds a three-entry log in memory, signs its checkpoint and
// returns a receipt for entry 1 with the board's verifier.
func makeReceipt() (*bulletin.Receipt, note.Verifier) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "vote.example")
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	var tree hashes
	var entries []*bulletin.Entry
	prev := bulletin.Hash{}
	for i := uint64(0); i < 3; i++ {
		e := &bulletin.Entry{Index: i, Type: "ballot", Time: 1700000000000, Prev: prev, Payload: bulletin.Bytes(fmt.Sprintf(`{"n":%d}`, i))}
		e.Hash = e.ComputeHash("e1")
		hs, _ := tlog.StoredHashes(int64(i), e.Hash[:], tree)
		tree = append(tree, hs...)
		entries = append(entries, e)
		prev = e.Hash
	}
	root, _ := tlog.TreeHash(3, tree)
	cp := bulletin.Checkpoint{Origin: bulletin.Origin("vote.example", "e1"), Size: 3, Root: bulletin.Hash(root)}
	signed, _ := bulletin.SignCheckpoint(cp, signer)
	proof, _ := tlog.ProveRecord(3, 1, tree)
	return &bulletin.Receipt{Election: "e1", Index: 1, EntryHash: entries[1].Hash, Checkpoint: string(signed), Inclusion: bulletin.FromTlog(proof)}, verifier
}

// A voter's receipt verifies offline with the board's public key only.
func ExampleVerifyReceipt() {
	r, boardKey := makeReceipt()
	// The receipt travels as canonical JSON.
	r, err := bulletin.ParseReceipt(bulletin.MarshalReceipt(r))
	if err != nil {
		panic(err)
	}
	cp, err := bulletin.VerifyReceipt(r, boardKey)
	if err != nil {
		fmt.Println("invalid:", err)
		return
	}
	fmt.Printf("entry %d is in %s at size %d\n", r.Index, cp.Origin, cp.Size)
	// Output: entry 1 is in vote.example/election/e1 at size 3
}

func BenchmarkVerifyReceipt(b *testing.B) {
	r, boardKey := makeReceipt()
	for b.Loop() {
		if _, err := bulletin.VerifyReceipt(r, boardKey); err != nil {
			b.Fatal(err)
		}
	}
}
