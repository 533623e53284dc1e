package count_test

import (
	"fmt"

	"github.com/tabella-vote/tabella/mixnet/count"
)

// The Tennessee capital example: Knoxville wins IRV after Chattanooga and
// Nashville are eliminated. One ballot skips a rank and is cut there.
func ExampleCount() {
	var raw [][]int
	for _, g := range []struct {
		k       int
		ranking []int
	}{{42, []int{1, 2, 3, 4}}, {26, []int{2, 3, 4, 1}}, {15, []int{3, 4, 2, 1}}, {17, []int{4, 3, 2, 1}}} {
		for range g.k {
			raw = append(raw, g.ranking)
		}
	}
	raw = append(raw, []int{4, 0, 1, 0})
	r, err := count.Count(count.IRV, 4, 1, raw)
	if err != nil {
		panic(err)
	}
	fmt.Print(r.Table([]string{"Memphis", "Nashville", "Chattanooga", "Knoxville"}))
	// Output:
	// Method: instant-runoff voting; options: 4, seats: 1
	// Ballots: 101 (blank 0, invalid 0, cut at a skipped rank 1, cut at a repeated option 0)
	//   skipped rank at positions: 100
	//
	//                round 1  round 2  round 3
	//       Memphis       42       42       42
	//     Nashville       26       26        0
	//   Chattanooga       15        0        0
	//     Knoxville       18       33       59
	//     exhausted        0        0        0
	//
	// round 1: eliminated Chattanooga, transferred 15 to Knoxville
	// round 2: eliminated Nashville, transferred 26 to Knoxville
	// round 3: elected Knoxville
	// Elected, in order: Knoxville
}
