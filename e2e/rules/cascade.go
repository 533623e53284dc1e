package rules

import (
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/cascade"
	"github.com/tabella-vote/tabella/mixnet/count"
)

// RankedContests returns the cascade's view of the manifest's ranked
// contests, in manifest order (e2e/SPEC.md §16.2): n options (a value is
// in 0..n, 0 for "no option at this rank"), sequences of max_selections
// ciphertexts, and the counting method and seats.
func RankedContests(m *ballot.Manifest) []cascade.Contest {
	var out []cascade.Contest
	for _, c := range m.Contests {
		if c.Kind == ballot.Ranked {
			out = append(out, cascade.Contest{ID: c.ID, Options: len(c.Options), Width: c.RankingLength(),
				Method: count.Method(c.Method), Seats: int(c.Seats)})
		}
	}
	return out
}

// startCascades opens a cascade for each ranked contest at election.close.
func (s *State) startCascades() {
	s.Cascades = map[string]*cascade.Cascade{}
	if s.CeremonyState == nil || s.Ballots == nil || s.Params == nil {
		return
	}
	s.MixConfig = &cascade.Config{Election: s.Election, Base: s.Ballots.BaseHash, Key: s.CeremonyState.JointKey,
		Qualified: s.CeremonyState.Qualified, Keys: s.CeremonyState.VerificationKeys, Threshold: s.Params.Threshold,
		Window: s.Params.Round(), Start: s.CloseTime}
	for _, c := range RankedContests(s.Manifest) {
		s.Cascades[c.ID] = cascade.New(s.MixConfig, c)
	}
}

// MixesDone reports whether every ranked contest has its mix.result.
func (s *State) MixesDone() bool {
	for _, c := range s.Cascades {
		if c.ResultIndex < 0 {
			return false
		}
	}
	return true
}

// mixViolation maps a cascade refusal to the check it breaks: the order
// rules are entry.order, the rest the type's own check.
func mixViolation(e *bulletin.Entry, own Check, err error) *Violation {
	switch {
	case errors.Is(err, cascade.ErrOrder):
		return violation(e, CheckOrder, ErrConflict, err, "%v", err)
	case errors.Is(err, cascade.ErrWrongElection):
		return violation(e, own, ErrWrongElection, err, "%v", err)
	case errors.Is(err, cascade.ErrForbidden):
		return violation(e, own, ErrForbidden, err, "%v", err)
	case errors.Is(err, cascade.ErrWrongInput):
		return violation(e, own, ErrConflict, err, "%v", err)
	case errors.Is(err, mixnet.ErrInvalidProof), errors.Is(err, mixnet.ErrUnmixed), errors.Is(err, mixnet.ErrMalformed), errors.Is(err, cascade.ErrBadShare):
		return violation(e, own, ErrBadProof, err, "%v", err)
	}
	return violation(e, own, ErrMalformed, err, "%v", err)
}

// cascadeOf returns the cascade a mix entry is for, after the order rules
// common to the cascade's entries.
func (s *State) cascadeOf(e *bulletin.Entry, own Check, contest string) (*cascade.Cascade, *Violation) {
	switch {
	case s.CloseIndex < 0:
		return nil, violation(e, CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeClose)
	case s.MixConfig == nil:
		return nil, violation(e, CheckOrder, ErrConflict, nil, "%s without a ceremony result", e.Type)
	}
	c, ok := s.Cascades[contest]
	if !ok {
		return nil, violation(e, own, ErrWrongElection, nil, "%s for contest %q, which is not a ranked contest of the manifest", e.Type, contest)
	}
	return c, nil
}

// setInput gives contest c its first input from pre, if it has none.
func setInput(c *cascade.Cascade, pre *Pre) error {
	if c.HasInput() || pre.Ranked == nil {
		return nil
	}
	l, ok := pre.Ranked[c.Contest.ID]
	if !ok {
		return nil
	}
	return c.SetInput(l)
}

func (s *State) doMix(e *bulletin.Entry, signer record.Signer, pre *Pre) (commit, error) {
	m := pre.Mix
	if m == nil {
		var err error
		if m, err = cascade.DecodeMix(e.Payload); err != nil {
			if s.CloseIndex < 0 {
				return nil, violation(e, CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeClose)
			}
			return nil, violation(e, CheckMix, ErrMalformed, err, "%v", err)
		}
	}
	c, v := s.cascadeOf(e, CheckMix, m.Contest)
	if v != nil {
		return nil, v
	}
	if err := setInput(c, pre); err != nil {
		return nil, violation(e, CheckMix, ErrConflict, err, "the counted ballots' sequences: %v", err)
	}
	verify := pre.Mix == nil && !pre.Replay && !pre.DeferMix
	do, err := c.CheckMix(e.Index, e.Time, s.Setup.TrusteeIndex(signer.Key), m, verify)
	if err != nil {
		return nil, mixViolation(e, CheckMix, err)
	}
	return do, nil
}

func (s *State) doMixShare(e *bulletin.Entry, signer record.Signer, pre *Pre) (commit, error) {
	m := pre.MixShares
	if m == nil {
		var err error
		if m, err = cascade.DecodeShares(e.Payload); err != nil {
			if s.CloseIndex < 0 {
				return nil, violation(e, CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeClose)
			}
			return nil, violation(e, CheckMixShare, ErrMalformed, err, "%v", err)
		}
	}
	c, v := s.cascadeOf(e, CheckMixShare, m.Contest)
	if v != nil {
		return nil, v
	}
	verify := pre.MixShares == nil && !pre.Replay && !pre.DeferMix
	do, err := c.CheckShares(e.Index, e.Time, s.Setup.TrusteeIndex(signer.Key), m, verify)
	if err != nil {
		return nil, mixViolation(e, CheckMixShare, err)
	}
	return do, nil
}

func (s *State) doMixResult(e *bulletin.Entry, pre *Pre) (commit, error) {
	r, err := cascade.DecodeResult(e.Payload)
	if err != nil {
		if s.CloseIndex < 0 {
			return nil, violation(e, CheckOrder, ErrConflict, nil, "%s before %s", e.Type, record.TypeClose)
		}
		return nil, violation(e, CheckMixResult, ErrMalformed, err, "%v", err)
	}
	c, v := s.cascadeOf(e, CheckMixResult, r.Contest)
	if v != nil {
		return nil, v
	}
	if err := setInput(c, pre); err != nil {
		return nil, violation(e, CheckMixResult, ErrConflict, err, "the counted ballots' sequences: %v", err)
	}
	_, do, err := c.CheckResult(e.Index, e.Payload, pre.Replay)
	if err != nil {
		if errors.Is(err, cascade.ErrOrder) {
			return nil, violation(e, CheckOrder, ErrConflict, err, "%v", err)
		}
		return nil, violation(e, CheckMixResult, ErrConflict, err, "%v", err)
	}
	return do, nil
}

// MixInputHash is the ListHash of contest's counted sequences l, the
// input of its first mix.
func MixInputHash(election, contest string, l []mixnet.Sequence) ([32]byte, error) {
	b, err := mixnet.EncodeList(l)
	if err != nil {
		return [32]byte{}, fmt.Errorf("contest %q: %w", contest, err)
	}
	return cascade.ListHash(election, contest, b), nil
}

// MixWork returns, for a mix.shuffle or mix.share entry e that [State.Check]
// accepted with Pre.DeferMix, the deferred proof verification: a function
// that needs no access to the state (the caller may run it outside its
// lock) and, on success, sets pre.Mix or pre.MixShares for [State.Apply],
// which then checks that the verified list is still the latest. It returns
// nil for other entries.
func (s *State) MixWork(e *bulletin.Entry) func(pre *Pre) error {
	switch e.Type {
	case record.TypeMix:
		m, err := cascade.DecodeMix(e.Payload)
		if err != nil {
			return nil
		}
		c, ok := s.Cascades[m.Contest]
		if !ok {
			return nil
		}
		in, h := c.Latest()
		if h != m.Input || len(in) == 0 {
			return nil // Apply verifies (and refuses) it itself
		}
		return func(pre *Pre) error {
			if err := c.VerifyMix(in, m); err != nil {
				return mixViolation(e, CheckMix, err)
			}
			pre.Mix = m
			return nil
		}
	case record.TypeMixShare:
		m, err := cascade.DecodeShares(e.Payload)
		if err != nil {
			return nil
		}
		c, ok := s.Cascades[m.Contest]
		if !ok {
			return nil
		}
		l, h := c.Latest()
		if h != m.List || len(l) == 0 {
			return nil
		}
		return func(pre *Pre) error {
			if err := c.VerifyShares(m, l); err != nil {
				return mixViolation(e, CheckMixShare, err)
			}
			pre.MixShares = m
			return nil
		}
	}
	return nil
}
