package elgamal

import (
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

func BenchmarkEncryptUint(b *testing.B) {
	_, pk := GenerateKey()
	r := group.RandomScalar()
	start := cpuTime()
	for b.Loop() {
		EncryptUint(pk, 1, r)
	}
	reportCPU(b, start)
}

func BenchmarkEncryptUintFixedBase(b *testing.B) {
	_, pk := GenerateKey()
	pk = group.NewFixedBase(pk).Point()
	r := group.RandomScalar()
	start := cpuTime()
	for b.Loop() {
		EncryptUint(pk, 1, r)
	}
	reportCPU(b, start)
}

func BenchmarkDecrypt(b *testing.B) {
	sk, pk := GenerateKey()
	c := EncryptUint(pk, 1, group.RandomScalar())
	start := cpuTime()
	for b.Loop() {
		c.Decrypt(sk)
	}
	reportCPU(b, start)
}

// Table for tallies up to 10^7, built once.
func BenchmarkDLogTable10M(b *testing.B) {
	start := cpuTime()
	for b.Loop() {
		NewDLog(10_000_000)
	}
	reportCPU(b, start)
}

// Worst case at 10^7: the largest value takes the most giant steps.
func BenchmarkDLogSolve10M(b *testing.B) {
	d := NewDLog(10_000_000)
	p := group.BaseMul(group.NewScalar(10_000_000))
	start := cpuTime()
	for b.Loop() {
		if m, err := d.Solve(p); err != nil || m != 10_000_000 {
			b.Fatal(m, err)
		}
	}
	reportCPU(b, start)
}

// A 0/1 selection with a table on the key and the bound known.
func BenchmarkEncryptUintMaxFixedBase(b *testing.B) {
	_, pk := GenerateKey()
	pk = group.NewFixedBase(pk).Point()
	r := group.RandomScalar()
	start := cpuTime()
	for b.Loop() {
		EncryptUintMax(pk, 1, 1, r)
	}
	reportCPU(b, start)
}
