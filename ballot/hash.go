package ballot

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/tabella-vote/tabella/ballot/group"
)

// Domain tags of the hashes defined in e2e/SPEC.md §6 and §7. Every hash in
// this package is [taggedHash] under one of them.
const (
	tagManifest     = "tabella/v1 manifest"
	tagBaseHash     = "tabella/v1 base-hash"
	tagBallotBody   = "tabella/v1 ballot-body"
	tagBallot       = "tabella/v1 ballot"
	tagTrackingCode = "tabella/v1 tracking-code"
	tagCredCheck    = "tabella/v1 credential-check"
)

// Fiat-Shamir protocol tags of the proofs a ballot carries (e2e/SPEC.md §7.5).
const (
	protoSelection = "tabella/v1 selection"
	protoSum       = "tabella/v1 contest-sum"
	protoRank      = "tabella/v1 rank"
	protoSignature = "tabella/v1 ballot-signature"
)

// credentialDST is the RFC 9380 domain separation tag that maps a printable
// credential's seed to its secret scalar (e2e/SPEC.md §7.1).
const credentialDST = "tabella-v1-credential-secret"

// taggedHash is the domain-separated hash of e2e/SPEC.md §6.3:
//
//	SHA-256( u32be(len(tag)) || tag || for each field: u64be(len(field)) || field )
func taggedHash(tag string, fields ...[]byte) [32]byte {
	h := sha256.New()
	var n [8]byte
	binary.BigEndian.PutUint32(n[:4], uint32(len(tag)))
	h.Write(n[:4])
	h.Write([]byte(tag))
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// BaseHash returns the election's base hash, the context every proof of the
// election binds (e2e/SPEC.md §6.3):
//
//	taggedHash("tabella/v1 base-hash", manifestHash, jointKey, ceremonyHash)
//
// manifestHash is [Manifest.Hash] of the election's manifest, jointKey the
// threshold public key the trustees produced, ceremonyHash the hash of the key
// ceremony's record (defined by the tally area, e2e/SPEC.md §9).
func BaseHash(manifestHash [32]byte, jointKey *group.Point, ceremonyHash [32]byte) [32]byte {
	k := jointKey.Bytes()
	return taggedHash(tagBaseHash, manifestHash[:], k[:], ceremonyHash[:])
}
