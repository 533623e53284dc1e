package pgstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tabella-vote/tabella/bulletin/internal/testpg"
)

// BenchmarkFloor: what PostgreSQL allows for durable appends of 2 KiB on
// this machine, the floor of the board's PostgreSQL appends: one
// transaction (synchronous commit) per batch of rows inserted into a
// table with only a primary key, batches one after the other as the
// board's group commit sends them. mode: "unnest" is one INSERT … SELECT
// FROM unnest($arrays) pipelined with BEGIN and COMMIT (what the store
// does); "copy" is COPY FROM STDIN in its own round trip.
func BenchmarkFloor(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"unnest", "copy"} {
		for _, batch := range []int{1, 64, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d", mode, batch), func(b *testing.B) {
				c, err := pgx.Connect(ctx, testpg.DSN(b))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close(ctx)
				if _, err := c.Exec(ctx, "CREATE TABLE floor (idx BIGINT PRIMARY KEY, payload BYTEA NOT NULL)"); err != nil {
					b.Fatal(err)
				}
				p := make([]byte, 2048)
				rand.Read(p[:32])
				next := int64(0)
				b.SetBytes(int64(len(p)))
				b.ResetTimer()
				start := time.Now()
				for done := 0; done < b.N; {
					k := min(batch, b.N-done)
					idx, ps := make([]int64, k), make([][]byte, k)
					for i := range idx {
						idx[i], ps[i] = next, p
						next++
					}
					if mode == "copy" {
						tx, err := c.Begin(ctx)
						if err != nil {
							b.Fatal(err)
						}
						rows := make([][]any, k)
						for i := range rows {
							rows[i] = []any{idx[i], ps[i]}
						}
						if _, err := tx.CopyFrom(ctx, pgx.Identifier{"floor"}, []string{"idx", "payload"}, pgx.CopyFromRows(rows)); err != nil {
							b.Fatal(err)
						}
						if err := tx.Commit(ctx); err != nil {
							b.Fatal(err)
						}
					} else {
						var q pgx.Batch
						q.Queue("BEGIN")
						q.Queue("INSERT INTO floor (idx, payload) SELECT * FROM unnest($1::bigint[], $2::bytea[])", idx, ps)
						q.Queue("COMMIT")
						if err := c.SendBatch(ctx, &q).Close(); err != nil {
							b.Fatal(err)
						}
					}
					done += k
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
			})
		}
	}
}
