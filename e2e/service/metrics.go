package service

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabella-vote/tabella/e2e/record"
)

// Metrics of the service, served at GET /metrics in the Prometheus text
// exposition format (version 0.0.4). The format is a few lines of text
// per metric, so it is written here rather than with a client library
// (none is among the project's dependencies, and one would bring a dozen
// modules for what is below).
//
//	tabella_submissions_admitted_total{type}      counter
//	tabella_submissions_refused_total{type,code}  counter
//	tabella_append_duration_seconds               histogram (board append, group commit included)
//	tabella_verify_queue_depth                    gauge; tabella_verify_queue_capacity gauge
//	tabella_open_connections{kind}                gauge: kind http (TCP connections), feed, trustee (websockets)
//	go_goroutines, go_memstats_heap_inuse_bytes   gauges
//
// Label values come from fixed sets: the entry types of e2e/SPEC.md §11
// (others are "other", a body that does not decode "unknown") and the
// error codes of [ErrorCode], so hostile input cannot grow the label set.

// PathMetrics, PathReady: the monitoring endpoints.
const (
	PathMetrics = "/metrics"
	PathReady   = "/readyz"
)

// Connection kinds of tabella_open_connections.
const (
	ConnHTTP    = "http"
	ConnFeed    = "feed"
	ConnTrustee = "trustee"
)

// appendBuckets are the upper bounds (seconds) of the append latency
// histogram: a group commit takes a few milliseconds on a local disk.
var appendBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// knownTypes are the entry types counted under their own label.
var knownTypes = []string{record.TypeSetup, record.TypeManifest, record.TypeRollVoters, record.TypeRollSeal, record.TypeCeremony,
	record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer, record.TypeCeremonyEnd, record.TypeOpen,
	record.TypeBallot, record.TypeSpoiled, record.TypeClose, record.TypeShare, record.TypeResult}

// typeLabel maps an entry type to its label value.
func typeLabel(t string) string {
	switch {
	case t == "":
		return "unknown"
	case slices.Contains(knownTypes, t):
		return t
	}
	return "other"
}

type metrics struct {
	mu       sync.Mutex
	admitted map[string]uint64
	refused  map[[2]string]uint64 // type, code
	appendH  histogram
	conns    map[string]*atomic.Int64
}

func newMetrics() *metrics {
	m := &metrics{admitted: map[string]uint64{}, refused: map[[2]string]uint64{}, appendH: histogram{bounds: appendBuckets, counts: make([]uint64, len(appendBuckets))},
		conns: map[string]*atomic.Int64{}}
	for _, k := range []string{ConnHTTP, ConnFeed, ConnTrustee} {
		m.conns[k] = new(atomic.Int64)
	}
	return m
}

// submitted counts the outcome of one submission of entry type typ.
func (m *metrics) submitted(typ string, err error) {
	l := typeLabel(typ)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		m.admitted[l]++
		return
	}
	code, _ := ErrorCode(err)
	m.refused[[2]string{l, code}]++
}

func (m *metrics) observeAppend(d time.Duration) {
	m.mu.Lock()
	m.appendH.observe(d.Seconds())
	m.mu.Unlock()
}

// conn adjusts the open connections of a kind.
func (m *metrics) conn(kind string, delta int64) { m.conns[kind].Add(delta) }

// A histogram counts observations into buckets (not cumulative here;
// cumulated when written).
type histogram struct {
	bounds []float64
	counts []uint64
	inf    uint64 // over the last bound
	sum    float64
	n      uint64
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(h.bounds, v) // first bound >= v
	if i < len(h.bounds) {
		h.counts[i]++
	} else {
		h.inf++
	}
	h.sum += v
	h.n++
}

// ConnState is an http.Server ConnState hook counting the open HTTP
// connections (a hijacked connection is a websocket, counted by its own
// kind while it lasts).
func (s *Service) ConnState(_ net.Conn, st http.ConnState) {
	switch st {
	case http.StateNew:
		s.metrics.conn(ConnHTTP, 1)
	case http.StateHijacked, http.StateClosed:
		s.metrics.conn(ConnHTTP, -1)
	}
}

// WriteMetrics writes the service's metrics in the Prometheus text format.
func (s *Service) WriteMetrics(w *bytes.Buffer) {
	m := s.metrics
	head := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	m.mu.Lock()
	head("tabella_submissions_admitted_total", "counter", "Submissions appended to the board, by entry type.")
	for _, k := range sortedKeys(m.admitted, func(a, b string) int { return strings.Compare(a, b) }) {
		fmt.Fprintf(w, "tabella_submissions_admitted_total{type=%s} %d\n", quoteLabel(k), m.admitted[k])
	}
	head("tabella_submissions_refused_total", "counter", "Submissions refused, by entry type and error code.")
	for _, k := range sortedKeys(m.refused, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) }) {
		fmt.Fprintf(w, "tabella_submissions_refused_total{type=%s,code=%s} %d\n", quoteLabel(k[0]), quoteLabel(k[1]), m.refused[k])
	}
	head("tabella_append_duration_seconds", "histogram", "Time of a board append (the group commit included), successful or not.")
	h := &m.appendH
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "tabella_append_duration_seconds_bucket{le=%q} %d\n", formatFloat(b), cum)
	}
	fmt.Fprintf(w, "tabella_append_duration_seconds_bucket{le=\"+Inf\"} %d\n", cum+h.inf)
	fmt.Fprintf(w, "tabella_append_duration_seconds_sum %s\n", formatFloat(h.sum))
	fmt.Fprintf(w, "tabella_append_duration_seconds_count %d\n", h.n)
	m.mu.Unlock()

	head("tabella_verify_queue_depth", "gauge", "Ballots waiting for proof verification.")
	fmt.Fprintf(w, "tabella_verify_queue_depth %d\n", len(s.verify))
	head("tabella_verify_queue_capacity", "gauge", "Ballots that may wait for verification before new ones are refused as unavailable.")
	fmt.Fprintf(w, "tabella_verify_queue_capacity %d\n", cap(s.verify))
	head("tabella_open_connections", "gauge", "Open connections by kind: http (TCP connections to the HTTP server), feed and trustee (websockets).")
	for _, k := range []string{ConnFeed, ConnHTTP, ConnTrustee} {
		fmt.Fprintf(w, "tabella_open_connections{kind=%q} %d\n", k, m.conns[k].Load())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	head("go_goroutines", "gauge", "Goroutines of the process.")
	fmt.Fprintf(w, "go_goroutines %d\n", runtime.NumGoroutine())
	head("go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.")
	fmt.Fprintf(w, "go_memstats_heap_inuse_bytes %d\n", ms.HeapInuse)
}

func sortedKeys[K comparable, V any](m map[K]V, cmp func(a, b K) int) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, cmp)
	return ks
}

// quoteLabel quotes a label value as the text format wants: backslash,
// double quote and newline escaped.
func quoteLabel(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v) + `"`
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// serveMetrics answers GET /metrics.
func (s *Service) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	var b bytes.Buffer
	s.WriteMetrics(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}
