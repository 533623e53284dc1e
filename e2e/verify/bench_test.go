package verify

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/verify/internal/electiontest"
)

// benchRecord returns the path of a record of n ballots of manifest m
// (W1 or W2 of the core issue: 1 contest of 2 options, 10 contests of 5),
// built once and cached in the temporary directory across runs. 1% of the
// voters cast a second ballot and 0.1% spoil one.
func benchRecord(b *testing.B, name string, m *ballot.Manifest, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "tabella-verify-bench")
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.record", name, n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Logf("building %s (once)", path)
	e, err := electiontest.Build(electiontest.Config{Manifest: m, Voters: n, Ballots: n, Revotes: n / 100, Spoils: n / 1000, CheckpointEvery: 1000})
	if err != nil {
		b.Fatal(err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := e.Write(w); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// cpuTime returns the CPU time (user + system) the process has used: the
// machine is shared, so besides wall time the benchmarks report CPU time,
// which other load disturbs less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchVerify(b *testing.B, path string) {
	var rep *Report
	cpu0 := cpuTime()
	n := 0
	for b.Loop() {
		n++
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rep, err = Record(context.Background(), bufio.NewReaderSize(f, 1<<20), Options{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu := (cpuTime() - cpu0) / time.Duration(n)
	t := rep.Timings
	b.ReportMetric(cpu.Seconds(), "cpu-s/op")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(rep.Counts.Ballots), "cpu-ns/ballot")
	b.ReportMetric(float64(rep.Counts.Ballots)/t.Total.Seconds(), "ballots/s")
	b.ReportMetric(float64(t.Total.Nanoseconds())/float64(rep.Counts.Ballots), "ns/ballot")
	b.ReportMetric(t.Read.Seconds(), "read-s")
	b.ReportMetric(t.Decode.Seconds(), "decode-s")
	b.ReportMetric(t.Proofs.Seconds(), "proofs-s")
	b.ReportMetric(t.Tally.Seconds(), "tally-s")
	b.ReportMetric(t.Ceremony.Seconds(), "ceremony-s")
}

// BenchmarkVerifyW1x1e4 verifies a record of 10^4 W1 ballots.
func BenchmarkVerifyW1x1e4(b *testing.B) {
	benchVerify(b, benchRecord(b, "w1", electiontest.OneOfN(1, 2), 10_000))
}

// BenchmarkVerifyW1x1e5 verifies a record of 10^5 W1 ballots (target:
// under 60 s on 2 cores).
func BenchmarkVerifyW1x1e5(b *testing.B) {
	benchVerify(b, benchRecord(b, "w1", electiontest.OneOfN(1, 2), 100_000))
}

// BenchmarkVerifyW2x1e4 verifies a record of 10^4 W2 ballots.
func BenchmarkVerifyW2x1e4(b *testing.B) {
	benchVerify(b, benchRecord(b, "w2", electiontest.OneOfN(10, 5), 10_000))
}
