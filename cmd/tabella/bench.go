package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// `tabella bench cast`: ballots per second over HTTP, end to end.

const benchCastUsage = `Usage: tabella bench cast [--workload W1|W2] [--ballots N] [--clients C] [--store DSN]

Measures casting end to end: a server on 127.0.0.1 (board on --store,
default SQLite in a temporary directory; a postgres:// URL for PostgreSQL),
an open election with N voters (on PostgreSQL, in a fresh schema dropped
afterwards), and C concurrent HTTP clients casting
pre-encrypted ballots (encryption is done before the clock starts). Each
ballot is decoded, verified (batched), admitted and appended durably
before its receipt is returned.

Reports ballots per second, the p50 and p99 latency of a cast, the process
CPU time per ballot, and the share of it spent verifying ballots (the CPU
time of ballot.VerifyBatch over the same ballots, measured separately).

Workloads: W1 = 1 contest, 1-of-2; W2 = 10 contests × 5 options, 1-of-n.
`

const benchCastExample = `tabella bench cast --workload W1 --ballots 5000 --clients 64
tabella bench cast --workload W2 --store postgres://tabella:tabella@127.0.0.1/bench`

func init() {
	register(&command{name: "bench cast", summary: "benchmark casting ballots over HTTP", usage: benchCastUsage, example: benchCastExample, run: runBenchCast})
}

// benchManifest returns the W1 or W2 manifest.
func benchManifest(id, workload string) (*ballot.Manifest, error) {
	contests, options := 1, 2
	switch workload {
	case "W1", "w1":
	case "W2", "w2":
		contests, options = 10, 5
	default:
		return nil, fmt.Errorf("%w: --workload must be W1 or W2", errUsage)
	}
	now := time.Now()
	m := &ballot.Manifest{Version: ballot.Version, ElectionID: id, Title: "Benchmark " + workload,
		Schedule: ballot.Schedule{Opens: now.Add(-time.Hour).UTC().Format(ballot.TimeLayout), Closes: now.Add(24 * time.Hour).UTC().Format(ballot.TimeLayout)}}
	for c := range contests {
		ct := ballot.Contest{ID: fmt.Sprintf("c%d", c), Title: fmt.Sprintf("Contest %d", c), Kind: ballot.OneOfN, MinSelections: 1, MaxSelections: 1}
		for o := range options {
			ct.Options = append(ct.Options, ballot.Option{ID: fmt.Sprintf("o%d", o), Title: fmt.Sprintf("Option %d", o)})
		}
		m.Contests = append(m.Contests, ct)
	}
	return m, nil
}

func runBenchCast(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench cast")
	workload := fs.String("workload", "W1", "the ballot shape: W1 or W2")
	n := fs.Int("ballots", 3000, "ballots (and voters) `N`")
	clients := fs.Int("clients", 64, "concurrent HTTP clients `C`")
	dsn := fs.String("store", "", "board store `DSN`: sqlite:PATH or a postgres:// URL (default: SQLite in a temporary directory)")
	workers := fs.Int("verify-workers", 0, "concurrent ballot batch verifications `N` (0: the server's default)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the casting phase to `FILE`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || *clients < 1 {
		return fmt.Errorf("%w: --ballots and --clients must be positive", errUsage)
	}
	id := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	m, err := benchManifest(id, *workload)
	if err != nil {
		return err
	}
	if strings.HasPrefix(*dsn, "postgres") {
		// A fresh schema: a board refuses to open logs signed by another
		// board key, and the benchmark makes a new key each run.
		scoped, drop, err := benchSchema(ctx, *dsn)
		if err != nil {
			return err
		}
		defer drop()
		*dsn = scoped
	}
	if *dsn == "" {
		dir, err := os.MkdirTemp("", "tabella-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		*dsn = "sqlite:" + filepath.Join(dir, "board.db")
	}
	skey, _, err := note.GenerateKey(rand.Reader, "bench.tabella")
	if err != nil {
		return err
	}
	off := service.Official{Key: newOfficialKey()}
	srv, err := startServer(ctx, serverConfig{dsn: *dsn, addr: "127.0.0.1:0", boardKey: skey,
		officials: []ed25519.PublicKey{off.Public()}, logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		svc:  service.Options{VerifyWorkers: *workers},
		http: service.HTTPOptions{IPRate: 1e9, IPBurst: 1e9}})
	if err != nil {
		return err
	}
	defer srv.shutdown()
	c := service.NewClient(srv.url)
	c.HC = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}}
	quiet := &env{stdout: io.Discard, stderr: io.Discard}
	ident, err := trustee.Generate("Bench trustee")
	if err != nil {
		return err
	}
	manifest, err := m.Encode()
	if err != nil {
		return err
	}
	if err := createElection(ctx, quiet, c, off, []ed25519.PublicKey{off.Public()}, m, manifest, []trustee.Public{*ident.Public()}, 1, 30*time.Second); err != nil {
		return err
	}
	creds := make([]*ballot.Credential, *n)
	for i := range creds {
		creds[i] = ballot.NewCredential()
	}
	if err := postRoll(ctx, quiet, c, off, id, creds, true); err != nil {
		return err
	}
	if _, err := service.RunTrustee(ctx, srv.svc.Backend(), id, ident, 20*time.Millisecond); err != nil {
		return err
	}
	el, err := waitKey(ctx, c, id)
	if err != nil {
		return err
	}
	if _, err := c.Submit(ctx, id, off.Sign(id, record.TypeOpen, service.PhasePayload(id))); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "encrypting %d %s ballots…\n", *n, *workload)
	subs := make([]service.Submission, *n)
	ballots := make([]*ballot.Ballot, *n)
	var wg sync.WaitGroup
	var next atomic.Int64
	var encErr atomic.Value
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				ch := ballot.Choices{}
				for k, ct := range m.Contests {
					v := make([]uint64, len(ct.Options))
					v[(i+k)%len(v)] = 1
					ch[ct.ID] = v
				}
				b, _, err := ballot.Encrypt(el, creds[i], ch)
				if err != nil {
					encErr.Store(err)
					return
				}
				data, _ := b.Encode()
				ballots[i] = b
				signer := record.Signer{Kind: record.Voter, Key: creds[i].Public().Bytes()}
				subs[i] = service.Submission{Type: record.TypeBallot, Payload: data, Signer: signer.Bytes()}
			}
		}()
	}
	wg.Wait()
	if err, _ := encErr.Load().(error); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "casting with %d clients on %s…\n", *clients, storeKind(*dsn))
	lat := make([]time.Duration, *n)
	next.Store(0)
	var castErr atomic.Value
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
	}
	cpu0 := processCPU()
	vt0, _ := srv.svc.VerifyStats()
	t0 := time.Now()
	for range *clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				s := time.Now()
				if _, err := c.Submit(ctx, id, subs[i]); err != nil {
					castErr.Store(fmt.Errorf("ballot %d: %w", i, err))
					return
				}
				lat[i] = time.Since(s)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	cpu := processCPU() - cpu0
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	vt1, _ := srv.svc.VerifyStats()
	if err, _ := castErr.Load().(error); err != nil {
		return err
	}
	slices.Sort(lat)
	// Verification alone, on the same ballots, for its CPU cost.
	vc0 := processCPU()
	for k := 0; k < len(ballots); k += 256 {
		for _, err := range ballot.VerifyBatch(el, ballots[k:min(k+256, len(ballots))]) {
			if err != nil {
				return err
			}
		}
	}
	vcpu := processCPU() - vc0
	fmt.Fprintf(e.stdout, "workload      %s (%d bytes per ballot)\n", *workload, len(subs[0].Payload))
	fmt.Fprintf(e.stdout, "store         %s\n", storeKind(*dsn))
	fmt.Fprintf(e.stdout, "ballots       %d by %d concurrent HTTP clients in %.2fs\n", *n, *clients, elapsed.Seconds())
	fmt.Fprintf(e.stdout, "throughput    %.0f ballots/s\n", float64(*n)/elapsed.Seconds())
	fmt.Fprintf(e.stdout, "latency       p50 %s  p99 %s  max %s\n", lat[len(lat)/2].Round(time.Microsecond*100), lat[len(lat)*99/100].Round(time.Microsecond*100), lat[len(lat)-1].Round(time.Microsecond*100))
	if cpu > 0 {
		fmt.Fprintf(e.stdout, "cpu           %s per ballot (whole process: HTTP client and server)\n", (cpu / time.Duration(*n)).Round(time.Microsecond))
		fmt.Fprintf(e.stdout, "verification  %s cpu per ballot = %.0f%% of the process cpu\n", (vcpu / time.Duration(*n)).Round(time.Microsecond), 100*float64(vcpu)/float64(cpu))
	}
	w := *workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0) // the service default
	}
	fmt.Fprintf(e.stdout, "verify busy   %.0f%% of the wall time (batch verifications in flight, %d workers)\n", 100*float64(vt1-vt0)/float64(elapsed)/float64(w), w)
	return nil
}

// waitKey waits for an election's joint key and returns its ballot
// parameters.
func waitKey(ctx context.Context, c *service.Client, id string) (*ballot.Election, error) {
	for {
		in, err := c.Info(ctx, id)
		if err != nil {
			return nil, err
		}
		if in.JointKey != "" {
			return in.Election()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// benchSchema creates a fresh schema on the PostgreSQL server and returns
// a DSN whose search_path is that schema, and a function dropping it.
func benchSchema(ctx context.Context, dsn string) (string, func(), error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", nil, err
	}
	defer c.Close(ctx)
	var rb [6]byte
	_, _ = rand.Read(rb[:])
	schema := "tabella_bench_" + hex.EncodeToString(rb[:])
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, drop, nil
}
