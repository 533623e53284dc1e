package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
)

// Options tune a verification.
type Options struct {
	// BoardKey, if set, is the board's note verifier key as the observer
	// pinned it out of band; the record's header and setup must carry it.
	BoardKey string
	// Witnesses are the witness cosignature verifiers the observer trusts;
	// every cosignature by one of them must verify, and the last checkpoint
	// needs at least WitnessQuorum of them.
	Witnesses     []note.Verifier
	WitnessQuorum int
	// All keeps checking after the first failure and reports every one
	// (at most MaxFailures, default 1000).
	All         bool
	MaxFailures int
	// Partial accepts a record that ends before the result (a live board):
	// everything present is checked.
	Partial bool
	// BatchSize is the number of ballots verified per batch (default 2048).
	BatchSize int
	// Receipts are voters' receipts to check against the record.
	Receipts []*bulletin.Receipt
	// Source, if set, holds the record's bytes for a second read of the
	// few ballots that a later ballot replaced: the verifier then keeps
	// one entry index and hash per voter instead of the vector of its
	// counted ballot, and its memory does not grow with the ballots'
	// size. [Record] sets it when its reader is an io.ReaderAt (a file).
	Source io.ReaderAt
}

// Record verifies an election record file (e2e/SPEC.md §11.7) read from r,
// entry by entry as it reads (e2e/SPEC.md §12). It returns the report; the
// error is the first failure (a *[Failure], wrapping [ErrInvalid]) or a
// read or context error.
func Record(ctx context.Context, r io.Reader, opts Options) (*Report, error) {
	start := time.Now()
	if ra, ok := r.(io.ReaderAt); ok && opts.Source == nil {
		opts.Source = ra
	}
	rd, err := record.NewReader(r)
	if err != nil {
		rep := &Report{Failures: []*Failure{{Check: CheckFormat, Entry: -1, Line: 1, Message: err.Error(), err: err}}}
		rep.Timings.Total = time.Since(start)
		return rep, rep.Failures[0]
	}
	v, err := New(rd.Header(), opts)
	if err != nil {
		return v.Finish(), err
	}
	v.start = start
	for !v.Stopped() {
		if err := ctx.Err(); err != nil {
			v.Finish()
			return v.rep, err
		}
		t := time.Now()
		it, err := rd.Next()
		v.rep.Timings.Read += time.Since(t)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			c := CheckFormat
			if errors.Is(err, bulletin.ErrInvalidEntry) {
				c = CheckEntry
			}
			v.line = v.lastLine + 1
			v.fail(c, -1, "", err, "%v", err)
			v.setFatal()
			break
		}
		v.Add(it)
	}
	rep := v.Finish()
	return rep, rep.Err()
}

// A Verifier checks a record item by item: [New], then [Verifier.Add] for
// each entry and checkpoint in record order, then [Verifier.Finish].
type Verifier struct {
	opts     Options
	header   record.Header
	board    note.Verifier
	boardPub [32]byte
	rep      *Report
	start    time.Time

	mu       sync.Mutex // guards failures, fatal and stop (the ballot pipeline reports too)
	failures []*Failure
	fatal    bool
	stop     bool

	line, lastLine int
	lastIsCP       bool

	// board
	next      uint64
	lastHash  bulletin.Hash
	lastTime  int64
	stored    []tlog.Hash // tlog stored hashes of the tree
	tree      bulletin.Tree
	subKeys   map[bulletin.Hash]uint64
	cpRoots   map[uint64]bulletin.Hash
	cpNotes   map[uint64][]byte
	lastCP    uint64
	haveCP    bool
	lastWit   int
	entryHash map[uint64]bulletin.Hash // receipts' entries

	// election state: the rule book's, and what the verifier adds
	st           *rules.State
	pipe         *rules.Recount
	tally        *rules.Tally
	ballotTypes  map[uint64]string // for receipts: entry ↦ tracking code
	ceremonyTime time.Duration
	perBallot    uint64
	resultSeen   bool // a tally.result entry, valid or not
}

// New returns a Verifier for a record with the given header. The error is
// a failure of the header's board key.
func New(h record.Header, opts Options) (*Verifier, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2048
	}
	if opts.MaxFailures <= 0 {
		opts.MaxFailures = 1000
	}
	v := &Verifier{
		opts: opts, header: h, start: time.Now(), line: 1, lastLine: 1,
		rep:     &Report{Election: h.Election, BoardKey: h.BoardKey},
		cpRoots: map[uint64]bulletin.Hash{}, cpNotes: map[uint64][]byte{},
		entryHash: map[uint64]bulletin.Hash{}, ballotTypes: map[uint64]string{},
		st: rules.New(rules.Config{Election: h.Election, BoardKey: h.BoardKey}),
	}
	for _, rc := range opts.Receipts {
		v.entryHash[rc.Index] = bulletin.Hash{}
	}
	if opts.BoardKey != "" && opts.BoardKey != h.BoardKey {
		v.fail(CheckBoardKey, -1, "", nil, "the record's board key %q is not the pinned key %q", h.BoardKey, opts.BoardKey)
		v.setFatal()
		return v, v.failures[0]
	}
	bv, pub, err := parseBoardKey(h.BoardKey)
	if err != nil {
		v.fail(CheckBoardKey, -1, "", err, "header: %v", err)
		v.setFatal()
		return v, v.failures[0]
	}
	v.board, v.boardPub = bv, pub
	v.st = rules.New(rules.Config{Election: h.Election, BoardName: bv.Name(), BoardKey: h.BoardKey, BoardPub: pub})
	return v, nil
}

// parseBoardKey parses an Ed25519 note verifier key and returns the
// verifier and the raw public key (the board's signer key, §11.1).
func parseBoardKey(vkey string) (note.Verifier, [32]byte, error) {
	cfg, err := rules.NewConfig("", vkey)
	if err != nil {
		return nil, [32]byte{}, err
	}
	v, err := note.NewVerifier(vkey)
	return v, cfg.BoardPub, err
}

// Stopped reports whether verification stopped: after a failure (without
// Options.All), a fatal failure, or too many failures.
func (v *Verifier) Stopped() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stop || v.fatal
}

// fail records a failure about entry (−1 for none) at the current line.
func (v *Verifier) fail(c Check, entry int64, typ string, err error, format string, args ...any) {
	v.failAt(v.line, c, entry, typ, err, format, args...)
}

func (v *Verifier) failAt(line int, c Check, entry int64, typ string, err error, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.failures) < v.opts.MaxFailures {
		v.failures = append(v.failures, &Failure{Check: c, Entry: entry, Type: typ, Line: line, Message: fmt.Sprintf(format, args...), err: err})
	}
	if !v.opts.All || len(v.failures) >= v.opts.MaxFailures {
		v.stop = true
	}
}

func (v *Verifier) note(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.rep.Notes) < 1000 {
		v.rep.Notes = append(v.rep.Notes, fmt.Sprintf(format, args...))
	}
}

// Add checks the next item of the record: an entry or a checkpoint.
func (v *Verifier) Add(it *record.Item) {
	if v.Stopped() {
		return
	}
	v.line = it.Line
	if v.line == 0 {
		v.line = v.lastLine + 1
	}
	v.lastLine = v.line
	switch {
	case it.Entry != nil:
		v.lastIsCP = false
		t := time.Now()
		ok := v.boardEntry(it.Entry)
		v.rep.Timings.Read += time.Since(t)
		if ok {
			v.entry(it.Entry)
		}
	case it.Checkpoint != nil:
		v.lastIsCP = true
		t := time.Now()
		v.checkpoint(it.Checkpoint)
		v.rep.Timings.Read += time.Since(t)
	}
}

// boardEntry checks the entry against the board rules (§8.1, §8.2): the
// hash (again, for entries that did not come from a record.Reader), index,
// prev and time; it adds the entry to the Merkle tree.
func (v *Verifier) boardEntry(e *bulletin.Entry) bool {
	idx := int64(e.Index)
	if e.Index != v.next {
		v.fail(CheckChain, idx, e.Type, bulletin.ErrInvalidEntry, "entry %d found where entry %d belongs (missing, duplicated or reordered entry)", e.Index, v.next)
		v.setFatal()
		return false
	}
	if e.Prev != v.lastHash {
		v.fail(CheckChain, idx, e.Type, bulletin.ErrInvalidEntry, "prev hash does not match the hash of entry %d", idx-1)
		v.setFatal()
		return false
	}
	if e.Time < v.lastTime {
		v.fail(CheckChain, idx, e.Type, bulletin.ErrInvalidEntry, "time %d is before the time %d of entry %d", e.Time, v.lastTime, idx-1)
	}
	v.next++
	v.lastHash, v.lastTime = e.Hash, e.Time
	v.stored = append(v.stored, v.tree.Add(e.Hash)...)
	v.rep.Counts.Entries++
	if _, ok := v.entryHash[e.Index]; ok {
		v.entryHash[e.Index] = e.Hash
	}
	return true
}

// ReadHashes implements tlog.HashReader over the stored tree hashes.
func (v *Verifier) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(v.stored)) {
			return nil, fmt.Errorf("verify: tree hash %d not stored", x)
		}
		out[i] = v.stored[x]
	}
	return out, nil
}

// rootAt returns the root of the tree of the first n entries.
func (v *Verifier) rootAt(n uint64) (bulletin.Hash, error) {
	if n == v.tree.Size() {
		return v.tree.Root(), nil
	}
	h, err := tlog.TreeHash(int64(n), v)
	return bulletin.Hash(h), err
}

// checkpoint checks a signed checkpoint (§8.4, §8.5, §8.8, §12).
func (v *Verifier) checkpoint(msg []byte) {
	cp, err := bulletin.OpenCheckpoint(msg, v.header.Election, v.board, v.opts.Witnesses...)
	if err != nil {
		v.fail(CheckCheckpoint, -1, "", err, "%v", err)
		return
	}
	v.rep.Counts.Checkpoints++
	v.rep.Counts.Cosignatures += uint64(len(cp.Witnesses))
	if cp.Size == 0 || cp.Size > v.next {
		v.fail(CheckCheckpoint, -1, "", bulletin.ErrCheckpoint, "checkpoint of size %d after %d entries: it must follow the entries it covers", cp.Size, v.next)
		return
	}
	if old, ok := v.cpRoots[cp.Size]; ok && old != cp.Root {
		v.fail(CheckFork, -1, "", bulletin.ErrFork, "two checkpoints of size %d with different roots: the board signed two histories (evidence: the notes at size %d)\n%s\n%s", cp.Size, cp.Size, v.cpNotes[cp.Size], msg)
		return
	}
	if v.haveCP && cp.Size < v.lastCP {
		v.fail(CheckCheckpoint, -1, "", bulletin.ErrCheckpoint, "checkpoint of size %d after one of size %d: sizes must not decrease", cp.Size, v.lastCP)
		return
	}
	root, err := v.rootAt(cp.Size)
	if err != nil {
		v.fail(CheckRoot, -1, "", err, "computing the root of %d entries: %v", cp.Size, err)
		return
	}
	if root != cp.Root {
		v.fail(CheckRoot, -1, "", bulletin.ErrProof, "checkpoint of size %d has root %x, the record's first %d entries have root %x: the record contradicts a checkpoint the board signed", cp.Size, cp.Root[:8], cp.Size, root[:8])
		return
	}
	v.cpRoots[cp.Size] = cp.Root
	v.cpNotes[cp.Size] = cp.Note
	v.lastCP, v.haveCP = cp.Size, true
	v.lastWit = len(cp.Witnesses)
}

// Finish ends the verification: it waits for pending ballot batches, runs
// the end-of-record checks and returns the report.
func (v *Verifier) Finish() *Report {
	v.closePipe()
	for _, n := range v.st.Notes {
		v.note("%s", n)
	}
	v.mu.Lock()
	fatal := v.fatal
	v.mu.Unlock()
	if !fatal && !v.Stopped() {
		v.line = v.lastLine + 1
		switch {
		case v.next == 0:
			v.fail(CheckLast, -1, "", nil, "the record has no entries")
		case v.opts.Partial && (!v.lastIsCP || !v.haveCP || v.lastCP != v.next):
			v.note("%d entries after the last checkpoint are not yet covered by a signed checkpoint", v.next-v.lastCP)
		case !v.lastIsCP || !v.haveCP || v.lastCP != v.next:
			v.fail(CheckLast, -1, "", nil, "the record's last line must be a checkpoint covering all %d entries (truncated record?)", v.next)
		case v.lastWit < v.opts.WitnessQuorum:
			v.fail(CheckWitness, -1, "", nil, "the last checkpoint has %d trusted witness cosignatures, %d required", v.lastWit, v.opts.WitnessQuorum)
		}
		if !v.resultSeen && !v.opts.Partial && !v.Stopped() {
			v.fail(CheckComplete, -1, "", nil, "the record ends before the election's tally.result (%s)", v.missing())
		}
		v.awaitingMix()
	}
	v.rep.Complete = v.st.ResultIndex >= 0 && v.st.MixesDone()
	v.rep.Mixes = v.mixLines()
	v.receipts()
	sort.SliceStable(v.failures, func(i, j int) bool { return v.failures[i].Line < v.failures[j].Line })
	v.rep.Failures = v.failures
	if !v.opts.All && len(v.rep.Failures) > 1 {
		v.rep.Failures = v.rep.Failures[:1]
	}
	if v.rep.Failures == nil {
		v.rep.Failures = []*Failure{}
	}
	if v.rep.Notes == nil {
		v.rep.Notes = []string{}
	}
	v.rep.Valid = len(v.rep.Failures) == 0
	v.rep.BallotElection = v.st.Ballots
	v.rep.SpoiledBallots = v.st.Spoiled
	v.rep.Timings.Ceremony = v.ceremonyTime
	v.rep.Timings.Total = time.Since(v.start)
	return v.rep
}

// awaitingMix reports each ranked contest (§12.5): its ballots were
// verified, but its count needs the mix cascade, which this version of the
// record cannot hold. A record with a result fails [CheckMixPending] for
// each, so an election with ranked contests never passes with those
// contests uncounted; a partial record (an election in progress) notes it.
func (v *Verifier) awaitingMix() {
	if v.st.Manifest == nil {
		return
	}
	for _, id := range rules.AwaitingMix(v.st.Manifest) {
		if c := v.st.Cascades[id]; c != nil && c.ResultIndex >= 0 {
			continue // mixed, decrypted and recomputed (§16)
		}
		if v.resultSeen || !v.opts.Partial {
			v.fail(CheckMixPending, -1, "", nil, "ranked contest %q: awaiting the mix: its ballots' rank proofs are verified, but its shuffle, decryption and count are not on the board, so it has no verified result", id)
		} else {
			v.note("ranked contest %q: awaiting the mix (its ballots are verified; it is counted after the mix cascade)", id)
		}
	}
}

func (v *Verifier) missing() string {
	switch {
	case v.st.Setup == nil:
		return "no setup"
	case v.st.Manifest == nil:
		return "no manifest"
	case v.st.Ceremony == nil:
		return "key ceremony not finished"
	case v.st.OpenIndex < 0:
		return "not opened"
	case v.st.CloseIndex < 0:
		return "not closed"
	}
	return "no result"
}

// receipts checks the receipts of Options.Receipts against the record.
func (v *Verifier) receipts() {
	for _, rc := range v.opts.Receipts {
		res := ReceiptResult{Index: rc.Index}
		cp, err := bulletin.VerifyReceipt(rc, v.board)
		switch {
		case err != nil:
			res.Message = err.Error()
		case rc.Election != v.header.Election:
			res.Message = "receipt for another election"
		case rc.Index >= v.next || cp.Size > v.next:
			res.Message = fmt.Sprintf("the record has %d entries; the receipt is for entry %d of a tree of %d", v.next, rc.Index, cp.Size)
		default:
			root, err := v.rootAt(cp.Size)
			switch {
			case err != nil:
				res.Message = err.Error()
			case root != cp.Root:
				res.Message = fmt.Sprintf("%v: the receipt's checkpoint (size %d) is not consistent with the record: the board forked", bulletin.ErrFork, cp.Size)
			case v.entryHash[rc.Index] != rc.EntryHash:
				res.Message = "the record's entry at the receipt's index has another hash"
			default:
				res.OK = true
				res.Message = "included in the record"
				if code, ok := v.ballotTypes[rc.Index]; ok {
					res.Type = record.TypeBallot
					res.Tracking = code
					for _, idx := range v.st.Latest {
						if idx == rc.Index {
							res.Counted = true
						}
					}
					if res.Counted {
						res.Message += "; the ballot is counted"
					} else {
						res.Message += "; the ballot was replaced by a later ballot of the same credential"
					}
				}
			}
		}
		v.rep.Receipts = append(v.rep.Receipts, res)
	}
}

func (v *Verifier) setFatal() {
	v.mu.Lock()
	v.fatal = true
	v.mu.Unlock()
}

func (v *Verifier) isFatal() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.fatal
}

// mixMissing returns a ranked contest without its mix.result, or "".
func (v *Verifier) mixMissing() string {
	if v.st.CloseIndex < 0 {
		return ""
	}
	for _, c := range rules.RankedContests(v.st.Manifest) {
		if cc, ok := v.st.Cascades[c.ID]; !ok || cc.ResultIndex < 0 {
			return c.ID
		}
	}
	return ""
}

// mixLines lists the admitted mixes, contest by contest in manifest order
// (e2e/SPEC.md §16.5).
func (v *Verifier) mixLines() []MixLine {
	if v.st.Manifest == nil {
		return nil
	}
	var out []MixLine
	for _, c := range rules.RankedContests(v.st.Manifest) {
		cc, ok := v.st.Cascades[c.ID]
		if !ok {
			continue
		}
		for k, m := range cc.Mixes {
			out = append(out, MixLine{Contest: c.ID, N: k + 1, M: len(cc.Mixes), Mixer: m.Mixer, Entry: m.Index})
		}
	}
	return out
}

// done reports whether the record holds the election's outcome: a
// tally.result entry, and a mix.result for each ranked contest.
func (v *Verifier) done() bool { return v.resultSeen && v.mixMissing() == "" }
