package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/e2e/service"
)

// A loadRun is `tabella loadtest` running as its own process against r,
// one ballot per voter, waiting for the result at the end.
type loadRun struct {
	r         *realElection
	voters    int // the valid ballots the load test casts
	receipts  string
	cmd       *exec.Cmd
	out, errb bytes.Buffer
	done      chan error
}

func startLoad(r *realElection, voters, concurrency int, extra ...string) *loadRun {
	r.t.Helper()
	l := &loadRun{r: r, voters: voters, receipts: filepath.Join(r.dir, "receipts.jsonl"), done: make(chan error, 1)}
	args := []string{"loadtest", "--server", r.url, "--election", r.id, "--credentials", filepath.Join(r.dir, "credentials"),
		"--concurrency", fmt.Sprint(concurrency), "--duration", "4m", "--receipts", l.receipts, "--wait-result", "4m"}
	l.cmd = exec.Command(r.bin, append(args, extra...)...)
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.errb
	require.NoError(r.t, l.cmd.Start())
	go func() { l.done <- l.cmd.Wait() }()
	return l
}

// ballots is the election's ballot count as the server reports it (0 if
// it does not answer).
func (l *loadRun) ballots() uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	in, err := service.NewClient(l.r.url).Info(ctx, l.r.id)
	if err != nil {
		return 0
	}
	return in.Ballots
}

// finish waits for every ballot, has the officials close and the trustees
// decrypt, and checks what the load test reported and wrote.
func (l *loadRun) finish() {
	t := l.r.t
	t.Helper()
	require.Eventually(t, func() bool { return l.ballots() == uint64(l.voters) }, 3*time.Minute, 50*time.Millisecond,
		"the load test's ballots did not all arrive:\n%s%s", &l.out, &l.errb)
	l.r.closeAndTally()
	select {
	case err := <-l.done:
		require.NoError(t, err, "tabella loadtest:\n%s%s", l.out.String(), l.errb.String())
	case <-time.After(4 * time.Minute):
		_ = l.cmd.Process.Kill()
		t.Fatalf("tabella loadtest did not end:\n%s%s", l.out.String(), l.errb.String())
	}
	t.Logf("tabella loadtest:\n%s", l.out.String())
	for _, want := range []string{fmt.Sprintf("%d ballots accepted", l.voters), "every receipt is on the board",
		fmt.Sprintf("published counts equal the %d ballots cast", l.voters), "the record verifies"} {
		require.Contains(t, l.out.String(), want)
	}
	data, err := os.ReadFile(l.receipts)
	require.NoError(t, err)
	require.Equal(t, l.voters, strings.Count(string(data), "\n"))
}

// TestLoadtest runs `tabella loadtest` as its own process against a real
// `tabella serve`: it casts one ballot per credential with random choices,
// waits for the result (the officials close, two trustees decrypt), and
// checks every receipt, the counts against what it cast, and the record.
func TestLoadtest(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	const voters = 40
	startLoad(startReal(t, voters, nil), voters, 8).finish()
}

// restartWith restarts r's server with extra flags (the trustees' sockets
// are reconnected).
func (r *realElection) restartWith(flags ...string) {
	r.t.Helper()
	r.stopServer(os.Interrupt)
	r.serveArgs = append(r.serveArgs, flags...)
	r.startServer()
	r.reconnectTrustees()
}

// floodLine matches a kind's line of the flood report: the kind, the
// number sent, the code wanted and the answers.
var floodLine = regexp.MustCompile(`(?m)^  (\w+) +(\d+) sent, want (\w+) +got (.*)$`)

// checkFlood checks the flood report of a load test's output: every kind
// was sent and refused with its code (some also for load), none accepted.
func checkFlood(t *testing.T, out string) {
	t.Helper()
	require.Contains(t, out, "invalid submissions in")
	require.NotContains(t, out, "ACCEPTED")
	kinds := floodLine.FindAllStringSubmatch(out, -1)
	require.Len(t, kinds, 5, "the five kinds of the flood:\n%s", out)
	status := map[string]string{"bad_proof": "400", "bad_signature": "403", "not_on_roll": "403", "too_large": "413", "malformed": "400"}
	for _, k := range kinds {
		require.NotEqual(t, "0", k[2], "no %s submission was sent", k[1])
		require.Contains(t, k[4], status[k[3]]+" "+k[3]+" ×", "%s: not refused as %s %s", k[1], status[k[3]], k[3])
	}
}
