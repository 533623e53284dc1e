package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabella-vote/tabella/ballot"
	"github.com/tabella-vote/tabella/e2e/service"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a whole election")
	}
	code, out, errOut := runCmd(t, "demo", "--voters", "6", "--trustees", "3", "--threshold", "2", "--quiet", "--keep", t.TempDir())
	if code != 0 {
		t.Fatalf("demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"Turnout  6 ballots", "the counts match the choices the voters made", "tabella verify "} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("demo output lacks %q:\n%s\n%s", want, out, errOut)
		}
	}
}

// TestDemoServe runs `tabella demo --serve`, casts a ballot from one of the
// printed voter links as a person would (the credential is after '#'),
// interrupts it, and checks the tally includes that ballot and the record
// verifies.
func TestDemoServe(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs a whole election")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"demo", "--voters", "4", "--trustees", "3", "--threshold", "2", "--quiet",
			"--serve", "--browser-voters", "2", "--addr", "127.0.0.1:0", "--keep", t.TempDir()})
	}()
	link := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/e/([a-z0-9-]+)/#(TC1-[A-Z0-9-]+)`)
	var m []string
	for deadline := time.Now().Add(2 * time.Minute); m == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("no voter link printed\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		select {
		case code := <-done:
			t.Fatalf("demo ended early with %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		m = link.FindStringSubmatch(stdout.String())
	}
	if !strings.Contains(stdout.String(), m[1]+"/e/"+m[2]+"/observe") {
		t.Errorf("no observer link in:\n%s", stdout.String())
	}
	cred, err := ballot.ParseCredential(m[3])
	if err != nil {
		t.Fatalf("credential in the link: %v", err)
	}
	c := service.NewClient(m[1])
	in, err := c.Info(ctx, m[2])
	if err != nil {
		t.Fatal(err)
	}
	el, err := in.Election()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := castBallot(ctx, c, el, cred, "mayor=carol;park=yes", false); err != nil {
		t.Fatalf("casting from the link's credential: %v", err)
	}
	cancel() // Ctrl-C: close, tally, verify
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo --serve: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("demo --serve did not finish after the interrupt")
	}
	if !strings.Contains(stdout.String(), "Turnout  5 ballots") || !strings.Contains(stderr.String(), "5 counted ballots and the tally check out") {
		t.Fatalf("the tally does not include the ballot cast from the link:\n%s\n%s", stdout.String(), stderr.String())
	}
}
