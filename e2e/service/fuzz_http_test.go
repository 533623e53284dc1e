package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
)

// Fuzz targets of the HTTP API's bodies and of the messages of both
// websockets, through the real handlers. Seed corpora: the f.Add calls
// and testdata/fuzz/<target>.

// fuzzHarness is an open election with two voters behind the whole
// handler (trustee socket included), with rate limits out of the way so
// that every input reaches the decoders and the rules.
func fuzzHarness(f *testing.F) (*harness, http.Handler, *httptest.Server) {
	h := newHarness(f, 2, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	h.post(record.TypeOpen, PhasePayload(h.id))
	co := coord.New(h.svc.Backend(), coord.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hd := h.svc.Handler(HTTPOptions{IPRate: 1e9, IPBurst: 1e9, CredRate: 1e9, CredBurst: 1e9, Trustee: co})
	srv := httptest.NewServer(hd)
	f.Cleanup(srv.Close)
	return h, hd, srv
}

// checkErrorBody: an error answer is a canonical JSON ErrorJSON with a
// known code.
func checkErrorBody(t *testing.T, status int, body []byte) {
	t.Helper()
	var e ErrorJSON
	if err := canon.Unmarshal(body, &e, 1<<20); err != nil {
		t.Fatalf("status %d with a body that is not an error document: %q (%v)", status, body, err)
	}
	if e.Code == "" || e.Message == "" {
		t.Fatalf("status %d: error without code or message: %q", status, body)
	}
}

// dialSend opens a websocket, sends one message and sets a 10 s read
// deadline; the connection is closed when the test ends.
func dialSend(t *testing.T, wsURL string, kind int, msg []byte) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.WriteMessage(kind, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return conn
}

// FuzzSubmitHandler posts arbitrary bodies (and election ids) to POST
// /v1/elections/{id}/entries through the whole handler: never a 5xx,
// every refusal a JSON error with a stable code, and nothing appended
// unless the answer is a receipt of an entry that is on the board.
func FuzzSubmitHandler(f *testing.F) {
	h, hd, _ := fuzzHarness(f)
	_, good, _ := h.ballot(0, 1)
	sub := voterSub(h.creds[0].Public(), record.TypeBallot, good)
	f.Add("e1", string(AppendSubmission(nil, &sub)))
	f.Add("e1", `{"type":"ballot","payload":"00","signer":"03aa","signature":""}`)
	f.Add("e1", `{"type":"election.close","payload":"7b7d","signer":"01","signature":"00"}`)
	f.Add("e1", `{"type":"ballot","payload":"`+strings.Repeat("ab", 70000)+`","signer":"","signature":""}`)
	f.Add("nope", `{}`)
	f.Add("E1", `[]`)
	f.Fuzz(func(t *testing.T, id, body string) {
		if id == "" || id == "." || id == ".." {
			// "." and ".." are not an id in a path: net/http cleans the
			// path and redirects (307) before any handler of ours runs.
			return
		}
		before := h.size()
		req := httptest.NewRequest(http.MethodPost, "/v1/elections/"+url.PathEscape(id)+"/entries", strings.NewReader(body))
		rec := httptest.NewRecorder()
		hd.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d: %s", rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				checkErrorBody(t, rec.Code, rec.Body.Bytes())
			}
			if id == h.id && h.size() != before {
				t.Fatalf("refused (%d) but the board grew from %d to %d", rec.Code, before, h.size())
			}
			return
		}
		var r ReceiptJSON
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Receipt == nil {
			t.Fatalf("200 without a receipt: %s", rec.Body)
		}
		e, err := h.svc.Board().Entry(context.Background(), h.id, r.Receipt.Index)
		if err != nil || e.Hash != r.Receipt.EntryHash {
			t.Fatalf("receipt of entry %d not on the board: %v", r.Receipt.Index, err)
		}
	})
}

// FuzzFeedSocket sends an arbitrary message (text or binary, any size)
// over the board's feed websocket: the client sends nothing but control
// frames, so the server either ignores it and keeps streaming valid
// entries, or (over the 512-byte read limit) closes with 1009 "message
// too big"; either way the server keeps serving.
func FuzzFeedSocket(f *testing.F) {
	h, _, srv := fuzzHarness(f)
	f.Add([]byte("hello"), false)
	f.Add([]byte(`{"from":0}`), false)
	f.Add(make([]byte, 513), true)
	f.Add([]byte(strings.Repeat("x", 4096)), false)
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/elections/" + h.id + "/feed?from=0"
	f.Fuzz(func(t *testing.T, msg []byte, binary bool) {
		kind := websocket.TextMessage
		if binary {
			kind = websocket.BinaryMessage
		}
		conn := dialSend(t, wsURL, kind, msg)
		// The feed sends the entries from 0 then a checkpoint; read until
		// the checkpoint or the close.
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if len(msg) > 512 && errors.As(err, &ce) && ce.Code == websocket.CloseMessageTooBig {
					break
				}
				if len(msg) > 512 && strings.Contains(err.Error(), "connection reset") {
					break // the server may close before the client reads the close frame
				}
				t.Fatalf("%d-byte message: feed ended with %v", len(msg), err)
			}
			m, err := bulletin.ParseFeedMessage(h.id, data)
			if err != nil {
				t.Fatalf("the feed sent %q: %v", data, err)
			}
			if m.Checkpoint != "" {
				if len(msg) > 512 {
					continue // the close comes once the reader sees the frame
				}
				break
			}
		}
		resp, err := http.Get(srv.URL + PathHealth)
		if err != nil {
			t.Fatalf("the server stopped answering: %v", err)
		}
		resp.Body.Close()
	})
}

// FuzzTrusteeSocket sends an arbitrary message over the trustee
// websocket: every answer decodes as a server message; a refusal leaves
// the board as it was; a message that does not decode ends the
// connection with an error message.
func FuzzTrusteeSocket(f *testing.F) {
	h, _, srv := fuzzHarness(f)
	pub := h.ids[0].Public()
	signer := record.Signer{Kind: record.Trustee, Key: pub.SigningKey}
	payload := []byte(`{"version":"x"}`)
	sig := h.ids[0].Sign(h.id, record.TypeCommitments, payload)
	valid, err := canon.Marshal(&coord.ClientMessage{Submit: &coord.Submit{ID: 7, Type: record.TypeCommitments, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"submit":{"id":1,"type":"ballot","payload":"","signer":"","signature":""}}`))
	f.Add([]byte(`{"submit":null}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/elections/" + h.id + "/trustee?from=1000000"
	f.Fuzz(func(t *testing.T, msg []byte) {
		before := h.size()
		conn := dialSend(t, wsURL, websocket.TextMessage, msg)
		_, decodeErr := coord.DecodeClientMessage(msg)
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				if len(msg) > coord.MaxClientMessage || decodeErr != nil {
					break // closed, after an error message or for the size
				}
				t.Fatalf("connection ended before an answer: %v", err)
			}
			m, err := coord.DecodeServerMessage(h.id, data)
			if err != nil {
				t.Fatalf("the server sent %q: %v", data, err)
			}
			if m.Error != nil {
				if h.size() != before {
					t.Fatalf("refused (%s) but the board grew", m.Error.Message)
				}
				if decodeErr != nil {
					if m.Error.ID != 0 {
						t.Fatalf("an undecodable message answered with id %d", m.Error.ID)
					}
					continue // the close follows
				}
				break
			}
			if m.Receipt != nil {
				break
			}
		}
	})
}
