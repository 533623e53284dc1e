package board

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
)

const (
	feedPingEvery = 30 * time.Second
	feedWriteWait = 10 * time.Second
	feedPongWait  = 75 * time.Second
	feedReadLimit = 512
)

// feed streams election's entries from ?from=N, then every new entry and
// checkpoint, over a websocket. Entries are sent in index order; a
// checkpoint is sent after the entries it covers. New entries are noticed
// at once when appended by this process and within PollInterval when
// appended by another process sharing the store.
func (h *handler) feed(w http.ResponseWriter, r *http.Request) {
	election := r.PathValue("id")
	from, err := uintParam(r.URL.Query().Get("from"), "from")
	if err == nil && !bulletin.ValidElectionID(election) {
		err = ErrBadRequest
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	conn, err := h.up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	// Reader: the client sends nothing but control frames; a read limit
	// and a pong deadline drop misbehaving or dead clients.
	conn.SetReadLimit(feedReadLimit)
	_ = conn.SetReadDeadline(time.Now().Add(feedPongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(feedPongWait)) })
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	send := func(m *bulletin.FeedMessage) error {
		b, err := canon.Marshal(m)
		if err != nil {
			return err
		}
		_ = conn.SetWriteDeadline(time.Now().Add(feedWriteWait))
		return conn.WriteMessage(websocket.TextMessage, b)
	}
	next, sentCP := from, uint64(0)
	ping := time.NewTicker(feedPingEvery)
	defer ping.Stop()
	poll := time.NewTicker(h.b.opts.PollInterval)
	defer poll.Stop()
	// catchUp sends the entries up to the latest checkpoint, then that
	// checkpoint; false ends the feed.
	// exists: the election has a checkpoint. Until then the feed polls
	// rather than registering for notifications, so that feeds of
	// elections nobody created (any id will do) leave nothing behind.
	exists := false
	catchUp := func() bool {
		n, err := h.b.Checkpoint(ctx, election)
		if err != nil {
			return errors.Is(err, ErrNotFound) // no checkpoint yet: wait for one
		}
		exists = true
		cp, err := bulletin.OpenCheckpoint(n, election, h.b.opts.Verifier)
		if err != nil {
			h.opts.Logger.Error("board: feed: stored checkpoint does not verify", "election", election, "err", err)
			return false
		}
		for next < cp.Size {
			es, err := h.b.Entries(ctx, election, next, cp.Size)
			if err != nil {
				if ctx.Err() == nil {
					h.opts.Logger.Error("board: feed", "election", election, "err", err)
				}
				return false
			}
			for _, e := range es {
				if err := send(&bulletin.FeedMessage{Entry: e}); err != nil {
					return false
				}
				next = e.Index + 1
			}
		}
		if cp.Size > sentCP && cp.Size <= next {
			if err := send(&bulletin.FeedMessage{Checkpoint: string(n)}); err != nil {
				return false
			}
			sentCP = cp.Size
		}
		return true
	}
	for {
		var changed <-chan struct{} // nil: wait for the poll
		had := exists
		if had {
			changed = h.b.changed(election)
		}
		if !catchUp() {
			return
		}
		if exists && !had {
			continue // register, then look again before waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-poll.C:
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(feedWriteWait)); err != nil {
				return
			}
		}
	}
}
