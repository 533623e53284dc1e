package ballot

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
)

// selectionTranscript is the context of the range proof of option j of
// contest contestID (e2e/SPEC.md §7.5).
func selectionTranscript(base [32]byte, cred *group.Point, contestID string, j int) *zk.Transcript {
	return positionTranscript(protoSelection, "option", base, cred, contestID, j)
}

// rankTranscript is the context of the range proof of rank position j
// (0 = 1st) of ranked contest contestID (e2e/SPEC.md §7.5).
func rankTranscript(base [32]byte, cred *group.Point, contestID string, j int) *zk.Transcript {
	return positionTranscript(protoRank, "rank", base, cred, contestID, j)
}

// positionTranscript is the context of the proof of the ciphertext at
// position j (an option or a rank, named by label) of a contest.
func positionTranscript(proto, label string, base [32]byte, cred *group.Point, contestID string, j int) *zk.Transcript {
	t := zk.NewTranscript(proto, base)
	t.Point("credential", cred)
	t.Bytes("contest", []byte(contestID))
	t.Uint64(label, uint64(j))
	return t
}

// partTranscript is the transcript of part j of contest c: a selection's
// or a rank's.
func partTranscript(base [32]byte, cred *group.Point, c *Contest, j int) *zk.Transcript {
	if c.Kind == Ranked {
		return rankTranscript(base, cred, c.ID, j)
	}
	return selectionTranscript(base, cred, c.ID, j)
}

// partProof is the proof name of a part of contest c in a [ProofError].
func partProof(c *Contest) string {
	if c.Kind == Ranked {
		return ProofRank
	}
	return ProofSelection
}

// sumTranscript is the context of the sum proof of contest contestID.
func sumTranscript(base [32]byte, cred *group.Point, contestID string) *zk.Transcript {
	t := zk.NewTranscript(protoSum, base)
	t.Point("credential", cred)
	t.Bytes("contest", []byte(contestID))
	return t
}

// signatureTranscript is the context of the ballot signature.
func signatureTranscript(base [32]byte, bodyHash [32]byte) *zk.Transcript {
	t := zk.NewTranscript(protoSignature, base)
	t.Bytes("ballot", bodyHash[:])
	return t
}

// An Opening holds the secrets of a ballot [Encrypt] made: each selection's
// (or rank's) plaintext value and nonce. It is what a Benaloh challenge reveals
// ([Spoil]); otherwise discard it. It never formats its contents.
type Opening struct {
	values [][]uint64
	nonces [][]*group.Scalar
}

// String redacts the opening.
func (o *Opening) String() string { return "ballot.Opening(redacted)" }

// GoString redacts the opening.
func (o *Opening) GoString() string { return o.String() }

// sumCiphertext returns the homomorphic sum of a contest's selections.
func sumCiphertext(sel []Selection) elgamal.Ciphertext {
	sum := elgamal.Zero()
	for i := range sel {
		sum = sum.Add(sel[i].Ciphertext)
	}
	return sum
}

// Encrypt encrypts ch under the election and signs the ballot with cred
// (e2e/SPEC.md §7.4). ch must be valid for the manifest ([Choices.Validate];
// errors wrap ErrInvalidChoices). A ranked contest's ranking is encrypted
// rank by rank, each with a range proof over 0..n and no sum proof. The
// returned [Opening] holds the nonces: keep it only to spoil the ballot.
func Encrypt(e *Election, cred *Credential, ch Choices) (*Ballot, *Opening, error) {
	m := e.Manifest
	if err := ch.Validate(m); err != nil {
		return nil, nil, err
	}
	pk := e.JointKey
	X := cred.Public()
	b := &Ballot{Body: Body{
		Version:    Version,
		ElectionID: m.ElectionID,
		BaseHash:   Hash(e.BaseHash),
		Credential: X,
		Contests:   make([]EncryptedContest, len(m.Contests)),
	}}
	o := &Opening{values: make([][]uint64, len(m.Contests)), nonces: make([][]*group.Scalar, len(m.Contests))}
	for i := range m.Contests {
		c := &m.Contests[i]
		values := append([]uint64(nil), ch.values(c)...)
		nonces := make([]*group.Scalar, len(values))
		parts := make([]Selection, len(values))
		limit := c.SelectionLimit()
		rsum := group.NewScalar(0)
		var msum uint64
		for j, v := range values {
			r := group.RandomNonZeroScalar()
			ct := elgamal.EncryptUintMax(pk, v, limit, r) // v ≤ limit: choices validated
			proof, err := zk.ProveRange(partTranscript(e.BaseHash, X, c, j), pk, ct, v, r, 0, limit)
			if err != nil {
				return nil, nil, fmt.Errorf("ballot: contest %q part %d: proving %s: %w", c.ID, j, partProof(c), err)
			}
			parts[j] = Selection{Ciphertext: ct, Proof: proof}
			nonces[j] = r
			rsum = rsum.Add(r)
			msum += v
		}
		o.values[i], o.nonces[i] = values, nonces
		if c.Kind == Ranked {
			// No sum proof: repeats and skips are the count's concern
			// (e2e/SPEC.md §7.3).
			b.Contests[i] = EncryptedContest{ID: c.ID, Ranks: parts}
			continue
		}
		ec := EncryptedContest{ID: c.ID, Selections: parts}
		lo, hi := c.SumRange()
		sp, err := zk.ProveRange(sumTranscript(e.BaseHash, X, c.ID), pk, sumCiphertext(ec.Selections), msum, rsum, lo, hi)
		if err != nil {
			return nil, nil, fmt.Errorf("ballot: contest %q: proving sum: %w", c.ID, err)
		}
		ec.SumProof = sp
		b.Contests[i] = ec
	}
	bh, err := b.Body.Hash()
	if err != nil {
		return nil, nil, err
	}
	b.Signature = zk.ProveSchnorr(signatureTranscript(e.BaseHash, bh), cred.x, X)
	return b, o, nil
}
