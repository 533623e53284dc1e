//go:build !(js && wasm)

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
)

// setupBoard posts a manifest and a ceremony result with the given joint
// key and ceremony hash, then a few more entries.
func setupBoard(t *testing.T, f *fixture, jointKey, ceremony string) (*board.Board, string) {
	t.Helper()
	ctx := context.Background()
	bd, vkey := testBoard(t)
	mb, _ := f.election.Manifest.Encode()
	res, _ := json.Marshal(map[string]any{"ceremony": ceremony, "threshold": 1, "qualified": []int{1}, "joint_key": jointKey, "verification_keys": []string{}})
	for _, s := range []board.Submission{
		{Type: "election.setup", Payload: []byte("{}")},
		{Type: "election.manifest", Payload: mb},
		{Type: "ceremony.params", Payload: []byte("{}")},
		{Type: "ceremony.result", Payload: res},
		{Type: "election.open", Payload: []byte("{}")},
		{Type: "ballot", Payload: []byte("x")},
	} {
		if _, err := bd.Append(ctx, "web-1", s); err != nil {
			t.Fatal(err)
		}
	}
	return bd, vkey
}

func runSetupCheck(t *testing.T, c *client, bd *board.Board) (*SetupResult, error) {
	ctx := context.Background()
	if err := c.setupBegin(); err != nil {
		return nil, err
	}
	var next uint64
	for {
		es, err := bd.Entries(ctx, "web-1", next, next+2) // small pages
		if err != nil {
			t.Fatal(err)
		}
		page, _ := json.Marshal(bulletin.EntryPage{Entries: es})
		p, err := c.setupPage(page)
		if err != nil {
			return nil, err
		}
		next = p.Next
		if p.Done {
			break
		}
	}
	note, _ := bd.Checkpoint(ctx, "web-1")
	cp, _ := bulletin.OpenCheckpoint(note, "web-1", bd.Verifier())
	proof, _ := bd.ConsistencyProof(ctx, "web-1", next, cp.Size)
	pj, _ := json.Marshal(bulletin.ConsistencyProof{Old: next, New: cp.Size, Proof: proof})
	return c.setupFinish(note, pj)
}

func TestSetupCheck(t *testing.T) {
	f := newFixture(t, testManifest, true)
	jk := f.election.JointKey.Bytes()
	ch := hex.EncodeToString(f.election.CeremonyHash[:])
	bd, vkey := setupBoard(t, f, hex.EncodeToString(jk[:]), ch)
	var info map[string]json.RawMessage
	json.Unmarshal(f.info, &info)
	key := func(k string) json.RawMessage { b, _ := json.Marshal(k); return b }
	info["board_key"] = key(vkey)
	data, _ := json.Marshal(info)
	c := newClient()
	if _, err := c.loadElection(data); err != nil {
		t.Fatal(err)
	}
	r, err := runSetupCheck(t, c, bd)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != 4 || r.CheckpointSize != 6 {
		t.Fatalf("setup check read %d entries against a checkpoint of %d, want 4 and 6", r.Entries, r.CheckpointSize)
	}

	// A board whose joint key or ceremony hash differs from the election
	// information the page got fails.
	_, otherKey := elgamal.GenerateKey()
	ok := otherKey.Bytes()
	for name, b := range map[string][2]string{
		"other joint key": {hex.EncodeToString(ok[:]), ch},
		"other ceremony":  {hex.EncodeToString(jk[:]), fmt.Sprintf("%064x", 1)},
	} {
		bd2, vkey2 := setupBoard(t, f, b[0], b[1])
		info["board_key"] = key(vkey2)
		data, _ := json.Marshal(info)
		c := newClient()
		if _, err := c.loadElection(data); err != nil {
			t.Fatal(err)
		}
		if _, err := runSetupCheck(t, c, bd2); !errors.Is(err, errSetupMismatch) {
			t.Errorf("%s: %v, want errSetupMismatch", name, err)
		}
	}

	// A checkpoint signed by another board key fails.
	bd3, _ := setupBoard(t, f, hex.EncodeToString(jk[:]), ch)
	c = newClient()
	info["board_key"] = key(vkey)
	data, _ = json.Marshal(info)
	c.loadElection(data)
	if _, err := runSetupCheck(t, c, bd3); !errors.Is(err, bulletin.ErrCheckpoint) {
		t.Errorf("checkpoint of another board: %v, want ErrCheckpoint", err)
	}
}

func FuzzSetupPage(f *testing.F) {
	fx := newFixture(f, testManifest, true)
	c := newClient()
	var info map[string]json.RawMessage
	json.Unmarshal(fx.info, &info)
	_, vk, err := noteKeys()
	if err != nil {
		f.Fatal(err)
	}
	kb, _ := json.Marshal(vk.text)
	info["board_key"] = kb
	data, _ := json.Marshal(info)
	if _, err := c.loadElection(data); err != nil {
		f.Fatal(err)
	}
	mb, _ := fx.election.Manifest.Encode()
	e := &bulletin.Entry{Index: 0, Type: "election.manifest", Payload: mb}
	e.Hash = e.ComputeHash("web-1")
	page, _ := json.Marshal(bulletin.EntryPage{Entries: []*bulletin.Entry{e}})
	f.Add(page, []byte("note"), []byte(`{"old":1,"new":2,"proof":[]}`))
	f.Add([]byte(`{"entries":[]}`), []byte(nil), []byte(nil))
	f.Fuzz(func(t *testing.T, page, note, proof []byte) {
		if err := c.setupBegin(); err != nil {
			t.Fatal(err)
		}
		p, err := c.setupPage(page)
		if err != nil && p != nil {
			t.Fatal("error with a result")
		}
		r, err := c.setupFinish(note, proof)
		if err != nil && r != nil {
			t.Fatal("error with a result")
		}
	})
}
