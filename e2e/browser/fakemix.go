package browser

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/mixnet/count"
)

// stand-in mix header (e2e/SPEC.md §16.1, §16.3): magic, election id,
// contest id, trustee index; the stand-in posts no list and no proof.
func mixHeader(magic, election, contest string, trustee int) []byte {
	b := append([]byte(magic), byte(len(election)))
	b = append(b, election...)
	b = append(b, byte(len(contest)))
	b = append(b, contest...)
	return binary.BigEndian.AppendUint32(b, uint32(trustee))
}

// postMixes posts, for each ranked contest, stand-in mix.shuffle entries
// by the three trustees, mix.share entries by two, and a mix.result whose
// sequences are the counted ballots' rankings decrypted with the
// stand-in's secret (not shuffled) and whose count is mixnet/count's, so
// that the observer page has a cascade to show. It is not a valid
// cascade: the stand-in is for the pages only.
func (f *Fake) postMixes(ctx context.Context, secret *group.Scalar, counted []*ballot.Ballot, dl *elgamal.DLog) error {
	id := f.Election.Manifest.ElectionID
	for i, c := range f.Election.Manifest.Contests {
		if c.Kind != ballot.Ranked {
			continue
		}
		var subs []board.Submission
		for k := range DemoTrustees {
			subs = append(subs, board.Submission{Type: "mix.shuffle", Payload: mixHeader("TMX1", id, c.ID, k+1), Signer: append([]byte{2}, trusteeKey(k)...)})
		}
		for k := 0; k < 2; k++ {
			subs = append(subs, board.Submission{Type: "mix.share", Payload: mixHeader("TMD1", id, c.ID, k+1), Signer: append([]byte{2}, trusteeKey(k)...)})
		}
		seqs := [][]int{}
		for _, b := range counted {
			var seq []int
			for _, r := range b.Contests[i].Ranks {
				v, err := dl.Solve(r.Ciphertext.Decrypt(secret))
				if err != nil {
					return err
				}
				seq = append(seq, int(v))
			}
			seqs = append(seqs, seq)
		}
		seats := int(c.Seats)
		if seats == 0 {
			seats = 1
		}
		res, err := count.Count(count.Method(c.Method), len(c.Options), seats, seqs)
		if err != nil {
			return err
		}
		enc, err := res.Encode()
		if err != nil {
			return err
		}
		mr, _ := json.Marshal(map[string]any{"version": "tabella-mix-result/v1", "election": hex.EncodeToString(f.Election.BaseHash[:]), "contest": c.ID,
			"list": hex.EncodeToString(make([]byte, 32)), "mixers": []int{1, 2, 3}, "skipped": []int{}, "sequences": seqs, "trustees": []int{1, 2}, "shares": []int{},
			"count": json.RawMessage(enc)})
		subs = append(subs, board.Submission{Type: "mix.result", Payload: mr, Signer: []byte{4}})
		for _, s := range subs {
			if _, err := f.Board.Append(ctx, id, s); err != nil {
				return err
			}
		}
	}
	return nil
}
