// Package zk holds Tabella's zero-knowledge proofs: sigma protocols over
// ristretto255 made non-interactive with strong Fiat-Shamir ([Transcript]).
//
// Every challenge binds a protocol tag, the election's base hash, the whole
// statement and every commitment; e2e/SPEC.md gives the exact transcript of
// each proof.
package zk
