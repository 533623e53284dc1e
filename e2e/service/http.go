package service

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
)

// Paths of the service's own API (e2e/SPEC.md §11.8).
const (
	PathSubmit    = "/v1/elections/{id}/entries"
	PathElection  = "/v1/elections/{id}"
	PathElections = "/v1/elections"
	PathHealth    = "/healthz" // 200 while the process serves; see also PathReady

	PathBoard = "/v1/board"
)

// BoardJSON is the answer of GET /v1/board: the board's name and note
// verifier key, which an official puts in an election's setup.
type BoardJSON struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// MaxSubmissionJSON bounds the body of a submission: a payload of at most
// bulletin.MaxPayloadSize bytes in hex, the signer and signature in hex,
// and the JSON around them.
const MaxSubmissionJSON = 2*bulletin.MaxPayloadSize + 2*bulletin.MaxSignerSize + 2*bulletin.MaxSignatureSize + 256

// SubmissionJSON is the body of POST /v1/elections/{id}/entries: canonical
// JSON with exactly these members, in this order.
type SubmissionJSON struct {
	Type      string         `json:"type"`
	Payload   bulletin.Bytes `json:"payload"`
	Signer    bulletin.Bytes `json:"signer"`
	Signature bulletin.Bytes `json:"signature"`
}

// DecodeSubmission decodes a submission body strictly (canonical JSON, no
// unknown or duplicate members, lowercase hex, at most MaxSubmissionJSON
// bytes).
func DecodeSubmission(data []byte) (*Submission, error) {
	if len(data) > MaxSubmissionJSON {
		return nil, fmt.Errorf("%w: submission of %d bytes", ErrTooLarge, len(data))
	}
	// Fast path: a canonical submission is exactly this template, since
	// types need no escaping and the other fields are lowercase hex.
	if s, ok := parseCanonicalSubmission(data); ok {
		return s, nil
	}
	var j SubmissionJSON
	if err := canon.Unmarshal(data, &j, MaxSubmissionJSON); err != nil {
		return nil, fmt.Errorf("%w: submission: %w", ErrMalformed, err)
	}
	if !bulletin.ValidType(j.Type) {
		return nil, fmt.Errorf("%w: submission: malformed type", ErrMalformed)
	}
	return &Submission{Type: j.Type, Payload: j.Payload, Signer: j.Signer, Signature: j.Signature}, nil
}

// parseCanonicalSubmission parses
// {"type":"T","payload":"H","signer":"H","signature":"H"} with T a valid
// entry type and each H lowercase hex of even length. It accepts exactly
// the canonical encodings of valid submissions; anything else (which may
// still be a valid but unusual document, or invalid) goes to the general
// decoder.
func parseCanonicalSubmission(data []byte) (*Submission, bool) {
	rest := data
	field := func(prefix string, hexValue bool) ([]byte, bool) {
		if !bytes.HasPrefix(rest, []byte(prefix)) {
			return nil, false
		}
		rest = rest[len(prefix):]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return nil, false
		}
		v := rest[:end]
		rest = rest[end+1:]
		if !hexValue {
			return v, true
		}
		if len(v)%2 != 0 {
			return nil, false
		}
		out := make([]byte, len(v)/2)
		for i := 0; i < len(v); i += 2 {
			hi, ok1 := lowerHex(v[i])
			lo, ok2 := lowerHex(v[i+1])
			if !ok1 || !ok2 {
				return nil, false
			}
			out[i/2] = hi<<4 | lo
		}
		return out, true
	}
	typ, ok := field(`{"type":"`, false)
	if !ok || !bulletin.ValidType(string(typ)) {
		return nil, false
	}
	payload, ok := field(`,"payload":"`, true)
	if !ok {
		return nil, false
	}
	signer, ok := field(`,"signer":"`, true)
	if !ok {
		return nil, false
	}
	sig, ok := field(`,"signature":"`, true)
	if !ok || string(rest) != "}" {
		return nil, false
	}
	return &Submission{Type: string(typ), Payload: payload, Signer: signer, Signature: sig}, true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// AppendSubmission appends the canonical JSON of a submission to dst.
func AppendSubmission(dst []byte, s *Submission) []byte {
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendQuote(dst, s.Type)
	dst = append(dst, `,"payload":"`...)
	dst = hex.AppendEncode(dst, s.Payload)
	dst = append(dst, `","signer":"`...)
	dst = hex.AppendEncode(dst, s.Signer)
	dst = append(dst, `","signature":"`...)
	dst = hex.AppendEncode(dst, s.Signature)
	return append(dst, `"}`...)
}

// ReceiptJSON is the answer to an accepted submission.
type ReceiptJSON struct {
	Receipt      *bulletin.Receipt `json:"receipt"`
	TrackingCode string            `json:"tracking_code,omitempty"`
}

// ErrorJSON is the body of every error answer: a stable code and a
// message; for a submission refused by a rule of the election, also the
// rule (a check name of e2e/rules, e.g. "ballot.proof", as the verifier
// reports it).
type ErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Rule    string `json:"rule,omitempty"`
}

// HTTPOptions configure [Service.Handler].
type HTTPOptions struct {
	// Timeout bounds each request (not the websockets); default 60 s.
	Timeout time.Duration
	// IPRate and IPBurst are the token bucket of each client address for
	// submissions: requests per second and burst; default 500 and 1000.
	IPRate, IPBurst float64
	// CredRate and CredBurst limit the submissions of one voter
	// credential; default 1 per second, burst 10.
	CredRate, CredBurst float64
	// Trustee, if set, is the trustee websocket handler (e2e/coord),
	// mounted at coord.Path.
	Trustee http.Handler
	// Web, if set, serves everything outside /v1 and /healthz (the voter
	// and observer pages).
	Web http.Handler
	// Board configures the board's read API and feed.
	Board board.HandlerOptions
	// ClientIPHeader, if set ("X-Forwarded-For" or "X-Real-IP"), names
	// the header a reverse proxy puts the client's address in. It is
	// read only on requests from TrustedProxies; in X-Forwarded-For the
	// client is the rightmost address that is not a trusted proxy.
	ClientIPHeader string
	TrustedProxies []netip.Prefix
	// MaxStreams and MaxStreamsPerClient bound the open websockets (the
	// board feed and the trustee socket) in all and per client address
	// (ClientKey); default 10 000 and 64. A connection over a limit is
	// refused before the upgrade with 503 and a JSON error saying which.
	MaxStreams, MaxStreamsPerClient int
	// ReadyTimeout bounds the readiness probe of GET /readyz: a store
	// slower than that is not ready; default 5 s.
	ReadyTimeout time.Duration
}

// streams counts open websockets, in all and per client.
type streams struct {
	max, perClient int
	mu             sync.Mutex
	total          int
	by             map[string]int
}

// acquire takes a slot for client key k, or says why not.
func (s *streams) acquire(k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.total >= s.max:
		return fmt.Errorf("%w: the server has %d open streams, its limit; retry later", ErrUnavailable, s.total)
	case s.by[k] >= s.perClient:
		return fmt.Errorf("%w: this address has %d open streams, the limit per address", ErrRateLimited, s.by[k])
	}
	s.total++
	s.by[k]++
	return nil
}

func (s *streams) release(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.by[k]--; s.by[k] == 0 {
		delete(s.by, k)
	}
}

// limitStreams wraps next: a websocket upgrade request holds a slot for
// as long as next serves it (the connection's life).
func (h *httpAPI) limitStreams(kind string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		k := h.o.ClientKey(r)
		if err := h.streams.acquire(k); err != nil {
			h.writeError(w, r, err)
			return
		}
		defer h.streams.release(k)
		h.s.metrics.conn(kind, 1)
		defer h.s.metrics.conn(kind, -1)
		next.ServeHTTP(w, r)
	})
}

// ClientKey returns the key the per-address rate limit counts r under:
// the client's address (from o.ClientIPHeader when r comes from a trusted
// proxy, else the connection's), and for IPv6 its /64, which one
// subscriber typically holds whole.
func (o *HTTPOptions) ClientKey(r *http.Request) string {
	addr, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := addr.Addr().Unmap()
	if o.ClientIPHeader != "" && o.trusted(ip) {
		if v := r.Header.Values(o.ClientIPHeader); len(v) > 0 {
			hops := strings.Split(strings.Join(v, ","), ",")
			for i := len(hops) - 1; i >= 0; i-- {
				h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
				if err != nil {
					break // a malformed hop: keep the last good address
				}
				ip = h.Unmap()
				if !o.trusted(ip) {
					break
				}
			}
		}
	}
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func (o *HTTPOptions) trusted(ip netip.Addr) bool {
	for _, p := range o.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Handler returns the whole HTTP API: the board's read API and feed
// (e2e/SPEC.md §8.7), the write API, the election summaries, health, and
// the optional trustee socket and web pages.
func (s *Service) Handler(o HTTPOptions) http.Handler {
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.IPRate <= 0 {
		o.IPRate, o.IPBurst = 500, 1000
	}
	if o.CredRate <= 0 {
		o.CredRate, o.CredBurst = 1, 10
	}
	if o.Board.Logger == nil {
		o.Board.Logger = s.log
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 5 * time.Second
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 10_000
	}
	if o.MaxStreamsPerClient <= 0 {
		o.MaxStreamsPerClient = 64
	}
	h := &httpAPI{s: s, o: o, ip: newLimiter(o.IPRate, o.IPBurst), cred: newLimiter(o.CredRate, o.CredBurst),
		streams: &streams{max: o.MaxStreams, perClient: o.MaxStreamsPerClient, by: map[string]int{}}}
	mux := http.NewServeMux()
	mux.Handle("POST "+PathSubmit, http.MaxBytesHandler(h.timed(h.submit), MaxSubmissionJSON))
	mux.Handle("GET "+PathElection, h.timed(h.info))
	mux.Handle("GET "+PathElections, h.timed(h.list))
	mux.HandleFunc("GET "+PathBoard, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, &BoardJSON{Name: s.name, Key: s.vkey})
	})
	mux.HandleFunc("GET "+PathHealth, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+PathReady, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), o.ReadyTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			if errors.Is(err, errStoreNotReady) {
				s.log.Warn("not ready", "err", err)
				err = fmt.Errorf("%w: not ready: %w (the server log says why)", ErrUnavailable, errStoreNotReady)
			}
			h.writeError(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.HandleFunc("GET "+PathMetrics, s.serveMetrics)
	mux.Handle("/v1/", h.limitStreams(ConnFeed, board.NewHandler(s.b, o.Board)))
	if o.Trustee != nil {
		mux.Handle(coord.Path, h.limitStreams(ConnTrustee, o.Trustee))
	}
	if o.Web != nil {
		mux.Handle("/", o.Web)
	}
	return mux
}

type httpAPI struct {
	s        *Service
	o        HTTPOptions
	ip, cred *limiter
	limited  sampler
	streams  *streams
}

// A sampler counts events and lets one through a second, reporting how
// many it stands for.
type sampler struct {
	mu   sync.Mutex
	n    int
	last time.Time
}

// tick counts an event and returns the number of events since the last
// one let through if this one goes through (0 otherwise).
func (s *sampler) tick(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if now.Sub(s.last) < time.Second {
		return 0
	}
	n := s.n
	s.n, s.last = 0, now
	return n
}

func (h *httpAPI) timed(f func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), h.o.Timeout)
		defer cancel()
		if err := f(w, r.WithContext(ctx)); err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *httpAPI) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, status := ErrorCode(err)
	// A message may echo client input (an id in the path): invalid UTF-8
	// becomes U+FFFD here so the error document stays canonical JSON.
	msg := strings.ToValidUTF8(err.Error(), "\uFFFD")
	lvl := slog.LevelInfo
	if status >= 500 {
		lvl = slog.LevelWarn
		if code == CodeInternal {
			lvl = slog.LevelError
			msg = "internal error"
		}
	}
	if status == http.StatusTooManyRequests {
		// A flood must not flood the logs: one Warn line a second, with
		// the number of refusals it stands for.
		w.Header().Set("Retry-After", "1")
		if n := h.limited.tick(time.Now()); n > 0 {
			h.s.log.Warn("requests rate limited", "refused", n, "last_client", h.o.ClientKey(r), "method", r.Method, "path", r.URL.Path, "err", err)
		}
	} else {
		h.s.log.Log(r.Context(), lvl, "request rejected", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	}
	var rule string
	if v := (*rules.Violation)(nil); errors.As(err, &v) {
		rule = string(v.Check)
	}
	writeJSON(w, status, &ErrorJSON{Code: code, Message: msg, Rule: rule})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := canon.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"code":"internal","message":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (h *httpAPI) submit(w http.ResponseWriter, r *http.Request) (err error) {
	// Refusals before the service sees the submission are counted here;
	// the service counts the rest.
	typ, counted := "", false
	defer func() {
		if err != nil && !counted {
			h.s.metrics.submitted(typ, err)
		}
	}()
	if !h.ip.allow(h.o.ClientKey(r)) {
		return fmt.Errorf("%w: too many requests from this address", ErrRateLimited)
	}
	id := r.PathValue("id")
	// The request timeout covers reading the body too: without a read
	// deadline a client trickling its body would hold the connection and
	// this goroutine forever (the context does not interrupt reads).
	if d, ok := r.Context().Deadline(); ok {
		_ = http.NewResponseController(w).SetReadDeadline(d)
	}
	if r.ContentLength > MaxSubmissionJSON {
		// Refused unread: a flood of oversized bodies costs the server
		// no reading (net/http then closes the connection).
		return fmt.Errorf("%w: body of %d bytes, over %d", ErrTooLarge, r.ContentLength, MaxSubmissionJSON)
	}
	body, err := readAll(r)
	if err != nil {
		return err
	}
	sub, err := DecodeSubmission(body)
	if err != nil {
		return err
	}
	typ = sub.Type
	if (sub.Type == record.TypeBallot || sub.Type == record.TypeSpoiled) && len(sub.Signer) == record.SignerSize {
		if !h.cred.allow(string(sub.Signer)) {
			return fmt.Errorf("%w: too many submissions for this credential", ErrRateLimited)
		}
	}
	counted = true
	rc, err := h.s.Submit(r.Context(), id, *sub)
	if err != nil {
		return fmt.Errorf("election %s: %s: %w", id, sub.Type, err)
	}
	writeJSON(w, http.StatusOK, &ReceiptJSON{Receipt: rc.Receipt, TrackingCode: string(rc.TrackingCode)})
	return nil
}

func readAll(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: body over %d bytes", ErrTooLarge, mbe.Limit)
		}
		return nil, fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
	}
	return body, nil
}

func (h *httpAPI) info(w http.ResponseWriter, r *http.Request) error {
	in, err := h.s.Info(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// ElectionList is the answer of GET /v1/elections.
type ElectionList struct {
	Elections []string `json:"elections"`
}

func (h *httpAPI) list(w http.ResponseWriter, r *http.Request) error {
	ls, err := h.s.Elections(r.Context())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ls == nil {
		ls = []string{}
	}
	writeJSON(w, http.StatusOK, &ElectionList{Elections: ls})
	return nil
}

// A limiter is a set of token buckets by key, forgetting idle keys.
type limiter struct {
	rate, burst float64
	mu          sync.Mutex
	b           map[string]*bucket
	sweep       time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64) *limiter {
	if burst < 1 {
		burst = 1
	}
	return &limiter{rate: rate, burst: burst, b: map[string]*bucket{}, sweep: time.Now()}
}

func (l *limiter) allow(key string) bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.sweep) > time.Minute {
		for k, b := range l.b {
			if now.Sub(b.last).Seconds()*l.rate >= l.burst {
				delete(l.b, k)
			}
		}
		l.sweep = now
	}
	b, ok := l.b[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.b[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
