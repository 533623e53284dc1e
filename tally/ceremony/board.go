package ceremony

import (
	"context"
	"crypto/ed25519"
	"errors"
	"sync"
	"time"
)

// SignatureSize is the size of a trustee's Ed25519 signature.
const SignatureSize = ed25519.SignatureSize

// Posted is a message as read back from the board: its position, the board's
// timestamp, its entry type, the exact payload bytes and the trustee's
// signature over trustee.SignedBytes(Type, Payload) (e2e/SPEC.md §9.1).
type Posted struct {
	Index     uint64
	Time      time.Time
	Type      string
	Payload   []byte
	Signature [SignatureSize]byte
}

// A Board is what the ceremony needs from the bulletin board: append a
// signed message, and read messages from an index on. Read also returns the
// board's current time: every message the board will ever return with a time
// at or before it is already in the answer (board times never go backwards).
// Boards may hold entries of other types; the ceremony ignores them.
type Board interface {
	Post(ctx context.Context, typ string, payload []byte, sig [SignatureSize]byte) error
	Read(ctx context.Context, from uint64) (msgs []Posted, now time.Time, err error)
}

// A Clock tells the time and waits; tests inject a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After returns time.After(d).
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// MemBoard is an in-memory [Board] that timestamps messages with a [Clock].
// It is safe for concurrent use. It is meant for tests and single-process
// demos; it checks nothing (the ceremony checks everything it reads).
type MemBoard struct {
	mu    sync.Mutex
	clock Clock
	msgs  []Posted
	// FailPost, if set, is called before each post; an error it returns
	// is returned and the message is not stored (tests inject faults).
	FailPost func(typ string) error
}

// NewMemBoard returns an empty board on clock.
func NewMemBoard(clock Clock) *MemBoard { return &MemBoard{clock: clock} }

// ErrBoardClosed is returned by a board that is no longer reachable.
var ErrBoardClosed = errors.New("ceremony: board unavailable")

// Post appends a message stamped with the clock's time.
func (b *MemBoard) Post(ctx context.Context, typ string, payload []byte, sig [SignatureSize]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.FailPost != nil {
		if err := b.FailPost(typ); err != nil {
			return err
		}
	}
	t := b.clock.Now()
	if n := len(b.msgs); n > 0 && t.Before(b.msgs[n-1].Time) {
		t = b.msgs[n-1].Time
	}
	b.msgs = append(b.msgs, Posted{Index: uint64(len(b.msgs)), Time: t, Type: typ, Payload: append([]byte(nil), payload...), Signature: sig})
	return nil
}

// Read returns the messages from index from on, and the board's time.
func (b *MemBoard) Read(ctx context.Context, from uint64) ([]Posted, time.Time, error) {
	if err := ctx.Err(); err != nil {
		return nil, time.Time{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	if n := len(b.msgs); n > 0 && now.Before(b.msgs[n-1].Time) {
		now = b.msgs[n-1].Time
	}
	if from >= uint64(len(b.msgs)) {
		return nil, now, nil
	}
	return append([]Posted(nil), b.msgs[from:]...), now, nil
}

// Messages returns a copy of everything posted so far.
func (b *MemBoard) Messages() []Posted {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Posted(nil), b.msgs...)
}

// FakeClock is a manually advanced [Clock] for tests.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// After returns a channel that receives when the clock is advanced past d.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}
