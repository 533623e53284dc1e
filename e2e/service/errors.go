package service

import (
	"context"
	"errors"
	"net/http"

	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/rules"
)

// Sentinel errors. Every rejection wraps exactly one of them, with detail
// naming what failed; [ErrorCode] maps them to the stable codes of the API.
// The reasons of the election rules are the rule book's (e2e/rules): a
// refusal by a rule is a *rules.Violation, which also names the rule.
var (
	ErrMalformed     = rules.ErrMalformed
	ErrWrongElection = rules.ErrWrongElection
	ErrNotOpen       = rules.ErrNotOpen
	ErrClosed        = rules.ErrClosed
	ErrNotOnRoll     = rules.ErrNotOnRoll
	ErrBadSignature  = rules.ErrBadSignature
	ErrBadProof      = rules.ErrBadProof
	ErrSpoiled       = rules.ErrSpoiled
	ErrConflict      = rules.ErrConflict
	ErrForbidden     = rules.ErrForbidden

	ErrTooLarge    = errors.New("service: too large")
	ErrRateLimited = errors.New("service: rate limited")
	ErrNotFound    = errors.New("service: not found")
	ErrUnavailable = errors.New("service: unavailable")
	// ErrInternal is a failure of the server itself (a recovered panic):
	// the request failed, the server logged it and keeps serving.
	ErrInternal = errors.New("service: internal error")
)

// Stable error codes of the write API (e2e/SPEC.md §11.8).
const (
	CodeMalformed     = "malformed"
	CodeTooLarge      = "too_large"
	CodeWrongElection = "wrong_election"
	CodeNotOpen       = "not_open"
	CodeClosed        = "closed"
	CodeNotOnRoll     = "not_on_roll"
	CodeBadSignature  = "bad_signature"
	CodeBadProof      = "bad_proof"
	CodeSpoiled       = "spoiled"
	CodeConflict      = "conflict"
	CodeForbidden     = "forbidden"
	CodeRateLimited   = "rate_limited"
	CodeNotFound      = "not_found"
	CodeUnavailable   = "unavailable"
	CodeInternal      = "internal"
)

var codes = []struct {
	err    error
	code   string
	status int
}{
	{ErrMalformed, CodeMalformed, http.StatusBadRequest},
	{ErrTooLarge, CodeTooLarge, http.StatusRequestEntityTooLarge},
	{ErrWrongElection, CodeWrongElection, http.StatusBadRequest},
	{ErrNotOpen, CodeNotOpen, http.StatusForbidden},
	{ErrClosed, CodeClosed, http.StatusForbidden},
	{ErrNotOnRoll, CodeNotOnRoll, http.StatusForbidden},
	{ErrBadSignature, CodeBadSignature, http.StatusForbidden},
	{ErrBadProof, CodeBadProof, http.StatusBadRequest},
	{ErrSpoiled, CodeSpoiled, http.StatusConflict},
	{ErrConflict, CodeConflict, http.StatusConflict},
	{ErrForbidden, CodeForbidden, http.StatusForbidden},
	{ErrRateLimited, CodeRateLimited, http.StatusTooManyRequests},
	{ErrNotFound, CodeNotFound, http.StatusNotFound},
	{ErrUnavailable, CodeUnavailable, http.StatusServiceUnavailable},
	{ErrInternal, CodeInternal, http.StatusInternalServerError},
}

// ErrorCode maps an error to its stable code and HTTP status: the one place
// where that happens. Errors of the layers below are classified too.
func ErrorCode(err error) (code string, status int) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, board.ErrTooLarge):
		return CodeTooLarge, http.StatusRequestEntityTooLarge
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, board.ErrClosed):
		return CodeUnavailable, http.StatusServiceUnavailable
	case errors.Is(err, board.ErrBadRequest):
		return CodeMalformed, http.StatusBadRequest
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code, c.status
		}
	}
	return CodeInternal, http.StatusInternalServerError
}
