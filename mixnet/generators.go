package mixnet

import (
	"crypto"
	"encoding/binary"
	"sync"

	"github.com/cloudflare/circl/expander"
	"github.com/gtank/ristretto255"
	"github.com/tabella-vote/tabella/ballot/group"
)

// GeneratorDST is the RFC 9380 domain separation tag of the commitment
// generators (e2e/SPEC.md §14.4).
const GeneratorDST = "tabella-v1-mixnet-generators"

// hashToGroup is RFC 9380's hash_to_ristretto255 with expand_message_xmd
// over SHA-512 (suite ristretto255_XMD:SHA-512_R255MAP_RO_) under
// GeneratorDST: 64 uniform bytes mapped with the ristretto255 one-way map
// (RFC 9496 §4.3.4). ballot/group has no hash-to-point, so this one sits here
// and uses gtank/ristretto255's element derivation; the point crosses into
// group.Point through its canonical encoding (e2e/SPEC.md §14.4).
func hashToGroup(msg []byte) *group.Point {
	u := expander.NewExpanderMD(crypto.SHA512, []byte(GeneratorDST)).Expand(msg, 64)
	var e ristretto255.Element
	e.FromUniformBytes(u)
	p, err := group.DecodeElement(e.Encode(nil))
	if err != nil {
		// The map's output has a canonical encoding and is the identity only
		// for a 2^-250 fraction of inputs, none of which a hash hits.
		panic("mixnet: internal error: generator is not a group element")
	}
	return p
}

// generator returns generator number i: hash_to_ristretto255(u64be(i)).
// Number 0 is h, the base of the product chain; 1..N are h_1..h_N, the bases
// of the permutation commitment.
func generator(i uint64) *group.Point {
	return hashToGroup(binary.BigEndian.AppendUint64(nil, i))
}

// The generators are public constants, so they are derived once per process
// and kept: the cache grows to the largest N asked for.
var gens struct {
	sync.Mutex
	h    *group.FixedBase // table for generator 0
	list []*group.Point   // list[i] is generator i+1
}

// generators returns the chain base h (with a precomputed table) and
// h_1..h_n, deriving the missing ones in parallel.
func generators(n int) (*group.FixedBase, []*group.Point) {
	gens.Lock()
	defer gens.Unlock()
	if gens.h == nil {
		gens.h = group.NewFixedBase(generator(0))
	}
	if have := len(gens.list); have < n {
		more := make([]*group.Point, n-have)
		parallel(len(more), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				more[i] = generator(uint64(have + i + 1))
			}
		})
		gens.list = append(gens.list, more...)
	}
	return gens.h, gens.list[:n:n]
}
