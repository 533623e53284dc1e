package coord

import (
	"bytes"
	"encoding/hex"
	"fmt"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/elgamal"
)

// ciphertextMarker opens every selection's ciphertext in a ballot's
// canonical JSON (e2e/SPEC.md §7.3). In canonical JSON a quote inside a
// string is escaped, so the marker cannot occur inside a contest id or any
// other string; proofs have no "ciphertext" member.
var ciphertextMarker = []byte(`{"ciphertext":{"a":"`)

const ciphertextTail = 64 + len(`","b":"`) + 64 + len(`"}`)

// A ranked contest's part opens with ranksMarker and a homomorphic one's
// with selectionsMarker (§7.3); like the ciphertext marker they cannot
// occur inside a string.
var (
	ranksMarker      = []byte(`"ranks":[`)
	selectionsMarker = []byte(`"selections":[`)
)

// scanCiphertexts extracts the width selection ciphertexts of a ballot
// payload in document order, which for a ballot the board admitted is the
// layout's order (every homomorphic contest of the manifest in order, every
// option in order); the rank ciphertexts of ranked contests, which the
// layout excludes (§10.2), are skipped. It is the coordinator's fast path: it relies on the service
// having verified the ballot in full before appending it, decodes the
// points strictly (canonical, not the identity) and checks nothing else.
// A wrong aggregate could not pass unnoticed anyway: every trustee
// recomputes it with full verification, and decryption shares for another
// aggregate are rejected (e2e/SPEC.md §10.4).
func scanCiphertexts(payload []byte, width int) ([]elgamal.Ciphertext, error) {
	if len(payload) > ballot.MaxBallotSize {
		return nil, fmt.Errorf("coord: ballot of %d bytes", len(payload))
	}
	out := make([]elgamal.Ciphertext, 0, width)
	var buf [elgamal.CiphertextSize]byte
	rest := payload
	for {
		i := bytes.Index(rest, ciphertextMarker)
		if i < 0 {
			break
		}
		if r := bytes.Index(rest[:i], ranksMarker); r >= 0 {
			// A ranked part: go on at the next homomorphic contest.
			s := bytes.Index(rest[r:], selectionsMarker)
			if s < 0 {
				break
			}
			rest = rest[r+s:]
			continue
		}
		rest = rest[i+len(ciphertextMarker):]
		if len(out) == width || len(rest) < ciphertextTail ||
			string(rest[64:64+len(`","b":"`)]) != `","b":"` || string(rest[ciphertextTail-2:ciphertextTail]) != `"}` {
			return nil, fmt.Errorf("coord: ballot: malformed or extra ciphertext %d", len(out))
		}
		if !lowerHex(rest[:64]) || !lowerHex(rest[71:135]) {
			return nil, fmt.Errorf("coord: ballot: ciphertext %d is not lowercase hexadecimal", len(out))
		}
		hex.Decode(buf[:32], rest[:64])
		hex.Decode(buf[32:], rest[71:135])
		c, err := elgamal.DecodeCiphertext(buf[:])
		if err != nil {
			return nil, fmt.Errorf("coord: ballot: ciphertext %d: %w", len(out), err)
		}
		out = append(out, c)
		rest = rest[ciphertextTail:]
	}
	if len(out) != width {
		return nil, fmt.Errorf("coord: ballot has %d ciphertexts, want %d", len(out), width)
	}
	return out, nil
}

func lowerHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
