//go:build !(js && wasm)

package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
)

// The page hands the client whatever the network or the voter gave it:
// none of these may panic, and an error comes with a nil result.

func FuzzLoadElection(f *testing.F) {
	fx := newFixture(f, testManifest, true)
	f.Add(fx.info)
	f.Add([]byte(`{"manifest":{}}`))
	f.Add([]byte(`{"manifest":null,"joint_key":"00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newClient()
		sum, err := c.loadElection(data)
		if err != nil && sum != nil {
			t.Fatal("error with a result")
		}
		if err == nil && c.election != nil {
			// A loaded election can encrypt the warm-up ballot.
			if _, err := c.warmUp(); err != nil {
				t.Logf("warm-up: %v", err)
			}
		}
	})
}

func FuzzEncryptChoices(f *testing.F) {
	fx := newFixture(f, testManifest, false)
	c := newClient()
	if _, err := c.loadElection(fx.info); err != nil {
		f.Fatal(err)
	}
	secret := fx.cred.Secret()
	f.Add(secret, []byte(testChoices))
	f.Add("tc1-0000", []byte(`{"mayor":[1,0]}`))
	f.Add(secret, []byte(`{"mayor":[1,0],"x":[1]}`))
	f.Add(secret, []byte(`{"mayor":[1,0],"x":["a"]}`))
	rf := newFixture(f, testRankedManifest, false)
	rc := newClient()
	if _, err := rc.loadElection(rf.info); err != nil {
		f.Fatal(err)
	}
	f.Add(rf.cred.Secret(), []byte(`{"mayor":[1,0],"budget":["schools","roads"]}`))
	f.Add(rf.cred.Secret(), []byte(`{"mayor":[1,0],"budget":[3,1,0]}`))
	f.Fuzz(func(t *testing.T, cred string, choices []byte) {
		if enc, err := rc.encrypt(cred, choices); err == nil {
			rc.discard(enc.Handle)
		} else if enc != nil {
			t.Fatal("error with a result")
		}
		enc, err := c.encrypt(cred, choices)
		if err != nil {
			if enc != nil {
				t.Fatal("error with a result")
			}
			return
		}
		c.discard(enc.Handle)
	})
}

func FuzzVerifySpoiled(f *testing.F) {
	fx := newFixture(f, testManifest, false)
	c := newClient()
	if _, err := c.loadElection(fx.info); err != nil {
		f.Fatal(err)
	}
	enc, err := c.encrypt(fx.cred.Secret(), []byte(testChoices))
	if err != nil {
		f.Fatal(err)
	}
	sp, err := c.spoil(enc.Handle)
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := hex.DecodeString(sp.Submission.Payload)
	f.Add(raw)
	f.Add([]byte(sp.Submission.Payload))
	f.Add([]byte(`{"version":"tabella/v1","ballot":null,"openings":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := c.verifySpoiled(data)
		if err != nil && o != nil {
			t.Fatal("error with a result")
		}
	})
}

func FuzzCheckReceipt(f *testing.F) {
	ctx := context.Background()
	skey, vkey, err := noteKeys()
	if err != nil {
		f.Fatal(err)
	}
	bd, err := board.Open(ctx, "sqlite:"+f.TempDir()+"/b.db", board.Options{Signer: skey, Verifier: vkey.v})
	if err != nil {
		f.Fatal(err)
	}
	defer bd.Close()
	rs, err := bd.Append(ctx, "e1", board.Submission{Type: "ballot", Payload: []byte("x")}, board.Submission{Type: "ballot", Payload: []byte("y")})
	if err != nil {
		f.Fatal(err)
	}
	rc := bulletin.MarshalReceipt(rs[0])
	wrapped, _ := json.Marshal(map[string]any{"receipt": json.RawMessage(rc), "tracking_code": "X"})
	cp, _ := bd.Checkpoint(ctx, "e1")
	es, _ := bd.Entries(ctx, "e1", 0, 1)
	f.Add(rc, cp, []byte(nil), bulletin.MarshalEntry(es[0]))
	f.Add(wrapped, []byte(nil), []byte(`{"old":1,"new":2,"proof":[]}`), []byte(nil))
	c := newClient()
	f.Fuzz(func(t *testing.T, receipt, latest, proof, entry []byte) {
		r, err := c.checkReceipt(receipt, vkey.text, latest, proof, entry)
		if err != nil && r != nil {
			t.Fatal("error with a result")
		}
	})
}

func FuzzObserveFeed(f *testing.F) {
	ctx := context.Background()
	skey, vkey, err := noteKeys()
	if err != nil {
		f.Fatal(err)
	}
	bd, err := board.Open(ctx, "sqlite:"+f.TempDir()+"/b.db", board.Options{Signer: skey, Verifier: vkey.v})
	if err != nil {
		f.Fatal(err)
	}
	defer bd.Close()
	if _, err := bd.Append(ctx, "e1", board.Submission{Type: "election.open", Payload: []byte(`{"election_id":"e1"}`)}); err != nil {
		f.Fatal(err)
	}
	es, _ := bd.Entries(ctx, "e1", 0, 1)
	cp, _ := bd.Checkpoint(ctx, "e1")
	entryMsg, _ := json.Marshal(bulletin.FeedMessage{Entry: es[0]})
	cpMsg, _ := json.Marshal(bulletin.FeedMessage{Checkpoint: string(cp)})
	f.Add(entryMsg, cpMsg)
	f.Add(cpMsg, entryMsg)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		c := newClient()
		if err := c.observe("e1", vkey.text); err != nil {
			t.Fatal(err)
		}
		for _, m := range [][]byte{a, b} {
			it, err := c.observeFeed(m)
			if err != nil && it != nil {
				t.Fatal("error with a result")
			}
		}
	})
}
