package main

import (
	"fmt"
	"io"

	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/shellquote"
)

// serviceOptions is what the service commands pass to daemon/service.
// Tests replace it to take the per-user path while running as root (as CI
// does) and to install a fixed binary rather than the test executable.
var serviceOptions = func() service.Options { return service.Options{} }

func runInstall(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("install", stderr)
	cfg := fs.String("config", "", "config file the agent runs with (default: clawbridge/config.yaml in the user config directory, created on first start)")
	noStart := fs.Bool("no-start", false, "install for the next login without starting clawbridge now")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clawbridge install [--config PATH] [--no-start]")
		fmt.Fprintln(stderr, "\nInstalls clawbridge as your login agent (a LaunchAgent on macOS, a systemd user unit on Linux) and starts it.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o := serviceOptions()
	o.ConfigPath = *cfg
	agent, err := service.Describe(o)
	if err != nil {
		return err
	}
	if err := service.Install(o); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed %s\n", agent.File)
	if agent.Autostart != "" {
		fmt.Fprintf(stdout, "installed %s\n", agent.Autostart)
	}
	fmt.Fprintf(stdout, "  runs: %s\n  logs: %s\n", shellquote.Join(agent.Command), agent.LogFile)
	if *noStart {
		fmt.Fprintln(stdout, "clawbridge starts at your next login. To start it now: clawbridge start")
		return nil
	}
	if err := service.Start(o); err != nil {
		return fmt.Errorf("installed, but not started: %w", err)
	}
	fmt.Fprintln(stdout, "started; it starts again at every login. Next: clawbridge status")
	return nil
}

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
