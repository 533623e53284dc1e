// Package cascade is the mix cascade of ranked contests on the board
// (e2e/SPEC.md §16): after the close, each qualified trustee in turn
// shuffles the latest valid list of a ranked contest with a verifiable
// re-encryption shuffle ([mixnet.Shuffle]) and posts it as a
// [TypeMix] entry; once every trustee mixed or missed its turn, t trustees
// post decryption shares of every ciphertext of the final list with DLEQ
// proofs ([TypeShare]) and the board posts the plaintexts ([TypeResult]).
//
// # Sections
//
//   - Payloads: [Mix], [Shares] and [Result], with strict decoders
//     ([DecodeMix], [DecodeShares], [DecodeResult]) and [ListHash], the name
//     of a list.
//   - The rules: [Cascade] is one contest's state machine — whose turn it
//     is at a board time ([Cascade.TurnAt]), whether a mix, a share message
//     or a result may be admitted ([Cascade.CheckMix],
//     [Cascade.CheckShares], [Cascade.CheckResult]). The election's rule
//     book (e2e/rules) holds one per ranked contest; the service and the
//     verifier both run it.
//   - The trustee's side: [Cascade.Statement] for its shuffle,
//     [Cascade.DecryptShares] for its shares.
//
// # Guarantees
//
// With one honest mixer the link between the counted ballots and the
// decrypted rankings is gone; a mixer's proof binds the joint key, the
// election's base hash, its index and the contest, so it cannot be moved
// to another list, election or mixer. A mixer that does not post in its
// window ([Config.Window]) is skipped: it delays the cascade but cannot
// stop it. The decryption reveals only the final, anonymised list.
package cascade
