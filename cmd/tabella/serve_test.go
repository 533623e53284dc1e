package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestServeOperatorEndpoints runs `tabella serve` from a configuration
// file with JSON logs: /healthz and /readyz answer 200, /metrics counts
// the HTTP connection it is served on and a refused submission, and every
// line the server logs is a JSON object with time, level and msg.
func TestServeOperatorEndpoints(t *testing.T) {
	dir := t.TempDir()
	addrFile := filepath.Join(dir, "addr")
	conf := filepath.Join(dir, "serve.conf")
	require.NoError(t, os.WriteFile(conf, []byte(strings.Join([]string{
		"# a test configuration",
		"store = sqlite:" + filepath.Join(dir, "b.db"),
		"addr = 127.0.0.1:0",
		"addr-file = " + addrFile,
		"board-key = " + filepath.Join(dir, "board.key"),
		"board-name = ops.test",
		"json-logs = true",
		"log-level = debug",
	}, "\n")+"\n"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}, []string{"serve", "--config", conf})
	}()
	var url string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(addrFile)
		url = "http://" + strings.TrimSpace(string(b))
		return err == nil && len(b) > 0
	}, 2*time.Minute, 10*time.Millisecond, "serve did not start: %s", &stderr)

	get := func(path string) (int, string) {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	require.Equal(t, http.StatusOK, code, body)
	code, body = get("/readyz")
	require.Equal(t, http.StatusOK, code, body)
	resp, err := http.Post(url+"/v1/elections/e1/entries", "application/json", strings.NewReader("{"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	code, body = get("/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `tabella_submissions_refused_total{type="unknown",code="malformed"} 1`+"\n")
	require.NotContains(t, body, `tabella_open_connections{kind="http"} 0`+"\n", "the scrape's connection is open")

	cancel()
	select {
	case c := <-done:
		require.Equal(t, 0, c, "%s", &stderr)
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not shut down")
	}
	msgs := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec), "a log line that is not JSON: %q", l)
		for _, k := range []string{"time", "level", "msg"} {
			require.Contains(t, rec, k, l)
		}
		msgs[rec["msg"].(string)] = true
	}
	for _, m := range []string{"created the board key", "no --official or --officials: nobody can set up a new election on this server", "serving", "request rejected", "shutting down"} {
		require.True(t, msgs[m], "no %q in the log:\n%s", m, &stderr)
	}
}
