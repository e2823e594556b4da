package main

import (
	"fmt"
	"io"

	"github.com/clawbridge/clawbridge/daemon/service"
	"github.com/clawbridge/clawbridge/daemon/shellquote"
)

// runInstall installs the login agent for a config and, unless told not
// to, starts it.
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
