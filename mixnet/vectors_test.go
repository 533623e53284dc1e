package mixnet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// The test vectors of e2e/SPEC.md §14.9. Regenerate them with
//
//	go test ./mixnet -run TestVectors -update
//
// (fresh randomness: the bytes change, the verdicts do not).
var update = flag.Bool("update", false, "rewrite e2e/testdata/mixnet")

const vectorDir = "../e2e/testdata/mixnet"

// The fixed statement of the vectors (SPEC §14.9).
const (
	vecN, vecW  = 3, 2
	vecSK       = 12345
	vecOtherSK  = 54321
	vecMixer    = 2
	vecContest  = "ranked"
	vecBaseText = "tabella mixnet test vector"
)

// A vector is one mix and its expected verdict: "valid", or the class of
// the failure (classOf).
type vector struct {
	Name    string   `json:"name"`
	What    string   `json:"what"`
	Key     string   `json:"key"`
	Base    string   `json:"base"`
	Mixer   uint32   `json:"mixer"`
	Contest string   `json:"contest"`
	Input   string   `json:"input"`
	Output  string   `json:"output"`
	Proof   string   `json:"proof"`
	Expect  string   `json:"expect"`
	U       []string `json:"u,omitempty"` // informative, valid vector only
	C       string   `json:"c,omitempty"`
}

type generatorVector struct {
	Index uint64 `json:"index"`
	Point string `json:"point"`
}

// classOf names the class of a Verify or decoding error (SPEC §14.8).
func classOf(err error) string {
	switch {
	case err == nil:
		return "valid"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrUnmixed):
		return "unmixed"
	case errors.Is(err, ErrInvalidProof):
		return "invalid"
	}
	return "unexpected: " + err.Error()
}

// run decodes v and verifies it, returning the statement, the lists and
// the error (nil for a valid mix).
func (v *vector) run(t *testing.T) (*Statement, []Sequence, []Sequence, error) {
	dec := func(s string) []byte {
		b, err := hex.DecodeString(s)
		require.NoError(t, err, "%s: hex", v.Name)
		return b
	}
	kb, base := dec(v.Key), dec(v.Base)
	require.Len(t, base, 32, v.Name)
	key, err := group.DecodeElement(kb)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: key: %w", ErrMalformed, err)
	}
	st, err := NewStatement(key, [32]byte(base), v.Mixer, v.Contest)
	if err != nil {
		return nil, nil, nil, err
	}
	in, err := DecodeList(dec(v.Input))
	if err != nil {
		return nil, nil, nil, err
	}
	out, err := DecodeList(dec(v.Output))
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := DecodeProof(dec(v.Proof))
	if err != nil {
		return nil, nil, nil, err
	}
	return st, in, out, Verify(st, in, out, p)
}

func TestVectors(t *testing.T) {
	if *update {
		writeVectors(t)
	}
	var gv []generatorVector
	readJSON(t, "generators.json", &gv)
	require.Len(t, gv, 9)
	for i, g := range gv {
		require.Equal(t, uint64(i), g.Index)
		want := generator(g.Index).Bytes()
		require.Equal(t, hex.EncodeToString(want[:]), g.Point, "generator %d", i)
	}

	var vs []vector
	readJSON(t, "vectors.json", &vs)
	require.Greater(t, len(vs), 20)
	require.Equal(t, "valid", vs[0].Name)
	names := map[string]bool{}
	for _, v := range vs {
		require.False(t, names[v.Name], "duplicate vector %s", v.Name)
		names[v.Name] = true
		_, _, _, err := v.run(t)
		require.Equal(t, v.Expect, classOf(err), "%s (%s): %v", v.Name, v.What, err)
	}

	// The valid vector: its informative challenges, and its output decrypts
	// to the input's sequences, each kept whole.
	v := vs[0]
	st, in, out, err := v.run(t)
	require.NoError(t, err)
	pb, err := hex.DecodeString(v.Proof)
	require.NoError(t, err)
	p, err := DecodeProof(pb)
	require.NoError(t, err)
	tr := transcript(st, in, out, p.Commitments)
	u := challenges(tr, len(in))
	require.Len(t, v.U, len(u))
	for j := range u {
		b := u[j].Bytes()
		require.Equal(t, hex.EncodeToString(b[:]), v.U[j], "u_%d", j+1)
	}
	c := finalChallenge(tr, p).Bytes()
	require.Equal(t, hex.EncodeToString(c[:]), v.C)
	require.Equal(t, decryptSequences(t, in), sortedSequences(decryptSequences(t, out)))
}

func readJSON(t *testing.T, name string, v any) {
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), name)
}

// decryptSequences decrypts a list of the vectors' election.
func decryptSequences(t *testing.T, l []Sequence) [][]uint64 {
	sk := group.NewScalar(vecSK)
	dl := elgamal.NewDLog(16)
	var ms [][]uint64
	for _, s := range l {
		var row []uint64
		for _, ct := range s {
			m, err := dl.Solve(ct.Decrypt(sk))
			require.NoError(t, err)
			row = append(row, m)
		}
		ms = append(ms, row)
	}
	return ms
}

func sortedSequences(ms [][]uint64) [][]uint64 {
	slices.SortFunc(ms, slices.Compare)
	return ms
}

// vecFixture is the vectors' election and input list.
func vecFixture(t *testing.T) (*fixture, [32]byte) {
	base := sha256.Sum256([]byte(vecBaseText))
	key := group.BaseMul(group.NewScalar(vecSK))
	st, err := NewStatement(key, base, vecMixer, vecContest)
	require.NoError(t, err)
	in := make([]Sequence, vecN)
	for i := range in {
		for k := range vecW {
			in[i] = append(in[i], canonical(elgamal.EncryptUint(key, uint64(i*vecW+k), group.RandomScalar())))
		}
	}
	return &fixture{sk: group.NewScalar(vecSK), st: st, in: in}, base
}

// Offsets of the proof fields in its encoding (SPEC §14.3), 1-based i, k.
func offPoint(p int) int { return headerSize + group.PointSize*p }

func offScalar(n, w, s int) int {
	return headerSize + group.PointSize*(3*n+3+2*w) + group.ScalarSize*s
}

var (
	offCommitment = func(j int) int { return offPoint(j - 1) }
	offChain      = func(i int) int { return offPoint(vecN + i - 1) }
	offT1         = offPoint(3 * vecN)
	offT4B        = func(k int) int { return offPoint(3*vecN + 3 + 2*(k-1) + 1) }
	offS1         = offScalar(vecN, vecW, 0)
	offS2         = offScalar(vecN, vecW, 1)
	offSPerm      = func(i int) int { return offScalar(vecN, vecW, 3+vecW+vecN+i-1) }
)

// writeVectors generates e2e/testdata/mixnet (SPEC §14.9) and checks each
// vector's verdict before writing it.
func writeVectors(t *testing.T) {
	f, base := vecFixture(t)
	st := f.st
	hexs := func(b []byte) string { return hex.EncodeToString(b) }
	list := func(l []Sequence) string {
		b, err := EncodeList(l)
		require.NoError(t, err)
		return hexs(b)
	}
	proofBytes := func(p *Proof) []byte {
		b, err := p.Bytes()
		require.NoError(t, err)
		return b
	}
	keyHex := func(k *group.Point) string { b := k.Bytes(); return hexs(b[:]) }

	wit := newWitness(t, vecN, vecW)
	good := f.apply(wit)
	proof := prove(st, f.in, good, wit.perm, wit.rho)
	require.NoError(t, Verify(st, f.in, good, proof))
	goodProof := proofBytes(proof)

	mk := func(name, what string) vector {
		return vector{Name: name, What: what, Key: keyHex(st.Key()), Base: hexs(base[:]), Mixer: vecMixer,
			Contest: vecContest, Input: list(f.in), Output: list(good), Proof: hexs(goodProof)}
	}
	valid := mk("valid", "a shuffle of 3 sequences of width 2 with its proof")
	tr := transcript(st, f.in, good, proof.Commitments)
	for _, u := range challenges(tr, vecN) {
		b := u.Bytes()
		valid.U = append(valid.U, hexs(b[:]))
	}
	c := finalChallenge(tr, proof).Bytes()
	valid.C = hexs(c[:])
	vs := []vector{valid}

	randomPoint := func() []byte { b := group.BaseMul(group.RandomScalar()).Bytes(); return b[:] }
	plusOne := func(b []byte) []byte {
		s, err := group.DecodeScalar(b)
		require.NoError(t, err)
		r := s.Add(group.NewScalar(1)).Bytes()
		return r[:]
	}
	// tampered returns the valid proof with the 32 bytes at off replaced.
	tampered := func(off int, repl func([]byte) []byte) string {
		b := slices.Clone(goodProof)
		copy(b[off:], repl(b[off:off+32]))
		return hexs(b)
	}
	orderL := []byte{ // ℓ, little-endian
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	withProof := func(name, what, p string) vector { v := mk(name, what); v.Proof = p; return v }
	withOutput := func(name, what string, out []Sequence, p *Proof) vector {
		v := mk(name, what)
		v.Output, v.Proof = list(out), hexs(proofBytes(p))
		return v
	}
	honest := func(out []Sequence) *Proof { return prove(st, f.in, out, wit.perm, wit.rho) }

	vs = append(vs,
		withProof("tampered-s1", "s1 of the valid proof increased by 1", tampered(offS1, plusOne)),
		withProof("tampered-commitment", "c_2 replaced by a random element", tampered(offCommitment(2), func([]byte) []byte { return randomPoint() })),
		withProof("tampered-chain", "ĉ_3 replaced by a random element", tampered(offChain(3), func([]byte) []byte { return randomPoint() })),
		withProof("tampered-t4", "T4_2.B replaced by a random element", tampered(offT4B(2), func([]byte) []byte { return randomPoint() })),
		withProof("tampered-sperm", "s'_1 increased by 1", tampered(offSPerm(1), plusOne)),
		withProof("noncanonical-scalar", "s2 replaced by ℓ (not reduced)", tampered(offS2, func([]byte) []byte { return orderL })),
		withProof("identity-point", "T1 replaced by the identity", tampered(offT1, func([]byte) []byte { return make([]byte, 32) })),
		withProof("truncated-proof", "the last byte of the proof removed", hexs(goodProof[:len(goodProof)-1])),
		withProof("trailing-byte", "one byte appended to the proof", hexs(append(slices.Clone(goodProof), 0))),
	)

	// A proof for width 1: a shuffle of the input's first column alone.
	col := make([]Sequence, vecN)
	for i := range col {
		col[i] = f.in[i][:1]
	}
	_, p1, err := Shuffle(st, col)
	require.NoError(t, err)
	vs = append(vs, withProof("proof-other-width", "a valid proof of the same input's first column alone (w = 1)", hexs(proofBytes(p1))))

	dropped := mk("dropped", "output sequence 3 removed, the valid proof kept")
	dropped.Output = list(good[:vecN-1])
	vs = append(vs, dropped)

	dup := clone(good)
	for k := range vecW {
		dup[1][k] = canonical(good[0][k].ReEncrypt(st.Key(), group.RandomScalar()))
	}
	vs = append(vs, withOutput("dropped-replaced-by-duplicate",
		"output sequence 2 replaced by a re-encryption of output sequence 1, proof made by the honest prover with the original witness", dup, honest(dup)))

	dup2 := clone(good)
	dup2[2] = dup2[0]
	vs = append(vs, withOutput("duplicated", "output sequence 3 a copy of output sequence 1, honest prover", dup2, honest(dup2)))

	repl := clone(good)
	repl[0] = Sequence{
		canonical(elgamal.EncryptUint(st.Key(), 7, group.RandomScalar())),
		canonical(elgamal.EncryptUint(st.Key(), 7, group.RandomScalar())),
	}
	vs = append(vs, withOutput("replaced", "output sequence 1 replaced by fresh encryptions of (7, 7), honest prover", repl, honest(repl)))

	other := wit.perm
	for slices.Equal(other, wit.perm) {
		other = newWitness(t, vecN, vecW).perm
	}
	split := f.apply(wit, wit.perm, other)
	vs = append(vs, withOutput("split-ranking", "column 2 permuted differently from column 1, proof for column 1's permutation", split, honest(split)))

	v := mk("wrong-mixer", "the valid mix verified with mixer = 3")
	v.Mixer = 3
	vs = append(vs, v)
	v = mk("wrong-contest", `the valid mix verified with contest = "ranked2"`)
	v.Contest = "ranked2"
	vs = append(vs, v)
	v = mk("wrong-base", "the valid mix verified with another base")
	otherBase := sha256.Sum256([]byte("another election"))
	v.Base = hexs(otherBase[:])
	vs = append(vs, v)
	v = mk("wrong-key", "the valid mix verified with K = 54321·G")
	v.Key = keyHex(group.BaseMul(group.NewScalar(vecOtherSK)))
	vs = append(vs, v)

	in2 := clone(f.in)
	for k := range vecW {
		in2[1][k] = canonical(elgamal.EncryptUint(st.Key(), uint64(vecW+k), group.RandomScalar()))
	}
	v = mk("other-input", "input sequence 2 replaced by another encryption of the same values, the valid output and proof kept")
	v.Input = list(in2)
	vs = append(vs, v)

	identity := make([]int, vecN)
	zero := make([][]*group.Scalar, vecN)
	for i := range identity {
		identity[i] = i
		for range vecW {
			zero[i] = append(zero[i], group.NewScalar(0))
		}
	}
	fake := prove(st, f.in, f.in, identity, zero)
	require.True(t, batchHolds(st, f.in, f.in, fake), "the fake proof satisfies E1–E5")
	vs = append(vs,
		withOutput("reposted-fake-proof", "output = input, with a proof for the identity permutation and zero randomness (all of E1–E5 hold)", f.in, fake),
		withOutput("reposted-transplanted-proof", "output = input, with the valid mix's proof", f.in, proof),
	)

	w2 := &witness{perm: wit.perm, rho: [][]*group.Scalar{
		slices.Clone(wit.rho[0]), {wit.rho[1][0], group.NewScalar(0)}, slices.Clone(wit.rho[2])}}
	lazyOut := f.apply(w2)
	p2 := prove(st, f.in, lazyOut, w2.perm, w2.rho)
	require.True(t, batchHolds(st, f.in, lazyOut, p2))
	vs = append(vs, withOutput("one-not-reencrypted", "a shuffle that leaves ciphertext 2 of one sequence as it was (zero randomness), honest prover", lazyOut, p2))

	// Every vector has a verdict the code agrees with, decided here.
	expect := map[string]string{"valid": "valid", "dropped": "malformed", "proof-other-width": "malformed",
		"noncanonical-scalar": "malformed", "identity-point": "malformed", "truncated-proof": "malformed",
		"trailing-byte": "malformed", "reposted-fake-proof": "unmixed", "reposted-transplanted-proof": "unmixed",
		"one-not-reencrypted": "unmixed"}
	var lines []string
	for i := range vs {
		vs[i].Expect = expect[vs[i].Name]
		if vs[i].Expect == "" {
			vs[i].Expect = "invalid"
		}
		_, _, _, err := vs[i].run(t)
		require.Equal(t, vs[i].Expect, classOf(err), "%s: %v", vs[i].Name, err)
		b, err := json.Marshal(vs[i])
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	require.NoError(t, os.MkdirAll(vectorDir, 0o755))
	writeLines(t, "vectors.json", lines)

	lines = nil
	for i := range uint64(9) {
		g := generator(i).Bytes()
		b, err := json.Marshal(generatorVector{Index: i, Point: hexs(g[:])})
		require.NoError(t, err)
		lines = append(lines, string(b))
	}
	writeLines(t, "generators.json", lines)
}

// writeLines writes a JSON array, one element per line.
func writeLines(t *testing.T, name string, lines []string) {
	s := "[\n" + strings.Join(lines, ",\n") + "\n]\n"
	require.NoError(t, os.WriteFile(filepath.Join(vectorDir, name), []byte(s), 0o644))
}
