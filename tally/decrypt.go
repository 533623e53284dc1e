package tally

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// TypeDecryptionShare is the board entry type of a [ShareMessage].
const TypeDecryptionShare = "tally.share"

// ProtocolDecryptionShare is the transcript protocol tag of a decryption
// share's DLEQ proof (e2e/SPEC.md §10.3).
const ProtocolDecryptionShare = "tabella-v1-decryption-share"

// Limits.
const (
	// MaxWidth bounds the number of ciphertexts in an aggregate.
	MaxWidth = 4096
	// maxDLog is the largest count the discrete log will search for.
	maxDLog = 1 << 40
)

// Errors. They are wrapped with detail; test with errors.Is.
var (
	ErrMalformed       = errors.New("tally: malformed message")
	ErrBadShare        = errors.New("tally: invalid decryption share")
	ErrNotEnoughShares = errors.New("tally: fewer than t valid decryption shares")
	ErrCount           = errors.New("tally: decrypted value out of range")
)

// Hash is a 32-byte hash, in JSON 64 lowercase hexadecimal characters.
type Hash = trustee.Key32

// ShareMessage is a trustee's decryption of an aggregate (e2e/SPEC.md §10.3):
// one [DecryptionShare] per aggregate ciphertext, in order. Election is the
// election's base hash, Aggregate the [AggregateHash] of the aggregate it
// decrypts and Count the number of ballots in it.
type ShareMessage struct {
	Election  Hash              `json:"election"`
	Trustee   int               `json:"trustee"`
	Aggregate Hash              `json:"aggregate"`
	Count     uint64            `json:"count"`
	Shares    []DecryptionShare `json:"shares"`
}

// DecryptionShare is D = s·A for one aggregate ciphertext (A, B), with a DLEQ
// proof that log_G V = log_A D for the trustee's verification key V.
type DecryptionShare struct {
	D     *group.Point `json:"d"`
	Proof *zk.DLEQ     `json:"proof"`
}

// AggregateHash returns the hash that names an aggregate (e2e/SPEC.md §10.2):
//
//	SHA-256( field("tabella","v1") || field("purpose","aggregate")
//	      || field("count", u64be(count)) || field("ciphertexts", A₁||B₁||…||Aₙ||Bₙ) )
func AggregateHash(agg []elgamal.Ciphertext, count uint64) [32]byte {
	h := sha256.New()
	var b []byte
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("aggregate"))
	b = field(b, "count", binary.BigEndian.AppendUint64(nil, count))
	b = binary.BigEndian.AppendUint32(b, uint32(len("ciphertexts")))
	b = append(b, "ciphertexts"...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(agg)*elgamal.CiphertextSize))
	h.Write(b)
	for _, c := range agg {
		e := c.Bytes()
		h.Write(e[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func field(b []byte, label string, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(label)))
	b = append(b, label...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
	return append(b, v...)
}

// shareTranscript is the context of trustee i's proof for position k.
func shareTranscript(base [32]byte, i int, aggHash [32]byte, k int, c elgamal.Ciphertext) *zk.Transcript {
	t := zk.NewTranscript(ProtocolDecryptionShare, base)
	t.Uint64("trustee", uint64(i))
	t.Bytes("aggregate", aggHash[:])
	t.Uint64("position", uint64(k))
	t.Point("a", c.A)
	t.Point("b", c.B)
	return t
}

// DecryptShares computes trustee ks.Trustee's decryption shares of the
// aggregate agg of count ballots in the election with base hash base. The
// caller must have computed agg itself from the board.
func DecryptShares(base [32]byte, ks *ceremony.KeyShare, agg []elgamal.Ciphertext, count uint64) (*ShareMessage, error) {
	if count == 0 {
		return nil, fmt.Errorf("tally: nothing to decrypt: no ballots counted")
	}
	if len(agg) == 0 || len(agg) > MaxWidth {
		return nil, fmt.Errorf("tally: aggregate of %d ciphertexts", len(agg))
	}
	for k, c := range agg {
		if c.A == nil || c.B == nil || c.A.IsIdentity() {
			return nil, fmt.Errorf("tally: aggregate ciphertext %d is degenerate", k)
		}
	}
	h := AggregateHash(agg, count)
	m := &ShareMessage{Election: base, Trustee: ks.Trustee, Aggregate: h, Count: count, Shares: make([]DecryptionShare, len(agg))}
	G := group.Generator()
	for k, c := range agg {
		D := c.A.Mul(ks.Secret)
		m.Shares[k] = DecryptionShare{D: D, Proof: zk.ProveDLEQ(shareTranscript(base, ks.Trustee, h, k, c), ks.Secret, G, ks.Verification, c.A, D)}
	}
	return m, nil
}

// Marshal returns the canonical JSON of m.
func (m *ShareMessage) Marshal() []byte {
	b, err := canon.Marshal(m)
	if err != nil {
		panic("tally: internal error: marshal share message: " + err.Error())
	}
	return b
}

// DecodeShareMessage decodes a [TypeDecryptionShare] payload strictly:
// canonical JSON, at most [MaxWidth] shares, every D an element and every
// proof present. It does not verify the proofs.
func DecodeShareMessage(data []byte) (*ShareMessage, error) {
	var m ShareMessage
	if err := canon.Unmarshal(data, &m, 64+MaxWidth*400); err != nil {
		return nil, fmt.Errorf("%w: decryption shares: %w", ErrMalformed, err)
	}
	if m.Trustee < 1 || m.Trustee > ceremony.MaxTrustees {
		return nil, fmt.Errorf("%w: decryption shares: trustee index %d", ErrMalformed, m.Trustee)
	}
	if len(m.Shares) == 0 || len(m.Shares) > MaxWidth {
		return nil, fmt.Errorf("%w: decryption shares of trustee %d: %d shares", ErrMalformed, m.Trustee, len(m.Shares))
	}
	for k, s := range m.Shares {
		if s.D == nil || s.D.IsIdentity() || s.Proof == nil {
			return nil, fmt.Errorf("%w: decryption shares of trustee %d: share %d is missing, the identity, or has no proof", ErrMalformed, m.Trustee, k)
		}
	}
	return &m, nil
}

// A Decryption is what [Combine] checks shares against: the election, the
// aggregate recomputed from the board, and the ceremony's outcome.
type Decryption struct {
	Election  string               // the election's id (trustees sign for it, e2e/SPEC.md §9.1)
	Base      [32]byte             // the election's base hash
	Aggregate []elgamal.Ciphertext // recomputed by the caller from the board
	Count     uint64               // ballots in the aggregate (turnout)
	Limits    []uint64             // per position, the most one ballot adds (Layout order)
	Threshold int                  // t
	Trustees  []trustee.Public     // registered trustees, index i at i−1
	Keys      map[int]*group.Point // verification keys of the qualified trustees
	// DLog, if set and large enough, is reused instead of building a
	// discrete-log table for Count × max(Limits) (the build dominates the
	// cost of Combine for large electorates).
	DLog *elgamal.DLog
}

// Rejection names a share message that [Combine] ignored and why.
type Rejection struct {
	Trustee int // 0 if not attributable
	Entry   uint64
	Err     error
}

// String formats the rejection, naming the trustee and the entry.
func (r Rejection) String() string {
	if r.Trustee == 0 {
		return fmt.Sprintf("entry %d: %v", r.Entry, r.Err)
	}
	return fmt.Sprintf("trustee %d (entry %d): %v", r.Trustee, r.Entry, r.Err)
}

// Plaintext is the outcome of [Combine]: the count at every aggregate
// position, the trustees whose shares were used (in the order used) and
// their board entries, and every rejected share message.
type Plaintext struct {
	Counts   []uint64
	Trustees []int
	Entries  []uint64
	Rejected []Rejection
}

// Check verifies a decoded share message against d: the election, the
// aggregate hash and count, that the trustee is qualified, the number of
// shares, and every proof (in one batch; on failure each proof alone, so the
// error names the position).
func (d *Decryption) Check(m *ShareMessage) error {
	if m.Election != d.Base {
		return fmt.Errorf("%w: shares are for another election", ErrBadShare)
	}
	h := AggregateHash(d.Aggregate, d.Count)
	if m.Aggregate != h || m.Count != d.Count {
		return fmt.Errorf("%w: shares decrypt another aggregate (count %d, want %d)", ErrBadShare, m.Count, d.Count)
	}
	V, ok := d.Keys[m.Trustee]
	if !ok {
		return fmt.Errorf("%w: trustee %d is not qualified", ErrBadShare, m.Trustee)
	}
	if len(m.Shares) != len(d.Aggregate) {
		return fmt.Errorf("%w: %d shares for %d ciphertexts", ErrBadShare, len(m.Shares), len(d.Aggregate))
	}
	G := group.Generator()
	b := zk.NewBatch()
	for k, s := range m.Shares {
		c := d.Aggregate[k]
		if err := s.Proof.AddToBatch(b, shareTranscript(d.Base, m.Trustee, h, k, c), G, V, c.A, s.D); err != nil {
			return fmt.Errorf("%w: position %d: %w", ErrBadShare, k, err)
		}
	}
	if b.Verify() {
		return nil
	}
	for k, s := range m.Shares {
		c := d.Aggregate[k]
		if err := s.Proof.Verify(shareTranscript(d.Base, m.Trustee, h, k, c), G, V, c.A, s.D); err != nil {
			return fmt.Errorf("%w: position %d: %w", ErrBadShare, k, err)
		}
	}
	return fmt.Errorf("%w: batch verification failed", ErrBadShare)
}

// Combine verifies the posted decryption-share messages (board entries of
// type [TypeDecryptionShare], in board order; entries of other types are
// skipped), takes the first Threshold valid ones from distinct trustees, and
// decrypts the aggregate (e2e/SPEC.md §10.4). Invalid messages are named in
// Plaintext.Rejected and ignored. With fewer than Threshold valid messages it
// returns an error wrapping [ErrNotEnoughShares] (and the Plaintext with the
// rejections). An aggregate of zero ballots decrypts to zeros without shares.
func Combine(d *Decryption, posted []ceremony.Posted) (*Plaintext, error) {
	w := len(d.Aggregate)
	if w == 0 || w > MaxWidth || len(d.Limits) != w {
		return nil, fmt.Errorf("tally: aggregate of %d ciphertexts with %d limits", w, len(d.Limits))
	}
	pt := &Plaintext{Counts: make([]uint64, w)}
	if d.Count == 0 {
		return pt, nil
	}
	var used []*ShareMessage
	var seen []int // trustees with a signed, decodable message
	for _, p := range posted {
		if p.Type != TypeDecryptionShare {
			continue
		}
		m, err := DecodeShareMessage(p.Payload)
		if err != nil {
			pt.Rejected = append(pt.Rejected, Rejection{Entry: p.Index, Err: err})
			continue
		}
		if m.Trustee > len(d.Trustees) || d.Trustees[m.Trustee-1].Verify(d.Election, p.Type, p.Payload, p.Signature) != nil {
			pt.Rejected = append(pt.Rejected, Rejection{Entry: p.Index, Err: fmt.Errorf("%w: not signed by trustee %d", ErrBadShare, m.Trustee)})
			continue
		}
		if slices.Contains(seen, m.Trustee) {
			pt.Rejected = append(pt.Rejected, Rejection{Trustee: m.Trustee, Entry: p.Index, Err: fmt.Errorf("%w: second share message of the trustee", ErrBadShare)})
			continue
		}
		seen = append(seen, m.Trustee)
		if err := d.Check(m); err != nil {
			pt.Rejected = append(pt.Rejected, Rejection{Trustee: m.Trustee, Entry: p.Index, Err: err})
			continue
		}
		if len(used) < d.Threshold {
			used = append(used, m)
			pt.Trustees = append(pt.Trustees, m.Trustee)
			pt.Entries = append(pt.Entries, p.Index)
		}
	}
	if len(used) < d.Threshold {
		return pt, fmt.Errorf("%w: %d valid of %d needed (rejected: %v)", ErrNotEnoughShares, len(used), d.Threshold, pt.Rejected)
	}
	lam, err := ceremony.Lagrange(pt.Trustees)
	if err != nil {
		return pt, fmt.Errorf("tally: %w", err)
	}
	var top uint64
	for _, l := range d.Limits {
		top = max(top, l)
	}
	if top != 0 && d.Count > maxDLog/top {
		return pt, fmt.Errorf("tally: counts up to %d×%d are beyond the discrete-log bound", d.Count, top)
	}
	dl := d.DLog
	if dl == nil || dl.Max() < d.Count*top {
		dl = elgamal.NewDLog(d.Count * top)
	}
	sc := make([]*group.Scalar, len(used)+1)
	pts := make([]*group.Point, len(used)+1)
	sc[len(used)] = group.NewScalar(1)
	for i := range used {
		sc[i] = lam[i].Neg()
	}
	for k, c := range d.Aggregate {
		for i, m := range used {
			pts[i] = m.Shares[k].D
		}
		pts[len(used)] = c.B
		M := group.VarTimeMSM(sc, pts) // B − Σ λᵢ·Dᵢ = m·G
		v, err := dl.Solve(M)
		if err != nil || v > d.Count*d.Limits[k] {
			return pt, fmt.Errorf("%w: position %d is not a count in 0..%d", ErrCount, k, d.Count*d.Limits[k])
		}
		pt.Counts[k] = v
	}
	return pt, nil
}
