package cascade

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/mixnet"
	"github.com/tabella-vote/tabella/mixnet/count"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// ProtocolShare is the transcript protocol tag of a mixed ciphertext's
// decryption share (e2e/SPEC.md §16.3).
const ProtocolShare = "tabella-v1-mix-decryption-share"

// shareTranscript is the context of trustee i's proof for ciphertext k of
// the list named h of contest contest.
func shareTranscript(base [32]byte, i int, contest string, h [32]byte, k int, ct elgamal.Ciphertext) *zk.Transcript {
	t := zk.NewTranscript(ProtocolShare, base)
	t.Uint64("trustee", uint64(i))
	t.Bytes("contest", []byte(contest))
	t.Bytes("list", h[:])
	t.Uint64("position", uint64(k))
	t.Point("a", ct.A)
	t.Point("b", ct.B)
	return t
}

// DecryptShares computes trustee ks.Trustee's decryption shares of every
// ciphertext of the final list of the cascade (e2e/SPEC.md §16.3). The
// caller must have checked the cascade itself (every mix verified).
func (c *Cascade) DecryptShares(ks *ceremony.KeyShare) (*Shares, error) {
	l, h := c.Latest()
	if len(c.Mixes) == 0 || len(l) == 0 {
		return nil, fmt.Errorf("cascade: contest %q has no mixed list to decrypt", c.Contest.ID)
	}
	cts := flatten(l)
	if len(cts) > MaxShares {
		return nil, fmt.Errorf("cascade: contest %q: %d ciphertexts, over %d", c.Contest.ID, len(cts), MaxShares)
	}
	m := &Shares{Election: c.cfg.Election, Contest: c.Contest.ID, Trustee: ks.Trustee, List: h, N: len(l), W: len(l[0]), Shares: make([]Share, len(cts))}
	G := group.Generator()
	parallelFor(len(cts), func(k int) {
		ct := cts[k]
		D := ct.A.Mul(ks.Secret)
		m.Shares[k] = Share{D: D, Proof: zk.ProveDLEQ(shareTranscript(c.cfg.Base, ks.Trustee, c.Contest.ID, h, k, ct), ks.Secret, G, ks.Verification, ct.A, D)}
	})
	return m, nil
}

// CheckShares checks decryption-share message m, posted at board index
// index and time now by trustee signer (e2e/SPEC.md §16.3): for this
// election and contest, by the signer, a qualified trustee, its first for
// the contest, after the cascade is over, on the final list, every proof
// valid (a failing proof is named by its ciphertext). It returns the
// commit that admits it.
func (c *Cascade) CheckShares(index uint64, now int64, signer int, m *Shares, verify bool) (func(), error) {
	id := c.Contest.ID
	switch {
	case m.Election != c.cfg.Election:
		return nil, fmt.Errorf("%w: the shares are for election %q, this is %q", ErrWrongElection, m.Election, c.cfg.Election)
	case m.Contest != id:
		return nil, fmt.Errorf("%w: the shares are for contest %q, not %q", ErrWrongElection, m.Contest, id)
	case m.Trustee != signer:
		return nil, fmt.Errorf("%w: the shares claim trustee %d but are signed by trustee %d", ErrForbidden, m.Trustee, signer)
	}
	if _, ok := c.cfg.Keys[signer]; !ok {
		return nil, fmt.Errorf("%w: trustee %d is not qualified and does not decrypt", ErrForbidden, signer)
	}
	if first, ok := c.shareBy[signer]; ok {
		return nil, fmt.Errorf("%w: second decryption of contest %q by trustee %d (the first is entry %d)", ErrOrder, id, signer, first)
	}
	if c.ResultIndex >= 0 {
		return nil, fmt.Errorf("%w: decryption shares of contest %q after its result (entry %d)", ErrOrder, id, c.ResultIndex)
	}
	if len(c.Mixes) == 0 {
		return nil, fmt.Errorf("%w: contest %q has no mix yet: at least one mix must precede its decryption", ErrOrder, id)
	}
	t := c.TurnAt(now)
	if t.Mixer != 0 {
		return nil, fmt.Errorf("%w: decryption of contest %q before the cascade is over: trustee %d may mix until %s", ErrOrder, id, t.Mixer, fmtTime(t.Deadline))
	}
	l, h := c.Latest()
	if m.List != h {
		return nil, fmt.Errorf("%w: trustee %d's shares decrypt list %x…, the final list of contest %q is %x…", ErrWrongInput, signer, m.List[:8], id, h[:8])
	}
	if m.N != len(l) || m.W != len(l[0]) {
		return nil, fmt.Errorf("%w: trustee %d's shares are for %d×%d ciphertexts, the final list is %d×%d", ErrMalformed, signer, m.N, m.W, len(l), len(l[0]))
	}
	if verify {
		if err := c.VerifyShares(m, l); err != nil {
			return nil, err
		}
	}
	return func() {
		if len(c.Shares) == 0 {
			c.Skipped = t.Skipped // the cascade is over
		}
		c.shareBy[signer] = index
		c.Shares = append(c.Shares, m)
		c.ShareIndex = append(c.ShareIndex, index)
	}, nil
}

// VerifyShares checks every proof of m for the ciphertexts of list l (the
// list m names) in one batch, and on failure each alone to name the
// ciphertext. It reads only the cascade's configuration (see
// [Cascade.VerifyMix]).
func (c *Cascade) VerifyShares(m *Shares, l []mixnet.Sequence) error {
	V, ok := c.cfg.Keys[m.Trustee]
	if !ok {
		return fmt.Errorf("%w: trustee %d is not qualified and does not decrypt", ErrForbidden, m.Trustee)
	}
	cts := flatten(l)
	if len(cts) != len(m.Shares) {
		return fmt.Errorf("%w: %d shares for %d ciphertexts", ErrBadShare, len(m.Shares), len(cts))
	}
	h := m.List
	G := group.Generator()
	b := zk.NewBatch()
	for k, s := range m.Shares {
		if err := s.Proof.AddToBatch(b, shareTranscript(c.cfg.Base, m.Trustee, m.Contest, h, k, cts[k]), G, V, cts[k].A, s.D); err != nil {
			return c.badShare(m, k, err)
		}
	}
	if b.Verify() {
		return nil
	}
	for k, s := range m.Shares {
		if err := s.Proof.Verify(shareTranscript(c.cfg.Base, m.Trustee, m.Contest, h, k, cts[k]), G, V, cts[k].A, s.D); err != nil {
			return c.badShare(m, k, err)
		}
	}
	return fmt.Errorf("%w: trustee %d, contest %q: batch verification failed", ErrBadShare, m.Trustee, m.Contest)
}

func (c *Cascade) badShare(m *Shares, k int, err error) error {
	return fmt.Errorf("%w: trustee %d's decryption share of ciphertext %d (sequence %d, rank %d) of contest %q: %w",
		ErrBadShare, m.Trustee, k, k/m.W, k%m.W+1, m.Contest, err)
}

// ResultVersion is the version label of a [Result].
const ResultVersion = "tabella-mix-result/v1"

// maxResultSize bounds a result's JSON: N·w values of at most 3 digits
// and a comma, the brackets, and the rest.
const maxResultSize = 8 << 20

// Result is the payload of a [TypeResult] entry (e2e/SPEC.md §16.4): the
// decrypted final list of a ranked contest. JSON:
//
//	{"version":"tabella-mix-result/v1","election":"<hex base hash>","contest":"…",
//	 "list":"<hex ListHash>","mixers":[i,…],"skipped":[i,…],
//	 "sequences":[[v,…],…],"trustees":[i,…],"shares":[entry,…],"count":{…}}
//
// Sequences are the plaintexts of the final list in its order, each value
// in 0..n; Mixers the trustees whose mixes were admitted, in order, and
// Skipped those that missed their turn; Trustees and Shares the decryption
// shares combined, in board order; Count the count of the sequences.
type Result struct {
	Version   string        `json:"version"`
	Election  trustee.Key32 `json:"election"`
	Contest   string        `json:"contest"`
	List      trustee.Key32 `json:"list"`
	Mixers    []int         `json:"mixers"`
	Skipped   []int         `json:"skipped"`
	Sequences [][]uint16    `json:"sequences"`
	Trustees  []int         `json:"trustees"`
	Shares    []uint64      `json:"shares"`
	// Count is the count of Sequences (mixnet/count, e2e/SPEC.md §15.7),
	// its canonical encoding embedded as is.
	Count json.RawMessage `json:"count"`
}

// Marshal returns the canonical JSON of r.
func (r *Result) Marshal() []byte {
	b, err := canon.Marshal(r)
	if err != nil {
		panic("cascade: internal error: marshal result: " + err.Error())
	}
	return b
}

// DecodeResult decodes a [TypeResult] payload strictly (canonical JSON,
// the version label, no null lists, at most 8 MiB).
func DecodeResult(b []byte) (*Result, error) {
	var r Result
	if err := canon.Unmarshal(b, &r, maxResultSize); err != nil {
		return nil, fmt.Errorf("%w: mix result: %w", ErrMalformed, err)
	}
	switch {
	case r.Version != ResultVersion:
		return nil, fmt.Errorf("%w: mix result version %q, want %q", ErrMalformed, r.Version, ResultVersion)
	case r.Mixers == nil || r.Skipped == nil || r.Sequences == nil || r.Trustees == nil || r.Shares == nil:
		return nil, fmt.Errorf("%w: mix result with a null list", ErrMalformed)
	case len(r.Contest) == 0 || len(r.Contest) > MaxIDLength:
		return nil, fmt.Errorf("%w: mix result contest id of %d bytes", ErrMalformed, len(r.Contest))
	}
	for i, s := range r.Sequences {
		if s == nil {
			return nil, fmt.Errorf("%w: mix result sequence %d is null", ErrMalformed, i)
		}
	}
	if _, err := count.Decode(r.Count); err != nil {
		return nil, fmt.Errorf("%w: mix result: %w", ErrMalformed, err)
	}
	return &r, nil
}

// rawOf converts decrypted sequences to the counter's raw rankings.
func rawOf(seqs [][]uint16) [][]int {
	raw := make([][]int, len(seqs))
	for i, s := range seqs {
		raw[i] = make([]int, len(s))
		for k, v := range s {
			raw[i][k] = int(v)
		}
	}
	return raw
}

// countOf counts the decrypted sequences of contest c.
func countOf(c Contest, seqs [][]uint16) (json.RawMessage, error) {
	r, err := count.Count(c.Method, c.Options, max(c.Seats, 1), rawOf(seqs))
	if err != nil {
		return nil, fmt.Errorf("cascade: counting contest %q: %w", c.ID, err)
	}
	return r.Encode()
}

// ComputeResult combines the first t admitted share messages, in board
// order, into the plaintexts of the final list (e2e/SPEC.md §16.4). With
// no counted ballot the result is empty and needs no share.
func (c *Cascade) ComputeResult() (*Result, error) {
	r := &Result{Version: ResultVersion, Election: c.cfg.Base, Contest: c.Contest.ID,
		Mixers: []int{}, Skipped: append([]int{}, c.Skipped...), Sequences: [][]uint16{}, Trustees: []int{}, Shares: []uint64{}}
	for _, m := range c.Mixes {
		r.Mixers = append(r.Mixers, m.Mixer)
	}
	l, h := c.Latest()
	r.List = h
	if c.empty {
		var err error
		r.Count, err = countOf(c.Contest, r.Sequences)
		return r, err
	}
	if len(c.Mixes) == 0 {
		return nil, fmt.Errorf("%w: contest %q has no mix", ErrOrder, c.Contest.ID)
	}
	t := c.cfg.Threshold
	if len(c.Shares) < t {
		return nil, fmt.Errorf("%w: contest %q has %d decryption share messages, %d needed", ErrOrder, c.Contest.ID, len(c.Shares), t)
	}
	used := c.Shares[:t]
	for k, m := range used {
		r.Trustees = append(r.Trustees, m.Trustee)
		r.Shares = append(r.Shares, c.ShareIndex[k])
	}
	lam, err := ceremony.Lagrange(r.Trustees)
	if err != nil {
		return nil, fmt.Errorf("cascade: %w", err)
	}
	// The values 0..n as points, to look the plaintexts up.
	table := map[[32]byte]uint16{}
	P := group.Identity()
	for v := 0; v <= c.Contest.Options; v++ {
		table[P.Bytes()] = uint16(v)
		P = P.Add(group.Generator())
	}
	cts := flatten(l)
	vals := make([]uint16, len(cts))
	bad := make([]bool, len(cts))
	sc := make([]*group.Scalar, t+1)
	sc[t] = group.NewScalar(1)
	for i := range used {
		sc[i] = lam[i].Neg()
	}
	parallelFor(len(cts), func(k int) {
		pts := make([]*group.Point, t+1)
		for i, m := range used {
			pts[i] = m.Shares[k].D
		}
		pts[t] = cts[k].B
		v, ok := table[group.VarTimeMSM(sc, pts).Bytes()] // B − Σ λᵢ·Dᵢ = v·G
		vals[k], bad[k] = v, !ok
	})
	if k := slices.Index(bad, true); k >= 0 {
		return nil, fmt.Errorf("%w: contest %q: ciphertext %d (sequence %d, rank %d) does not decrypt to a value in 0..%d", ErrBadShare, c.Contest.ID, k, k/len(l[0]), k%len(l[0])+1, c.Contest.Options)
	}
	w := len(l[0])
	for i := range l {
		r.Sequences = append(r.Sequences, vals[i*w:(i+1)*w:(i+1)*w])
	}
	if r.Count, err = countOf(c.Contest, r.Sequences); err != nil {
		return nil, err
	}
	return r, nil
}

// CheckResult checks a posted [TypeResult] payload at board index index:
// the contest's first, byte-identical to [Cascade.ComputeResult] (unless
// replay: an entry already admitted, only decoded). It returns the commit
// that records it.
func (c *Cascade) CheckResult(index uint64, payload []byte, replay bool) (*Result, func(), error) {
	if c.ResultIndex >= 0 {
		return nil, nil, fmt.Errorf("%w: second result of contest %q (the first is entry %d)", ErrOrder, c.Contest.ID, c.ResultIndex)
	}
	posted, err := DecodeResult(payload)
	if err != nil {
		return nil, nil, err
	}
	if replay {
		return posted, func() { c.ResultIndex = int64(index) }, nil
	}
	want, err := c.ComputeResult()
	if err != nil {
		return nil, nil, err
	}
	if wb := want.Marshal(); !bytes.Equal(wb, payload) {
		return nil, nil, fmt.Errorf("%w: the posted result of contest %q differs from the decryption of its final list: %s", ErrResult, c.Contest.ID, diffResult(posted, want))
	}
	return want, func() { c.ResultIndex = int64(index) }, nil
}

func diffResult(got, want *Result) string {
	switch {
	case got.Election != want.Election || got.Contest != want.Contest || got.List != want.List:
		return "election, contest or list differs"
	case !slices.Equal(got.Mixers, want.Mixers) || !slices.Equal(got.Skipped, want.Skipped):
		return fmt.Sprintf("mixers %v skipped %v, recomputed %v skipped %v", got.Mixers, got.Skipped, want.Mixers, want.Skipped)
	case !slices.Equal(got.Trustees, want.Trustees) || !slices.Equal(got.Shares, want.Shares):
		return fmt.Sprintf("trustees %v at entries %v, recomputed %v at %v", got.Trustees, got.Shares, want.Trustees, want.Shares)
	case len(got.Sequences) != len(want.Sequences):
		return fmt.Sprintf("%d sequences, recomputed %d", len(got.Sequences), len(want.Sequences))
	}
	for i := range want.Sequences {
		if !slices.Equal(got.Sequences[i], want.Sequences[i]) {
			return fmt.Sprintf("sequence %d is %v, recomputed %v", i, got.Sequences[i], want.Sequences[i])
		}
	}
	if !bytes.Equal(got.Count, want.Count) {
		if _, err := count.Verify(got.Count, rawOf(want.Sequences)); err != nil {
			return fmt.Sprintf("the count differs from the recount of the decrypted rankings: %v", err)
		}
		return "the count differs from the recount"
	}
	return "encoding differs"
}
