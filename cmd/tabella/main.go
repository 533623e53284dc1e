// Command tabella is the one binary of Tabella, a verifiable e-voting
// backend: it runs the server, the demo, the officials', trustees', voters'
// and observers' tools. Run `tabella help` for the list of commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// A command is one subcommand. Each lives in its own file and registers
// itself with register in an init function, so files of different areas
// never edit the same table.
type command struct {
	name    string // e.g. "demo" or "board follow"
	summary string // one line for `tabella help`
	usage   string // full usage text with examples
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its streams and arguments. Tests run
// commands through it without a subprocess.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("tabella: internal error: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error in how a command was called; it exits with 2.
var errUsage = errors.New("usage error")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// run executes one command line and returns the process exit code:
// 0 success, 1 failure, 2 usage error.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c := lookup(args[1:]); c != nil {
				fmt.Fprint(e.stdout, c.usage)
				return 0
			}
		}
		printHelp(e.stdout)
		return 0
	}
	c, rest := lookupArgs(args)
	if c == nil {
		fmt.Fprintf(e.stderr, "tabella: unknown command %q; run 'tabella help'\n", strings.Join(args[:min(2, len(args))], " "))
		return 2
	}
	err := c.run(ctx, e, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(e.stdout, c.usage)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "tabella %s: %v\n\n%s", c.name, err, c.usage)
		return 2
	default:
		fmt.Fprintf(e.stderr, "tabella %s: %v\n", c.name, err)
		return 1
	}
}

// lookupArgs finds the longest registered command name that prefixes args.
func lookupArgs(args []string) (*command, []string) {
	for n := min(3, len(args)); n >= 1; n-- {
		if c, ok := commands[strings.Join(args[:n], " ")]; ok {
			return c, args[n:]
		}
	}
	return nil, nil
}

func lookup(args []string) *command { c, _ := lookupArgs(args); return c }

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "tabella: a verifiable e-voting backend")
	fmt.Fprintln(w, "\nUsage: tabella <command> [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'tabella help <command>' for a command's flags and examples.")
}

// newFlags returns a flag set that reports errors instead of exiting, with
// its output sent to the command's stderr.
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args, mapping flag errors to errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
