// Package zk holds Tabella's zero-knowledge proofs: sigma protocols over
// ristretto255 made non-interactive with strong Fiat-Shamir ([Transcript],
// e2e/SPEC.md §3), and their batch verification (e2e/SPEC.md §5).
//
// # Proofs
//
//   - [Schnorr]: knowledge of x with X = x·G (§5.1). Key-ceremony
//     coefficients and ballot signatures.
//   - [DLEQ]: Chaum-Pedersen equality of discrete logs, x with X = x·g and
//     Y = x·h (§5.2). Decryption shares.
//   - [Range]: disjunctive Chaum-Pedersen (Cramer-Damgård-Schoenmakers
//     OR-proof) that an ElGamal ciphertext encrypts an integer in [lo, hi]
//     (§5.3). Each selection (0..limit) and each contest's homomorphic sum
//     (min..max).
//
// Each has Prove…, Verify, AddToBatch and a canonical JSON encoding
// (Schnorr and DLEQ also a fixed-size binary one); decoders are strict and
// fuzzed.
//
// # Transcripts
//
// Callers create the transcript with [NewTranscript] (protocol tag and the
// election's base hash) and append their context — the voter's credential,
// contest id, option index, trustee index — before calling a prover or
// verifier. Provers and verifiers never modify the transcript they are
// given: they clone it, append a "proof" field naming the proof type, the
// whole statement and every commitment, in the order of the spec, and derive
// the challenge. So every challenge binds the protocol, the election, the
// statement (key, ciphertext, range, credential) and the commitments, and a
// proof cannot be replayed in another election, copied onto another ballot
// or credential, or moved to another ciphertext. Tests build the forgeries
// that a challenge without the statement would admit (weak Fiat-Shamir, as
// in Helios) and check they are rejected.
//
// # Batch verification
//
// Proofs are kept in commitment form so that their equations can be added
// to a [Batch]: each equation is weighted by a fresh random 128-bit scalar
// and all are checked with one multi-scalar multiplication
// (group.VarTimeMSM, Pippenger's method for large batches), split across
// cores. A failing batch says only that something is wrong; callers then
// verify each proof alone to name it.
//
// # Errors
//
// [ErrMalformed] for shapes and encodings (nil, identity, lengths, widths),
// [ErrInvalidProof] for failed equations; both wrapped with the proof and
// branch that failed. Verifiers never panic on untrusted input.
//
// # Constant time
//
// Provers use only constant-time group operations on secrets. [ProveRange]
// does the same group operations for the real and the simulated branches
// and picks the real branch's challenge share arithmetically. Verification
// is variable time over public data.
package zk
