//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// Outside the browser the command only says how to build it.
func main() {
	fmt.Fprintln(os.Stderr, "tabellawasm: build with GOOS=js GOARCH=wasm; see cmd/tabella/internal/web (go generate)")
	os.Exit(2)
}
