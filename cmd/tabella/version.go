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
		example: "tabella version",
		run: func(ctx context.Context, e *env, args []string) error {
			fs := newFlags(e, "version")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
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
