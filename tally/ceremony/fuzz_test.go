package ceremony

import (
	"bytes"
	"testing"
	"time"
)

// fuzzSeeds returns the payloads of a finished 2-of-3 ceremony with a
// complaint and an answer, to seed the decoders.
func fuzzSeeds(f *testing.F) (*harness, map[string][][]byte) {
	h := newHarness(f, 2, 3)
	h.ts[1].faults = faults{badShareFor: map[int]bool{3: true}}
	st := h.run(nil)
	seeds := map[string][][]byte{}
	for _, m := range h.board.Messages() {
		seeds[m.Type] = append(seeds[m.Type], m.Payload)
	}
	seeds[TypeResult] = [][]byte{st.Result().Marshal()}
	return h, seeds
}

func fuzzDecoder[M any](f *testing.F, typ string, decode func([]byte, *Params) (*M, error)) {
	h, seeds := fuzzSeeds(f)
	if len(seeds[typ]) == 0 {
		f.Fatalf("no seed for %s", typ)
	}
	for _, s := range seeds[typ] {
		f.Add(s)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decode(data, h.p)
		if err != nil {
			if m != nil {
				t.Fatal("non-nil message with an error")
			}
			return
		}
		if !bytes.Equal(marshal(m), data) {
			t.Fatalf("accepted a non-canonical encoding: %q", data)
		}
		// Replaying a board holding the message (unsigned, so ignored,
		// and re-signed by its claimed trustee) never panics.
		msgs := []Posted{{Index: 0, Time: t0, Type: typ, Payload: data}}
		Replay(h.p, t0, msgs, t0.Add(time.Hour))
		for i := range h.ids {
			msgs[0].Signature = h.ids[i].Sign(h.p.ElectionID, typ, data)
			Replay(h.p, t0, msgs, t0.Add(time.Hour))
		}
	})
}

func FuzzDecodeCommitments(f *testing.F) { fuzzDecoder(f, TypeCommitments, DecodeCommitments) }
func FuzzDecodeShares(f *testing.F)      { fuzzDecoder(f, TypeShares, DecodeShares) }
func FuzzDecodeComplaints(f *testing.F)  { fuzzDecoder(f, TypeComplaints, DecodeComplaints) }
func FuzzDecodeAnswer(f *testing.F)      { fuzzDecoder(f, TypeAnswer, DecodeAnswer) }
func FuzzDecodeResult(f *testing.F)      { fuzzDecoder(f, TypeResult, DecodeResult) }

func FuzzParseParams(f *testing.F) {
	h := newHarness(f, 2, 3)
	f.Add(h.p.Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseParams(data)
		if err != nil {
			if p != nil {
				t.Fatal("non-nil params with an error")
			}
			return
		}
		if !bytes.Equal(p.Marshal(), data) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}
