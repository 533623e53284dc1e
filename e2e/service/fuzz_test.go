package service

import (
	"bytes"
	"testing"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
)

// FuzzDecodeSubmission: the body decoder never panics, returns nil with
// every error, and what it accepts re-encodes to the same bytes.
func FuzzDecodeSubmission(f *testing.F) {
	f.Add([]byte(`{"type":"ballot","payload":"00","signer":"03aa","signature":""}`))
	f.Add([]byte(`{"type":"election.open","payload":"","signer":"","signature":"","x":1}`))
	f.Add([]byte(`{"type":"ballot","payload":"0","signer":"","signature":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSubmission(data)
		if err != nil {
			if s != nil {
				t.Fatal("result with an error")
			}
			return
		}
		again, err := canon.Marshal(&SubmissionJSON{Type: s.Type, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature})
		if err != nil || string(again) != string(data) {
			t.Fatalf("accepted %q, re-encodes to %q", data, again)
		}
		if fast := AppendSubmission(nil, s); string(fast) != string(again) {
			t.Fatalf("AppendSubmission gives %q, canonical is %q", fast, again)
		}
	})
}

// FuzzFastSubmission: the fast parser accepts exactly what the strict
// canonical decoder accepts, with the same result.
func FuzzFastSubmission(f *testing.F) {
	f.Add([]byte(`{"type":"ballot","payload":"00ff","signer":"03aa","signature":""}`))
	f.Add([]byte(`{"type":"ballot","payload":"00FF","signer":"03aa","signature":""}`))
	f.Add([]byte(`{"type":"ballot","payload":"0","signer":"","signature":""}`))
	f.Add([]byte(`{"type":"b\u0061llot","payload":"","signer":"","signature":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseCanonicalSubmission(data)
		var j SubmissionJSON
		err := canon.Unmarshal(data, &j, MaxSubmissionJSON)
		strictOK := err == nil && bulletin.ValidType(j.Type)
		if ok != strictOK {
			t.Fatalf("%q: fast parser %v, strict decoder %v (%v)", data, ok, strictOK, err)
		}
		if ok && (fast.Type != j.Type || !bytes.Equal(fast.Payload, j.Payload) || !bytes.Equal(fast.Signer, j.Signer) || !bytes.Equal(fast.Signature, j.Signature)) {
			t.Fatalf("%q: the parsers disagree", data)
		}
	})
}
