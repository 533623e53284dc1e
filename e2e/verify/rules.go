package verify

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// signerOf is who may sign each entry type (e2e/SPEC.md §11.2).
var signerOf = map[string]record.SignerKind{
	record.TypeSetup:       record.Official,
	record.TypeManifest:    record.Official,
	record.TypeRollVoters:  record.Official,
	record.TypeRollSeal:    record.Official,
	record.TypeCeremony:    record.Official,
	record.TypeCommitments: record.Trustee,
	record.TypeShares:      record.Trustee,
	record.TypeComplaints:  record.Trustee,
	record.TypeAnswer:      record.Trustee,
	record.TypeCeremonyEnd: record.Board,
	record.TypeOpen:        record.Official,
	record.TypeBallot:      record.Voter,
	record.TypeSpoiled:     record.Voter,
	record.TypeClose:       record.Official,
	record.TypeShare:       record.Trustee,
	record.TypeResult:      record.Board,
}

// once lists the types that appear exactly once.
var once = map[string]bool{
	record.TypeSetup: true, record.TypeManifest: true, record.TypeRollSeal: true, record.TypeCeremony: true,
	record.TypeCeremonyEnd: true, record.TypeOpen: true, record.TypeClose: true, record.TypeResult: true,
}

const tagBallot = "tabella/v1 ballot"

// entry checks the election rules of e2e/SPEC.md §11 for one entry, in
// the order of §12.3.
func (v *Verifier) entry(e *bulletin.Entry) {
	idx, typ := int64(e.Index), e.Type
	fail := func(c Check, err error, format string, args ...any) { v.fail(c, idx, typ, err, format, args...) }
	if e.Index <= 1 {
		// Without a setup and a manifest nothing else can be checked.
		defer func() {
			if v.setup == nil || (e.Index == 1 && v.manifest == nil) {
				v.setFatal()
			}
		}()
	}
	kind, known := signerOf[typ]
	if !known {
		fail(CheckType, nil, "unknown entry type %q", typ)
		return
	}
	if e.Index == 0 && typ != record.TypeSetup {
		fail(CheckOrder, nil, "entry 0 must be %s", record.TypeSetup)
		v.setFatal()
		return
	}
	if e.Index == 1 && typ != record.TypeManifest {
		fail(CheckOrder, nil, "entry 1 must be %s", record.TypeManifest)
		v.setFatal()
		return
	}
	if once[typ] {
		if first, ok := v.seenSingle[typ]; ok {
			fail(CheckOrder, nil, "second %s entry (the first is entry %d)", typ, first)
			return
		}
		v.seenSingle[typ] = e.Index
	}
	signer, err := v.parseSigner(e.Signer)
	if err != nil {
		fail(CheckSigner, err, "%v", err)
		return
	}
	if signer.Kind != kind {
		fail(CheckSigner, record.ErrSignature, "signed by a %s, a %s entry must be signed by a %s", signer.Kind, typ, kind)
		return
	}
	if typ == record.TypeSetup {
		v.doSetup(e, signer)
		return
	}
	if v.setup == nil {
		return
	}
	switch kind {
	case record.Official:
		if !v.setup.IsOfficial(signer.Key) {
			fail(CheckSigner, record.ErrSignature, "signer %x… is not an official of the setup", signer.Key[:8])
			return
		}
		v.rep.Counts.OfficialActions++
	case record.Trustee:
		if v.setup.TrusteeIndex(signer.Key) == 0 {
			fail(CheckSigner, record.ErrSignature, "signer %x… is not a trustee of the setup", signer.Key[:8])
			return
		}
	case record.Board:
		if signer.Key != v.boardPub {
			fail(CheckSigner, record.ErrSignature, "signer %x… is not the board key", signer.Key[:8])
			return
		}
		v.rep.Counts.BoardActions++
	}
	if err := record.VerifySignature(signer, v.header.Election, typ, e.Payload, e.Signature); err != nil {
		fail(CheckSignature, err, "%v", err)
		return
	}
	if typ != record.TypeBallot && v.submissionSeen(e) {
		return
	}
	if v.manifest == nil && typ != record.TypeManifest {
		return
	}
	switch typ {
	case record.TypeManifest:
		v.doManifest(e)
	case record.TypeRollVoters:
		v.doRoll(e)
	case record.TypeRollSeal:
		v.doSeal(e)
	case record.TypeCeremony:
		v.doParams(e)
	case record.TypeCommitments, record.TypeShares, record.TypeComplaints, record.TypeAnswer:
		switch {
		case v.params == nil:
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeCeremony)
		case v.cerDone:
			fail(CheckOrder, nil, "%s after %s", typ, record.TypeCeremonyEnd)
		default:
			p := ceremony.Posted{Index: e.Index, Time: time.UnixMilli(e.Time), Type: typ, Payload: e.Payload}
			copy(p.Signature[:], e.Signature)
			v.cerMsgs = append(v.cerMsgs, p)
			v.rep.Counts.CeremonyMessages++
			v.lineOf(e.Index)
		}
	case record.TypeCeremonyEnd:
		if v.params == nil {
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeCeremony)
			v.setFatal()
			return
		}
		v.doCeremonyResult(e)
	case record.TypeOpen:
		v.openIndex = idx
		switch {
		case !v.sealed:
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeRollSeal)
		case !v.cerDone:
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeCeremonyEnd)
		default:
			if _, err := record.DecodePhase(e.Payload, v.header.Election); err != nil {
				fail(CheckPhase, err, "%v", err)
			}
		}
	case record.TypeClose:
		v.closeIndex = idx
		if v.pipe != nil {
			v.pipe.close()
		}
		if v.openIndex < 0 {
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeOpen)
		} else if _, err := record.DecodePhase(e.Payload, v.header.Election); err != nil {
			fail(CheckPhase, err, "%v", err)
		}
	case record.TypeBallot, record.TypeSpoiled:
		switch {
		case v.openIndex < 0:
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeOpen)
			return
		case v.closeIndex >= 0:
			fail(CheckOrder, nil, "%s after %s (entry %d)", typ, record.TypeClose, v.closeIndex)
			return
		case v.election == nil:
			return
		}
		if typ == record.TypeBallot {
			v.doBallot(e, signer)
		} else {
			v.doSpoiled(e, signer)
		}
	case record.TypeShare:
		v.doShare(e, signer)
	case record.TypeResult:
		if v.closeIndex < 0 {
			fail(CheckOrder, nil, "%s before %s", typ, record.TypeClose)
			return
		}
		v.doResult(e)
	}
}

// parseSigner is record.ParseSigner, without decoding the point of a voter
// already on the roll (the roll holds decoded elements only), which saves a
// point decompression per ballot on the reading goroutine.
func (v *Verifier) parseSigner(b []byte) (record.Signer, error) {
	if len(b) == record.SignerSize && record.SignerKind(b[0]) == record.Voter && v.roll[[32]byte(b[1:])] {
		return record.Signer{Kind: record.Voter, Key: [32]byte(b[1:])}, nil
	}
	return record.ParseSigner(b)
}

// lineOf remembers the line of a (non-ballot) entry, for failures found
// later about it.
func (v *Verifier) lineOf(index uint64) {
	if v.lines == nil {
		v.lines = map[uint64]int{}
	}
	v.lines[index] = v.line
}

func (v *Verifier) lineFor(index uint64) int {
	if l, ok := v.lines[index]; ok {
		return l
	}
	return v.line
}

func (v *Verifier) doSetup(e *bulletin.Entry, signer record.Signer) {
	fail := func(c Check, err error, format string, args ...any) {
		v.fail(c, 0, e.Type, err, format, args...)
		v.setFatal()
	}
	if e.Index != 0 {
		v.fail(CheckOrder, int64(e.Index), e.Type, nil, "%s must be entry 0", e.Type)
		return
	}
	s, err := record.DecodeSetup(e.Payload)
	if err != nil {
		fail(CheckSetup, err, "%v", err)
		return
	}
	switch {
	case s.ElectionID != v.header.Election:
		fail(CheckSetup, nil, "setup is for election %q, the record for %q", s.ElectionID, v.header.Election)
		return
	case s.Board.Key != v.header.BoardKey:
		fail(CheckBoardKey, nil, "setup names board key %q, the record's header %q", s.Board.Key, v.header.BoardKey)
		return
	case s.Board.Name != v.board.Name():
		fail(CheckBoardKey, nil, "setup names board %q, the board key is %q's", s.Board.Name, v.board.Name())
		return
	case !s.IsOfficial(signer.Key):
		fail(CheckSigner, record.ErrSignature, "the setup is not signed by one of its officials")
		return
	}
	if err := record.VerifySignature(signer, v.header.Election, e.Type, e.Payload, e.Signature); err != nil {
		fail(CheckSignature, err, "%v", err)
		return
	}
	v.setup = s
	v.rep.Counts.OfficialActions++
	v.subKeys[bulletin.SubmissionKey(e.Type, e.Payload, e.Signer, e.Signature)] = 0
}

func (v *Verifier) doManifest(e *bulletin.Entry) {
	fail := func(c Check, err error, format string, args ...any) {
		v.fail(c, int64(e.Index), e.Type, err, format, args...)
		v.setFatal()
	}
	m, err := ballot.DecodeManifest(e.Payload)
	if err != nil {
		fail(CheckManifest, err, "%v", err)
		return
	}
	if m.ElectionID != v.header.Election {
		fail(CheckManifest, nil, "manifest is for election %q, the record for %q", m.ElectionID, v.header.Election)
		return
	}
	for _, c := range m.Contests {
		if c.Kind == ballot.Ranked {
			fail(CheckUnsupported, ballot.ErrUnsupported, "contest %q is ranked: mixnet contests are not verified by this version", c.ID)
			return
		}
	}
	v.manifest = m
	v.manifestHash, _ = m.Hash()
	v.opens, v.closes = m.Opens().UnixMilli(), m.Closes().UnixMilli()
}

func (v *Verifier) doRoll(e *bulletin.Entry) {
	idx := int64(e.Index)
	if v.sealed {
		v.fail(CheckOrder, idx, e.Type, nil, "%s after %s", e.Type, record.TypeRollSeal)
		return
	}
	r, err := record.DecodeRollVoters(e.Payload)
	if err != nil {
		v.fail(CheckRoll, idx, e.Type, err, "%v", err)
		return
	}
	if want := v.rollChunks; r.Chunk != want {
		v.fail(CheckRoll, idx, e.Type, nil, "roll chunk %d, want chunk %d", r.Chunk, want)
		return
	}
	v.rollChunks++
	for i, c := range r.Credentials {
		k := c.Bytes()
		if v.roll[k] {
			v.fail(CheckRoll, idx, e.Type, nil, "credential %d of chunk %d (%x…) is already on the roll", i, r.Chunk, k[:8])
			return
		}
		v.roll[k] = true
		v.rollCreds = append(v.rollCreds, k)
	}
	v.rep.Counts.RollCredentials += uint64(len(r.Credentials))
}

func (v *Verifier) doSeal(e *bulletin.Entry) {
	idx := int64(e.Index)
	v.sealed = true
	s, err := record.DecodeRollSeal(e.Payload)
	if err != nil {
		v.fail(CheckRollSeal, idx, e.Type, err, "%v", err)
		return
	}
	if s.Count != uint64(len(v.rollCreds)) {
		v.fail(CheckRollSeal, idx, e.Type, nil, "seal counts %d credentials, the roll has %d", s.Count, len(v.rollCreds))
		return
	}
	if h := rollHash(v.header.Election, v.rollCreds); s.Hash != record.Key32(h) {
		v.fail(CheckRollSeal, idx, e.Type, nil, "seal hash %x…, the roll's hash is %x…", s.Hash[:8], h[:8])
	}
}

func (v *Verifier) doParams(e *bulletin.Entry) {
	fail := func(err error, format string, args ...any) {
		v.fail(CheckCeremonyParams, int64(e.Index), e.Type, err, format, args...)
		v.setFatal()
	}
	p, err := ceremony.ParseParams(e.Payload)
	if err != nil {
		fail(err, "%v", err)
		return
	}
	switch {
	case p.Election != ceremony.Hash(v.manifestHash):
		fail(nil, "ceremony is for manifest hash %x…, the manifest's is %x…", p.Election[:8], v.manifestHash[:8])
		return
	case p.Threshold != v.setup.Threshold:
		fail(nil, "ceremony threshold %d, the setup's is %d", p.Threshold, v.setup.Threshold)
		return
	case len(p.Trustees) != len(v.setup.Trustees):
		fail(nil, "ceremony has %d trustees, the setup %d", len(p.Trustees), len(v.setup.Trustees))
		return
	}
	for i := range p.Trustees {
		if !bytes.Equal(p.Trustees[i].Marshal(), v.setup.Trustees[i].Marshal()) {
			fail(nil, "ceremony trustee %d differs from the setup's trustee %d", i+1, i+1)
			return
		}
	}
	v.params = p
	v.paramsIndex = int64(e.Index)
	v.paramsTime = time.UnixMilli(e.Time)
}

func (v *Verifier) doCeremonyResult(e *bulletin.Entry) {
	idx := int64(e.Index)
	fail := func(c Check, err error, format string, args ...any) { v.fail(c, idx, e.Type, err, format, args...) }
	t := time.Now()
	st := ceremony.Replay(v.params, v.paramsTime, v.cerMsgs, time.UnixMilli(e.Time))
	v.ceremonyTime += time.Since(t)
	v.cerState = st
	v.cerDone = true
	for _, m := range v.cerMsgs {
		if m.Type == record.TypeCommitments {
			if c, err := ceremony.DecodeCommitments(m.Payload, v.params); err == nil {
				v.rep.Counts.CoefficientPoKs += uint64(len(c.Commitments))
			}
		}
	}
	for _, n := range st.Notes {
		v.note("ceremony: %s", n)
	}
	if !st.Done() {
		fail(CheckCeremonyResult, st.Err, "a result is posted, but replaying the board at its time gives: %s", st.Describe())
		v.setFatal()
		return
	}
	defer func() {
		el, err := ballot.NewElection(v.manifest, st.JointKey, st.Hash)
		if err != nil {
			fail(CheckCeremonyResult, err, "%v", err)
			v.setFatal()
			return
		}
		v.election = el
		v.layout = tally.LayoutOf(v.manifest)
		v.perBallot = 1
		for _, c := range v.manifest.Contests {
			v.perBallot += uint64(len(c.Options)) + 1
		}
		v.pipe = newPipeline(v, el, v.layout, v.opts.BatchSize)
	}()
	posted, err := ceremony.DecodeResult(e.Payload, v.params)
	if err != nil {
		fail(CheckCeremonyResult, err, "%v", err)
		return
	}
	for _, q := range posted.Qualified {
		if slices.Contains(st.Qualified, q) {
			continue
		}
		reason, ok := st.Disqualified[q]
		if !ok {
			reason = "it is not a dealer (no valid commitments and shares in time)"
		}
		at, line := idx, v.line
		for _, n := range st.Notes {
			if n.Trustee == q && n.Entry >= 0 && strings.HasPrefix(n.Reason, "disqualified") {
				at, line = n.Entry, v.lineFor(uint64(n.Entry))
				break
			}
		}
		typ := e.Type
		if at != idx {
			typ = v.typeOfCeremonyMsg(uint64(at))
		}
		v.failAt(line, CheckQualified, at, typ, nil, "the posted ceremony result (entry %d) qualifies trustee %d, which the board disqualifies: %s", idx, q, reason)
		return
	}
	want := st.Result()
	if !bytes.Equal(want.Marshal(), e.Payload) {
		var what []string
		if !slices.Equal(want.Qualified, posted.Qualified) {
			what = append(what, fmt.Sprintf("qualified %v, recomputed %v", posted.Qualified, want.Qualified))
		}
		if !posted.JointKey.Equal(want.JointKey) {
			what = append(what, "joint key differs")
		}
		if len(what) == 0 && len(want.VerificationKeys) == len(posted.VerificationKeys) {
			for k, V := range want.VerificationKeys {
				if !posted.VerificationKeys[k].Equal(V) {
					what = append(what, fmt.Sprintf("verification key of trustee %d differs", want.Qualified[k]))
				}
			}
		}
		if len(what) == 0 {
			what = append(what, "encoding differs")
		}
		fail(CheckCeremonyResult, nil, "posted ceremony result differs from the replay of the board: %s", strings.Join(what, "; "))
	}
}

func (v *Verifier) typeOfCeremonyMsg(index uint64) string {
	for _, m := range v.cerMsgs {
		if m.Index == index {
			return m.Type
		}
	}
	return ""
}

func (v *Verifier) doBallot(e *bulletin.Entry, signer record.Signer) {
	idx := int64(e.Index)
	fail := func(c Check, err error, format string, args ...any) { v.fail(c, idx, e.Type, err, format, args...) }
	if !v.roll[signer.Key] {
		fail(CheckBallotRoll, nil, "credential %x… is not on the roll", signer.Key[:8])
		return
	}
	if e.Time < v.opens || e.Time >= v.closes {
		fail(CheckBallotSchedule, nil, "cast at %s, outside the schedule %s to %s", time.UnixMilli(e.Time).UTC().Format(time.RFC3339Nano), v.manifest.Schedule.Opens, v.manifest.Schedule.Closes)
		return
	}
	bh := taggedHash(tagBallot, e.Payload)
	if first, ok := v.cast[bh]; ok {
		fail(CheckDuplicate, nil, "ballot %x… was already cast at entry %d", bh[:8], first)
		return
	}
	if sp, ok := v.spoiled[bh]; ok {
		fail(CheckBallotSpoiled, nil, "ballot %x… was spoiled (opened) at entry %d and must not be cast", bh[:8], sp)
		return
	}
	v.cast[bh] = e.Index
	v.latest[signer.Key] = e.Index
	if _, ok := v.entryHash[e.Index]; ok {
		v.ballotTypes[e.Index] = string(ballot.NewTrackingCode(bh))
	}
	v.rep.Counts.Ballots++
	v.rep.Counts.BallotProofs += v.perBallot
	v.pipe.add(job{index: e.Index, line: v.line, payload: e.Payload, signer: signer.Key})
}

func (v *Verifier) doSpoiled(e *bulletin.Entry, signer record.Signer) {
	idx := int64(e.Index)
	fail := func(c Check, err error, format string, args ...any) { v.fail(c, idx, e.Type, err, format, args...) }
	if !v.roll[signer.Key] {
		fail(CheckBallotRoll, nil, "credential %x… is not on the roll", signer.Key[:8])
		return
	}
	s, err := ballot.DecodeSpoiled(e.Payload)
	if err != nil {
		fail(CheckSpoiled, err, "%v", err)
		return
	}
	if s.Ballot.Credential.Bytes() != signer.Key {
		fail(CheckBallotSigner, nil, "the spoiled ballot's credential is not the entry's signer")
		return
	}
	if _, err := ballot.VerifySpoiled(v.election, s); err != nil {
		fail(CheckSpoiled, err, "%v", err)
		return
	}
	h, err := s.Ballot.Hash()
	if err != nil {
		fail(CheckSpoiled, err, "%v", err)
		return
	}
	if c, ok := v.cast[h]; ok {
		fail(CheckBallotSpoiled, nil, "the spoiled ballot %x… was cast at entry %d", h[:8], c)
		return
	}
	v.spoiled[h] = e.Index
	v.rep.Counts.Spoiled++
}

func (v *Verifier) doShare(e *bulletin.Entry, signer record.Signer) {
	idx := int64(e.Index)
	if v.closeIndex < 0 {
		v.fail(CheckOrder, idx, e.Type, nil, "%s before %s", e.Type, record.TypeClose)
		return
	}
	k := v.setup.TrusteeIndex(signer.Key)
	if first, ok := v.shareBy[k]; ok {
		v.fail(CheckOrder, idx, e.Type, nil, "second %s of trustee %d (the first is entry %d)", e.Type, k, first)
		return
	}
	v.shareBy[k] = e.Index
	if m, err := tally.DecodeShareMessage(e.Payload); err == nil {
		if m.Trustee != k {
			v.fail(CheckShare, idx, e.Type, nil, "shares claim trustee %d but are signed by trustee %d", m.Trustee, k)
			return
		}
		v.rep.Counts.ShareProofs += uint64(len(m.Shares))
	}
	p := ceremony.Posted{Index: e.Index, Time: time.UnixMilli(e.Time), Type: e.Type, Payload: e.Payload}
	copy(p.Signature[:], e.Signature)
	v.shares = append(v.shares, p)
	v.rep.Counts.ShareMessages++
	v.lineOf(e.Index)
}

func (v *Verifier) doResult(e *bulletin.Entry) {
	idx := int64(e.Index)
	v.resultIndex = idx
	fail := func(c Check, err error, format string, args ...any) { v.fail(c, idx, e.Type, err, format, args...) }
	if v.election == nil || v.agg == nil {
		return
	}
	t := time.Now()
	defer func() { v.rep.Timings.Tally += time.Since(t) }()
	posted, err := tally.DecodeResult(e.Payload)
	if err != nil {
		fail(CheckResult, err, "%v", err)
		return
	}
	st := v.cerState
	d := &tally.Decryption{Base: v.election.BaseHash, Aggregate: v.agg, Count: v.turnout, Limits: v.layout.Limits(),
		Threshold: v.params.Threshold, Trustees: v.params.Trustees, Keys: st.VerificationKeys}
	pt, cerr := tally.Combine(d, v.shares)
	if pt != nil {
		for _, r := range pt.Rejected {
			if slices.Contains(posted.Shares, r.Entry) {
				v.failAt(v.lineFor(r.Entry), CheckShare, int64(r.Entry), record.TypeShare, r.Err, "the posted result (entry %d) uses this invalid decryption share: %v", idx, r.Err)
				return
			}
			v.note("tally: rejected %s (not used by the result)", r)
		}
	}
	if cerr != nil {
		fail(CheckResult, cerr, "the result cannot be recomputed from the board: %v", cerr)
		return
	}
	want, err := v.layout.Result(v.election.BaseHash, v.turnout, pt)
	if err != nil {
		fail(CheckResult, err, "%v", err)
		return
	}
	v.rep.Counts.ResultPositions = uint64(len(pt.Counts))
	if !bytes.Equal(want.Marshal(), e.Payload) {
		fail(CheckResult, nil, "posted result differs from the result recomputed from the board: %s", diffResult(posted, want))
		return
	}
	v.rep.Result = want
}

// diffResult names the first differences between two results.
func diffResult(got, want *tally.Result) string {
	var d []string
	if got.Election != want.Election {
		d = append(d, "election (base hash) differs")
	}
	if got.Turnout != want.Turnout {
		d = append(d, fmt.Sprintf("turnout %d, recomputed %d", got.Turnout, want.Turnout))
	}
	if len(got.Contests) != len(want.Contests) {
		d = append(d, fmt.Sprintf("%d contests, want %d", len(got.Contests), len(want.Contests)))
	} else {
		for i, c := range want.Contests {
			g := got.Contests[i]
			if g.ID != c.ID || len(g.Options) != len(c.Options) {
				d = append(d, fmt.Sprintf("contest %d is %q, want %q", i, g.ID, c.ID))
				continue
			}
			for j, o := range c.Options {
				if g.Options[j] != o {
					d = append(d, fmt.Sprintf("%s/%s: posted %s=%d, recomputed %s=%d", c.ID, o.ID, g.Options[j].ID, g.Options[j].Count, o.ID, o.Count))
				}
			}
		}
	}
	if !slices.Equal(got.Trustees, want.Trustees) || !slices.Equal(got.Shares, want.Shares) {
		d = append(d, fmt.Sprintf("trustees %v at entries %v, recomputed %v at %v", got.Trustees, got.Shares, want.Trustees, want.Shares))
	}
	if len(d) == 0 {
		d = append(d, "encoding differs")
	}
	if len(d) > 5 {
		d = append(d[:5], fmt.Sprintf("and %d more", len(d)-5))
	}
	return strings.Join(d, "; ")
}

// classifyBallot maps a ballot verification error to its check.
func classifyBallot(err error) Check {
	var pe *ballot.ProofError
	switch {
	case errors.As(err, &pe):
		return CheckBallotProof
	case errors.Is(err, ballot.ErrWrongElection), errors.Is(err, ballot.ErrMalformed), errors.Is(err, ballot.ErrUnsupported):
		return CheckBallotElection
	}
	return CheckBallotProof
}

var _ = elgamal.Zero
