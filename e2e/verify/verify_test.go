package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/tally"

	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
)

// A builtOnce is an election built at most once per test process.
type builtOnce struct {
	cfg  electiontest.Config
	once sync.Once
	e    *electiontest.Election
	err  error
}

func (b *builtOnce) get(t testing.TB) *electiontest.Election {
	t.Helper()
	b.once.Do(func() { b.e, b.err = electiontest.Build(b.cfg) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.e
}

var small = &builtOnce{cfg: electiontest.Config{Revotes: 3, Spoils: 2}}

// smallElection is built once per test process: 3-of-5 trustees, 20
// voters, 18 ballots, 3 revotes, 2 spoiled ballots.
func smallElection(t testing.TB) *electiontest.Election { return small.get(t) }

func verifyBytes(t testing.TB, data []byte, opts Options) (*Report, error) {
	t.Helper()
	return Record(context.Background(), bytes.NewReader(data), opts)
}

func TestValidRecord(t *testing.T) {
	e := smallElection(t)
	rep, err := verifyBytes(t, e.Bytes(), Options{})
	if err != nil {
		t.Fatalf("valid record rejected: %v\nnotes: %v", err, rep.Notes)
	}
	if !rep.Valid || !rep.Complete || rep.Result == nil {
		t.Fatalf("report: valid %v complete %v result %v", rep.Valid, rep.Complete, rep.Result)
	}
	c := rep.Counts
	if c.Entries != uint64(len(e.Entries)) || c.Ballots != 21 || c.Spoiled != 2 || c.Counted != 18 || c.Superseded != 3 || c.ShareMessages != 5 {
		t.Fatalf("counts %+v", c)
	}
	var got []uint64
	for _, ct := range rep.Result.Contests {
		for _, o := range ct.Options {
			got = append(got, o.Count)
		}
	}
	if len(got) != len(e.Counts) {
		t.Fatalf("counts %v, want %v", got, e.Counts)
	}
	for i := range got {
		if got[i] != e.Counts[i] {
			t.Fatalf("counts %v, want %v", got, e.Counts)
		}
	}
}

// TestWitnessQuorum requires a trusted witness's cosignature on the last
// checkpoint.
func TestWitnessQuorum(t *testing.T) {
	e := corpusElection(t).Clone()
	skey, _, err := note.GenerateKey(rand.Reader, "witness.example")
	if err != nil {
		t.Fatal(err)
	}
	wvkey, err := bulletin.CosignerVerifierKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	wv, err := bulletin.NewCosignatureVerifier(wvkey)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Witnesses: []note.Verifier{wv}, WitnessQuorum: 1}
	rep, err := verifyBytes(t, e.Bytes(), opts)
	var f *Failure
	if !errors.As(err, &f) || f.Check != CheckWitness || rep.Valid {
		t.Fatalf("without cosignature: %v", err)
	}
	cs, err := bulletin.NewCosigner(skey, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	bv, _ := note.NewVerifier(e.BoardKey)
	last := &e.Checkpoints[len(e.Checkpoints)-1]
	n, err := note.Open(last.Note, note.VerifierList(bv))
	if err != nil {
		t.Fatal(err)
	}
	if last.Note, err = note.Sign(n, cs); err != nil {
		t.Fatal(err)
	}
	rep, err = verifyBytes(t, e.Bytes(), opts)
	if err != nil || rep.Counts.Cosignatures != 1 {
		t.Fatalf("with cosignature: %v (%d cosignatures)", err, rep.Counts.Cosignatures)
	}
	// A cosignature by the trusted witness that does not verify fails the
	// checkpoint.
	bad := bytes.Clone(last.Note)
	bad[len(bad)-10] ^= 1
	last.Note = bad
	if _, err := verifyBytes(t, e.Bytes(), opts); !errors.As(err, &f) || f.Check != CheckCheckpoint {
		t.Fatalf("bad cosignature: %v", err)
	}
}

// TestAllFailures lists several failures with Options.All, in record
// order.
func TestAllFailures(t *testing.T) {
	data, err := os.ReadFile("../testdata/tampered/wrong-count.record")
	if err != nil {
		t.Fatal(err)
	}
	// Also insert an entry of an unknown type (an earlier failure that
	// changes no state, so nothing cascades).
	e := corpusElection(t)
	c := e.Clone()
	r, err := tally.DecodeResult(c.Subs[e.ResultIndex].Payload)
	if err != nil {
		t.Fatal(err)
	}
	r.Turnout++
	c.Subs[e.ResultIndex].Payload = r.Marshal()
	c.ResignBoard(e.ResultIndex)
	c = insert(c, e.OpenIndex, electiontest.Submission{Type: "election.note", Time: e.Subs[e.OpenIndex-1].Time, Payload: []byte("{}")})
	if err := c.Rebuild(); err != nil {
		t.Fatal(err)
	}
	rep, _ := verifyBytes(t, c.Bytes(), Options{All: true})
	if len(rep.Failures) != 2 || rep.Failures[0].Check != CheckType || rep.Failures[1].Check != CheckResult {
		t.Fatalf("failures %v", rep.Failures)
	}
	rep, _ = verifyBytes(t, data, Options{All: true})
	if len(rep.Failures) != 1 || rep.Failures[0].Check != CheckResult {
		t.Fatalf("failures %v", rep.Failures)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil || !strings.Contains(buf.String(), "INVALID") {
		t.Fatalf("text report: %v\n%s", err, buf.String())
	}
}

// TestRereadReplacedBallots: with a second read of the record (a file),
// the verifier keeps an entry per voter instead of its ballot's vector
// and reads the replaced ballots again at the end; without one (a stream)
// it keeps the vectors. Both give the same verdict on the valid record; a
// second read that differs from the first (the file changed) fails.
func TestRereadReplacedBallots(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "valid.record"))
	require.NoError(t, err)
	stream := struct{ io.Reader }{bytes.NewReader(data)}
	for name, r := range map[string]io.Reader{"file": bytes.NewReader(data), "stream": stream} {
		rep, err := Record(context.Background(), r, Options{})
		require.NoError(t, err, name)
		require.True(t, rep.Valid && rep.Complete, name)
		require.Positive(t, rep.Counts.Superseded, "%s: the corpus election replaces ballots", name)
	}
	// The second read shows another file: entries shifted by one.
	other, err := os.ReadFile(filepath.Join(corpusDir, "tampered", "second-ceremony-message.record"))
	require.NoError(t, err)
	rep, err := Record(context.Background(), struct{ io.Reader }{bytes.NewReader(data)}, Options{Source: bytes.NewReader(other)})
	require.Error(t, err)
	require.False(t, rep.Valid)
	require.ErrorContains(t, err, "read again is not the entry first read")
	// A second read that ends early.
	_, err = Record(context.Background(), struct{ io.Reader }{bytes.NewReader(data)}, Options{Source: bytes.NewReader(data[:200])})
	require.ErrorContains(t, err, "could not be read again")
}
