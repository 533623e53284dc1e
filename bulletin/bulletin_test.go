package bulletin

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func testEntry(i uint64, prev Hash) *Entry {
	e := &Entry{Index: i, Type: "test.entry", Time: 1700000000000 + int64(i), Prev: prev, Payload: Bytes(`{"n":1}`), Signer: Bytes("alice"), Signature: Bytes{1, 2, 3}}
	e.Hash = e.ComputeHash("e1")
	return e
}

// The entry hash is computed independently here, byte by byte from
// e2e/SPEC.md §8.2, and must match.
func TestEntryHashMatchesSpec(t *testing.T) {
	e := testEntry(7, Hash{9})
	var buf []byte
	put := func(label string, v []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(label)))
		buf = append(buf, label...)
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	be := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
	put("tabella", []byte("v1"))
	put("domain", []byte("board-entry"))
	put("election", []byte("e1"))
	put("index", be(7))
	put("type", []byte("test.entry"))
	put("time", be(1700000000007))
	prev := Hash{9}
	put("prev", prev[:])
	put("payload", []byte(`{"n":1}`))
	put("signer", []byte("alice"))
	put("signature", []byte{1, 2, 3})
	if got, want := e.ComputeHash("e1"), Hash(sha256.Sum256(buf)); got != want {
		t.Fatalf("entry hash %s, spec says %s", got, want)
	}
	// Every field is bound, including the election.
	base := e.ComputeHash("e1")
	muts := []func(*Entry){
		func(x *Entry) { x.Index++ }, func(x *Entry) { x.Type = "test.entrz" }, func(x *Entry) { x.Time++ },
		func(x *Entry) { x.Prev[31] ^= 1 }, func(x *Entry) { x.Payload = Bytes(`{"n":2}`) },
		func(x *Entry) { x.Signer = Bytes("alicf") }, func(x *Entry) { x.Signature = Bytes{1, 2, 4} },
		// Moving a byte between adjacent fields changes the hash too.
		func(x *Entry) { x.Signer = Bytes("alic"); x.Signature = Bytes{'e', 1, 2, 3} },
	}
	for i, m := range muts {
		x := *e
		x.Payload, x.Signer, x.Signature = append(Bytes{}, e.Payload...), append(Bytes{}, e.Signer...), append(Bytes{}, e.Signature...)
		m(&x)
		if x.ComputeHash("e1") == base {
			t.Errorf("mutation %d does not change the entry hash", i)
		}
	}
	if e.ComputeHash("e2") == base {
		t.Error("entry hash does not bind the election")
	}
	if LeafHash(base) != Hash(sha256.Sum256(append([]byte{0}, base[:]...))) {
		t.Error("leaf hash is not RFC 6962's")
	}
}

func TestChainFaults(t *testing.T) {
	var es []*Entry
	prev := Hash{}
	for i := uint64(0); i < 5; i++ {
		e := testEntry(i, prev)
		es = append(es, e)
		prev = e.Hash
	}
	run := func(seq []*Entry) error {
		c := Chain{Election: "e1"}
		for _, e := range seq {
			if err := c.Add(e); err != nil {
				return err
			}
		}
		return nil
	}
	if err := run(es); err != nil {
		t.Fatal(err)
	}
	faults := map[string]struct {
		seq  []*Entry
		want string
	}{
		"missing":    {[]*Entry{es[0], es[1], es[3]}, "entry 3 found where entry 2 belongs"},
		"duplicated": {[]*Entry{es[0], es[1], es[1]}, "entry 1 found where entry 2 belongs"},
		"reordered":  {[]*Entry{es[0], es[2], es[1]}, "entry 2 found where entry 1 belongs"},
	}
	for name, f := range faults {
		err := run(f.seq)
		if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), f.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Relinked entry with a correct hash but a wrong prev.
	bad := testEntry(2, Hash{1})
	if err := run([]*Entry{es[0], es[1], bad}); err == nil || !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("wrong prev: %v", err)
	}
	// Time going backwards.
	back := &Entry{Index: 1, Type: "t", Time: es[0].Time - 1, Prev: es[0].Hash}
	back.Hash = back.ComputeHash("e1")
	if err := run([]*Entry{es[0], back}); err == nil || !strings.Contains(err.Error(), "time") {
		t.Errorf("time backwards: %v", err)
	}
	// Entry 0 with a non-zero prev.
	if err := run([]*Entry{testEntry(0, Hash{1})}); err == nil {
		t.Error("entry 0 with a prev hash accepted")
	}
}

func TestEntryJSONStrict(t *testing.T) {
	e := testEntry(3, Hash{4})
	data := MarshalEntry(e)
	got, err := ParseEntry("e1", data)
	if err != nil || !got.Equal(e) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := ParseEntry("e2", data); err == nil {
		t.Error("entry accepted in another election")
	}
	s := string(data)
	bad := []string{
		strings.Replace(s, `"type"`, `"Type"`, 1),
		strings.Replace(s, `{"index"`, `{ "index"`, 1),
		strings.Replace(s, `"signer":"616c696365"`, `"signer":"616C696365"`, 1),
		strings.Replace(s, `"signer":"616c696365"`, `"signer":"616c69636"`, 1),
		strings.Replace(s, `}`, `,"extra":1}`, 1),
		s + " ",
		strings.Replace(s, `"index":3`, `"index":03`, 1),
		strings.Replace(s, `"index":3`, `"index":4`, 1),
	}
	for i, b := range bad {
		if _, err := ParseEntry("e1", []byte(b)); err == nil {
			t.Errorf("malformed entry %d accepted: %s", i, b)
		}
	}
}

func TestParseCheckpointStrict(t *testing.T) {
	c := Checkpoint{Origin: "board.test/election/e1", Size: 12, Root: Hash{1, 2, 3}}
	got, err := ParseCheckpoint(c.Text())
	if err != nil || got != c {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	root := strings.Split(c.Text(), "\n")[2]
	bad := []string{
		"board.test/election/e1\n012\n" + root + "\n",
		"board.test/election/e1\n+12\n" + root + "\n",
		"board.test/election/e1\n12\n" + root,
		"board.test/election/e1\n12\n" + root + "\nextension\n",
		"\n12\n" + root + "\n",
		"board.test/election/e1\n12\n" + strings.TrimRight(root, "=") + "\n",
		"board.test/election/e1\n12\n" + root[:len(root)-2] + "B=\n",
		"board.test/election/e1\n12\nAAAA\n",
	}
	for i, b := range bad {
		if _, err := ParseCheckpoint(b); err == nil {
			t.Errorf("malformed checkpoint %d accepted: %q", i, b)
		}
	}
}

func newNoteKey(t *testing.T, name string) (note.Signer, note.Verifier, string) {
	return newNoteKeyF(t, name)
}

func newNoteKeyF(t testing.TB, name string) (note.Signer, note.Verifier, string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := note.NewSigner(skey)
	v, _ := note.NewVerifier(vkey)
	return s, v, skey
}

// A tree of n entries in memory, for proofs.
type memTree struct{ hashes []tlog.Hash }

func (m *memTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memTree) add(t *testing.T, n int64, entryHash Hash) {
	hs, err := tlog.StoredHashes(n, entryHash[:], m)
	if err != nil {
		t.Fatal(err)
	}
	m.hashes = append(m.hashes, hs...)
}

func TestCheckpointsProofsAndForks(t *testing.T) {
	s, v, _ := newNoteKey(t, "board.test")
	origin := Origin("board.test", "e1")
	var m memTree
	var entries []Hash
	cps := map[int64]Checkpoint{}
	for i := int64(0); i < 20; i++ {
		h := sha256.Sum256([]byte{byte(i)})
		entries = append(entries, h)
		m.add(t, i, h)
		root, err := tlog.TreeHash(i+1, &m)
		if err != nil {
			t.Fatal(err)
		}
		cps[i+1] = Checkpoint{Origin: origin, Size: uint64(i + 1), Root: Hash(root)}
	}
	n, err := SignCheckpoint(cps[13], s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(n, "e1", v); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(n, "e2", v); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("checkpoint accepted for another election: %v", err)
	}
	_, v2, _ := newNoteKey(t, "board.test")
	if _, err := OpenCheckpoint(n, "e1", v2); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("checkpoint accepted with another key: %v", err)
	}
	forged := []byte(strings.Replace(string(n), "\n13\n", "\n14\n", 1))
	if _, err := OpenCheckpoint(forged, "e1", v); !errors.Is(err, ErrCheckpoint) {
		t.Fatalf("forged checkpoint accepted: %v", err)
	}
	// Inclusion.
	p, err := tlog.ProveRecord(13, 5, &m)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyInclusion(cps[13], 5, entries[5], FromTlog(p)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func() error{
		func() error { return VerifyInclusion(cps[13], 6, entries[5], FromTlog(p)) },
		func() error { return VerifyInclusion(cps[13], 5, entries[6], FromTlog(p)) },
		func() error { return VerifyInclusion(cps[14], 5, entries[5], FromTlog(p)) },
		func() error { return VerifyInclusion(cps[13], 13, entries[5], FromTlog(p)) },
		func() error { return VerifyInclusion(cps[13], 5, entries[5], FromTlog(p)[1:]) },
	} {
		if err := bad(); !errors.Is(err, ErrProof) {
			t.Errorf("bad inclusion accepted: %v", err)
		}
	}
	// Consistency between every pair of sizes.
	for a := int64(1); a <= 20; a++ {
		for b := a; b <= 20; b++ {
			var proof []Hash
			if a < b {
				tp, err := tlog.ProveTree(b, a, &m)
				if err != nil {
					t.Fatal(err)
				}
				proof = FromTlog(tp)
			}
			if err := VerifyConsistency(cps[a], cps[b], proof); err != nil {
				t.Fatalf("%d→%d: %v", a, b, err)
			}
			if len(proof) > 0 {
				proof[len(proof)-1][0] ^= 1
				if err := VerifyConsistency(cps[a], cps[b], proof); !errors.Is(err, ErrFork) {
					t.Fatalf("%d→%d with a bad proof: %v", a, b, err)
				}
			}
		}
	}
	// Fork: two checkpoints of the same size with different roots.
	fork := cps[13]
	fork.Root[0] ^= 1
	fn, _ := SignCheckpoint(fork, s)
	if err := VerifyConsistency(cps[13], fork, nil); !errors.Is(err, ErrFork) {
		t.Fatalf("same size, different roots: %v", err)
	}
	ev := &Evidence{Election: "e1", Old: string(n), New: string(fn), Proof: []Hash{}, Reason: "test"}
	ev2, err := ParseEvidence(mustJSON(t, ev))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckEvidence(ev2, v); err != nil {
		t.Fatalf("evidence of a fork not conclusive: %v", err)
	}
	// Consistent checkpoints are not evidence.
	n12, _ := SignCheckpoint(cps[12], s)
	tp, _ := tlog.ProveTree(13, 12, &m)
	if err := CheckEvidence(&Evidence{Election: "e1", Old: string(n12), New: string(n), Proof: FromTlog(tp)}, v); err == nil {
		t.Fatal("consistent checkpoints accepted as evidence")
	}
	// Evidence signed by another key is not evidence against this board.
	s3, _, _ := newNoteKey(t, "board.test")
	fn3, _ := SignCheckpoint(fork, s3)
	if err := CheckEvidence(&Evidence{Election: "e1", Old: string(n), New: string(fn3), Proof: []Hash{}}, v); err == nil {
		t.Fatal("evidence with a foreign signature accepted")
	}
}

func TestCosignature(t *testing.T) {
	_, _, skey := newNoteKey(t, "witness.test")
	cs, err := NewCosigner(skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	vkey, err := CosignerVerifierKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	cv, err := NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if cv.KeyHash() != cs.KeyHash() || cv.Name() != "witness.test" {
		t.Fatal("verifier does not match cosigner")
	}
	text := Checkpoint{Origin: "o", Size: 1}.Text()
	msg, err := note.Sign(&note.Note{Text: text}, cs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(cv)); err != nil {
		t.Fatal(err)
	}
	// The cosignature signs "cosignature/v1\ntime T\n" || body, not the body
	// alone: an Ed25519 note verifier of the same key must not accept it.
	_, sig, _ := NoteText(msg)
	if len(sig) != 1 {
		t.Fatal("want one signature line")
	}
	other := Checkpoint{Origin: "o", Size: 2}.Text()
	swapped := []byte(other + "\n" + sig[0] + "\n")
	if _, err := note.Open(swapped, note.VerifierList(cv)); err == nil {
		t.Fatal("cosignature transplanted to another checkpoint verified")
	}
	for _, bad := range []string{vkey + "x", strings.Replace(vkey, "witness.test", "witness.tesu", 1), "a+b", ""} {
		if _, err := NewCosignatureVerifier(bad); err == nil {
			t.Errorf("malformed witness key %q accepted", bad)
		}
	}
}

func TestTreeMatchesTlog(t *testing.T) {
	var m memTree
	var tr Tree
	for i := int64(0); i < 70; i++ {
		h := sha256.Sum256([]byte{byte(i), 1})
		want, err := tlog.StoredHashes(i, h[:], &m)
		if err != nil {
			t.Fatal(err)
		}
		got := tr.Add(h)
		if len(got) != len(want) {
			t.Fatalf("entry %d: %d stored hashes, tlog %d", i, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("entry %d: stored hash %d differs from tlog", i, k)
			}
		}
		m.hashes = append(m.hashes, want...)
		root, _ := tlog.TreeHash(i+1, &m)
		if tr.Root() != Hash(root) {
			t.Fatalf("root at size %d differs from tlog", i+1)
		}
	}
}
