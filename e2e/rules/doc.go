// Package rules is the election's rule book: the rules of e2e/SPEC.md
// §11.2–§11.6, checked in the order of §12.3–§12.5, as one pure state
// machine. [State] is an election after entries 0..i; [State.Apply] takes
// the next entry and returns nil (the state moves on) or a *[Violation]
// naming the check of §12 it breaks (the state is unchanged). No I/O, no
// clock but the entries' board times, no locks.
//
// It is the one copy of each rule: the service (e2e/service) admits
// submissions with it inside the board's append transaction, the verifier
// (e2e/verify) folds it over a record, and the trustee tools (e2e/coord)
// read the board with it. e2e/difftest checks the first two against each
// other over the whole tamper corpus.
package rules
