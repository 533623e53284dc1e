package coord

import (
	"bytes"
	"testing"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
)

func FuzzDecodeClientMessage(f *testing.F) {
	f.Add([]byte(`{"submit":{"id":1,"type":"ceremony.shares","payload":"7b7d","signer":"02` + hex32 + `","signature":"` + hex32 + hex32 + `"}}`))
	f.Add([]byte(`{"submit":null}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeClientMessage(data)
		if err != nil {
			if m != nil {
				t.Fatal("message with error")
			}
			return
		}
		// Accepted messages are canonical: they re-encode to the input.
		b, err := canon.Marshal(m)
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("accepted %q re-encodes as %q", data, b)
		}
	})
}

const hex32 = "0000000000000000000000000000000000000000000000000000000000000000"

func FuzzDecodeServerMessage(f *testing.F) {
	f.Add([]byte(`{"status":{"time":1,"size":2,"phase":"ceremony","round":1,"deadline":5,"waiting":[1],"shares":[],"needed":0,"message":"m"}}`))
	f.Add([]byte(`{"error":{"id":0,"code":"rejected","message":"no"}}`))
	f.Add([]byte(`{"receipt":{"id":3,"receipt":{"election":"e1","index":0,"entry_hash":"` + hex32 + `","checkpoint":"x","inclusion":[]}}}`))
	f.Add([]byte(`{"entry":{"index":0,"type":"manifest","time":1700000000000,"prev":"` + hex32 + `","payload":"7b2278223a317d","signer":"aa","signature":"bbcc","hash":"bf5456a16563fe87307207ecda4037c76ffa0a421214337265fb0ff470ed76a0"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeServerMessage("e1", data)
		if err != nil {
			if m != nil {
				t.Fatal("message with error")
			}
			return
		}
		b, err := canon.Marshal(m)
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("accepted %q re-encodes as %q", data, b)
		}
		if m.Entry != nil && m.Entry.Check("e1") != nil {
			t.Fatal("accepted an entry that does not check")
		}
	})
}

func TestDecodeServerMessageShapes(t *testing.T) {
	bad := []string{
		`{}`,
		`{"status":{"time":1,"size":2,"phase":"x","round":1,"deadline":5,"waiting":null,"shares":[],"needed":0,"message":""}}`,
		`{"error":{"id":0,"code":"","message":""}}`,
		`{"receipt":{"id":3,"receipt":{"election":"other","index":0,"entry_hash":"` + hex32 + `","checkpoint":"x","inclusion":[]}}}`,
		`{"error":{"id":0,"code":"a","message":""},"status":{"time":1,"size":2,"phase":"x","round":1,"deadline":5,"waiting":[],"shares":[],"needed":0,"message":""}}`,
		// an entry whose hash does not match
		`{"entry":{"index":0,"type":"manifest","time":1700000000000,"prev":"` + hex32 + `","payload":"7b2278223a317d","signer":"aa","signature":"bbcc","hash":"` + hex32 + `"}}`,
		` {"error":{"id":0,"code":"a","message":""}}`,
	}
	for _, s := range bad {
		if _, err := DecodeServerMessage("e1", []byte(s)); err == nil {
			t.Errorf("accepted %s", s)
		}
	}
	good := `{"entry":{"index":0,"type":"manifest","time":1700000000000,"prev":"` + hex32 + `","payload":"7b2278223a317d","signer":"aa","signature":"bbcc","hash":"bf5456a16563fe87307207ecda4037c76ffa0a421214337265fb0ff470ed76a0"}}`
	if _, err := DecodeServerMessage("e1", []byte(good)); err != nil {
		t.Fatal(err)
	}
	_ = bulletin.MaxPage
}

func TestDecodeClientMessageShapes(t *testing.T) {
	sig := hex32 + hex32
	bad := []string{
		`{"submit":null}`,
		`{"submit":{"id":1,"type":"Bad/Type","payload":"","signer":"02` + hex32 + `","signature":"` + sig + `"}}`,
		`{"submit":{"id":1,"type":"ceremony.shares","payload":"","signer":"02","signature":"` + sig + `"}}`,
		`{"submit":{"id":1,"type":"ceremony.shares","payload":"","signer":"02` + hex32 + `","signature":"00"}}`,
		`{"submit":{"id":1,"type":"ceremony.shares","payload":"","signer":"02` + hex32 + `","signature":"` + sig + `","x":1}}`,
		`{"submit":{"id":1,"type":"ceremony.shares","payload":"ABCD","signer":"02` + hex32 + `","signature":"` + sig + `"}}`,
	}
	for _, s := range bad {
		if _, err := DecodeClientMessage([]byte(s)); err == nil {
			t.Errorf("accepted %s", s)
		}
	}
	ok := `{"submit":{"id":1,"type":"ceremony.shares","payload":"","signer":"02` + hex32 + `","signature":"` + sig + `"}}`
	if _, err := DecodeClientMessage([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}
