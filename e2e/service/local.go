package service

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/tabella-vote/tabella/ballot/elgamal"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/tally"
	"github.com/tabella-vote/tabella/tally/ceremony"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// This file runs the trustee side inside one process, over any
// [BoardAccess]: the trustees' ceremony state machines, their decryption
// shares, and the posting of the board-derived outcomes (ceremony.result,
// tally.result). `tabella demo` and the tests use it; a deployment runs the
// trustees on their own machines over the trustee websocket.

// ReadAll returns every entry of an election's board.
func ReadAll(ctx context.Context, b BoardAccess, id string) ([]*bulletin.Entry, error) {
	var out []*bulletin.Entry
	for {
		es, err := b.Entries(ctx, id, uint64(len(out)), uint64(len(out))+bulletin.MaxPage)
		if err != nil {
			return nil, err
		}
		if len(es) == 0 {
			return out, nil
		}
		out = append(out, es...)
	}
}

// TrusteeBoard is a trustee's view of the board for the ceremony state
// machine (ceremony.Board): it posts the trustee's signed messages through
// the service's admission path and reads the election's entries.
type TrusteeBoard struct {
	B        BoardAccess
	Election string
	ID       *trustee.Identity
}

// Post submits a trustee-signed message.
func (t *TrusteeBoard) Post(ctx context.Context, typ string, payload []byte, sig [ceremony.SignatureSize]byte) error {
	pub := t.ID.Public()
	signer := record.Signer{Kind: record.Trustee, Key: pub.SigningKey}
	_, err := t.B.Submit(ctx, t.Election, Submission{Type: typ, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]})
	return err
}

// Read returns the entries from index from on, and a board time before
// which every entry is in the answer (a second of margin covers appends
// being committed while we read).
func (t *TrusteeBoard) Read(ctx context.Context, from uint64) ([]ceremony.Posted, time.Time, error) {
	now := t.B.Now().Add(-time.Second)
	var out []ceremony.Posted
	for {
		es, err := t.B.Entries(ctx, t.Election, from, from+bulletin.MaxPage)
		if err != nil {
			return nil, time.Time{}, err
		}
		if len(es) == 0 {
			return out, now, nil
		}
		for _, e := range es {
			out = append(out, rules.Posted(e))
		}
		from += uint64(len(es))
	}
}

// ceremonyStart returns the ceremony parameters and the board time of the
// ceremony.params entry.
func ceremonyStart(es []*bulletin.Entry) (*ceremony.Params, time.Time, error) {
	for _, e := range es {
		if e.Type == record.TypeCeremony {
			p, err := ceremony.ParseParams(e.Payload)
			if err != nil {
				return nil, time.Time{}, err
			}
			return p, time.UnixMilli(e.Time), nil
		}
	}
	return nil, time.Time{}, errors.New("service: no ceremony.params on the board")
}

// RunTrustee runs one trustee's side of the key ceremony until it ends and
// returns its key share.
func RunTrustee(ctx context.Context, b BoardAccess, id string, ident *trustee.Identity, poll time.Duration) (*ceremony.KeyShare, error) {
	es, err := ReadAll(ctx, b, id)
	if err != nil {
		return nil, err
	}
	p, start, err := ceremonyStart(es)
	if err != nil {
		return nil, err
	}
	t, err := ceremony.NewTrustee(ident, p, start)
	if err != nil {
		return nil, err
	}
	return t.Run(ctx, &TrusteeBoard{B: b, Election: id, ID: ident}, ceremony.SystemClock{}, poll, nil)
}

// PostCeremonyResult replays the ceremony from the board until it is over
// and posts its outcome as ceremony.result, signed by the board. It returns
// the ceremony's error if it failed.
func PostCeremonyResult(ctx context.Context, b BoardAccess, id string, poll time.Duration) error {
	for {
		now := b.Now().Add(-time.Second)
		es, err := ReadAll(ctx, b, id)
		if err != nil {
			return err
		}
		p, start, err := ceremonyStart(es)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.Type == record.TypeCeremonyEnd {
				return nil
			}
		}
		msgs := make([]ceremony.Posted, 0, len(es))
		for _, e := range es {
			msgs = append(msgs, rules.Posted(e))
		}
		st := ceremony.Replay(p, start, msgs, now)
		if st.Round == ceremony.RoundFinished {
			if st.Err != nil {
				return fmt.Errorf("service: the key ceremony failed: %w", st.Err)
			}
			payload := st.Result().Marshal()
			signer, sig, err := b.SignBoard(id, record.TypeCeremonyEnd, payload)
			if err != nil {
				return err
			}
			_, err = b.Submit(ctx, id, Submission{Type: record.TypeCeremonyEnd, Payload: payload, Signer: signer, Signature: sig})
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
	}
}

// Counted is the aggregate of the counted ballots of a closed election,
// recomputed from the board (e2e/SPEC.md §10.1, §11.6).
type Counted struct {
	State     *rules.State
	Layout    *tally.Layout
	Aggregate []elgamal.Ciphertext
	Count     uint64
}

// CountBoard replays the board through the rule book and aggregates the
// counted ballots.
func CountBoard(ctx context.Context, b BoardAccess, id string) (*Counted, error) {
	es, err := ReadAll(ctx, b, id)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: no election %q", ErrNotFound, id)
	}
	st, err := replay(es)
	if err != nil {
		return nil, err
	}
	if st.CloseIndex < 0 || st.Ballots == nil {
		return nil, fmt.Errorf("%w: election %s is not closed", ErrConflict, id)
	}
	idx := counted(st)
	items := func(yield func([]byte, error) bool) {
		for _, i := range idx {
			if !yield(es[i].Payload, nil) {
				return
			}
		}
	}
	agg, n, err := tally.Aggregate(ctx, st.Layout.Width(), 0, iter.Seq2[[]byte, error](items), st.Layout.Ciphertexts)
	if err != nil {
		return nil, err
	}
	return &Counted{State: st, Layout: st.Layout, Aggregate: agg, Count: n}, nil
}

// replay folds a board's entries, admitted already, through the rule
// book (rules.Pre.Replay).
func replay(es []*bulletin.Entry) (*rules.State, error) {
	st, err := rules.ForSetup(es[0])
	if err != nil {
		return nil, err
	}
	for _, e := range es {
		if err := st.Apply(e, &rules.Pre{Replay: true}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// PostShare computes a trustee's decryption shares of the aggregate it
// recomputes from the board and posts them (tally.share).
func PostShare(ctx context.Context, b BoardAccess, id string, ident *trustee.Identity, ks *ceremony.KeyShare) error {
	c, err := CountBoard(ctx, b, id)
	if err != nil {
		return err
	}
	if c.Count == 0 {
		return nil // nothing to decrypt: the result needs no shares
	}
	m, err := tally.DecryptShares(c.State.Ballots.BaseHash, ks, c.Aggregate, c.Count)
	if err != nil {
		return err
	}
	payload := m.Marshal()
	sig := ident.Sign(id, tally.TypeDecryptionShare, payload)
	pub := ident.Public()
	signer := record.Signer{Kind: record.Trustee, Key: pub.SigningKey}
	_, err = b.Submit(ctx, id, Submission{Type: tally.TypeDecryptionShare, Payload: payload, Signer: signer.Bytes(), Signature: sig[:]})
	return err
}

// PostTallyResult combines the posted decryption shares (once t valid ones
// are on the board) and posts the result as tally.result, signed by the
// board. It returns tally.ErrNotEnoughShares (wrapped) while too few are
// posted.
func PostTallyResult(ctx context.Context, b BoardAccess, id string) (*tally.Result, error) {
	c, err := CountBoard(ctx, b, id)
	if err != nil {
		return nil, err
	}
	st := c.State
	if st.Result != nil {
		return st.Result, nil
	}
	r, _, err := st.ComputeResult(&rules.Tally{Aggregate: c.Aggregate, Turnout: c.Count})
	if err != nil {
		return nil, err
	}
	payload := r.Marshal()
	signer, sig, err := b.SignBoard(id, tally.TypeResult, payload)
	if err != nil {
		return nil, err
	}
	if _, err := b.Submit(ctx, id, Submission{Type: tally.TypeResult, Payload: payload, Signer: signer, Signature: sig}); err != nil {
		return nil, err
	}
	return r, nil
}
