package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func testServeFlags(t testing.TB) *serveFlags {
	return newServeFlags(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
}

// TestServeConfigExample: the documented example file (testdata/serve.conf,
// also in the README) sets what it says.
func TestServeConfigExample(t *testing.T) {
	f := testServeFlags(t)
	require.NoError(t, f.parse([]string{"--config", "testdata/serve.conf"}))
	require.Equal(t, "postgres://tabella:secret@db.internal:5432/tabella?sslmode=verify-full", *f.dsn)
	require.Equal(t, "0.0.0.0:8080", *f.addr)
	require.Equal(t, "/etc/tabella/board.key", *f.keyFile)
	require.Equal(t, "vote.example.org", *f.boardName)
	require.Equal(t, "/etc/tabella/officials.txt", *f.officialsFile)
	require.Equal(t, "X-Forwarded-For", *f.ipHeader)
	require.Equal(t, multiFlag{"10.0.0.0/24", "fd00:1::/64"}, f.proxies)
	require.Equal(t, 4, *f.workers)
	require.Equal(t, 20000, *f.maxStreams)
	require.True(t, *f.jsonLogs)
	require.Equal(t, "info", *f.logLevel)
	// Untouched flags keep their defaults.
	require.True(t, *f.runCoord)
	require.Equal(t, "", *f.tlsCert)
}

// TestServeConfigOverride: a flag on the command line wins over the
// file, wherever it stands; for a repeatable flag the command line's
// values replace all of the file's.
func TestServeConfigOverride(t *testing.T) {
	f := testServeFlags(t)
	require.NoError(t, f.parse([]string{"--addr", "127.0.0.1:9", "--config", "testdata/serve.conf", "--trusted-proxy", "192.0.2.1", "--json-logs=false"}))
	require.Equal(t, "127.0.0.1:9", *f.addr)
	require.Equal(t, multiFlag{"192.0.2.1"}, f.proxies)
	require.False(t, *f.jsonLogs)
	require.Equal(t, "vote.example.org", *f.boardName, "keys not on the command line still come from the file")
}

// TestServeConfigStrict: every malformed file is refused as a usage error
// naming the line, and nothing of it is half-applied in a way that
// matters (the server does not start).
func TestServeConfigStrict(t *testing.T) {
	for _, c := range []struct {
		name, file, want string
	}{
		{"unknown key", "addr = :1\nlisten = :2\n", "serve.conf:2: unknown key \"listen\""},
		{"misspelt key", "Store = sqlite:x.db\n", "unknown key \"Store\""},
		{"dashes", "--addr = :1\n", "unknown key \"--addr\""},
		{"no equals", "addr :1\n", "serve.conf:1: want \"key = value\""},
		{"empty key", " = x\n", "unknown key \"\""},
		{"config in config", "config = other.conf\n", "unknown key \"config\""},
		{"twice", "# c\naddr = :1\n\naddr = :2\n", "serve.conf:4: addr given twice (first on line 2)"},
		{"bad int", "verify-workers = four\n", "serve.conf:1: verify-workers:"},
		{"bad float", "ip-rate = 1e\n", "ip-rate:"},
		{"bad bool", "json-logs = yes please\n", "json-logs:"},
		{"not utf-8", "board-name = \xff\n", "not UTF-8"},
		{"too large", strings.Repeat("# padding\n", maxConfigSize/10+1), "over 65536 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "serve.conf")
			require.NoError(t, os.WriteFile(path, []byte(c.file), 0o600))
			err := testServeFlags(t).parse([]string{"--config", path})
			require.Error(t, err)
			require.True(t, errors.Is(err, errUsage), "%v is not a usage error", err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	// A repeatable key may repeat; a missing file is an error.
	require.Error(t, testServeFlags(t).parse([]string{"--config", filepath.Join(t.TempDir(), "none.conf")}))
}

// TestServeBadConfigExits: `tabella serve` with a bad file exits 2 with
// the reason, before it opens any store.
func TestServeBadConfigExits(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "serve.conf")
	require.NoError(t, os.WriteFile(path, []byte("store = sqlite:"+filepath.Join(dir, "b.db")+"\nlog-levl = debug\n"), 0o600))
	code, _, errOut := runCmd(t, "serve", "--config", path)
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "unknown key \"log-levl\"")
	require.NoFileExists(t, filepath.Join(dir, "b.db"))
	code, _, errOut = runCmd(t, "serve", "--store", "sqlite:"+filepath.Join(dir, "b.db"), "--log-level", "loud")
	require.Equal(t, 2, code, errOut)
	require.Contains(t, errOut, "--log-level")
}

// FuzzServeConfig: the configuration decoder never panics; every error is
// a usage error; a file it accepts names only known keys, and applying it
// twice to fresh flag sets gives the same flags.
func FuzzServeConfig(f *testing.F) {
	seed, err := os.ReadFile("testdata/serve.conf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("addr = :1\naddr = :2\n"))
	f.Add([]byte("official = 00\r\nwitness=x\n#\n"))
	f.Add([]byte("listen = :1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := testServeFlags(t)
		if err := applyConfig(a.fs, "c", data); err != nil {
			if !errors.Is(err, errUsage) {
				t.Fatalf("%q: error %v is not a usage error", data, err)
			}
			return
		}
		b := testServeFlags(t)
		if err := applyConfig(b.fs, "c", data); err != nil {
			t.Fatalf("%q: accepted once, refused the second time: %v", data, err)
		}
		var sa, sb bytes.Buffer
		a.fs.VisitAll(func(fl *flag.Flag) { sa.WriteString(fl.Name + "=" + fl.Value.String() + "\n") })
		b.fs.VisitAll(func(fl *flag.Flag) { sb.WriteString(fl.Name + "=" + fl.Value.String() + "\n") })
		if sa.String() != sb.String() {
			t.Fatalf("%q: two applications differ", data)
		}
	})
}
