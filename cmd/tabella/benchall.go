package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/ballot/group"
	"github.com/tabella-vote/tabella/ballot/zk"
	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/e2e/verify"
	"github.com/tabella-vote/tabella/tally/trustee"
)

// `tabella bench`: every workload of the performance issue in one process,
// each figure beside a floor measured in the same run.

const benchUsage = `Usage: tabella bench [--quick] [--json] [--only LIST] [flags]

Runs every workload in one process and prints, for each, the figure, the
floor measured in the same run on the same machine, and their ratio (how
many times the floor the figure costs: 1.00 is the floor itself, lower is
better). Progress goes to stderr, the table to stdout (--json: one JSON
document instead).

  encrypt   W2 ballot encryption with proofs, one core. Floor: one
            fixed-base multiplication per point of the ballot.
  cast      ballots cast over HTTP by --clients clients into the board
            (--store; default SQLite in a temporary directory), each
            verified and appended durably before its receipt (encryption
            is done before the clock starts). Floor: the HTTP round trip of
            an empty handler, same payloads, same concurrency.
  recount   the trustee's recount from that board (every counted ballot
            verified and summed). Floor: decoding every point of the
            ballots plus multi-scalar multiplications over as many terms,
            on all cores.
  read      reading the election's record file (parsing every line,
            checking every entry hash). Floor: SHA-256 over the same bytes.
  verify    tabella verify of that record. Floor: as for recount.
  append    durable board appends, 256 writers, 2 KiB payloads, SQLite
            (and, when --store is a postgres:// URL, PostgreSQL too, in a
            fresh schema). Floor: one durable transaction of the same store
            per batch of 256 rows of the same payload into a table without
            other indexes.

cast, recount, read and verify share one election: --only verify still
casts its ballots (through the service in process, untimed, when cast is
not asked for). --quick uses 4000 ballots and 20 000 appends (under 2
minutes on two cores); the default is 20 000 ballots and 100 000 appends.
--board-dir DIR keeps the closed election's SQLite board (and its keys)
in DIR; a later --only recount with the same --ballots and --workload
recounts that board instead of filling one (filling 10^6 ballots takes
far longer than recounting them).

Workloads: W1 = 1 contest, 1-of-2; W2 = 10 contests × 5 options, 1-of-n.
`

const benchExample = `tabella bench --quick
tabella bench --json > bench.json
tabella bench --only cast --workload W2 --store postgres://tabella:tabella@127.0.0.1/bench`

func init() {
	register(&command{name: "bench", summary: "benchmark every workload against its floor", usage: benchUsage, example: benchExample, run: runBench})
}

// A benchRow is one line of the table.
type benchRow struct {
	Workload string  `json:"workload"`
	What     string  `json:"what"`
	Figure   float64 `json:"figure"`
	Unit     string  `json:"unit"`
	Floor    float64 `json:"floor"`
	FloorIs  string  `json:"floor_is"`
	// Ratio is the figure's cost over the floor's: time over time, or
	// the floor's rate over the figure's rate.
	Ratio  float64 `json:"ratio"`
	Target string  `json:"target,omitempty"`
	Note   string  `json:"note,omitempty"`
}

type benchRun struct {
	e     *env
	quick bool
	run   map[string]bool
	rows  []benchRow
	dir   string
	// floorIs describes the decode+MSM floor of recount and verify.
	floorIs string
}

// electionBench configures the election of cast, recount, read and
// verify.
type electionBench struct {
	n          int
	workload   string
	clients    int
	dsn        string
	workers    int
	cpuProfile string
	// recountProfile, if set, is where the recount's CPU profile goes.
	recountProfile string
	// boardDir, if set, keeps the closed election's SQLite board and keys
	// there, or reuses those kept by an earlier run (recount only).
	boardDir string
}

func (b *benchRun) say(format string, args ...any) {
	fmt.Fprintf(b.e.stderr, "bench: "+format+"\n", args...)
}

// add records a row of a workload that was asked for.
func (b *benchRun) add(r benchRow) {
	if !b.run[r.Workload] {
		return
	}
	b.rows = append(b.rows, r)
	b.say("%s: %.4g %s (floor %.4g, ratio %.2f)", r.Workload, r.Figure, r.Unit, r.Floor, r.Ratio)
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench")
	quick := fs.Bool("quick", false, "smaller workloads (under 2 minutes on two cores)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	only := fs.String("only", "", "comma-separated `LIST` of workloads to run (default: all)")
	ballots := fs.Int("ballots", 0, "ballots and voters `N` of the election (default 20000, --quick 4000)")
	workload := fs.String("workload", "W1", "the election's ballot shape `W`: W1 or W2")
	clients := fs.Int("clients", 64, "concurrent HTTP clients `C` casting")
	dsn := fs.String("store", "", "the election's board store `DSN`: sqlite:PATH or a postgres:// URL (default: SQLite in a temporary directory)")
	workers := fs.Int("verify-workers", 0, "the server's concurrent ballot batch verifications `N` (0: its default)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the casting to `FILE`")
	recountProfile := fs.String("recount-cpuprofile", "", "write a CPU profile of the recount to `FILE`")
	appends := fs.Int("appends", 0, "board appends `N` (default 100000, --quick 20000)")
	boardDir := fs.String("board-dir", "", "keep the closed election's SQLite board in `DIR`, or reuse the one an earlier run kept there (then only recount may run)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	run := map[string]bool{}
	for _, w := range strings.Split(*only, ",") {
		switch w {
		case "":
		case "encrypt", "cast", "recount", "read", "verify", "append":
			run[w] = true
		default:
			return fmt.Errorf("%w: --only: unknown workload %q (encrypt, cast, recount, read, verify, append)", errUsage, w)
		}
	}
	if len(run) == 0 {
		run = map[string]bool{"encrypt": true, "cast": true, "recount": true, "read": true, "verify": true, "append": true}
	}
	if *clients < 1 {
		return fmt.Errorf("%w: --clients must be positive", errUsage)
	}
	if _, err := benchManifest("x", *workload); err != nil {
		return err
	}
	if *ballots == 0 {
		*ballots = 20_000
		if *quick {
			*ballots = 4000
		}
	}
	if *appends == 0 {
		*appends = 100_000
		if *quick {
			*appends = 20_000
		}
	}
	if *ballots < 10 || *appends < 1000 {
		return fmt.Errorf("%w: --ballots must be at least 10 and --appends at least 1000", errUsage)
	}
	dir, err := os.MkdirTemp("", "tabella-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &benchRun{e: e, quick: *quick, dir: dir, run: run}
	t0 := time.Now()
	if run["encrypt"] {
		if err := b.encrypt(); err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
	}
	if run["cast"] || run["recount"] || run["read"] || run["verify"] {
		cfg := electionBench{n: *ballots, workload: *workload, clients: *clients, dsn: *dsn, workers: *workers, cpuProfile: *cpuProfile, recountProfile: *recountProfile, boardDir: *boardDir}
		if err := b.election(ctx, cfg); err != nil {
			return err
		}
	}
	if run["append"] {
		if err := b.appends(ctx, "", *appends); err != nil {
			return fmt.Errorf("append: %w", err)
		}
		if strings.HasPrefix(*dsn, "postgres") {
			if err := b.appends(ctx, *dsn, *appends); err != nil {
				return fmt.Errorf("append on PostgreSQL: %w", err)
			}
		}
	}
	b.say("done in %s", time.Since(t0).Round(time.Second))
	if *asJSON {
		out, err := json.MarshalIndent(map[string]any{"cpus": runtime.GOMAXPROCS(0), "go": runtime.Version(), "rows": b.rows}, "", "  ")
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(append(out, '\n'))
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "workload\tfigure\tfloor\tratio\ttarget\n")
	for _, r := range b.rows {
		fmt.Fprintf(tw, "%s: %s\t%s %s\t%s %s\t%.2f\t%s\n", r.Workload, r.What, fmtFig(r.Figure), r.Unit, fmtFig(r.Floor), r.Unit, r.Ratio, r.Target)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%d CPUs, %s. Ratio: the figure's cost over the floor's, measured in this run (1.00 = at the floor).\n", runtime.GOMAXPROCS(0), runtime.Version())
	for _, r := range b.rows {
		fmt.Fprintf(e.stdout, "  %s: floor = %s.", r.Workload, r.FloorIs)
		if r.Note != "" {
			fmt.Fprintf(e.stdout, " %s.", r.Note)
		}
		fmt.Fprintln(e.stdout)
	}
	return nil
}

func fmtFig(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// ballotPoints returns the encodings of every point of b: what a
// verifier decodes.
func ballotPoints(b *ballot.Ballot) [][32]byte {
	out := [][32]byte{b.Credential.Bytes(), b.Signature.A.Bytes()}
	rng := func(p *zk.Range) {
		for k := range p.A {
			out = append(out, p.A[k].Bytes(), p.B[k].Bytes())
		}
	}
	for _, c := range b.Contests {
		for _, s := range c.Selections {
			out = append(out, s.Ciphertext.A.Bytes(), s.Ciphertext.B.Bytes())
			rng(s.Proof)
		}
		rng(c.SumProof)
	}
	return out
}

// encrypt: W2 encryption with proofs on one core against one fixed-base
// multiplication per point of the ballot.
func (b *benchRun) encrypt() error {
	n := 60
	if b.quick {
		n = 20
	}
	el, creds, err := benchBallotElection("W2", 1)
	if err != nil {
		return err
	}
	m := el.Manifest
	b.say("encrypt: %d W2 ballots on one core…", n)
	ch := benchChoices(m, 0)
	ballot.Encrypt(el, creds[0], ch) // warm up
	t := time.Now()
	var last *ballot.Ballot
	for range n {
		bl, _, err := ballot.Encrypt(el, creds[0], ch)
		if err != nil {
			return err
		}
		last = bl
	}
	per := time.Since(t) / time.Duration(n)
	pts := len(ballotPoints(last)) - 1 // the credential is not computed
	s := group.RandomScalar()
	k := 200 * pts / 10
	t = time.Now()
	for range k {
		group.BaseMul(s)
	}
	floor := time.Since(t) / time.Duration(k) * time.Duration(pts)
	b.add(benchRow{Workload: "encrypt", What: "W2 ballot with proofs, 1 core", Figure: ms(per), Unit: "ms", Floor: ms(floor),
		FloorIs: fmt.Sprintf("%d fixed-base multiplications (one per point of the ballot)", pts), Ratio: float64(per) / float64(floor), Target: "≤ 4 ms"})
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchBallotElection returns a ballot election for workload w with a
// random joint key, and n credentials.
func benchBallotElection(w string, n int) (*ballot.Election, []*ballot.Credential, error) {
	m, err := benchManifest("bench-encrypt", w)
	if err != nil {
		return nil, nil, err
	}
	pk := group.BaseMul(group.RandomNonZeroScalar())
	var h ballot.Hash
	_, _ = rand.Read(h[:])
	el, err := ballot.NewElection(m, pk, h)
	if err != nil {
		return nil, nil, err
	}
	creds := make([]*ballot.Credential, n)
	for i := range creds {
		creds[i] = ballot.NewCredential()
	}
	return el, creds, nil
}

// benchChoices picks option (i+k) mod n in contest k.
func benchChoices(m *ballot.Manifest, i int) ballot.Choices {
	ch := ballot.Choices{}
	for k, ct := range m.Contests {
		v := make([]uint64, len(ct.Options))
		v[(i+k)%len(v)] = 1
		ch[ct.ID] = v
	}
	return ch
}

// election runs an election of cfg.n voters: cast over HTTP (measured),
// then the trustee's recount (measured), decryption, the record (read and
// verified, measured).
func (b *benchRun) election(ctx context.Context, cfg electionBench) error {
	n, clients := cfg.n, cfg.clients
	id := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	m, err := benchManifest(id, cfg.workload)
	if err != nil {
		return err
	}
	if cfg.boardDir != "" {
		if cfg.dsn != "" {
			return fmt.Errorf("%w: --board-dir keeps a SQLite board: no --store", errUsage)
		}
		kept, err := readKeptBoard(cfg.boardDir)
		if err != nil {
			return err
		}
		if kept != nil {
			return b.keptRecount(ctx, cfg, kept)
		}
		cfg.dsn = "sqlite:" + filepath.Join(cfg.boardDir, "board.db")
	}
	dsn := cfg.dsn
	if strings.HasPrefix(dsn, "postgres") {
		// A fresh schema: a board refuses to open logs signed by another
		// board key, and the benchmark makes a new key each run.
		scoped, drop, err := benchSchema(ctx, dsn)
		if err != nil {
			return err
		}
		defer drop()
		dsn = scoped
	}
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(b.dir, "board.db")
	}
	cfg.dsn = dsn
	skey, _, err := note.GenerateKey(rand.Reader, "bench.tabella")
	if err != nil {
		return err
	}
	off := service.Official{Key: newOfficialKey()}
	srv, err := startServer(ctx, serverConfig{dsn: dsn, addr: "127.0.0.1:0", boardKey: skey,
		officials: []ed25519.PublicKey{off.Public()}, logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		svc:  service.Options{VerifyWorkers: cfg.workers},
		http: service.HTTPOptions{IPRate: 1e9, IPBurst: 1e9}})
	if err != nil {
		return err
	}
	defer srv.shutdown()
	c := service.NewClient(srv.url)
	c.HC = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	quiet := &env{stdout: io.Discard, stderr: io.Discard}
	ident, err := trustee.Generate("Bench trustee")
	if err != nil {
		return err
	}
	manifest, err := m.Encode()
	if err != nil {
		return err
	}
	b.say("cast: setting up a %s election of %d voters on %s…", cfg.workload, n, storeKind(dsn))
	// The ceremony's round must outlast posting the roll, which comes
	// before the trustee starts (a round closes early once every message
	// is in, so a long one costs nothing).
	round := max(30*time.Second, time.Duration(n)*2*time.Millisecond)
	if err := createElection(ctx, quiet, c, off, []ed25519.PublicKey{off.Public()}, m, manifest, []trustee.Public{*ident.Public()}, 1, round); err != nil {
		return err
	}
	creds := make([]*ballot.Credential, n)
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
	// A sample of the payloads (all of them when cast is measured) gives
	// the decode+MSM floor.
	var subs []service.Submission
	if b.run["cast"] {
		if subs, err = b.cast(ctx, cfg, c, el, m, creds); err != nil {
			return err
		}
	} else if subs, err = b.fill(ctx, cfg, srv.svc, id, el, m, creds); err != nil {
		return err
	}

	if _, err := c.Submit(ctx, id, off.Sign(id, record.TypeClose, service.PhasePayload(id))); err != nil {
		return err
	}
	if cfg.boardDir != "" {
		if err := keepBoard(cfg.boardDir, keptBoard{Election: id, Ballots: n, Workload: cfg.workload, BoardKey: skey, Official: off.Public()}, ident); err != nil {
			return err
		}
	}

	// The trustee's recount from the board.
	src := localSource{srv.svc, id}
	// CPU times beside the wall times: the machine may be shared, and CPU
	// time is less disturbed by other load.
	var floor, floorCPU time.Duration
	if b.run["recount"] || b.run["verify"] {
		payloads := make([][]byte, len(subs))
		for i := range subs {
			payloads[i] = subs[i].Payload
		}
		if floor, floorCPU, err = b.decodeFloor(payloads, n); err != nil {
			return err
		}
	}
	if b.run["recount"] {
		if err := b.recount(ctx, cfg, src, id, ident, floor, floorCPU); err != nil {
			return err
		}
	}

	if !b.run["read"] && !b.run["verify"] {
		return nil
	}
	b.say("decrypting and waiting for the result…")
	if _, err := coord.Decrypt(ctx, src, id, ident, localPoster{srv.svc, id}, nil); err != nil {
		return err
	}
	if _, _, err := waitResult(ctx, quiet, c, id, 5*time.Minute); err != nil {
		return err
	}
	var rec bytes.Buffer
	if _, err := exportRecord(ctx, srv.url, id, srv.svc.BoardKey(), &rec); err != nil {
		return err
	}
	data := rec.Bytes()

	// Reading and hashing the record against SHA-256 of its bytes.
	b.say("read: %d MB record…", len(data)>>20)
	reps := max(1, 50<<20/len(data))
	t0 := time.Now()
	for range reps {
		rd, err := record.NewReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		for {
			if _, err := rd.Next(); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return err
			}
		}
	}
	read := time.Since(t0) / time.Duration(reps)
	t0 = time.Now()
	for range reps {
		sha256.Sum256(data)
	}
	sha := time.Since(t0) / time.Duration(reps)
	b.add(benchRow{Workload: "read", What: fmt.Sprintf("record of %d %s ballots, parse and hash", n, cfg.workload), Figure: ms(read), Unit: "ms", Floor: ms(sha),
		FloorIs: fmt.Sprintf("SHA-256 over the record's %d bytes", len(data)), Ratio: float64(read) / float64(sha), Target: "less than the proofs",
		Note: fmt.Sprintf("%d record bytes per selection", len(data)/(selections(m)*n))})

	b.say("verify: the record of %d ballots…", n)
	t0, vc0 := time.Now(), processCPU()
	rep, err := verify.Record(ctx, bytes.NewReader(data), verify.Options{})
	if err != nil {
		return err
	}
	ver, verCPU := time.Since(t0), processCPU()-vc0
	if !rep.Valid || !rep.Complete {
		return errors.New("verify: the benchmark's record does not verify")
	}
	b.add(benchRow{Workload: "verify", What: fmt.Sprintf("record of %d %s ballots", n, cfg.workload), Figure: ver.Seconds(), Unit: "s", Floor: floor.Seconds(),
		FloorIs: b.floorIs, Ratio: float64(ver) / float64(floor), Target: "W1: 10^5 in < 15 s, ≤ 2× the floor",
		Note: fmt.Sprintf("read %.2fs, decode %.2fs, proofs %.2fs, tally %.2fs (stage times overlap); %s", rep.Timings.Read.Seconds(), rep.Timings.Decode.Seconds(), rep.Timings.Proofs.Seconds(), rep.Timings.Tally.Seconds(), cpuNote(verCPU, floorCPU, n))})
	return nil
}

// decodeFloor measures the decode+MSM floor on the ballots encoded in
// payloads (a sample) and scales it to n ballots; it sets b.floorIs.
func (b *benchRun) decodeFloor(payloads [][]byte, n int) (floor, floorCPU time.Duration, err error) {
	var pts [][32]byte
	for _, p := range payloads {
		bl, err := ballot.DecodeBallot(p)
		if err != nil {
			return 0, 0, err
		}
		pts = append(pts, ballotPoints(bl)...)
	}
	fc0 := processCPU()
	if floor, err = decodeMSMFloor(pts); err != nil {
		return 0, 0, err
	}
	floorCPU = (processCPU() - fc0) * time.Duration(n) / time.Duration(len(payloads))
	// A floor measured on a sample is scaled to all the ballots: its
	// cost is linear in the number of points.
	total := len(pts) / len(payloads) * n
	floor = floor * time.Duration(n) / time.Duration(len(payloads))
	b.floorIs = fmt.Sprintf("decoding the ballots' %d points plus MSMs over as many terms, all cores", total)
	if len(payloads) < n {
		b.floorIs += fmt.Sprintf(" (measured on %d ballots, scaled)", len(payloads))
	}
	return floor, floorCPU, nil
}

// recount measures the trustee's recount of election id's n ballots from
// src (ReadView, the key share, Recount) and adds its row.
func (b *benchRun) recount(ctx context.Context, cfg electionBench, src coord.EntrySource, id string, ident *trustee.Identity, floor, floorCPU time.Duration) error {
	n := cfg.n
	b.say("recount: the trustee reads the board and verifies and sums %d ballots…", n)
	if cfg.recountProfile != "" {
		f, err := os.Create(cfg.recountProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t0, c0 := time.Now(), processCPU()
	v, err := coord.ReadView(ctx, src, id, nil)
	if err != nil {
		return err
	}
	_, st, err := v.KeyShare(ctx, ident)
	if err != nil {
		return err
	}
	rc, err := v.Recount(ctx, src, st, nil)
	if err != nil {
		return err
	}
	recount, recountCPU := time.Since(t0), processCPU()-c0
	if cfg.recountProfile != "" {
		pprof.StopCPUProfile()
	}
	if rc.Count != uint64(n) {
		return fmt.Errorf("recount: %d ballots counted, want %d", rc.Count, n)
	}
	b.add(benchRow{Workload: "recount", What: fmt.Sprintf("trustee, %d %s ballots from %s", n, cfg.workload, storeName(cfg.dsn)), Figure: recount.Seconds(), Unit: "s", Floor: floor.Seconds(),
		FloorIs: b.floorIs, Ratio: float64(recount) / float64(floor),
		Target: fmt.Sprintf("W1: 10^6 in < 60 s (here %.1f µs/ballot)", float64(recount.Microseconds())/float64(n)),
		Note:   cpuNote(recountCPU, floorCPU, n)})
	return nil
}

// keptBoard describes a closed election kept by --board-dir.
type keptBoard struct {
	Election string            `json:"election"`
	Ballots  int               `json:"ballots"`
	Workload string            `json:"workload"`
	BoardKey string            `json:"board_key"`
	Official ed25519.PublicKey `json:"official"`
	Trustee  []byte            `json:"trustee"` // the sealed key file
}

// keptPass seals the kept trustee key: a benchmark's throw-away key.
const keptPass = "tabella bench"

// keepBoard writes k and the trustee's key beside the board in dir.
func keepBoard(dir string, k keptBoard, id *trustee.Identity) error {
	sealed, err := id.Seal(keptPass, 10)
	if err != nil {
		return err
	}
	k.Trustee = sealed
	data, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bench.json"), data, 0o600)
}

// readKeptBoard reads what keepBoard wrote in dir, or nil if nothing.
func readKeptBoard(dir string) (*keptBoard, error) {
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return nil, err
	}
	var k keptBoard
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &k, nil
}

// keptRecount measures the recount of a board kept by an earlier run.
func (b *benchRun) keptRecount(ctx context.Context, cfg electionBench, k *keptBoard) error {
	for w := range b.run {
		if w != "recount" {
			return fmt.Errorf("%w: a kept board (--board-dir %s) is for --only recount", errUsage, cfg.boardDir)
		}
	}
	if k.Ballots != cfg.n || k.Workload != cfg.workload {
		return fmt.Errorf("%w: the board kept in %s has %d %s ballots, not %d %s", errUsage, cfg.boardDir, k.Ballots, k.Workload, cfg.n, cfg.workload)
	}
	ident, err := trustee.OpenKeyFile(k.Trustee, keptPass)
	if err != nil {
		return err
	}
	cfg.dsn = "sqlite:" + filepath.Join(cfg.boardDir, "board.db")
	srv, err := startServer(ctx, serverConfig{dsn: cfg.dsn, addr: "127.0.0.1:0", boardKey: k.BoardKey,
		officials: []ed25519.PublicKey{k.Official}, logger: slog.New(slog.NewTextHandler(io.Discard, nil)), noCoordinator: true})
	if err != nil {
		return err
	}
	defer srv.shutdown()
	src := localSource{srv.svc, k.Election}
	b.say("recount: reusing the board of %d %s ballots kept in %s", k.Ballots, k.Workload, cfg.boardDir)
	// The floor's sample: the first ballots on the board.
	var payloads [][]byte
	for es, err := range coord.Pages(ctx, src, 0, math.MaxUint64) {
		if err != nil && len(payloads) == 0 {
			return err
		}
		for _, e := range es {
			if e.Type == record.TypeBallot {
				payloads = append(payloads, e.Payload)
			}
		}
		if err != nil || len(payloads) >= min(cfg.n, floorSample) {
			break
		}
	}
	floor, floorCPU, err := b.decodeFloor(payloads, cfg.n)
	if err != nil {
		return err
	}
	return b.recount(ctx, cfg, src, k.Election, ident, floor, floorCPU)
}

// cast encrypts a ballot for every credential (not timed), measures the
// empty-handler floor and then casts them over HTTP with cfg.clients
// clients, and adds the cast row. It returns the submissions.
func (b *benchRun) cast(ctx context.Context, cfg electionBench, c *service.Client, el *ballot.Election, m *ballot.Manifest, creds []*ballot.Credential) ([]service.Submission, error) {
	n, clients, id := cfg.n, cfg.clients, m.ElectionID
	b.say("cast: encrypting %d %s ballots (not timed)…", n, cfg.workload)
	subs := make([]service.Submission, n)
	ballots := make([]*ballot.Ballot, n)
	if err := parallelFor(n, func(i int) error {
		bl, sub, err := benchBallot(el, m, creds[i], i)
		ballots[i], subs[i] = bl, sub
		return err
	}); err != nil {
		return nil, err
	}

	// The floor: the same payloads to an empty handler, same concurrency.
	b.say("cast: the empty-handler floor…")
	floorRate, err := emptyHandlerRate(ctx, subs, clients)
	if err != nil {
		return nil, err
	}
	b.say("cast: casting with %d clients…", clients)
	lat := make([]time.Duration, n)
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	cpu0 := processCPU()
	t0 := time.Now()
	if err := concurrently(n, clients, func(i int) error {
		s := time.Now()
		if _, err := c.Submit(ctx, id, subs[i]); err != nil {
			return fmt.Errorf("ballot %d: %w", i, err)
		}
		lat[i] = time.Since(s)
		return nil
	}); err != nil {
		return nil, err
	}
	rate := float64(n) / time.Since(t0).Seconds()
	cpu := processCPU() - cpu0
	if cfg.cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	slices.Sort(lat)
	// Verification alone, on the same ballots, for its share of the CPU.
	vc0 := processCPU()
	for k := 0; k < n; k += 256 {
		for _, err := range ballot.VerifyBatch(el, ballots[k:min(k+256, n)]) {
			if err != nil {
				return nil, err
			}
		}
	}
	vcpu := processCPU() - vc0
	note := fmt.Sprintf("cast latency p50 %s, p99 %s", lat[n/2].Round(100*time.Microsecond), lat[n*99/100].Round(100*time.Microsecond))
	if cpu > 0 {
		note += fmt.Sprintf("; CPU %s per ballot (client and server), of which verifying the ballot alone %s (%.0f%%)",
			(cpu / time.Duration(n)).Round(time.Microsecond), (vcpu / time.Duration(n)).Round(time.Microsecond), 100*float64(vcpu)/float64(cpu))
	}
	b.add(benchRow{Workload: "cast", What: fmt.Sprintf("%s over HTTP, %s, %d clients", cfg.workload, storeName(cfg.dsn), clients), Figure: rate, Unit: "ballots/s", Floor: floorRate,
		FloorIs: "the HTTP round trip of an empty handler with the same payloads and concurrency", Ratio: floorRate / rate, Target: "W1 on SQLite: ≥ 3000/s, p99 < 100 ms",
		Note: note})
	return subs, nil
}

// floorSample is how many ballots the decode+MSM floor is measured on
// when cast is not measured (the floor is then scaled to all ballots).
const floorSample = 20_000

// fill casts a ballot for every credential through the service in
// process (no HTTP, not timed: cast was not asked for), encrypting each
// just before it is submitted so that memory does not grow with the
// election. It returns the first floorSample submissions.
func (b *benchRun) fill(ctx context.Context, cfg electionBench, svc *service.Service, id string, el *ballot.Election, m *ballot.Manifest, creds []*ballot.Credential) ([]service.Submission, error) {
	n := cfg.n
	b.say("filling the board with %d %s ballots through the service, in process (not timed)…", n, cfg.workload)
	sample := make([]service.Submission, min(n, floorSample))
	var done atomic.Int64
	t0 := time.Now()
	err := concurrently(n, max(cfg.clients, 4*runtime.GOMAXPROCS(0)), func(i int) error {
		_, sub, err := benchBallot(el, m, creds[i], i)
		if err != nil {
			return err
		}
		if i < len(sample) {
			sample[i] = sub
		}
		if _, err := svc.Submit(ctx, id, sub); err != nil {
			return fmt.Errorf("ballot %d: %w", i, err)
		}
		if d := done.Add(1); d%100_000 == 0 {
			b.say("  %d ballots cast (%s)", d, time.Since(t0).Round(time.Second))
		}
		return nil
	})
	return sample, err
}

// benchBallot encrypts voter i's ballot and returns it with its
// submission.
func benchBallot(el *ballot.Election, m *ballot.Manifest, cred *ballot.Credential, i int) (*ballot.Ballot, service.Submission, error) {
	bl, _, err := ballot.Encrypt(el, cred, benchChoices(m, i))
	if err != nil {
		return nil, service.Submission{}, err
	}
	data, err := bl.Encode()
	if err != nil {
		return nil, service.Submission{}, err
	}
	signer := record.Signer{Kind: record.Voter, Key: cred.Public().Bytes()}
	return bl, service.Submission{Type: record.TypeBallot, Payload: data, Signer: signer.Bytes()}, nil
}

// cpuNote compares the CPU time of a recount or verification of n
// ballots with the floor's.
func cpuNote(cpu, floor time.Duration, n int) string {
	if cpu <= 0 || floor <= 0 {
		return ""
	}
	return fmt.Sprintf("CPU time %.2fs (%.0f µs/ballot), floor's %.2fs: CPU ratio %.2f", cpu.Seconds(), float64(cpu.Microseconds())/float64(n), floor.Seconds(), float64(cpu)/float64(floor))
}

// selections counts the options of m's contests.
func selections(m *ballot.Manifest) int {
	n := 0
	for _, c := range m.Contests {
		n += len(c.Options)
	}
	return n
}

// storeName is "SQLite" or "PostgreSQL".
func storeName(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return "SQLite"
	}
	return "PostgreSQL"
}

// decodeMSMFloor decodes every point and runs multi-scalar
// multiplications over as many terms (random scalars), split over all
// cores.
func decodeMSMFloor(pts [][32]byte) (time.Duration, error) {
	const chunk = 2048
	scalars := make([]*group.Scalar, chunk)
	for i := range scalars {
		scalars[i] = group.RandomScalar()
	}
	t0 := time.Now()
	err := parallelFor((len(pts)+chunk-1)/chunk, func(c int) error {
		lo, hi := c*chunk, min((c+1)*chunk, len(pts))
		ps := make([]*group.Point, hi-lo)
		for i := range ps {
			p, err := group.DecodePoint(pts[lo+i][:])
			if err != nil {
				return err
			}
			ps[i] = p
		}
		group.VarTimeMSM(scalars[:len(ps)], ps)
		return nil
	})
	return time.Since(t0), err
}

// parallelFor runs f(0..n-1) on all cores and returns the first error.
func parallelFor(n int, f func(i int) error) error {
	return concurrently(n, runtime.GOMAXPROCS(0), f)
}

// concurrently runs f(0..n-1) on c goroutines and returns the first error.
func concurrently(n, c int, f func(i int) error) error {
	var next atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || first.Load() != nil {
					return
				}
				if err := f(i); err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return err
	}
	return nil
}

// emptyHandlerRate posts every submission to a handler that reads the
// body and answers a small JSON document, from c clients, and returns
// requests per second.
func emptyHandlerRate(ctx context.Context, subs []service.Submission, c int) (float64, error) {
	bodies := make([][]byte, len(subs))
	for i := range subs {
		bodies[i] = service.AppendSubmission(nil, &subs[i])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})}
	go hs.Serve(ln)
	defer hs.Close()
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}}
	url := "http://" + ln.Addr().String() + "/v1/elections/x/entries"
	t0 := time.Now()
	err = concurrently(len(bodies), c, func(i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[i]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	})
	return float64(len(bodies)) / time.Since(t0).Seconds(), err
}

// localSource reads an election's entries from the service's board.
type localSource struct {
	s  *service.Service
	id string
}

func (l localSource) Entries(ctx context.Context, start, end uint64) ([]*bulletin.Entry, error) {
	return l.s.Entries(ctx, l.id, start, end)
}

// localPoster submits through the service's admission.
type localPoster struct {
	s  *service.Service
	id string
}

func (l localPoster) Submit(ctx context.Context, s coord.Submission) (*bulletin.Receipt, error) {
	return l.s.Backend().Submit(ctx, l.id, s)
}

// appends: durable board appends by 256 writers, into SQLite (pg "") or
// a fresh schema of the PostgreSQL server pg, against the same store's
// floor: one durable transaction per batch of 256 rows of the same
// payload into a table without other indexes.
func (b *benchRun) appends(ctx context.Context, pg string, n int) error {
	const writers, size = 256, 2048
	skey, vkey, err := note.GenerateKey(rand.Reader, "bench.tabella")
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return err
	}
	dsn, name := "sqlite:"+filepath.Join(b.dir, "appends.db"), "SQLite"
	if pg != "" {
		scoped, drop, err := benchSchema(ctx, pg)
		if err != nil {
			return err
		}
		defer drop()
		dsn, name = scoped, "PostgreSQL"
	}
	bd, err := board.Open(ctx, dsn, board.Options{Signer: signer, Verifier: verifier})
	if err != nil {
		return err
	}
	defer bd.Close()
	payload := func(i int) []byte {
		p := make([]byte, size)
		_, _ = rand.Read(p[:32])
		copy(p[32:], fmt.Sprint(i))
		return p
	}
	b.say("append: %d entries of %d bytes by %d writers into %s…", n, size, writers, name)
	// The first half fills the board; the rate is measured on the second
	// half and its first and last quarters compared (flat or not).
	var marks [3]time.Time
	var done atomic.Int64
	err = concurrently(n, writers, func(i int) error {
		if _, err := bd.Append(ctx, "bench", board.Submission{Type: "bench", Payload: payload(i)}); err != nil {
			return err
		}
		switch done.Add(1) {
		case int64(n / 2):
			marks[0] = time.Now()
		case int64(3 * n / 4):
			marks[1] = time.Now()
		case int64(n):
			marks[2] = time.Now()
		}
		return nil
	})
	if err != nil {
		return err
	}
	half := float64(n-n/2) / marks[2].Sub(marks[0]).Seconds()
	q3 := float64(3*n/4-n/2) / marks[1].Sub(marks[0]).Seconds()
	q4 := float64(n-3*n/4) / marks[2].Sub(marks[1]).Seconds()

	var floor float64
	target := "≥ 20000/s, flat to 10^6"
	if pg == "" {
		floor, err = fsyncFloor(filepath.Join(b.dir, "floor.db"), n/2, writers, size)
	} else {
		floor, err = pgFloor(ctx, dsn, n/2, writers, size)
		target = "≥ 10000/s"
	}
	if err != nil {
		return err
	}
	b.add(benchRow{Workload: "append", What: fmt.Sprintf("%d writers, %d B, %s, entries %d–%d", writers, size, name, n/2, n), Figure: half, Unit: "appends/s", Floor: floor,
		FloorIs: fmt.Sprintf("one durable %s transaction per %d rows of the same payload, no other indexes", name, writers), Ratio: floor / half, Target: target,
		Note: fmt.Sprintf("third quarter %.0f/s, fourth %.0f/s", q3, q4)})
	return nil
}

// pgFloor inserts n rows of size bytes into a table with only a primary
// key on the PostgreSQL server at dsn, batch rows per transaction
// (synchronous commit; BEGIN, one INSERT from arrays and COMMIT in one
// round trip), and returns rows per second.
func pgFloor(ctx context.Context, dsn string, n, batch, size int) (float64, error) {
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE TABLE bench_floor (idx BIGINT PRIMARY KEY, payload BYTEA NOT NULL)"); err != nil {
		return 0, err
	}
	p := make([]byte, size)
	_, _ = rand.Read(p[:32])
	t0 := time.Now()
	for i := 0; i < n; i += batch {
		k := min(batch, n-i)
		idx, ps := make([]int64, k), make([][]byte, k)
		for j := range idx {
			idx[j], ps[j] = int64(i+j), p
		}
		var q pgx.Batch
		q.Queue("BEGIN")
		q.Queue("INSERT INTO bench_floor (idx, payload) SELECT * FROM unnest($1::bigint[], $2::bytea[])", idx, ps)
		q.Queue("COMMIT")
		if err := c.SendBatch(ctx, &q).Close(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}

// fsyncFloor inserts n rows of size bytes into a table without indexes,
// batch rows per fsync'd transaction, and returns rows per second.
func fsyncFloor(path string, n, batch, size int) (float64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (i INTEGER, p BLOB)`); err != nil {
		return 0, err
	}
	p := make([]byte, size)
	_, _ = rand.Read(p)
	t0 := time.Now()
	for i := 0; i < n; i += batch {
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		for j := i; j < min(i+batch, n); j++ {
			if _, err := tx.Exec(`INSERT INTO t VALUES (?, ?)`, j, p); err != nil {
				tx.Rollback()
				return 0, err
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}
