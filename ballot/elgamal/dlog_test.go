package elgamal

import (
	"errors"
	"sync"
	"testing"

	"github.com/tabella-vote/tabella/ballot/group"
)

func mG(m uint64) *group.Point { return group.BaseMul(group.NewScalar(m)) }

func TestDLogBounds(t *testing.T) {
	for _, max := range []uint64{0, 1, 2, 10, 1000, 70000, 200000} {
		d := NewDLog(max)
		for _, m := range []uint64{0, 1, max / 2, max - min(max, 1), max} {
			if m > max {
				continue
			}
			got, err := d.Solve(mG(m))
			if err != nil || got != m {
				t.Errorf("max %d: Solve(%d·G) = %d, %v", max, m, got, err)
			}
		}
		if _, err := d.Solve(mG(max + 1)); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("max %d: Solve((max+1)·G) err = %v, want ErrOutOfRange", max, err)
		}
		// −1 = ℓ−1 is out of range.
		if _, err := d.Solve(group.BaseMul(group.NewScalarInt(-1))); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("max %d: Solve(−G) err = %v, want ErrOutOfRange", max, err)
		}
	}
}

func TestDLogRandomPointOutOfRange(t *testing.T) {
	d := NewDLog(1000)
	if _, err := d.Solve(group.BaseMul(group.RandomScalar())); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("random point: err = %v, want ErrOutOfRange", err)
	}
	if _, err := d.Solve(nil); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("nil point: err = %v", err)
	}
}

// Every value near the boundaries between giant steps.
func TestDLogGiantStepBoundaries(t *testing.T) {
	const max = 3 * maxBabySteps
	d := NewDLog(max)
	for _, k := range []uint64{1, 2, 3} {
		for _, delta := range []int64{-1, 0, 1} {
			m := uint64(int64(k*d.n) + delta)
			if m > max {
				continue
			}
			if got, err := d.Solve(mG(m)); err != nil || got != m {
				t.Errorf("Solve(%d·G) = %d, %v", m, got, err)
			}
		}
	}
}

func TestDLogDecryptTally(t *testing.T) {
	sk, pk := GenerateKey()
	sum := Zero()
	for range 40 {
		sum = sum.Add(EncryptUint(pk, 3, group.RandomScalar()))
	}
	d := NewDLog(200)
	if got, err := d.Solve(sum.Decrypt(sk)); err != nil || got != 120 {
		t.Fatalf("tally = %d, %v; want 120", got, err)
	}
}

func TestDLogConcurrent(t *testing.T) {
	d := NewDLog(100000)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := uint64(i * 12345)
			if got, err := d.Solve(mG(m)); err != nil || got != m {
				t.Errorf("Solve(%d·G) = %d, %v", m, got, err)
			}
		}()
	}
	wg.Wait()
}
