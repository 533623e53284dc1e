// Package bulletin defines Tabella's public bulletin board as an outside
// verifier sees it (e2e/SPEC.md §8): entries and their hash chain, the
// RFC 6962 Merkle tree over them, signed checkpoints in the C2SP
// tlog-checkpoint format with C2SP tlog-cosignature witness cosignatures,
// receipts with inclusion proofs, consistency proofs between checkpoints,
// fork evidence, the JSON wire types of the read API, and a typed HTTP and
// websocket [Client].
//
// # Design
//
// One log per election: the election id is the log id and the checkpoint
// origin is "<board name>/election/<id>". Every entry carries an index, a
// short type, the board's time in unix milliseconds, the hash of the
// previous entry, an opaque payload, and the opaque signer and signature of
// whoever submitted it; the board does not interpret them. The entry hash
// (SPEC §8.2) is SHA-256 over length-prefixed fields, computed over the
// exact stored bytes and binding the election id, and it chains the entries
// together. The leaf of entry i in the Merkle tree is the RFC 6962 leaf hash
// of its 32-byte entry hash, so the tree is [golang.org/x/mod/sumdb/tlog]'s
// record tree over entry hashes and its proofs are tlog's.
//
// Everything here is pure: parsing, hashing and verification, no storage.
// The server side (stores, group commit, HTTP handlers) lives in
// [github.com/tabella-vote/tabella/bulletin/board].
//
// # Security
//
// A receipt proves, with only the board's public key, that the board
// committed to an entry at some tree size. A board that shows different
// histories to different observers must sign two checkpoints that no
// consistency proof links; [VerifyConsistency] detects that, and [Evidence]
// carries the two signed checkpoints as a transferable proof of misbehaviour.
// Witness cosignatures ([NewCosigner], [NewCosignatureVerifier]) let
// verifiers require that independent parties saw the same checkpoint.
package bulletin
