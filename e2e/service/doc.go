// Package service is Tabella's election service (e2e/SPEC.md §11): the
// rules of the election record enforced over a bulletin board, and the
// HTTP API that officials, trustees, voters and observers use.
//
// # A state machine over the board
//
// The service keeps, per election, a [State] (phase, setup, manifest, roll,
// ceremony, open/close, the latest ballot of each credential, cast and
// spoiled ballot hashes, decryption shares, result) that is exactly what
// the board says: it is rebuilt by replaying the board's entries and
// updated as entries are appended. After a restart, or when another
// `tabella serve` process shares the PostgreSQL store, the state is caught
// up from the board before any decision.
//
// # Admission
//
// A submission goes through two stages.
//
//  1. Before the append, outside any lock and in parallel: strict
//     decoding, the signer's signature (e2e/SPEC.md §11.1) and, for
//     ballots, every proof (e2e/SPEC.md §7.8). Concurrent ballots are
//     gathered for a few milliseconds and checked together with
//     ballot.VerifyBatch by a bounded pool of workers with a bounded queue,
//     so a flood of bad ballots is refused at the door instead of starving
//     good ones.
//  2. Inside the board's append transaction, with the log's head locked
//     (bulletin/board's admission hook): the cheap rules of e2e/SPEC.md
//     §11.2 — order, exactly-once types, signer allowed for the type, roll
//     membership, the manifest's schedule against the entry's board time,
//     a spoiled ballot never cast and a cast ballot never spoiled. Because
//     the head is locked, the check and the append are atomic even across
//     processes.
//
// Nothing is appended on any rejection. Every rejection wraps one of the
// package's sentinel errors, which [ErrorCode] maps to a stable code and
// an HTTP status in one place.
//
// # HTTP API
//
// [Service.Handler] serves the board's read API and websocket feed
// (e2e/SPEC.md §8.7), POST /v1/elections/{id}/entries, GET
// /v1/elections, GET /v1/elections/{id} and GET /healthz, with request
// size limits, per-address and per-credential token buckets and a timeout
// on every request (e2e/SPEC.md §11.8).
package service
