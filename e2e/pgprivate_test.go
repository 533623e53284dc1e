package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A privatePG is a PostgreSQL server of the test's own: initdb into a
// temporary directory, run as user postgres (when the test runs as root)
// on a free loopback port, stopped and removed at the end. The fault
// tests stop, crash and reconfigure it; the shared cluster on 5432 is
// never touched.
type privatePG struct {
	t         *testing.T
	bin, dir  string
	port      int
	DSN       string
	runAs     string // "postgres" when the test is root, else ""
	uid, gid  int
	logPath   string
	isRunning bool
}

// startPrivatePG starts a private PostgreSQL server. Without PostgreSQL's
// binaries the test skips, except under CI=true, where it fails.
func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("no PostgreSQL binaries (initdb) and CI=true")
		}
		t.Skip("no PostgreSQL binaries (initdb): skipping the PostgreSQL fault test")
	}
	sort.Slice(bins, func(i, j int) bool { return pgVersion(bins[i]) < pgVersion(bins[j]) })
	p := &privatePG{t: t, bin: filepath.Dir(bins[len(bins)-1]), uid: -1, gid: -1}
	dir, err := os.MkdirTemp("", "tabella-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root and there is no postgres user to run PostgreSQL as: %v", err)
		}
		p.runAs = "postgres"
		p.uid, _ = strconv.Atoi(u.Uid)
		p.gid, _ = strconv.Atoi(u.Gid)
		if err := os.Chown(dir, p.uid, p.gid); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if p.isRunning {
			p.stop("immediate")
		}
		if t.Failed() {
			log, _ := os.ReadFile(p.logPath)
			t.Logf("private PostgreSQL log (last 4 KiB):\n%s", tail(log, 4096))
		}
		os.RemoveAll(dir)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p.logPath = filepath.Join(dir, "postgres.log")
	p.run("initdb", "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
	p.start()
	p.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
	return p
}

func pgVersion(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// run runs one of PostgreSQL's programs (as postgres if root).
func (p *privatePG) run(prog string, args ...string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, prog), args...)
	if p.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", p.runAs, "--", filepath.Join(p.bin, prog)}, args...)...)
	}
	cmd.Dir = p.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		log, _ := os.ReadFile(p.logPath)
		p.t.Fatalf("%s %s: %v\n%s\n%s", prog, strings.Join(args, " "), err, out, tail(log, 4096))
	}
}

// start starts the server and waits until it accepts connections.
func (p *privatePG) start() {
	p.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=60", p.port, p.dir)
	p.run("pg_ctl", "-D", filepath.Join(p.dir, "data"), "-o", opts, "-l", p.logPath, "-w", "-t", "60", "start")
	p.isRunning = true
}

// stop stops the server: mode "immediate" is a crash (no checkpoint;
// recovery replays the WAL on the next start), "fast" a clean shutdown.
func (p *privatePG) stop(mode string) {
	p.t.Helper()
	p.run("pg_ctl", "-D", filepath.Join(p.dir, "data"), "-m", mode, "-w", "-t", "60", "stop")
	p.isRunning = false
}

// exec runs SQL statements, in order, in one session on the private
// server.
func (p *privatePG) exec(sqls ...string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		p.t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, sql := range sqls {
		if _, err := c.Exec(ctx, sql); err != nil {
			p.t.Fatalf("%s: %v", sql, err)
		}
	}
}

// setReadOnly makes every transaction of the server read-only (or not),
// open sessions included: the server-wide default, reloaded.
func (p *privatePG) setReadOnly(on bool) {
	p.t.Helper()
	p.exec("SET default_transaction_read_only = off", fmt.Sprintf("ALTER SYSTEM SET default_transaction_read_only = %v", on), "SELECT pg_reload_conf()")
}
