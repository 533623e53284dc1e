package coord

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// Options configure a [Coordinator].
type Options struct {
	// Clock drives round deadlines and is the board's clock as the
	// coordinator sees it (it must agree with Backend.Now); default the
	// system clock. Tests inject a ceremony.FakeClock.
	Clock ceremony.Clock
	// Settle is subtracted from the board's time before deciding that a
	// deadline has passed, so that an entry stamped just before the
	// deadline but not yet committed is not missed; default 2 s. Zero is
	// allowed only with NoSettle.
	Settle time.Duration
	// NoSettle sets Settle to zero (tests whose clock stands still while
	// entries are appended).
	NoSettle bool
	// StatusEvery is how often (in real time) a connection re-sends the
	// status when nothing else happens; default 2 s.
	StatusEvery time.Duration
	// PingEvery and PongWait keep websocket connections alive and drop
	// dead ones; defaults 30 s and 75 s. WriteWait bounds each write;
	// default 10 s.
	PingEvery, PongWait, WriteWait time.Duration
	// Workers is the number of goroutines that aggregate ballots
	// (0: GOMAXPROCS).
	Workers int
	// Logger receives what the coordinator does and the trustees' refused
	// submissions; default slog.Default().
	Logger *slog.Logger
}

// A Coordinator runs the network side of the trustees for the elections of
// one service: the trustee websocket ([Coordinator.ServeHTTP]) and, per
// election, the loop that posts the board's ceremony.result and
// tally.result ([Coordinator.Run]). It holds no state that is not on the
// board: a restarted coordinator reads the board and carries on.
type Coordinator struct {
	b    Backend
	opts Options

	mu       sync.Mutex
	trackers map[string]*tracker
}

// New returns a coordinator over b.
func New(b Backend, opts Options) *Coordinator {
	if opts.Clock == nil {
		opts.Clock = ceremony.SystemClock{}
	}
	if opts.NoSettle {
		opts.Settle = 0
	} else if opts.Settle <= 0 {
		opts.Settle = 2 * time.Second
	}
	if opts.StatusEvery <= 0 {
		opts.StatusEvery = 2 * time.Second
	}
	if opts.PingEvery <= 0 {
		opts.PingEvery = 30 * time.Second
	}
	if opts.PongWait <= 0 {
		opts.PongWait = 75 * time.Second
	}
	if opts.WriteWait <= 0 {
		opts.WriteWait = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Coordinator{b: b, opts: opts, trackers: map[string]*tracker{}}
}

// tracker returns the election's tracker, kept for the coordinator's life.
func (c *Coordinator) tracker(election string) *tracker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trackerLocked(election)
	t.pinned = true
	return t
}

func (c *Coordinator) trackerLocked(election string) *tracker {
	t, ok := c.trackers[election]
	if !ok {
		t = newTracker(election)
		c.trackers[election] = t
	}
	return t
}

// acquire returns the election's tracker for a trustee connection, which
// must release it when it ends.
func (c *Coordinator) acquire(election string) *tracker {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.trackerLocked(election)
	t.conns++
	return t
}

// release ends a connection's use of t. A tracker that has read nothing
// (an election with no entries: the id is anyone's choice) and that
// nothing else uses is forgotten, so that connections to elections that
// do not exist leave nothing behind.
func (c *Coordinator) release(t *tracker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t.conns--
	if t.conns == 0 && !t.pinned && t.size() == 0 && c.trackers[t.election] == t {
		delete(c.trackers, t.election)
	}
}

// now is the settled board time: every entry stamped at or before it is
// already readable.
func (c *Coordinator) now() time.Time { return c.opts.Clock.Now().Add(-c.opts.Settle) }

// Status returns the current status of election, reading the board first.
func (c *Coordinator) Status(ctx context.Context, election string) (*Status, error) {
	if !bulletin.ValidElectionID(election) {
		return nil, fmt.Errorf("coord: malformed election id %q", election)
	}
	tr := c.tracker(election)
	now := c.now()
	if err := tr.update(ctx, c.b); err != nil {
		return nil, err
	}
	return c.status(tr, now), nil
}

func (c *Coordinator) status(tr *tracker, now time.Time) *Status {
	st := tr.ceremonyState(now)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	s := &Status{Time: now.UnixMilli(), Size: tr.next, Waiting: []int{}, Shares: []int{}}
	switch {
	case st == nil:
		s.Phase, s.Message = PhaseSetup, "waiting for the official to post the ceremony parameters"
	case st.Round != ceremony.RoundFinished:
		s.Phase, s.Round, s.Deadline, s.Message = PhaseCeremony, st.Round, st.Deadline.UnixMilli(), st.Describe()
		s.Waiting = append(s.Waiting, st.WaitingFor...)
	case st.Err != nil:
		s.Phase, s.Round, s.Message = PhaseFailed, st.Round, st.Describe()
	case tr.st.ResultIndex >= 0:
		s.Phase, s.Round, s.Message = PhaseDone, st.Round, fmt.Sprintf("result posted at entry %d", tr.st.ResultIndex)
	case tr.st.CloseIndex >= 0:
		s.Phase, s.Round, s.Needed = PhaseDecryption, st.Round, st.Params.Threshold
		s.Shares = append(s.Shares, tr.valid...)
		s.Message = fmt.Sprintf("election closed at entry %d; decryption: valid shares from trustees %v, %d needed", tr.st.CloseIndex, tr.valid, st.Params.Threshold)
		if len(tr.rejected) > 0 {
			s.Message += fmt.Sprintf("; rejected: %v", tr.rejected)
		}
	default:
		s.Phase, s.Round, s.Message = PhaseKeyed, st.Round, st.Describe()
		if tr.st.Ceremony == nil {
			s.Message += "; the board will post ceremony.result"
		}
	}
	if tr.st.CloseIndex >= 0 && st != nil && st.Err == nil {
		s.Message += mixStatus(tr.st, now.UnixMilli())
	}
	s.Message = clip(s.Message)
	if len(s.Waiting) > MaxWaiting {
		s.Waiting = s.Waiting[:MaxWaiting]
	}
	return s
}

// Run coordinates election until its tally.result is on the board: it
// posts ceremony.result, signed by the board, as soon as the replay of the
// board (e2e/SPEC.md §9.8, at the settled board time) says the ceremony
// succeeded, and tally.result once the election is closed and t valid
// decryption shares are on the board (§10.4). It wakes up when the board
// grows and when a round's deadline passes on the clock.
//
// A failed ceremony is never papered over: no ceremony.result is posted,
// the status of every trustee connection says why (phase "failed"), and Run
// returns an error wrapping ceremony.ErrTooFewQualified. Run returns nil
// once tally.result is posted (or found on the board).
func (c *Coordinator) Run(ctx context.Context, election string) (err error) {
	if !bulletin.ValidElectionID(election) {
		return fmt.Errorf("coord: malformed election id %q", election)
	}
	defer func() {
		// A panic (a bug reached by what the board holds) ends this run
		// with an error, which the caller may retry, instead of the
		// server.
		if r := recover(); r != nil {
			c.opts.Logger.Error("coord: internal error: panic", "election", election, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("coord: election %s: internal error (panic): %v", election, r)
		}
	}()
	tr := c.tracker(election)
	log := c.opts.Logger.With("election", election)
	var ts *tallyState
	for {
		ch := tr.changedCh()
		now := c.now()
		if err := tr.update(ctx, c.b); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Warn("coord: reading the board", "err", err)
			if err := c.sleep(ctx, ch, time.Second); err != nil {
				return err
			}
			continue
		}
		tr.mu.Lock()
		cerPosted, closed, resultAt, mixesDone := tr.st.Ceremony != nil, tr.st.CloseIndex >= 0, tr.st.ResultIndex, tr.st.MixesDone()
		tr.mu.Unlock()
		if closed && !mixesDone {
			posted, err := c.mixResults(ctx, tr)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Error("coord: mix.result", "err", err)
				if errors.Is(err, ErrRejected) {
					return err
				}
			}
			if posted {
				continue
			}
		}
		if resultAt >= 0 && mixesDone {
			log.Info("coord: tally.result is on the board", "entry", resultAt)
			return nil
		}
		var wake time.Time
		st := tr.ceremonyState(now)
		switch {
		case st == nil:
		case !cerPosted && st.Done() && lastClose(st).After(now):
			// A round closed at a board time the settled time has not
			// reached yet: an entry stamped before that close may still
			// be in flight. Wait until the close is settled.
			wake = lastClose(st)
		case !cerPosted && st.Done():
			r, err := c.post(ctx, election, ceremony.TypeResult, st.Result().Marshal())
			if err != nil {
				if errors.Is(err, ErrRejected) || ctx.Err() != nil {
					return err
				}
				log.Warn("coord: posting ceremony.result", "err", err)
				break
			}
			log.Info("coord: ceremony complete", "entry", r.Index, "qualified", st.Qualified)
			continue
		case st.Round == ceremony.RoundFinished && st.Err != nil:
			log.Error("coord: key ceremony failed; no key will be posted", "err", st.Err)
			return fmt.Errorf("coord: election %s: %w", election, st.Err)
		case st.Round != ceremony.RoundFinished:
			wake = st.Deadline
		case cerPosted && closed && resultAt < 0:
			done, err := c.tally(ctx, tr, st, &ts)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Error("coord: tally", "err", err)
				if errors.Is(err, ErrRejected) || errors.Is(err, tally.ErrCount) {
					return err
				}
			}
			if done {
				continue
			}
		}
		if err := c.waitChange(ctx, election, tr, ch, wake); err != nil {
			return err
		}
	}
}

// lastClose is the latest round close of a finished ceremony.
func lastClose(st *ceremony.State) time.Time {
	var t time.Time
	for _, c := range st.Closed {
		if c.After(t) {
			t = c
		}
	}
	return t
}

// tallyState is what the coordinator keeps while it waits for shares.
type tallyState struct {
	layout  *tally.Layout
	d       *tally.Decryption
	nShares int
}

// tally computes the aggregate once and combines the shares on the board;
// it reports whether it posted tally.result.
func (c *Coordinator) tally(ctx context.Context, tr *tracker, st *ceremony.State, tsp **tallyState) (bool, error) {
	if *tsp == nil {
		ts, err := c.prepareTally(ctx, tr, st)
		if err != nil {
			return false, err
		}
		*tsp = ts
	}
	ts := *tsp
	tr.mu.Lock()
	shares := slices.Clone(tr.st.Shares)
	tr.mu.Unlock()
	if ts.nShares == len(shares) && ts.d.Count > 0 {
		return false, nil
	}
	ts.nShares = len(shares)
	pt, err := tally.Combine(ts.d, shares)
	var valid []int
	var rejected []string
	if pt != nil {
		for _, r := range pt.Rejected {
			rejected = append(rejected, r.String())
		}
		bad := map[uint64]bool{}
		for _, r := range pt.Rejected {
			bad[r.Entry] = true
		}
		for _, p := range shares {
			if m, err := tally.DecodeShareMessage(p.Payload); err == nil && !bad[p.Index] {
				valid = append(valid, m.Trustee)
			}
		}
	}
	tr.mu.Lock()
	tr.valid, tr.rejected = valid, rejected
	tr.mu.Unlock()
	if len(rejected) > 0 {
		c.opts.Logger.Warn("coord: rejected decryption shares", "election", tr.election, "rejected", rejected)
	}
	if errors.Is(err, tally.ErrNotEnoughShares) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	res, err := ts.layout.Result(ts.d.Base, ts.d.Count, pt)
	if err != nil {
		return false, err
	}
	r, err := c.post(ctx, tr.election, tally.TypeResult, res.Marshal())
	if err != nil {
		return false, err
	}
	c.opts.Logger.Info("coord: tally.result posted", "election", tr.election, "entry", r.Index, "turnout", res.Turnout, "trustees", res.Trustees)
	return true, nil
}

// mixResults posts the mix.result of each ranked contest that has t
// decryption shares of its final list (e2e/SPEC.md §16.4), or no counted
// ballot; it reports whether it posted one.
func (c *Coordinator) mixResults(ctx context.Context, tr *tracker) (bool, error) {
	counted, _ := tr.counted()
	tr.mu.Lock()
	var results [][]byte
	for _, rc := range rules.RankedContests(tr.st.Manifest) {
		cc := tr.st.Cascades[rc.ID]
		if cc == nil || cc.ResultIndex >= 0 {
			continue
		}
		if len(counted) == 0 && !cc.HasInput() {
			// Every counted ballot has a part for every contest: no
			// ballot, nothing to mix.
			if err := cc.SetInput(nil); err != nil {
				tr.mu.Unlock()
				return false, err
			}
		}
		if !cc.Empty() && len(cc.Shares) < tr.st.Params.Threshold {
			continue
		}
		r, err := cc.ComputeResult()
		if err != nil {
			tr.mu.Unlock()
			return false, fmt.Errorf("coord: %s: contest %s: %w", tr.election, rc.ID, err)
		}
		results = append(results, r.Marshal())
	}
	tr.mu.Unlock()
	for _, payload := range results {
		r, err := c.post(ctx, tr.election, record.TypeMixResult, payload)
		if err != nil {
			return false, err
		}
		c.opts.Logger.Info("coord: mix.result posted", "election", tr.election, "entry", r.Index)
	}
	return len(results) > 0, nil
}

// prepareTally recomputes the aggregate of the counted ballots from the
// board. It decodes only the ciphertexts: the service verified every ballot
// before admitting it, and each trustee re-verifies before decrypting.
func (c *Coordinator) prepareTally(ctx context.Context, tr *tracker, st *ceremony.State) (*tallyState, error) {
	tr.mu.Lock()
	m, open, closeAt := tr.st.Manifest, tr.st.OpenIndex, tr.st.CloseIndex
	tr.mu.Unlock()
	if m == nil {
		return nil, fmt.Errorf("coord: %s: no manifest on the board", tr.election)
	}
	el, err := ballot.NewElection(m, st.JointKey, st.Hash)
	if err != nil {
		return nil, fmt.Errorf("coord: %s: %w", tr.election, err)
	}
	layout := tally.LayoutOf(m)
	counted, _ := tr.counted()
	agg, n, err := AggregateFromBoard(ctx, entrySource{c.b, tr.election}, uint64(open)+1, uint64(closeAt), counted, layout, c.opts.Workers)
	if err != nil {
		return nil, err
	}
	d := &tally.Decryption{Election: tr.election, Base: el.BaseHash, Aggregate: agg, Count: n, Limits: layout.Limits(),
		Threshold: st.Params.Threshold, Trustees: st.Params.Trustees, Keys: st.VerificationKeys}
	return &tallyState{layout: layout, d: d}, nil
}

// An EntrySource reads one election's entries: start ≤ index < end, fewer
// at the end of the log. bulletin.Client has this method.
type EntrySource interface {
	Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error)
}

type entrySource struct {
	b        Backend
	election string
}

func (s entrySource) Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
	return s.b.Entries(ctx, s.election, start, end)
}

// Pages streams the entries [from, to) of src a page at a time, reading the
// next page while the caller works on the current one. It stops with an
// error if the board ends before to.
func Pages(ctx context.Context, src EntrySource, from, to uint64) iter.Seq2[[]*bulletin.Entry, error] {
	return func(yield func([]*bulletin.Entry, error) bool) {
		type page struct {
			es  []*bulletin.Entry
			err error
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		pages := make(chan page, 4)
		go func() {
			defer close(pages)
			for start := from; start < to; {
				es, err := src.Entries(ctx, start, min(to, start+bulletin.MaxPage))
				if err == nil && len(es) == 0 {
					err = fmt.Errorf("coord: the board ends at entry %d, before %d", start, to)
				}
				if err == nil && es[0].Index != start {
					err = fmt.Errorf("coord: asked for entry %d, got %d", start, es[0].Index)
				}
				select {
				case pages <- page{es, err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
				start += uint64(len(es))
			}
		}()
		for p := range pages {
			if !yield(p.es, p.err) || p.err != nil {
				return
			}
		}
	}
}

// AggregateFromBoard sums the ciphertexts of the counted ballot entries
// (sorted indices, all in [from, to)) read from src, in layout order. It
// decodes only the ciphertexts, with a scanner of the canonical ballot
// encoding that trusts the board's admission for everything else (the
// trustees' [View.Recount] verifies every ballot in full). It returns the
// aggregate and the number of ballots.
func AggregateFromBoard(ctx context.Context, src EntrySource, from, to uint64, counted []uint64, layout *tally.Layout, workers int) ([]elgamal.Ciphertext, uint64, error) {
	items := func(yield func(*bulletin.Entry, error) bool) {
		k := 0
		for es, err := range Pages(ctx, src, from, to) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, e := range es {
				for k < len(counted) && counted[k] < e.Index {
					k++
				}
				if k < len(counted) && counted[k] == e.Index {
					if e.Type != record.TypeBallot {
						yield(nil, fmt.Errorf("coord: counted entry %d is a %s, not a ballot", e.Index, e.Type))
						return
					}
					if !yield(e, nil) {
						return
					}
				}
			}
		}
	}
	agg, n, err := tally.Aggregate(ctx, layout.Width(), workers, items, func(e *bulletin.Entry) ([]elgamal.Ciphertext, error) {
		v, err := scanCiphertexts(e.Payload, layout.Width())
		if err != nil {
			return nil, fmt.Errorf("ballot entry %d: %w", e.Index, err)
		}
		return v, nil
	})
	if err != nil {
		return nil, 0, err
	}
	if n != uint64(len(counted)) {
		return nil, 0, fmt.Errorf("coord: aggregated %d of %d counted ballots", n, len(counted))
	}
	return agg, n, nil
}

// post signs an entry as the board and submits it.
func (c *Coordinator) post(ctx context.Context, election, typ string, payload []byte) (*bulletin.Receipt, error) {
	signer, sig, err := c.b.SignBoard(election, typ, payload)
	if err != nil {
		return nil, fmt.Errorf("coord: signing %s as the board: %w", typ, err)
	}
	r, err := c.b.Submit(ctx, election, Submission{Type: typ, Payload: payload, Signer: signer, Signature: sig})
	if err != nil {
		return nil, fmt.Errorf("coord: posting %s: %w", typ, err)
	}
	return r, nil
}

// waitChange waits until the board grows past what tr has read, tr is
// updated by someone else, the board time passes wake (if set), or ctx
// ends.
func (c *Coordinator) waitChange(ctx context.Context, election string, tr *tracker, ch <-chan struct{}, wake time.Time) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	grown := make(chan error, 1)
	size := tr.size()
	go func() { grown <- c.b.Wait(wctx, election, size) }()
	var timer <-chan time.Time
	if !wake.IsZero() {
		timer = c.opts.Clock.After(wake.Sub(c.now()) + time.Millisecond)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-grown:
		if err != nil && ctx.Err() == nil {
			c.opts.Logger.Warn("coord: waiting for the board", "election", election, "err", err)
			return c.sleep(ctx, nil, time.Second)
		}
	case <-timer:
	case <-ch:
	}
	return nil
}

func (c *Coordinator) sleep(ctx context.Context, ch <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	case <-ch:
	}
	return nil
}

// mixStatus describes the mix cascades for people (a status message):
// per ranked contest, whose turn it is or how far the decryption is.
func mixStatus(st *rules.State, now int64) string {
	var b strings.Builder
	for _, rc := range rules.RankedContests(st.Manifest) {
		c := st.Cascades[rc.ID]
		if c == nil {
			continue
		}
		fmt.Fprintf(&b, "; contest %s: ", rc.ID)
		var mixers []int
		for _, m := range c.Mixes {
			mixers = append(mixers, m.Mixer)
		}
		switch t := c.TurnAt(now); {
		case c.ResultIndex >= 0:
			fmt.Fprintf(&b, "mixed by %v, decrypted at entry %d", mixers, c.ResultIndex)
		case t.Mixer != 0:
			fmt.Fprintf(&b, "mixed by %v, trustee %d mixes until %s", mixers, t.Mixer, time.UnixMilli(t.Deadline).UTC().Format(time.RFC3339))
		case len(c.Mixes) == 0:
			b.WriteString("no mix (every mixer missed its turn)")
		default:
			var sh []int
			for _, m := range c.Shares {
				sh = append(sh, m.Trustee)
			}
			fmt.Fprintf(&b, "mixed by %v (skipped %v), decryption shares from %v, %d needed", mixers, t.Skipped, sh, st.Params.Threshold)
		}
	}
	return b.String()
}
