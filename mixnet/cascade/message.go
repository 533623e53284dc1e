package cascade

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/mixnet"
)

// Board entry types of the cascade (e2e/SPEC.md §16.1).
const (
	TypeMix    = "mix.shuffle" // a trustee's shuffle of one contest's latest list
	TypeShare  = "mix.share"   // a trustee's decryption shares of a contest's final list
	TypeResult = "mix.result"  // the board's decryption and count of a contest's final list
)

// Version labels: the first four bytes of the binary payloads.
const (
	MixTag   = "TMX1"
	ShareTag = "TMD1"
)

// Limits.
const (
	// MaxPayload is the largest board payload (bulletin.MaxPayloadSize).
	MaxPayload = 4 << 20
	// MaxIDLength bounds the election id and the contest id (bytes), as
	// bulletin.MaxElectionIDLen and ballot.MaxIDLength.
	MaxIDLength = 64
	// MaxTrustee is the largest trustee index (ceremony.MaxTrustees).
	MaxTrustee = 64
	// shareItem is the size of one decryption share: D || DLEQ proof.
	shareItem = group.PointSize + zk.DLEQSize
)

// Errors; every decoding and checking error wraps one of them.
var (
	// ErrMalformed: a payload does not decode strictly.
	ErrMalformed = errors.New("cascade: malformed")
	// ErrBadShare: a decryption share message does not check.
	ErrBadShare = errors.New("cascade: invalid decryption share")
)

// ListHash names a list of sequences of one contest of one election
// (e2e/SPEC.md §16.1):
//
//	SHA-256( field("tabella","v1") || field("purpose","mix-list")
//	      || field("election", election_id) || field("contest", contest)
//	      || field("list", list) )
//
// with list the list's binary encoding (mixnet.EncodeList).
func ListHash(election, contest string, list []byte) [32]byte {
	h := sha256.New()
	var b []byte
	b = field(b, "tabella", []byte("v1"))
	b = field(b, "purpose", []byte("mix-list"))
	b = field(b, "election", []byte(election))
	b = field(b, "contest", []byte(contest))
	b = binary.BigEndian.AppendUint32(b, uint32(len("list")))
	b = append(b, "list"...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(list)))
	h.Write(b)
	h.Write(list)
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

// A Mix is the payload of a [TypeMix] entry (e2e/SPEC.md §16.1): trustee
// Mixer shuffled the list of contest Contest whose [ListHash] is Input into
// Output, with Proof. Output and Proof are kept as their exact encodings
// (OutputBytes, ProofBytes) besides the decoded values.
type Mix struct {
	Election string
	Contest  string
	Mixer    int
	Input    [32]byte
	Output   []mixnet.Sequence
	Proof    *mixnet.Proof

	OutputBytes []byte
	ProofBytes  []byte
}

// NewMix builds the message of a shuffle, encoding its output and proof.
func NewMix(election, contest string, mixer int, input [32]byte, out []mixnet.Sequence, proof *mixnet.Proof) (*Mix, error) {
	ob, err := mixnet.EncodeList(out)
	if err != nil {
		return nil, err
	}
	pb, err := proof.Bytes()
	if err != nil {
		return nil, err
	}
	m := &Mix{Election: election, Contest: contest, Mixer: mixer, Input: input, Output: out, Proof: proof, OutputBytes: ob, ProofBytes: pb}
	if err := checkHead(m.Election, m.Contest, m.Mixer); err != nil {
		return nil, err
	}
	if n := mixSize(m); n > MaxPayload {
		return nil, fmt.Errorf("%w: mix of contest %q is %d bytes, over the payload limit %d", ErrMalformed, contest, n, MaxPayload)
	}
	return m, nil
}

func mixSize(m *Mix) int {
	return 4 + 1 + len(m.Election) + 1 + len(m.Contest) + 4 + 32 + len(m.OutputBytes) + len(m.ProofBytes)
}

func checkHead(election, contest string, trustee int) error {
	switch {
	case len(election) == 0 || len(election) > MaxIDLength:
		return fmt.Errorf("%w: election id of %d bytes, want 1..%d", ErrMalformed, len(election), MaxIDLength)
	case len(contest) == 0 || len(contest) > MaxIDLength:
		return fmt.Errorf("%w: contest id of %d bytes, want 1..%d", ErrMalformed, len(contest), MaxIDLength)
	case trustee < 1 || trustee > MaxTrustee:
		return fmt.Errorf("%w: trustee index %d, want 1..%d", ErrMalformed, trustee, MaxTrustee)
	}
	return nil
}

func appendHead(b []byte, tag, election, contest string, trustee int, h [32]byte) []byte {
	b = append(b, tag...)
	b = append(b, byte(len(election)))
	b = append(b, election...)
	b = append(b, byte(len(contest)))
	b = append(b, contest...)
	b = binary.BigEndian.AppendUint32(b, uint32(trustee))
	return append(b, h[:]...)
}

// Marshal returns the payload:
//
//	"TMX1" || u8(len(election)) || election || u8(len(contest)) || contest
//	       || u32be(mixer) || input (32) || output list || proof
//
// with the list and proof in mixnet's encodings, whose headers give their
// sizes.
func (m *Mix) Marshal() []byte {
	b := make([]byte, 0, mixSize(m))
	b = appendHead(b, MixTag, m.Election, m.Contest, m.Mixer, m.Input)
	b = append(b, m.OutputBytes...)
	return append(b, m.ProofBytes...)
}

// reader reads a payload's head.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated at the %s", ErrMalformed, what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) id(what string) string {
	n := r.take(1, what+" length")
	if r.err != nil {
		return ""
	}
	return string(r.take(int(n[0]), what))
}

// readHead reads tag, election, contest, trustee and hash.
func readHead(b []byte, tag string) (election, contest string, trustee int, h [32]byte, rest []byte, err error) {
	r := &reader{b: b}
	if t := r.take(4, "version label"); r.err == nil && string(t) != tag {
		return "", "", 0, h, nil, fmt.Errorf("%w: version label %q, want %q", ErrMalformed, t, tag)
	}
	election = r.id("election id")
	contest = r.id("contest id")
	tb := r.take(4, "trustee index")
	hb := r.take(32, "list hash")
	if r.err != nil {
		return "", "", 0, h, nil, r.err
	}
	t := binary.BigEndian.Uint32(tb)
	if t > MaxTrustee {
		return "", "", 0, h, nil, fmt.Errorf("%w: trustee index %d, want 1..%d", ErrMalformed, t, MaxTrustee)
	}
	if err := checkHead(election, contest, int(t)); err != nil {
		return "", "", 0, h, nil, err
	}
	return election, contest, int(t), [32]byte(hb), r.b, nil
}

// listLen returns the size of the mixnet encoding that starts b (tag and
// counts from its header), or an error.
func listLen(b []byte, tag string, size func(n, w int) int) (int, error) {
	if len(b) < 12 || string(b[:4]) != tag {
		return 0, fmt.Errorf("%w: missing %q header", ErrMalformed, tag)
	}
	n, w := binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
	if n == 0 || n > mixnet.MaxSequences || w == 0 || w > mixnet.MaxWidth || uint64(n)*uint64(w) > mixnet.MaxCiphertexts {
		return 0, fmt.Errorf("%w: %q header: %d sequences of width %d", ErrMalformed, tag, n, w)
	}
	return size(int(n), int(w)), nil
}

// DecodeMix decodes a [TypeMix] payload strictly: the version label, ids of
// 1..64 bytes, a mixer index in 1..64, the output list and the proof in
// mixnet's strict encodings (canonical non-identity points, reduced
// scalars), proof sized for the list, no byte left over, at most
// [MaxPayload] bytes. It does not verify the proof.
func DecodeMix(b []byte) (*Mix, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("%w: mix of %d bytes, over %d", ErrMalformed, len(b), MaxPayload)
	}
	election, contest, mixer, in, rest, err := readHead(b, MixTag)
	if err != nil {
		return nil, fmt.Errorf("mix: %w", err)
	}
	ln, err := listLen(rest, mixnet.ListTag, mixnet.ListSize)
	if err != nil {
		return nil, fmt.Errorf("%w: mix: output list: %w", ErrMalformed, err)
	}
	if len(rest) < ln {
		return nil, fmt.Errorf("%w: mix: output list truncated", ErrMalformed)
	}
	lb, pbytes := rest[:ln:ln], rest[ln:]
	pn, err := listLen(pbytes, mixnet.ProofTag, mixnet.ProofSize)
	if err != nil {
		return nil, fmt.Errorf("%w: mix: proof: %w", ErrMalformed, err)
	}
	if len(pbytes) != pn {
		return nil, fmt.Errorf("%w: mix: proof is %d bytes, its header says %d", ErrMalformed, len(pbytes), pn)
	}
	if !bytes.Equal(lb[4:12], pbytes[4:12]) {
		return nil, fmt.Errorf("%w: mix: the proof is not sized for the output list", ErrMalformed)
	}
	out, err := mixnet.DecodeList(lb)
	if err != nil {
		return nil, fmt.Errorf("%w: mix: output list: %w", ErrMalformed, err)
	}
	p, err := mixnet.DecodeProof(pbytes)
	if err != nil {
		return nil, fmt.Errorf("%w: mix: proof: %w", ErrMalformed, err)
	}
	return &Mix{Election: election, Contest: contest, Mixer: mixer, Input: in, Output: out, Proof: p,
		OutputBytes: bytes.Clone(lb), ProofBytes: bytes.Clone(pbytes)}, nil
}

// PeekMix returns the contest and mixer a [TypeMix] payload names, reading
// only its head (for routing before the full decode).
func PeekMix(b []byte) (contest string, mixer int, err error) {
	_, contest, mixer, _, _, err = readHead(b, MixTag)
	return contest, mixer, err
}

// A Shares is the payload of a [TypeShare] entry (e2e/SPEC.md §16.4):
// trustee Trustee's decryption shares of every ciphertext of the final list
// of contest Contest, whose [ListHash] is List, in list order (sequence by
// sequence, column by column).
type Shares struct {
	Election string
	Contest  string
	Trustee  int
	List     [32]byte
	N, W     int // sequences and width of the list
	Shares   []Share
}

// A Share is D = s·A for one ciphertext (A, B) with a DLEQ proof that
// log_G V = log_A D, V the trustee's verification key.
type Share struct {
	D     *group.Point
	Proof *zk.DLEQ
}

// MaxShares is the most ciphertexts one [Shares] message can cover within
// [MaxPayload].
const MaxShares = (MaxPayload - 4 - 2 - 2*MaxIDLength - 4 - 32 - 8) / shareItem

func sharesSize(election, contest string, k int) int {
	return 4 + 1 + len(election) + 1 + len(contest) + 4 + 32 + 8 + k*shareItem
}

// Marshal returns the payload:
//
//	"TMD1" || u8(len(election)) || election || u8(len(contest)) || contest
//	       || u32be(trustee) || list hash (32) || u32be(N) || u32be(w)
//	       || N·w × ( D (32) || DLEQ A1 (32) || A2 (32) || z (32) )
func (m *Shares) Marshal() []byte {
	b := make([]byte, 0, sharesSize(m.Election, m.Contest, len(m.Shares)))
	b = appendHead(b, ShareTag, m.Election, m.Contest, m.Trustee, m.List)
	b = binary.BigEndian.AppendUint32(b, uint32(m.N))
	b = binary.BigEndian.AppendUint32(b, uint32(m.W))
	for _, s := range m.Shares {
		d := s.D.Bytes()
		p := s.Proof.Bytes()
		b = append(b, d[:]...)
		b = append(b, p[:]...)
	}
	return b
}

// DecodeShares decodes a [TypeShare] payload strictly: the version label,
// ids, a trustee index in 1..64, N ≥ 1 and 1 ≤ w ≤ mixnet.MaxWidth with
// N·w ≤ [MaxShares], exactly N·w shares, every D and proof commitment a
// canonical non-identity point, every response reduced, nothing left
// over. It does not verify the proofs.
func DecodeShares(b []byte) (*Shares, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("%w: decryption shares of %d bytes, over %d", ErrMalformed, len(b), MaxPayload)
	}
	election, contest, t, list, rest, err := readHead(b, ShareTag)
	if err != nil {
		return nil, fmt.Errorf("decryption shares: %w", err)
	}
	if len(rest) < 8 {
		return nil, fmt.Errorf("%w: decryption shares: truncated at the list shape", ErrMalformed)
	}
	n, w := binary.BigEndian.Uint32(rest), binary.BigEndian.Uint32(rest[4:])
	rest = rest[8:]
	if n == 0 || w == 0 || w > mixnet.MaxWidth || uint64(n)*uint64(w) > MaxShares {
		return nil, fmt.Errorf("%w: decryption shares for %d sequences of width %d, want N ≥ 1, w in 1..%d, N·w ≤ %d", ErrMalformed, n, w, mixnet.MaxWidth, MaxShares)
	}
	k := int(n) * int(w)
	if len(rest) != k*shareItem {
		return nil, fmt.Errorf("%w: decryption shares: %d bytes for %d shares, want %d", ErrMalformed, len(rest), k, k*shareItem)
	}
	m := &Shares{Election: election, Contest: contest, Trustee: t, List: list, N: int(n), W: int(w), Shares: make([]Share, k)}
	for i := range m.Shares {
		item := rest[i*shareItem : (i+1)*shareItem]
		D, err := group.DecodeElement(item[:group.PointSize])
		if err != nil {
			return nil, fmt.Errorf("%w: decryption share %d: %w", ErrMalformed, i, err)
		}
		p, err := zk.DecodeDLEQ(item[group.PointSize:])
		if err != nil {
			return nil, fmt.Errorf("%w: decryption share %d: %w", ErrMalformed, i, err)
		}
		m.Shares[i] = Share{D: D, Proof: p}
	}
	return m, nil
}

// PeekShares returns the contest and trustee a [TypeShare] payload names.
func PeekShares(b []byte) (contest string, trustee int, err error) {
	_, contest, trustee, _, _, err = readHead(b, ShareTag)
	return contest, trustee, err
}

// flatten returns the ciphertexts of a list in list order.
func flatten(l []mixnet.Sequence) []elgamal.Ciphertext {
	var out []elgamal.Ciphertext
	for _, s := range l {
		out = append(out, s...)
	}
	return out
}
