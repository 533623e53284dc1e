package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

// The configuration file of `tabella serve` (--config FILE).
//
// The format is the command line written down: one "key = value" per
// line, where key is the name of a serve flag without its dashes and
// value is what the flag would be given (parsed and checked by the flag
// itself, so a file and a command line cannot disagree about what a value
// means). Blank lines and lines starting with '#' are ignored. Decoding is
// strict: an unknown key, a line without '=', an empty key, a key given
// twice (except the repeatable ones: official, witness, trusted-proxy), a
// value its flag refuses, a file over maxConfigSize bytes or not UTF-8 are
// errors naming the line. A flag given on the command line overrides the
// file: the file's lines for that key are ignored (for a repeatable flag,
// all of them).

// maxConfigSize bounds a configuration file.
const maxConfigSize = 64 << 10

// configFlag is the flag that names the file; it cannot appear in it.
const configFlag = "config"

// applyConfig applies the configuration file data (named name in errors)
// to fs, whose command line has been parsed: keys whose flag was set on the
// command line are skipped.
func applyConfig(fs *flag.FlagSet, name string, data []byte) error {
	if len(data) > maxConfigSize {
		return fmt.Errorf("%w: %s: over %d bytes", errUsage, name, maxConfigSize)
	}
	if !utf8.Valid(data) {
		return fmt.Errorf("%w: %s: not UTF-8", errUsage, name)
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	seen := map[string]int{} // key → line first given
	for n, line := range bytes.Split(data, []byte("\n")) {
		n++
		text := strings.TrimSpace(strings.TrimSuffix(string(line), "\r"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			return fmt.Errorf("%w: %s:%d: want \"key = value\", got %q", errUsage, name, n, text)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		f := fs.Lookup(key)
		if key == "" || key == configFlag || f == nil {
			return fmt.Errorf("%w: %s:%d: unknown key %q", errUsage, name, n, key)
		}
		_, repeatable := f.Value.(*multiFlag)
		if first, dup := seen[key]; dup && !repeatable {
			return fmt.Errorf("%w: %s:%d: %s given twice (first on line %d)", errUsage, name, n, key, first)
		}
		seen[key] = n
		if onCommandLine[key] {
			continue
		}
		if err := f.Value.Set(value); err != nil {
			return fmt.Errorf("%w: %s:%d: %s: %v", errUsage, name, n, key, err)
		}
	}
	return nil
}

// loadConfig reads and applies the file named by the --config flag, if
// set.
func loadConfig(fs *flag.FlagSet, path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: --config: %v", errUsage, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	return applyConfig(fs, path, data)
}
