package count

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

var methodTitle = map[Method]string{
	IRV:     "instant-runoff voting",
	STV:     "single transferable vote (Droop quota, weighted inclusive Gregory, 9 decimals)",
	Schulze: "Schulze (winning votes)",
}

// Table returns r as a human-readable text: the problems report, then the
// rounds (IRV, STV: one column per round, one row per option) or the
// matrices and order (Schulze), then the winners. names[k−1] names option
// k; missing names print as "option k".
func (r *Result) Table(names []string) string {
	name := func(o int) string {
		if o-1 < len(names) && names[o-1] != "" {
			return names[o-1]
		}
		return fmt.Sprintf("option %d", o)
	}
	list := func(os []int) string {
		s := make([]string, len(os))
		for i, o := range os {
			s[i] = name(o)
		}
		return strings.Join(s, ", ")
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Method: %s; options: %d, seats: %d\n", methodTitle[r.Method], r.Options, r.Seats)
	p := r.Problems
	fmt.Fprintf(&sb, "Ballots: %d (blank %d, invalid %d, cut at a skipped rank %d, cut at a repeated option %d)\n",
		r.Ballots, p.Blank, p.InvalidBallot.Count, p.SkippedRank.Count, p.RepeatedOption.Count)
	for _, k := range []struct {
		what string
		b    Ballots
	}{{"invalid", p.InvalidBallot}, {"skipped rank", p.SkippedRank}, {"repeated option", p.RepeatedOption}} {
		if k.b.Count > 0 {
			fmt.Fprintf(&sb, "  %s at positions: %s\n", k.what, positions(k.b.Positions))
		}
	}
	if r.Quota != "" {
		fmt.Fprintf(&sb, "Quota: %s\n", r.Quota)
	}
	sb.WriteString("\n")
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	if r.Schulze != nil {
		for _, m := range []struct {
			title string
			m     [][]int64
		}{{"d[row][column]: ballots preferring row to column", r.Schulze.D}, {"p[row][column]: strongest path from row to column", r.Schulze.P}} {
			fmt.Fprintf(&sb, "%s\n", m.title)
			fmt.Fprint(tw, "\t")
			for j := range m.m {
				fmt.Fprintf(tw, "%s\t", name(j+1))
			}
			fmt.Fprintln(tw)
			for i, row := range m.m {
				fmt.Fprintf(tw, "%s\t", name(i+1))
				for j, v := range row {
					if i == j {
						fmt.Fprint(tw, "-\t")
					} else {
						fmt.Fprintf(tw, "%d\t", v)
					}
				}
				fmt.Fprintln(tw)
			}
			tw.Flush()
			sb.WriteString("\n")
		}
		fmt.Fprintf(&sb, "Schulze order: %s\n", list(r.Schulze.Ranking))
		for _, place := range r.Schulze.Ties {
			fmt.Fprintf(&sb, "  place %d decided by manifest order among unbeaten options\n", place)
		}
	} else {
		fmt.Fprint(tw, "\t")
		for i := range r.Rounds {
			fmt.Fprintf(tw, "round %d\t", i+1)
		}
		fmt.Fprintln(tw)
		row := func(label string, cell func(rd *Round) Value) {
			fmt.Fprintf(tw, "%s\t", label)
			for i := range r.Rounds {
				fmt.Fprintf(tw, "%s\t", cell(&r.Rounds[i]))
			}
			fmt.Fprintln(tw)
		}
		for o := 1; o <= r.Options; o++ {
			row(name(o), func(rd *Round) Value { return rd.Tallies[o-1] })
		}
		row("exhausted", func(rd *Round) Value { return rd.Exhausted })
		if r.Method == STV {
			row("lost to truncation", func(rd *Round) Value { return rd.Lost })
		}
		tw.Flush()
		sb.WriteString("\n")
		for i, rd := range r.Rounds {
			a := rd.Action
			fmt.Fprintf(&sb, "round %d: ", i+1)
			switch a.Kind {
			case Elect:
				fmt.Fprintf(&sb, "elected %s", list(a.Options))
			case Eliminate:
				fmt.Fprintf(&sb, "eliminated %s, transferred %s", list(a.Options), transfers(rd, name))
			case Surplus:
				fmt.Fprintf(&sb, "surplus %s of %s transferred %s, lost %s", a.Surplus, list(a.Options), transfers(rd, name), rd.TransferredLost)
			}
			switch a.Tie {
			case PreviousRounds:
				sb.WriteString(" (tie broken by earlier rounds)")
			case Precedence:
				sb.WriteString(" (tie broken by manifest order)")
			}
			sb.WriteString("\n")
		}
	}
	fmt.Fprintf(&sb, "Elected, in order: %s\n", list(r.Winners))
	return sb.String()
}

func transfers(rd Round, name func(int) string) string {
	var s []string
	for o, v := range rd.Transfers {
		if v != "0" {
			s = append(s, fmt.Sprintf("%s to %s", v, name(o+1)))
		}
	}
	if rd.TransferredExhausted != "0" {
		s = append(s, string(rd.TransferredExhausted)+" exhausted")
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

func positions(p []int) string {
	const show = 20
	s := make([]string, 0, show+1)
	for i, x := range p {
		if i == show {
			s = append(s, fmt.Sprintf("… (%d more)", len(p)-show))
			break
		}
		s = append(s, fmt.Sprint(x))
	}
	return strings.Join(s, " ")
}
