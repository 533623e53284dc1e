package board

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
)

// HandlerOptions configure the HTTP read API.
type HandlerOptions struct {
	// Timeout bounds each non-websocket request; default 30 s.
	Timeout time.Duration
	// Logger receives server-side errors; default slog.Default().
	Logger *slog.Logger
	// AllowCosign enables POST of witness cosignatures.
	AllowCosign bool
	// CheckOrigin decides websocket origins; default: allow all (the feed
	// is public and read-only).
	CheckOrigin func(r *http.Request) bool
}

type handler struct {
	b    *Board
	opts HandlerOptions
	up   websocket.Upgrader
}

// NewHandler returns the board's public read API (e2e/SPEC.md §8.7) as an
// http.Handler to mount at the server root: entries by range, index or
// hash, the latest checkpoint, inclusion and consistency proofs, the
// websocket feed, and (with AllowCosign) POST of witness cosignatures.
func NewHandler(b *Board, opts HandlerOptions) http.Handler {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.CheckOrigin == nil {
		opts.CheckOrigin = func(*http.Request) bool { return true }
	}
	h := &handler{b: b, opts: opts, up: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 64 << 10, CheckOrigin: opts.CheckOrigin}}
	mux := http.NewServeMux()
	mux.Handle("GET "+bulletin.PathEntries, h.timed(h.entries))
	mux.Handle("GET "+bulletin.PathEntry, h.timed(h.entry))
	mux.Handle("GET "+bulletin.PathEntryByHash, h.timed(h.entryByHash))
	mux.Handle("GET "+bulletin.PathCheckpoint, h.timed(h.checkpoint))
	mux.Handle("GET "+bulletin.PathInclusion, h.timed(h.inclusion))
	mux.Handle("GET "+bulletin.PathConsistency, h.timed(h.consistency))
	if opts.AllowCosign {
		mux.Handle("POST "+bulletin.PathCosignature, http.MaxBytesHandler(h.timed(h.cosign), bulletin.MaxNoteSize))
	}
	mux.HandleFunc("GET "+bulletin.PathFeed, h.feed)
	return mux
}

// timed bounds a request with the handler timeout and maps its error.
func (h *handler) timed(f func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
		defer cancel()
		if err := f(w, r.WithContext(ctx)); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// errorStatus maps board errors to a status and stable code: the one
// place where that happens.
func errorStatus(err error) (int, string) {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound, bulletin.CodeNotFound
	case errors.Is(err, ErrBadRequest), errors.Is(err, bulletin.ErrEncoding):
		return http.StatusBadRequest, bulletin.CodeBadRequest
	case errors.Is(err, ErrTooLarge), errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, bulletin.CodeTooLarge
	case errors.Is(err, ErrRejected):
		return http.StatusForbidden, bulletin.CodeRejected
	case errors.Is(err, ErrCorrupt):
		return http.StatusInternalServerError, bulletin.CodeCorrupt
	case errors.Is(err, ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, bulletin.CodeUnavailable
	}
	return http.StatusInternalServerError, bulletin.CodeInternal
}

func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorStatus(err)
	msg := err.Error()
	if status >= 500 {
		h.opts.Logger.Error("board: request failed", "path", r.URL.Path, "err", err)
		if code == bulletin.CodeInternal {
			msg = "internal error"
		}
	}
	body, _ := json.Marshal(&bulletin.APIError{Code: code, Message: msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) error {
	body, err := canon.Marshal(v)
	if err != nil {
		return fmt.Errorf("board: encoding response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
	return nil
}

func uintParam(s, name string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(v, 10) != s || v > 1<<62 {
		return 0, fmt.Errorf("%w: %s must be a decimal integer", ErrBadRequest, name)
	}
	return v, nil
}

func (h *handler) entries(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	start, err := uintParam(q.Get("start"), "start")
	if err != nil {
		return err
	}
	end := start + bulletin.MaxPage
	if q.Has("end") {
		if end, err = uintParam(q.Get("end"), "end"); err != nil {
			return err
		}
	}
	es, err := h.b.Entries(r.Context(), r.PathValue("id"), start, end)
	if err != nil {
		return err
	}
	return writeJSON(w, &bulletin.EntryPage{Entries: capPage(es, bulletin.MaxPageBytes)})
}

func (h *handler) entry(w http.ResponseWriter, r *http.Request) error {
	i, err := uintParam(r.PathValue("index"), "index")
	if err != nil {
		return err
	}
	e, err := h.b.Entry(r.Context(), r.PathValue("id"), i)
	if err != nil {
		return err
	}
	return writeJSON(w, e)
}

func (h *handler) entryByHash(w http.ResponseWriter, r *http.Request) error {
	hh, err := bulletin.ParseHash(r.PathValue("hash"))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	e, err := h.b.EntryByHash(r.Context(), r.PathValue("id"), hh)
	if err != nil {
		return err
	}
	return writeJSON(w, e)
}

func (h *handler) checkpoint(w http.ResponseWriter, r *http.Request) error {
	n, err := h.b.Checkpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(n)
	return nil
}

func (h *handler) inclusion(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	i, err := uintParam(q.Get("index"), "index")
	if err != nil {
		return err
	}
	n, err := uintParam(q.Get("size"), "size")
	if err != nil {
		return err
	}
	p, err := h.b.InclusionProof(r.Context(), r.PathValue("id"), i, n)
	if err != nil {
		return err
	}
	return writeJSON(w, &bulletin.InclusionProof{Index: i, Size: n, Proof: p})
}

func (h *handler) consistency(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	o, err := uintParam(q.Get("old"), "old")
	if err != nil {
		return err
	}
	n, err := uintParam(q.Get("new"), "new")
	if err != nil {
		return err
	}
	p, err := h.b.ConsistencyProof(r.Context(), r.PathValue("id"), o, n)
	if err != nil {
		return err
	}
	return writeJSON(w, &bulletin.ConsistencyProof{Old: o, New: n, Proof: p})
}

func (h *handler) cosign(w http.ResponseWriter, r *http.Request) error {
	// The timeout covers reading the body: the context does not interrupt
	// reads, so a client withholding its body would hold the connection.
	if d, ok := r.Context().Deadline(); ok {
		_ = http.NewResponseController(w).SetReadDeadline(d)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("%w: reading body: %w", ErrTooLarge, err)
	}
	n, err := h.b.AddCosignatures(r.Context(), r.PathValue("id"), body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(n)
	return nil
}

// capPage keeps the entries whose JSON fits in max bytes (at least one):
// a page's answer is bounded in bytes, not only in entries. The size of
// an entry's JSON is computed exactly from its fields (hex doubles the
// byte strings; the rest is at most entryJSONOverhead).
func capPage(es []*bulletin.Entry, max int) []*bulletin.Entry {
	n := len(`{"entries":[]}`)
	for i, e := range es {
		n += entryJSONOverhead + len(e.Type) + 2*(len(e.Payload)+len(e.Signer)+len(e.Signature))
		if i > 0 && n > max {
			return es[:i]
		}
		n++ // the comma
	}
	return es
}

// entryJSONOverhead bounds the JSON of an entry besides its type and byte
// strings: field names, quotes, two hashes in hex, two 20-digit numbers.
const entryJSONOverhead = 256

// Ready reports whether the store answers and accepts writes, for a
// server's readiness endpoint: it runs an UPDATE that matches no row,
// which SQLite and PostgreSQL both refuse on a read-only database (an
// SQLite file opened read-only, a PostgreSQL standby or read-only
// transaction default) and which needs the write lock, so a store that is
// wedged holding it is not ready either. It writes nothing, so it cannot
// detect a full disk; an append on one is refused and rolled back.
func (b *Board) Ready(ctx context.Context) error {
	x, ok := b.st.(interface {
		Exec(ctx context.Context, query string, args ...any) error
	})
	if !ok {
		return nil // a store without SQL: nothing to probe
	}
	b.mu.Lock()
	closed := b.closed
	b.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := x.Exec(ctx, "UPDATE board_heads SET size = size WHERE 1 = 0"); err != nil {
		return fmt.Errorf("board: store not writable: %w", err)
	}
	return nil
}
