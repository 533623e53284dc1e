package bulletin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// A Client reads one election's board over HTTP and websocket
// (e2e/SPEC.md §8.7). It checks the shape and hash of every entry it
// returns; chain, checkpoint and proof verification are the caller's (see
// [Chain], [OpenCheckpoint], [VerifyConsistency]) or the follower's.
type Client struct {
	base     *url.URL
	election string
	hc       *http.Client
}

// NewClient returns a client for election on the board at baseURL
// (e.g. "http://127.0.0.1:8080"). hc may be nil for a client with a 30 s
// timeout.
func NewClient(baseURL, election string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bulletin: client: bad server URL %q", baseURL)
	}
	if !ValidElectionID(election) {
		return nil, fmt.Errorf("bulletin: client: malformed election id %q", election)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, election: election, hc: hc}, nil
}

// Election returns the election id the client reads.
func (c *Client) Election() string { return c.election }

func (c *Client) url(pattern string, q url.Values, kv ...string) string {
	p := strings.ReplaceAll(pattern, "{id}", c.election)
	for i := 0; i+1 < len(kv); i += 2 {
		p = strings.ReplaceAll(p, "{"+kv[i]+"}", url.PathEscape(kv[i+1]))
	}
	u := *c.base
	u.Path += p
	u.RawQuery = q.Encode()
	return u.String()
}

func (c *Client) do(ctx context.Context, method, u string, body []byte, limit int64) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("bulletin: client: %w", err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bulletin: client: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("bulletin: client: reading %s: %w", u, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("bulletin: client: response from %s over %d bytes", u, limit)
	}
	if resp.StatusCode != http.StatusOK {
		ae := &APIError{Status: resp.StatusCode}
		if json.Unmarshal(data, ae) != nil || ae.Code == "" {
			ae.Code, ae.Message = CodeInternal, strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return nil, ae
	}
	return data, nil
}

// IsNotFound reports whether err is a not_found error from the server.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Code == CodeNotFound
}

// Entries returns the entries from start (inclusive) to end (exclusive); the
// server may return fewer (at most [MaxPage]), but they are consecutive from
// start.
func (c *Client) Entries(ctx context.Context, start, end uint64) ([]*Entry, error) {
	q := url.Values{"start": {strconv.FormatUint(start, 10)}, "end": {strconv.FormatUint(end, 10)}}
	data, err := c.do(ctx, http.MethodGet, c.url(PathEntries, q), nil, MaxPageJSON)
	if err != nil {
		return nil, err
	}
	p, err := ParseEntryPage(c.election, data)
	if err != nil {
		return nil, err
	}
	for i, e := range p.Entries {
		if e.Index != start+uint64(i) || e.Index >= end {
			return nil, fmt.Errorf("%w: server returned entry %d at position %d of a page from %d", ErrInvalidEntry, e.Index, i, start)
		}
	}
	return p.Entries, nil
}

// Entry returns the entry at index.
func (c *Client) Entry(ctx context.Context, index uint64) (*Entry, error) {
	data, err := c.do(ctx, http.MethodGet, c.url(PathEntry, nil, "index", strconv.FormatUint(index, 10)), nil, MaxEntryJSON)
	if err != nil {
		return nil, err
	}
	e, err := ParseEntry(c.election, data)
	if err != nil {
		return nil, err
	}
	if e.Index != index {
		return nil, fmt.Errorf("%w: asked for entry %d, got %d", ErrInvalidEntry, index, e.Index)
	}
	return e, nil
}

// EntryByHash returns the entry with hash h.
func (c *Client) EntryByHash(ctx context.Context, h Hash) (*Entry, error) {
	data, err := c.do(ctx, http.MethodGet, c.url(PathEntryByHash, nil, "hash", h.String()), nil, MaxEntryJSON)
	if err != nil {
		return nil, err
	}
	e, err := ParseEntry(c.election, data)
	if err != nil {
		return nil, err
	}
	if e.Hash != h {
		return nil, fmt.Errorf("%w: asked for entry %s, got %s", ErrInvalidEntry, h, e.Hash)
	}
	return e, nil
}

// Checkpoint returns the latest signed checkpoint note, unverified.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.do(ctx, http.MethodGet, c.url(PathCheckpoint, nil), nil, MaxNoteSize)
}

// InclusionProof returns the proof that entry index is in the tree of size
// size.
func (c *Client) InclusionProof(ctx context.Context, index, size uint64) ([]Hash, error) {
	q := url.Values{"index": {strconv.FormatUint(index, 10)}, "size": {strconv.FormatUint(size, 10)}}
	data, err := c.do(ctx, http.MethodGet, c.url(PathInclusion, q), nil, maxAPIJSON)
	if err != nil {
		return nil, err
	}
	p, err := ParseInclusionProof(data)
	if err != nil {
		return nil, err
	}
	if p.Index != index || p.Size != size {
		return nil, fmt.Errorf("%w: inclusion proof for the wrong entry or size", ErrProof)
	}
	return p.Proof, nil
}

// ConsistencyProof returns the proof that the tree of size newSize extends
// the tree of size oldSize.
func (c *Client) ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([]Hash, error) {
	q := url.Values{"old": {strconv.FormatUint(oldSize, 10)}, "new": {strconv.FormatUint(newSize, 10)}}
	data, err := c.do(ctx, http.MethodGet, c.url(PathConsistency, q), nil, maxAPIJSON)
	if err != nil {
		return nil, err
	}
	p, err := ParseConsistencyProof(data)
	if err != nil {
		return nil, err
	}
	if p.Old != oldSize || p.New != newSize {
		return nil, fmt.Errorf("%w: consistency proof for the wrong sizes", ErrProof)
	}
	return p.Proof, nil
}

// Cosign posts a checkpoint note carrying the caller's witness
// cosignature; the board verifies it, stores it and returns the checkpoint
// with all the cosignatures it holds.
func (c *Client) Cosign(ctx context.Context, cosigned []byte) ([]byte, error) {
	return c.do(ctx, http.MethodPost, c.url(PathCosignature, nil), cosigned, MaxNoteSize)
}

// A Feed is a websocket stream of entries and checkpoints.
type Feed struct {
	conn     *websocket.Conn
	election string
}

// Feed opens the websocket feed from entry index from: the server sends
// every entry from there on, then each new checkpoint and entry as they
// are appended. Reconnect with the next index to resume.
func (c *Client) Feed(ctx context.Context, from uint64) (*Feed, error) {
	u := c.url(PathFeed, url.Values{"from": {strconv.FormatUint(from, 10)}})
	u = "ws" + strings.TrimPrefix(u, "http")
	d := websocket.Dialer{HandshakeTimeout: 15 * time.Second}
	conn, resp, err := d.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("bulletin: feed: %w (status %d)", err, resp.StatusCode)
		}
		return nil, fmt.Errorf("bulletin: feed: %w", err)
	}
	conn.SetReadLimit(MaxEntryJSON + 1024)
	conn.SetPingHandler(func(data string) error {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
	})
	return &Feed{conn: conn, election: c.election}, nil
}

// Next returns the next message, waiting for it. An error ends the feed.
func (f *Feed) Next() (*FeedMessage, error) {
	_ = f.conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	typ, data, err := f.conn.ReadMessage()
	if err != nil {
		return nil, fmt.Errorf("bulletin: feed: %w", err)
	}
	if typ != websocket.TextMessage {
		return nil, fmt.Errorf("%w: feed: non-text message", ErrEncoding)
	}
	return ParseFeedMessage(f.election, data)
}

// Close closes the feed.
func (f *Feed) Close() error { return f.conn.Close() }
