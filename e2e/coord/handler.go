package coord

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
)

// submitTimeout bounds the backend's handling of one submission.
const submitTimeout = 2 * time.Minute

var upgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 64 << 10, CheckOrigin: func(*http.Request) bool { return true }}

// electionFromPath returns the {id} of a request routed with [Path], or
// parses it from the URL path when the mux did not set it.
func electionFromPath(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	p := strings.TrimSuffix(r.URL.Path, "/trustee")
	if i := strings.LastIndex(p, "/elections/"); i >= 0 {
		return p[i+len("/elections/"):]
	}
	return ""
}

func httpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(mustMarshal(&bulletin.APIError{Code: code, Message: msg}))
}

// ServeHTTP serves the trustee websocket of e2e/SPEC.md §9.10; mount it at
// "GET " + [Path]. The query parameter from (default 0) is the first board
// index the trustee needs: the server sends every relevant entry from
// there, then a status, then new entries and statuses as the board grows,
// as deadlines pass and every Options.StatusEvery; it answers each
// submission with a receipt or an error.
func (c *Coordinator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	election := electionFromPath(r)
	if !bulletin.ValidElectionID(election) {
		httpError(w, http.StatusBadRequest, bulletin.CodeBadRequest, "malformed election id")
		return
	}
	var from uint64
	if q := r.URL.Query().Get("from"); q != "" {
		v, err := strconv.ParseUint(q, 10, 64)
		if err != nil || (len(q) > 1 && q[0] == '0') {
			httpError(w, http.StatusBadRequest, bulletin.CodeBadRequest, "from must be a decimal index")
			return
		}
		from = v
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	cn := &conn_{c: c, conn: conn, election: election, tr: c.acquire(election), out: make(chan *ServerMessage, 16)}
	defer c.release(cn.tr)
	conn.SetReadLimit(MaxClientMessage)
	_ = conn.SetReadDeadline(time.Now().Add(c.opts.PongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(c.opts.PongWait)) })
	go func() {
		defer cancel()
		cn.readLoop(ctx)
	}()
	go cn.watch(ctx)
	cn.writeLoop(ctx, from)
}

type conn_ struct {
	c        *Coordinator
	conn     *websocket.Conn
	election string
	tr       *tracker
	out      chan *ServerMessage // answers to submissions
}

// readLoop reads submissions and answers each, in order.
func (cn *conn_) readLoop(ctx context.Context) {
	for {
		typ, data, err := cn.conn.ReadMessage()
		if err != nil {
			return
		}
		_ = cn.conn.SetReadDeadline(time.Now().Add(cn.c.opts.PongWait))
		if typ != websocket.TextMessage {
			cn.reply(ctx, &ServerMessage{Error: &ErrorMessage{Code: CodeBadRequest, Message: "text messages only"}})
			return
		}
		m, err := DecodeClientMessage(data)
		if err != nil {
			cn.reply(ctx, &ServerMessage{Error: &ErrorMessage{Code: CodeBadRequest, Message: clip(err.Error())}})
			return
		}
		cn.reply(ctx, cn.submit(ctx, m.Submit))
	}
}

func (cn *conn_) reply(ctx context.Context, m *ServerMessage) {
	select {
	case cn.out <- m:
	case <-ctx.Done():
	}
}

// submit checks what a trustee may submit (a trustee type, a trustee
// signer and a valid signature) and hands it to the backend, whose
// admission checks the rest.
func (cn *conn_) submit(ctx context.Context, s *Submit) *ServerMessage {
	refuse := func(code, msg string) *ServerMessage {
		cn.c.opts.Logger.Info("coord: submission refused", "election", cn.election, "type", s.Type, "reason", msg)
		return &ServerMessage{Error: &ErrorMessage{ID: s.ID, Code: code, Message: clip(msg)}}
	}
	if !slices.Contains(TrusteeTypes, s.Type) {
		return refuse(CodeRejected, "trustees may not submit entries of type "+s.Type)
	}
	signer, err := record.ParseSigner(s.Signer)
	if err != nil || signer.Kind != record.Trustee {
		return refuse(CodeRejected, "the signer is not a trustee signer")
	}
	if err := record.VerifySignature(signer, cn.election, s.Type, s.Payload, s.Signature); err != nil {
		return refuse(CodeRejected, err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, submitTimeout)
	defer cancel()
	r, err := cn.c.b.Submit(ctx, cn.election, Submission{Type: s.Type, Payload: s.Payload, Signer: s.Signer, Signature: s.Signature})
	switch {
	case errors.Is(err, ErrRejected):
		return refuse(CodeRejected, err.Error())
	case err != nil:
		cn.c.opts.Logger.Warn("coord: submission failed", "election", cn.election, "type", s.Type, "err", err)
		return &ServerMessage{Error: &ErrorMessage{ID: s.ID, Code: CodeUnavailable, Message: "the board could not take the submission; retry"}}
	}
	return &ServerMessage{Receipt: &Receipt{ID: s.ID, Receipt: r}}
}

// watch keeps the tracker up to date while the connection lives.
func (cn *conn_) watch(ctx context.Context) {
	for ctx.Err() == nil {
		n := cn.tr.size()
		if err := cn.c.b.Wait(ctx, cn.election, n); err != nil {
			return
		}
		if err := cn.tr.update(ctx, cn.c.b); err != nil || cn.tr.size() == n {
			t := time.NewTimer(100 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
}

func (cn *conn_) write(m *ServerMessage) error {
	_ = cn.conn.SetWriteDeadline(time.Now().Add(cn.c.opts.WriteWait))
	return cn.conn.WriteMessage(websocket.TextMessage, mustMarshal(m))
}

// writeLoop sends entries and statuses, the answers to submissions, and
// pings.
func (cn *conn_) writeLoop(ctx context.Context, from uint64) {
	c := cn.c
	ping := time.NewTicker(c.opts.PingEvery)
	defer ping.Stop()
	next := from
	for {
		ch := cn.tr.changedCh()
		// The time is taken before reading, so every entry stamped at or
		// before it is in what is sent before the status.
		now := c.now()
		if err := cn.tr.update(ctx, c.b); err != nil {
			if ctx.Err() == nil {
				cn.write(&ServerMessage{Error: &ErrorMessage{Code: CodeUnavailable, Message: "the server cannot read the board"}})
				c.opts.Logger.Warn("coord: trustee connection", "election", cn.election, "err", err)
			}
			return
		}
		es, size := cn.tr.relevantFrom(next)
		if from > size {
			cn.write(&ServerMessage{Error: &ErrorMessage{Code: bulletin.CodeNotFound, Message: "from is beyond the end of the board"}})
			return
		}
		for _, e := range es {
			if e.Index >= size {
				break
			}
			if err := cn.write(&ServerMessage{Entry: e}); err != nil {
				return
			}
		}
		next = max(next, size)
		st := c.status(cn.tr, now)
		// The tracker may have read more since: the status covers only
		// what was sent.
		st.Size = size
		if err := cn.write(&ServerMessage{Status: st}); err != nil {
			return
		}
		var timer <-chan time.Time
		if st.Phase == PhaseCeremony {
			timer = c.opts.Clock.After(time.UnixMilli(st.Deadline).Sub(now) + time.Millisecond)
		}
		tick := time.NewTimer(c.opts.StatusEvery)
	wait:
		for {
			select {
			case <-ctx.Done():
				tick.Stop()
				return
			case m := <-cn.out:
				if err := cn.write(m); err != nil {
					tick.Stop()
					return
				}
			case <-ping.C:
				if err := cn.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.opts.WriteWait)); err != nil {
					tick.Stop()
					return
				}
			case <-ch:
				break wait
			case <-timer:
				break wait
			case <-tick.C:
				break wait
			}
		}
		tick.Stop()
	}
}
