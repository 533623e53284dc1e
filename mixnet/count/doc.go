// Package count counts the decrypted rankings of a ranked contest in the
// clear (e2e/SPEC.md §15): instant-runoff voting ([IRV]), the single
// transferable vote ([STV]) and the Schulze method ([Schulze]), each with a
// fixed, documented tie-break and every round recorded. It is pure: no I/O,
// no randomness, no clock; the same input gives the same [Result] byte for
// byte, so a verifier recounts the mixed and decrypted list and compares
// ([Verify]).
//
// # Input
//
// A contest has n options (1 ≤ n ≤ [MaxOptions]); a raw ranking is what the
// trustees decrypted for one mixed ballot: v₁…v_L with 0 for "no option at
// this rank" and k ∈ 1..n for option k. [Normalize] turns it into a
// [Ranking]: reading stops at the first blank and at the first repeated
// option; a value outside 0..n makes the whole ballot invalid (an empty
// ranking). Every cut ballot is reported by kind and position in
// [Result.Problems], never dropped silently.
//
// # Methods
//
// IRV eliminates one option per round until one has a majority of the
// ballots still counting. STV uses the Droop quota ⌊V/(s+1)⌋+1 and the
// weighted inclusive Gregory method: a surplus is transferred by giving
// every ballot of the elected option the weight ⌊w·surplus/total⌋, in units
// of 10⁻⁹ vote, so all values are exact integers and reproducible by any
// implementation; what truncation loses is reported per round. Exact
// rationals (math/big.Rat) were tried and rejected: a transfer factor's
// denominator is a tally whose denominator is the product of the earlier
// factors', so its size doubles with every surplus transfer. Measured on
// this machine with 30 options, 20 seats and 3,000 random rankings, the
// 15th surplus's factor had 27,840 digits and the count had taken 70 s by
// then; an election with many seats could not be counted at all. Schulze
// ranks all options by strongest paths (winning votes), and the first seats
// of that order win.
//
// # Ties
//
// Ties are broken without randomness, the same way in IRV and STV: compare
// the tied options' tallies in the current round, then in each earlier
// round from the latest back ("backwards tie-breaking", as the Scottish and
// Australian STV rules do before drawing lots), and if they were equal in
// every round, by manifest order: the option listed earlier is preferred
// (elected first, eliminated last). In Schulze, several options unbeaten at
// a place are ordered by manifest order, which is Schulze's tie-breaking
// ranking fixed in advance instead of drawn from a random ballot. Officials
// who want lots drawn do so when they fix the manifest's option order.
//
// # Encoding
//
// [Result.Encode] is canonical JSON (e2e/SPEC.md §1.1, §15.7) with values
// as exact decimal strings ([Value]); [Decode] is strict; [Result.Table] is
// the round-by-round text that `tabella election tally` prints.
package count
