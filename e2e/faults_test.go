package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/e2e/service"
)

// TestKillServerDuringLoad: `tabella serve` is killed with SIGKILL five
// times, at random moments of a load that `tabella loadtest` drives from
// its own process, and restarted at the same address each time. The load
// test retries what went unanswered with the same bytes; at the end every
// receipt it was given must be on the board (the board never acknowledged
// a ballot it then lost, and a retry never made a second entry), the
// counts must equal what it cast, and the record must verify.
func TestKillServerDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	const voters, kills = 400, 5
	r := startReal(t, voters, nil)
	receipts := filepath.Join(r.dir, "receipts.jsonl")
	cmd := exec.Command(r.bin, "loadtest", "--server", r.url, "--election", r.id, "--credentials", filepath.Join(r.dir, "credentials"),
		"--concurrency", "16", "--duration", "4m", "--receipts", receipts, "--wait-result", "4m")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	c := service.NewClient(r.url)
	ballots := func() uint64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		in, err := c.Info(ctx, r.id)
		if err != nil {
			return 0
		}
		return in.Ballots
	}
	var at []uint64
	prev := uint64(0)
	for k := 0; k < kills; k++ {
		// Spread over the load, at a random point of each stretch.
		stretch := uint64(voters / (kills + 1))
		next := max(prev+1, uint64(k)*stretch+uint64(rand.IntN(int(stretch)))+10)
		require.Eventually(t, func() bool { return ballots() >= next }, 3*time.Minute, 5*time.Millisecond,
			"the load stalled before kill %d:\n%s%s", k+1, &out, &errb)
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		n := ballots()
		r.stopServer(os.Kill)
		at, prev = append(at, n), n
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		r.startServer()
	}
	t.Logf("killed the server with SIGKILL at about %v ballots", at)
	require.Eventually(t, func() bool { return ballots() == voters }, 3*time.Minute, 50*time.Millisecond,
		"not every ballot arrived after the restarts:\n%s%s", &out, &errb)
	// The trustees' sockets were cut by the kills: decrypt over new ones.
	r.reconnectTrustees()
	r.closeAndTally()
	select {
	case err := <-done:
		require.NoError(t, err, "tabella loadtest:\n%s%s", out.String(), errb.String())
	case <-time.After(4 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("tabella loadtest did not end:\n%s%s", out.String(), errb.String())
	}
	t.Logf("tabella loadtest:\n%s", out.String())
	for _, want := range []string{fmt.Sprintf("%d ballots accepted", voters), "every receipt is on the board",
		fmt.Sprintf("published counts equal the %d ballots cast", voters), "the record verifies"} {
		require.Contains(t, out.String(), want)
	}
	data, err := os.ReadFile(receipts)
	require.NoError(t, err)
	require.Equal(t, voters, strings.Count(string(data), "\n"))
}
