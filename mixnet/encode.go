package mixnet

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// Version labels at the start of the binary encodings (e2e/SPEC.md §14.3).
const (
	ListTag  = "TML1" // a list of sequences
	ProofTag = "TMP1" // a shuffle proof
)

// headerSize is tag || u32be(N) || u32be(w).
const headerSize = 4 + 4 + 4

// ListSize returns the size of the encoding of n sequences of width w.
func ListSize(n, w int) int { return headerSize + n*w*elgamal.CiphertextSize }

// ProofSize returns the size of the encoding of a proof for n sequences of
// width w: 12 + 32·(5n + 3w + 6) bytes.
func ProofSize(n, w int) int {
	return headerSize + group.PointSize*(3*n+3+2*w) + group.ScalarSize*(2*n+3+w)
}

func appendHeader(dst []byte, tag string, n, w int) []byte {
	dst = append(dst, tag...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	return binary.BigEndian.AppendUint32(dst, uint32(w))
}

func appendCiphertexts(dst []byte, l []Sequence) []byte {
	for _, s := range l {
		for _, c := range s {
			b := c.Bytes()
			dst = append(dst, b[:]...)
		}
	}
	return dst
}

// appendPoints appends the encodings of ps. Encoding a computed point costs
// an inverse square root (the prover's commitments and chain have no
// encoding yet), so the work is split over the cores.
func appendPoints(dst []byte, ps []*group.Point) []byte {
	o := len(dst)
	dst = slices.Grow(dst, len(ps)*group.PointSize)[:o+len(ps)*group.PointSize]
	parallel(len(ps), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			b := ps[i].Bytes()
			copy(dst[o+i*group.PointSize:], b[:])
		}
	})
	return dst
}

func appendScalars(dst []byte, ss []*group.Scalar) []byte {
	for _, s := range ss {
		b := s.Bytes()
		dst = append(dst, b[:]...)
	}
	return dst
}

// EncodeList returns the binary encoding of a list of sequences
// (e2e/SPEC.md §14.3). It returns an error wrapping ErrMalformed for a
// list Verify would refuse.
func EncodeList(l []Sequence) ([]byte, error) {
	w, err := checkList("", l)
	if err != nil {
		return nil, err
	}
	b := appendHeader(make([]byte, 0, ListSize(len(l), w)), ListTag, len(l), w)
	// Encoding a computed point costs an inverse square root: split the
	// work over the cores, each writing its own part of b.
	b = b[:ListSize(len(l), w)]
	parallel(len(l), func(lo, hi int) {
		appendCiphertexts(b[headerSize+lo*w*elgamal.CiphertextSize:headerSize+lo*w*elgamal.CiphertextSize], l[lo:hi])
	})
	return b, nil
}

// readHeader checks the tag and the counts and returns N and w.
func readHeader(b []byte, tag, what string) (int, int, error) {
	if len(b) < headerSize || string(b[:4]) != tag {
		return 0, 0, fmt.Errorf("%w: %s: missing %q header", ErrMalformed, what, tag)
	}
	n64, w64 := binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:])
	if n64 == 0 || n64 > MaxSequences || w64 == 0 || w64 > MaxWidth || uint64(n64)*uint64(w64) > MaxCiphertexts {
		return 0, 0, fmt.Errorf("%w: %s: %d sequences of width %d, want 1..%d of width 1..%d and at most %d ciphertexts",
			ErrMalformed, what, n64, w64, MaxSequences, MaxWidth, MaxCiphertexts)
	}
	return int(n64), int(w64), nil
}

// decodeElements decodes len(dst) canonical non-identity points from b in
// parallel, reporting the first bad index.
func decodeElements(dst []*group.Point, b []byte) error {
	var bad atomic.Int64
	bad.Store(-1)
	parallel(len(dst), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			p, err := group.DecodeElement(b[i*group.PointSize : (i+1)*group.PointSize])
			if err != nil {
				bad.CompareAndSwap(-1, int64(i))
				return
			}
			dst[i] = p
		}
	})
	if i := bad.Load(); i >= 0 {
		_, err := group.DecodeElement(b[i*group.PointSize : (i+1)*group.PointSize])
		return fmt.Errorf("point %d: %w", i, err)
	}
	return nil
}

func decodeScalars(dst []*group.Scalar, b []byte) error {
	for i := range dst {
		s, err := group.DecodeScalar(b[i*group.ScalarSize : (i+1)*group.ScalarSize])
		if err != nil {
			return fmt.Errorf("scalar %d: %w", i, err)
		}
		dst[i] = s
	}
	return nil
}

// DecodeList decodes a list of sequences strictly: the header, exactly
// ListSize(N, w) bytes, every point canonical and not the identity.
func DecodeList(b []byte) ([]Sequence, error) {
	n, w, err := readHeader(b, ListTag, "list")
	if err != nil {
		return nil, err
	}
	if len(b) != ListSize(n, w) {
		return nil, fmt.Errorf("%w: list of %d×%d is %d bytes, want %d", ErrMalformed, n, w, len(b), ListSize(n, w))
	}
	pts := make([]*group.Point, 2*n*w)
	if err := decodeElements(pts, b[headerSize:]); err != nil {
		return nil, fmt.Errorf("%w: list: %w", ErrMalformed, err)
	}
	l := make([]Sequence, n)
	for i := range l {
		l[i] = make(Sequence, w)
		for k := range w {
			o := 2 * (i*w + k)
			l[i][k] = elgamal.Ciphertext{A: pts[o], B: pts[o+1]}
		}
	}
	return l, nil
}

// Bytes returns the binary encoding of p (e2e/SPEC.md §14.3).
// It returns an error wrapping ErrMalformed if p's slices do not agree in
// length or hold nil or identity points.
func (p *Proof) Bytes() ([]byte, error) {
	if p == nil {
		return nil, fmt.Errorf("%w: proof is nil", ErrMalformed)
	}
	n, w := len(p.Commitments), len(p.T4)
	if n == 0 || n > MaxSequences || w == 0 || w > MaxWidth || n*w > MaxCiphertexts {
		return nil, fmt.Errorf("%w: proof for %d sequences of width %d", ErrMalformed, n, w)
	}
	if err := checkProof(p, n, w); err != nil {
		return nil, err
	}
	b := appendHeader(make([]byte, 0, ProofSize(n, w)), ProofTag, n, w)
	b = appendPoints(b, p.Commitments)
	b = appendPoints(b, p.Chain)
	b = appendPoints(b, p.TChain)
	b = appendPoints(b, []*group.Point{p.T1, p.T2, p.T3})
	for _, c := range p.T4 {
		b = appendPoints(b, []*group.Point{c.A, c.B})
	}
	b = appendScalars(b, []*group.Scalar{p.S1, p.S2, p.S3})
	b = appendScalars(b, p.S4)
	b = appendScalars(b, p.SChain)
	return appendScalars(b, p.SPerm), nil
}

// DecodeProof decodes a proof strictly: the header, exactly ProofSize(N, w)
// bytes, points canonical and not the identity, scalars reduced. Whether N
// and w match the lists is checked by Verify.
func DecodeProof(b []byte) (*Proof, error) {
	n, w, err := readHeader(b, ProofTag, "proof")
	if err != nil {
		return nil, err
	}
	if len(b) != ProofSize(n, w) {
		return nil, fmt.Errorf("%w: proof for %d×%d is %d bytes, want %d", ErrMalformed, n, w, len(b), ProofSize(n, w))
	}
	b = b[headerSize:]
	pts := make([]*group.Point, 3*n+3+2*w)
	if err := decodeElements(pts, b); err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrMalformed, err)
	}
	scs := make([]*group.Scalar, 2*n+3+w)
	if err := decodeScalars(scs, b[len(pts)*group.PointSize:]); err != nil {
		return nil, fmt.Errorf("%w: proof: %w", ErrMalformed, err)
	}
	p := &Proof{
		Commitments: pts[:n:n],
		Chain:       pts[n : 2*n : 2*n],
		TChain:      pts[2*n : 3*n : 3*n],
		T1:          pts[3*n], T2: pts[3*n+1], T3: pts[3*n+2],
		T4: make([]elgamal.Ciphertext, w),
		S1: scs[0], S2: scs[1], S3: scs[2],
		S4:     scs[3 : 3+w : 3+w],
		SChain: scs[3+w : 3+w+n : 3+w+n],
		SPerm:  scs[3+w+n:],
	}
	for k := range w {
		p.T4[k] = elgamal.Ciphertext{A: pts[3*n+3+2*k], B: pts[3*n+4+2*k]}
	}
	return p, nil
}
