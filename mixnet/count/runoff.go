package count

import "slices"

type status uint8

const (
	continuing status = iota
	elected
	eliminated
)

// runoff is the state of an IRV or STV count (e2e/SPEC.md §15.3, §15.4).
// Ballots with equal rankings always sit with the same option at the same
// weight, so the state is kept per group of equal rankings.
type runoff struct {
	n      int
	scale  int64 // value units per vote: 1 for IRV, unit for STV
	b      *ballots
	weight []int64 // per group, in value units per ballot
	pos    []int   // per group: index in its ranking of the option holding it; len = exhausted
	held   [][]int // per option: the groups it holds
	status []status

	tally     []int64
	exhausted int64
	lost      int64
	history   [][]int64 // tallies at the start of each round so far
	rounds    []Round
	winners   []int // 0-based
}

func newRunoff(b *ballots, scale int64) *runoff {
	r := &runoff{n: b.n, scale: scale, b: b,
		weight: make([]int64, len(b.groups)), pos: make([]int, len(b.groups)),
		held: make([][]int, b.n), status: make([]status, b.n),
		tally: make([]int64, b.n), exhausted: b.empty * scale}
	for g, gr := range b.groups {
		r.weight[g] = scale
		o := gr.ranking[0]
		r.held[o] = append(r.held[o], g)
		r.tally[o] += gr.count * scale
	}
	return r
}

// begin records the tallies at the start of a new round.
func (r *runoff) begin() {
	r.history = append(r.history, slices.Clone(r.tally))
	rd := Round{Tallies: make([]Value, r.n), Exhausted: format(r.exhausted, r.scale)}
	for o, t := range r.tally {
		rd.Tallies[o] = format(t, r.scale)
	}
	if r.scale == unit {
		rd.Lost = format(r.lost, r.scale)
	}
	r.rounds = append(r.rounds, rd)
}

func (r *runoff) current() *Round { return &r.rounds[len(r.rounds)-1] }

func (r *runoff) options(st status) []int {
	var out []int
	for o, s := range r.status {
		if s == st {
			out = append(out, o)
		}
	}
	return out
}

// level compares options a and b by their tallies in the current round, then
// in each earlier round from the latest back (e2e/SPEC.md §15.2). It returns
// the sign of a − b at the first round where they differ and the rule that
// decided: NoTie (current round), PreviousRounds, or Precedence (equal in
// every round; then sign is 0).
func (r *runoff) level(a, b int) (int, Tie) {
	for k := len(r.history) - 1; k >= 0; k-- {
		ta, tb := r.history[k][a], r.history[k][b]
		if ta != tb {
			sign, tie := 1, NoTie
			if ta < tb {
				sign = -1
			}
			if k < len(r.history)-1 {
				tie = PreviousRounds
			}
			return sign, tie
		}
	}
	return 0, Precedence
}

// better reports whether a goes before b in order of election: larger
// tallies (current round, then earlier rounds), then the lower index.
func (r *runoff) better(a, b int) bool {
	s, _ := r.level(a, b)
	return s > 0 || (s == 0 && a < b)
}

// maxTie returns the stronger of two tie-break levels: Precedence over
// PreviousRounds over NoTie.
func maxTie(a, b Tie) Tie {
	if a == Precedence || b == Precedence {
		return Precedence
	}
	if a == PreviousRounds || b == PreviousRounds {
		return PreviousRounds
	}
	return NoTie
}

// best returns the first of set in order of election and the rule that
// decided it against the others.
func (r *runoff) best(set []int) (int, Tie) {
	x := set[0]
	for _, o := range set[1:] {
		if r.better(o, x) {
			x = o
		}
	}
	return x, r.decidedBy(x, set)
}

// worst returns the option of set to eliminate: the smallest tallies
// (current round, then earlier rounds), then the highest index.
func (r *runoff) worst(set []int) (int, Tie) {
	x := set[0]
	for _, o := range set[1:] {
		if r.better(x, o) {
			x = o
		}
	}
	return x, r.decidedBy(x, set)
}

func (r *runoff) decidedBy(x int, set []int) Tie {
	tie := NoTie
	for _, o := range set {
		if o != x {
			_, t := r.level(x, o)
			tie = maxTie(tie, t)
		}
	}
	return tie
}

// elect elects set in order of election (at most the free seats when seats
// > 0) as the current round's action.
func (r *runoff) elect(set []int, seats int) {
	set = slices.Clone(set)
	slices.SortFunc(set, func(a, b int) int {
		if r.better(a, b) {
			return -1
		}
		return 1
	})
	tie := NoTie
	for i := 1; i < len(set); i++ {
		_, t := r.level(set[i-1], set[i])
		tie = maxTie(tie, t)
	}
	if free := seats - len(r.winners); seats > 0 && len(set) > free {
		set = set[:free]
	}
	act := Action{Kind: Elect, Options: make([]int, len(set)), Tie: tie}
	for i, o := range set {
		r.status[o] = elected
		r.winners = append(r.winners, o)
		act.Options[i] = o + 1
	}
	r.current().Action = act
}

// transfer moves every ballot held by x to its next continuing option, at
// weight ⌊w·num/den⌋ (num = den for an elimination), as the current round's
// action, and sets x's tally to keep.
func (r *runoff) transfer(kind ActionKind, x int, tie Tie, num, den, keep int64) {
	moved := make([]int64, r.n)
	var toExhausted, total int64
	for _, g := range r.held[x] {
		w := r.weight[g]
		if num != den {
			w = mulDiv(w, num, den)
			r.weight[g] = w
		}
		v := w * r.b.groups[g].count
		total += v
		rk := r.b.groups[g].ranking
		p := r.pos[g] + 1
		for p < len(rk) && r.status[rk[p]] != continuing {
			p++
		}
		r.pos[g] = p
		if p == len(rk) {
			toExhausted += v
			continue
		}
		o := rk[p]
		r.held[o] = append(r.held[o], g)
		r.tally[o] += v
		moved[o] += v
	}
	r.held[x] = nil
	r.exhausted += toExhausted
	rd := r.current()
	rd.Action = Action{Kind: kind, Options: []int{x + 1}, Tie: tie}
	rd.Transfers = make([]Value, r.n)
	for o, v := range moved {
		rd.Transfers[o] = format(v, r.scale)
	}
	rd.TransferredExhausted = format(toExhausted, r.scale)
	if kind == Surplus {
		loss := num - total
		r.lost += loss
		rd.Action.Surplus = format(num, r.scale)
		rd.TransferredLost = format(loss, r.scale)
	}
	r.tally[x] = keep
}

func (r *runoff) eliminate(x int, tie Tie) {
	r.status[x] = eliminated
	r.transfer(Eliminate, x, tie, 1, 1, 0)
}

func (r *runoff) finish(res *Result) {
	res.Rounds = r.rounds
	res.Winners = make([]int, len(r.winners))
	for i, o := range r.winners {
		res.Winners[i] = o + 1
	}
}

// countIRV runs instant-runoff voting (e2e/SPEC.md §15.3).
func countIRV(res *Result, b *ballots) {
	r := newRunoff(b, 1)
	for {
		r.begin()
		cont := r.options(continuing)
		var active int64
		for _, o := range cont {
			active += r.tally[o]
		}
		top, _ := r.best(cont)
		if len(cont) == 1 || 2*r.tally[top] > active {
			r.elect([]int{top}, 1)
			break
		}
		r.eliminate(r.worst(cont))
	}
	r.finish(res)
}

// countSTV runs the single transferable vote with the Droop quota and
// weighted inclusive Gregory transfers (e2e/SPEC.md §15.4).
func countSTV(res *Result, b *ballots) {
	seats := res.Seats
	r := newRunoff(b, unit)
	quota := (int64(b.total)-b.empty)/int64(seats+1)*unit + unit
	res.Quota = format(quota, unit)
	for len(r.winners) < seats {
		cont := r.options(continuing)
		if len(cont) == 0 {
			break
		}
		r.begin()
		var reached []int
		for _, o := range cont {
			if r.tally[o] >= quota {
				reached = append(reached, o)
			}
		}
		if len(reached) > 0 {
			r.elect(reached, seats)
			continue
		}
		if len(cont) <= seats-len(r.winners) {
			r.elect(cont, seats)
			continue
		}
		var pending []int
		for _, o := range r.winners {
			if r.tally[o] > quota {
				pending = append(pending, o)
			}
		}
		if len(pending) > 0 {
			x, tie := r.best(pending)
			r.transfer(Surplus, x, tie, r.tally[x]-quota, r.tally[x], quota)
			continue
		}
		r.eliminate(r.worst(cont))
	}
	r.finish(res)
}
