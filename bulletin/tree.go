package bulletin

import "golang.org/x/mod/sumdb/tlog"

// A Tree computes the RFC 6962 root of a growing log from its entry hashes
// in O(log n) memory (a compact range): what a verifier or follower needs
// to check that a checkpoint commits to the entries it holds
// (e2e/SPEC.md §8.3).
type Tree struct {
	size  uint64
	stack []treeNode
}

type treeNode struct {
	level int
	h     tlog.Hash
}

// Size returns the number of leaves added.
func (t *Tree) Size() uint64 { return t.size }

// Add appends the leaf of an entry hash and returns the tree hashes it
// completes, in tlog's stored-hash order: the leaf hash, then the interior
// hashes at levels 1, 2, … (the values tlog.StoredHashes returns).
func (t *Tree) Add(entryHash Hash) []tlog.Hash {
	leaf := tlog.RecordHash(entryHash[:])
	out := []tlog.Hash{leaf}
	t.stack = append(t.stack, treeNode{0, leaf})
	for n := len(t.stack); n >= 2 && t.stack[n-1].level == t.stack[n-2].level; n = len(t.stack) {
		l, r := t.stack[n-2], t.stack[n-1]
		x := tlog.NodeHash(l.h, r.h)
		t.stack = append(t.stack[:n-2], treeNode{l.level + 1, x})
		out = append(out, x)
	}
	t.size++
	return out
}

// Root returns the RFC 6962 tree hash of the leaves added so far (the zero
// hash for an empty tree, as tlog.TreeHash).
func (t *Tree) Root() Hash {
	if len(t.stack) == 0 {
		return Hash{}
	}
	r := t.stack[len(t.stack)-1].h
	for i := len(t.stack) - 2; i >= 0; i-- {
		r = tlog.NodeHash(t.stack[i].h, r)
	}
	return Hash(r)
}

// Clone returns an independent copy of t.
func (t *Tree) Clone() Tree {
	return Tree{size: t.size, stack: append([]treeNode(nil), t.stack...)}
}
