package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print the version of tabella",
		usage:   "Usage: tabella version\n\nPrints the module version and the Go version it was built with.\n",
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: version takes no arguments", errUsage)
			}
			v := "(devel)"
			gov := ""
			if bi, ok := debug.ReadBuildInfo(); ok {
				v, gov = bi.Main.Version, bi.GoVersion
			}
			fmt.Fprintf(e.stdout, "tabella %s %s\n", v, gov)
			return nil
		},
	})
}
