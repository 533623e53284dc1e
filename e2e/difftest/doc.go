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
// The package has tests only.
package difftest
