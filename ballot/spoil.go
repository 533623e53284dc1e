package ballot

import (
	"fmt"

	"github.com/tabella-vote/tabella/ballot/canon"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
)

// MaxSpoiledSize bounds the encoding of a spoiled ballot in bytes.
const MaxSpoiledSize = MaxBallotSize + 1<<20

// A Spoiled ballot is a ballot challenged by its voter (the Benaloh
// challenge, e2e/SPEC.md §7.9): the ballot plus, for each selection (and
// each rank of a ranked contest), the plaintext value and the nonce it was
// encrypted with. Anyone can check with
// [VerifySpoiled] that the ballot encrypted what the voter chose. A spoiled
// ballot must never be cast: its nonces are public.
type Spoiled struct {
	Version string  `json:"version"`
	Ballot  *Ballot `json:"ballot"`
	// Openings has one list per contest and one entry per option, in
	// manifest order, like Ballot.Contests[i].Selections; for a ranked
	// contest one entry per rank, like Ballot.Contests[i].Ranks.
	Openings [][]OpenedSelection `json:"openings"`
}

// An OpenedSelection reveals one selection: Ciphertext = Enc(Value; Nonce).
type OpenedSelection struct {
	Value uint64        `json:"value"`
	Nonce *group.Scalar `json:"nonce"`
}

// Spoil reveals the opening of a ballot [Encrypt] returned with it.
func Spoil(b *Ballot, o *Opening) (*Spoiled, error) {
	if len(o.values) != len(b.Contests) {
		return nil, fmt.Errorf("%w: opening has %d contests, ballot %d", ErrMalformed, len(o.values), len(b.Contests))
	}
	s := &Spoiled{Version: Version, Ballot: b, Openings: make([][]OpenedSelection, len(o.values))}
	for i := range o.values {
		if len(o.values[i]) != len(b.Contests[i].Parts()) {
			return nil, fmt.Errorf("%w: opening of contest %d does not match the ballot", ErrMalformed, i)
		}
		s.Openings[i] = make([]OpenedSelection, len(o.values[i]))
		for j, v := range o.values[i] {
			s.Openings[i][j] = OpenedSelection{Value: v, Nonce: o.nonces[i][j]}
		}
	}
	return s, nil
}

// DecodeSpoiled decodes a spoiled ballot strictly (canonical JSON of at most
// [MaxSpoiledSize] bytes, no missing fields). [VerifySpoiled] checks it.
func DecodeSpoiled(data []byte) (*Spoiled, error) {
	s := new(Spoiled)
	if err := canon.Unmarshal(data, s, MaxSpoiledSize); err != nil {
		return nil, fmt.Errorf("%w: spoiled ballot: %w", ErrMalformed, err)
	}
	if s.Ballot == nil {
		return nil, fmt.Errorf("%w: spoiled ballot: missing ballot", ErrMalformed)
	}
	if err := s.Ballot.checkFields(); err != nil {
		return nil, err
	}
	if s.Openings == nil {
		return nil, fmt.Errorf("%w: spoiled ballot: missing openings", ErrMalformed)
	}
	for i := range s.Openings {
		if s.Openings[i] == nil {
			return nil, fmt.Errorf("%w: spoiled ballot: contest %d: missing openings", ErrMalformed, i)
		}
		for j := range s.Openings[i] {
			if s.Openings[i][j].Nonce == nil {
				return nil, fmt.Errorf("%w: spoiled ballot: contest %d option %d: missing nonce", ErrMalformed, i, j)
			}
		}
	}
	return s, nil
}

// Encode returns the canonical encoding of s.
func (s *Spoiled) Encode() ([]byte, error) {
	data, err := canon.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("ballot: encoding spoiled ballot: %w", err)
	}
	return data, nil
}

// VerifySpoiled checks a spoiled ballot (e2e/SPEC.md §7.9): the ballot must
// verify ([Verify]), and every selection's and rank's ciphertext must equal
// Enc(value; nonce) under the joint key. It returns the choices the ballot
// encrypted, for the voter to compare with what they picked: for a ranked
// contest the ranking as it is ([Contest.RankedOptions] names its options),
// even one that repeats or skips (which a cast ballot's count would treat
// as exhausted). A mismatch wraps ErrSpoiledMismatch and names the contest
// and option or rank.
func VerifySpoiled(e *Election, s *Spoiled) (Choices, error) {
	if s == nil || s.Ballot == nil {
		return nil, fmt.Errorf("%w: spoiled ballot is missing its ballot", ErrMalformed)
	}
	if s.Version != Version {
		return nil, fmt.Errorf("%w: spoiled ballot version %q, want %q", ErrMalformed, s.Version, Version)
	}
	if err := Verify(e, s.Ballot); err != nil {
		return nil, err
	}
	b, m := s.Ballot, e.Manifest
	if len(s.Openings) != len(b.Contests) {
		return nil, fmt.Errorf("%w: spoiled ballot opens %d contests, ballot has %d", ErrMalformed, len(s.Openings), len(b.Contests))
	}
	ch := make(Choices, len(m.Contests))
	for i := range m.Contests {
		mc, bc := &m.Contests[i], &b.Contests[i]
		parts := bc.Parts()
		if len(s.Openings[i]) != len(parts) {
			return nil, fmt.Errorf("%w: spoiled ballot: contest %q opens %d values, ballot has %d", ErrMalformed, mc.ID, len(s.Openings[i]), len(parts))
		}
		values := make([]uint64, len(parts))
		for j := range parts {
			op := s.Openings[i][j]
			if op.Nonce == nil {
				return nil, fmt.Errorf("%w: spoiled ballot: contest %q part %d: missing nonce", ErrMalformed, mc.ID, j)
			}
			if !elgamal.EncryptUint(e.JointKey, op.Value, op.Nonce).Equal(parts[j].Ciphertext) {
				if mc.Kind == Ranked {
					return nil, fmt.Errorf("%w: contest %q rank %d", ErrSpoiledMismatch, mc.ID, j+1)
				}
				return nil, fmt.Errorf("%w: contest %q option %d (%q)", ErrSpoiledMismatch, mc.ID, j, mc.Options[j].ID)
			}
			values[j] = op.Value
		}
		ch[mc.ID] = values
		// The proofs verified, so this cannot fail for an honest opening
		// of a homomorphic contest; check anyway so a caller never
		// receives choices the manifest forbids. A ranked contest's
		// proofs only bound each rank to 0..n, which the opening
		// reproduced; its ranking is returned as it is.
		if mc.Kind != Ranked {
			if err := ch.validateContest(mc); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrSpoiledMismatch, err)
			}
		}
	}
	return ch, nil
}
