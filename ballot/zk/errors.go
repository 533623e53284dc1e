package zk

import "errors"

// Errors returned by the verifiers and decoders, always wrapped with what
// failed (which proof, which branch, which check); test with errors.Is.
var (
	// ErrInvalidProof: the proof is well formed but a verification
	// equation or the challenge sum does not hold.
	ErrInvalidProof = errors.New("zk: invalid proof")
	// ErrMalformed: the proof or statement has the wrong shape (lengths,
	// nil values, identity where it is degenerate, range too wide) or its
	// encoding is not canonical.
	ErrMalformed = errors.New("zk: malformed proof or statement")
)
