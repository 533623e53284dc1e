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
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"syscall"
)

// A command is one subcommand. Each lives in its own file and registers
// itself with register in an init function, so files of different areas
// never edit the same table.
//
// A command's help is assembled, never written whole: usage (its synopsis
// and what it does), then its flags as its flag set prints them (names,
// descriptions, defaults), then example. So the flags are listed once, from
// the code that parses them, and register refuses a command without an
// example.
type command struct {
	name    string // e.g. "demo" or "board follow"
	summary string // one line for `tabella help`
	usage   string // "Usage: tabella NAME …" and what the command does; no flag list
	example string // one or more example command lines, required
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its streams and arguments. Tests run
// commands through it without a subprocess.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// flags is the running command's flag set, recorded by newFlags so that
	// run can print the command's help with its flags.
	flags *flag.FlagSet
}

var commands = map[string]*command{}

// register adds c to the command table. It panics (at init, so every test
// fails) on a duplicate name, a name that is also a group, a missing
// example, or a usage text that lists flags or examples itself.
func register(c *command) {
	bad := func(why string) { panic("tabella: internal error: command " + c.name + ": " + why) }
	if _, dup := commands[c.name]; dup {
		bad("registered twice")
	}
	if c.name == "" || c.name != strings.Join(strings.Fields(c.name), " ") {
		bad("malformed name")
	}
	for n := range commands {
		if strings.HasPrefix(n, c.name+" ") || strings.HasPrefix(c.name, n+" ") {
			bad("its name and " + n + "'s make one of them a group")
		}
	}
	if !strings.HasPrefix(c.usage, "Usage: tabella "+c.name) {
		bad("usage must start with 'Usage: tabella " + c.name + "'")
	}
	if strings.Contains(c.usage, "\nFlags:") || strings.Contains(c.usage, "\nExample") {
		bad("usage lists flags or examples; they come from the flag set and the example field")
	}
	if strings.TrimSpace(c.example) == "" {
		bad("no example")
	}
	if c.summary == "" || c.run == nil {
		bad("no summary or no run function")
	}
	commands[c.name] = c
}

// errUsage marks an error in how a command was called; it exits with 2.
var errUsage = errors.New("usage error")

// A hintError is an error that knows what the user should run next: run
// prints "run 'NEXT' WHY" as the last line of stderr instead of the generic
// pointer to the command's help.
type hintError struct {
	err  error
	next string // a command line starting with "tabella "
	why  string // e.g. "to make a key file"
}

func (h *hintError) Error() string { return h.err.Error() }
func (h *hintError) Unwrap() error { return h.err }

// withHint wraps err (nil stays nil) with the command to run next.
func withHint(err error, next, why string) error {
	if err == nil {
		return nil
	}
	if !strings.HasPrefix(next, "tabella ") {
		panic("tabella: internal error: a hint must be a tabella command: " + next)
	}
	return &hintError{err: err, next: next, why: why}
}

// hintIfMissing wraps err with a hint when it says a file does not exist.
func hintIfMissing(err error, next, why string) error {
	if errors.Is(err, os.ErrNotExist) {
		return withHint(err, next, why)
	}
	return err
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func isHelpArg(s string) bool { return s == "help" || s == "-h" || s == "--help" || s == "-help" }

// run executes one command line and returns the process exit code:
// 0 success, 1 failure, 2 usage error. Help goes to stdout with 0. On 1 or
// 2 the last line of stderr names the command to run next.
//
// A group is the first word of the multi-word command names ("trustee" for
// "trustee init", …). 'tabella help GROUP', 'tabella GROUP -h' and
// 'tabella GROUP --help' list its commands on stdout; 'tabella GROUP' alone
// and 'tabella GROUP NOSUCH' are usage errors that print the same list on
// stderr and exit 2.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printHelp(e.stdout)
		return 0
	}
	if isHelpArg(args[0]) {
		topic := args[1:]
		switch c := lookup(topic); {
		case len(topic) == 0:
			printHelp(e.stdout)
			return 0
		case c != nil:
			return showHelp(ctx, e, c)
		case len(topic) == 1 && len(groupCommands(topic[0])) > 0:
			printGroup(e.stdout, topic[0])
			return 0
		case len(groupCommands(topic[0])) > 0:
			fmt.Fprintf(e.stderr, "tabella help: unknown command %q\n\n", strings.Join(topic, " "))
			printGroup(e.stderr, topic[0])
			return 2
		default:
			fmt.Fprintf(e.stderr, "tabella help: unknown command %q\nrun 'tabella help' for the list of commands\n", strings.Join(topic, " "))
			return 2
		}
	}
	c, rest := lookupArgs(args)
	if c == nil {
		if len(groupCommands(args[0])) == 0 {
			fmt.Fprintf(e.stderr, "tabella: unknown command %q\nrun 'tabella help' for the list of commands\n", args[0])
			return 2
		}
		switch {
		case len(args) == 2 && isHelpArg(args[1]):
			printGroup(e.stdout, args[0])
			return 0
		case len(args) == 1:
			fmt.Fprintf(e.stderr, "tabella %s: missing command\n\n", args[0])
		default:
			fmt.Fprintf(e.stderr, "tabella: unknown command %q\n\n", args[0]+" "+args[1])
		}
		printGroup(e.stderr, args[0])
		return 2
	}
	ce := *e
	ce.flags = nil
	err := c.run(ctx, &ce, rest)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		printUsage(e.stdout, c, ce.flags)
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "tabella %s: %v\n%s\n%s\n", c.name, err, synopsis(c), nextStep(c, err))
		return 2
	default:
		fmt.Fprintf(e.stderr, "tabella %s: %v\n%s\n", c.name, err, nextStep(c, err))
		return 1
	}
}

// showHelp prints c's help. The flags are c's own: c runs with "-h", which
// every command's flag parsing answers with flag.ErrHelp before doing
// anything else.
func showHelp(ctx context.Context, e *env, c *command) int {
	ce := env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: e.getenv}
	if err := c.run(ctx, &ce, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(e.stderr, "tabella: internal error: %s does not answer -h (%v)\n", c.name, err)
		return 1
	}
	printUsage(e.stdout, c, ce.flags)
	return 0
}

// synopsis is the first line of c's usage.
func synopsis(c *command) string {
	s, _, _ := strings.Cut(c.usage, "\n")
	return s
}

// nextStep is the last line printed for a failed command: the error's own
// hint, the server to start if none answered, or the command's help.
func nextStep(c *command, err error) string {
	var h *hintError
	if errors.As(err, &h) {
		return fmt.Sprintf("run '%s' %s", h.next, h.why)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return "no server answered: check --server, or run 'tabella serve' to start one"
	}
	return fmt.Sprintf("run 'tabella help %s' for its flags and an example", c.name)
}

// printUsage prints c's help: usage, the flags of fs, the example.
func printUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s\n\nFlags:\n", strings.TrimRight(c.usage, "\n"))
	n := 0
	if fs != nil {
		fs.VisitAll(func(*flag.Flag) { n++ })
	}
	if n == 0 {
		fmt.Fprintln(w, "  (none)")
	} else {
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fmt.Fprintln(w, "\nExample:")
	for _, l := range strings.Split(strings.Trim(c.example, "\n"), "\n") {
		fmt.Fprintf(w, "  %s\n", l)
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

// groupCommands returns the sorted names of the commands of group g ("trustee":
// "trustee ceremony", "trustee decrypt", …), none if g is not a group.
func groupCommands(g string) []string {
	var names []string
	for n := range commands {
		if strings.HasPrefix(n, g+" ") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// groups returns the sorted group names.
func groups() []string {
	seen := map[string]bool{}
	for n := range commands {
		if g, _, ok := strings.Cut(n, " "); ok {
			seen[g] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func printCommands(w io.Writer, names []string) {
	for _, n := range names {
		fmt.Fprintf(w, "  %-20s %s\n", n, commands[n].summary)
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "tabella: a verifiable e-voting backend")
	fmt.Fprintln(w, "\nUsage: tabella <command> [flags] [args]\n\nCommands:")
	printCommands(w, slices.Sorted(maps.Keys(commands)))
	fmt.Fprintln(w, "\nRun 'tabella help <command>' (or 'tabella <command> -h') for a command's flags and an example,")
	fmt.Fprintf(w, "'tabella help <group>' for the commands of one group (%s).\n", strings.Join(groups(), ", "))
}

// printGroup lists group g's commands; its last line names the help command.
func printGroup(w io.Writer, g string) {
	fmt.Fprintf(w, "Usage: tabella %s <command> [flags] [args]\n\nCommands:\n", g)
	printCommands(w, groupCommands(g))
	fmt.Fprintf(w, "\nRun 'tabella help %s <command>' for a command's flags and an example.\n", g)
}

// newFlags returns the command's flag set. It reports errors instead of
// exiting and prints nothing itself: run prints the error, and the help
// with the flags (from the set recorded in e).
func newFlags(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	e.flags = fs
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
