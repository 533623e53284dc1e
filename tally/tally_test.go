package tally

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

var t0 = time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)

// keyed is the outcome of an in-memory ceremony.
type keyed struct {
	p      *ceremony.Params
	st     *ceremony.State
	ids    []*trustee.Identity
	shares map[int]*ceremony.KeyShare
	msgs   []ceremony.Posted // the ceremony's board
	end    time.Time
}

var ceremonies = map[[2]int]*keyed{}

func runCeremony(tb testing.TB, t, n int) *keyed {
	tb.Helper()
	if k, ok := ceremonies[[2]int{t, n}]; ok {
		return k
	}
	ids := make([]*trustee.Identity, n)
	pubs := make([]trustee.Public, n)
	for i := range ids {
		id, err := trustee.Generate(fmt.Sprintf("trustee %d", i+1))
		if err != nil {
			tb.Fatal(err)
		}
		ids[i], pubs[i] = id, *id.Public()
	}
	p, err := ceremony.NewParams("e-test", [32]byte{byte(t), byte(n)}, t, time.Minute, pubs)
	if err != nil {
		tb.Fatal(err)
	}
	clock := ceremony.NewFakeClock(t0)
	board := ceremony.NewMemBoard(clock)
	ts := make([]*ceremony.Trustee, n)
	for i := range ts {
		if ts[i], err = ceremony.NewTrustee(ids[i], p, t0); err != nil {
			tb.Fatal(err)
		}
	}
	k := &keyed{p: p, ids: ids, shares: map[int]*ceremony.KeyShare{}}
	for range 10 {
		for _, tr := range ts {
			if _, err := tr.Step(context.Background(), board); err != nil {
				tb.Fatal(err)
			}
		}
	}
	k.msgs, k.end = board.Messages(), clock.Now()
	k.st = ceremony.Replay(p, t0, k.msgs, k.end)
	if !k.st.Done() {
		tb.Fatalf("ceremony did not finish: round %d, %v", k.st.Round, k.st.Err)
	}
	for i, tr := range ts {
		if ks := tr.KeyShare(); ks != nil {
			k.shares[i+1] = ks
		}
	}
	if len(k.shares) != n {
		tb.Fatalf("%d key shares", len(k.shares))
	}
	ceremonies[[2]int{t, n}] = k
	return k
}

// election is a plaintext tally and its encryption.
type election struct {
	k      *keyed
	base   [32]byte
	agg    []elgamal.Ciphertext
	count  uint64
	counts []uint64
	limits []uint64
}

// newElection encrypts ballots ballots of width options with random 0/1
// values under the joint key and aggregates them.
func newElection(tb testing.TB, k *keyed, ballots, width int) *election {
	e := &election{k: k, base: [32]byte{9, byte(width)}, counts: make([]uint64, width), limits: make([]uint64, width)}
	for j := range e.limits {
		e.limits[j] = 1
	}
	vecs := make([][]elgamal.Ciphertext, ballots)
	for b := range vecs {
		v := make([]elgamal.Ciphertext, width)
		for j := range v {
			m := uint64((b*7 + j*3 + b*j) % 2)
			e.counts[j] += m
			v[j] = elgamal.EncryptUint(k.st.JointKey, m, group.RandomScalar())
		}
		vecs[b] = v
	}
	agg, n, err := Aggregate(context.Background(), width, 0, seq2(vecs), func(v []elgamal.Ciphertext) ([]elgamal.Ciphertext, error) { return v, nil })
	if err != nil {
		tb.Fatal(err)
	}
	e.agg, e.count = agg, n
	return e
}

func seq2[T any](xs []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, x := range xs {
			if !yield(x, nil) {
				return
			}
		}
	}
}

func (e *election) decryption() *Decryption {
	keys := map[int]*group.Point{}
	for i, V := range e.k.st.VerificationKeys {
		keys[i] = V
	}
	return &Decryption{Election: e.k.p.ElectionID, Base: e.base, Aggregate: e.agg, Count: e.count, Limits: e.limits, Threshold: e.k.p.Threshold, Trustees: e.k.p.Trustees, Keys: keys}
}

// post returns trustee i's signed share message as a board entry.
func (e *election) post(tb testing.TB, entry uint64, i int, m *ShareMessage) ceremony.Posted {
	payload := m.Marshal()
	return ceremony.Posted{Index: entry, Type: TypeDecryptionShare, Payload: payload, Signature: e.k.ids[i-1].Sign(e.k.p.ElectionID, TypeDecryptionShare, payload)}
}

func (e *election) shares(tb testing.TB, trustees ...int) []ceremony.Posted {
	var out []ceremony.Posted
	for n, i := range trustees {
		m, err := DecryptShares(e.base, e.k.shares[i], e.agg, e.count)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, e.post(tb, uint64(100+n), i, m))
	}
	return out
}

func TestDecryptAnyTSubset(t *testing.T) {
	for _, c := range []struct{ t, n int }{{1, 1}, {2, 3}, {3, 5}, {5, 9}} {
		t.Run(fmt.Sprintf("%d-of-%d", c.t, c.n), func(t *testing.T) {
			k := runCeremony(t, c.t, c.n)
			e := newElection(t, k, 20, 3)
			first, last := []int{}, []int{}
			for i := 1; i <= c.t; i++ {
				first = append(first, i)
				last = append(last, c.n-c.t+i)
			}
			for _, set := range [][]int{first, last} {
				pt, err := Combine(e.decryption(), e.shares(t, set...))
				if err != nil {
					t.Fatalf("trustees %v: %v", set, err)
				}
				if !slices.Equal(pt.Counts, e.counts) || !slices.Equal(pt.Trustees, set) || len(pt.Rejected) != 0 {
					t.Fatalf("trustees %v: counts %v want %v, used %v, rejected %v", set, pt.Counts, e.counts, pt.Trustees, pt.Rejected)
				}
			}
		})
	}
}

func TestTooFewShares(t *testing.T) {
	k := runCeremony(t, 3, 5)
	e := newElection(t, k, 5, 2)
	pt, err := Combine(e.decryption(), e.shares(t, 2, 4))
	if !errors.Is(err, ErrNotEnoughShares) || !strings.Contains(err.Error(), "2 valid of 3 needed") {
		t.Fatalf("t−1 shares: %v", err)
	}
	if pt == nil || slices.ContainsFunc(pt.Counts, func(c uint64) bool { return c != 0 }) {
		t.Fatal("counts returned without t shares")
	}
}

func rejected(pt *Plaintext, trustee int) error {
	for _, r := range pt.Rejected {
		if r.Trustee == trustee {
			return r.Err
		}
	}
	return nil
}

func TestBadSharesNamedAndIgnored(t *testing.T) {
	k := runCeremony(t, 3, 5)
	e := newElection(t, k, 10, 3)
	other := newElection(t, k, 11, 3) // another aggregate of the same election
	other.base = e.base

	bad := map[string]func() ceremony.Posted{
		"wrong proof": func() ceremony.Posted {
			m, _ := DecryptShares(e.base, k.shares[1], e.agg, e.count)
			m.Shares[1].Proof.Z = m.Shares[1].Proof.Z.Add(group.NewScalar(1))
			return e.post(t, 1, 1, m)
		},
		"wrong share, honest-looking proof": func() ceremony.Posted {
			m, _ := DecryptShares(e.base, k.shares[1], e.agg, e.count)
			m.Shares[2].D = m.Shares[2].D.Add(group.Generator())
			return e.post(t, 1, 1, m)
		},
		"proof for another aggregate": func() ceremony.Posted {
			m, _ := DecryptShares(other.base, k.shares[1], other.agg, other.count)
			return e.post(t, 1, 1, m)
		},
		"proofs for another position": func() ceremony.Posted {
			m, _ := DecryptShares(e.base, k.shares[1], e.agg, e.count)
			m.Shares[0], m.Shares[1] = m.Shares[1], m.Shares[0]
			return e.post(t, 1, 1, m)
		},
		"correct proof for another ciphertext": func() ceremony.Posted {
			// Valid proofs of the other aggregate, relabelled as proofs of
			// this one.
			m, _ := DecryptShares(other.base, k.shares[1], other.agg, other.count)
			m.Aggregate, m.Count = AggregateHash(e.agg, e.count), e.count
			return e.post(t, 1, 1, m)
		},
		"another trustee's shares": func() ceremony.Posted {
			m, _ := DecryptShares(e.base, k.shares[2], e.agg, e.count)
			m.Trustee = 1
			return e.post(t, 1, 1, m)
		},
		"another election": func() ceremony.Posted {
			m, _ := DecryptShares([32]byte{1}, k.shares[1], e.agg, e.count)
			return e.post(t, 1, 1, m)
		},
	}
	for name, f := range bad {
		t.Run(name, func(t *testing.T) {
			posted := append([]ceremony.Posted{f()}, e.shares(t, 3, 5)...)
			pt, err := Combine(e.decryption(), posted)
			if !errors.Is(err, ErrNotEnoughShares) {
				t.Fatalf("bad share counted: %v", err)
			}
			if rerr := rejected(pt, 1); !errors.Is(rerr, ErrBadShare) {
				t.Fatalf("trustee 1 not named: %v", pt.Rejected)
			} else {
				t.Logf("rejected: %v", rerr)
			}
			// With one more honest trustee the tally goes on without 1.
			pt, err = Combine(e.decryption(), append(posted, e.shares(t, 4)...))
			if err != nil || !slices.Equal(pt.Counts, e.counts) || slices.Contains(pt.Trustees, 1) {
				t.Fatalf("tally with a bad share: %v, %v", err, pt)
			}
		})
	}
}

func TestUnsignedAndDuplicateShares(t *testing.T) {
	k := runCeremony(t, 2, 3)
	e := newElection(t, k, 4, 2)
	s := e.shares(t, 1, 2, 3)
	forged := s[0]
	forged.Signature[0] ^= 1
	pt, err := Combine(e.decryption(), []ceremony.Posted{forged, s[0], s[0], s[1]})
	if err != nil || !slices.Equal(pt.Trustees, []int{1, 2}) {
		t.Fatalf("%v %v", err, pt)
	}
	if len(pt.Rejected) != 2 || pt.Rejected[0].Trustee != 0 || pt.Rejected[1].Trustee != 1 {
		t.Fatalf("rejections %v", pt.Rejected)
	}
	// Entries of other types are skipped.
	pt, err = Combine(e.decryption(), []ceremony.Posted{{Type: "ballot", Payload: []byte("x")}, s[2], s[1]})
	if err != nil || !slices.Equal(pt.Trustees, []int{3, 2}) || !slices.Equal(pt.Entries, []uint64{102, 101}) {
		t.Fatalf("%v %v", err, pt)
	}
}

func TestEmptyElection(t *testing.T) {
	k := runCeremony(t, 2, 3)
	d := &Decryption{Election: k.p.ElectionID, Base: [32]byte{1}, Aggregate: []elgamal.Ciphertext{elgamal.Zero(), elgamal.Zero()}, Count: 0, Limits: []uint64{1, 1}, Threshold: 2, Trustees: k.p.Trustees}
	pt, err := Combine(d, nil)
	if err != nil || !slices.Equal(pt.Counts, []uint64{0, 0}) {
		t.Fatalf("%v %v", err, pt)
	}
	if _, err := DecryptShares(d.Base, k.shares[1], d.Aggregate, 0); err == nil {
		t.Error("decrypted an empty aggregate")
	}
}

func TestCountOutOfRange(t *testing.T) {
	// An aggregate that claims fewer ballots than it holds decrypts to a
	// value above the bound: an error, not a wrong count.
	k := runCeremony(t, 2, 3)
	e := newElection(t, k, 6, 1)
	e.counts[0] = 0
	e.agg[0] = e.agg[0].Add(elgamal.EncryptUint(k.st.JointKey, 5, group.RandomScalar()))
	e.count = 2
	_, err := Combine(e.decryption(), e.shares(t, 1, 2))
	if !errors.Is(err, ErrCount) {
		t.Fatalf("got %v", err)
	}
}

func TestAggregate(t *testing.T) {
	// Parallel aggregation equals the sequential sum, for several worker
	// counts and a length that is not a multiple of the batch.
	K := group.BaseMul(group.RandomScalar())
	n := 2*aggregateBatch + 17
	vecs := make([][]elgamal.Ciphertext, n)
	want := []elgamal.Ciphertext{elgamal.Zero(), elgamal.Zero()}
	for i := range vecs {
		vecs[i] = []elgamal.Ciphertext{elgamal.EncryptUint(K, uint64(i%2), group.RandomScalar()), elgamal.EncryptUint(K, 1, group.RandomScalar())}
		want[0], want[1] = want[0].Add(vecs[i][0]), want[1].Add(vecs[i][1])
	}
	id := func(v []elgamal.Ciphertext) ([]elgamal.Ciphertext, error) { return v, nil }
	for _, w := range []int{1, 2, 5} {
		got, count, err := Aggregate(context.Background(), 2, w, seq2(vecs), id)
		if err != nil || count != uint64(n) || !got[0].Equal(want[0]) || !got[1].Equal(want[1]) {
			t.Fatalf("workers %d: %v, count %d", w, err, count)
		}
	}
	// Errors name the item.
	short := slices.Clone(vecs)
	short[700] = short[700][:1]
	if _, _, err := Aggregate(context.Background(), 2, 2, seq2(short), id); err == nil || !strings.Contains(err.Error(), "item 700") {
		t.Fatalf("short vector: %v", err)
	}
	boom := errors.New("boom")
	failing := func(yield func([]elgamal.Ciphertext, error) bool) {
		for i, v := range vecs {
			if i == 3 {
				yield(nil, boom)
				return
			}
			if !yield(v, nil) {
				return
			}
		}
	}
	if _, _, err := Aggregate(context.Background(), 2, 2, failing, id); !errors.Is(err, boom) || !strings.Contains(err.Error(), "item 3") {
		t.Fatalf("reader error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Aggregate(ctx, 2, 2, seq2(vecs), id); err == nil {
		t.Fatal("cancelled aggregation succeeded")
	}
}

func TestCountedBallots(t *testing.T) {
	opens, closes := t0, t0.Add(time.Hour)
	c := func(e uint64, min int, cred byte) Cast {
		return Cast{Entry: e, Time: t0.Add(time.Duration(min) * time.Minute), Credential: [32]byte{cred}}
	}
	casts := []Cast{
		c(1, -1, 1), // before opening
		c(2, 0, 1),  // at opening: counts unless replaced
		c(3, 5, 2),
		c(4, 10, 1), // replaces 2
		c(5, 59, 3),
		c(6, 60, 2), // at closing: too late, 3 stays
		c(7, 61, 4), // after closing
	}
	got := CountedBallots(slices.Values(casts), opens, closes)
	if !slices.Equal(got, []uint64{3, 4, 5}) {
		t.Fatalf("counted %v", got)
	}
}

func testManifest(t testing.TB) *ballot.Manifest {
	data, err := os.ReadFile("../ballot/testdata/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ballot.DecodeManifest(bytes.TrimSpace(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEndToEndWithBallots(t *testing.T) {
	k := runCeremony(t, 2, 3)
	m := testManifest(t)
	el, err := ballot.NewElection(m, k.st.JointKey, k.st.Hash)
	if err != nil {
		t.Fatal(err)
	}
	l := LayoutOf(m)
	choices := []ballot.Choices{
		{"mayor": {1, 0, 0}, "council": {1, 1, 0, 0}, "parks": {5, 3}},
		{"mayor": {0, 0, 1}, "council": {0, 1, 0, 0}, "parks": {2, 2}},
		{"mayor": {1, 0, 0}, "parks": {0, 4}},
	}
	var raw [][]byte
	for _, ch := range choices {
		b, _, err := ballot.Encrypt(el, ballot.NewCredential(), ch)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, enc)
	}
	for _, data := range raw {
		b, _ := ballot.DecodeBallot(data)
		full, err1 := l.Vector(b)
		fast, err2 := l.Ciphertexts(data)
		if err1 != nil || err2 != nil || len(full) != len(fast) {
			t.Fatalf("vector %v, ciphertexts %v", err1, err2)
		}
		for j := range full {
			if !full[j].Equal(fast[j]) {
				t.Fatalf("Ciphertexts differs from Vector at %d", j)
			}
		}
	}
	if _, err := l.Ciphertexts([]byte(`{"contests":[]}`)); err == nil {
		t.Error("ballot without contests accepted")
	}
	agg, n, err := Aggregate(context.Background(), l.Width(), 2, seq2(raw), func(data []byte) ([]elgamal.Ciphertext, error) {
		b, err := ballot.DecodeBallot(data)
		if err != nil {
			return nil, err
		}
		if err := ballot.Verify(el, b); err != nil {
			return nil, err
		}
		return l.Vector(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Limits(), []uint64{1, 1, 1, 1, 1, 1, 1, 5, 5}) {
		t.Fatalf("limits %v", l.Limits())
	}
	e := &election{k: k, base: el.BaseHash, agg: agg, count: n, limits: l.Limits()}
	posted := e.shares(t, 3, 1)
	pt, err := Combine(e.decryption(), posted)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Result(el.BaseHash, n, pt)
	if err != nil {
		t.Fatal(err)
	}
	want := `"contests":[{"id":"mayor","options":[{"id":"alice","count":2},{"id":"bob","count":0},{"id":"carol","count":1}]},{"id":"council","options":[{"id":"dan","count":1},{"id":"erin","count":2},{"id":"frank","count":0},{"id":"grace","count":0}]},{"id":"parks","options":[{"id":"north","count":7},{"id":"south","count":9}]}],"trustees":[3,1],"shares":[100,101]}`
	if js := string(r.Marshal()); !strings.HasSuffix(js, want) || !strings.Contains(js, `"turnout":3`) {
		t.Fatalf("result %s", js)
	}
	if err := CheckResult(e.decryption(), l, posted, r.Marshal()); err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(r.Marshal()), `"count":7`, `"count":8`, 1)
	if err := CheckResult(e.decryption(), l, posted, []byte(forged)); err == nil {
		t.Fatal("forged result accepted")
	}
	back, err := DecodeResult(r.Marshal())
	if err != nil || !bytes.Equal(back.Marshal(), r.Marshal()) {
		t.Fatalf("result round trip: %v", err)
	}
	var tb strings.Builder
	if err := r.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Turnout  3 ballots", "Trustees 3, 1", "Contest mayor", "  alice       2\n"} {
		if !strings.Contains(tb.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, tb.String())
		}
	}
	t.Logf("\n%s", tb.String())
}

func TestShareTranscriptBindsEverything(t *testing.T) {
	k := runCeremony(t, 2, 3)
	e := newElection(t, k, 3, 2)
	ks := k.shares[1]
	m, _ := DecryptShares(e.base, ks, e.agg, e.count)
	h := AggregateHash(e.agg, e.count)
	G := group.Generator()
	ok := func(base [32]byte, i int, h [32]byte, pos int, c elgamal.Ciphertext) bool {
		return m.Shares[0].Proof.Verify(shareTranscript(base, i, h, pos, c), G, ks.Verification, e.agg[0].A, m.Shares[0].D) == nil
	}
	if !ok(e.base, 1, h, 0, e.agg[0]) {
		t.Fatal("honest proof fails")
	}
	if ok([32]byte{}, 1, h, 0, e.agg[0]) || ok(e.base, 2, h, 0, e.agg[0]) || ok(e.base, 1, [32]byte{}, 0, e.agg[0]) ||
		ok(e.base, 1, h, 1, e.agg[0]) || ok(e.base, 1, h, 0, elgamal.Ciphertext{A: e.agg[0].A, B: e.agg[1].B}) {
		t.Fatal("a transcript input is not bound")
	}
	if AggregateHash(e.agg, e.count) == AggregateHash(e.agg, e.count+1) {
		t.Fatal("aggregate hash does not bind the count")
	}
	_ = zk.ErrInvalidProof
}

func FuzzDecodeShareMessage(f *testing.F) {
	k := runCeremony(f, 2, 3)
	e := newElection(f, k, 2, 2)
	m, _ := DecryptShares(e.base, k.shares[1], e.agg, e.count)
	f.Add(m.Marshal())
	f.Add([]byte(`{"election":"","trustee":1}`))
	d := e.decryption()
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeShareMessage(data)
		if err != nil {
			if m != nil {
				t.Fatal("message with error")
			}
			return
		}
		if !bytes.Equal(m.Marshal(), data) {
			t.Fatal("non-canonical encoding accepted")
		}
		d.Check(m) // must not panic
		Combine(d, []ceremony.Posted{{Type: TypeDecryptionShare, Payload: data}})
	})
}

func FuzzLayoutCiphertexts(f *testing.F) {
	m := testManifest(f)
	l := LayoutOf(m)
	k := runCeremony(f, 1, 1)
	el, _ := ballot.NewElection(m, k.st.JointKey, k.st.Hash)
	b, _, _ := ballot.Encrypt(el, ballot.NewCredential(), ballot.Choices{"mayor": {0, 1, 0}})
	data, _ := b.Encode()
	f.Add(data)
	f.Add([]byte(`{"contests":[{"id":"mayor","selections":[]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := l.Ciphertexts(data)
		if err != nil {
			if v != nil {
				t.Fatal("vector with error")
			}
			return
		}
		if len(v) != l.Width() {
			t.Fatalf("%d ciphertexts", len(v))
		}
		for _, c := range v {
			if c.A.IsIdentity() || c.B.IsIdentity() {
				t.Fatal("identity accepted")
			}
		}
	})
}

func FuzzDecodeResult(f *testing.F) {
	r := &Result{Version: ResultVersion, Turnout: 3, Contests: []ContestResult{{ID: "a", Options: []OptionResult{{ID: "x", Count: 2}}}}, Trustees: []int{1, 2}, Shares: []uint64{5, 6}}
	f.Add(r.Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeResult(data)
		if err != nil {
			if r != nil {
				t.Fatal("result with error")
			}
			return
		}
		if !bytes.Equal(r.Marshal(), data) {
			t.Fatal("non-canonical encoding accepted")
		}
		r.WriteTable(&bytes.Buffer{})
	})
}

// TestAggregatePanicIsAnError: a panic while summing (a bug reached by
// some input) fails the aggregate with an error instead of the process.
func TestAggregatePanicIsAnError(t *testing.T) {
	items := func(yield func(int, error) bool) {
		for i := range 5000 {
			if !yield(i, nil) {
				return
			}
		}
	}
	_, _, err := Aggregate(context.Background(), 1, 2, items, func(i int) ([]elgamal.Ciphertext, error) {
		if i == 4321 {
			panic("fault")
		}
		return []elgamal.Ciphertext{elgamal.Zero()}, nil
	})
	require.ErrorContains(t, err, "internal error (panic)")
	require.ErrorContains(t, err, "fault")
}

// TestLayoutExcludesRanked: a ballot that mixes homomorphic and ranked
// contests contributes exactly its homomorphic selections, in layout
// order, on the full and the fast path (e2e/SPEC.md §10.2).
func TestLayoutExcludesRanked(t *testing.T) {
	m := testManifest(t)
	plain := LayoutOf(m)
	r := ballot.Contest{ID: "budget", Title: "Budget", Kind: ballot.Ranked, MaxSelections: 2, Method: ballot.Schulze,
		Options: []ballot.Option{{ID: "a", Title: "A"}, {ID: "b", Title: "B"}, {ID: "c", Title: "C"}}}
	m.Contests = slices.Insert(m.Contests, 1, r)
	m.Contests = append(m.Contests, r)
	m.Contests[len(m.Contests)-1].ID = "board"
	l := LayoutOf(m)
	if !reflect.DeepEqual(l, plain) {
		t.Fatalf("layout with ranked contests %+v, want %+v", l, plain)
	}
	el, err := ballot.NewElection(m, group.BaseMul(group.RandomScalar()), [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := ballot.Encrypt(el, ballot.NewCredential(), ballot.Choices{"mayor": {0, 1, 0}, "parks": {1, 2}, "budget": {3, 1}, "board": {2, 0}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var want []elgamal.Ciphertext
	for _, c := range b.Contests {
		for _, s := range c.Selections {
			want = append(want, s.Ciphertext)
		}
	}
	full, err1 := l.Vector(b)
	fast, err2 := l.Ciphertexts(data)
	if err1 != nil || err2 != nil || len(full) != l.Width() || len(fast) != l.Width() || len(want) != l.Width() {
		t.Fatalf("vector %v, ciphertexts %v, widths %d %d %d, want %d", err1, err2, len(full), len(fast), len(want), l.Width())
	}
	for j := range want {
		if !full[j].Equal(want[j]) || !fast[j].Equal(want[j]) {
			t.Fatalf("position %d is not the ballot's homomorphic selection", j)
		}
	}
}
