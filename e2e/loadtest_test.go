package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/e2e/service"
)

// TestLoadtest runs `tabella loadtest` as its own process against a real
// `tabella serve`: it casts one ballot per credential with random choices,
// waits for the result (the officials close, two trustees decrypt), and
// checks every receipt, the counts against what it cast, and the record.
func TestLoadtest(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	const voters = 40
	r := startReal(t, voters, nil)
	receipts := filepath.Join(r.dir, "receipts.jsonl")
	cmd := exec.Command(r.bin, "loadtest", "--server", r.url, "--election", r.id, "--credentials", filepath.Join(r.dir, "credentials"),
		"--concurrency", "8", "--duration", "2m", "--receipts", receipts, "--wait-result", "3m")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Once every ballot is on the board, the officials close and the
	// trustees decrypt, as in a real election.
	c := service.NewClient(r.url)
	require.Eventually(t, func() bool {
		in, err := c.Info(context.Background(), r.id)
		return err == nil && in.Ballots == voters
	}, 2*time.Minute, 100*time.Millisecond, "the load test's ballots did not all arrive:\n%s%s", &out, &errb)
	r.closeAndTally()
	select {
	case err := <-done:
		require.NoError(t, err, "tabella loadtest:\n%s%s", out.String(), errb.String())
	case <-time.After(3 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("tabella loadtest did not end:\n%s%s", out.String(), errb.String())
	}
	t.Logf("tabella loadtest:\n%s", out.String())
	for _, want := range []string{"40 ballots accepted", "every receipt is on the board", "published counts equal the 40 ballots cast", "the record verifies"} {
		require.Contains(t, out.String(), want)
	}
	data, err := os.ReadFile(receipts)
	require.NoError(t, err)
	require.Equal(t, voters, strings.Count(string(data), "\n"))
}
