package main

import (
	"strings"

	"github.com/clawbridge/clawbridge/daemon/service"
)

// appArgs are the arguments to dispatch for a process started with args
// from executable exe. Finder, `open` and Login Items start clawbridge.app
// with no arguments (macOS before 10.9 added a -psn_ process serial
// number); inside the bundle that means `run`, where a bare binary prints
// its usage.
func appArgs(args []string, exe string) []string {
	if !service.InAppBundle(exe) {
		return args
	}
	if len(args) == 0 || (len(args) == 1 && strings.HasPrefix(args[0], "-psn_")) {
		return []string{"run"}
	}
	return args
}
