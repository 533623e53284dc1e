package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tabella-vote/tabella/e2e/record"
)

func TestClientKey(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name, remote, header, value, want string
		proxies                           []netip.Prefix
	}{
		{name: "direct IPv4", remote: "192.0.2.7:5000", want: "192.0.2.7"},
		{name: "IPv4-mapped", remote: "[::ffff:192.0.2.7]:5000", want: "192.0.2.7"},
		{name: "IPv6 keyed by its /64", remote: "[2001:db8:1:2:3:4:5:6]:443", want: "2001:db8:1:2::/64"},
		{name: "same /64, same key", remote: "[2001:db8:1:2:ffff::1]:443", want: "2001:db8:1:2::/64"},
		{name: "header ignored without a trusted proxy", remote: "192.0.2.7:1", header: "X-Forwarded-For", value: "198.51.100.1", want: "192.0.2.7"},
		{name: "header ignored from an untrusted peer", remote: "192.0.2.7:1", header: "X-Forwarded-For", value: "198.51.100.1", proxies: proxy, want: "192.0.2.7"},
		{name: "client behind a trusted proxy", remote: "10.1.1.1:1", header: "X-Forwarded-For", value: "198.51.100.1", proxies: proxy, want: "198.51.100.1"},
		{name: "spoofed leftmost hop is not believed", remote: "10.1.1.1:1", header: "X-Forwarded-For", value: "203.0.113.9, 198.51.100.1, 10.2.2.2", proxies: proxy, want: "198.51.100.1"},
		{name: "IPv6 client behind the proxy", remote: "[fd00::1]:1", header: "X-Forwarded-For", value: "2001:db8:9:9::1", proxies: proxy, want: "2001:db8:9:9::/64"},
		{name: "X-Real-IP", remote: "10.1.1.1:1", header: "X-Real-IP", value: "198.51.100.2", proxies: proxy, want: "198.51.100.2"},
		{name: "malformed hop keeps the proxy", remote: "10.1.1.1:1", header: "X-Forwarded-For", value: "not-an-ip", proxies: proxy, want: "10.1.1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := HTTPOptions{TrustedProxies: tc.proxies}
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.RemoteAddr = tc.remote
			if tc.header != "" {
				o.ClientIPHeader = tc.header
				r.Header.Set(tc.header, tc.value)
			}
			assert.Equal(t, tc.want, o.ClientKey(r))
		})
	}
}

// TestRateLimitRefusalsSampled: a flood of refused submissions from one
// address costs the log one Warn line a second, which counts them.
func TestRateLimitRefusalsSampled(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	logs := &lockedBuffer{}
	h.svc.log = slog.New(slog.NewTextHandler(logs, nil))
	srv := httptest.NewServer(h.svc.Handler(HTTPOptions{IPRate: 0.001, IPBurst: 1}))
	defer srv.Close()
	c := NewClient(srv.URL)
	refused := 0
	for range 50 {
		_, err := c.Submit(ctx, h.id, h.off.Sign(h.id, record.TypeOpen, PhasePayload(h.id)))
		var ae *APIError
		if err != nil && errors.As(err, &ae) && ae.Code == CodeRateLimited {
			refused++
		}
	}
	require.GreaterOrEqual(t, refused, 49)
	out := logs.String()
	lines := strings.Count(out, "requests rate limited")
	require.GreaterOrEqual(t, lines, 1)
	require.Less(t, lines, 5, "one line per refusal:\n%s", out)
	require.Contains(t, out, "level=WARN")
	require.NotContains(t, out, "request rejected method=POST path=/v1/elections/e1/entries code=rate_limited")
}

// TestStreamLimits: websockets (the board feed here) beyond the limit per
// address are refused before the upgrade with rate_limited and a message
// saying so, beyond the total with unavailable; a closed stream frees its
// slot.
func TestStreamLimits(t *testing.T) {
	h := newHarness(t, 1, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	srv := httptest.NewServer(h.svc.Handler(HTTPOptions{MaxStreams: 5, MaxStreamsPerClient: 3}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/elections/" + h.id + "/feed?from=0"
	dial := func() (*websocket.Conn, *http.Response, error) { return websocket.DefaultDialer.Dial(url, nil) }
	var open []*websocket.Conn
	for range 3 {
		c, _, err := dial()
		require.NoError(t, err)
		open = append(open, c)
	}
	_, resp, err := dial()
	require.Error(t, err)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	var ej ErrorJSON
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ej))
	assert.Equal(t, CodeRateLimited, ej.Code)
	assert.Contains(t, ej.Message, "open streams, the limit per address")
	open[0].Close()
	require.Eventually(t, func() bool {
		c, _, err := dial()
		if err != nil {
			return false
		}
		open[0] = c
		return true
	}, 5*time.Second, 20*time.Millisecond, "a closed stream's slot is not freed")

	// The total: two more clients (other addresses) reach it.
	s := &streams{max: 5, perClient: 3, by: map[string]int{}}
	for _, k := range []string{"a", "a", "a", "b", "b"} {
		require.NoError(t, s.acquire(k))
	}
	require.ErrorIs(t, s.acquire("c"), ErrUnavailable)
	s.release("b")
	require.NoError(t, s.acquire("c"))
	require.ErrorIs(t, s.acquire("a"), ErrUnavailable)
	for _, c := range open {
		c.Close()
	}
}
