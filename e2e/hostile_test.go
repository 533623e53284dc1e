package e2e

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/service"
)

// w1Manifest is a W1 election (one contest, one of two options), open
// from an hour ago for a day.
func w1Manifest(id string) []byte {
	now := time.Now().UTC()
	return fmt.Appendf(nil, `{"version":"tabella/v1","election_id":%q,"title":"W1","schedule":{"opens":%q,"closes":%q},`+
		`"contests":[{"id":"q","title":"Q","kind":"one_of_n","options":[{"id":"yes","title":"Yes"},{"id":"no","title":"No"}],"min_selections":1,"max_selections":1}]}`,
		id, now.Add(-time.Hour).Format(ballot.TimeLayout), now.Add(24*time.Hour).Format(ballot.TimeLayout))
}

// Hostile-traffic limits of the server under test: short timeouts so that
// slow clients are cut off within the test, and a websocket limit the
// test can reach.
const (
	hostileHeaderTimeout  = 2 * time.Second
	hostileRequestTimeout = 4 * time.Second
	hostileMaxStreams     = 300
	// hostileRSSLimit bounds the server's resident memory under attack.
	// The server holds: the election's state and caches (a few MiB for a
	// few hundred ballots), one goroutine and 2×4 KiB of buffers per
	// websocket (300: a few MiB), and at most one submission body of
	// MaxSubmissionJSON (8 MiB) per request being read (4 flood workers,
	// 8 voters: under 100 MiB even if every one were oversized), plus
	// the Go runtime's slack (GOGC 100: up to twice the live heap). A
	// server that buffered what slow clients send, or kept refused
	// connections, would pass this.
	hostileRSSLimit = 512 << 20
)

// TestHostileTraffic: `tabella serve` as its own process (its rate limits
// above the flood's rate, so that the flood reaches the checks), while
// `tabella loadtest --flood` casts valid ballots and floods invalid ones
// from another (each flood kind refused with its code, none accepted), is also
// hit by (b) slow-loris clients, which dribble their headers on four
// endpoints or their body on a submission and a GET, each cut off by the
// server (the connection closed from its side); (c) idle websockets up to
// the server's limit, then more, each refused with 503 and the code
// unavailable; (d) an oversized frame on the board feed and on the
// trustee socket, each closed with 1009 (message too big). Throughout, the
// server's resident memory stays under hostileRSSLimit. At the end every
// receipt is on the board, the board holds exactly the valid ballots, the
// counts equal what was cast and the record verifies.
func TestHostileTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	const voters, floodVoters = 300, 8
	r := startRealServe(t, voters, "", w1Manifest, []string{
		"--ip-rate", "1000000", "--cred-rate", "1000000",
		"--header-timeout", hostileHeaderTimeout.String(), "--request-timeout", hostileRequestTimeout.String(),
		"--max-streams", strconv.Itoa(hostileMaxStreams), "--max-streams-per-client", "100000",
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	// The server's memory, sampled until the end.
	pid := r.srv.Process.Pid
	var rssMu sync.Mutex
	maxRSS := uint64(0)
	sample := func() {
		if v, err := vmRSS(pid); err == nil {
			rssMu.Lock()
			maxRSS = max(maxRSS, v)
			rssMu.Unlock()
		}
	}
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go func() {
		for sampling.Err() == nil {
			sample()
			time.Sleep(100 * time.Millisecond)
		}
	}()

	l := startLoad(r, voters-floodVoters, 8, "--flood", "4", "--flood-voters", strconv.Itoa(floodVoters))
	require.Eventually(t, func() bool { return l.ballots() > 0 }, time.Minute, 20*time.Millisecond, "the load did not start:\n%s%s", &l.out, &l.errb)

	var wg sync.WaitGroup
	// (b) Slow-loris clients.
	host := r.addr
	slow := []struct{ name, head, body string }{
		{"headers of GET election", "GET /v1/elections/" + r.id + " HTTP/1.1\r\nHost: " + host + "\r\n", ""},
		{"headers of POST entries", "POST /v1/elections/" + r.id + "/entries HTTP/1.1\r\nHost: " + host + "\r\n", ""},
		{"headers of the feed", "GET /v1/elections/" + r.id + "/feed HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\n", ""},
		{"headers of the trustee socket", "GET /v1/elections/" + r.id + "/trustee HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\n", ""},
		{"body of POST entries", "POST /v1/elections/" + r.id + "/entries HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", `{"type":"ballot","payload":"`},
		{"body of GET election", "GET /v1/elections/" + r.id + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 100000\r\n\r\n", "x"},
	}
	slowErr := make([]error, len(slow))
	for i, s := range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slowErr[i] = slowLoris(ctx, host, s.head, s.body)
		}()
	}

	// (c) Idle websockets up to the limit, then more.
	trustees := len(r.clients)
	var idle []*websocket.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	in, err := service.NewClient(r.url).Info(ctx, r.id)
	require.NoError(t, err)
	feedURL := "ws://" + host + "/v1/elections/" + r.id + "/feed?from=" + strconv.FormatUint(in.Size, 10)
	for range hostileMaxStreams - trustees {
		c, resp, err := websocket.DefaultDialer.DialContext(ctx, feedURL, nil)
		require.NoError(t, err, "websocket %d of %d under the limit (the trustees hold %d): %s", len(idle)+1, hostileMaxStreams-trustees, trustees, respText(resp))
		idle = append(idle, c)
	}
	sample()
	for i := range 20 {
		_, resp, err := websocket.DefaultDialer.DialContext(ctx, feedURL, nil)
		require.ErrorIs(t, err, websocket.ErrBadHandshake, "websocket %d over the limit", i+1)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		var e service.ErrorJSON
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		resp.Body.Close()
		require.Equal(t, service.CodeUnavailable, e.Code)
		require.Contains(t, e.Message, "open streams")
		if i == 0 {
			t.Logf("websocket over the limit: %d %s: %s", resp.StatusCode, e.Code, e.Message)
		}
	}
	// The idle ones are still open (a read sees no close within a moment).
	_ = idle[0].SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	_, _, err = idle[0].NextReader()
	var ne net.Error
	if err != nil {
		require.True(t, errors.As(err, &ne) && ne.Timeout(), "an idle websocket was closed: %v", err)
	}
	for _, c := range idle {
		c.Close()
	}
	idle = nil
	// (d) Oversized frames: the feed reads at most 512 bytes, the trustee
	// socket at most coord.MaxClientMessage; the frame header says more.
	for _, o := range []struct {
		path string
		size uint64
	}{{"/v1/elections/" + r.id + "/feed?from=" + strconv.FormatUint(in.Size, 10), 1024}, {"/v1/elections/" + r.id + "/trustee", 64 << 20}} {
		// The slots of the idle ones free as the server sees them close.
		var c *websocket.Conn
		for i := 0; ; i++ {
			var resp *http.Response
			var err error
			c, resp, err = websocket.DefaultDialer.DialContext(ctx, "ws://"+host+o.path, nil)
			if err == nil {
				break
			}
			require.Less(t, i, 400, "dialing %s: %v %s", o.path, err, respText(resp))
			time.Sleep(50 * time.Millisecond)
		}
		_, err := c.NetConn().Write(oversizedFrameHeader(o.size))
		require.NoError(t, err)
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		for {
			_, _, err = c.ReadMessage()
			if err != nil {
				break
			}
		}
		var ce *websocket.CloseError
		require.ErrorAs(t, err, &ce, "%s: the server did not close with a close frame", o.path)
		require.Equal(t, websocket.CloseMessageTooBig, ce.Code, "%s: %v", o.path, ce)
		t.Logf("oversized frame on %s: closed with %d", o.path, ce.Code)
		c.Close()
	}

	wg.Wait()
	for i, s := range slow {
		require.NoError(t, slowErr[i], "slow-loris client on the %s", s.name)
	}
	sample()
	l.finish()
	checkFlood(t, l.out.String())
	require.Equal(t, uint64(voters-floodVoters), l.ballots(), "the board holds a ballot the load test did not cast validly")
	stopSampling()
	rssMu.Lock()
	defer rssMu.Unlock()
	t.Logf("the server's largest resident set: %.1f MiB (bound %d MiB)", float64(maxRSS)/(1<<20), hostileRSSLimit>>20)
	require.NotZero(t, maxRSS, "VmRSS was never read")
	require.Less(t, maxRSS, uint64(hostileRSSLimit))
	require.Nil(t, r.srv.ProcessState, "tabella serve exited under attack")
}

// slowLoris sends head on a connection to addr a byte at a time, then
// body likewise, every 200 ms, and waits for the server to close the
// connection. It fails if ctx ends first.
func slowLoris(ctx context.Context, addr, head, body string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	closed := make(chan string, 1)
	go func() {
		// Whatever the server answers, then its end of the connection.
		got, _ := io.ReadAll(bufio.NewReader(conn))
		closed <- string(got)
	}()
	data := head + body + strings.Repeat("a", 1<<20)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-closed:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("the server did not close the connection (%d bytes sent)", i)
		case <-tick.C:
			_, _ = conn.Write([]byte{data[i]}) // a failed write: the server closed; the reader sees it
		}
	}
}

// oversizedFrameHeader is the start of a masked text frame of size bytes
// (RFC 6455 §5.2) with a few bytes of its payload.
func oversizedFrameHeader(size uint64) []byte {
	b := []byte{0x81, 0x80 | 127}
	b = binary.BigEndian.AppendUint64(b, size)
	return append(b, 1, 2, 3, 4, 'x', 'x', 'x', 'x')
}

// vmRSS reads a process's resident set size from /proc.
func vmRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func respText(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	return resp.Status + " " + string(b)
}
