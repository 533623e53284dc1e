package board

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/internal/store"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func (b *Board) head(ctx context.Context, election string) (store.Head, error) {
	if !bulletin.ValidElectionID(election) {
		return store.Head{}, fmt.Errorf("%w: malformed election id", ErrBadRequest)
	}
	h, err := b.st.Head(ctx, election)
	if err != nil {
		return h, fmt.Errorf("board: %s: %w", election, err)
	}
	return h, nil
}

// Size returns the number of entries in election's log.
func (b *Board) Size(ctx context.Context, election string) (uint64, error) {
	h, err := b.head(ctx, election)
	return h.Size, err
}

// Entries returns the entries start <= index < end of election's log, at
// most bulletin.MaxPage of them, end clamped to the log size. It verifies
// what it read: every hash, the chain from entry start-1, and each entry's
// Merkle leaf; a mismatch is an ErrCorrupt error naming the index.
func (b *Board) Entries(ctx context.Context, election string, start, end uint64) ([]*bulletin.Entry, error) {
	h, err := b.head(ctx, election)
	if err != nil {
		return nil, err
	}
	if start > h.Size {
		return nil, fmt.Errorf("%w: %s: entry %d is beyond the log size %d", ErrNotFound, election, start, h.Size)
	}
	end = min(end, h.Size, start+bulletin.MaxPage)
	if end <= start {
		return []*bulletin.Entry{}, nil
	}
	from := start
	if start > 0 {
		from = start - 1
	}
	rows, err := b.st.Entries(ctx, election, from, end)
	if err != nil {
		return nil, corrupt(election, err)
	}
	ch := bulletin.Chain{Election: election, Next: from}
	if start > 0 {
		if len(rows) == 0 || rows[0].Index != from {
			return nil, fmt.Errorf("%w: %s: entry %d is missing", ErrCorrupt, election, from)
		}
		p := &rows[0]
		if err := p.Check(election); err != nil {
			return nil, corrupt(election, err)
		}
		ch.Next, ch.Last, ch.LastTime = start, p.Hash, p.Time
		rows = rows[1:]
	}
	out := make([]*bulletin.Entry, 0, len(rows))
	for i := range rows {
		if err := ch.Add(&rows[i]); err != nil {
			return nil, corrupt(election, err)
		}
		out = append(out, &rows[i])
	}
	if ch.Next != end {
		return nil, fmt.Errorf("%w: %s: entry %d is missing", ErrCorrupt, election, ch.Next)
	}
	if end == h.Size && ch.Last != h.Last {
		return nil, fmt.Errorf("%w: %s: entry %d does not match the log head", ErrCorrupt, election, end-1)
	}
	idx := make([]int64, len(out))
	for i, e := range out {
		idx[i] = tlog.StoredHashIndex(0, int64(e.Index))
	}
	leaves, err := b.st.ReadHashes(ctx, election, idx)
	if err != nil {
		return nil, corrupt(election, err)
	}
	for i, e := range out {
		if bulletin.Hash(leaves[i]) != bulletin.LeafHash(e.Hash) {
			return nil, fmt.Errorf("%w: %s: entry %d does not match its Merkle leaf", ErrCorrupt, election, e.Index)
		}
	}
	return out, nil
}

func corrupt(election string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrCorrupt, election, err)
}

// Entry returns entry index of election's log, verified as in Entries.
func (b *Board) Entry(ctx context.Context, election string, index uint64) (*bulletin.Entry, error) {
	es, err := b.Entries(ctx, election, index, index+1)
	if err != nil {
		return nil, err
	}
	if len(es) != 1 {
		return nil, fmt.Errorf("%w: %s: entry %d", ErrNotFound, election, index)
	}
	return es[0], nil
}

// EntryByHash returns the entry of election's log with entry hash h.
func (b *Board) EntryByHash(ctx context.Context, election string, h bulletin.Hash) (*bulletin.Entry, error) {
	if _, err := b.head(ctx, election); err != nil {
		return nil, err
	}
	i, err := b.st.IndexByHash(ctx, election, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s: entry %s", ErrNotFound, election, h)
	}
	if err != nil {
		return nil, fmt.Errorf("board: %s: %w", election, err)
	}
	e, err := b.Entry(ctx, election, i)
	if err != nil {
		return nil, err
	}
	if e.Hash != h {
		return nil, fmt.Errorf("%w: %s: entry %d indexed under the wrong hash", ErrCorrupt, election, i)
	}
	return e, nil
}

// Checkpoint returns the latest signed checkpoint of election's log, with
// the witness cosignatures the board holds.
func (b *Board) Checkpoint(ctx context.Context, election string) ([]byte, error) {
	if !bulletin.ValidElectionID(election) {
		return nil, fmt.Errorf("%w: malformed election id", ErrBadRequest)
	}
	_, n, err := b.st.LatestCheckpoint(ctx, election)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s: no checkpoint yet", ErrNotFound, election)
	}
	if err != nil {
		return nil, fmt.Errorf("board: %s: %w", election, err)
	}
	return n, nil
}

type storeReader struct {
	ctx      context.Context
	st       store.Store
	election string
}

func (r storeReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	return r.st.ReadHashes(r.ctx, r.election, idx)
}

// InclusionProof returns the proof that entry index is in the tree of the
// first size entries (index < size <= log size).
func (b *Board) InclusionProof(ctx context.Context, election string, index, size uint64) ([]bulletin.Hash, error) {
	h, err := b.head(ctx, election)
	if err != nil {
		return nil, err
	}
	if index >= size || size > h.Size {
		return nil, fmt.Errorf("%w: %s: no inclusion proof for entry %d in size %d (log size %d)", ErrNotFound, election, index, size, h.Size)
	}
	p, err := tlog.ProveRecord(int64(size), int64(index), storeReader{ctx, b.st, election})
	if err != nil {
		return nil, corrupt(election, err)
	}
	return bulletin.FromTlog(p), nil
}

// ConsistencyProof returns the proof that the tree of size newSize extends
// the tree of size oldSize (1 <= oldSize <= newSize <= log size; empty for
// equal sizes).
func (b *Board) ConsistencyProof(ctx context.Context, election string, oldSize, newSize uint64) ([]bulletin.Hash, error) {
	h, err := b.head(ctx, election)
	if err != nil {
		return nil, err
	}
	if oldSize < 1 || oldSize > newSize || newSize > h.Size {
		return nil, fmt.Errorf("%w: %s: no consistency proof from size %d to %d (log size %d)", ErrNotFound, election, oldSize, newSize, h.Size)
	}
	if oldSize == newSize {
		return []bulletin.Hash{}, nil
	}
	p, err := tlog.ProveTree(int64(newSize), int64(oldSize), storeReader{ctx, b.st, election})
	if err != nil {
		return nil, corrupt(election, err)
	}
	return bulletin.FromTlog(p), nil
}

// Receipt returns a receipt for entry index against the latest checkpoint.
func (b *Board) Receipt(ctx context.Context, election string, index uint64) (*bulletin.Receipt, error) {
	n, err := b.Checkpoint(ctx, election)
	if err != nil {
		return nil, err
	}
	cp, err := bulletin.OpenCheckpoint(n, election, b.opts.Verifier)
	if err != nil {
		return nil, corrupt(election, err)
	}
	e, err := b.Entry(ctx, election, index)
	if err != nil {
		return nil, err
	}
	if index >= cp.Size {
		return nil, fmt.Errorf("%w: %s: entry %d not yet covered by a checkpoint", ErrNotFound, election, index)
	}
	p, err := b.InclusionProof(ctx, election, index, cp.Size)
	if err != nil {
		return nil, err
	}
	return &bulletin.Receipt{Election: election, Index: index, EntryHash: e.Hash, Checkpoint: string(n), Inclusion: p}, nil
}

// AddCosignatures accepts a checkpoint note carrying cosignatures by the
// board's witnesses (C2SP tlog-cosignature). The body must equal the board's
// stored checkpoint of that size; every signature by a known witness must
// verify, and at least one must be present. The cosignatures are merged
// into the stored note (replacing older ones by the same key) and the
// updated note is returned.
func (b *Board) AddCosignatures(ctx context.Context, election string, msg []byte) ([]byte, error) {
	if !bulletin.ValidElectionID(election) {
		return nil, fmt.Errorf("%w: malformed election id", ErrBadRequest)
	}
	if len(msg) > bulletin.MaxNoteSize {
		return nil, fmt.Errorf("%w: note of %d bytes", ErrTooLarge, len(msg))
	}
	text, _, err := bulletin.NoteText(msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	cp, err := bulletin.ParseCheckpoint(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	if cp.Origin != bulletin.Origin(b.name, election) {
		return nil, fmt.Errorf("%w: checkpoint origin %q is not this election's", ErrRejected, cp.Origin)
	}
	n, err := note.Open(msg, note.VerifierList(b.opts.Witnesses...))
	if err != nil {
		return nil, fmt.Errorf("%w: cosignature: %w", ErrRejected, err)
	}
	var out []byte
	err = b.st.UpdateCheckpoint(ctx, election, cp.Size, func(old []byte) ([]byte, error) {
		oldText, lines, err := bulletin.NoteText(old)
		if err != nil {
			return nil, corrupt(election, err)
		}
		if oldText != text {
			return nil, fmt.Errorf("%w: the cosigned checkpoint of size %d differs from the board's", ErrRejected, cp.Size)
		}
		for _, s := range n.Sigs {
			line := "— " + s.Name + " " + s.Base64
			replaced := false
			for i, l := range lines {
				if name, hash, ok := sigLineKey(l); ok && name == s.Name && hash == s.Hash {
					lines[i], replaced = line, true
				}
			}
			if !replaced {
				lines = append(lines, line)
			}
		}
		if len(lines) > 1+len(b.opts.Witnesses) {
			return nil, fmt.Errorf("%w: too many signatures", ErrRejected)
		}
		out = []byte(text + "\n" + strings.Join(lines, "\n") + "\n")
		return out, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s: no checkpoint of size %d", ErrNotFound, election, cp.Size)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func sigLineKey(line string) (string, uint32, bool) {
	rest, ok := strings.CutPrefix(line, "— ")
	if !ok {
		return "", 0, false
	}
	name, b64, ok := strings.Cut(rest, " ")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if !ok || err != nil || len(raw) < 4 {
		return "", 0, false
	}
	return name, binary.BigEndian.Uint32(raw), true
}
