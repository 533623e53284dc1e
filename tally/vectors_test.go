package tally

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

var update = flag.Bool("update", false, "regenerate the test vectors in testdata")

// vectorEntry is a board entry: board time in unix milliseconds, type,
// exact payload, signature in hex.
type vectorEntry struct {
	Index     uint64 `json:"index"`
	Time      int64  `json:"time"`
	Type      string `json:"type"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// decryptionVector is a recorded decryption (e2e/SPEC.md §10): the ceremony
// board (replayed as in §9.8 to get the verification keys), the aggregate,
// and tally.share entries; combining them must give Counts with the shares
// of Trustees and reject exactly the entries in Rejected (trustee 0: not
// attributable), or give no result when Counts is empty.
type decryptionVector struct {
	Description     string        `json:"description"`
	Params          string        `json:"params"`
	CeremonyStart   int64         `json:"ceremony_start"`
	CeremonyEnd     int64         `json:"ceremony_end"`
	CeremonyEntries []vectorEntry `json:"ceremony_entries"`
	Base            string        `json:"base"`
	Aggregate       []string      `json:"aggregate"` // hex of A||B (e2e/SPEC.md §4.2)
	Count           uint64        `json:"count"`
	Limits          []uint64      `json:"limits"`
	ShareEntries    []vectorEntry `json:"share_entries"`
	Counts          []uint64      `json:"counts"`
	Trustees        []int         `json:"trustees"`
	Rejected        []int         `json:"rejected"`
}

func toEntries(msgs []ceremony.Posted) []vectorEntry {
	out := []vectorEntry{}
	for _, m := range msgs {
		out = append(out, vectorEntry{Index: m.Index, Time: m.Time.UnixMilli(), Type: m.Type, Payload: string(m.Payload), Signature: hex.EncodeToString(m.Signature[:])})
	}
	return out
}

func fromEntries(es []vectorEntry) ([]ceremony.Posted, error) {
	var out []ceremony.Posted
	for _, e := range es {
		sig, err := hex.DecodeString(e.Signature)
		if err != nil || len(sig) != ceremony.SignatureSize {
			return nil, fmt.Errorf("entry %d: bad signature", e.Index)
		}
		m := ceremony.Posted{Index: e.Index, Time: time.UnixMilli(e.Time).UTC(), Type: e.Type, Payload: []byte(e.Payload)}
		copy(m.Signature[:], sig)
		out = append(out, m)
	}
	return out, nil
}

// check replays the vector and compares.
func (v *decryptionVector) check(t *testing.T) {
	p, err := ceremony.ParseParams([]byte(v.Params))
	if err != nil {
		t.Fatal(err)
	}
	cm, err := fromEntries(v.CeremonyEntries)
	if err != nil {
		t.Fatal(err)
	}
	st := ceremony.Replay(p, time.UnixMilli(v.CeremonyStart).UTC(), cm, time.UnixMilli(v.CeremonyEnd).UTC())
	if !st.Done() {
		t.Fatalf("ceremony: %v", st.Err)
	}
	base, err := hex.DecodeString(v.Base)
	if err != nil || len(base) != 32 {
		t.Fatal("bad base")
	}
	var agg []elgamal.Ciphertext
	for _, a := range v.Aggregate {
		b, err := hex.DecodeString(a)
		if err != nil {
			t.Fatal(err)
		}
		c, err := elgamal.DecodeCiphertext(b)
		if err != nil {
			t.Fatal(err)
		}
		agg = append(agg, c)
	}
	d := &Decryption{Election: p.ElectionID, Aggregate: agg, Count: v.Count, Limits: v.Limits, Threshold: p.Threshold, Trustees: p.Trustees, Keys: st.VerificationKeys}
	copy(d.Base[:], base)
	sm, err := fromEntries(v.ShareEntries)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := Combine(d, sm)
	var rej []int
	for _, r := range pt.Rejected {
		rej = append(rej, r.Trustee)
	}
	if !slices.Equal(rej, v.Rejected) {
		t.Errorf("rejected %v, want %v (%v)", rej, v.Rejected, pt.Rejected)
	}
	if len(v.Counts) == 0 {
		if !errors.Is(err, ErrNotEnoughShares) {
			t.Fatalf("vector expects no result, got %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pt.Counts, v.Counts) || !slices.Equal(pt.Trustees, v.Trustees) {
		t.Fatalf("counts %v trustees %v, want %v %v", pt.Counts, pt.Trustees, v.Counts, v.Trustees)
	}
}

func TestDecryptionVectors(t *testing.T) {
	type scenario struct {
		file, desc string
		shares     func(e *election) ([]ceremony.Posted, []int, []int) // entries, used, rejected
	}
	signed := func(e *election, idx uint64, i int, m *ShareMessage) ceremony.Posted {
		p := e.post(t, idx, i, m)
		p.Time = t0.Add(time.Hour)
		return p
	}
	honest := func(e *election, idx uint64, i int) ceremony.Posted {
		m, _ := DecryptShares(e.base, e.k.shares[i], e.agg, e.count)
		return signed(e, idx, i, m)
	}
	scenarios := []scenario{
		{"decrypt-2of3.json", "2-of-3, shares of trustees 3 then 1", func(e *election) ([]ceremony.Posted, []int, []int) {
			return []ceremony.Posted{honest(e, 40, 3), honest(e, 41, 1)}, []int{3, 1}, nil
		}},
		{"decrypt-bad-proof-2of3.json", "2-of-3: trustee 2's first proof is forged (z+1); it is rejected and 1 and 3 decrypt", func(e *election) ([]ceremony.Posted, []int, []int) {
			m, _ := DecryptShares(e.base, e.k.shares[2], e.agg, e.count)
			m.Shares[0].Proof.Z = m.Shares[0].Proof.Z.Add(group.NewScalar(1))
			return []ceremony.Posted{signed(e, 40, 2, m), honest(e, 41, 1), honest(e, 42, 3)}, []int{1, 3}, []int{2}
		}},
		{"decrypt-too-few-2of3.json", "2-of-3: trustee 1 decrypts another aggregate, a share is unsigned, only trustee 3 is valid: no result", func(e *election) ([]ceremony.Posted, []int, []int) {
			other := slices.Clone(e.agg)
			other[0] = other[0].Add(elgamal.EncryptUint(e.k.st.JointKey, 1, group.RandomScalar()))
			m, _ := DecryptShares(e.base, e.k.shares[1], other, e.count)
			unsigned := honest(e, 41, 2)
			unsigned.Signature = [ceremony.SignatureSize]byte{}
			return []ceremony.Posted{signed(e, 40, 1, m), unsigned, honest(e, 42, 3)}, nil, []int{1, 0}
		}},
	}
	for _, sc := range scenarios {
		path := filepath.Join("testdata", sc.file)
		if *update {
			k := runCeremony(t, 2, 3)
			e := newElection(t, k, 7, 3)
			entries, used, rej := sc.shares(e)
			v := decryptionVector{Description: sc.desc, Params: string(k.p.Marshal()), CeremonyStart: t0.UnixMilli(), CeremonyEnd: k.end.UnixMilli(),
				CeremonyEntries: toEntries(k.msgs), Base: hex.EncodeToString(e.base[:]), Aggregate: []string{}, Count: e.count, Limits: e.limits,
				ShareEntries: toEntries(entries), Counts: []uint64{}, Trustees: used, Rejected: rej}
			if used != nil {
				v.Counts = e.counts
			}
			for _, c := range e.agg {
				b := c.Bytes()
				v.Aggregate = append(v.Aggregate, hex.EncodeToString(b[:]))
			}
			data, _ := json.MarshalIndent(v, "", " ")
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(sc.file, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var v decryptionVector
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			v.check(t)
		})
	}
}
