// Package mixnet implements a verifiable re-encryption shuffle of lists of
// ElGamal ciphertext sequences on ristretto255, for the contests that
// cannot be tallied homomorphically (ranked choice). The wire format and
// the verification procedure are specified in e2e/SPEC.md §14; this comment
// explains the construction and the choices behind it.
//
// A list holds N sequences of the same width w: one voter's ranked part of a
// ballot, the option ranked 1st, 2nd, …, each an exponential ElGamal
// ciphertext (see package [github.com/tabella-vote/tabella/ballot/elgamal])
// under the joint election key K. [Shuffle] draws a uniformly random
// permutation π of the sequences and fresh randomness ρ, and returns
//
//	out[i][k] = in[π(i)][k] + (ρ_ik·G, ρ_ik·K)      i = 1..N, k = 1..w
//
// with a non-interactive zero-knowledge [Proof] that out is such a
// re-encrypted permutation of in, without revealing π or ρ. A sequence
// moves as one unit: every column is permuted by the same π, so a voter's
// ranking stays together. [Verify] checks the proof. In a cascade each
// trustee in turn verifies the previous mix, shuffles its output and posts
// the new list and proof; if one mixer keeps its π secret, nobody can link
// an output sequence to the voter who cast it.
//
// # The proof
//
// The proof is the shuffle argument of Terelius and Wikström ("Proofs of
// Restricted Shuffles", AFRICACRYPT 2010) in the form of Haenni, Locher,
// Koenig and Dubuis, "Pseudo-Code Algorithms for Verifiable Re-Encryption
// Mix-Nets" (Financial Cryptography 2017 workshops), the proof Verificatum
// and Belenios use, on a prime-order group instead of a subgroup of Z_p*,
// and extended from single ciphertexts to sequences of width w.
//
// Generators. Besides G, the proof uses N + 1 independent generators: h for
// the product chain and h_1..h_N for the permutation commitment. Generator
// number i is hash_to_ristretto255(u64be(i)) of RFC 9380 (expand_message_xmd
// with SHA-512, 64 bytes, the ristretto255 one-way map of RFC 9496 §4.3.4)
// under the tag [GeneratorDST]; h is number 0, h_i number i. Nobody knows a
// discrete-log relation between them. They depend on nothing but i, so they
// are derived once per process and cached.
//
// Commitments. The prover commits to the permutation matrix column by
// column, c_{π(i)} = r_{π(i)}·G + h_i (Pedersen commitments, r random). From
// a hash of everything so far it derives challenges u_1..u_N and, with
// u'_i = u_{π(i)}, the commitment chain ĉ_0 = h, ĉ_i = r̂_i·G + u'_i·ĉ_{i−1}.
// It then proves knowledge of openings showing that
//
//   - the commitments open to a matrix whose columns each sum to one:
//     Σ c_j − Σ h_i = r̄·G;
//   - they open, against the u_j, to the vector u' of the chain:
//     Σ u_j·c_j = r̃·G + Σ u'_i·h_i;
//   - the chain ends at Π u'_i = Π u_j: ĉ_N = r̂·G + (Π u_j)·h, each link
//     proved with ĉ_i = r̂_i·G + u'_i·ĉ_{i−1};
//   - for each column k, Σ u'_i·out[i][k] = Σ u_j·in[j][k] + Enc(0; ρ_k)
//     with ρ_k = Σ u'_i·ρ_ik, the same u' (hence the same π) for every
//     column.
//
// The first three make the committed matrix a permutation matrix except
// with negligible probability (the polynomial Π (x − u'_i) equals
// Π (x − u_j) at a random point), the fourth ties the lists to it. The
// sigma protocol has one commitment per statement (T1, T2, T3, one T4 per
// column, T̂_i per link) and responses s = ω + c·x; the equations a
// verifier checks are listed in e2e/SPEC.md §14.6.
//
// Fiat-Shamir. There are two challenges, both from one transcript of the
// project's kind ([github.com/tabella-vote/tabella/ballot/zk.Transcript]:
// labelled, length-prefixed fields, protocol tag [Protocol]). It starts with
// the election's base hash and binds the whole statement: the election key
// K, the mixer's trustee index, the contest id, N and w, every ciphertext of
// the input list and of the output list, and the permutation commitment. Its
// challenge is the seed of u_j = HashToScalar([ChallengeDST], seed ||
// u64be(j)). The transcript then absorbs the chain and every commitment of
// the sigma protocol and gives the final challenge c. A proof therefore does
// not verify for another input list (say, with one ballot replaced), another
// output list, another election (base hash or key), another mixer or another
// contest, and a mixer cannot choose its commitments after seeing u.
//
// Verification. Verify recomputes u and c from the transcript and checks all
// the equations at once: each is weighted by an independent random 128-bit
// scalar (crypto/rand) and the sum is one variable-time multi-scalar
// multiplication (Pippenger's method, split over the cores), of about
// 4N·w + 4N terms. If the sum is not the identity, it checks the equations
// one by one and names the first that fails. A batch that accepts a false
// proof has probability at most 2^−128.
//
// Encodings. Lists and proofs have strict binary encodings ([EncodeList],
// [DecodeList], [Proof.Bytes], [DecodeProof]) with a version tag ([ListTag],
// [ProofTag]), the counts, and fixed-size fields; a proof is
// 12 + 32·(5N + 3w + 6) bytes ([ProofSize]), about 160 bytes per sequence.
// Decoders accept only canonical encodings, non-identity points and
// reduced scalars, and exactly the right length.
//
// # Why Terelius–Wikström and not kyber's Neff shuffle
//
// The project's design names go.dedis.ch/kyber/v3 for the mixnet. Its
// shuffle package implements Neff's shuffle (shuffle.Shuffle, and
// shuffle.SequencesShuffle for sequences, with proof.HashProve). It was
// measured against this package in the same run (BenchmarkShuffle,
// -benchtime 1x -count 3, medians) on a two-core AMD EPYC shared with other
// jobs (load 10 to 30). The figures are CPU time in milliseconds per
// ciphertext, summed over the cores, which that load barely affects (the
// wall clock was up to 4 times longer and varied from run to run). TW's
// prover and verifier use both cores, kyber's one, so the wall-clock ratio
// on an idle machine should be larger than the CPU-time ratio:
//
//	                   prove                    verify
//	N=1000,  w=1   TW 0.28  kyber 1.49  (5.3×)   TW 0.100  kyber 1.58  (16×)
//	N=1000,  w=5   TW 0.16  kyber 1.12  (7.1×)   TW 0.055  kyber 0.98  (18×)
//	N=10000, w=1   TW 0.27  kyber 1.40  (5.1×)   TW 0.089  kyber 1.82  (20×)
//	N=10000, w=5   TW 0.16  kyber 1.21  (7.5×)   TW 0.050  (kyber pending)
//
// The TW figures meet the project's targets of 0.3 ms to prove and 0.4 ms
// to verify a ciphertext even in CPU time. TW is faster because almost all
// of its multiplications are fixed-base (G, K and h have precomputed
// tables) or terms of a multi-scalar multiplication: the prover does 6 per
// sequence and 4 per ciphertext, the verifier one multi-scalar
// multiplication of 4N·(w + 1) terms with Pippenger's method; kyber computes
// each multiplication of Neff's proof on its own with a generic
// variable-base multiplication, on one core.
//
// kyber is only the baseline, not a dependency of this package, for more
// reasons than speed: its Neff shuffle runs on kyber's own edwards25519 group,
// while the project's group is ristretto255 (prime order, canonical
// encodings: a kyber.Group adapter would have to re-implement ristretto255
// on kyber's interfaces); its proof.HashProve hashes only the prover's
// messages and the protocol name, not the statement, and accepts trailing
// proof bytes; its permutations are drawn with a slightly biased
// randUint64 % (i+1); and its proofs are encoded by reflection, which
// cannot be specified byte by byte for an independent verifier.
//
// # Limits
//
// A list has 1 to [MaxSequences] sequences of width 1 to [MaxWidth], at most
// [MaxCiphertexts] ciphertexts in all; a contest id has 1 to [MaxContestID]
// bytes; mixer indices start at 1. Neither component of a ciphertext may be
// the identity. Time and memory grow linearly in N·w; the generators, once
// derived, stay cached for the life of the process.
//
// The proof shows that the output is some re-encrypted permutation of the
// input under K; it says nothing about what the ciphertexts encrypt (the
// ballots' range proofs do) and nothing about whether the mixer kept π
// secret: privacy needs at least one honest mixer in the cascade. A mixer
// that applies the identity permutation with fresh randomness cannot be
// told from an honest one; a mixer that re-posts input ciphertexts
// unchanged can, and Verify rejects it ([ErrUnmixed]).
//
// Secret values (π, ρ, the commitment randomness and the masks ω) come from
// crypto/rand. Multiplications by them use constant-time fixed-base tables
// or constant-time Straus multi-scalar multiplication; the permutation is
// applied with ordinary memory accesses, so a co-resident attacker who can
// observe the prover's cache lines may learn about π: run the mixer on a
// machine of its own.
//
// # Errors
//
// Every error wraps one of three sentinels, to be tested with errors.Is;
// the message adds what failed (the list, the sequence and column, the
// proof field, or the equation, E1 to E5, with its column or link):
//
//   - [ErrMalformed]: a list, statement or proof has the wrong shape or
//     encoding (counts out of range, lengths that do not match, a wrong tag,
//     a non-canonical or identity point, an unreduced scalar);
//   - [ErrUnmixed]: an output ciphertext repeats an input ciphertext (a
//     list re-posted, or part of it, whatever the proof);
//   - [ErrInvalidProof]: the proof does not verify for this statement and
//     these lists.
//
// Verify never panics on untrusted input and reports nothing secret.
package mixnet
