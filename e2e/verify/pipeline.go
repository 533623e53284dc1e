package verify

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
)

// A job is one ballot entry waiting for verification.
type job struct {
	index   uint64
	line    int
	payload []byte
	signer  [32]byte
}

// pipeline verifies ballots in batches on a goroutine of its own while the
// record is read: each batch is decoded in parallel, verified with
// ballot.VerifyBatch (parallel, batched multi-scalar multiplications), and
// then, in entry order, its ballots are added to the aggregate under the
// counting rule of e2e/SPEC.md §11.6 (a later ballot of a credential
// replaces the earlier one: its vector is subtracted).
type pipeline struct {
	v      *Verifier
	e      *ballot.Election
	layout *tally.Layout
	width  int
	size   int
	cur    []job
	in     chan []job
	done   chan struct{}
	closed bool

	// owned by the goroutine until done
	sum    []*group.Point      // A_0, B_0, A_1, B_1, …
	vec    map[[32]byte][]byte // credential ↦ encoded vector of its counted ballot
	decode time.Duration
	proofs time.Duration
	tally  time.Duration
	repl   uint64
}

func newPipeline(v *Verifier, e *ballot.Election, l *tally.Layout, size int) *pipeline {
	p := &pipeline{v: v, e: e, layout: l, width: l.Width(), size: size,
		in: make(chan []job, 2), done: make(chan struct{}), vec: map[[32]byte][]byte{}}
	p.sum = make([]*group.Point, 2*p.width)
	for i := range p.sum {
		p.sum[i] = group.Identity()
	}
	go p.run()
	return p
}

func (p *pipeline) add(j job) {
	p.cur = append(p.cur, j)
	if len(p.cur) >= p.size {
		p.in <- p.cur
		p.cur = nil
	}
}

// close verifies the pending ballots, waits, and hands the aggregate and
// the turnout to the verifier. It may be called more than once.
func (p *pipeline) close() {
	if p.closed {
		return
	}
	p.closed = true
	if len(p.cur) > 0 {
		p.in <- p.cur
		p.cur = nil
	}
	close(p.in)
	<-p.done
	v := p.v
	v.agg = make([]elgamal.Ciphertext, p.width)
	for k := range v.agg {
		v.agg[k] = elgamal.Ciphertext{A: p.sum[2*k], B: p.sum[2*k+1]}
	}
	v.turnout = uint64(len(p.vec))
	v.rep.Counts.Counted = v.turnout
	v.rep.Counts.Superseded = p.repl
	v.rep.Timings.Decode += p.decode
	v.rep.Timings.Proofs += p.proofs
	v.rep.Timings.Tally += p.tally
}

func (p *pipeline) run() {
	defer close(p.done)
	for batch := range p.in {
		if p.v.isFatal() {
			continue // drain
		}
		p.batch(batch)
	}
}

func (p *pipeline) batch(batch []job) {
	v := p.v
	t := time.Now()
	ballots := make([]*ballot.Ballot, len(batch))
	derrs := make([]error, len(batch))
	parallel(len(batch), func(i int) {
		ballots[i], derrs[i] = ballot.DecodeBallot(batch[i].payload)
	})
	var ok []*ballot.Ballot
	var okJobs []int
	for i := range batch {
		if derrs[i] != nil {
			j := batch[i]
			v.failAt(j.line, CheckBallotDecode, int64(j.index), record.TypeBallot, derrs[i], "%v", derrs[i])
			continue
		}
		ok = append(ok, ballots[i])
		okJobs = append(okJobs, i)
	}
	p.decode += time.Since(t)

	t = time.Now()
	verrs := ballot.VerifyBatch(p.e, ok)
	p.proofs += time.Since(t)

	t = time.Now()
	defer func() { p.tally += time.Since(t) }()
	for k, b := range ok {
		j := batch[okJobs[k]]
		if err := verrs[k]; err != nil {
			var pe *ballot.ProofError
			if errors.As(err, &pe) {
				pe.Ballot = int(j.index)
			}
			msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("ballot %d: ", k))
			v.failAt(j.line, classifyBallot(err), int64(j.index), record.TypeBallot, err, "%s", msg)
			continue
		}
		cred := b.Credential.Bytes()
		if cred != j.signer {
			v.failAt(j.line, CheckBallotSigner, int64(j.index), record.TypeBallot, nil, "the ballot's credential %x… is not the entry's signer %x…", cred[:8], j.signer[:8])
			continue
		}
		vec, err := p.layout.Vector(b)
		if err != nil {
			v.failAt(j.line, CheckBallotElection, int64(j.index), record.TypeBallot, err, "%v", err)
			continue
		}
		if old, ok := p.vec[cred]; ok {
			for i := 0; i < p.width; i++ {
				c, err := elgamal.DecodeCiphertext(old[64*i : 64*i+64])
				if err != nil {
					panic("verify: internal error: re-decoding a stored ciphertext: " + err.Error())
				}
				p.sum[2*i] = p.sum[2*i].Sub(c.A)
				p.sum[2*i+1] = p.sum[2*i+1].Sub(c.B)
			}
			p.repl++
		}
		enc := make([]byte, 0, 64*p.width)
		for i, c := range vec {
			p.sum[2*i] = p.sum[2*i].Add(c.A)
			p.sum[2*i+1] = p.sum[2*i+1].Add(c.B)
			b := c.Bytes()
			enc = append(enc, b[:]...)
		}
		p.vec[cred] = enc
	}
}

// parallel runs f(0..n−1) on GOMAXPROCS goroutines, handing out small
// runs of indexes as goroutines become free (the reading goroutine competes
// for the same cores, so a static split would leave one worker late).
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	const run = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(run)) - run
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+run, n); i++ {
					f(i)
				}
			}
		}()
	}
	wg.Wait()
}
