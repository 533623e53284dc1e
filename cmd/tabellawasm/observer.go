package main

import (
	"encoding/hex"
	"fmt"
	"unicode/utf8"

	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/note"
)

// maxShownPayload bounds the payload text handed to the page for entries
// it displays (setup, ceremony, phases, result); larger payloads are only
// counted.
const maxShownPayload = 256 << 10

// observer is an observer's verified view of one board, built from the
// websocket feed: every entry is checked (shape, hash, chain; e2e/SPEC.md
// §8.2) and every checkpoint must be signed by the board and commit to
// exactly the entries received (§8.3, §8.4).
type observer struct {
	election string
	board    note.Verifier
	chain    bulletin.Chain
	tree     bulletin.Tree
	roots    []bulletin.Hash // roots[n-1] is the root of the first n entries
	latest   *bulletin.SignedCheckpoint
	pending  []*bulletin.SignedCheckpoint // checkpoints beyond the entries received so far
}

// ObservedEntry describes a verified entry for the page.
type ObservedEntry struct {
	Index        uint64              `json:"index"`
	Type         string              `json:"type"`
	Time         int64               `json:"time"`
	Hash         string              `json:"hash"`
	SignerKind   int                 `json:"signer_kind"`
	SignerKey    string              `json:"signer_key"`
	TrackingCode string              `json:"tracking_code,omitempty"`
	Choices      map[string][]uint64 `json:"choices,omitempty"`
	SpoilError   string              `json:"spoil_error,omitempty"`
	Payload      string              `json:"payload,omitempty"` // UTF-8 text of small non-ballot payloads
	// Credential is the voter's public key of a ballot, hex.
	Credential string `json:"credential,omitempty"`
}

// ObservedCheckpoint describes a verified checkpoint for the page.
type ObservedCheckpoint struct {
	Size      uint64   `json:"size"`
	Root      string   `json:"root"`
	Matched   bool     `json:"matched"` // the root equals the tree of the entries received
	Witnesses []string `json:"witnesses"`
}

// observe starts (or restarts) following the board of election with the
// board's note verifier key.
func (c *client) observe(election, boardKey string) error {
	if !bulletin.ValidElectionID(election) {
		return fmt.Errorf("%w: election id", errBadInput)
	}
	v, err := parseBoardKey(boardKey)
	if err != nil {
		return err
	}
	c.obs = &observer{election: election, board: v, chain: bulletin.Chain{Election: election}}
	return nil
}

// FeedItem is what observeFeed returns: exactly one of the two is set.
type FeedItem struct {
	Entry      *ObservedEntry      `json:"entry,omitempty"`
	Checkpoint *ObservedCheckpoint `json:"checkpoint,omitempty"`
}

// observeFeed checks one websocket message of the feed (e2e/SPEC.md §8.7),
// an entry or a checkpoint, exactly as received.
func (c *client) observeFeed(msg []byte) (*FeedItem, error) {
	o := c.obs
	if o == nil {
		return nil, fmt.Errorf("%w: not observing a board", errBadInput)
	}
	m, err := bulletin.ParseFeedMessage(o.election, msg)
	if err != nil {
		return nil, err
	}
	if m.Entry != nil {
		e, err := c.addEntry(m.Entry)
		if err != nil {
			return nil, err
		}
		return &FeedItem{Entry: e}, nil
	}
	cp, err := c.observeCheckpoint([]byte(m.Checkpoint))
	if err != nil {
		return nil, err
	}
	return &FeedItem{Checkpoint: cp}, nil
}

// observeEntry checks the next entry of the feed and describes it.
func (c *client) observeEntry(entryJSON []byte) (*ObservedEntry, error) {
	o := c.obs
	if o == nil {
		return nil, fmt.Errorf("%w: not observing a board", errBadInput)
	}
	e, err := bulletin.ParseEntry(o.election, entryJSON)
	if err != nil {
		return nil, err
	}
	return c.addEntry(e)
}

func (c *client) addEntry(e *bulletin.Entry) (*ObservedEntry, error) {
	o := c.obs
	if err := o.chain.Add(e); err != nil {
		return nil, err
	}
	o.tree.Add(e.Hash)
	o.roots = append(o.roots, o.tree.Root())
	// Checkpoints that arrived ahead of their entries are checked now.
	kept := o.pending[:0]
	for _, cp := range o.pending {
		if cp.Size > uint64(len(o.roots)) {
			kept = append(kept, cp)
			continue
		}
		if err := o.match(cp); err != nil {
			return nil, err
		}
	}
	o.pending = kept
	out := &ObservedEntry{Index: e.Index, Type: e.Type, Time: e.Time, Hash: e.Hash.String()}
	if len(e.Signer) > 0 {
		out.SignerKind = int(e.Signer[0])
		out.SignerKey = hex.EncodeToString(e.Signer[1:])
	}
	switch e.Type {
	case "ballot":
		if code, err := trackingCodeOf(e.Payload); err == nil {
			out.TrackingCode = code
		}
	case "ballot.spoiled":
		if c.election == nil {
			break
		}
		if s, err := c.verifySpoiled(e.Payload); err != nil {
			out.SpoilError = err.Error()
		} else {
			out.TrackingCode, out.Choices = s.TrackingCode, s.Choices
		}
	default:
		if len(e.Payload) <= maxShownPayload && utf8.Valid(e.Payload) {
			out.Payload = string(e.Payload)
		}
	}
	return out, nil
}

// observeCheckpoint verifies a signed checkpoint from the feed. A
// checkpoint whose size is within the entries received must have the root
// of those entries: otherwise the board showed a history its signature
// contradicts, which is an error naming both.
func (c *client) observeCheckpoint(noteText []byte) (*ObservedCheckpoint, error) {
	o := c.obs
	if o == nil {
		return nil, fmt.Errorf("%w: not observing a board", errBadInput)
	}
	cp, err := bulletin.OpenCheckpoint(noteText, o.election, o.board)
	if err != nil {
		return nil, err
	}
	out := &ObservedCheckpoint{Size: cp.Size, Root: hex.EncodeToString(cp.Root[:]), Witnesses: cp.Witnesses}
	if out.Witnesses == nil {
		out.Witnesses = []string{}
	}
	if cp.Size == 0 || cp.Size > uint64(len(o.roots)) {
		o.pending = append(o.pending, cp)
		return out, nil
	}
	if err := o.match(cp); err != nil {
		return nil, err
	}
	out.Matched = true
	return out, nil
}

func (o *observer) match(cp *bulletin.SignedCheckpoint) error {
	if cp.Size == 0 {
		return nil
	}
	if got := o.roots[cp.Size-1]; got != bulletin.Hash(cp.Root) {
		return fmt.Errorf("%w: the board's checkpoint of size %d has root %x, its entries give %s", bulletin.ErrFork, cp.Size, cp.Root[:], got)
	}
	if o.latest == nil || cp.Size >= o.latest.Size {
		o.latest = cp
	}
	return nil
}
