package count

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot/canon"
)

//go:generate go test -run TestVectors -update

var update = flag.Bool("update", false, "rewrite the test vectors in e2e/testdata/count")

const vectorDir = "../../e2e/testdata/count"

// vectorInput is a NAME.input.json file (e2e/SPEC.md §15.8).
type vectorInput struct {
	What    string  `json:"what"`
	Method  Method  `json:"method"`
	Options int     `json:"options"`
	Seats   int     `json:"seats"`
	Ballots [][]int `json:"ballots"`
}

// mustFail is one line of must-fail.json (e2e/SPEC.md §15.8).
type mustFail struct {
	Vector string `json:"vector"`
	What   string `json:"what"`
	Result string `json:"result"`
}

// drawer is the vector generator's deterministic stream (e2e/SPEC.md
// §15.8): SHA-256("tabella/v1 count vector" || name || u64be(block)).
type drawer struct {
	name  string
	block uint64
	buf   []byte
}

func (d *drawer) u32() uint32 {
	if len(d.buf) < 4 {
		h := sha256.New()
		h.Write([]byte("tabella/v1 count vector"))
		h.Write([]byte(d.name))
		h.Write(binary.BigEndian.AppendUint64(nil, d.block))
		d.block++
		d.buf = h.Sum(nil)
	}
	v := binary.BigEndian.Uint32(d.buf)
	d.buf = d.buf[4:]
	return v
}

// below returns a uniform integer in [0, m) by rejection.
func (d *drawer) below(m int) int {
	limit := uint32((1 << 32) / uint64(m) * uint64(m))
	for {
		if v := d.u32(); v < limit || limit == 0 {
			return int(v % uint32(m))
		}
	}
}

// pseudoRandom draws count raw ballots of length n: a uniform permutation
// (Fisher–Yates from the end), a uniform number 0..n of ranks kept, and in
// one ballot of 20 a damaged rank.
func pseudoRandom(name string, n, count int) [][]int {
	d := &drawer{name: name}
	raw := make([][]int, count)
	for b := range raw {
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i + 1
		}
		for i := n - 1; i > 0; i-- {
			j := d.below(i + 1)
			perm[i], perm[j] = perm[j], perm[i]
		}
		r := make([]int, n)
		copy(r, perm[:d.below(n+1)])
		switch d.below(20) {
		case 0:
			r[d.below(n)] = d.below(n + 2)
		case 1:
			r[d.below(n)] = r[0]
		}
		raw[b] = r
	}
	return raw
}

type vector struct {
	name string
	in   vectorInput
}

func vectors() []vector {
	p := func(n int) *profile { return &profile{n: n} }
	withProblems := p(3).add(6, 1, 2).add(3, 1, 3).add(1, 3)
	withProblems.raw = append(withProblems.raw, []int{2, 2, 0}, []int{0, 1, 0}, []int{4, 0, 0}, []int{0, 0, 0}, []int{3, 0, 3})
	return []vector{
		{"irv-tennessee", vectorInput{"Wikipedia, Instant-runoff voting: Tennessee capital, 42/26/15/17; Knoxville wins", IRV, 4, 1,
			p(4).add(42, 1, 2, 3, 4).add(26, 2, 3, 4, 1).add(15, 3, 4, 2, 1).add(17, 4, 3, 2, 1).raw}},
		{"schulze-wikipedia", vectorInput{"Wikipedia, Schulze method: 45 voters, 5 candidates; order E A C B D", Schulze, 5, 1,
			p(5).add(5, 1, 3, 2, 5, 4).add(5, 1, 4, 5, 3, 2).add(8, 2, 5, 4, 1, 3).add(3, 3, 1, 2, 5, 4).
				add(7, 3, 1, 5, 2, 4).add(2, 3, 2, 1, 4, 5).add(7, 4, 3, 5, 2, 1).add(8, 5, 2, 1, 4, 3).raw}},
		{"stv-food", vectorInput{"Wikipedia, Single transferable vote (2010): food election, 20 guests, 3 seats; Chocolate, Oranges, Strawberries", STV, 5, 3,
			p(5).add(4, 1).add(2, 2, 1).add(8, 3, 4).add(4, 3, 5).add(1, 4).add(1, 5).raw}},
		{"stv-truncation", vectorInput{"a surplus of 5 over 9 votes: weights truncated to 0.555555555, 0.000000005 lost", STV, 3, 2,
			p(3).add(6, 1, 2).add(3, 1, 3).add(1, 3).raw}},
		{"irv-tie-previous-rounds", vectorInput{"B and C tie in round 2; C had fewer in round 1 and is eliminated", IRV, 4, 1,
			p(4).add(5, 1).add(4, 2).add(3, 3, 2).add(1, 4, 3).raw}},
		{"irv-tie-precedence", vectorInput{"B and C tie in rounds 1 and 2; C, listed later, is eliminated", IRV, 4, 1,
			p(4).add(5, 1).add(3, 2).add(3, 3, 2).add(1, 4, 2).add(1, 4, 3).raw}},
		{"stv-surplus-tie", vectorInput{"equal surpluses (precedence), then an elimination tie decided by the previous round", STV, 4, 3,
			p(4).add(5, 1, 3).add(5, 2, 4).add(1, 3).add(1, 4).raw}},
		{"stv-elect-tie", vectorInput{"two options reach the quota with equal tallies: elected in manifest order", STV, 3, 2,
			p(3).add(4, 1).add(4, 2).add(1, 3).raw}},
		{"stv-elect-tie-previous", vectorInput{"two options reach the quota together with equal tallies; the earlier round orders them", STV, 4, 2,
			p(4).add(2, 2).add(1, 2, 1).add(1, 3).add(1, 3, 2).add(1, 1, 2).add(1, 1, 3).add(1, 4, 3).add(1, 4).raw}},
		{"stv-surplus-tie-previous", vectorInput{"equal surpluses ordered by an earlier round", STV, 6, 4,
			p(6).add(8, 1).add(6, 2).add(9, 3).add(7, 4).add(7, 5).add(4, 6, 2).add(2, 6, 1).raw}},
		{"irv-problems", vectorInput{"a repeated option, a skipped first rank, an invalid value, a blank, a repeat after a blank (a skipped rank)", IRV, 3, 1, withProblems.raw}},
		{"stv-problems", vectorInput{"as irv-problems, 2 seats", STV, 3, 2, withProblems.raw}},
		{"schulze-problems", vectorInput{"as irv-problems", Schulze, 3, 2, withProblems.raw}},
		{"irv-one-option", vectorInput{"one option; an invalid value 2", IRV, 1, 1, [][]int{{1}, {0}, {1}, {2}}}},
		{"stv-no-ballots", vectorInput{"no ballots: quota 1, options 1 and 2 elected by precedence", STV, 3, 2, [][]int{}}},
		{"schulze-no-ballots", vectorInput{"no ballots: manifest order, places 1 and 2 ties", Schulze, 3, 1, [][]int{}}},
		{"stv-seats-exceed-options", vectorInput{"7 seats, 3 options: all elected", STV, 3, 7, p(3).add(2, 3).add(5, 2, 1).add(1, 1).raw}},
		{"irv-random-5", vectorInput{"pseudo-random, 5 options, 500 ballots", IRV, 5, 1, pseudoRandom("irv-random-5", 5, 500)}},
		{"stv-random-5", vectorInput{"pseudo-random, 5 options, 500 ballots, 2 seats", STV, 5, 2, pseudoRandom("stv-random-5", 5, 500)}},
		{"schulze-random-5", vectorInput{"pseudo-random, 5 options, 500 ballots", Schulze, 5, 2, pseudoRandom("schulze-random-5", 5, 500)}},
		{"irv-random-50", vectorInput{"pseudo-random, 50 options, 300 ballots", IRV, 50, 1, pseudoRandom("irv-random-50", 50, 300)}},
		{"stv-random-50", vectorInput{"pseudo-random, 50 options, 300 ballots, 10 seats", STV, 50, 10, pseudoRandom("stv-random-50", 50, 300)}},
		{"schulze-random-50", vectorInput{"pseudo-random, 50 options, 300 ballots", Schulze, 50, 3, pseudoRandom("schulze-random-50", 50, 300)}},
	}
}

// mustFails derives altered results that Verify must reject.
func mustFails(t *testing.T, results map[string][]byte) []mustFail {
	alter := func(vector, what, old, new string) mustFail {
		doc := string(results[vector])
		require.Contains(t, doc, old, "%s: %s", vector, what)
		return mustFail{vector, what, strings.Replace(doc, old, new, 1)}
	}
	return []mustFail{
		alter("irv-tennessee", "winner changed", `"winners":[4]`, `"winners":[2]`),
		alter("irv-tennessee", "a round's tally changed", `"tallies":["42","26","0","32"]`, `"tallies":["42","26","0","33"]`),
		alter("irv-tie-previous-rounds", "tie broken the other way", `"options":[3],"tie":"previous_rounds"`, `"options":[2],"tie":"previous_rounds"`),
		alter("stv-truncation", "rounded instead of truncated", `"1.666666665"`, `"1.66666667"`),
		alter("stv-truncation", "quota changed", `"quota":"4"`, `"quota":"3"`),
		alter("stv-food", "order of election changed", `"winners":[3,1,4]`, `"winners":[1,3,4]`),
		alter("irv-problems", "a problem ballot hidden", `"skipped_rank":{"count":2,"positions":[11,14]}`, `"skipped_rank":{"count":1,"positions":[11]}`),
		alter("schulze-wikipedia", "a pairwise count changed", `"d":[[0,20,`, `"d":[[0,21,`),
		alter("schulze-wikipedia", "not canonical (space)", `"method":"schulze"`, `"method": "schulze"`),
		alter("schulze-wikipedia", "unknown field", `"seats":1,`, `"seats":1,"note":"x",`),
	}
}

func TestVectors(t *testing.T) {
	results := make(map[string][]byte)
	for _, v := range vectors() {
		in, err := canon.Marshal(v.in)
		require.NoError(t, err)
		r, err := Count(v.in.Method, v.in.Options, v.in.Seats, v.in.Ballots)
		require.NoError(t, err, v.name)
		out, err := r.Encode()
		require.NoError(t, err)
		results[v.name] = out
		inPath := filepath.Join(vectorDir, v.name+".input.json")
		outPath := filepath.Join(vectorDir, v.name+".result.json")
		if *update {
			require.NoError(t, os.MkdirAll(vectorDir, 0o755))
			require.NoError(t, os.WriteFile(inPath, in, 0o644))
			require.NoError(t, os.WriteFile(outPath, out, 0o644))
			continue
		}
		gotIn, err := os.ReadFile(inPath)
		require.NoError(t, err)
		require.Equal(t, string(in), string(gotIn), "%s: the input differs from the generator's", inPath)
		var parsed vectorInput
		require.NoError(t, canon.Unmarshal(gotIn, &parsed, 0))
		gotOut, err := os.ReadFile(outPath)
		require.NoError(t, err)
		require.Equal(t, string(out), string(gotOut), "%s: the recount differs", outPath)
		_, err = Verify(gotOut, parsed.Ballots)
		require.NoError(t, err, v.name)
	}
	mf := mustFails(t, results)
	path := filepath.Join(vectorDir, "must-fail.json")
	var lines bytes.Buffer
	for _, m := range mf {
		b, err := canon.Marshal(m)
		require.NoError(t, err)
		lines.Write(b)
		lines.WriteByte('\n')
	}
	if *update {
		require.NoError(t, os.WriteFile(path, lines.Bytes(), 0o644))
		return
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, lines.String(), string(got))
	inputs := make(map[string]vectorInput)
	for _, v := range vectors() {
		inputs[v.name] = v.in
	}
	for _, line := range bytes.Split(bytes.TrimSuffix(got, []byte("\n")), []byte("\n")) {
		var m mustFail
		require.NoError(t, json.Unmarshal(line, &m))
		_, err := Verify([]byte(m.Result), inputs[m.Vector].Ballots)
		require.Error(t, err, "%s: %s must fail", m.Vector, m.What)
	}
}
