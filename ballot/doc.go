// Package ballot defines Tabella's election manifest, voter credentials and
// encrypted ballots: encryption with validity proofs, verification (single
// and batched), tracking codes and the Benaloh challenge. Its formats are
// specified in e2e/SPEC.md §6 (Manifest) and §7 (Credentials and ballots).
//
// # Manifest and election
//
// A [Manifest] lists the contests of an election (kinds [OneOfN],
// [Approval], [Score] and [Ranked]), their options and limits, and the
// schedule. It is strict canonical JSON (e2e/SPEC.md §1.1); [DecodeManifest]
// validates it and errors name the contest or option at fault. Its hash,
// the joint key of the trustees and the key ceremony's hash make the
// election's base hash ([BaseHash]), which every proof of the election binds.
// An [Election] bundles them; it is what encryption and verification take.
//
// # Ballots
//
// A [Ballot] carries, for each homomorphic contest in manifest order and
// each option, an exponential ElGamal ciphertext of the selection under the joint key with a
// disjunctive Chaum-Pedersen proof that it encrypts a value in 0..limit, and
// for each contest a proof that the homomorphic sum of its ciphertexts lies
// in the contest's allowed range. Every proof's Fiat-Shamir transcript binds
// the base hash, the voter's credential public key, the contest id and the
// option index, so a proof cannot be moved to another election, voter,
// contest or option. The ballot is signed with the voter's [Credential]
// (a Schnorr proof of knowledge of the credential secret whose transcript
// binds the hash of the unsigned ballot).
//
// [Encrypt] builds a ballot from plaintext [Choices]; [Verify] checks one
// ballot; [VerifyBatch] checks many with random linear combinations (one
// multi-scalar multiplication per chunk, chunks in parallel) and, when a
// chunk fails, bisects it and finally re-checks a few ballots one proof at
// a time, so that every bad ballot is named with its failing proof
// ([ProofError]). Every valid ballot of an election has the same length
// ([Election.BallotSize]), which lets a server reject other sizes unread.
//
// # Receipts and the Benaloh challenge
//
// A cast ballot is named by its [TrackingCode], derived from [Ballot.Hash].
// Before casting, a voter may challenge a ballot: the client reveals every
// selection's plaintext and nonce ([Spoiled]); anyone can re-encrypt and
// compare with [VerifySpoiled]. A spoiled ballot must never be cast (the
// service refuses its hash).
//
// # Test vectors
//
// testdata/ holds the example manifest, a valid ballot, its tracking code
// and credential, a valid spoiled ballot and must-fail ballots with the
// expected rejection (e2e/SPEC.md §7.10); `go test -update` regenerates them.
//
// # Security notes
//
// A ranked contest's part of a ballot is its ranking, rank by rank: L =
// max_selections ciphertexts of the option number at each rank (0 for
// none), each with a range proof over 0..n and no sum proof. The proofs
// cannot show that a ranking has no repeated option or skipped rank: only
// [Choices.Validate] on the voter's side checks that, and the count (by the
// mixnet, after a verifiable shuffle of the rankings) treats such a ranking
// as exhausted from that rank. Nonces and the
// credential secret are secrets: keep a [Spoiled] ballot away from anything
// that will be cast, and never log a [Credential.Secret]. Errors of
// [Choices.Validate] (and so of [Encrypt]) quote the offending choice for
// the voter's own client; do not send them to a server or a shared log.
package ballot
