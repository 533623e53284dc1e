package service

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// A Client talks to a service's write API and election summaries over
// HTTP. The board's read API has its own client (bulletin.Client).
type Client struct {
	Base string       // server root URL, e.g. "http://127.0.0.1:8080"
	HC   *http.Client // default: a client with a 2-minute timeout
}

// NewClient returns a client for the server at base.
func NewClient(base string) *Client {
	return &Client{Base: strings.TrimSuffix(base, "/"), HC: &http.Client{Timeout: 2 * time.Minute}}
}

// An APIError is an error answer of the server: its status, stable code
// and message.
type APIError struct {
	Status  int
	Code    string
	Message string
	// Rule is the rule of the election (an e2e/rules check name) that
	// refused a submission, or empty.
	Rule string
}

// Error says what the server refused, with its code.
func (e *APIError) Error() string {
	return fmt.Sprintf("server refused (%d %s): %s", e.Status, e.Code, e.Message)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any, limit int64) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("reading the answer of %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("the answer of %s is over %d bytes", path, limit)
	}
	if resp.StatusCode != http.StatusOK {
		var e ErrorJSON
		if json.Unmarshal(data, &e) != nil || e.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(data[:min(len(data), 200)]))}
		}
		return &APIError{Status: resp.StatusCode, Code: e.Code, Message: e.Message, Rule: e.Rule}
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the answer of %s: %w", path, err)
	}
	return nil
}

// Submit posts a submission and returns the receipt.
func (c *Client) Submit(ctx context.Context, id string, s Submission) (*ReceiptJSON, error) {
	if !bulletin.ValidType(s.Type) {
		return nil, fmt.Errorf("malformed entry type %q", s.Type)
	}
	body := AppendSubmission(make([]byte, 0, 64+2*(len(s.Payload)+len(s.Signer)+len(s.Signature))), &s)
	var r ReceiptJSON
	if err := c.do(ctx, http.MethodPost, "/v1/elections/"+url.PathEscape(id)+"/entries", body, &r, 1<<20); err != nil {
		return nil, err
	}
	if r.Receipt == nil {
		return nil, fmt.Errorf("the server answered without a receipt")
	}
	return &r, nil
}

// Info returns the election's summary.
func (c *Client) Info(ctx context.Context, id string) (*Info, error) {
	var in Info
	if err := c.do(ctx, http.MethodGet, "/v1/elections/"+url.PathEscape(id), nil, &in, 16<<20); err != nil {
		return nil, err
	}
	return &in, nil
}

// Official signs entries as an election official (e2e/SPEC.md §11.1).
type Official struct {
	Key ed25519.PrivateKey
}

// Sign returns the submission of an entry signed by the official.
func (o Official) Sign(id, typ string, payload []byte) Submission {
	signer, sig := record.Sign(record.Official, o.Key, id, typ, payload)
	return Submission{Type: typ, Payload: payload, Signer: signer, Signature: sig}
}

// Public returns the official's public key.
func (o Official) Public() ed25519.PublicKey { return o.Key.Public().(ed25519.PublicKey) }

// NewSetup returns the setup payload of an election (e2e/SPEC.md §11.3).
func NewSetup(id, boardName, boardKey string, officials []ed25519.PublicKey, trustees []trustee.Public, threshold int) ([]byte, error) {
	st := &record.Setup{Version: record.Version, ElectionID: id, Board: record.BoardInfo{Name: boardName, Key: boardKey},
		Trustees: trustees, Threshold: threshold}
	for _, k := range officials {
		st.Officials = append(st.Officials, record.Key32(k))
	}
	if err := st.Check(); err != nil {
		return nil, err
	}
	return canon.Marshal(st)
}

// RollPayloads returns the roll.voters payloads (chunks of at most
// record.MaxRollChunk credentials) and the roll.seal payload of a roll
// (e2e/SPEC.md §11.4).
func RollPayloads(id string, creds []*group.Point) (chunks [][]byte, seal []byte, err error) {
	for k := 0; k*record.MaxRollChunk < len(creds); k++ {
		part := creds[k*record.MaxRollChunk : min(len(creds), (k+1)*record.MaxRollChunk)]
		b, err := canon.Marshal(&record.RollVoters{Chunk: k, Credentials: part})
		if err != nil {
			return nil, nil, err
		}
		chunks = append(chunks, b)
	}
	seal, err = canon.Marshal(&record.RollSeal{Count: uint64(len(creds)), Hash: record.Key32(record.RollHash(id, creds))})
	return chunks, seal, err
}

// PhasePayload returns the payload of election.open and election.close.
func PhasePayload(id string) []byte {
	b, _ := canon.Marshal(&record.Phase{ElectionID: id})
	return b
}

// Board returns the server's board name and note verifier key.
func (c *Client) Board(ctx context.Context) (*BoardJSON, error) {
	var b BoardJSON
	if err := c.do(ctx, http.MethodGet, PathBoard, nil, &b, 4096); err != nil {
		return nil, err
	}
	return &b, nil
}

// Election returns the ballot parameters of an election from its summary,
// checking that the base hash the server states is the one its parts give.
func (in *Info) Election() (*ballot.Election, error) {
	if in.JointKey == "" {
		return nil, fmt.Errorf("election %s has no key yet (phase %s)", in.ElectionID, in.Phase)
	}
	m, err := ballot.DecodeManifest(in.Manifest)
	if err != nil {
		return nil, err
	}
	var k group.Point
	if err := k.UnmarshalText([]byte(in.JointKey)); err != nil {
		return nil, fmt.Errorf("joint key: %w", err)
	}
	var ch ballot.Hash
	if err := ch.UnmarshalText([]byte(in.Ceremony)); err != nil {
		return nil, fmt.Errorf("ceremony hash: %w", err)
	}
	el, err := ballot.NewElection(m, &k, ch)
	if err != nil {
		return nil, err
	}
	if fmt.Sprintf("%x", el.BaseHash[:]) != in.BaseHash {
		return nil, fmt.Errorf("the server's base hash does not match the manifest, joint key and ceremony")
	}
	return el, nil
}
