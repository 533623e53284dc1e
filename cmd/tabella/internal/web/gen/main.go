// Command gen builds the browser's ballot client (cmd/tabellawasm) to
// WebAssembly and copies Go's wasm_exec.js next to it. It is run by
// `go generate ./cmd/tabella/internal/web` from that folder, and writes
// into assets/, or into $TABELLA_WASM_OUT (CI builds there and compares
// with the committed files). The build is reproducible: -trimpath, no
// build id, symbols stripped; the same Go version gives the same bytes.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	out := os.Getenv("TABELLA_WASM_OUT")
	if out == "" {
		out = "assets"
	}
	if err := run(out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", filepath.Join(out, "tabella.wasm"), "../../../tabellawasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building tabella.wasm: %w", err)
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	js, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", "wasm_exec.js"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "wasm_exec.js"), js, 0o644)
}
