// Command clawbridge runs the clawbridge daemon and its one-shot tools.
//
// Every subcommand lives in its own file; main only dispatches, so that the
// usage text below is the one place that lists them all.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// command is one subcommand: run gets the arguments after its name and
// returns an error to print; an exitError carries a specific exit status.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run the daemon in the foreground (what the service runs)", runRun},
		{"status", "show the running daemon's live state", runStatus},
		{"doctor", "check the whole setup and say how to fix what is wrong", runDoctor},
		{"install", "install clawbridge as your login agent (LaunchAgent / systemd user unit) and start it", runInstall},
		{"uninstall", "stop and remove the login agent", runUninstall},
		{"start", "start the installed agent", runStart},
		{"stop", "stop the installed agent until the next login", runStop},
		{"restart", "restart the installed agent (after an upgrade, say)", runRestart},
		{"pull", "pull the model an alias names (or any model) into Ollama, with progress", runPull},
		{"use", "make an alias answer from another model, as the tray's model menu does", runUse},
		{"switch", "list the tray's switches, or turn one on or off", runSwitch},
		{"serve", "run only the translator in the foreground", runServe},
		{"guard", "check or pin Clawdbot's auth-profiles.json to the local key", runGuard},
		{"patch", "point pi-ai's model catalog at clawbridge, check it or undo it", runPatch},
		{"version", "print version and build details", runVersion},
	}
}

// exitError is returned by a command that wants a particular exit status
// without an error message of its own (for example --check finding work).
type exitError struct {
	code int
	msg  string
}

// Error is the message printed before exiting with code (none when empty).
func (e *exitError) Error() string { return e.msg }

func main() {
	exe, _ := os.Executable() // "" when unknown: not an app bundle
	os.Exit(dispatch(appArgs(os.Args[1:], exe), os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ee):
			if ee.msg != "" {
				fmt.Fprintf(stderr, "clawbridge %s: %s\n", c.name, ee.msg)
			}
			return ee.code
		default:
			fmt.Fprintf(stderr, "clawbridge %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "clawbridge: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: clawbridge <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'clawbridge <command> -h' for the flags of one command.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// a bad flag is a readable message and exit status 2, like Go's own tools.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("clawbridge "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs, turning a usage error into exit status 2.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// parseArgs parses flags followed by arguments, turning a usage error
// into exit status 2.
func parseArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{code: 2}
	}
	return nil
}
