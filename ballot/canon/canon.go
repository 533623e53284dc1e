// Package canon decodes JSON strictly and canonically (e2e/SPEC.md §1.1):
// unknown fields, trailing data, oversized input and any document that is not
// byte-identical to its canonical re-encoding are rejected, so every value
// has exactly one accepted encoding and hashes over stored bytes are
// unambiguous.
package canon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNotCanonical is returned for well-formed JSON that is not in canonical
// form (whitespace, field order, escaping, number form, duplicate fields).
var ErrNotCanonical = errors.New("canon: JSON is not in canonical form")

// ErrTooLarge is returned for input over the caller's size limit.
var ErrTooLarge = errors.New("canon: input too large")

// Marshal returns the canonical encoding of v.
func Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes data into v strictly and canonically. maxSize bounds the
// input in bytes (0 means no bound; callers handling untrusted input must
// set one). On error, v must be discarded.
func Unmarshal(data []byte, v any, maxSize int) error {
	if maxSize > 0 && len(data) > maxSize {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), maxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("canon: %w", err)
	}
	if dec.More() {
		return errors.New("canon: trailing data after JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("canon: trailing data after JSON value")
	}
	again, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("canon: re-encoding: %w", err)
	}
	if !bytes.Equal(again, data) {
		return ErrNotCanonical
	}
	return nil
}
