package main

import (
	"errors"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/cmd/internal/officialkey"
)

// The stable codes of the client's errors: every {"error"} the functions
// return carries one as "code", beside the message, so that the pages
// show a translated sentence per code (the catalogues' "code.<code>",
// assets/common.js) and the message as detail. The message is English
// and may change; a code may not.
const (
	codeBadInput      = "bad_input"
	codeNoElection    = "no_election"
	codeElection      = "election_inconsistent"
	codeUnknown       = "unknown_encryption"
	codeRevealed      = "revealed"
	codeSubmitted     = "already_submitted"
	codeTooMany       = "too_many"
	codeWrongBallot   = "wrong_ballot"
	codeWrongReceipt  = "wrong_receipt"
	codeNoKey         = "no_key"
	codeNoRoll        = "no_roll"
	codeBadManifest   = "bad_manifest"
	codeKeyPassphrase = "key_passphrase"
	codeKeyKind       = "key_kind"
	codeKeyDamaged    = "key_damaged"
	codeCredential    = "credential_invalid"
	codeTracking      = "tracking_invalid"
	codeChoices       = "choices_invalid"
	codeBallot        = "ballot_invalid"
	codeSpoiled       = "spoiled_mismatch"
	codeInternal      = "internal"
	codeClient        = "client_error"
)

// errorCodes maps the errors the functions return to their codes; the
// first match wins (errors.Is), so a wrapped sentinel is found.
var errorCodes = []struct {
	err  error
	code string
}{
	{errBadForm, codeBadManifest},
	{errBadInput, codeBadInput},
	{errNoElection, codeNoElection},
	{errElection, codeElection},
	{errUnknown, codeUnknown},
	{errRevealed, codeRevealed},
	{errCast, codeSubmitted},
	{errTooMany, codeTooMany},
	{errWrongBallot, codeWrongBallot},
	{errWrongReceipt, codeWrongReceipt},
	{errNoKey, codeNoKey},
	{errNoRoll, codeNoRoll},
	{errInternal, codeInternal},
	{officialkey.ErrPassphrase, codeKeyPassphrase},
	{officialkey.ErrOtherKind, codeKeyKind},
	{officialkey.ErrCorrupt, codeKeyDamaged},
	{ballot.ErrInvalidManifest, codeBadManifest},
	{ballot.ErrInvalidCredential, codeCredential},
	{ballot.ErrInvalidTrackingCode, codeTracking},
	{ballot.ErrInvalidChoices, codeChoices},
	{ballot.ErrOverVote, codeChoices},
	{ballot.ErrUnderVote, codeChoices},
	{ballot.ErrSpoiledMismatch, codeSpoiled},
	{ballot.ErrWrongElection, codeElection},
	{ballot.ErrMalformed, codeBallot},
	{ballot.ErrInvalidBallot, codeBallot},
	{ballot.ErrInternal, codeInternal},
}

// errInternal is what a panic (a bug) is reported as, without its value.
var errInternal = errors.New("tabellawasm: internal error")

// errorCode returns the stable code of err: the code of the first
// sentinel it wraps, else codeClient.
func errorCode(err error) string {
	for _, ec := range errorCodes {
		if errors.Is(err, ec.err) {
			return ec.code
		}
	}
	return codeClient
}

// errorDoc is the document of a failed call: {"error": message, "code": code}.
func errorDoc(err error) map[string]string {
	return map[string]string{"error": err.Error(), "code": errorCode(err)}
}
