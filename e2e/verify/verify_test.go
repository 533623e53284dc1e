package verify

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
)

var (
	smallOnce sync.Once
	small     *electiontest.Election
	smallErr  error
)

// smallElection is built once per test process: 3-of-5 trustees, 20
// voters, 18 ballots, 3 revotes, 2 spoiled ballots.
func smallElection(t testing.TB) *electiontest.Election {
	t.Helper()
	smallOnce.Do(func() {
		small, smallErr = electiontest.Build(electiontest.Config{Revotes: 3, Spoils: 2})
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return small
}

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
