package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
)

// mountTmpfs mounts a tmpfs of size bytes at dir, unmounted at the end of
// the test. It needs root: without it the test is skipped, except in CI
// (CI=true), where it fails; so does a mount that fails.
func mountTmpfs(t *testing.T, dir string, size int64) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("mounting a tmpfs needs root, and CI runs the tests as root")
		}
		t.Skip("mounting a tmpfs needs root")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	require.NoError(t, err, "mount -t tmpfs: %s", out)
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// freeBytes is the space left on dir's filesystem.
func freeBytes(t *testing.T, dir string) int64 {
	var st syscall.Statfs_t
	require.NoError(t, syscall.Statfs(dir, &st))
	return int64(st.Bavail) * st.Bsize
}

// TestStoreFull: the SQLite store of `tabella serve` is on a small tmpfs,
// and a filler file leaves it little room. `tabella loadtest` casts until
// the filesystem is full: the board then stops growing, and a ballot is
// refused with 503 and the code unavailable, saying that the store is
// full. Nothing is acknowledged that is not stored. When the filler is
// deleted, the same server (not restarted) takes the ballots again: the
// load test's retries (the same bytes) complete, every receipt it got is
// on the board, the counts equal what it cast and the record verifies.
func TestStoreFull(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	mnt := filepath.Join(t.TempDir(), "store")
	mountTmpfs(t, mnt, 32<<20)
	const voters, probes = 300, 1
	r := startRealServe(t, voters, "sqlite:"+filepath.Join(mnt, "board.db"), w1Manifest, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The last voter casts no valid ballot in the load: its ballot probes
	// the full store.
	credDir := filepath.Join(r.dir, "credentials")
	probeFile := filepath.Join(r.dir, fmt.Sprintf("voter-%06d.txt", voters))
	require.NoError(t, os.Rename(filepath.Join(credDir, fmt.Sprintf("voter-%06d.txt", voters)), probeFile))
	c := service.NewClient(r.url)
	in, err := c.Info(ctx, r.id)
	require.NoError(t, err)
	el, err := in.Election()
	require.NoError(t, err)
	cred, err := ballot.ParseCredential(r.creds[voters-1])
	require.NoError(t, err)
	pb, _, err := ballot.Encrypt(el, cred, ballot.Choices{"q": {1, 0}})
	require.NoError(t, err)
	payload, err := pb.Encode()
	require.NoError(t, err)
	probe := service.Submission{Type: record.TypeBallot, Payload: payload, Signer: (&record.Signer{Kind: record.Voter, Key: cred.Public().Bytes()}).Bytes()}

	// Leave about 300 KiB: room for a hundred-odd W1 ballots, not for all.
	filler := filepath.Join(mnt, "filler")
	fill := freeBytes(t, mnt) - 300<<10
	require.NoError(t, os.WriteFile(filler, make([]byte, fill), 0o644))
	t.Logf("the store's filesystem: %d bytes free after the setup and the filler", freeBytes(t, mnt))

	l := startLoad(r, voters-probes, 8)
	// Full: the board stops growing short of the load.
	var frozen uint64
	for stillFor := 0; stillFor < 20; { // 20 × 100 ms without growth
		require.NoError(t, ctx.Err(), "the board never stopped growing")
		time.Sleep(100 * time.Millisecond)
		n := l.ballots()
		require.Less(t, n, uint64(voters-probes), "every ballot fitted: the filesystem never filled:\n%s%s", &l.out, &l.errb)
		if n == frozen && n > 0 {
			stillFor++
		} else {
			frozen, stillFor = n, 0
		}
	}
	t.Logf("the store filled at %d of %d ballots (%d bytes free)", frozen, voters-probes, freeBytes(t, mnt))
	_, err = c.Submit(ctx, r.id, probe)
	var ae *service.APIError
	require.True(t, errors.As(err, &ae), "a ballot while the store is full: %v", err)
	require.Equal(t, 503, ae.Status)
	require.Equal(t, service.CodeUnavailable, ae.Code)
	require.Contains(t, ae.Message, "full")
	t.Logf("a ballot while the store is full: %d %s: %s", ae.Status, ae.Code, ae.Message)
	require.Equal(t, frozen, l.ballots(), "the board grew while the store was full")
	// Not ready: an append just failed in the store and none succeeded
	// since (a balancer takes the node out).
	status, body := getStatus(t, r.url+service.PathReady)
	require.Equal(t, http.StatusServiceUnavailable, status, body)
	require.Contains(t, body, `"code":"unavailable"`)
	t.Logf("/readyz while the store is full: %d %s", status, body)
	require.Nil(t, r.srv.ProcessState, "tabella serve exited when the store filled")

	// Space returns; the same server takes the ballots again.
	require.NoError(t, os.Remove(filler))
	l.finish()
	require.Nil(t, r.srv.ProcessState)
	status, body = getStatus(t, r.url+service.PathReady)
	require.Equal(t, http.StatusOK, status, "/readyz once the ballots are stored again: %s", body)
	log, err := os.ReadFile(filepath.Join(r.dir, "server.log"))
	require.NoError(t, err)
	require.True(t, strings.Contains(string(log), "full"), "the server log does not say the store was full")
}

// getStatus GETs url and returns the status and body.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.TrimSpace(string(b))
}
