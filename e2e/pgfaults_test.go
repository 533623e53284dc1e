package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/internal/cli"
	"github.com/tabella-vote/tabella/e2e/service"
)

// Fault tests on PostgreSQL: each starts a private PostgreSQL server
// (pgprivate_test.go) and drives the built `tabella serve` and `tabella
// loadtest` binaries as separate processes over loopback.

// startPGElection starts a private PostgreSQL and an open election of
// voters on a `tabella serve` over it.
func startPGElection(t *testing.T, voters int) (*privatePG, *realElection) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: builds tabella and runs PostgreSQL")
	}
	pg := startPrivatePG(t)
	return pg, startRealOn(t, voters, pg.DSN, nil)
}

// TestPostgresRestartDuringLoad: the PostgreSQL server under `tabella
// serve` crashes (pg_ctl stop -m immediate: no checkpoint, WAL replay on
// start) twice during a load and comes back a second later. The server
// process stays up, refuses what it cannot store as unavailable (which the
// load tester retries with the same bytes), reconnects, and at the end
// every receipt it gave is on the board, the counts equal what was cast
// and the record verifies.
func TestPostgresRestartDuringLoad(t *testing.T) {
	const voters = 300
	pg, r := startPGElection(t, voters)
	l := startLoad(r, voters, 16)
	var at []uint64
	for k := 1; k <= 2; k++ {
		want := uint64(k * voters / 3)
		require.Eventually(t, func() bool { return l.ballots() >= want }, 3*time.Minute, 5*time.Millisecond,
			"the load stalled before restart %d:\n%s%s", k, &l.out, &l.errb)
		at = append(at, l.ballots())
		pg.stop("immediate")
		time.Sleep(time.Second)
		pg.start()
		require.Nil(t, r.srv.ProcessState, "tabella serve exited when PostgreSQL went away")
	}
	t.Logf("PostgreSQL crashed and restarted at about %v ballots", at)
	r.reconnectTrustees()
	l.finish()
	require.Nil(t, r.srv.ProcessState)
	log, err := os.ReadFile(filepath.Join(r.dir, "server.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "unavailable", "the outage was seen and refused as unavailable")
}

// TestStoreReadOnly: the PostgreSQL server under load turns read-only
// (default_transaction_read_only, reloaded into the open sessions) for a
// few seconds. While it is, /readyz says 503, submissions are refused as
// unavailable with the database's reason and the board does not grow;
// nothing is acknowledged that is not stored (every receipt is on the
// board at the end). When it is writable again, /readyz says 200 and the
// load completes with every check of `tabella loadtest` passing.
//
// (A full disk is TestStoreFull's, on SQLite over a small tmpfs.)
func TestStoreReadOnly(t *testing.T) {
	const voters = 200
	pg, r := startPGElection(t, voters)
	ready := func() int {
		resp, err := http.Get(r.url + service.PathReady)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, ready())
	l := startLoad(r, voters, 8)
	require.Eventually(t, func() bool { return l.ballots() >= voters/4 }, 3*time.Minute, 5*time.Millisecond, "%s%s", &l.out, &l.errb)

	pg.setReadOnly(true)
	require.Eventually(t, func() bool { return ready() == http.StatusServiceUnavailable }, 30*time.Second, 50*time.Millisecond)
	// In-flight appends settle; then the board stays still.
	time.Sleep(500 * time.Millisecond)
	frozen := l.ballots()
	// An admitted ballot sent again (a voter's retry) is refused now,
	// with the database's reason, and gets its receipt once the store is
	// writable again.
	c := service.NewClient(r.url)
	bc, err := bulletin.NewClient(r.url, r.id, nil)
	require.NoError(t, err)
	es, err := bc.Entries(context.Background(), 0, 1000)
	require.NoError(t, err)
	var again service.Submission
	var againHash bulletin.Hash
	for _, e := range es {
		if e.Type == "ballot" {
			again, againHash = service.Submission{Type: e.Type, Payload: e.Payload, Signer: e.Signer, Signature: e.Signature}, e.Hash
			break
		}
	}
	require.NotEmpty(t, again.Payload, "no ballot on the board")
	_, err = c.Submit(context.Background(), r.id, again)
	var ae *service.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, service.CodeUnavailable, ae.Code)
	require.Contains(t, ae.Message, "read-only transaction")
	t.Logf("a submission while read-only: %v", err)
	time.Sleep(3 * time.Second)
	require.Equal(t, frozen, l.ballots(), "the board grew while the store was read-only")
	refused := metric(t, r.url, `tabella_submissions_refused_total{type="ballot",code="unavailable"}`)
	require.Greater(t, refused, 0.0, "no ballot was refused as unavailable")
	log, err := os.ReadFile(filepath.Join(r.dir, "server.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "read-only transaction", "the database's reason is in the log")
	t.Logf("read-only at %d ballots; %v ballot submissions refused as unavailable", frozen, refused)

	pg.setReadOnly(false)
	require.Eventually(t, func() bool { return ready() == http.StatusOK }, 30*time.Second, 50*time.Millisecond)
	rc, err := c.Submit(context.Background(), r.id, again)
	require.NoError(t, err)
	require.Equal(t, againHash, rc.Receipt.EntryHash, "the retry got another entry")
	l.finish()
}

// metric reads one sample from the server's /metrics.
func metric(t *testing.T, url, sample string) float64 {
	t.Helper()
	resp, err := http.Get(url + service.PathMetrics)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, sample+" "); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			require.NoError(t, err, l)
			return f
		}
	}
	return 0
}

// TestTwoServersOnePostgresUnderLoad: two `tabella serve` processes share
// one PostgreSQL; two `tabella loadtest` processes cast half of the roll
// each, one through each server, at the same time. Every receipt either
// gave is on the board as read through the other server; both servers
// see the same board; the officials' close is sent to both servers at
// once and exactly one election.close is on the board; after the tally
// the exported record has one linear chain (no gaps, no duplicates: the
// verifier checks it) with every voter's ballot once, and verifies.
func TestTwoServersOnePostgresUnderLoad(t *testing.T) {
	const voters = 300
	_, r := startPGElection(t, voters)
	var args []string
	for i := 1; i < len(r.serveArgs); i++ { // the first server's flags but --addr
		if r.serveArgs[i] == "--addr" {
			i++
			continue
		}
		args = append(args, r.serveArgs[i])
	}
	dirB := filepath.Join(r.dir, "b")
	require.NoError(t, os.Mkdir(dirB, 0o755))
	b := cli.Serve(t, r.bin, dirB, args...)
	urls := []string{r.url, b.URL}

	// Half the credentials for each load.
	files, err := filepath.Glob(filepath.Join(r.dir, "credentials", "voter-*.txt"))
	require.NoError(t, err)
	require.Len(t, files, voters)
	var loads []*exec.Cmd
	var outs []*bytes.Buffer
	for k := range 2 {
		dir := filepath.Join(r.dir, fmt.Sprintf("creds%d", k))
		require.NoError(t, os.Mkdir(dir, 0o755))
		for i := k; i < len(files); i += 2 {
			require.NoError(t, os.Link(files[i], filepath.Join(dir, filepath.Base(files[i]))))
		}
		cmd := exec.Command(r.bin, "loadtest", "--server", urls[k], "--election", r.id, "--credentials", dir,
			"--concurrency", "12", "--duration", "4m", "--receipts", filepath.Join(r.dir, fmt.Sprintf("receipts%d.jsonl", k)))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start())
		loads, outs = append(loads, cmd), append(outs, out)
	}
	for k, cmd := range loads {
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			require.NoError(t, err, "tabella loadtest through server %d:\n%s", k, outs[k])
		case <-time.After(5 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatalf("tabella loadtest through server %d did not end:\n%s", k, outs[k])
		}
		t.Logf("tabella loadtest through server %d:\n%s", k, outs[k])
		require.Contains(t, outs[k].String(), fmt.Sprintf("%d ballots accepted", voters/2))
		require.Contains(t, outs[k].String(), "every receipt is on the board")
	}

	// Each load's receipts, read back through the other server.
	ctx := context.Background()
	for k := range 2 {
		other, err := bulletin.NewClient(urls[1-k], r.id, &http.Client{Timeout: time.Minute})
		require.NoError(t, err)
		f, err := os.Open(filepath.Join(r.dir, fmt.Sprintf("receipts%d.jsonl", k)))
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		n := 0
		for sc.Scan() {
			var rc struct {
				Receipt *bulletin.Receipt `json:"receipt"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &rc), sc.Text())
			require.NotNil(t, rc.Receipt, sc.Text())
			e, err := other.Entry(ctx, rc.Receipt.Index)
			require.NoError(t, err)
			require.Equal(t, rc.Receipt.EntryHash, e.Hash, "receipt of entry %d from server %d", rc.Receipt.Index, k)
			n++
		}
		f.Close()
		require.Equal(t, voters/2, n)
	}
	var sizes [2]uint64
	for k, u := range urls {
		in, err := service.NewClient(u).Info(ctx, r.id)
		require.NoError(t, err)
		require.Equal(t, uint64(voters), in.Ballots, "ballots as server %d counts them", k)
		sizes[k] = in.Size
	}
	require.Equal(t, sizes[0], sizes[1], "the servers see boards of different sizes")

	// The officials' close, sent to both servers at once.
	pass := filepath.Join(r.dir, "pass")
	var wg sync.WaitGroup
	res := make([]cli.Result, 2)
	for k, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[k] = cli.Run(ctx, r.bin, "election", "close", "--server", u, "--key", filepath.Join(r.dir, "official.key"), "--passphrase-file", pass, "--election", r.id)
		}()
	}
	wg.Wait()
	require.True(t, res[0].Code == 0 || res[1].Code == 0, "neither close went through:\n%+v", res)
	r.closeAndTally()

	rec := filepath.Join(r.dir, "record.jsonl")
	cli.Must(t, ctx, r.bin, "export", "--server", b.URL, "--election", r.id, "--out", rec)
	out := cli.Must(t, ctx, r.bin, "verify", "--no-progress", rec)
	t.Logf("tabella verify of the record exported through server 2:\n%s", out)
	data, err := os.ReadFile(rec)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(data), `"type":"election.close"`), "election.close entries on the board")
	require.Equal(t, voters, strings.Count(string(data), `"type":"ballot"`), "ballot entries on the board")
}
