// Package e2e holds the specification (SPEC.md), the universal verifier and
// the whole-election tests.
package e2e
