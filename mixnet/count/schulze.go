package count

// countSchulze runs the Schulze method with the winning-votes strength and
// the winner order of e2e/SPEC.md §15.5.
func countSchulze(res *Result, b *ballots) {
	n := b.n
	d := matrix(n)
	var rankedAbove [MaxOptions]bool
	for _, g := range b.groups {
		for i := range rankedAbove[:n] {
			rankedAbove[i] = false
		}
		// Each ranked option beats every option after it and every
		// unranked option.
		for _, o := range g.ranking {
			rankedAbove[o] = true
			row := d[o]
			for j := 0; j < n; j++ {
				if !rankedAbove[j] {
					row[j] += g.count
				}
			}
		}
	}
	p := matrix(n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i != j && d[i][j] > d[j][i] {
				p[i][j] = d[i][j]
			}
		}
	}
	for k := 0; k < n; k++ {
		for i := 0; i < n; i++ {
			if i == k {
				continue
			}
			for j := 0; j < n; j++ {
				if j != i && j != k {
					p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))
				}
			}
		}
	}
	t := &SchulzeTables{D: d, P: p, Ranking: make([]int, 0, n)}
	placed := make([]bool, n)
	for place := 1; place <= n; place++ {
		first, unbeaten := -1, 0
		for i := 0; i < n; i++ {
			if placed[i] || beaten(p, placed, i) {
				continue
			}
			if first < 0 {
				first = i
			}
			unbeaten++
		}
		if first < 0 {
			panic("count: internal invariant broken: the Schulze relation has a cycle")
		}
		placed[first] = true
		t.Ranking = append(t.Ranking, first+1)
		if unbeaten > 1 {
			t.Ties = append(t.Ties, place)
		}
	}
	res.Schulze = t
	res.Winners = append([]int{}, t.Ranking[:min(res.Seats, n)]...)
}

// beaten reports whether some unplaced option j beats i: p[j][i] > p[i][j].
func beaten(p [][]int64, placed []bool, i int) bool {
	for j := range p {
		if j != i && !placed[j] && p[j][i] > p[i][j] {
			return true
		}
	}
	return false
}

func matrix(n int) [][]int64 {
	m := make([][]int64, n)
	for i := range m {
		m[i] = make([]int64, n)
	}
	return m
}
