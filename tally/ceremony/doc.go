// Package ceremony is Tabella's t-of-n distributed key generation: the key
// ceremony that gives an election its joint public key, and each trustee a
// share of the secret key, without anyone ever holding the whole secret
// (e2e/SPEC.md §9).
//
// # Protocol
//
// The protocol is joint-Feldman (Pedersen's DKG, as analysed by Gennaro,
// Jarecki, Krawczyk and Rabin, "Secure Distributed Key Generation for
// Discrete-Log Based Cryptosystems", J. Cryptology 2007) on ristretto255,
// with a Schnorr proof of knowledge for every polynomial coefficient, which
// rules out rogue-key attacks. Every message is a canonical-JSON payload
// signed by its trustee and posted on the bulletin board, so the whole
// ceremony is public and [Replay] recomputes its outcome from the board alone:
//
//  1. commitments: trustee i picks a random polynomial fᵢ of degree t−1 and
//     posts Cᵢₖ = aᵢₖ·G for k = 0..t−1 with a Schnorr proof for each, whose
//     transcript binds the ceremony hash, i and k (a copied proof fails). It
//     also posts its coefficients HPKE-encrypted to itself ("backup"), so
//     that a trustee that restarts resumes from the board alone.
//  2. shares: trustee i posts sᵢⱼ = fᵢ(j) for every other trustee j,
//     HPKE-encrypted to j with an info string binding the ceremony, i and j.
//  3. complaints: trustee j checks sᵢⱼ·G = Σₖ jᵏ·Cᵢₖ for every dealer i and
//     posts the list of dealers whose share failed (possibly empty).
//  4. answers: an accused dealer reveals the disputed shares in the clear;
//     anyone checks them against the commitments. A dealer whose answer is
//     missing or wrong is disqualified; otherwise the complaint is dismissed
//     and the complainer uses the revealed share.
//
// The qualified set QUAL is the dealers with valid commitments and shares
// that were not disqualified. The joint key is K = Σ_{i∈QUAL} Cᵢ₀ and trustee
// j's verification key is Vⱼ = Σ_{i∈QUAL} Σₖ jᵏ·Cᵢₖ = sⱼ·G with
// sⱼ = Σ_{i∈QUAL} sᵢⱼ; both follow from public commitments. A ceremony whose
// QUAL has fewer than t trustees fails with [ErrTooFewQualified]: it never
// produces a key that fewer than t trustees could open, or none could.
//
// Rounds have deadlines measured in board time: a round closes when every
// expected message is on the board or when its deadline passes, and the next
// deadline is counted from that close, so everyone who reads the board
// agrees on which messages were in time ([Replay]). The [Trustee] state
// machine runs over a small [Board] interface (post a signed message, read
// messages from an index) and an injectable [Clock]; the websocket transport
// plugs in behind Board.
//
// # Why not kyber's share/dkg
//
// We build on ballot/group and ballot/zk rather than go.dedis.ch/kyber's
// share/dkg/pedersen: kyber's messages are encoded by reflection (no spec'd,
// canonical form that an independent verifier could parse from the board),
// its deals are exchanged privately rather than posted, and its proofs hash
// only the prover's messages. circl's secretsharing works over circl's group
// type, not ours, and its Recover panics on duplicate ids; the polynomial
// arithmetic needed here is a few lines over [group.Scalar].
//
// # Security notes
//
// Joint-Feldman lets a rushing adversary bias the distribution of the joint
// key slightly (GJKR 2007, §3); the key remains hard to compute for
// ElGamal's security, which is what the election needs. Revealed shares are
// public: a complaint by trustee j makes sᵢⱼ public, which only helps an
// adversary that already controls j or i.
package ceremony
