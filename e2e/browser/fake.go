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
	"github.com/tabella-vote/tabella/ballot/elgamal"
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
	// Secret, if set, enables POST /dev/tally (Tally with it).
	Secret *group.Scalar

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
		f.mu.Lock()
		phase := f.Phase
		f.mu.Unlock()
		info := map[string]any{"election_id": id, "phase": phase, "manifest": json.RawMessage(mb),
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
	if f.Secret != nil {
		mux.HandleFunc("POST /dev/tally", func(w http.ResponseWriter, r *http.Request) {
			if err := f.Tally(r.Context(), f.Secret); err != nil {
				http.Error(w, err.Error(), 500)
			}
		})
	}
	mux.Handle("/", web)
	return mux
}

func writeErr(w http.ResponseWriter, e *apiErr) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"code": e.code, "message": e.msg})
}

func (f *Fake) submit(ctx context.Context, typ, payloadHex, signerHex string) ([]byte, error) {
	f.mu.Lock()
	phase := f.Phase
	f.mu.Unlock()
	if phase == "closed" || phase == "tallied" {
		return nil, &apiErr{403, "closed", "the election is closed"}
	}
	if phase != "open" {
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

// DemoManifest is a manifest with one contest of each homomorphic kind. The
// election and its contests carry titles in French and German, one option
// in French (e2e/SPEC.md §6.1); Spanish and Italian readers see the
// default titles.
const DemoManifest = `{"version":"tabella/v1","election_id":"demo","title":"Riverside town vote 2026","titles":{"de":"Abstimmung in Riverside 2026","fr":"Votation de Riverside 2026"},` +
	`"schedule":{"opens":"2026-01-01T08:00:00Z","closes":"2027-01-01T20:00:00Z"},"contests":[` +
	`{"id":"mayor","title":"Mayor","titles":{"de":"Bürgermeister","fr":"Maire"},"kind":"one_of_n","options":[{"id":"alice","title":"Alice Martin"},{"id":"bob","title":"Bob Okafor"},{"id":"carol","title":"Carol Nguyen"}],"min_selections":1,"max_selections":1},` +
	`{"id":"council","title":"City council","titles":{"de":"Stadtrat","fr":"Conseil municipal"},"kind":"approval","options":[{"id":"dana","title":"Dana Ruiz"},{"id":"eli","title":"Eli Cohen"},{"id":"fay","title":"Fay Osei"},{"id":"gus","title":"Gus Lindqvist"}],"max_selections":2},` +
	`{"id":"parks","title":"Rate the park projects","titles":{"de":"Bewerten Sie die Parkprojekte","fr":"Notez les projets de parcs"},"kind":"score","options":[{"id":"river","title":"Riverside walk","titles":{"fr":"Promenade de la rivière"}},{"id":"play","title":"New playground"}],"max_score":5,"max_total":8}]}`

// DemoTrustees are the stand-in's trustees, for the observer page.
var DemoTrustees = []string{"Ada (city clerk)", "Ben (league of voters)", "Chidi (university)"}

func trusteeKey(i int) []byte {
	k := make([]byte, 32)
	k[0], k[31] = byte(i+1), 0x5a
	return k
}

// PostSetup posts stand-in setup, roll, ceremony and open entries, so
// that the observer page has something to show. Their payloads have the
// shapes of e2e/SPEC.md §11 but are not a valid ceremony: the stand-in is
// for the pages only.
func (f *Fake) PostSetup(ctx context.Context) error {
	id := f.Election.Manifest.ElectionID
	var trustees []map[string]any
	for i, n := range DemoTrustees {
		trustees = append(trustees, map[string]any{"version": "tabella/v1", "name": n, "signing_key": hex.EncodeToString(trusteeKey(i))})
	}
	setup, _ := json.Marshal(map[string]any{"version": "tabella/v1", "election_id": id, "trustees": trustees, "threshold": 2})
	mb, _ := f.Election.Manifest.Encode()
	seal, _ := json.Marshal(map[string]any{"count": len(f.roll), "hash": hex.EncodeToString(make([]byte, 32))})
	jk := f.Election.JointKey.Bytes()
	result, _ := json.Marshal(map[string]any{"ceremony": hex.EncodeToString(f.Election.CeremonyHash[:]), "threshold": 2, "qualified": []int{1, 2, 3}, "joint_key": hex.EncodeToString(jk[:])})
	subs := []board.Submission{
		{Type: "election.setup", Payload: setup, Signer: []byte{1}},
		{Type: "election.manifest", Payload: mb, Signer: []byte{1}},
		{Type: "roll.seal", Payload: seal, Signer: []byte{1}},
		{Type: "ceremony.params", Payload: []byte(`{"round_seconds":600}`), Signer: []byte{1}},
	}
	for _, typ := range []string{"ceremony.commitments", "ceremony.shares"} {
		for i := range DemoTrustees {
			subs = append(subs, board.Submission{Type: typ, Payload: []byte(fmt.Sprintf(`{"trustee":%d}`, i)), Signer: append([]byte{2}, trusteeKey(i)...)})
		}
	}
	subs = append(subs, board.Submission{Type: "ceremony.result", Payload: result, Signer: []byte{4}},
		board.Submission{Type: "election.open", Payload: []byte(`{"election_id":"` + id + `"}`), Signer: []byte{1}})
	for _, s := range subs {
		if _, err := f.Board.Append(ctx, id, s); err != nil {
			return err
		}
	}
	return nil
}

// Tally closes the stand-in election and posts two trustees' shares and
// the result of the last ballot of each credential, decrypted with the
// stand-in's secret key.
func (f *Fake) Tally(ctx context.Context, secret *group.Scalar) error {
	id := f.Election.Manifest.ElectionID
	f.mu.Lock()
	f.Phase = "closed"
	f.mu.Unlock()
	if _, err := f.Board.Append(ctx, id, board.Submission{Type: "election.close", Payload: []byte(`{"election_id":"` + id + `"}`), Signer: []byte{1}}); err != nil {
		return err
	}
	entries, err := f.Board.Entries(ctx, id, 0, 1<<20)
	if err != nil {
		return err
	}
	last := map[string]*ballot.Ballot{}
	var order []string
	for _, e := range entries {
		if e.Type != "ballot" {
			continue
		}
		b, err := ballot.DecodeBallot(e.Payload)
		if err != nil {
			return err
		}
		k := string(e.Signer)
		if last[k] == nil {
			order = append(order, k)
		}
		last[k] = b
	}
	dl := elgamal.NewDLog(1 << 16)
	type opt struct {
		ID    string `json:"id"`
		Count uint64 `json:"count"`
	}
	type con struct {
		ID      string `json:"id"`
		Options []opt  `json:"options"`
	}
	var cs []con
	for i, c := range f.Election.Manifest.Contests {
		if c.Kind == ballot.Ranked {
			continue // counted after the stand-in mix (postMixes)
		}
		cr := con{ID: c.ID}
		for j, o := range c.Options {
			sum := elgamal.Zero()
			for _, k := range order {
				sum = sum.Add(last[k].Contests[i].Selections[j].Ciphertext)
			}
			n, err := dl.Solve(sum.Decrypt(secret))
			if err != nil {
				return err
			}
			cr.Options = append(cr.Options, opt{o.ID, n})
		}
		cs = append(cs, cr)
	}
	for i := 0; i < 2; i++ {
		if _, err := f.Board.Append(ctx, id, board.Submission{Type: "tally.share", Payload: []byte(fmt.Sprintf(`{"trustee":%d}`, i)), Signer: append([]byte{2}, trusteeKey(i)...)}); err != nil {
			return err
		}
	}
	res, _ := json.Marshal(map[string]any{"version": "tabella-result/v1", "election": hex.EncodeToString(f.Election.BaseHash[:]), "turnout": len(order), "contests": cs, "trustees": []int{0, 1}, "shares": []int{}})
	var counted []*ballot.Ballot
	for _, k := range order {
		counted = append(counted, last[k])
	}
	if err := f.postMixes(ctx, secret, counted, dl); err != nil {
		return err
	}
	f.mu.Lock()
	f.Phase = "tallied"
	f.mu.Unlock()
	_, err = f.Board.Append(ctx, id, board.Submission{Type: "tally.result", Payload: res, Signer: []byte{4}})
	return err
}
