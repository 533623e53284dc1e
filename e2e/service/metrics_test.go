package service

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
)

// sampleLine is one sample of the text exposition format: a metric name,
// optional labels and a value.
var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (\S+)$`)

// parseMetrics checks the text format strictly (every metric family has
// HELP and TYPE before its samples, every line is a comment or a sample
// with a float value, no sample twice) and returns the samples by
// name{labels}.
func parseMetrics(t *testing.T, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	typed := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		l := sc.Text()
		if rest, ok := strings.CutPrefix(l, "# TYPE "); ok {
			f := strings.Fields(rest)
			require.Len(t, f, 2, l)
			require.Contains(t, []string{"counter", "gauge", "histogram"}, f[1], l)
			typed[f[0]] = f[1]
			continue
		}
		if strings.HasPrefix(l, "# HELP ") {
			continue
		}
		m := sampleLine.FindStringSubmatch(l)
		require.NotNil(t, m, "not a sample line: %q", l)
		family := m[1]
		if typed[family] == "" {
			for _, suf := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(family, suf); ok && typed[b] == "histogram" {
					family = b
				}
			}
		}
		require.NotEmpty(t, typed[family], "sample before its TYPE: %q", l)
		v, err := strconv.ParseFloat(m[3], 64)
		require.NoError(t, err, l)
		key := m[1] + m[2]
		_, dup := out[key]
		require.False(t, dup, "sample twice: %q", key)
		out[key] = v
	}
	return out
}

func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + PathMetrics)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/plain; version=0.0.4; charset=utf-8", resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return parseMetrics(t, string(b))
}

// TestMetrics: /metrics counts what was admitted and refused by type and
// code (refusals of the HTTP layer included), times the appends, shows
// the verification queue and the open connections by kind.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 4, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	srv := httptest.NewUnstartedServer(h.svc.Handler(HTTPOptions{CredRate: 1000, CredBurst: 1000}))
	srv.Config.ConnState = h.svc.ConnState
	srv.Start()
	defer srv.Close()
	c := NewClient(srv.URL)
	before := scrape(t, srv.URL)
	h.post(record.TypeOpen, PhasePayload(h.id))

	for i := range 3 {
		_, data, _ := h.ballot(i, i%2)
		_, err := c.Submit(ctx, h.id, voterSub(h.creds[i].Public(), record.TypeBallot, data))
		require.NoError(t, err)
	}
	for i := range 2 {
		b, _, _ := h.ballot(3, 0)
		b.Contests[0].SumProof.Z[0] = b.Contests[0].SumProof.Z[0].Add(group.NewScalar(uint64(i + 1)))
		data, err := b.Encode()
		require.NoError(t, err)
		_, err = c.Submit(ctx, h.id, voterSub(h.creds[3].Public(), record.TypeBallot, data))
		wantCode(t, err, CodeBadProof)
	}
	resp, err := http.Post(srv.URL+"/v1/elections/"+h.id+"/entries", "application/json", strings.NewReader(`{"type":`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	_, err = c.Submit(ctx, h.id, Submission{Type: "no.such.type", Payload: []byte("{}")})
	require.Error(t, err)

	// A feed websocket is counted while it is open.
	bc, err := bulletin.NewClient(srv.URL, h.id, nil)
	require.NoError(t, err)
	feed, err := bc.Feed(ctx, 0)
	require.NoError(t, err)
	_, err = feed.Next()
	require.NoError(t, err)
	m := scrape(t, srv.URL)
	require.Equal(t, 1.0, m[`tabella_open_connections{kind="feed"}`])
	require.GreaterOrEqual(t, m[`tabella_open_connections{kind="http"}`], 1.0, "the scrape's own connection")
	require.Equal(t, 0.0, m[`tabella_open_connections{kind="trustee"}`])
	require.NoError(t, feed.Close())
	require.Eventually(t, func() bool { return scrape(t, srv.URL)[`tabella_open_connections{kind="feed"}`] == 0 }, 10*time.Second, 20*time.Millisecond)

	require.Equal(t, 3.0, m[`tabella_submissions_admitted_total{type="ballot"}`])
	require.Equal(t, 1.0, m[`tabella_submissions_admitted_total{type="election.open"}`]-before[`tabella_submissions_admitted_total{type="election.open"}`])
	require.Equal(t, 2.0, m[`tabella_submissions_refused_total{type="ballot",code="bad_proof"}`])
	require.Equal(t, 1.0, m[`tabella_submissions_refused_total{type="unknown",code="malformed"}`])
	require.Equal(t, 1.0, m[`tabella_submissions_refused_total{type="other",code="malformed"}`], "an unknown type is counted as other")
	require.Equal(t, 4096.0, m[`tabella_verify_queue_capacity`])
	require.Equal(t, 0.0, m[`tabella_verify_queue_depth`])
	require.Greater(t, m[`go_goroutines`], 0.0)

	// The histogram: cumulative buckets, +Inf equal to the count, which
	// counts every append of this process (admitted or not).
	n := m[`tabella_append_duration_seconds_count`]
	require.GreaterOrEqual(t, n, 4.0)
	prev := 0.0
	for _, b := range appendBuckets {
		v := m[fmt.Sprintf(`tabella_append_duration_seconds_bucket{le="%s"}`, formatFloat(b))]
		require.GreaterOrEqual(t, v, prev)
		prev = v
	}
	require.Equal(t, n, m[`tabella_append_duration_seconds_bucket{le="+Inf"}`])
	require.Greater(t, m[`tabella_append_duration_seconds_sum`], 0.0)
}

// TestMetricLabelsBounded: submissions of made-up types do not add label
// values (a flood cannot grow /metrics).
func TestMetricLabelsBounded(t *testing.T) {
	m := newMetrics()
	for i := range 100 {
		m.submitted(fmt.Sprintf("made.up%d", i), ErrMalformed)
	}
	m.submitted("", ErrTooLarge)
	require.Len(t, m.refused, 2)
	require.Equal(t, uint64(100), m.refused[[2]string{"other", CodeMalformed}])
	require.Equal(t, uint64(1), m.refused[[2]string{"unknown", CodeTooLarge}])
	require.Equal(t, `"a\\b\"c\nd"`, quoteLabel("a\\b\"c\nd"))
}

// TestReady: /readyz is 200 while the store accepts writes, 503 with
// code unavailable while another process holds the SQLite write lock for
// longer than the probe's timeout, 200 again once it lets go, and 503
// after the service closed; /healthz stays 200 throughout.
func TestReady(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "board.db")
	h := newHarnessDSN(t, dsn, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	srv := httptest.NewServer(h.svc.Handler(HTTPOptions{ReadyTimeout: 300 * time.Millisecond}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get(PathReady)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "ready\n", body)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "board.db")+"?_pragma=busy_timeout(0)")
	require.NoError(t, err)
	defer db.Close()
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	require.NoError(t, err)
	code, body = get(PathReady)
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	require.Contains(t, body, `"code":"unavailable"`)
	require.Contains(t, body, "the store does not accept writes")
	require.NotContains(t, body, dir, "the store's detail stays in the log")
	code, _ = get(PathHealth)
	require.Equal(t, http.StatusOK, code)
	_, err = conn.ExecContext(context.Background(), "ROLLBACK")
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	code, body = get(PathReady)
	require.Equal(t, http.StatusOK, code, body)

	require.NoError(t, h.svc.Close())
	code, body = get(PathReady)
	require.Equal(t, http.StatusServiceUnavailable, code, body)
}

// TestAppendHealth: a failed commit makes the service not ready for
// appendFailWindow, unless an append succeeds after it.
func TestAppendHealth(t *testing.T) {
	var a appendHealth
	require.NoError(t, a.recentFailure())
	a.record(errors.New("database or disk is full"))
	err := a.recentFailure()
	require.Error(t, err)
	require.Contains(t, err.Error(), "database or disk is full")
	a.record(nil)
	require.NoError(t, a.recentFailure(), "an append succeeded after the failure")
	a.record(errors.New("database or disk is full"))
	a.failedAt = time.Now().Add(-appendFailWindow - time.Second)
	require.NoError(t, a.recentFailure(), "the failure is older than the window")
}
