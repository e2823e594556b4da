// Command clawbench measures what clawbridge costs between a client and a
// model, against the alternatives, and writes the report that
// docs/benchmarks.md holds. It is a development tool (`make bench` runs it
// through .ci/bench.sh), not part of the shipped daemon.
//
//	clawbench run [flags]        the whole comparison: relay overhead against
//	                             a fast fake upstream (direct, a Go reverse
//	                             proxy, clawbridge, claude-code-router),
//	                             real Ollama, footprint and the daemon's own
//	                             jobs; prints the report and writes -out
//	clawbench fake [-listen A]   the fake upstream (package ollamafake)
//	clawbench proxy -to URL      httputil.ReverseProxy in front of URL
//
// Every server under test runs as its own process, so that its CPU time
// and memory can be read from /proc/<pid> apart from the load generator's.
// fake and proxy print "listening on http://ADDR" once they accept
// connections, as `clawbridge serve` does.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	cmds := map[string]func([]string, io.Writer, io.Writer) error{
		"run":   runBench,
		"fake":  runFake,
		"proxy": runProxy,
	}
	if len(args) == 0 || cmds[args[0]] == nil {
		fmt.Fprintln(stderr, "usage: clawbench run [flags] | fake [-listen ADDR] | proxy -to URL [-listen ADDR]")
		if len(args) == 0 || args[0] == "-h" || args[0] == "help" {
			return 2
		}
		fmt.Fprintf(stderr, "clawbench: unknown command %q\n", args[0])
		return 2
	}
	if err := cmds[args[0]](args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "clawbench %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
