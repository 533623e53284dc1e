package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWithTurnout(t *testing.T) {
	table := "Election 0102030405060708\nTurnout  2 ballots\nTrustees 1, 2 (shares at entries [20 21])\n\nContest mayor\n"
	for _, c := range []struct {
		counted, roll, spoiled uint64
		want                   string
	}{
		{2, 3, 1, "Roll     3 voters, 2 counted: turnout 66.7%\nSpoiled  1 checked ballot (Benaloh challenge), never counted\n"},
		{0, 100000, 0, "Roll     100000 voters, 0 counted: turnout 0.0%\nSpoiled  0 checked ballots (Benaloh challenge), never counted\n"},
		{1, 1, 12, "Roll     1 voter, 1 counted: turnout 100.0%\nSpoiled  12 checked ballots (Benaloh challenge), never counted\n"},
		{0, 0, 0, "Roll     0 voters, 0 counted: no voters on the roll\nSpoiled  0 checked ballots (Benaloh challenge), never counted\n"},
	} {
		assert.Equal(t, "Election 0102030405060708\nTurnout  2 ballots\n"+c.want+"Trustees 1, 2 (shares at entries [20 21])\n\nContest mayor\n", withTurnout(table, c.counted, c.roll, c.spoiled))
	}
	// A table without a Turnout line gets the lines at its end.
	assert.Equal(t, "Contest mayor\n\nRoll     3 voters, 2 counted: turnout 66.7%\nSpoiled  1 checked ballot (Benaloh challenge), never counted\n", withTurnout("Contest mayor\n", 2, 3, 1))
}
