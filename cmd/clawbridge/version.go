package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/clawbridge/clawbridge/tray"
)

// Set by the linker (see the Makefile's LDFLAGS); the fallbacks below read
// what the Go toolchain recorded when built without them.
var (
	version = "dev"
	commit  = ""
	date    = ""
)

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, d := commit, date
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	trayState := "not compiled in"
	if tray.Available {
		trayState = "compiled in"
	}
	fmt.Fprintf(stdout, "clawbridge %s\ncommit: %s\nbuilt: %s\ngo: %s %s/%s\ntray: %s\n",
		version, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH, trayState)
	return nil
}
