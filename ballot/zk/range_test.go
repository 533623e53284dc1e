package zk

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

type rangeCase struct {
	pk     *group.Point
	ct     elgamal.Ciphertext
	m      uint64
	r      *group.Scalar
	lo, hi uint64
	tr     *Transcript
}

func newRangeCase(pk *group.Point, m, lo, hi uint64, who string) rangeCase {
	r := group.RandomScalar()
	return rangeCase{pk, elgamal.EncryptUint(pk, m, r), m, r, lo, hi, ctx(1, who)}
}

func (c rangeCase) prove(t *testing.T) *Range {
	t.Helper()
	p, err := ProveRange(c.tr, c.pk, c.ct, c.m, c.r, c.lo, c.hi)
	if err != nil {
		t.Fatalf("ProveRange(%d in [%d,%d]): %v", c.m, c.lo, c.hi, err)
	}
	return p
}

func TestRangeValid(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	for _, tc := range []struct{ m, lo, hi uint64 }{
		{0, 0, 1}, {1, 0, 1}, {0, 0, 0}, {1, 1, 1}, {3, 0, 5}, {5, 0, 5}, {2, 2, 7}, {7, 2, 7}, {4, 2, 7},
	} {
		c := newRangeCase(pk, tc.m, tc.lo, tc.hi, "alice")
		p := c.prove(t)
		if err := p.Verify(c.tr, pk, c.ct, c.lo, c.hi); err != nil {
			t.Errorf("%d in [%d,%d]: valid proof rejected: %v", tc.m, tc.lo, tc.hi, err)
		}
		b := NewBatch()
		if err := p.AddToBatch(b, c.tr, pk, c.ct, c.lo, c.hi); err != nil || !b.Verify() {
			t.Errorf("%d in [%d,%d]: batch rejected valid proof: %v", tc.m, tc.lo, tc.hi, err)
		}
		if b.Len() != 2*int(tc.hi-tc.lo+1) {
			t.Errorf("batch has %d equations, want %d", b.Len(), 2*(tc.hi-tc.lo+1))
		}
	}
}

func TestRangeProverRejectsOutOfRange(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	for _, tc := range []struct{ m, lo, hi uint64 }{{2, 0, 1}, {0, 1, 3}, {9, 2, 7}} {
		c := newRangeCase(pk, tc.m, tc.lo, tc.hi, "alice")
		if _, err := ProveRange(c.tr, pk, c.ct, c.m, c.r, c.lo, c.hi); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d in [%d,%d]: err = %v, want ErrMalformed", tc.m, tc.lo, tc.hi, err)
		}
	}
	c := newRangeCase(pk, 0, 0, 1, "alice")
	if _, err := ProveRange(c.tr, pk, c.ct, 0, c.r, 1, 0); !errors.Is(err, ErrMalformed) {
		t.Errorf("empty range: err = %v", err)
	}
	if _, err := ProveRange(c.tr, pk, c.ct, 0, c.r, 0, MaxRangeWidth); err == nil || !strings.Contains(err.Error(), "MaxRangeWidth") {
		t.Errorf("too wide: err = %v, want a MaxRangeWidth error", err)
	}
	if _, err := ProveRange(c.tr, pk, c.ct, 0, c.r, 0, MaxRangeWidth-1); err != nil {
		t.Errorf("widest allowed range: %v", err)
	}
	if _, err := ProveRange(c.tr, pk, c.ct, 0, c.r, 1, ^uint64(0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("huge range: err = %v", err)
	}
	if _, err := ProveRange(c.tr, group.Identity(), c.ct, 0, c.r, 0, 1); !errors.Is(err, ErrMalformed) {
		t.Errorf("identity key: err = %v", err)
	}
}

// rejectBoth checks that Verify and a batch both reject p.
func rejectBoth(t *testing.T, name string, p *Range, tr *Transcript, pk *group.Point, ct elgamal.Ciphertext, lo, hi uint64) {
	t.Helper()
	if err := p.Verify(tr, pk, ct, lo, hi); !errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrMalformed) {
		t.Errorf("%s: Verify err = %v, want rejection", name, err)
	}
	b := NewBatch()
	if err := p.AddToBatch(b, tr, pk, ct, lo, hi); err == nil && b.Verify() {
		t.Errorf("%s: batch accepted", name)
	}
}

// A ciphertext of 2 with a forged 0/1 proof: the prover runs with the
// "real" branch set to 0 or 1 while the ciphertext holds 2, or with every
// branch simulated and the shares patched to sum to c.
func TestRangeForgedTwoInZeroOne(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	c := newRangeCase(pk, 2, 0, 1, "alice")
	for _, branch := range []uint64{0, 1, 5} {
		p := proveRange(c.tr, pk, c.ct, group.NewScalar(2), branch, c.r, 0, 1)
		rejectBoth(t, "two, real branch "+string(rune('0'+branch)), p, c.tr, pk, c.ct, 0, 1)
	}
	// Both simulated, then shares patched: the sum holds but an equation fails.
	p := proveRange(c.tr, pk, c.ct, group.NewScalar(2), 7, c.r, 0, 1)
	cc := rangeChallenge(rangeTranscript(c.tr, pk, c.ct, 0, 1), p.A, p.B)
	p.C[1] = cc.Sub(p.C[0])
	if err := p.Verify(c.tr, pk, c.ct, 0, 1); !errors.Is(err, ErrInvalidProof) || !strings.Contains(err.Error(), "branch 1") {
		t.Errorf("patched shares: err = %v, want ErrInvalidProof naming branch 1", err)
	}
	rejectBoth(t, "patched shares", p, c.tr, pk, c.ct, 0, 1)
}

// A negative vote: the ciphertext holds −1 = ℓ − 1.
func TestRangeNegativeVote(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	r := group.RandomScalar()
	minus1 := group.NewScalarInt(-1)
	ct := elgamal.Encrypt(pk, minus1, r)
	tr := ctx(1, "alice")
	for _, branch := range []uint64{0, 1} {
		p := proveRange(tr, pk, ct, minus1, branch, r, 0, 1)
		rejectBoth(t, "minus one", p, tr, pk, ct, 0, 1)
	}
	// A contest sum that is −1 (e.g. +1 and −2 selections) cannot pass as 0..1 either.
	p := proveRange(tr, pk, ct, minus1, 0, r, 0, 3)
	rejectBoth(t, "minus one in 0..3", p, tr, pk, ct, 0, 3)
}

// An over-vote: two selections of 1 in a one-of-n contest sum to 2, and the
// sum proof for [1, 1] cannot be made.
func TestRangeOverVoteSum(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	r1, r2 := group.RandomScalar(), group.RandomScalar()
	sum := elgamal.EncryptUint(pk, 1, r1).Add(elgamal.EncryptUint(pk, 1, r2))
	rs := r1.Add(r2)
	tr := ctx(1, "alice")
	if _, err := ProveRange(tr, pk, sum, 2, rs, 1, 1); err == nil {
		t.Fatal("ProveRange proved 2 in [1,1]")
	}
	p := proveRange(tr, pk, sum, group.NewScalar(2), 1, rs, 1, 1)
	rejectBoth(t, "over-vote", p, tr, pk, sum, 1, 1)
	// The honest sum proof works.
	ok, err := ProveRange(tr, pk, sum, 2, rs, 0, 2)
	if err != nil || ok.Verify(tr, pk, sum, 0, 2) != nil {
		t.Fatalf("honest sum proof: %v", err)
	}
}

func TestRangeTransplant(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	c := newRangeCase(pk, 1, 0, 1, "alice")
	p := c.prove(t)
	other := newRangeCase(pk, 1, 0, 1, "alice")
	_, pk2 := elgamal.GenerateKey()
	rejectBoth(t, "other ciphertext", p, c.tr, pk, other.ct, 0, 1)
	rejectBoth(t, "other credential (ballot copying)", p, ctx(1, "bob"), pk, c.ct, 0, 1)
	rejectBoth(t, "other election (replay)", p, ctx(2, "alice"), pk, c.ct, 0, 1)
	rejectBoth(t, "other key", p, c.tr, pk2, c.ct, 0, 1)
	rejectBoth(t, "other range", p, c.tr, pk, c.ct, 1, 2)
	// Same length, different protocol tag.
	rejectBoth(t, "other protocol", p, NewTranscript("tabella/other", base(1)), pk, c.ct, 0, 1)
	// Swapped ciphertext components.
	rejectBoth(t, "swapped ct", p, c.tr, pk, elgamal.Ciphertext{A: c.ct.B, B: c.ct.A}, 0, 1)
}

func TestRangeMutations(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	c := newRangeCase(pk, 1, 0, 2, "alice")
	p := c.prove(t)
	one := group.NewScalar(1)
	clone := func() *Range {
		return &Range{A: append([]*group.Point{}, p.A...), B: append([]*group.Point{}, p.B...),
			C: append([]*group.Scalar{}, p.C...), Z: append([]*group.Scalar{}, p.Z...)}
	}
	for k := range 3 {
		q := clone()
		q.Z[k] = q.Z[k].Add(one)
		rejectBoth(t, "z+1", q, c.tr, pk, c.ct, 0, 2)
		q = clone()
		q.C[k] = q.C[k].Add(one)
		rejectBoth(t, "c+1", q, c.tr, pk, c.ct, 0, 2)
		q = clone()
		q.A[k] = q.A[k].Add(generator)
		rejectBoth(t, "a+G", q, c.tr, pk, c.ct, 0, 2)
		q = clone()
		q.B[k] = q.B[k].Add(generator)
		rejectBoth(t, "b+G", q, c.tr, pk, c.ct, 0, 2)
		// Moving challenge weight between branches keeps the sum but breaks equations.
		q = clone()
		q.C[k] = q.C[k].Add(one)
		q.C[(k+1)%3] = q.C[(k+1)%3].Sub(one)
		rejectBoth(t, "shifted c", q, c.tr, pk, c.ct, 0, 2)
	}
	// Shapes.
	q := clone()
	q.Z = q.Z[:2]
	if err := q.Verify(c.tr, pk, c.ct, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("short z: err = %v", err)
	}
	q = clone()
	q.A[1] = group.Identity()
	if err := q.Verify(c.tr, pk, c.ct, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("identity a: err = %v", err)
	}
	q = clone()
	q.C[2] = nil
	if err := q.AddToBatch(NewBatch(), c.tr, pk, c.ct, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil c: err = %v", err)
	}
	if err := p.Verify(c.tr, group.Identity(), c.ct, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("identity public key: err = %v", err)
	}
	if err := p.Verify(c.tr, pk, elgamal.Ciphertext{A: c.ct.A}, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil ct.b: err = %v", err)
	}
	if err := (*Range)(nil).Verify(c.tr, pk, c.ct, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil proof: err = %v", err)
	}
}

// Weak Fiat-Shamir: if the challenge omitted the public key and ciphertext,
// whoever picks the key after the commitments could "prove" that an
// encryption of 2 lies in {0, 1}. The forgery below satisfies every
// verification equation under the weak challenge; Verify must reject it.
func TestRangeWeakFiatShamirRejected(t *testing.T) {
	tr := ctx(1, "alice")
	r := group.RandomScalar()
	u0, u1 := group.RandomNonZeroScalar(), group.RandomNonZeroScalar()
	beta0, beta1 := group.RandomScalar(), group.RandomScalar()
	a := []*group.Point{group.BaseMul(u0), group.BaseMul(u1)}
	b := []*group.Point{group.BaseMul(beta0), group.BaseMul(beta1)}
	weak := tr.Clone()
	weak.Bytes("proof", []byte(labelRange))
	weak.Uint64("lo", 0)
	weak.Uint64("hi", 1)
	c := rangeChallenge(weak, a, b)
	// Solve β1 = u1·α − (c − c0) and β0 = u0·α − 2·c0 for the key's log α
	// and the share c0.
	half := group.NewScalar(2).Inv()
	alpha := beta1.Add(c).Add(beta0.Mul(half)).Mul(u1.Add(u0.Mul(half)).Inv())
	c0 := u0.Mul(alpha).Sub(beta0).Mul(half)
	c1 := c.Sub(c0)
	pk := group.BaseMul(alpha)
	ct := elgamal.EncryptUint(pk, 2, r)
	p := &Range{A: a, B: b, C: []*group.Scalar{c0, c1}, Z: []*group.Scalar{u0.Add(c0.Mul(r)), u1.Add(c1.Mul(r))}}
	// Sanity: the forgery satisfies the equations of a weak verifier.
	for k := range 2 {
		j := group.NewScalar(uint64(k))
		if !group.BaseMul(p.Z[k]).Equal(p.A[k].Add(ct.A.Mul(p.C[k]))) ||
			!pk.Mul(p.Z[k]).Equal(p.B[k].Add(ct.B.Sub(group.BaseMul(j)).Mul(p.C[k]))) {
			t.Fatalf("test setup: forged branch %d does not satisfy the weak equations", k)
		}
	}
	rejectBoth(t, "weak Fiat-Shamir forgery", p, tr, pk, ct, 0, 1)
}

func TestRangeBatchNamesNothingButFails(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	var cases []rangeCase
	var proofs []*Range
	for i := range 30 {
		c := newRangeCase(pk, uint64(i%2), 0, 1, "voter")
		cases = append(cases, c)
		proofs = append(proofs, c.prove(t))
	}
	b := NewBatch()
	for i, c := range cases {
		if err := proofs[i].AddToBatch(b, c.tr, pk, c.ct, 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	if !b.Verify() {
		t.Fatal("batch of 30 valid range proofs rejected")
	}
	// Replace one ciphertext by an encryption of 2 with a forged proof.
	bad := newRangeCase(pk, 2, 0, 1, "voter")
	badProof := proveRange(bad.tr, pk, bad.ct, group.NewScalar(2), 1, bad.r, 0, 1)
	cc := rangeChallenge(rangeTranscript(bad.tr, pk, bad.ct, 0, 1), badProof.A, badProof.B)
	badProof.C[0] = cc.Sub(badProof.C[1]) // make the sum check pass
	b = NewBatch()
	for i, c := range cases {
		p, ct := proofs[i], c.ct
		if i == 17 {
			p, ct = badProof, bad.ct
		}
		if err := p.AddToBatch(b, c.tr, pk, ct, 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	if b.Verify() {
		t.Fatal("batch with a forged range proof verified")
	}
}

func TestRangeJSON(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	c := newRangeCase(pk, 1, 0, 1, "alice")
	p := c.prove(t)
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q Range
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&q)
	if string(again) != string(data) || q.Verify(c.tr, pk, c.ct, 0, 1) != nil {
		t.Fatal("JSON round trip changed the proof")
	}
	h := func(b [32]byte) string { return `"` + hex.EncodeToString(b[:]) + `"` }
	a0, a1, b0, b1 := h(p.A[0].Bytes()), h(p.A[1].Bytes()), h(p.B[0].Bytes()), h(p.B[1].Bytes())
	c0, c1, z0, z1 := h(p.C[0].Bytes()), h(p.C[1].Bytes()), h(p.Z[0].Bytes()), h(p.Z[1].Bytes())
	want := `{"a":[` + a0 + `,` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[` + c0 + `,` + c1 + `],"z":[` + z0 + `,` + z1 + `]}`
	if string(data) != want {
		t.Fatalf("JSON = %s\nwant %s", data, want)
	}
	id := `"` + strings.Repeat("0", 64) + `"`
	big := `"` + strings.Repeat("f", 64) + `"`
	bad := map[string]string{
		"unknown field":   strings.TrimSuffix(want, "}") + `,"x":[]}`,
		"missing z":       `{"a":[` + a0 + `,` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[` + c0 + `,` + c1 + `]}`,
		"short b":         `{"a":[` + a0 + `,` + a1 + `],"b":[` + b0 + `],"c":[` + c0 + `,` + c1 + `],"z":[` + z0 + `,` + z1 + `]}`,
		"empty":           `{"a":[],"b":[],"c":[],"z":[]}`,
		"null arrays":     `{"a":null,"b":null,"c":null,"z":null}`,
		"null entry":      `{"a":[null,` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[` + c0 + `,` + c1 + `],"z":[` + z0 + `,` + z1 + `]}`,
		"null scalar":     `{"a":[` + a0 + `,` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[null,` + c1 + `],"z":[` + z0 + `,` + z1 + `]}`,
		"identity a":      `{"a":[` + id + `,` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[` + c0 + `,` + c1 + `],"z":[` + z0 + `,` + z1 + `]}`,
		"unreduced z":     `{"a":[` + a0 + `,` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[` + c0 + `,` + c1 + `],"z":[` + z0 + `,` + big + `]}`,
		"non-canonical a": `{"a":["00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",` + a1 + `],"b":[` + b0 + `,` + b1 + `],"c":[` + c0 + `,` + c1 + `],"z":[` + z0 + `,` + z1 + `]}`,
		"uppercase":       strings.Replace(want, a0, strings.ToUpper(a0), 1),
		"whitespace":      strings.Replace(want, ",", ", ", 1),
		"trailing":        want + "\n",
		"null":            `null`,
		"too large":       `{"a":[` + strings.Repeat(a0+",", maxRangeJSON/67) + a0 + `]}`,
	}
	for name, in := range bad {
		var q Range
		if err := q.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	// A well-formed proof with the wrong number of branches for the range.
	if err := q.Verify(c.tr, pk, c.ct, 0, 2); !errors.Is(err, ErrMalformed) {
		t.Errorf("wrong width: err = %v", err)
	}
}

// A batch large enough for Pippenger's method and the parallel split
// (more than parallelThreshold terms) accepts valid proofs and rejects one
// bad proof among them.
func TestRangeLargeBatch(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	const n = 120
	cases := make([]rangeCase, n)
	proofs := make([]*Range, n)
	for i := range cases {
		cases[i] = newRangeCase(pk, uint64(i%3), 0, 2, "voter")
		proofs[i] = cases[i].prove(t)
	}
	run := func(bad int) bool {
		b := NewBatch()
		for i, c := range cases {
			p := proofs[i]
			if i == bad {
				p = &Range{A: p.A, B: p.B, C: p.C, Z: append([]*group.Scalar{}, p.Z...)}
				p.Z[2] = p.Z[2].Add(group.NewScalar(1))
			}
			if err := p.AddToBatch(b, c.tr, pk, c.ct, 0, 2); err != nil {
				t.Fatal(err)
			}
		}
		if b.Terms() <= parallelThreshold {
			t.Fatalf("batch has only %d terms", b.Terms())
		}
		return b.Verify()
	}
	if !run(-1) {
		t.Fatal("large batch of valid proofs rejected")
	}
	for _, bad := range []int{0, 77, n - 1} {
		if run(bad) {
			t.Errorf("large batch with bad proof %d accepted", bad)
		}
	}
}

// TestRangePairCommitments: ProveRange's two-branch path (one generator
// multiplication for both second terms, group.MulAddIf) gives exactly the
// commitments of the general formula, a_k = u_k·G and
// b_k = u_k·pk − c_k·(m − j_k)·G, with u_k = z_k − c_k·r recovered from the
// proof, for either value, with and without a table on the key.
func TestRangePairCommitments(t *testing.T) {
	_, pk := elgamal.GenerateKey()
	for _, key := range []*group.Point{pk, group.NewFixedBase(pk).Point()} {
		for _, lo := range []uint64{0, 3} {
			for _, m := range []uint64{lo, lo + 1} {
				c := newRangeCase(key, m, lo, lo+1, "pair")
				p := c.prove(t)
				if err := p.Verify(c.tr, key, c.ct, lo, lo+1); err != nil {
					t.Fatalf("m=%d in [%d,%d]: %v", m, lo, lo+1, err)
				}
				for k := range 2 {
					u := p.Z[k].Sub(p.C[k].Mul(c.r))
					d := group.NewScalar(m).Sub(group.NewScalar(lo + uint64(k)))
					if !p.A[k].Equal(group.BaseMul(u)) {
						t.Fatalf("m=%d branch %d: a ≠ u·G", m, k)
					}
					if !p.B[k].Equal(key.Mul(u).Sub(group.BaseMul(p.C[k].Mul(d)))) {
						t.Fatalf("m=%d branch %d: b ≠ u·pk − c·(m − j)·G", m, k)
					}
				}
			}
		}
	}
}
