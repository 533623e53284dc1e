package board

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tabella-vote/tabella/bulletin"
)

// An AdmitFunc is the admission hook of a board ([Options.Admit]). The
// board calls it inside the append transaction, after the log's head is
// locked and before indexes are assigned, with the batch's new submissions
// (retries of entries already in the log and repeats within the batch are
// left out) in the order they will be appended. It returns one error per
// submission (or a nil or short slice when all are admitted): a non-nil
// error rejects that submission only; its caller gets the error from
// [Board.Append] and the rest of the batch proceeds.
//
// Because the head is locked, no other process can append to the log while
// the hook runs, so a decision taken against view holds when the entries
// are written: the layer above gets atomic "check then append" even with
// several processes on one PostgreSQL database. The hook must be cheap (it
// runs while the log is locked) and must not call Append.
type AdmitFunc func(ctx context.Context, election string, view AdmitView, subs []Submission) []error

// An AdmitView is the log as an [AdmitFunc] sees it: its committed entries
// and the time the new entries will carry.
type AdmitView interface {
	// Size is the number of entries committed before this batch; the
	// admitted submissions get indexes Size, Size+1, … in order.
	Size() uint64
	// Last is the entry hash of entry Size()-1 (zero for an empty log):
	// the prev of the first admitted entry.
	Last() bulletin.Hash
	// Time is the board time, in unix milliseconds, that every entry of
	// this batch will carry.
	Time() int64
	// Entries returns the committed entries start <= index < min(end,
	// Size()), at most bulletin.MaxPage of them, verified like
	// [Board.Entries].
	Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error)
}

// ErrNotAdmitted is wrapped by every error of [Board.Append] that comes
// from the admission hook.
var ErrNotAdmitted = errors.New("board: not admitted")

// An AdmitError is returned by [Board.Append] when the admission hook
// rejected some of the call's submissions. Errs has one element per
// submission of the call, nil for those appended (whose receipts Append
// returns at the same positions).
type AdmitError struct {
	Errs []error
}

// Error names each rejected submission of the call and why.
func (e *AdmitError) Error() string {
	var parts []string
	for i, err := range e.Errs {
		if err != nil {
			parts = append(parts, fmt.Sprintf("submission %d: %v", i, err))
		}
	}
	return "board: not admitted: " + strings.Join(parts, "; ")
}

// Unwrap returns [ErrNotAdmitted] and the rejections, so errors.Is and
// errors.As see the hook's own errors.
func (e *AdmitError) Unwrap() []error {
	out := []error{ErrNotAdmitted}
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// admitView is the AdmitView of one transaction.
type admitView struct {
	b        *Board
	election string
	size     uint64
	last     bulletin.Hash
	time     int64
}

func (v *admitView) Size() uint64 { return v.size }
func (v *admitView) Time() int64  { return v.time }

// Last returns the hash of the last committed entry.
func (v *admitView) Last() bulletin.Hash { return v.last }

// Entries reads through the store rather than the transaction: the head
// is locked by the transaction, so the committed log is exactly the
// transaction's view up to Size.
func (v *admitView) Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
	if start > v.size {
		return nil, fmt.Errorf("%w: %s: entry %d is beyond the log size %d", ErrNotFound, v.election, start, v.size)
	}
	return v.b.Entries(ctx, v.election, start, min(end, v.size))
}

// admit runs the admission hook on the batch's new submissions and returns
// the rejection of each submission key (nil map when all are admitted).
func (b *Board) admit(ctx context.Context, election string, view AdmitView, batch []*request, found map[bulletin.Hash]struct{}) (map[bulletin.Hash]error, error) {
	if b.opts.Admit == nil {
		return nil, nil
	}
	var subs []Submission
	var keys []bulletin.Hash
	seen := map[bulletin.Hash]bool{}
	for _, r := range batch {
		for j, s := range r.subs {
			k := r.keys[j]
			if _, ok := found[k]; ok || seen[k] {
				continue
			}
			seen[k] = true
			subs = append(subs, s)
			keys = append(keys, k)
		}
	}
	if len(subs) == 0 {
		return nil, nil
	}
	errs := b.opts.Admit(ctx, election, view, subs)
	if len(errs) > len(subs) {
		return nil, fmt.Errorf("board: internal error: admission hook returned %d errors for %d submissions", len(errs), len(subs))
	}
	var out map[bulletin.Hash]error
	for i, err := range errs {
		if err != nil {
			if out == nil {
				out = map[bulletin.Hash]error{}
			}
			out[keys[i]] = err
		}
	}
	return out, nil
}

// Elections lists the elections (logs) that have at least one entry.
func (b *Board) Elections(ctx context.Context) ([]string, error) {
	ls, err := b.st.Logs(ctx)
	if err != nil {
		return nil, fmt.Errorf("board: listing elections: %w", err)
	}
	return ls, nil
}
