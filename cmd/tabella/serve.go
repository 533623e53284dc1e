package main

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/bulletin/board"
	"github.com/tabella-vote/tabella/cmd/tabella/internal/web"
	"github.com/tabella-vote/tabella/e2e/coord"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/tally/ceremony"
)

// `tabella serve`: the election service.

const serveUsage = `Usage: tabella serve [flags]

Runs the election service: the board's read API and websocket feed, the
write API (officials', trustees' and voters' entries), the trustee
websocket with the coordinator that posts the ceremony and tally results,
and the voter and observer web pages, on one HTTP server. Logs are
structured (log/slog) on stderr; SIGINT/SIGTERM shut down gracefully.

Several 'tabella serve' processes may share one PostgreSQL store: each
admission decision is taken inside the board's append transaction, with
the election's log locked.

The configuration file (the config flag) holds flags, one "key = value"
a line, the key a flag's name without dashes (official, witness and trusted-proxy may
repeat; any other key once), '#' starting a comment line. An unknown key
or a value its flag refuses stops the server, naming the line. A flag on
the command line overrides the file's lines for it.

Health and monitoring: GET /healthz answers 200 while the process serves;
GET /readyz answers 200 once the store is reachable and accepts writes
and the board key signs, 503 with the reason otherwise (take the node out
of the load balancer); GET /metrics gives Prometheus text-format metrics
(submissions admitted and refused by type and code, append latency,
verification queue, open connections by kind).
`

const serveExample = `tabella official init --out official.key > official.pub
tabella serve --store sqlite:vote.db --officials official.pub --addr :8080
tabella serve --config /etc/tabella/serve.conf --log-level debug`

func init() {
	register(&command{name: "serve", summary: "run the election service (board, write API, trustees, web)", usage: serveUsage, example: serveExample, run: runServe})
}

// loadOrCreateBoardKey reads the board's note signing key, creating it
// (mode 0600) on first run.
func loadOrCreateBoardKey(logger *slog.Logger, path, name string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if !bulletin.ValidBoardName(name) {
		return "", fmt.Errorf("%w: --board-name %q is not a valid board name", errUsage, name)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", err
	}
	if err := writeNewFile(path, []byte(skey+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("creating board key: %w", err)
	}
	logger.Info("created the board key", "file", path, "board_key", vkey)
	return skey, nil
}

// serveFlags are the flags of `tabella serve`, which its configuration
// file may also set (serveconfig.go).
type serveFlags struct {
	fs                                           *flag.FlagSet
	config, dsn, addr, addrFile, keyFile         *string
	boardName, officialsFile, tlsCert, tlsKey    *string
	ipHeader, logLevel, clockFile                *string
	officials, witnesses, proxies                multiFlag
	workers, queue, maxStreams, maxStreamsClient *int
	ipRate, credRate                             *float64
	headerTimeout, requestTimeout                *time.Duration
	jsonLogs, runCoord                           *bool
}

func newServeFlags(e *env) *serveFlags {
	fs := newFlags(e, "serve")
	f := &serveFlags{fs: fs}
	f.config = fs.String(configFlag, "", "read flags from the configuration `FILE` (\"key = value\" lines, key a flag name; flags on the command line override it)")
	f.dsn = fs.String("store", "sqlite:tabella.db", "the board store `DSN`: sqlite:PATH or a postgres:// URL")
	f.addr = fs.String("addr", "127.0.0.1:8080", "the listen address `ADDR`")
	f.addrFile = fs.String("addr-file", "", "write the bound address to `FILE` once listening")
	f.keyFile = fs.String("board-key", "board.key", "the board's note signing key `FILE` (created on first run with --board-name)")
	f.boardName = fs.String("board-name", "tabella.local", "the board's `NAME` for a new key")
	f.officialsFile = fs.String("officials", "", "`FILE` of official keys, one per line")
	fs.Var(&f.officials, "official", "an official's Ed25519 public `KEY` in hex, allowed to set up elections (repeatable)")
	fs.Var(&f.witnesses, "witness", "accept cosignatures from the witness with this cosignature `VKEY` (repeatable)")
	f.tlsCert = fs.String("tls-cert", "", "serve HTTPS with the certificate in `FILE` (with --tls-key)")
	f.tlsKey = fs.String("tls-key", "", "the TLS private key `FILE` (with --tls-cert)")
	f.workers = fs.Int("verify-workers", 0, "concurrent ballot batch verifications `N` (0: the number of CPUs)")
	f.queue = fs.Int("verify-queue", 0, "ballots `N` waiting for verification before refusing (0: 4096)")
	f.ipRate = fs.Float64("ip-rate", 0, "submissions per second `R` per client address (0: 500)")
	f.credRate = fs.Float64("cred-rate", 0, "submissions per second `R` per voter credential (0: 1, burst 10)")
	f.ipHeader = fs.String("client-ip-header", "", "behind a reverse proxy: the `HEADER` holding the client's address (X-Forwarded-For or X-Real-IP), read only from --trusted-proxy addresses")
	fs.Var(&f.proxies, "trusted-proxy", "a reverse proxy's address or `CIDR` whose --client-ip-header is believed (repeatable)")
	f.maxStreams = fs.Int("max-streams", 0, "open websockets `N` (board feeds and trustee sockets) in all (0: 10000)")
	f.maxStreamsClient = fs.Int("max-streams-per-client", 0, "open websockets `N` per client address (an IPv6 /64) (0: 64)")
	f.headerTimeout = fs.Duration("header-timeout", 10*time.Second, "a client must send a request's headers within `D` (slow clients are cut off)")
	f.requestTimeout = fs.Duration("request-timeout", time.Minute, "a request (not a websocket) is read and answered within `D`: a body trickled slower is cut off")
	f.jsonLogs = fs.Bool("json-logs", false, "log JSON instead of text")
	f.logLevel = fs.String("log-level", "info", "the least `LEVEL` logged: debug, info, warn or error")
	f.runCoord = fs.Bool("coordinator", true, "run the trustee coordinator, which posts ceremony.result and tally.result (false when the board's entries come from elsewhere, as when replaying a record)")
	f.clockFile = fs.String("clock-file", "", "testing only: the board's clock reads unix milliseconds from `FILE` at each append (to replay a record at its entries' times); never for a real election")
	return f
}

// parse parses the command line, then the configuration file if one is
// named.
func (f *serveFlags) parse(args []string) error {
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.fs.Arg(0))
	}
	return loadConfig(f.fs, *f.config)
}

func runServe(ctx context.Context, e *env, args []string) error {
	f := newServeFlags(e)
	if err := f.parse(args); err != nil {
		return err
	}
	level, ok := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[*f.logLevel]
	if !ok {
		return fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", errUsage, *f.logLevel)
	}
	ho := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(e.stderr, ho)
	if *f.jsonLogs {
		h = slog.NewJSONHandler(e.stderr, ho)
	}
	logger := slog.New(h)
	trusted, err := parsePrefixes(f.proxies)
	if err != nil {
		return err
	}
	if *f.ipHeader != "" && len(trusted) == 0 {
		return fmt.Errorf("%w: --client-ip-header needs --trusted-proxy (the header is believed only from the proxy)", errUsage)
	}
	if (*f.tlsCert == "") != (*f.tlsKey == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	var keys []ed25519.PublicKey
	if *f.officialsFile != "" {
		b, err := os.ReadFile(*f.officialsFile)
		if err != nil {
			return err
		}
		if keys, err = parseOfficialKeys(string(b)); err != nil {
			return fmt.Errorf("%s: %w", *f.officialsFile, err)
		}
	}
	for _, o := range f.officials {
		k, err := parseOfficialKey(strings.TrimSpace(o))
		if err != nil {
			return fmt.Errorf("%w: --official: %v", errUsage, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		logger.Warn("no --official or --officials: nobody can set up a new election on this server")
	}
	var wv []note.Verifier
	for _, w := range f.witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return err
		}
		v, err := bulletin.NewCosignatureVerifier(k)
		if err != nil {
			return fmt.Errorf("%w: --witness %q: %v", errUsage, w, err)
		}
		wv = append(wv, v)
	}
	skey, err := loadOrCreateBoardKey(logger, *f.keyFile, *f.boardName)
	if err != nil {
		return err
	}
	bo := board.Options{Witnesses: wv}
	if *f.clockFile != "" {
		logger.Warn("the board's clock is read from a file: for tests and replays only, never for a real election", "clock_file", *f.clockFile)
		bo.Now = fileClock(*f.clockFile, logger)
	}
	srv, err := startServer(ctx, serverConfig{
		dsn: *f.dsn, addr: *f.addr, boardKey: skey, officials: keys, logger: logger, noCoordinator: !*f.runCoord,
		svc: service.Options{VerifyWorkers: *f.workers, VerifyQueue: *f.queue, Board: bo},
		http: service.HTTPOptions{IPRate: *f.ipRate, IPBurst: 2 * *f.ipRate, CredRate: *f.credRate, CredBurst: 10 * *f.credRate, Board: board.HandlerOptions{AllowCosign: len(wv) > 0},
			ClientIPHeader: *f.ipHeader, TrustedProxies: trusted, MaxStreams: *f.maxStreams, MaxStreamsPerClient: *f.maxStreamsClient,
			Timeout: *f.requestTimeout},
		headerTimeout: *f.headerTimeout,
		tlsCert:       *f.tlsCert, tlsKey: *f.tlsKey,
	})
	if err != nil {
		return err
	}
	if *f.addrFile != "" {
		if err := os.WriteFile(*f.addrFile, []byte(srv.addr+"\n"), 0o644); err != nil {
			srv.shutdown()
			return err
		}
	}
	logger.Info("serving", "addr", srv.addr, "store", storeKind(*f.dsn), "board", srv.svc.BoardName(), "board_key", srv.svc.BoardKey(), "officials", len(keys), "config", *f.config)
	<-ctx.Done()
	logger.Info("shutting down")
	return srv.shutdown()
}

// fileClock is a clock that reads unix milliseconds from a file at each
// call (--clock-file). A file it cannot read keeps the last time read.
func fileClock(path string, logger *slog.Logger) func() time.Time {
	var mu sync.Mutex
	var last time.Time
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		b, err := os.ReadFile(path)
		if err == nil {
			var ms int64
			if ms, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
				last = time.UnixMilli(ms)
				return last
			}
		}
		logger.Warn("reading the clock file", "clock_file", path, "err", err)
		return last
	}
}

func storeKind(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return dsn
	}
	return "postgres"
}

// serverConfig configures startServer.
type serverConfig struct {
	dsn, addr        string
	boardKey         string
	officials        []ed25519.PublicKey
	logger           *slog.Logger
	svc              service.Options
	http             service.HTTPOptions
	headerTimeout    time.Duration
	tlsCert, tlsKey  string
	coordinatorClock coord.Options
	// noCoordinator: run no coordinator (the board's derived entries
	// come from elsewhere).
	noCoordinator bool
}

// server is a running election service.
type server struct {
	svc   *service.Service
	co    *coord.Coordinator
	http  *http.Server
	addr  string // bound address
	url   string
	errc  chan error
	stop  context.CancelFunc
	runs  sync.WaitGroup
	mu    sync.Mutex
	coord map[string]bool
	ctx   context.Context
	// noCoord: runCoordinator does nothing (serverConfig.noCoordinator).
	noCoord bool
	log     *slog.Logger
}

// startServer opens the store, starts the coordinator of every election
// that needs one and serves HTTP on cfg.addr (":0" picks a free port).
func startServer(ctx context.Context, cfg serverConfig) (*server, error) {
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	cfg.svc.BoardKey, cfg.svc.Officials, cfg.svc.Logger = cfg.boardKey, cfg.officials, cfg.logger
	s := &server{coord: map[string]bool{}, noCoord: cfg.noCoordinator, log: cfg.logger}
	runCtx, stop := context.WithCancel(context.Background())
	s.ctx, s.stop = runCtx, stop
	cfg.svc.OnAppend = func(id, typ string) {
		if typ == record.TypeCeremony {
			s.runCoordinator(id)
		}
	}
	svc, err := service.Open(ctx, cfg.dsn, cfg.svc)
	if err != nil {
		stop()
		return nil, err
	}
	s.svc = svc
	co := cfg.coordinatorClock
	co.Logger = cfg.logger
	s.co = coord.New(svc.Backend(), co)
	cfg.http.Trustee = s.co
	cfg.http.Web = web.Handler()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		svc.Close()
		stop()
		return nil, err
	}
	s.addr = ln.Addr().String()
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	s.url = scheme + "://" + s.addr
	s.http = &http.Server{
		Handler:           svc.Handler(cfg.http),
		ReadHeaderTimeout: cmp.Or(cfg.headerTimeout, 10*time.Second),
		// The whole request, body included, within the request timeout,
		// for every handler: the submission and cosignature handlers set
		// this deadline themselves, this covers any other that reads a
		// body (defence in depth: TestHostileTraffic passes without it).
		// Websockets clear it at the upgrade.
		ReadTimeout: cmp.Or(cfg.http.Timeout, time.Minute),
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slog.NewLogLogger(cfg.logger.Handler(), slog.LevelWarn),
		BaseContext: func(net.Listener) context.Context { return runCtx },
		ConnState:   svc.ConnState,
	}
	s.errc = make(chan error, 1)
	go func() {
		var err error
		if cfg.tlsCert != "" {
			err = s.http.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
		} else {
			err = s.http.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.errc <- err
		}
		close(s.errc)
	}()
	// Elections already on the board whose result is not posted yet get a
	// coordinator (a restarted server carries on from the board), and so
	// do, within a minute, elections set up through another server on the
	// same database.
	if err := s.scanElections(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-time.After(time.Minute):
				if err := s.scanElections(runCtx); err != nil && runCtx.Err() == nil {
					cfg.logger.Warn("listing elections", "err", err)
				}
			}
		}
	}()
	return s, nil
}

// scanElections starts a coordinator for every election on the board that
// has no result yet.
func (s *server) scanElections(ctx context.Context) error {
	ids, err := s.svc.Elections(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.mu.Lock()
		running := s.coord[id]
		s.mu.Unlock()
		if running {
			continue
		}
		in, err := s.svc.Info(ctx, id)
		if err == nil && in.Phase != service.PhaseTallied {
			s.runCoordinator(id)
		}
	}
	return nil
}

// runCoordinator starts the coordinator loop of an election once.
func (s *server) runCoordinator(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noCoord || s.coord[id] || s.ctx.Err() != nil {
		return
	}
	s.coord[id] = true
	s.runs.Add(1)
	go func() {
		defer s.runs.Done()
		for s.ctx.Err() == nil {
			err := s.co.Run(s.ctx, id)
			if err == nil || s.ctx.Err() != nil {
				return
			}
			if errors.Is(err, ceremony.ErrTooFewQualified) {
				s.log.Error("the key ceremony failed; no key for this election", "election", id, "err", err)
				return
			}
			s.log.Warn("coordinator stopped; restarting", "election", id, "err", err)
			select {
			case <-s.ctx.Done():
			case <-time.After(5 * time.Second):
			}
		}
	}()
}

// shutdown stops accepting requests, lets running ones finish (up to 30 s),
// stops the coordinators and closes the store.
func (s *server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.stop()
	s.runs.Wait()
	if cerr := s.svc.Close(); err == nil {
		err = cerr
	}
	if serr := <-s.errc; err == nil {
		err = serr
	}
	return err
}

// parsePrefixes parses addresses ("10.0.0.1", "::1") and CIDR prefixes
// ("10.0.0.0/8").
func parsePrefixes(vs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vs {
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("%w: --trusted-proxy %q is neither an address nor a CIDR prefix", errUsage, v)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
