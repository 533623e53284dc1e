package main

import (
	"context"
	"flag"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CLI conventions (issue 16 item 4), checked over the whole command
// table so that a new command or group is covered without editing a test.

// flagsOf returns the flag set c parses, by running c with -h as help does.
func flagsOf(t *testing.T, c *command) *flag.FlagSet {
	t.Helper()
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	require.ErrorIs(t, c.run(context.Background(), e, []string{"-h"}), flag.ErrHelp, "%s must answer -h", c.name)
	return e.flags
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// nextCommand matches a last line that names a tabella command to run.
var nextCommand = regexp.MustCompile(`'tabella [^']+'`)

func TestEveryCommandHelp(t *testing.T) {
	require.NotEmpty(t, commands)
	flagTable := regexp.MustCompile(`(?m)^\s+--?[a-z]`)
	for _, name := range slices.Sorted(maps.Keys(commands)) {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			c := commands[name]
			words := strings.Fields(name)
			code, out, errOut := runCmd(t, append(slices.Clone(words), "-h")...)
			require.Equal(t, 0, code, errOut)
			assert.Empty(t, errOut)
			assert.True(t, strings.HasPrefix(out, "Usage: tabella "+name), out)
			assert.Contains(t, out, "\nFlags:\n")
			assert.Contains(t, out, "\nExample:\n  tabella ")
			for _, form := range [][]string{append(slices.Clone(words), "--help"), append([]string{"help"}, words...)} {
				code, o, e := runCmd(t, form...)
				require.Equal(t, 0, code, "%v: %s", form, e)
				assert.Equal(t, out, o, "%v prints the same help as -h", form)
			}
			fs := flagsOf(t, c)
			require.NotNil(t, fs, "%s parses no flag set", name)
			fs.VisitAll(func(f *flag.Flag) {
				assert.NotEmpty(t, f.Usage, "flag -%s has no description", f.Name)
				assert.Contains(t, out, "\n  -"+f.Name, "help lists -%s", f.Name)
			})
			// The flags are listed once, from the flag set: the usage text
			// has no flag table of its own.
			assert.NotRegexp(t, flagTable, c.usage, "%s's usage lists flags by hand", name)
		})
	}
}

func TestGroupHelp(t *testing.T) {
	gs := groups()
	for _, want := range []string{"board", "election", "trustee"} {
		require.Contains(t, gs, want)
	}
	listed := regexp.MustCompile(`(?m)^  (\S+(?: \S+)*?)  +\S`)
	commandsListed := func(t *testing.T, out string) []string {
		var names []string
		for _, m := range listed.FindAllStringSubmatch(out, -1) {
			names = append(names, m[1])
		}
		return names
	}
	for _, g := range gs {
		t.Run(g, func(t *testing.T) {
			want := groupCommands(g)
			require.NotEmpty(t, want)
			var first string
			for _, form := range [][]string{{"help", g}, {g, "-h"}, {g, "--help"}} {
				code, out, errOut := runCmd(t, form...)
				require.Equal(t, 0, code, "%v: %s", form, errOut)
				assert.Empty(t, errOut, "%v", form)
				assert.Equal(t, want, commandsListed(t, out), "%v lists exactly the group's commands", form)
				assert.Contains(t, lastLine(out), "'tabella help "+g+" <command>'")
				if first == "" {
					first = out
				}
				assert.Equal(t, first, out, "%v", form)
			}
			// The group alone is a usage error with the listing on stderr.
			code, out, errOut := runCmd(t, g)
			assert.Equal(t, 2, code)
			assert.Empty(t, out)
			assert.Equal(t, want, commandsListed(t, errOut))
			assert.Regexp(t, nextCommand, lastLine(errOut))
			// An unknown command of the group names it and lists the group.
			for _, form := range [][]string{{g, "bogus"}, {"help", g, "bogus"}} {
				code, out, errOut = runCmd(t, form...)
				assert.Equal(t, 2, code, "%v", form)
				assert.Empty(t, out, "%v", form)
				assert.Contains(t, errOut, `unknown command "`+g+` bogus"`, "%v", form)
				assert.Equal(t, want, commandsListed(t, errOut), "%v", form)
				assert.Regexp(t, nextCommand, lastLine(errOut), "%v", form)
			}
		})
	}
	// The top-level help lists every command and names the groups.
	code, out, _ := runCmd(t, "help")
	require.Equal(t, 0, code)
	assert.Len(t, commandsListed(t, out), len(commands))
	assert.Contains(t, out, strings.Join(gs, ", "))
}

// TestMisuseNamesNextCommand: every command, called with a flag it does not
// have, exits 2 and ends stderr with the command to run for its help.
func TestMisuseNamesNextCommand(t *testing.T) {
	for name := range commands {
		code, out, errOut := runCmd(t, append(strings.Fields(name), "--no-such-flag")...)
		assert.Equal(t, 2, code, name)
		assert.Empty(t, out, name)
		assert.Equal(t, "run 'tabella help "+name+"' for its flags and an example", lastLine(errOut), name)
	}
	for _, args := range [][]string{{"no-such-command"}, {"help", "no-such-command"}} {
		code, _, errOut := runCmd(t, args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Regexp(t, nextCommand, lastLine(errOut), "%v", args)
	}
}

// TestFailureNamesNextCommand: failures the code recognises end with the
// specific next step; others with the command's help.
func TestFailureNamesNextCommand(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	pass := filepath.Join(dir, "pass")
	require.NoError(t, os.WriteFile(pass, []byte("a long passphrase\n"), 0o600))
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + l.Addr().String()
	require.NoError(t, l.Close())

	for _, tc := range []struct {
		args []string
		last string
	}{
		{[]string{"trustee", "decrypt", "--server", dead, "--election", "e1", "--key", missing, "--passphrase-file", pass},
			"run 'tabella trustee init --out " + missing + "' to make a trustee key file"},
		{[]string{"trustee", "ceremony", "--server", dead, "--election", "e1", "--key", missing, "--passphrase-file", pass},
			"run 'tabella trustee init --out " + missing + "' to make a trustee key file"},
		{[]string{"election", "open", "--server", dead, "--election", "e1", "--key", missing, "--passphrase-file", pass},
			"run 'tabella official init --out " + missing + "' to make an official's key file"},
		{[]string{"verify", missing},
			"run 'tabella export --server URL --election ID --out " + missing + "' to fetch the record"},
		{[]string{"board", "serve", "--store", "sqlite:" + filepath.Join(dir, "b.db"), "--key", missing},
			"run 'tabella board keygen --name NAME --out " + missing + "' to make a note key"},
		{[]string{"trustee", "status", "--server", dead, "--election", "e1"},
			"no server answered: check --server, or run 'tabella serve' to start one"},
		{[]string{"election", "status", "--server", dead, "--election", "e1"},
			"no server answered: check --server, or run 'tabella serve' to start one"},
		{[]string{"official", "init", "--out", pass, "--passphrase-file", pass},
			"run 'tabella help official init' for its flags and an example"},
	} {
		code, _, errOut := runCmd(t, tc.args...)
		assert.Equal(t, 1, code, "%v: %s", tc.args, errOut)
		assert.Equal(t, tc.last, lastLine(errOut), "%v", tc.args)
		assert.Regexp(t, nextCommand, lastLine(errOut))
	}
}

// TestRegisterRefuses: a command without an example, with a hand-written
// flag list, or whose name collides with a group never enters the table.
func TestRegisterRefuses(t *testing.T) {
	ok := command{name: "zz-test", summary: "s", usage: "Usage: tabella zz-test\n", example: "tabella zz-test",
		run: func(context.Context, *env, []string) error { return nil }}
	for _, tc := range []struct {
		why string
		mod func(c *command)
	}{
		{"no example", func(c *command) { c.example = " \n" }},
		{"flags in usage", func(c *command) { c.usage += "\nFlags:\n  --x  y\n" }},
		{"example in usage", func(c *command) { c.usage += "\nExample:\n  tabella zz-test\n" }},
		{"usage of another command", func(c *command) { c.usage = "Usage: tabella other\n" }},
		{"name is a group", func(c *command) { c.name, c.usage = "trustee", "Usage: tabella trustee\n" }},
		{"inside a command", func(c *command) { c.name, c.usage = "demo x", "Usage: tabella demo x\n" }},
		{"duplicate", func(c *command) { c.name, c.usage = "version", "Usage: tabella version\n" }},
	} {
		c := ok
		tc.mod(&c)
		n := len(commands)
		assert.Panics(t, func() { register(&c) }, tc.why)
		assert.Len(t, commands, n, tc.why)
	}
}

// TestHintError: a hint survives wrapping, and only tabella commands are hints.
func TestHintError(t *testing.T) {
	base := os.ErrNotExist
	err := withHint(base, "tabella trustee init --out k", "to make one")
	wrapped := &wrapErr{err}
	assert.ErrorIs(t, wrapped, os.ErrNotExist)
	assert.Equal(t, "run 'tabella trustee init --out k' to make one", nextStep(commands["trustee decrypt"], wrapped))
	assert.Nil(t, withHint(nil, "tabella x", "y"))
	assert.Panics(t, func() { _ = withHint(base, "rm -rf /", "no") })
	assert.Equal(t, io.EOF, hintIfMissing(io.EOF, "tabella x", "y"), "only a missing file gets the hint")
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }
