package bulletin

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
)

// Paths of the board's read API (e2e/SPEC.md §8.7), relative to the server
// root; {id} is the election id.
const (
	PathEntries     = "/v1/elections/{id}/entries"
	PathEntry       = "/v1/elections/{id}/entries/{index}"
	PathEntryByHash = "/v1/elections/{id}/entries/by-hash/{hash}"
	PathCheckpoint  = "/v1/elections/{id}/checkpoint"
	PathInclusion   = "/v1/elections/{id}/proof/inclusion"
	PathConsistency = "/v1/elections/{id}/proof/consistency"
	PathCosignature = "/v1/elections/{id}/cosignature"
	PathFeed        = "/v1/elections/{id}/feed"
)

// MaxPage is the most entries one range request returns.
const MaxPage = 1000

// MaxPageBytes bounds the JSON of a range request's answer: a page holds
// as many entries as fit (at least one, which [MaxEntryJSON] bounds), so a
// board of large entries cannot make one answer huge.
const MaxPageBytes = 8 << 20

// EntryPage is the JSON response to a range request: consecutive entries
// from the requested start, at most [MaxPage] of them and at most
// [MaxPageBytes] bytes (but always the first one).
type EntryPage struct {
	Entries []*Entry `json:"entries"`
}

// InclusionProof is the JSON response to an inclusion-proof request: the
// proof that entry Index is in the tree of size Size.
type InclusionProof struct {
	Index uint64 `json:"index"`
	Size  uint64 `json:"size"`
	Proof []Hash `json:"proof"`
}

// ConsistencyProof is the JSON response to a consistency-proof request:
// the proof that the tree of size New extends the tree of size Old.
type ConsistencyProof struct {
	Old   uint64 `json:"old"`
	New   uint64 `json:"new"`
	Proof []Hash `json:"proof"`
}

// FeedMessage is one websocket message of the feed: exactly one of Entry
// or Checkpoint (a signed note) is set. The board sends entries in index
// order and, after the entries a checkpoint covers, that checkpoint.
type FeedMessage struct {
	Entry      *Entry `json:"entry,omitempty"`
	Checkpoint string `json:"checkpoint,omitempty"`
}

// Error codes of the read API, stable across versions (e2e/SPEC.md §8.7).
const (
	CodeBadRequest  = "bad_request"
	CodeNotFound    = "not_found"
	CodeTooLarge    = "too_large"
	CodeRejected    = "rejected"
	CodeCorrupt     = "corrupt"
	CodeInternal    = "internal"
	CodeUnavailable = "unavailable"
)

// APIError is the JSON body of every error response, and the error the
// [Client] returns for one.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error formats the status, code and message.
func (e *APIError) Error() string {
	return fmt.Sprintf("bulletin: server error %d %s: %s", e.Status, e.Code, e.Message)
}

// maxAPIJSON bounds any API response body except pages of entries.
const maxAPIJSON = 1 << 20

// ParseInclusionProof strictly decodes an inclusion-proof response.
func ParseInclusionProof(data []byte) (*InclusionProof, error) {
	var p InclusionProof
	if err := canon.Unmarshal(data, &p, maxAPIJSON); err != nil {
		return nil, fmt.Errorf("%w: inclusion proof: %w", ErrEncoding, err)
	}
	if p.Proof == nil || len(p.Proof) > MaxProofLen || p.Index >= p.Size {
		return nil, fmt.Errorf("%w: inclusion proof: bad shape", ErrEncoding)
	}
	return &p, nil
}

// ParseConsistencyProof strictly decodes a consistency-proof response.
func ParseConsistencyProof(data []byte) (*ConsistencyProof, error) {
	var p ConsistencyProof
	if err := canon.Unmarshal(data, &p, maxAPIJSON); err != nil {
		return nil, fmt.Errorf("%w: consistency proof: %w", ErrEncoding, err)
	}
	if p.Proof == nil || len(p.Proof) > MaxProofLen || p.Old > p.New {
		return nil, fmt.Errorf("%w: consistency proof: bad shape", ErrEncoding)
	}
	return &p, nil
}

// MaxPageJSON bounds a page of entries in JSON.
const MaxPageJSON = 64 << 20

// ParseEntryPage strictly decodes a page of entries and checks every entry's
// shape and hash (not the chain: see [Chain]).
func ParseEntryPage(election string, data []byte) (*EntryPage, error) {
	var p EntryPage
	if err := canon.Unmarshal(data, &p, MaxPageJSON); err != nil {
		return nil, fmt.Errorf("%w: entry page: %w", ErrEncoding, err)
	}
	if p.Entries == nil || len(p.Entries) > MaxPage {
		return nil, fmt.Errorf("%w: entry page: bad shape", ErrEncoding)
	}
	for i, e := range p.Entries {
		if e == nil {
			return nil, fmt.Errorf("%w: entry page: null entry at position %d", ErrEncoding, i)
		}
		if err := e.Check(election); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// ParseFeedMessage strictly decodes one feed message.
func ParseFeedMessage(election string, data []byte) (*FeedMessage, error) {
	var m FeedMessage
	if err := canon.Unmarshal(data, &m, MaxEntryJSON+64); err != nil {
		return nil, fmt.Errorf("%w: feed message: %w", ErrEncoding, err)
	}
	if (m.Entry == nil) == (m.Checkpoint == "") {
		return nil, fmt.Errorf("%w: feed message must hold exactly one of entry and checkpoint", ErrEncoding)
	}
	if m.Entry != nil {
		if err := m.Entry.Check(election); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// ParseEvidence strictly decodes fork evidence; see [CheckEvidence].
func ParseEvidence(data []byte) (*Evidence, error) {
	var ev Evidence
	if err := canon.Unmarshal(data, &ev, 4*MaxNoteSize+MaxProofLen*70+4096); err != nil {
		return nil, fmt.Errorf("%w: evidence: %w", ErrEncoding, err)
	}
	if !ValidElectionID(ev.Election) || ev.Proof == nil || len(ev.Proof) > MaxProofLen {
		return nil, fmt.Errorf("%w: evidence: bad shape", ErrEncoding)
	}
	return &ev, nil
}
