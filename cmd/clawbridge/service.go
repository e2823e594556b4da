package main

import (
	"fmt"
	"io"

	"github.com/clawbridge/clawbridge/daemon/service"
)

// serviceOptions is what the service commands pass to daemon/service.
// Tests replace it to take the per-user path while running as root (as CI
// does) and to install a fixed binary rather than the test executable.
var serviceOptions = func() service.Options { return service.Options{} }

func runUninstall(args []string, stdout, stderr io.Writer) error {
	return serviceCommand("uninstall", args, stdout, stderr, func(o service.Options) (string, error) {
		if err := service.Uninstall(o); err != nil {
			return "", err
		}
		file, err := service.AgentFile()
		if err != nil {
			return "", err
		}
		return "uninstalled " + file + "; the logs stay", nil
	})
}

func runStart(args []string, stdout, stderr io.Writer) error {
	return serviceCommand("start", args, stdout, stderr, func(o service.Options) (string, error) {
		return "started. Next: clawbridge status", service.Start(o)
	})
}

func runStop(args []string, stdout, stderr io.Writer) error {
	return serviceCommand("stop", args, stdout, stderr, func(o service.Options) (string, error) {
		return "stopped; it starts again at the next login (clawbridge uninstall removes it)", service.Stop(o)
	})
}

func runRestart(args []string, stdout, stderr io.Writer) error {
	return serviceCommand("restart", args, stdout, stderr, func(o service.Options) (string, error) {
		return "restarted", service.Restart(o)
	})
}

// serviceCommand runs one flagless service command and prints its result.
func serviceCommand(name string, args []string, stdout, stderr io.Writer, do func(service.Options) (string, error)) error {
	fs := newFlagSet(name, stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	msg, err := do(serviceOptions())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, msg)
	return nil
}
