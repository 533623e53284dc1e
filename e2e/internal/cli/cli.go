// Package cli runs the tabella binary for whole-election tests
// (e2e/SPEC.md §11): it builds the binary once per test, runs commands and
// keeps a `tabella serve` process on a free loopback port.
package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Build compiles ./cmd/tabella into a temporary directory and returns the
// binary's path.
func Build(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tabella")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/tabella-vote/tabella/cmd/tabella")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Result is the outcome of one command.
type Result struct {
	Args           []string
	Stdout, Stderr string
	Code           int
}

// Run runs the binary with args and returns its output and exit code.
func Run(ctx context.Context, bin string, args ...string) Result {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return Result{Args: args, Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// Must runs the binary and fails the test unless it exits 0; it returns
// stdout.
func Must(t testing.TB, ctx context.Context, bin string, args ...string) string {
	t.Helper()
	r := Run(ctx, bin, args...)
	if r.Code != 0 {
		t.Fatalf("tabella %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout
}

// A Server is a running `tabella serve`.
type Server struct {
	URL string
	Log string // path of its log
	cmd *exec.Cmd
}

// Serve starts `tabella serve` on a free loopback port with the given
// extra flags and waits until it listens. The server is stopped (SIGTERM)
// when the test ends.
func Serve(t testing.TB, bin, dir string, flags ...string) *Server {
	t.Helper()
	addrFile := filepath.Join(dir, "addr")
	logPath := filepath.Join(dir, "server.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--addr-file", addrFile}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Log: logPath, cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(bytes.TrimSpace(b)) > 0 {
			s.URL = "http://" + strings.TrimSpace(string(b))
			return s
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("tabella serve did not start:\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop sends SIGTERM and returns the exit code once the server has shut
// down.
func (s *Server) Stop() int {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	err := s.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// A Session is a built tabella, a temporary directory holding a
// passphrase file, and a deadline for the commands it runs: the prologue
// of the whole-election tests.
type Session struct {
	Ctx            context.Context
	Bin, Dir, Pass string
	t              testing.TB
}

// NewSession builds tabella and prepares the directory; the deadline is
// timeout from now.
func NewSession(t testing.TB, timeout time.Duration) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	s := &Session{Ctx: ctx, Bin: Build(t), Dir: t.TempDir(), t: t}
	s.Pass = s.Path("pass")
	if err := os.WriteFile(s.Pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// Path returns the path of name in the session's directory.
func (s *Session) Path(name string) string { return filepath.Join(s.Dir, name) }

// Run runs tabella with args, failing the test unless it exits 0, and
// returns its stdout.
func (s *Session) Run(args ...string) string {
	s.t.Helper()
	return Must(s.t, s.Ctx, s.Bin, args...)
}

// ServeElection makes an official key and starts `tabella serve` on an
// SQLite board in the session's directory with that official (and the
// extra flags); it returns the server and the flags that official
// commands need (--server, --key, --passphrase-file).
func (s *Session) ServeElection(flags ...string) (*Server, []string) {
	s.t.Helper()
	pub := strings.TrimSpace(s.Run("official", "init", "--out", s.Path("official.key"), "--passphrase-file", s.Pass))
	srv := Serve(s.t, s.Bin, s.Dir, append([]string{"--store", "sqlite:" + s.Path("board.db"), "--board-key", s.Path("board.key"),
		"--board-name", "e2e.test", "--official", pub}, flags...)...)
	return srv, []string{"--server", srv.URL, "--key", s.Path("official.key"), "--passphrase-file", s.Pass}
}
