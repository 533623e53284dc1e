package cascade

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/count"
)

var update = flag.Bool("update", false, "regenerate the test vectors in testdata")

const vectorFile = "testdata/cascade.json"

// cascadeVector is a recorded cascade of one ranked contest (e2e/SPEC.md
// §16.7): the election's parameters, the counted list, and the cascade's
// entries in board order, each admitted (error "") or refused with an
// error containing Error, and the plaintexts of the final list.
type cascadeVector struct {
	Description string         `json:"description"`
	Election    string         `json:"election"`
	Base        string         `json:"base"`
	JointKey    string         `json:"joint_key"`
	Qualified   []int          `json:"qualified"`
	Keys        []string       `json:"verification_keys"` // of Qualified, in order
	Threshold   int            `json:"threshold"`
	WindowMS    int64          `json:"window_ms"`
	CloseTime   int64          `json:"close_time"`
	Contest     string         `json:"contest"`
	Options     int            `json:"options"`
	Width       int            `json:"width"`
	Method      count.Method   `json:"method"`
	Seats       int            `json:"seats"`
	Input       string         `json:"input"` // the counted list (List encoding)
	InputHash   string         `json:"input_hash"`
	Entries     []cascadeEntry `json:"entries"`
	Sequences   [][]uint16     `json:"sequences"`
}

// cascadeEntry is a mix.shuffle, mix.share or mix.result at a board index
// and time, by trustee Signer (0: the board), with its payload in hex.
type cascadeEntry struct {
	Index   uint64 `json:"index"`
	Time    int64  `json:"time"`
	Type    string `json:"type"`
	Signer  int    `json:"signer"`
	Payload string `json:"payload"`
	Error   string `json:"error"`
	What    string `json:"what"`
}

func hexPoint(p *group.Point) string { b := p.Bytes(); return hex.EncodeToString(b[:]) }

// makeVector records a cascade with refused entries between the admitted
// ones.
func makeVector(t *testing.T) *cascadeVector {
	f := newFixture(t, 4)
	c := f.cascade(t)
	in, err := mixnet.EncodeList(f.input)
	require.NoError(t, err)
	_, h := c.Latest()
	v := &cascadeVector{Description: "three mixers, t = 2; trustee 3 misses its turn; refused entries between the admitted ones",
		Election: testElection, Base: hex.EncodeToString(f.cfg.Base[:]), JointKey: hexPoint(f.cfg.Key), Qualified: f.cfg.Qualified,
		Threshold: f.cfg.Threshold, WindowMS: f.cfg.Window.Milliseconds(), CloseTime: start, Contest: "rank", Options: 3, Width: 3, Method: count.IRV, Seats: 1,
		Input: hex.EncodeToString(in), InputHash: hex.EncodeToString(h[:])}
	for _, q := range f.cfg.Qualified {
		v.Keys = append(v.Keys, hexPoint(f.cfg.Keys[q]))
	}
	index, now := uint64(100), start
	add := func(typ string, signer int, payload []byte, errText, what string) {
		v.Entries = append(v.Entries, cascadeEntry{Index: index, Time: now, Type: typ, Signer: signer, Payload: hex.EncodeToString(payload), Error: errText, What: what})
		index++
	}
	w := f.cfg.Window.Milliseconds()
	take := func(m *Shares) {
		commit, err := c.CheckShares(index-1, now, m.Trustee, m, true)
		require.NoError(t, err)
		commit()
	}
	now += 1000
	m1 := mix(t, c, 1)
	add(TypeMix, 1, m1.Marshal(), "", "trustee 1 mixes the counted list")
	admit(t, c, index-1, now, m1)
	now += 1000
	m2 := mix(t, c, 2)
	dup := slices.Clone(m2.Output)
	dup[1] = dup[0]
	bad, err := NewMix(testElection, "rank", 2, m2.Input, dup, m2.Proof)
	require.NoError(t, err)
	add(TypeMix, 2, bad.Marshal(), "mixer 2's shuffle", "a duplicated sequence")
	fake, err := NewMix(testElection, "rank", 2, m2.Input, m1.Output, m1.Proof)
	require.NoError(t, err)
	add(TypeMix, 2, fake.Marshal(), "mixer 2's shuffle", "the previous list re-posted with the previous proof")
	add(TypeMix, 3, mix(t, c, 3).Marshal(), "not trustee 3's turn", "trustee 3 before its turn")
	add(TypeMix, 2, m2.Marshal(), "", "trustee 2 mixes trustee 1's list")
	admit(t, c, index-1, now, m2)
	add(TypeMix, 2, mix(t, c, 2).Marshal(), "second mix", "a second mix of trustee 2")
	late := mix(t, c, 3)
	now += w + 1
	add(TypeMix, 3, late.Marshal(), "missed its turn", "trustee 3 after its deadline")
	s1, err := c.DecryptShares(f.shares[1])
	require.NoError(t, err)
	s3, err := c.DecryptShares(f.shares[3])
	require.NoError(t, err)
	s3.Shares[2].Proof = s3.Shares[1].Proof
	add(TypeShare, 3, s3.Marshal(), "trustee 3's decryption share of ciphertext 2", "a share with another ciphertext's proof")
	add(TypeShare, 1, s1.Marshal(), "", "trustee 1 decrypts the final list")
	take(s1)
	add(TypeMix, 3, late.Marshal(), "after its decryption started", "a mix after the decryption started")
	s2, err := c.DecryptShares(f.shares[2])
	require.NoError(t, err)
	add(TypeShare, 2, s2.Marshal(), "", "trustee 2 decrypts the final list")
	take(s2)
	r, err := c.ComputeResult()
	require.NoError(t, err)
	add(TypeResult, 0, r.Marshal(), "", "the board posts the plaintexts")
	v.Sequences = r.Sequences
	return v
}

// replay runs a vector through a fresh cascade built from its fields only.
func replay(t *testing.T, v *cascadeVector) {
	dec := func(s string) []byte { b, err := hex.DecodeString(s); require.NoError(t, err); return b }
	key, err := group.DecodeElement(dec(v.JointKey))
	require.NoError(t, err)
	cfg := &Config{Election: v.Election, Base: [32]byte(dec(v.Base)), Key: key, Qualified: v.Qualified, Keys: map[int]*group.Point{},
		Threshold: v.Threshold, Window: time.Duration(v.WindowMS) * time.Millisecond, Start: v.CloseTime}
	for k, q := range v.Qualified {
		cfg.Keys[q], err = group.DecodeElement(dec(v.Keys[k]))
		require.NoError(t, err)
	}
	in, err := mixnet.DecodeList(dec(v.Input))
	require.NoError(t, err)
	c := New(cfg, Contest{ID: v.Contest, Options: v.Options, Width: v.Width, Method: v.Method, Seats: v.Seats})
	require.NoError(t, c.SetInput(in))
	_, h := c.Latest()
	require.Equal(t, v.InputHash, hex.EncodeToString(h[:]))
	for _, e := range v.Entries {
		p := dec(e.Payload)
		var commit func()
		switch e.Type {
		case TypeMix:
			m, derr := DecodeMix(p)
			require.NoError(t, derr, e.What)
			commit, err = c.CheckMix(e.Index, e.Time, e.Signer, m, true)
		case TypeShare:
			m, derr := DecodeShares(p)
			require.NoError(t, derr, e.What)
			commit, err = c.CheckShares(e.Index, e.Time, e.Signer, m, true)
		case TypeResult:
			var r *Result
			r, commit, err = c.CheckResult(e.Index, p, false)
			if err == nil {
				require.Equal(t, v.Sequences, r.Sequences)
			}
		}
		if e.Error == "" {
			require.NoError(t, err, e.What)
			commit()
		} else {
			require.Error(t, err, e.What)
			require.Contains(t, err.Error(), e.Error, e.What)
		}
	}
	require.GreaterOrEqual(t, c.ResultIndex, int64(0))
}

func TestVectors(t *testing.T) {
	if *update {
		v := makeVector(t)
		b, err := json.MarshalIndent(v, "", " ")
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(vectorFile), 0o755))
		require.NoError(t, os.WriteFile(vectorFile, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(vectorFile)
	require.NoError(t, err)
	var v cascadeVector
	require.NoError(t, json.Unmarshal(b, &v))
	replay(t, &v)
	// A fresh recording replays too (the file is not the only case).
	replay(t, makeVector(t))
}
