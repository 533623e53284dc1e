// Package tally counts an election: it aggregates the encrypted ballots
// homomorphically, produces and checks the trustees' decryption shares, and
// combines any t valid shares into the counts (e2e/SPEC.md §10). The key
// ceremony that gives the trustees their shares is in [ceremony]; their
// long-term identities are in [trustee]; the trustee websocket, its client
// and the coordinator that posts the board's ceremony.result and
// tally.result are in [coord] (e2e/SPEC.md §9.10, §9.11).
//
// # Aggregation
//
// Exponential ElGamal ciphertexts add, so the encrypted count of every
// (contest, option) is the sum of that selection's ciphertexts over the
// counted ballots: the latest ballot of each credential among the ballot
// entries between the election.open and election.close entries
// ([CountedBetween]). [Aggregate] streams ballots, turns
// each into its vector of ciphertexts in manifest order ([Layout]) and sums
// them in parallel on every core. Each trustee recomputes the aggregate
// itself from the board before it decrypts; it never takes the server's.
//
// # Decryption
//
// Trustee i, holding the share sᵢ of the joint secret with verification key
// Vᵢ = sᵢ·G, publishes for each aggregate ciphertext (A, B) the share
// Dᵢ = sᵢ·A with a Chaum-Pedersen (DLEQ) proof that log_G Vᵢ = log_A Dᵢ,
// whose transcript binds the election's base hash, i, the hash of the whole
// aggregate, the position and the ciphertext ([DecryptShares]). [Combine]
// checks every posted share message (in one batch, falling back to
// per-proof checks to name the culprit), ignores and names bad ones, takes
// the first t valid ones in board order and computes
//
//	m·G = B − Σ λᵢ·Dᵢ,   λᵢ = Π_{j≠i} j/(j−i)
//
// then m by a bounded discrete logarithm. Fewer than t valid shares is an
// error ([ErrNotEnoughShares]), never a guess.
//
// # Results
//
// A [Result] lists per contest the count of every option, the turnout, the
// trustees whose shares were used and the board entries of those shares; it
// is JSON on the board and a readable table on the command line
// ([Result.WriteTable]).
//
// [coord]: https://pkg.go.dev/github.com/tabella-vote/tabella/e2e/coord
package tally
