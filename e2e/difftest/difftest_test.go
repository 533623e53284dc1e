package difftest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/tabella-vote/tabella/bulletin"
	"github.com/tabella-vote/tabella/e2e/record"
	"github.com/tabella-vote/tabella/e2e/rules"
	"github.com/tabella-vote/tabella/e2e/service"
	"github.com/tabella-vote/tabella/e2e/verify"
)

const corpusDir = "../testdata"

// binary is the tabella binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tabella-difftest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "tabella")
	build := exec.Command("go", "build", "-o", binary, "github.com/tabella-vote/tabella/cmd/tabella")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building tabella:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// corpusCase is one line of corpus.json.
type corpusCase struct {
	File     string       `json:"file"`
	Valid    bool         `json:"valid"`
	Check    verify.Check `json:"check"`
	Entry    int64        `json:"entry"`
	Contains string       `json:"contains"`
	What     string       `json:"what"`
}

// boardKeys maps each board verifier key of the corpus to its signer key
// (e2e/testdata/board-keys.txt).
func boardKeys(t *testing.T) map[string]string {
	data, err := os.ReadFile(filepath.Join(corpusDir, "board-keys.txt"))
	require.NoError(t, err)
	keys := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.SplitN(line, "+", 5)
		require.Len(t, parts, 5, "board-keys.txt: not a note signer key")
		raw, err := base64.StdEncoding.DecodeString(parts[4])
		require.NoError(t, err)
		require.Len(t, raw, 1+ed25519.SeedSize)
		pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
		vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
		require.NoError(t, err)
		keys[vkey] = line
	}
	return keys
}

// readEntries returns a record's header and the entries it holds up to
// its first line that does not read.
func readEntries(data []byte) (record.Header, []*bulletin.Entry, error) {
	rd, err := record.NewReader(bytes.NewReader(data))
	if err != nil {
		return record.Header{}, nil, err
	}
	var es []*bulletin.Entry
	for {
		it, err := rd.Next()
		if err != nil {
			return rd.Header(), es, nil //nolint:nilerr // the entries before a bad line are what is replayed
		}
		if it.Entry != nil {
			es = append(es, it.Entry)
		}
	}
}

// A live is a `tabella serve` process replaying one record.
type live struct {
	url   string
	clock string
	cmd   *exec.Cmd
	logs  *bytes.Buffer
}

func startServe(t *testing.T, skey string, officials []string, start int64) *live {
	dir := t.TempDir()
	l := &live{clock: filepath.Join(dir, "clock"), logs: &bytes.Buffer{}}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "board.key"), []byte(skey+"\n"), 0o600))
	l.setClock(t, start)
	args := []string{"serve", "--store", "sqlite:" + filepath.Join(dir, "board.db"), "--addr", "127.0.0.1:0",
		"--addr-file", filepath.Join(dir, "addr"), "--board-key", filepath.Join(dir, "board.key"),
		"--coordinator=false", "--clock-file", l.clock, "--cred-rate", "10000", "--ip-rate", "100000"}
	for _, o := range officials {
		args = append(args, "--official", o)
	}
	l.cmd = exec.Command(binary, args...)
	l.cmd.Stdout, l.cmd.Stderr = l.logs, l.logs
	require.NoError(t, l.cmd.Start())
	t.Cleanup(func() {
		_ = l.cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- l.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = l.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tabella serve logs:\n%s", l.logs)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		b, err := os.ReadFile(filepath.Join(dir, "addr"))
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			l.url = "http://" + strings.TrimSpace(string(b))
			return l
		}
		require.True(t, time.Now().Before(deadline), "tabella serve did not start:\n%s", l.logs)
		time.Sleep(20 * time.Millisecond)
	}
}

func (l *live) base() string { return l.url }

// A replayer is a service the replay submits to, with its board clock.
type replayer interface {
	base() string
	setClock(t *testing.T, ms int64)
}

func (l *live) setClock(t *testing.T, ms int64) {
	tmp := l.clock + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(strconv.FormatInt(ms, 10)+"\n"), 0o644))
	require.NoError(t, os.Rename(tmp, l.clock))
}

// officialsOf returns the official keys (hex) an entry-0 setup lists.
func officialsOf(es []*bulletin.Entry) []string {
	if len(es) == 0 {
		return nil
	}
	st, err := record.DecodeSetup(es[0].Payload)
	if err != nil {
		return nil
	}
	var out []string
	for _, k := range st.Officials {
		out = append(out, hex.EncodeToString(k[:]))
	}
	return out
}

// boardChecks are the checks of the board and the record file itself: no
// submission can break them (the service builds its own chain), so a
// record that fails one of them has every entry admitted.
var boardChecks = map[verify.Check]bool{
	rules.CheckFormat: true, rules.CheckEntry: true, rules.CheckChain: true, rules.CheckCheckpoint: true,
	rules.CheckFork: true, rules.CheckRoot: true, rules.CheckWitness: true, rules.CheckLast: true, rules.CheckComplete: true,
}

// TestCorpusThroughService replays every corpus record through a live
// service and compares its refusals with the verifier's failures.
func TestCorpusThroughService(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "corpus.json"))
	require.NoError(t, err)
	var corpus []corpusCase
	require.NoError(t, json.Unmarshal(data, &corpus))
	require.NotEmpty(t, corpus)
	keys := boardKeys(t)
	for _, c := range corpus {
		t.Run(strings.TrimSuffix(filepath.Base(c.File), ".record"), func(t *testing.T) {
			t.Parallel()
			rec, err := os.ReadFile(filepath.Join(corpusDir, c.File))
			require.NoError(t, err)
			// The verifier's verdict, from the record alone, with every
			// failure: the service must refuse the first entry that breaks
			// an election rule (a fault of the board itself, first in the
			// record, may hide one: a dropped ballot makes the result wrong).
			rep, verr := verify.Record(context.Background(), bytes.NewReader(rec), verify.Options{All: true})
			want := int64(-1)
			var check verify.Check
			if c.Valid {
				require.NoError(t, verr)
				require.True(t, rep.Valid && rep.Complete)
			} else {
				var f *verify.Failure
				require.True(t, errors.As(verr, &f), "the verifier accepts %s: %v", c.File, verr)
				require.Equal(t, c.Check, f.Check, "the verifier's check differs from corpus.json")
				require.Equal(t, c.Entry, f.Entry, "the verifier's entry differs from corpus.json")
				for _, f := range rep.Failures {
					if !boardChecks[f.Check] {
						want, check = f.Entry, f.Check
						require.GreaterOrEqual(t, want, int64(0), "an election rule (%s) that names no entry", check)
						break
					}
				}
				t.Logf("the verifier: first failure %s at entry %d; first election rule broken: %q at entry %d", f.Check, f.Entry, check, want)
			}
			h, es, err := readEntries(rec)
			require.NoError(t, err)
			skey, ok := keys[h.BoardKey]
			require.True(t, ok, "no signer key in board-keys.txt for the record's board %s", h.BoardKey)
			require.NotEmpty(t, es)
			l := startServe(t, skey, officialsOf(es), es[0].Time)
			replay(t, l, h.Election, es, want, check, c.Valid)
		})
	}
}

// replay submits es in order; the service must admit every entry before
// index want and refuse entry want (−1: none) by the rule check.
func replay(t *testing.T, l replayer, election string, es []*bulletin.Entry, want int64, check verify.Check, valid bool) {
	ctx := context.Background()
	c := service.NewClient(l.base())
	for _, e := range es {
		l.setClock(t, e.Time)
		r, err := c.Submit(ctx, election, service.Submission{Type: e.Type, Payload: e.Payload, Signer: e.Signer, Signature: e.Signature})
		if int64(e.Index) != want {
			require.NoError(t, err, "the service refuses entry %d (%s), which the verifier accepts", e.Index, e.Type)
			require.Equal(t, e.Index, r.Receipt.Index, "entry %d (%s) appended at another index", e.Index, e.Type)
			if valid {
				require.Equal(t, e.Hash, r.Receipt.EntryHash, "entry %d (%s): the service's chain differs from the record's", e.Index, e.Type)
			}
			continue
		}
		if err == nil && r.Receipt.Index < e.Index {
			// A submission repeated byte for byte (whatever rule the
			// verifier names for the repeat in a record) is answered with
			// its first entry's receipt and appends nothing.
			f := es[r.Receipt.Index]
			require.Equal(t, bulletin.SubmissionKey(f.Type, f.Payload, f.Signer, f.Signature), bulletin.SubmissionKey(e.Type, e.Payload, e.Signer, e.Signature),
				"entry %d answered with the receipt of entry %d, which it does not repeat", e.Index, r.Receipt.Index)
			return
		}
		var ae *service.APIError
		require.True(t, errors.As(err, &ae), "entry %d (%s): the service admits what the verifier rejects by %s (err %v)", e.Index, e.Type, check, err)
		assert.Equal(t, string(check), ae.Rule, "entry %d (%s): the service refuses it by another rule: %v", e.Index, e.Type, ae)
		return
	}
	require.Equal(t, int64(-1), want, "the record ends before the entry the verifier names")
}
