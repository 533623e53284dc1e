package verify

import (
	"io"
	"math"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// entry checks the election rules of e2e/SPEC.md §11 for one entry by
// folding it into the rule book's state (e2e/rules, the same code the
// service admits entries with). Ballots' content (decoding, credential,
// proofs) is checked in batches by a [rules.Recount] on its own goroutine.
func (v *Verifier) entry(e *bulletin.Entry) {
	st := v.st
	if e.Index <= 1 {
		// Without a setup and a manifest nothing else can be checked.
		defer func() {
			if st.Setup == nil || (e.Index == 1 && st.Manifest == nil) {
				v.setFatal()
			}
		}()
	}
	pre := &rules.Pre{DeferBallots: true}
	if e.Type == record.TypeResult && v.pipe != nil {
		v.closePipe()
	}
	pre.Tally = v.tally
	if v.tally != nil {
		pre.Ranked = v.tally.Ranked
	}
	if e.Type == record.TypeResult {
		v.resultSeen = true
	}
	t := time.Now()
	err := st.Apply(e, pre)
	switch e.Type {
	case record.TypeCeremonyEnd:
		v.ceremonyTime += time.Since(t)
	case record.TypeResult:
		v.rep.Timings.Tally += time.Since(t)
	}
	if err != nil {
		viol, ok := err.(*rules.Violation)
		if !ok {
			panic("verify: internal error: the rules returned a non-violation: " + err.Error())
		}
		v.fail(viol.Check, int64(viol.Index), viol.Type, viol.Cause(), "%s", viol.Msg)
		if viol.Fatal {
			v.setFatal()
		}
		st.Skip(e)
		return
	}
	c := &v.rep.Counts
	switch kind, _ := rules.SignerOf(e.Type); kind {
	case record.Official:
		c.OfficialActions++
	case record.Board:
		c.BoardActions++
	}
	switch e.Type {
	case record.TypeRollVoters:
		c.RollCredentials = uint64(len(st.RollOrder))
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		c.CeremonyMessages++
	case record.TypeCeremonyEnd:
		for _, m := range st.CeremonyMsgs {
			if m.Type == record.TypeCommitments {
				if cm, err := ceremony.DecodeCommitments(m.Payload, st.Params); err == nil {
					c.CoefficientPoKs += uint64(len(cm.Commitments))
				}
			}
		}
		v.perBallot = 1
		for _, ct := range st.Manifest.Contests {
			v.perBallot += uint64(len(ct.Options)) + 1
		}
		line := func(viol *rules.Violation, line int) {
			v.failAt(line, viol.Check, int64(viol.Index), viol.Type, viol.Cause(), "%s", viol.Msg)
		}
		v.pipe = rules.NewRecount(st.Ballots, v.opts.BatchSize, line, v.isFatal)
		if v.opts.Source != nil {
			v.pipe.Reread(v.reread)
		}
	case record.TypeBallot:
		if _, ok := v.entryHash[e.Index]; ok {
			v.ballotTypes[e.Index] = string(ballot.NewTrackingCode(rules.BallotHash(e.Payload)))
		}
		c.Ballots++
		c.BallotProofs += v.perBallot
		v.pipe.Add(e, v.line)
	case record.TypeSpoiled:
		c.Spoiled++
	case record.TypeClose:
		v.closePipe()
	case record.TypeShare:
		c.ShareMessages++
		if m, err := tally.DecodeShareMessage(e.Payload); err == nil {
			c.ShareProofs += uint64(len(m.Shares))
		}
	case record.TypeResult:
		c.ResultPositions = uint64(st.Layout.Width())
		v.rep.Result = st.Result
	case record.TypeMix:
		c.Mixes++
		if m, err := cascade.DecodeMix(e.Payload); err == nil {
			c.MixedCiphertexts += uint64(len(m.Output) * len(m.Output[0]))
		}
	case record.TypeMixShare:
		c.MixShareMessages++
		if m, err := cascade.DecodeShares(e.Payload); err == nil {
			c.MixShareProofs += uint64(len(m.Shares))
		}
	case record.TypeMixResult:
		if r, err := cascade.DecodeResult(e.Payload); err == nil {
			c.MixedRankings += uint64(len(r.Sequences))
			v.rep.MixResults = append(v.rep.MixResults, r)
		}
	}
}

// closePipe waits for the ballots being verified and keeps their tally.
func (v *Verifier) closePipe() {
	if v.pipe == nil {
		return
	}
	t := v.pipe.Close()
	v.pipe = nil
	if t.Err != nil {
		v.fail(CheckFormat, -1, "", t.Err, "%v", t.Err)
		v.setFatal()
	}
	v.tally = t
	v.rep.Counts.Counted = t.Turnout
	v.rep.Counts.Superseded = t.Superseded
	v.rep.Timings.Decode += t.Decode
	v.rep.Timings.Proofs += t.Proofs
	v.rep.Timings.Tally += t.Sum
}

// reread reads the entries with the given (increasing) indexes from the
// record again (Options.Source).
func (v *Verifier) reread(indexes []uint64) ([]*bulletin.Entry, error) {
	rd, err := record.NewReader(io.NewSectionReader(v.opts.Source, 0, math.MaxInt64))
	if err != nil {
		return nil, err
	}
	out := make([]*bulletin.Entry, 0, len(indexes))
	for len(out) < len(indexes) {
		it, err := rd.Next()
		if err != nil {
			return out, err
		}
		if it.Entry != nil && it.Entry.Index == indexes[len(out)] {
			out = append(out, it.Entry)
		}
	}
	return out, nil
}
