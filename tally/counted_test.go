package tally

import (
	"slices"
	"testing"
)

func TestCountedBetween(t *testing.T) {
	c := func(e uint64, cred byte) Cast { return Cast{Entry: e, Credential: [32]byte{cred}} }
	// open is entry 10, close entry 20 (e2e/SPEC.md §11.6).
	casts := []Cast{
		c(9, 1),  // before open: never counts
		c(11, 1), // replaced by 15
		c(12, 2), // replaced by 19
		c(15, 1),
		c(16, 3),
		c(19, 2),
		c(21, 3), // after close: 16 stays
		c(25, 4), // after close
	}
	got := CountedBetween(slices.Values(casts), 10, 20)
	if want := []uint64{15, 16, 19}; !slices.Equal(got, want) {
		t.Fatalf("counted %v, want %v", got, want)
	}
	// Board order does not matter.
	slices.Reverse(casts)
	if got := CountedBetween(slices.Values(casts), 10, 20); !slices.Equal(got, []uint64{15, 16, 19}) {
		t.Fatalf("reversed: counted %v", got)
	}
	// The open and close entries themselves bound the interval strictly.
	if got := CountedBetween(slices.Values([]Cast{c(10, 1), c(20, 2)}), 10, 20); len(got) != 0 {
		t.Fatalf("entries at open/close counted: %v", got)
	}
}
