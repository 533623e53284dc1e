// Package browser holds helpers of the browser tests (e2e/browser_test.go):
// a headless Chromium launcher and a small stand-in of the election
// service's voter API, used to develop and test the pages in isolation.
// The end-to-end tests themselves run the real `tabella` binary.
package browser

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"golang.org/x/mod/sumdb/note"
)

// Fake is a stand-in for the voter side of the election service: the
// election information, ballot and spoiled-ballot submission with the
// same checks and error codes, over a real board. It is not the service.
type Fake struct {
	Election *ballot.Election
	Board    *board.Board
	BoardKey string
	Phase    string
	Info     map[string]any

	mu      sync.Mutex
	roll    map[[32]byte]bool
	cast    map[[32]byte]bool
	spoiled map[[32]byte]bool
}

// NewFake returns a fake service for e over board b (with verifier key
// vkey) whose roll holds creds.
func NewFake(e *ballot.Election, b *board.Board, vkey string, creds []*group.Point) *Fake {
	f := &Fake{Election: e, Board: b, BoardKey: vkey, Phase: "open", roll: map[[32]byte]bool{}, cast: map[[32]byte]bool{}, spoiled: map[[32]byte]bool{}}
	for _, c := range creds {
		f.roll[c.Bytes()] = true
	}
	return f
}

type apiErr struct {
	status    int
	code, msg string
}

func (e *apiErr) Error() string { return e.code + ": " + e.msg }

// Handler serves GET /v1/elections/{id}, POST /v1/elections/{id}/entries
// and the board's read API; everything else goes to web.
func (f *Fake) Handler(web http.Handler) http.Handler {
	id := f.Election.Manifest.ElectionID
	mux := http.NewServeMux()
	mux.Handle("/v1/", board.NewHandler(f.Board, board.HandlerOptions{}))
	mux.HandleFunc("GET /v1/elections/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != id {
			writeErr(w, &apiErr{404, "not_found", "no such election"})
			return
		}
		mb, _ := f.Election.Manifest.Encode()
		jk := f.Election.JointKey.Bytes()
		info := map[string]any{"election_id": id, "phase": f.Phase, "manifest": json.RawMessage(mb),
			"joint_key": hex.EncodeToString(jk[:]), "base_hash": hex.EncodeToString(f.Election.BaseHash[:]),
			"ceremony_hash": hex.EncodeToString(f.Election.CeremonyHash[:]),
			"roll":          map[string]any{"count": len(f.roll)}, "board_key": f.BoardKey}
		for k, v := range f.Info {
			info[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(info)
	})
	mux.HandleFunc("POST /v1/elections/{id}/entries", func(w http.ResponseWriter, r *http.Request) {
		var sub struct{ Type, Payload, Signer, Signature string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 20<<20)).Decode(&sub); err != nil {
			writeErr(w, &apiErr{400, "malformed", err.Error()})
			return
		}
		rc, err := f.submit(r.Context(), sub.Type, sub.Payload, sub.Signer)
		if err != nil {
			var ae *apiErr
			if !errors.As(err, &ae) {
				ae = &apiErr{500, "internal", err.Error()}
			}
			writeErr(w, ae)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(rc)
	})
	mux.Handle("/", web)
	return mux
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"code": e.code, "message": e.msg})
}

func (f *Fake) submit(ctx context.Context, typ, payloadHex, signerHex string) ([]byte, error) {
	if f.Phase != "open" {
		return nil, &apiErr{403, "not_open", "the election is not open"}
	}
	payload, err := hex.DecodeString(payloadHex)
	if err != nil {
		return nil, &apiErr{400, "malformed", "payload is not hex"}
	}
	signer, err := hex.DecodeString(signerHex)
	if err != nil || len(signer) != 33 || signer[0] != 3 {
		return nil, &apiErr{400, "malformed", "signer"}
	}
	var b *ballot.Ballot
	switch typ {
	case "ballot":
		if b, err = ballot.DecodeBallot(payload); err != nil {
			return nil, &apiErr{400, "malformed", err.Error()}
		}
		if err := ballot.Verify(f.Election, b); err != nil {
			return nil, &apiErr{400, "bad_proof", err.Error()}
		}
	case "ballot.spoiled":
		s, err := ballot.DecodeSpoiled(payload)
		if err != nil {
			return nil, &apiErr{400, "malformed", err.Error()}
		}
		if _, err := ballot.VerifySpoiled(f.Election, s); err != nil {
			return nil, &apiErr{400, "bad_proof", err.Error()}
		}
		b = s.Ballot
	default:
		return nil, &apiErr{400, "malformed", "type"}
	}
	cred := b.Credential.Bytes()
	if string(signer[1:]) != string(cred[:]) {
		return nil, &apiErr{400, "bad_signature", "signer is not the ballot's credential"}
	}
	h, _ := b.Hash()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.roll[cred] {
		return nil, &apiErr{403, "not_on_roll", "the credential is not on the roll"}
	}
	if typ == "ballot" && f.spoiled[h] {
		return nil, &apiErr{409, "spoiled", "this ballot was spoiled"}
	}
	if typ == "ballot.spoiled" && f.cast[h] {
		return nil, &apiErr{409, "already_cast", "this ballot was cast"}
	}
	rs, err := f.Board.Append(ctx, f.Election.Manifest.ElectionID, board.Submission{Type: typ, Payload: payload, Signer: signer})
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	if typ == "ballot" {
		f.cast[h] = true
	} else {
		f.spoiled[h] = true
	}
	code, _ := b.TrackingCode()
	return json.Marshal(map[string]any{"receipt": json.RawMessage(bulletin.MarshalReceipt(rs[0])), "tracking_code": code})
}

// NoteKeys returns a fresh board key pair for name.
func NoteKeys(name string) (note.Signer, note.Verifier, string, error) {
	skey, vkey, err := note.GenerateKey(nil, name)
	if err != nil {
		return nil, nil, "", err
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, "", err
	}
	v, err := note.NewVerifier(vkey)
	return s, v, vkey, err
}

// DemoManifest is a manifest with one contest of each homomorphic kind.
const DemoManifest = `{"version":"tabella/v1","election_id":"demo","title":"Riverside town vote 2026",` +
	`"schedule":{"opens":"2026-01-01T08:00:00Z","closes":"2027-01-01T20:00:00Z"},"contests":[` +
	`{"id":"mayor","title":"Mayor","kind":"one_of_n","options":[{"id":"alice","title":"Alice Martin"},{"id":"bob","title":"Bob Okafor"},{"id":"carol","title":"Carol Nguyen"}],"min_selections":1,"max_selections":1},` +
	`{"id":"council","title":"City council","kind":"approval","options":[{"id":"dana","title":"Dana Ruiz"},{"id":"eli","title":"Eli Cohen"},{"id":"fay","title":"Fay Osei"},{"id":"gus","title":"Gus Lindqvist"}],"max_selections":2},` +
	`{"id":"parks","title":"Rate the park projects","kind":"score","options":[{"id":"river","title":"Riverside walk"},{"id":"play","title":"New playground"}],"max_score":5,"max_total":8}]}`
