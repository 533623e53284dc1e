package board

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tabella-vote/tabella/bulletin"
)

// TestReceiptsEveryBatchShape: receipts are proved outside the append
// transaction from the hashes read inside it; for every old size up to 70
// and batches of 1 to 9 new submissions mixed with retries of old ones,
// every receipt must verify and name the entry it should.
func TestReceiptsEveryBatchShape(t *testing.T) {
	forEachStore(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		k := newKeys(t, testBoardName)
		b := openBoard(t, dsn, k)
		var first []*bulletin.Receipt
		n := 0
		for round := 0; n < 70; round++ {
			var subs []Submission
			for j := range 1 + round%9 {
				subs = append(subs, sub(n+j))
			}
			if n > 0 {
				subs = append(subs, sub(round*7%n)) // a retry
			}
			rs, err := b.Append(ctx, "e", subs...)
			require.NoError(t, err)
			for j, r := range rs {
				_, err := bulletin.VerifyReceipt(r, k.verifier)
				require.NoError(t, err, "round %d receipt %d", round, j)
				if j < len(subs)-1 || n == 0 {
					require.EqualValues(t, n+j, r.Index)
					first = append(first, r)
				} else {
					require.Equal(t, first[round*7%n].EntryHash, r.EntryHash)
				}
			}
			n = len(first)
		}
	})
}
