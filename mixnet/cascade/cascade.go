package cascade

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/count"
)

// Reasons a [Cascade] refuses an entry; every refusal wraps exactly one of
// them, besides ErrMalformed and ErrBadShare.
var (
	// ErrOrder: the entry comes at the wrong time: not the mixer's turn,
	// a second mix of the trustee, a mix after its deadline or after the
	// decryption started, shares before the cascade ended, a second share
	// message, a result before enough shares.
	ErrOrder = errors.New("cascade: out of order")
	// ErrWrongElection: the entry names another election or contest.
	ErrWrongElection = errors.New("cascade: wrong election")
	// ErrWrongInput: a mix shuffled a list that is not the latest valid
	// one, or shares decrypt a list that is not the final one.
	ErrWrongInput = errors.New("cascade: wrong input list")
	// ErrForbidden: the trustee is not qualified or not the signer.
	ErrForbidden = errors.New("cascade: trustee not allowed")
	// ErrResult: a posted result is not the decryption of the final list.
	ErrResult = errors.New("cascade: wrong result")
	// ErrInvalidProof wraps mixnet.ErrInvalidProof for a shuffle proof
	// that does not verify.
	ErrInvalidProof = mixnet.ErrInvalidProof
)

// Config is what every cascade of an election shares (e2e/SPEC.md §16.2).
type Config struct {
	Election  string               // the election id
	Base      [32]byte             // the election's base hash
	Key       *group.Point         // the joint key
	Qualified []int                // QUAL, increasing: the mixers, in order
	Keys      map[int]*group.Point // verification keys of QUAL
	Threshold int                  // t
	// Window is each mixer's time to post (the ceremony's round_seconds),
	// Start the board time the first turn opens (election.close), unix ms.
	Window time.Duration
	Start  int64
}

// A Contest is one ranked contest: its id, its number of options n (a
// ciphertext holds a value in 0..n), the width L of its sequences, and how
// its decrypted rankings are counted (mixnet/count, e2e/SPEC.md §15).
type Contest struct {
	ID      string
	Options int
	Width   int
	Method  count.Method
	Seats   int
}

// A Posted is a mix admitted to the cascade.
type Posted struct {
	Index uint64 // board index
	Time  int64  // board time, unix ms
	Mixer int
	Hash  [32]byte // ListHash of its output
}

// Cascade is one ranked contest's mixing and decryption after the close
// (e2e/SPEC.md §16.2–§16.4): which mixer's turn it is, the latest valid
// list, the mixes and the decryption shares admitted so far. It is a pure
// state machine over board entries; methods Check… return a commit
// function that applies the entry, or an error leaving it unchanged.
type Cascade struct {
	cfg     *Config
	Contest Contest

	input     []mixnet.Sequence // the counted ballots' sequences (nil: not yet known)
	inputHash [32]byte
	inputSet  bool
	empty     bool // no counted ballot: nothing to mix or decrypt

	Mixes  []Posted
	latest []mixnet.Sequence // output of the last mix (nil before the first)
	hash   [32]byte          // ListHash of the latest list

	pos    int   // index in Qualified of the mixer whose turn it is
	opened int64 // when that turn opened

	Shares     []*Shares
	ShareIndex []uint64
	shareBy    map[int]uint64
	Skipped    []int // mixers that missed their deadline, in order

	ResultIndex int64 // −1 before mix.result
}

// New returns the cascade of contest c, before any mix.
func New(cfg *Config, c Contest) *Cascade {
	return &Cascade{cfg: cfg, Contest: c, opened: cfg.Start, shareBy: map[int]uint64{}, ResultIndex: -1}
}

// SetInput sets the first input: the counted ballots' sequences of the
// contest in board order (e2e/SPEC.md §16.2). An empty list means no
// ballot was counted: there is nothing to mix or decrypt. It checks the
// sequences' shape.
func (c *Cascade) SetInput(l []mixnet.Sequence) error {
	if len(l) == 0 {
		c.input, c.inputSet, c.empty = nil, true, true
		return nil
	}
	for i, s := range l {
		if len(s) != c.Contest.Width {
			return fmt.Errorf("%w: counted sequence %d of contest %q has width %d, want %d", ErrMalformed, i, c.Contest.ID, len(s), c.Contest.Width)
		}
	}
	b, err := mixnet.EncodeList(l)
	if err != nil {
		return fmt.Errorf("contest %q: counted sequences: %w", c.Contest.ID, err)
	}
	c.input, c.inputSet, c.empty = l, true, false
	c.inputHash = ListHash(c.cfg.Election, c.Contest.ID, b)
	return nil
}

// HasInput reports whether the first input is known ([Cascade.SetInput]).
func (c *Cascade) HasInput() bool { return c.inputSet }

// Empty reports whether the contest has no counted ballot.
func (c *Cascade) Empty() bool { return c.empty }

// Latest returns the latest valid list and its ListHash: the output of
// the last admitted mix, or the counted sequences before the first.
func (c *Cascade) Latest() ([]mixnet.Sequence, [32]byte) {
	if c.latest != nil || len(c.Mixes) > 0 {
		return c.latest, c.hash
	}
	return c.input, c.inputHash
}

// Turn is whose turn it is at board time now.
type Turn struct {
	// Mixer is the trustee whose turn it is, 0 if the cascade is over.
	Mixer int
	// Opened and Deadline bound the turn (unix ms): a mix by Mixer with
	// board time in [Opened, Deadline] is in time.
	Opened, Deadline int64
	// Skipped are the mixers whose deadline passed without a mix, in
	// order, up to now (including those already skipped before).
	Skipped []int
}

// TurnAt returns the turn at board time now (e2e/SPEC.md §16.2): the turn
// of the mixer at position p opens at the board time of the previous
// mixer's admitted mix, or at its deadline if it was skipped (the first
// turn opens at election.close), and lasts Window; a mixer is skipped once
// the board time is past its deadline.
func (c *Cascade) TurnAt(now int64) Turn {
	q, w := c.cfg.Qualified, c.cfg.Window.Milliseconds()
	t := Turn{Skipped: slices.Clone(c.Skipped)}
	pos, opened := c.pos, c.opened
	if c.decrypting() {
		pos = len(q)
	}
	for pos < len(q) && now > opened+w {
		t.Skipped = append(t.Skipped, q[pos])
		pos++
		opened += w
	}
	if pos < len(q) {
		t.Mixer, t.Opened, t.Deadline = q[pos], opened, opened+w
	}
	return t
}

// Over reports whether the cascade is over at board time now: every
// qualified trustee mixed or was skipped, or the decryption started.
func (c *Cascade) Over(now int64) bool { return c.TurnAt(now).Mixer == 0 }

func (c *Cascade) decrypting() bool { return len(c.Shares) > 0 || c.ResultIndex >= 0 }

// mixedBy returns the index of trustee i's admitted mix, if any.
func (c *Cascade) mixedBy(i int) (uint64, bool) {
	for _, m := range c.Mixes {
		if m.Mixer == i {
			return m.Index, true
		}
	}
	return 0, false
}

// Statement returns the shuffle statement of mixer i (e2e/SPEC.md §16.2).
func (c *Cascade) Statement(i int) (*mixnet.Statement, error) {
	return mixnet.NewStatement(c.cfg.Key, c.cfg.Base, uint32(i), c.Contest.ID)
}

// CheckMix checks that mix m, posted at board index index and time now by
// trustee signer, may be admitted (e2e/SPEC.md §16.2): for this election
// and contest, by the signer, qualified, once, in its turn, on the latest
// valid list; with verify, its proof verifies. It returns the commit that
// admits it.
func (c *Cascade) CheckMix(index uint64, now int64, signer int, m *Mix, verify bool) (func(), error) {
	id := c.Contest.ID
	switch {
	case m.Election != c.cfg.Election:
		return nil, fmt.Errorf("%w: the mix is for election %q, this is %q", ErrWrongElection, m.Election, c.cfg.Election)
	case m.Contest != id:
		return nil, fmt.Errorf("%w: the mix is for contest %q, not %q", ErrWrongElection, m.Contest, id)
	case m.Mixer != signer:
		return nil, fmt.Errorf("%w: the mix claims mixer %d but is signed by trustee %d", ErrForbidden, m.Mixer, signer)
	case !slices.Contains(c.cfg.Qualified, signer):
		return nil, fmt.Errorf("%w: trustee %d is not qualified (QUAL %v) and does not mix", ErrForbidden, signer, c.cfg.Qualified)
	}
	if first, ok := c.mixedBy(signer); ok {
		return nil, fmt.Errorf("%w: second mix of contest %q by trustee %d (the first is entry %d)", ErrOrder, id, signer, first)
	}
	if c.decrypting() {
		at := c.ResultIndex
		if len(c.ShareIndex) > 0 {
			at = int64(c.ShareIndex[0])
		}
		return nil, fmt.Errorf("%w: mix of contest %q by trustee %d after its decryption started (entry %d)", ErrOrder, id, signer, at)
	}
	if !c.inputSet && verify {
		return nil, fmt.Errorf("%w: the mix cannot be checked: the counted ballots' sequences of contest %q were not computed", ErrOrder, id)
	}
	if c.empty {
		return nil, fmt.Errorf("%w: contest %q has no counted ballot: there is nothing to mix", ErrOrder, id)
	}
	t := c.TurnAt(now)
	if slices.Contains(t.Skipped, signer) {
		return nil, fmt.Errorf("%w: trustee %d missed its turn to mix contest %q: its deadline passed before %s; it is skipped", ErrOrder, signer, id, fmtTime(now))
	}
	if t.Mixer != signer {
		if t.Mixer == 0 {
			return nil, fmt.Errorf("%w: the cascade of contest %q is over", ErrOrder, id)
		}
		return nil, fmt.Errorf("%w: not trustee %d's turn to mix contest %q: trustee %d mixes until %s", ErrOrder, signer, id, t.Mixer, fmtTime(t.Deadline))
	}
	in, inHash := c.Latest()
	if !c.inputSet && len(c.Mixes) == 0 {
		// A replay of admitted entries (verify is false): the first
		// input is taken on trust, as the proof is.
		inHash = m.Input
	}
	if m.Input != inHash {
		what := "the latest valid list"
		if len(c.Mixes) == 0 {
			what = "the counted ballots' sequences"
		}
		return nil, fmt.Errorf("%w: trustee %d shuffled list %x…, the input of its mix must be %s (%x…)", ErrWrongInput, signer, m.Input[:8], what, inHash[:8])
	}
	if verify {
		if err := c.VerifyMix(in, m); err != nil {
			return nil, err
		}
	}
	outHash := ListHash(c.cfg.Election, id, m.OutputBytes)
	return func() {
		c.Skipped = t.Skipped
		c.Mixes = append(c.Mixes, Posted{Index: index, Time: now, Mixer: signer, Hash: outHash})
		c.latest, c.hash = m.Output, outHash
		c.pos = slices.Index(c.cfg.Qualified, signer) + 1
		c.opened = now
	}, nil
}

func fmtTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// VerifyMix verifies m's shuffle proof with in as its input list (the
// list its input hash names) and mixer m.Mixer's statement. It reads only
// the cascade's configuration, so it may run while the cascade moves on;
// [Cascade.CheckMix] then checks that in is still the latest list.
func (c *Cascade) VerifyMix(in []mixnet.Sequence, m *Mix) error {
	st, err := c.Statement(m.Mixer)
	if err != nil {
		return err
	}
	if err := mixnet.Verify(st, in, m.Output, m.Proof); err != nil {
		return fmt.Errorf("mixer %d's shuffle of contest %q is refused: %w", m.Mixer, c.Contest.ID, err)
	}
	return nil
}
