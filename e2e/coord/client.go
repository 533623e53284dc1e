package coord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// ClientOptions configure a [Client].
type ClientOptions struct {
	// Header is sent with every websocket handshake (e.g. authorization).
	Header http.Header
	// MinBackoff and MaxBackoff bound the wait between reconnections;
	// defaults 100 ms and 5 s.
	MinBackoff, MaxBackoff time.Duration
	// OnConnection, if set, is called with nil on each (re)connection and
	// with the error that ended a connection.
	OnConnection func(err error)
}

// A Client is a trustee's connection to the server's trustee websocket
// (e2e/SPEC.md §9.10). It keeps the relevant board entries it has received
// and the latest status, reconnects when the connection drops and resumes
// from the next index it needs. It implements [ceremony.Board], so
// [ceremony.Trustee.Run] runs over it unchanged. It is safe for concurrent
// use.
type Client struct {
	wsURL    string
	election string
	opts     ClientOptions
	signer   []byte

	wmu      sync.Mutex // serialises writes
	mu       sync.Mutex
	entries  []*bulletin.Entry // relevant entries, in index order
	next     uint64            // next index the client needs
	status   *Status
	changed  chan struct{}
	conn     *websocket.Conn
	pending  map[uint64]chan answer
	nextID   uint64
	closed   bool
	lastErr  error
	connects int

	cancel context.CancelFunc
	done   chan struct{}

	beforeSubmit func(s *Submission) // tests: inject faults
}

type answer struct {
	r   *bulletin.Receipt
	err error
}

// Dial connects to the trustee websocket of election on the server at
// serverURL ("http://host:port" or "https://…") and waits for the first
// status, by which time every relevant entry already on the board has been
// received. id, if not nil, is the trustee whose entries [Client.Post]
// signs and submits. The connection is kept up until [Client.Close].
func Dial(ctx context.Context, serverURL, election string, id *trustee.Identity, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("coord: bad server URL %q", serverURL)
	}
	if !bulletin.ValidElectionID(election) {
		return nil, fmt.Errorf("coord: malformed election id %q", election)
	}
	u.Scheme = "ws" + strings.TrimPrefix(u.Scheme, "http")
	u.Path = strings.TrimSuffix(u.Path, "/") + strings.ReplaceAll(Path, "{id}", election)
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(5*time.Second, opts.MinBackoff)
	}
	c := &Client{wsURL: u.String(), election: election, opts: opts, changed: make(chan struct{}), pending: map[uint64]chan answer{}, done: make(chan struct{})}
	if id != nil {
		s := record.Signer{Kind: record.Trustee, Key: id.Public().SigningKey}
		c.signer = s.Bytes()
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(rctx, conn)
	if err := c.WaitUntil(ctx, func(s *Status) bool { return s != nil }); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ErrClosed is returned by a closed client.
var ErrClosed = errors.New("coord: client closed")

func (c *Client) dial(ctx context.Context) (*websocket.Conn, error) {
	c.mu.Lock()
	from := c.next
	c.mu.Unlock()
	d := websocket.Dialer{HandshakeTimeout: 15 * time.Second}
	conn, resp, err := d.DialContext(ctx, c.wsURL+"?from="+strconv.FormatUint(from, 10), c.opts.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("coord: connecting to %s: %w (HTTP %d)", c.wsURL, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("coord: connecting to %s: %w", c.wsURL, err)
	}
	conn.SetReadLimit(MaxServerMessage)
	conn.SetPingHandler(func(data string) error {
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
	})
	return conn, nil
}

// run reads from conn, and reconnects whenever it drops, until ctx ends.
func (c *Client) run(ctx context.Context, conn *websocket.Conn) {
	defer close(c.done)
	backoff := c.opts.MinBackoff
	for {
		c.mu.Lock()
		c.conn, c.lastErr = conn, nil
		c.connects++
		c.mu.Unlock()
		if c.opts.OnConnection != nil {
			c.opts.OnConnection(nil)
		}
		err := c.read(conn)
		conn.Close()
		c.mu.Lock()
		c.conn, c.lastErr = nil, err
		for id, ch := range c.pending {
			ch <- answer{err: fmt.Errorf("%w: %v", ErrDisconnected, err)}
			delete(c.pending, id)
		}
		c.mu.Unlock()
		if c.opts.OnConnection != nil && ctx.Err() == nil {
			c.opts.OnConnection(err)
		}
		for {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, c.opts.MaxBackoff)
			conn, err = c.dial(ctx)
			if err == nil {
				backoff = c.opts.MinBackoff
				break
			}
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
		}
	}
}

// read handles the messages of one connection until it fails.
func (c *Client) read(conn *websocket.Conn) error {
	for {
		_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		typ, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		if typ != websocket.TextMessage {
			return fmt.Errorf("%w: binary message", ErrProtocol)
		}
		m, err := DecodeServerMessage(c.election, data)
		if err != nil {
			return err
		}
		c.mu.Lock()
		switch {
		case m.Entry != nil:
			e := m.Entry
			if e.Index < c.next || !Relevant(e.Type) {
				c.mu.Unlock()
				return fmt.Errorf("%w: server sent entry %d (%s) where index %d or later belongs", ErrProtocol, e.Index, e.Type, c.next)
			}
			c.entries = append(c.entries, e)
			c.next = e.Index + 1
		case m.Status != nil:
			if m.Status.Size < c.next {
				c.mu.Unlock()
				return fmt.Errorf("%w: status for size %d after entry %d", ErrProtocol, m.Status.Size, c.next-1)
			}
			if c.status != nil && m.Status.Time < c.status.Time {
				m.Status.Time = c.status.Time // board time never goes backwards
			}
			c.next, c.status = m.Status.Size, m.Status
		case m.Receipt != nil:
			if ch, ok := c.pending[m.Receipt.ID]; ok {
				ch <- answer{r: m.Receipt.Receipt}
				delete(c.pending, m.Receipt.ID)
			}
		case m.Error != nil:
			if m.Error.ID == 0 {
				c.mu.Unlock()
				return fmt.Errorf("coord: server: %s: %s", m.Error.Code, m.Error.Message)
			}
			if ch, ok := c.pending[m.Error.ID]; ok {
				err := fmt.Errorf("%w: %s: %s", ErrRejected, m.Error.Code, m.Error.Message)
				if m.Error.Code == CodeUnavailable {
					err = fmt.Errorf("coord: server: %s: %s", m.Error.Code, m.Error.Message)
				}
				ch <- answer{err: err}
				delete(c.pending, m.Error.ID)
			}
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
	}
}

// Submit sends a signed entry and returns the board's receipt once the
// entry has also been streamed back to the client (so the next read sees
// it). An error wrapping [ErrRejected] is the server's refusal; one
// wrapping [ErrDisconnected] means the answer was lost: retrying is safe.
func (c *Client) Submit(ctx context.Context, s Submission) (*bulletin.Receipt, error) {
	if c.beforeSubmit != nil {
		c.beforeSubmit(&s)
	}
	msg := &ClientMessage{Submit: &Submit{Type: s.Type, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature}}
	if msg.Submit.Payload == nil {
		msg.Submit.Payload = bulletin.Bytes{}
	}
	ch := make(chan answer, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	conn := c.conn
	if conn == nil {
		err := c.lastErr
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: not connected (%v)", ErrDisconnected, err)
	}
	c.nextID++
	msg.Submit.ID = c.nextID
	c.pending[msg.Submit.ID] = ch
	c.mu.Unlock()
	data := mustMarshal(msg)
	c.wmu.Lock() // one writer at a time
	_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	err := conn.WriteMessage(websocket.TextMessage, data)
	c.wmu.Unlock()
	if err != nil {
		c.mu.Lock()
		delete(c.pending, msg.Submit.ID)
		c.mu.Unlock()
		conn.Close()
		return nil, fmt.Errorf("%w: %v", ErrDisconnected, err)
	}
	var a answer
	select {
	case a = <-ch:
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, msg.Submit.ID)
		c.mu.Unlock()
		return nil, ctx.Err()
	}
	if a.err != nil {
		return nil, a.err
	}
	idx := a.r.Index
	if err := c.WaitUntil(ctx, func(s *Status) bool { return s != nil && s.Size > idx }); err != nil {
		return nil, err
	}
	return a.r, nil
}

// Post implements [ceremony.Board]: it submits a message signed by the
// client's trustee.
func (c *Client) Post(ctx context.Context, typ string, payload []byte, sig [ceremony.SignatureSize]byte) error {
	if c.signer == nil {
		return errors.New("coord: client has no trustee identity")
	}
	_, err := c.Submit(ctx, Submission{Type: typ, Payload: payload, Signer: c.signer, Signature: sig[:]})
	return err
}

// Read implements [ceremony.Board]: the relevant entries received with
// index ≥ from, and the board time of the latest status (every entry with
// a time at or before it has been received).
func (c *Client) Read(ctx context.Context, from uint64) ([]ceremony.Posted, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status == nil {
		return nil, time.Time{}, errors.New("coord: no status from the server yet")
	}
	var out []ceremony.Posted
	for _, e := range c.entries {
		if e.Index >= from {
			out = append(out, rules.Posted(e))
		}
	}
	return out, time.UnixMilli(c.status.Time), nil
}

// Entries returns the relevant entries received so far.
func (c *Client) Entries() []*bulletin.Entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*bulletin.Entry(nil), c.entries...)
}

// Status returns the latest status (nil before the first).
func (c *Client) Status() *Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Connected reports whether the client is connected, how many connections
// it has made, and the error that ended the last one.
func (c *Client) Connected() (bool, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil, c.connects, c.lastErr
}

// WaitUntil waits until cond, called with the latest status each time the
// client receives a message, returns true, or ctx ends. cond is called
// without the client's lock held: it may call the client's other methods.
func (c *Client) WaitUntil(ctx context.Context, cond func(*Status) bool) error {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return ErrClosed
		}
		st, ch := c.status, c.changed
		c.mu.Unlock()
		if cond(st) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-c.done:
			return ErrClosed
		}
	}
}

// drop closes the current connection (tests: a network failure).
func (c *Client) drop() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
}

// Close closes the connection and stops reconnecting.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		conn.Close()
	}
	<-c.done
	return nil
}
