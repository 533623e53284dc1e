package count

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleResults(t testing.TB) map[Method][]byte {
	p := (&profile{n: 3}).add(6, 1, 2).add(3, 1, 3).add(1, 3)
	p.raw = append(p.raw, []int{2, 2, 0}, []int{0, 1, 0}, []int{4, 0, 0}, []int{0, 0, 0})
	// IRV: A 6, B 4, C 3 of 13: C is eliminated and A elected.
	q := (&profile{n: 3}).add(4, 1, 2).add(2, 1, 3).add(3, 2, 3).add(3, 3, 1)
	q.raw = append(q.raw, []int{2, 2, 0}, []int{0, 1, 0}, []int{4, 0, 0}, []int{0, 0, 0})
	out := make(map[Method][]byte)
	for _, m := range []Method{IRV, STV, Schulze} {
		seats, raw := 2, p.raw
		if m == IRV {
			seats, raw = 1, q.raw
		}
		r, err := Count(m, 3, seats, raw)
		require.NoError(t, err)
		b, err := r.Encode()
		require.NoError(t, err)
		out[m] = b
	}
	return out
}

// Each alteration of a valid encoding must be rejected by Decode with
// ErrEncoding.
func TestDecodeRejects(t *testing.T) {
	s := sampleResults(t)
	for _, c := range []struct {
		m          Method
		name       string
		old, new   string
		wantInText string
	}{
		{IRV, "unknown field", `"seats":1,`, `"seats":1,"extra":0,`, "unknown field"},
		{IRV, "duplicate field", `"seats":1,`, `"seats":1,"seats":1,`, "canonical"},
		{IRV, "whitespace", `"seats":1,`, `"seats": 1,`, "canonical"},
		{IRV, "version", `tabella/v1`, `tabella/v2`, "version"},
		{IRV, "method", `"irv"`, `"borda"`, "method"},
		{IRV, "IRV with two seats", `"seats":1`, `"seats":2`, "IRV"},
		{IRV, "options", `"options":3`, `"options":51`, "options"},
		{IRV, "fraction in IRV", `"tallies":["6"`, `"tallies":["6.5"`, "canonical decimal"},
		{IRV, "leading zero", `"tallies":["6"`, `"tallies":["06"`, "canonical decimal"},
		{IRV, "negative", `"tallies":["6"`, `"tallies":["-6"`, "canonical decimal"},
		{IRV, "short tallies", `"tallies":["6",`, `"tallies":[`, "values"},
		{IRV, "quota in IRV", `"winners"`, `"quota":"4","winners"`, "no quota"},
		{IRV, "winner out of range", `"winners":[1]`, `"winners":[4]`, "winners"},
		{IRV, "winner missing", `"winners":[1]`, `"winners":[]`, "winners"},
		{IRV, "null winners", `"winners":[1]`, `"winners":null`, "winners"},
		{IRV, "null positions", `"positions":[12]`, `"positions":null`, "positions"},
		{IRV, "count mismatch", `"count":1,"positions":[12]`, `"count":2,"positions":[12]`, "count"},
		{IRV, "position out of range", `"positions":[12]`, `"positions":[16]`, "positions"},
		{IRV, "unknown action", `"kind":"eliminate"`, `"kind":"exclude"`, "action"},
		{IRV, "unknown tie", `"tie":"none"`, `"tie":"lot"`, "tie"},
		{IRV, "surplus in IRV", `"kind":"eliminate"`, `"kind":"surplus"`, "surplus"},
		{IRV, "winners not elected", `"options":[1],"tie":"none"}}]`, `"options":[2],"tie":"none"}}]`, "elect actions"},
		{STV, "trailing zero", `"quota":"4"`, `"quota":"4.0"`, "quota"},
		{STV, "ten decimals", `"3.33333333"`, `"3.3333333333"`, "canonical decimal"},
		{STV, "zero quota", `"quota":"4"`, `"quota":"0"`, "quota"},
		{STV, "lost missing", `"lost":"0",`, ``, "lost"},
		{STV, "transfers on elect", `"tie":"none"}}`, `"tie":"none"},"transfers":["0","0","0"]}`, "elect"},
		{Schulze, "diagonal", `"d":[[0,`, `"d":[[1,`, "d[1][1]"},
		{Schulze, "ranking repeats", `"ranking":[1,2,3]`, `"ranking":[1,1,3]`, "ranking"},
		{Schulze, "ranking winners", `"winners":[1,2]`, `"winners":[2,1]`, "winners"},
		{Schulze, "rounds", `,"schulze":{`, `,"rounds":[],"schulze":{`, "canonical"},
		{Schulze, "trailing space", "", " ", "canonical"},
		{Schulze, "trailing data", "", "{}", "trailing"},
	} {
		t.Run(string(c.m)+" "+c.name, func(t *testing.T) {
			good := string(s[c.m])
			badDoc := good + c.new
			if c.old != "" {
				require.Contains(t, good, c.old)
				badDoc = strings.Replace(good, c.old, c.new, 1)
			}
			r, err := Decode([]byte(badDoc))
			require.ErrorIs(t, err, ErrEncoding)
			require.Nil(t, r)
			require.Contains(t, err.Error(), c.wantInText)
		})
	}
}

func TestVerifyMismatch(t *testing.T) {
	p := (&profile{n: 3}).add(6, 1, 2).add(3, 1, 3).add(1, 3)
	r, err := Count(STV, 3, 2, p.raw)
	require.NoError(t, err)
	good, err := r.Encode()
	require.NoError(t, err)
	_, err = Verify(good, p.raw[1:])
	require.ErrorIs(t, err, ErrMismatch)
	require.Contains(t, err.Error(), "ballots")
	forged := bytes.Replace(good, []byte(`"3.33333333","1.666666665"`), []byte(`"3.333333331","1.666666664"`), 1)
	_, err = Verify(forged, p.raw)
	require.ErrorIs(t, err, ErrMismatch)
	require.Contains(t, err.Error(), "round 2")
	swapped := bytes.Replace(good, []byte(`"winners":[1,2]`), []byte(`"winners":[1,3]`), 1)
	_, err = Verify(swapped, p.raw)
	require.Error(t, err)
}

func FuzzDecode(f *testing.F) {
	for _, b := range sampleResults(f) {
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			require.Nil(t, r)
			return
		}
		again, err := r.Encode()
		require.NoError(t, err)
		require.Equal(t, data, again, "decode then encode is the identity")
		_ = r.Table(nil)
	})
}

// FuzzCount feeds arbitrary rankings: Count must not fail or panic, and its
// result must verify.
func FuzzCount(f *testing.F) {
	f.Add(byte(0), byte(3), byte(1), []byte{1, 2, 3, 2, 0, 1, 9, 0, 0})
	f.Add(byte(1), byte(5), byte(2), []byte{5, 4, 3, 2, 1, 1, 1, 0, 0, 0})
	f.Add(byte(2), byte(50), byte(3), []byte{50, 49, 48})
	f.Fuzz(func(t *testing.T, m, nb, sb byte, data []byte) {
		method := []Method{IRV, STV, Schulze}[int(m)%3]
		n := 1 + int(nb)%MaxOptions
		seats := min(1+int(sb)%(n+2), MaxSeats)
		if method == IRV {
			seats = 1
		}
		L := 1 + int(nb>>4)%n
		var raw [][]int
		for i := 0; i+L <= len(data); i += L {
			r := make([]int, L)
			for j := range r {
				r[j] = int(int8(data[i+j]))
			}
			raw = append(raw, r)
		}
		r, err := Count(method, n, seats, raw)
		require.NoError(t, err)
		b, err := r.Encode()
		require.NoError(t, err)
		_, err = Verify(b, raw)
		require.NoError(t, err)
	})
}
