// Package difftest holds the differential test of the rule book
// (e2e/rules, e2e/SPEC.md §11, §12): every record of the tamper corpus
// (e2e/testdata/corpus.json) is replayed, entry by entry and at its
// entries' board times, through a live election service — the built
// `tabella serve` binary over real HTTP, with no coordinator and a
// test clock (--coordinator=false, --clock-file) — and the service must
// refuse exactly the entry the verifier (e2e/verify) names, with the same
// rule (ErrorJSON.rule), after admitting every entry before it. A record
// whose fault is in the board itself (chain, tree, checkpoints, file
// format: the checks of rules' first group, which no submission can
// break) must have every entry admitted: the service builds its own chain.
// Every case added to the corpus is checked this way automatically.
//
// FuzzMutatedRecord goes beyond the corpus: it mutates the valid record
// entry by entry (drops, repeats, moves, swaps, re-times, flips bits of
// payloads, signers and signatures, retypes, re-signs board entries with
// the board key the corpus publishes), chains and signs the result as an
// honest board would, and requires the same agreement from a service in
// the test process behind a real HTTP listener (fast enough to fuzz).
//
// The package has tests only.
package difftest
