package ceremony

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate the test vectors in testdata")

// A VectorEntry is a board entry of a test vector: its board time in unix
// milliseconds, its type, its exact payload and the trustee's signature.
type VectorEntry struct {
	Index     uint64 `json:"index"`
	Time      int64  `json:"time"`
	Type      string `json:"type"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// A Vector is a recorded ceremony (e2e/SPEC.md §9): replaying Entries with
// Params from Start as of End must give Result (the ceremony.result payload)
// and Qualified, or fail when Result is empty. Disqualified is informative.
type Vector struct {
	Description  string            `json:"description"`
	Params       string            `json:"params"`
	Start        int64             `json:"start"`
	End          int64             `json:"end"`
	Entries      []VectorEntry     `json:"entries"`
	Result       string            `json:"result"`
	Qualified    []int             `json:"qualified"`
	Disqualified map[string]string `json:"disqualified"`
}

// ToVector records a board.
func ToVector(desc string, p *Params, start, end time.Time, msgs []Posted, st *State) *Vector {
	v := &Vector{Description: desc, Params: string(p.Marshal()), Start: start.UnixMilli(), End: end.UnixMilli(), Qualified: []int{}, Disqualified: map[string]string{}}
	for _, m := range msgs {
		v.Entries = append(v.Entries, VectorEntry{Index: m.Index, Time: m.Time.UnixMilli(), Type: m.Type, Payload: string(m.Payload), Signature: hex.EncodeToString(m.Signature[:])})
	}
	if r := st.Result(); r != nil {
		v.Result = string(r.Marshal())
		v.Qualified = st.Qualified
	}
	for i, r := range st.Disqualified {
		v.Disqualified[strconv.Itoa(i)] = r
	}
	return v
}

// Replay replays a vector.
func (v *Vector) Replay() (*Params, *State, error) {
	p, err := ParseParams([]byte(v.Params))
	if err != nil {
		return nil, nil, err
	}
	var msgs []Posted
	for _, e := range v.Entries {
		m := Posted{Index: e.Index, Time: time.UnixMilli(e.Time).UTC(), Type: e.Type, Payload: []byte(e.Payload)}
		sig, err := hex.DecodeString(e.Signature)
		if err != nil || len(sig) != SignatureSize {
			return nil, nil, fmt.Errorf("entry %d: bad signature hex", e.Index)
		}
		copy(m.Signature[:], sig)
		msgs = append(msgs, m)
	}
	return p, Replay(p, time.UnixMilli(v.Start).UTC(), msgs, time.UnixMilli(v.End).UTC()), nil
}

// h0 returns the vector's entries as board messages.
func h0(t *testing.T, v *Vector) []Posted {
	var msgs []Posted
	for _, e := range v.Entries {
		m := Posted{Index: e.Index, Time: time.UnixMilli(e.Time).UTC(), Type: e.Type, Payload: []byte(e.Payload)}
		sig, err := hex.DecodeString(e.Signature)
		if err != nil {
			t.Fatal(err)
		}
		copy(m.Signature[:], sig)
		msgs = append(msgs, m)
	}
	return msgs
}

var vectorScenarios = []struct {
	file, desc string
	t, n       int
	setup      func(h *harness)
	online     func(i, r int) bool
}{
	{"honest-2of3.json", "2-of-3, all honest and online", 2, 3, nil, nil},
	{"dismissed-3of4.json", "3-of-4: trustee 3 accuses honest trustee 1, who answers; the complaint is dismissed", 3, 4,
		func(h *harness) { h.ts[2].faults.accuse = []int{1} }, nil},
	{"disqualified-3of4.json", "3-of-4: trustee 2 deals a bad share to 4 and reveals the same bad share; 2 is disqualified", 3, 4,
		func(h *harness) { h.ts[1].faults = faults{badShareFor: map[int]bool{4: true}, answerBad: true} }, nil},
	{"absent-2of3.json", "2-of-3: trustee 3 never comes; rounds close at their deadlines", 2, 3, nil,
		func(i, _ int) bool { return i != 3 }},
	{"failed-2of2.json", "2-of-2: trustee 2 deals a bad share and never answers; fewer than t qualified, no key", 2, 2,
		func(h *harness) { h.ts[1].faults = faults{badShareFor: map[int]bool{1: true}, noAnswer: true} }, nil},
}

func TestVectors(t *testing.T) {
	for _, sc := range vectorScenarios {
		path := filepath.Join("testdata", sc.file)
		if *update {
			h := newHarness(t, sc.t, sc.n)
			if sc.setup != nil {
				sc.setup(h)
			}
			st := h.run(sc.online)
			v := ToVector(sc.desc, h.p, t0, h.clock.Now(), h.board.Messages(), st)
			data, _ := json.MarshalIndent(v, "", " ")
			if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Run(sc.file, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var v Vector
			if err := json.Unmarshal(data, &v); err != nil {
				t.Fatal(err)
			}
			_, st, err := v.Replay()
			if err != nil {
				t.Fatal(err)
			}
			if st.Round != RoundFinished {
				t.Fatalf("not finished: round %d", st.Round)
			}
			// A memoised replay, cold and warm, agrees with the plain one.
			memo := NewMemo()
			p, _, _ := v.Replay()
			msgs := h0(t, &v)
			for range 2 {
				sm := ReplayMemo(p, time.UnixMilli(v.Start).UTC(), msgs, time.UnixMilli(v.End).UTC(), memo)
				if fmt.Sprint(sm.Result(), sm.Disqualified, sm.Err) != fmt.Sprint(st.Result(), st.Disqualified, st.Err) {
					t.Fatal("memoised replay differs")
				}
			}
			if v.Result == "" {
				if st.Err == nil {
					t.Fatal("vector expects failure, replay succeeded")
				}
				return
			}
			r, err := DecodeResult([]byte(v.Result), st.Params)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.VerifyResult(r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(st.Qualified, v.Qualified) {
				t.Fatalf("qualified %v, want %v", st.Qualified, v.Qualified)
			}
			for i := range st.Disqualified {
				if _, ok := v.Disqualified[strconv.Itoa(i)]; !ok {
					t.Errorf("trustee %d disqualified, not in the vector", i)
				}
			}
			// Must-fail: a vector with one entry's payload altered (and
			// so its signature broken) no longer gives the result, unless
			// the entry was not needed.
			if len(v.Entries) > 0 {
				bad := v
				bad.Entries = slices.Clone(v.Entries)
				bad.Entries[0].Signature = hex.EncodeToString(make([]byte, SignatureSize))
				_, st2, _ := bad.Replay()
				if st2.Result() != nil && string(st2.Result().Marshal()) == v.Result {
					t.Error("result unchanged with trustee 1's commitments unsigned")
				}
			}
		})
	}
}
