package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/service"
)

// benchManifest returns the W1 or W2 manifest.
func benchManifest(id, workload string) (*ballot.Manifest, error) {
	contests, options := 1, 2
	switch workload {
	case "W1", "w1":
	case "W2", "w2":
		contests, options = 10, 5
	default:
		return nil, fmt.Errorf("%w: --workload must be W1 or W2", errUsage)
	}
	now := time.Now()
	m := &ballot.Manifest{Version: ballot.Version, ElectionID: id, Title: "Benchmark " + workload,
		Schedule: ballot.Schedule{Opens: now.Add(-time.Hour).UTC().Format(ballot.TimeLayout), Closes: now.Add(24 * time.Hour).UTC().Format(ballot.TimeLayout)}}
	for c := range contests {
		ct := ballot.Contest{ID: fmt.Sprintf("c%d", c), Title: fmt.Sprintf("Contest %d", c), Kind: ballot.OneOfN, MinSelections: 1, MaxSelections: 1}
		for o := range options {
			ct.Options = append(ct.Options, ballot.Option{ID: fmt.Sprintf("o%d", o), Title: fmt.Sprintf("Option %d", o)})
		}
		m.Contests = append(m.Contests, ct)
	}
	return m, nil
}

// waitKey waits for an election's joint key and returns its ballot
// parameters.
func waitKey(ctx context.Context, c *service.Client, id string) (*ballot.Election, error) {
	for {
		in, err := c.Info(ctx, id)
		if err != nil {
			return nil, err
		}
		if in.JointKey != "" {
			return in.Election()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// benchSchema creates a fresh schema on the PostgreSQL server and returns
// a DSN whose search_path is that schema, and a function dropping it.
func benchSchema(ctx context.Context, dsn string) (string, func(), error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, err
	}
	defer c.Close(ctx)
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "tabella_bench_" + hex.EncodeToString(rb[:])
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, drop, nil
}
