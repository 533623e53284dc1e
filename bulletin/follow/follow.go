// Package follow mirrors an election's bulletin board over HTTP and checks
// it as it grows (e2e/SPEC.md §8.8): every entry's hash and the chain, every
// new checkpoint's signature, its consistency with the last checkpoint
// seen, and that its root is the root of the mirrored entries. When two
// signed checkpoints cannot both be honest it stops with [ForkError], whose
// evidence (both signed notes and the proof) convinces anyone holding the
// board's public key. In witness mode it cosigns (C2SP tlog-cosignature)
// each checkpoint it has verified and posts the cosignature to the board.
//
// State (a directory) holds the mirrored entries as canonical JSON lines
// (entries.jsonl), the last verified checkpoint (checkpoint) and, after a
// fork, the evidence (evidence.json). Entries are written and synced before
// the checkpoint that covers them, so a crash leaves at worst entries
// beyond the saved checkpoint, which the next start re-verifies.
package follow

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/bulletin"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ForkError reports a fork; Evidence holds the proof.
type ForkError struct {
	Evidence *bulletin.Evidence
}

// Error names the fork; the details are in Evidence.
func (e *ForkError) Error() string {
	return "follow: fork detected: " + e.Evidence.Reason
}

// Unwrap makes errors.Is(err, bulletin.ErrFork) true.
func (e *ForkError) Unwrap() error { return bulletin.ErrFork }

// Config configures a follower.
type Config struct {
	// Client reads the board.
	Client *bulletin.Client
	// Board is the board's public note key.
	Board note.Verifier
	// Witnesses are optional cosigners whose cosignatures are verified
	// when present.
	Witnesses []note.Verifier
	// StateDir holds the mirror; empty keeps it in memory only.
	StateDir string
	// Cosigner, if set, makes the follower a witness.
	Cosigner note.Signer
	// Poll is how often to look for a new checkpoint when the feed is
	// unavailable; default 2 s.
	Poll time.Duration
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// A Follower mirrors one election's board.
type Follower struct {
	cfg      Config
	election string
	chain    bulletin.Chain
	tree     bulletin.Tree
	entries  *os.File

	mu   sync.Mutex // guards last and the size for readers in other goroutines
	last *bulletin.SignedCheckpoint
	// hashes is the mirror's tlog stored-hash array, so the follower can
	// prove consistency itself when a board shows a smaller tree.
	hashes []tlog.Hash
}

type memReader []tlog.Hash

func (m memReader) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("follow: internal error: tree hash %d not mirrored", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// New loads the state in cfg.StateDir (re-verifying the mirrored entries
// against the saved checkpoint) and returns a follower.
func New(cfg Config) (*Follower, error) {
	if cfg.Client == nil || cfg.Board == nil {
		return nil, errors.New("follow: need a client and the board key")
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	f := &Follower{cfg: cfg, election: cfg.Client.Election()}
	f.chain.Election = f.election
	if cfg.StateDir == "" {
		return f, nil
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("follow: state: %w", err)
	}
	if n, err := os.ReadFile(filepath.Join(cfg.StateDir, "checkpoint")); err == nil {
		cp, err := bulletin.OpenCheckpoint(n, f.election, cfg.Board, cfg.Witnesses...)
		if err != nil {
			return nil, fmt.Errorf("follow: saved checkpoint: %w", err)
		}
		f.last = cp
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("follow: state: %w", err)
	}
	path := filepath.Join(cfg.StateDir, "entries.jsonl")
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("follow: state: %w", err)
	}
	// Replay the mirror up to the saved checkpoint; drop anything after
	// it (written before a crash, not yet covered by a verified checkpoint).
	var want uint64
	if f.last != nil {
		want = f.last.Size
	}
	rd := bufio.NewReaderSize(file, 1<<20)
	var off int64
	for f.chain.Next < want {
		line, err := rd.ReadBytes('\n')
		if err != nil {
			file.Close()
			return nil, fmt.Errorf("follow: state: entries.jsonl ends at entry %d, checkpoint has %d", f.chain.Next, want)
		}
		e, err := bulletin.ParseEntry(f.election, bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			file.Close()
			return nil, fmt.Errorf("follow: state: entry %d: %w", f.chain.Next, err)
		}
		if err := f.chain.Add(e); err != nil {
			file.Close()
			return nil, fmt.Errorf("follow: state: %w", err)
		}
		f.hashes = append(f.hashes, f.tree.Add(e.Hash)...)
		off += int64(len(line))
	}
	if f.last != nil && f.tree.Root() != f.last.Root {
		file.Close()
		return nil, fmt.Errorf("follow: state: mirrored entries do not match the saved checkpoint")
	}
	if err := file.Truncate(off); err != nil {
		file.Close()
		return nil, fmt.Errorf("follow: state: %w", err)
	}
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		file.Close()
		return nil, fmt.Errorf("follow: state: %w", err)
	}
	f.entries = file
	return f, nil
}

// Close releases the state files.
func (f *Follower) Close() error {
	if f.entries != nil {
		return f.entries.Close()
	}
	return nil
}

// Size returns the number of verified mirrored entries.
func (f *Follower) Size() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last == nil {
		return 0
	}
	return f.last.Size
}

// Checkpoint returns the last verified checkpoint, or nil.
func (f *Follower) Checkpoint() *bulletin.SignedCheckpoint {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// Sync fetches the board's latest checkpoint and processes it.
func (f *Follower) Sync(ctx context.Context) error {
	n, err := f.cfg.Client.Checkpoint(ctx)
	if bulletin.IsNotFound(err) {
		return nil // empty board
	}
	if err != nil {
		return err
	}
	return f.Process(ctx, n)
}

// Process verifies a signed checkpoint note against the last one seen,
// mirrors the entries it adds, saves both and, as a witness, cosigns it.
func (f *Follower) Process(ctx context.Context, msg []byte) error {
	cp, err := bulletin.OpenCheckpoint(msg, f.election, f.cfg.Board, f.cfg.Witnesses...)
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	if f.last != nil && cp.Size < f.last.Size {
		// A smaller tree than one already verified: it must be a prefix of
		// the mirror. The follower proves that itself (the board showing
		// the smaller tree may not hold the larger one).
		tp, err := tlog.ProveTree(int64(f.last.Size), int64(cp.Size), memReader(f.hashes))
		if err != nil {
			return fmt.Errorf("follow: %w", err)
		}
		proof := bulletin.FromTlog(tp)
		if err := bulletin.VerifyConsistency(cp.Checkpoint, f.last.Checkpoint, proof); err != nil {
			return f.fork(f.last.Note, cp.Note, proof, err.Error())
		}
		return nil
	}
	if f.last != nil {
		var proof []bulletin.Hash
		if cp.Size != f.last.Size {
			if proof, err = f.cfg.Client.ConsistencyProof(ctx, min(cp.Size, f.last.Size), max(cp.Size, f.last.Size)); err != nil {
				return fmt.Errorf("follow: consistency proof from %d to %d: %w", f.last.Size, cp.Size, err)
			}
		}
		if err := bulletin.VerifyConsistency(f.last.Checkpoint, cp.Checkpoint, proof); err != nil {
			return f.fork(f.last.Note, cp.Note, proof, err.Error())
		}
		if cp.Size <= f.last.Size {
			return nil // nothing new
		}
	}
	// Mirror the new entries and check they are what the checkpoint signs.
	var added []*bulletin.Entry
	var hashes []tlog.Hash
	chain, tree := f.chain, f.tree.Clone()
	for chain.Next < cp.Size {
		es, err := f.cfg.Client.Entries(ctx, chain.Next, cp.Size)
		if err != nil {
			return fmt.Errorf("follow: entries from %d: %w", chain.Next, err)
		}
		if len(es) == 0 {
			return fmt.Errorf("follow: board served no entries from %d though its checkpoint has %d", chain.Next, cp.Size)
		}
		for _, e := range es {
			if err := chain.Add(e); err != nil {
				return fmt.Errorf("follow: %w", err)
			}
			hashes = append(hashes, tree.Add(e.Hash)...)
			added = append(added, e)
		}
	}
	if tree.Root() != cp.Root {
		return fmt.Errorf("%w: follow: the board's entries %d..%d do not match its signed checkpoint of size %d", bulletin.ErrFork, f.chain.Next, cp.Size-1, cp.Size)
	}
	if err := f.save(added, cp.Note); err != nil {
		return err
	}
	f.mu.Lock()
	f.chain, f.tree, f.last = chain, tree, cp
	f.mu.Unlock()
	f.hashes = append(f.hashes, hashes...)
	fmt.Fprintf(f.cfg.Log, "follow: %s: verified checkpoint of size %d\n", f.election, cp.Size)
	if f.cfg.Cosigner != nil {
		text, _, err := bulletin.NoteText(cp.Note)
		if err != nil {
			return fmt.Errorf("follow: %w", err)
		}
		cosigned, err := note.Sign(&note.Note{Text: text}, f.cfg.Cosigner)
		if err != nil {
			return fmt.Errorf("follow: cosign: %w", err)
		}
		if _, err := f.cfg.Client.Cosign(ctx, cosigned); err != nil {
			return fmt.Errorf("follow: posting cosignature of size %d: %w", cp.Size, err)
		}
		fmt.Fprintf(f.cfg.Log, "follow: %s: cosigned checkpoint of size %d\n", f.election, cp.Size)
	}
	return nil
}

func (f *Follower) fork(old, new []byte, proof []bulletin.Hash, reason string) error {
	if proof == nil {
		proof = []bulletin.Hash{}
	}
	ev := &bulletin.Evidence{Election: f.election, Old: string(old), New: string(new), Proof: proof, Reason: reason}
	if f.cfg.StateDir != "" {
		data, _ := jsonMarshal(ev)
		_ = os.WriteFile(filepath.Join(f.cfg.StateDir, "evidence.json"), data, 0o644)
	}
	return &ForkError{Evidence: ev}
}

// save appends the entries to the mirror and syncs them, then replaces the
// checkpoint file (write, sync, rename): entries before the checkpoint
// that covers them.
func (f *Follower) save(added []*bulletin.Entry, cpNote []byte) error {
	if f.cfg.StateDir == "" {
		return nil
	}
	var buf bytes.Buffer
	for _, e := range added {
		buf.Write(bulletin.MarshalEntry(e))
		buf.WriteByte('\n')
	}
	if _, err := f.entries.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("follow: state: %w", err)
	}
	if err := f.entries.Sync(); err != nil {
		return fmt.Errorf("follow: state: %w", err)
	}
	tmp := filepath.Join(f.cfg.StateDir, "checkpoint.tmp")
	if err := writeSync(tmp, cpNote); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(f.cfg.StateDir, "checkpoint")); err != nil {
		return fmt.Errorf("follow: state: %w", err)
	}
	return nil
}

func writeSync(path string, data []byte) error {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("follow: state: %w", err)
	}
	if _, err := file.Write(data); err != nil {
		file.Close()
		return fmt.Errorf("follow: state: %w", err)
	}
	if err := file.Sync(); err != nil {
		file.Close()
		return fmt.Errorf("follow: state: %w", err)
	}
	return file.Close()
}

// Run follows the board until ctx ends or a fork is found: it syncs, then
// listens to the websocket feed for new checkpoints (reconnecting and
// resuming as needed) and falls back to polling.
func (f *Follower) Run(ctx context.Context) error {
	for {
		if err := f.Sync(ctx); err != nil {
			if errors.Is(err, bulletin.ErrFork) || errors.Is(err, bulletin.ErrCheckpoint) || errors.Is(err, bulletin.ErrInvalidEntry) || ctx.Err() != nil {
				return err
			}
			fmt.Fprintf(f.cfg.Log, "follow: %s: %v (retrying)\n", f.election, err)
		}
		err := f.listen(ctx)
		if errors.Is(err, bulletin.ErrFork) || errors.Is(err, bulletin.ErrCheckpoint) || errors.Is(err, bulletin.ErrInvalidEntry) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(f.cfg.Poll):
		}
	}
}

// listen processes checkpoints from the feed until it fails.
func (f *Follower) listen(ctx context.Context) error {
	feed, err := f.cfg.Client.Feed(ctx, f.chain.Next)
	if err != nil {
		return err
	}
	defer feed.Close()
	stop := context.AfterFunc(ctx, func() { feed.Close() })
	defer stop()
	for {
		m, err := feed.Next()
		if err != nil {
			return err
		}
		// Entries arrive before the checkpoint covering them; Process
		// fetches and verifies them itself, so the feed is only a signal.
		if m.Checkpoint != "" {
			if err := f.Process(ctx, []byte(m.Checkpoint)); err != nil {
				return err
			}
		}
	}
}
