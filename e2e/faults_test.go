package e2e

import (
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestKillServerDuringLoad: `tabella serve` is killed with SIGKILL five
// times, at random moments of a load that `tabella loadtest` drives from
// its own process, and restarted at the same address each time. The load
// test retries what went unanswered with the same bytes; at the end every
// receipt it was given must be on the board (the board never acknowledged
// a ballot it then lost, and a retry never made a second entry), the
// counts must equal what it cast, and the record must verify.
func TestKillServerDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds tabella and runs a whole election")
	}
	const voters, kills = 400, 5
	r := startReal(t, voters, nil)
	l := startLoad(r, voters, 16)
	ballots := l.ballots
	var at []uint64
	prev := uint64(0)
	for k := 0; k < kills; k++ {
		// Spread over the load, at a random point of each stretch.
		stretch := uint64(voters / (kills + 1))
		next := max(prev+1, uint64(k)*stretch+uint64(rand.IntN(int(stretch)))+10)
		require.Eventually(t, func() bool { return ballots() >= next }, 3*time.Minute, 5*time.Millisecond,
			"the load stalled before kill %d:\n%s%s", k+1, &l.out, &l.errb)
		time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
		n := ballots()
		r.stopServer(os.Kill)
		at, prev = append(at, n), n
		time.Sleep(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		r.startServer()
	}
	t.Logf("killed the server with SIGKILL at about %v ballots", at)
	// The trustees' sockets were cut by the kills: decrypt over new ones.
	r.reconnectTrustees()
	l.finish()
}
