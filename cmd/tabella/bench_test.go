package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBenchRunsEveryWorkload runs `tabella bench` on tiny sizes: every
// workload ends with a figure, a floor and their ratio (the figures
// themselves are not judged here: timings belong to the benchmark).
func TestBenchRunsEveryWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a small election")
	}
	code, out, errOut := runCmd(t, "bench", "--quick", "--json", "--ballots", "40", "--clients", "4", "--appends", "2000")
	require.Equal(t, 0, code, "stderr:\n%s", errOut)
	var doc struct {
		CPUs int        `json:"cpus"`
		Rows []benchRow `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	var names []string
	for _, r := range doc.Rows {
		names = append(names, r.Workload)
		assert.Positive(t, r.Figure, r.Workload)
		assert.Positive(t, r.Floor, r.Workload)
		assert.Positive(t, r.Ratio, r.Workload)
		assert.NotEmpty(t, r.FloorIs, r.Workload)
	}
	assert.Equal(t, []string{"encrypt", "cast", "recount", "read", "verify", "append"}, names)
	assert.Contains(t, errOut, "bench: cast", "progress goes to stderr")
}

func TestBenchOnlyAndBadFlags(t *testing.T) {
	code, out, errOut := runCmd(t, "bench", "--only", "encrypt", "--quick")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "encrypt: W2 ballot with proofs")
	assert.NotContains(t, out, "cast:")
	code, _, errOut = runCmd(t, "bench", "--only", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unknown workload "nope"`)
	code, _, errOut = runCmd(t, "bench", "--workload", "W3", "--only", "cast")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "W1 or W2")
}

// TestBenchRecountAlone: --only recount fills the board through the
// service in process (no HTTP cast row) and reports the recount alone.
func TestBenchRecountAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a small election")
	}
	prof := t.TempDir() + "/recount.pprof"
	code, out, errOut := runCmd(t, "bench", "--only", "recount", "--json", "--ballots", "30", "--recount-cpuprofile", prof)
	require.Equal(t, 0, code, "stderr:\n%s", errOut)
	var doc struct {
		Rows []benchRow `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc.Rows, 1)
	assert.Equal(t, "recount", doc.Rows[0].Workload)
	assert.Positive(t, doc.Rows[0].Ratio)
	assert.Contains(t, errOut, "through the service, in process")
	assert.NotContains(t, errOut, "cast: casting")
	st, err := os.Stat(prof)
	require.NoError(t, err)
	assert.Positive(t, st.Size(), "the recount's CPU profile is written")
}

// TestBenchKeptBoard: --board-dir keeps the closed election's board, and
// a second run recounts that board without filling one (and refuses any
// other workload or size).
func TestBenchKeptBoard(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a small election")
	}
	dir := t.TempDir() + "/kept"
	code, _, errOut := runCmd(t, "bench", "--only", "recount", "--json", "--ballots", "20", "--board-dir", dir)
	require.Equal(t, 0, code, "stderr:\n%s", errOut)
	assert.Contains(t, errOut, "through the service, in process")
	code, out, errOut := runCmd(t, "bench", "--only", "recount", "--json", "--ballots", "20", "--board-dir", dir)
	require.Equal(t, 0, code, "stderr:\n%s", errOut)
	assert.Contains(t, errOut, "reusing the board of 20 W1 ballots")
	assert.NotContains(t, errOut, "filling the board")
	var doc struct {
		Rows []benchRow `json:"rows"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc.Rows, 1)
	assert.Equal(t, "recount", doc.Rows[0].Workload)
	assert.Positive(t, doc.Rows[0].Floor)

	code, _, errOut = runCmd(t, "bench", "--only", "recount,verify", "--ballots", "20", "--board-dir", dir)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "--only recount")
	code, _, errOut = runCmd(t, "bench", "--only", "recount", "--ballots", "30", "--board-dir", dir)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "has 20 W1 ballots")
}
