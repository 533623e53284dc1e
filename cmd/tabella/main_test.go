package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCmd runs a command line in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), &env{stdin: strings.NewReader(""), stdout: &o, stderr: &e, getenv: func(string) string { return "" }}, args)
	return code, o.String(), e.String()
}

func TestHelpAndUnknown(t *testing.T) {
	code, out, _ := runCmd(t, "help")
	if code != 0 || !strings.Contains(out, "version") {
		t.Fatalf("help: code %d, out %q", code, out)
	}
	code, _, errOut := runCmd(t, "no-such-command")
	if code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown: code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "version", "extra")
	if code != 2 || !strings.Contains(errOut, "takes no arguments") {
		t.Fatalf("usage error: code %d, stderr %q", code, errOut)
	}
}
