package elgamal

import (
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

func BenchmarkEncryptUint(b *testing.B) {
	_, pk := GenerateKey()
	r := group.RandomScalar()
	for b.Loop() {
		EncryptUint(pk, 1, r)
	}
}

func BenchmarkEncryptUintFixedBase(b *testing.B) {
	_, pk := GenerateKey()
	pk = group.NewFixedBase(pk).Point()
	r := group.RandomScalar()
	for b.Loop() {
		EncryptUint(pk, 1, r)
	}
}

func BenchmarkDecrypt(b *testing.B) {
	sk, pk := GenerateKey()
	c := EncryptUint(pk, 1, group.RandomScalar())
	for b.Loop() {
		c.Decrypt(sk)
	}
}

// Table for tallies up to 10^7, built once.
func BenchmarkDLogTable10M(b *testing.B) {
	for b.Loop() {
		NewDLog(10_000_000)
	}
}

// Worst case at 10^7: the largest value takes the most giant steps.
func BenchmarkDLogSolve10M(b *testing.B) {
	d := NewDLog(10_000_000)
	p := group.BaseMul(group.NewScalar(10_000_000))
	for b.Loop() {
		if m, err := d.Solve(p); err != nil || m != 10_000_000 {
			b.Fatal(m, err)
		}
	}
}

// A 0/1 selection with a table on the key and the bound known.
func BenchmarkEncryptUintMaxFixedBase(b *testing.B) {
	_, pk := GenerateKey()
	pk = group.NewFixedBase(pk).Point()
	r := group.RandomScalar()
	for b.Loop() {
		EncryptUintMax(pk, 1, 1, r)
	}
}
