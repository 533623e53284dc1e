package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFloodReport: the flood's report passes refusals with the kind's
// code or for load, and fails on an accepted submission (loudly) and on
// another code.
func TestFloodReport(t *testing.T) {
	rep := func(answers map[string]int, accepted int) *floodReport {
		return &floodReport{
			kinds:   []*floodKind{{name: "bad_proof", want: "bad_proof"}},
			tallies: []*floodTally{{answers: answers, accepted: accepted, sent: accepted + len(answers)}},
			elapsed: time.Second, workers: 1,
		}
	}
	var out bytes.Buffer
	failed := rep(map[string]int{"400 bad_proof": 5, "429 rate_limited": 2, "503 unavailable": 1, "network": 1}, 0).print(&out)
	require.Empty(t, failed, out.String())
	require.Contains(t, out.String(), "400 bad_proof ×5")

	out.Reset()
	failed = rep(map[string]int{"400 bad_proof": 5}, 3).print(&out)
	require.Len(t, failed, 1)
	require.Contains(t, failed[0], "FLOOD ACCEPTED")
	require.Contains(t, out.String(), "ACCEPTED (200) ×3")
	require.Contains(t, out.String(), "the server ACCEPTED 3 invalid flood submissions")

	out.Reset()
	failed = rep(map[string]int{"500 internal": 2, "403 bad_signature": 1}, 0).print(&out)
	require.Len(t, failed, 2)
	require.Contains(t, failed[0]+failed[1], `"500 internal"`)
	require.Contains(t, failed[0]+failed[1], `"403 bad_signature"`)
}
