package ballot

import (
	"fmt"
)

// Tracking code format (e2e/SPEC.md §7.7).
const (
	trackingDataSymbols = 15 // 75 bits of the ballot's tracking hash
	trackingSymbols     = trackingDataSymbols + 1
	maxTrackingInput    = 64
	tagTrackingCheck    = "tabella/v1 tracking-code-check"
)

// A TrackingCode is the short, human-readable name of a cast ballot, derived
// from its hash (e2e/SPEC.md §7.7): 16 Crockford base32 symbols in four
// groups, e.g. "7QKD-2M9X-H0RT-VW5C". The first 15 symbols are the first 75
// bits of taggedHash("tabella/v1 tracking-code", ballot hash); the last is a
// check symbol so that a mistyped code is detected. The zero value is not a
// valid code.
type TrackingCode string

// NewTrackingCode derives the tracking code of the ballot with the given
// [Ballot.Hash].
func NewTrackingCode(ballotHash [32]byte) TrackingCode {
	h := taggedHash(tagTrackingCode, ballotHash[:])
	data := make([]byte, trackingDataSymbols)
	for i := range data {
		data[i] = base32Alphabet[bitsAt(h[:], 5*i)]
	}
	return TrackingCode(groupSymbols(string(data)+string(trackingCheck(data)), 4))
}

// trackingCheck is the check symbol over the 15 data symbols (ASCII): the
// top 5 bits of taggedHash("tabella/v1 tracking-code-check", symbols).
func trackingCheck(data []byte) byte {
	h := taggedHash(tagTrackingCheck, data)
	return base32Alphabet[h[0]>>3]
}

// ParseTrackingCode normalises a tracking code typed by a person (any case,
// spaces and hyphens anywhere, Crockford aliases O→0, I→1, L→1) and checks
// its length, alphabet and check symbol. It returns the canonical form.
func ParseTrackingCode(s string) (TrackingCode, error) {
	if len(s) > maxTrackingInput {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrInvalidTrackingCode, len(s), maxTrackingInput)
	}
	norm := normalizeSymbols(s)
	if len(norm) != trackingSymbols {
		return "", fmt.Errorf("%w: %d symbols, want %d", ErrInvalidTrackingCode, len(norm), trackingSymbols)
	}
	for i := 0; i < len(norm); i++ {
		if !isSymbol(norm[i]) {
			return "", fmt.Errorf("%w: invalid symbol at position %d", ErrInvalidTrackingCode, i+1)
		}
	}
	data := []byte(norm[:trackingDataSymbols])
	if trackingCheck(data) != norm[trackingDataSymbols] {
		return "", fmt.Errorf("%w: check symbol mismatch (typo?)", ErrInvalidTrackingCode)
	}
	return TrackingCode(groupSymbols(norm, 4)), nil
}

func isSymbol(c byte) bool {
	for i := 0; i < len(base32Alphabet); i++ {
		if base32Alphabet[i] == c {
			return true
		}
	}
	return false
}

// String returns the canonical form.
func (c TrackingCode) String() string { return string(c) }
