// Package verify is Tabella's universal verifier: it checks an election
// record (e2e/SPEC.md §11) from the record alone, trusting neither the
// server nor anyone else, following the procedure of e2e/SPEC.md §12.
//
// # Design
//
// The verifier streams: [Record] reads a record file with the strict
// e2e/record Reader and hands each entry and checkpoint to a [Verifier],
// which checks, in record order,
//
//   - the board (§8): every entry hash (recomputed over the exact bytes),
//     the chain (index, prev, time), that no submission repeats, the
//     RFC 6962 tree of the entries, and every checkpoint: the board's
//     signature (the header's key, which must equal the setup's and any
//     pinned key), witness cosignatures, and that its root is the root of
//     the entries it covers, so checkpoints are consistent with each other
//     and a record rebuilt after dropping an entry contradicts them;
//   - the election rules (§11): who signs each type, the signature, the
//     order and multiplicity of entries, the manifest, the roll and its
//     seal, the ceremony parameters;
//   - the key ceremony (§9): the messages are replayed with
//     ceremony.Replay (every proof of knowledge, complaint and answer,
//     the deadlines and the qualified set) and the posted ceremony.result
//     must be byte-identical to the replay's joint key and verification
//     keys;
//   - every ballot (§7): credential on the roll, board time within the
//     schedule, not a spoiled ballot, decoded strictly and verified with
//     ballot.VerifyBatch against the election's base hash; the batches run
//     on a goroutine of their own while the record is read, each decoded
//     in parallel and verified with batched multi-scalar multiplications
//     on every core; spoiled ballots are opened and checked;
//   - the tally (§10, §11.6): the aggregate of the counted ballots (the
//     latest ballot of each credential) recomputed, every decryption
//     share's DLEQ proof, the Lagrange combination and the discrete logs
//     (tally.Combine), and the posted tally.result byte for byte.
//
// The verifier shares no code path with the service it checks: it uses the
// record parser and the cryptographic packages only, and implements the
// order and counting rules itself.
//
// Every failure is a [Failure] naming the check (a [Check], listed in
// §12), the entry (index and type) and what failed. Without
// [Options.All] verification stops at the first failure; the report then
// names the failure that comes first in the record.
//
// [Server] checks a live board the same way over its HTTP API
// (bulletin.Client), and with ServerOptions.Follow keeps checking its
// websocket feed (§12.6).
//
// Voter-side checks (§12.7): [Options.Receipts] checks receipts against
// the record, [LiveReceipt] against a live board, and [Spoiled] opens a
// spoiled (challenged) ballot.
//
// # Performance
//
// Ballots are the bulk of a record. On 2 cores, 10^5 W1 ballots (one
// contest of two options) verify in about 30 s of wall time and 46 s of
// CPU (about 0.46 ms of CPU per ballot, linear in the number of ballots):
// a third reading and hashing the record, a third decoding ballots (point
// decompression dominates), a third in the batched multi-scalar
// multiplications. See the benchmarks (go test -bench Verify).
//
// Ranked contests: their ballots are verified like the others (every
// rank's range proof, e2e/SPEC.md §7.8) and the homomorphic contests
// beside them are tallied and checked as usual, but their count needs the
// mix cascade, which this version does not verify yet. A complete record
// with a ranked contest fails [CheckMixPending] ("awaiting the mix") for
// each ranked contest rather than passing; a partial one notes it.
package verify
