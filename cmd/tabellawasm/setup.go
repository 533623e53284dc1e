package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/bulletin"
)

// errSetupMismatch: the election information the server gave the page is
// not what the public board says.
var errSetupMismatch = errors.New("tabellawasm: the election data does not match the public board")

// setupCheck checks, before a voter casts, that what the page encrypts to
// is what the public board says: it reads the board from entry 0 until
// the key ceremony's result, chains every entry (e2e/SPEC.md §8.2),
// compares the manifest entry with the manifest in use and the
// ceremony.result's joint key and ceremony hash with the ones in use
// (§11.2, §9.7), and finally proves that the board's signed checkpoint
// extends exactly the entries read (consistency proof, §8.3). A server
// that gave this voter another key would have to sign a forked board,
// which followers and witnesses catch.
type setupCheck struct {
	chain            bulletin.Chain
	tree             bulletin.Tree
	manifest, result bool
}

// SetupProgress is what setupPage returns.
type SetupProgress struct {
	Next uint64 `json:"next"` // the index of the next entry to read
	Done bool   `json:"done"` // both the manifest and the ceremony result were found and match
}

// SetupResult is what setupFinish returns.
type SetupResult struct {
	Entries        uint64 `json:"entries"`
	CheckpointSize uint64 `json:"checkpoint_size"`
}

func (c *client) setupBegin() error {
	if c.election == nil {
		return errNoElection
	}
	if c.board == nil {
		return fmt.Errorf("%w: no board key", errBadInput)
	}
	c.setup = &setupCheck{chain: bulletin.Chain{Election: c.election.Manifest.ElectionID}}
	return nil
}

// setupPage checks the next page of entries (GET …/entries?start=next).
func (c *client) setupPage(page []byte) (*SetupProgress, error) {
	s := c.setup
	if s == nil || c.election == nil {
		return nil, fmt.Errorf("%w: setup check not started", errBadInput)
	}
	id := c.election.Manifest.ElectionID
	p, err := bulletin.ParseEntryPage(id, page)
	if err != nil {
		return nil, err
	}
	if len(p.Entries) == 0 {
		return nil, fmt.Errorf("%w: the board ends at entry %d without the key ceremony's result", errSetupMismatch, s.chain.Next)
	}
	for _, e := range p.Entries {
		if s.manifest && s.result {
			break
		}
		if err := s.chain.Add(e); err != nil {
			return nil, err
		}
		s.tree.Add(e.Hash)
		switch e.Type {
		case "election.manifest":
			m, err := c.election.Manifest.Encode()
			if err != nil {
				return nil, err
			}
			if !bytes.Equal(m, e.Payload) {
				return nil, fmt.Errorf("%w: the manifest in use is not the board's (entry %d)", errSetupMismatch, e.Index)
			}
			s.manifest = true
		case "ceremony.result":
			var r struct {
				Ceremony string `json:"ceremony"`
				JointKey string `json:"joint_key"`
			}
			if err := json.Unmarshal(e.Payload, &r); err != nil {
				return nil, fmt.Errorf("%w: entry %d: %v", errSetupMismatch, e.Index, err)
			}
			jk := c.election.JointKey.Bytes()
			if r.JointKey != fmt.Sprintf("%x", jk[:]) {
				return nil, fmt.Errorf("%w: the joint key in use is not the one on the board (entry %d)", errSetupMismatch, e.Index)
			}
			if r.Ceremony != fmt.Sprintf("%x", c.election.CeremonyHash[:]) {
				return nil, fmt.Errorf("%w: the ceremony hash in use is not the one on the board (entry %d)", errSetupMismatch, e.Index)
			}
			s.result = true
		}
	}
	return &SetupProgress{Next: s.chain.Next, Done: s.manifest && s.result}, nil
}

// setupFinish opens the board's latest signed checkpoint and checks, with
// the consistency proof from the entries read to its size (empty if
// equal), that it extends them.
func (c *client) setupFinish(note, proofJSON []byte) (*SetupResult, error) {
	s := c.setup
	if s == nil || !s.manifest || !s.result {
		return nil, fmt.Errorf("%w: setup check not complete", errBadInput)
	}
	cp, err := bulletin.OpenCheckpoint(note, c.election.Manifest.ElectionID, c.board)
	if err != nil {
		return nil, err
	}
	prefix := bulletin.Checkpoint{Origin: cp.Origin, Size: s.tree.Size(), Root: s.tree.Root()}
	if cp.Size < prefix.Size {
		return nil, fmt.Errorf("%w: the signed checkpoint (size %d) is older than the entries read (%d)", errSetupMismatch, cp.Size, prefix.Size)
	}
	var proof []bulletin.Hash
	if cp.Size > prefix.Size {
		p, err := bulletin.ParseConsistencyProof(proofJSON)
		if err != nil {
			return nil, err
		}
		if p.Old != prefix.Size || p.New != cp.Size {
			return nil, fmt.Errorf("%w: consistency proof for sizes %d→%d, want %d→%d", bulletin.ErrProof, p.Old, p.New, prefix.Size, cp.Size)
		}
		proof = p.Proof
	}
	if err := bulletin.VerifyConsistency(prefix, cp.Checkpoint, proof); err != nil {
		return nil, err
	}
	return &SetupResult{Entries: prefix.Size, CheckpointSize: cp.Size}, nil
}
