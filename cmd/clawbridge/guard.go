package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/config/settings"
	"github.com/clawbridge/clawbridge/patcher/guard"
)

// dirList collects a repeatable -dir flag.
type dirList []string

// String lists the directories given so far, for flag's usage text.
func (d *dirList) String() string { return strings.Join(*d, ",") }

// Set adds one --dir.
func (d *dirList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("empty directory")
	}
	*d = append(*d, v)
	return nil
}

// toolConfig is the clawbridge config a one-shot command acts on, read as
// the daemon reads it; with no file yet it is the default config, and the
// file is not created (a check must leave nothing behind). A config that
// does not parse is an error: the daemon would not run with it either.
func toolConfig(path string, stderr io.Writer, cmd string) (*config.Config, error) {
	cfg, exists, err := config.LoadOrDefault(path)
	if err != nil {
		return nil, fmt.Errorf("clawbridge config: %w", err)
	}
	if !exists && path != "" {
		fmt.Fprintf(stderr, "clawbridge %s: %s does not exist; using the default settings\n", cmd, path)
	}
	return cfg, nil
}

// runGuard checks or repairs Clawdbot's auth-profiles.json once; the daemon
// keeps it repaired continuously. It never prints a key, only its mask.
func runGuard(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("guard", stderr)
	check := fs.Bool("check", false, "exit 1 when an auth-profiles.json is not pinned to the local key, or a legacy one sits beside a SQLite store (a SQLite store itself is not a failure)")
	fix := fs.Bool("fix", false, "repair every auth-profiles.json once")
	cfgPath := fs.String("config", "", "clawbridge config `file` whose key and state directories to use, as the daemon does (default: the user's; none yet means the defaults)")
	var dirs dirList
	fs.Var(&dirs, "dir", "Clawdbot agent `directory` to look at (repeatable; default: those of the config's guard.state_dirs, else of ~/.clawdbot*, ~/.openclaw, ~/.moltbot and $CLAWDBOT_STATE_DIR)")
	key := fs.String("key", "", "local `key` pinned in anthropic:default (default: the config's guard.key, else its master_key, else "+guard.DefaultKey+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: clawbridge guard [--check | --fix] [-config FILE] [-dir AGENTDIR ...] [-key KEY]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Shows whether Clawdbot's auth-profiles.json uses the local key (anthropic:default)")
		fmt.Fprintln(stderr, "rather than a Claude CLI OAuth profile; --fix pins it, keeping everything else.")
		fmt.Fprintln(stderr, "Where OpenClaw keeps its auth store in SQLite (2026.6+) nothing is pinned; --fix moves")
		fmt.Fprintln(stderr, "aside an auth-profiles.json clawbridge wrote there, which OpenClaw 2026.9 refuses.")
		fmt.Fprintln(stderr, "The key and the directories are the daemon's, from clawbridge's config.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *check && *fix {
		return &exitError{code: 2, msg: "use either --check or --fix, not both"}
	}
	// The daemon keeps the store pinned to this key in these directories;
	// a one-off fix with anything else would only be undone by it, or undo
	// what it did.
	cfg, err := toolConfig(*cfgPath, stderr, "guard")
	if err != nil {
		return err
	}
	home, _ := os.UserHomeDir()
	opts := guard.Options{Key: settings.GuardKey(cfg), Dirs: settings.GuardDirs(cfg, home), Home: home,
		Logger: slog.New(slog.DiscardHandler)}
	if *key != "" {
		opts.Key = *key
	}
	if len(dirs) > 0 {
		opts.Dirs = dirs
	}
	g, err := guard.New(opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "local key: %s\n", guard.MaskKey(g.Key()))

	if *fix {
		return printFix(g, stdout)
	}
	return printCheck(g, stdout, *check)
}

// sqliteLine is what `guard` says of an agent directory whose store is
// SQLite: the guard pins nothing there, and that is not a failure.
const sqliteLine = "SQLite store (OpenClaw 2026.6+): not guarded; the config route's key is used"

// printFix runs one Fix of g and prints what it did in each directory.
func printFix(g *guard.Guard, stdout io.Writer) error {
	events, err := g.Fix()
	if len(events) == 0 && err == nil {
		fmt.Fprintln(stdout, "no Clawdbot agent directory found; looked in:")
		for _, d := range g.Dirs() {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
		return nil
	}
	failed, migrate := 0, 0
	for _, ev := range events {
		switch ev.Kind {
		case guard.OK:
			fmt.Fprintf(stdout, "%s: already pinned\n", ev.Path)
		case guard.SQLiteStore:
			fmt.Fprintf(stdout, "%s: %s\n", filepath.Dir(ev.Path), sqliteLine)
		case guard.Removed:
			fmt.Fprintf(stdout, "%s: %s\n", filepath.Dir(ev.Path), sqliteLine)
			printList(stdout, ev.Changes)
		case guard.LegacyStore:
			migrate++
			fmt.Fprintf(stdout, "%s: left alone (SQLite store beside it)\n", ev.Path)
			printList(stdout, ev.Changes)
		case guard.Failed:
			failed++
			fmt.Fprintf(stdout, "%s: FAILED: %v\n", ev.Path, ev.Err)
		default:
			fmt.Fprintf(stdout, "%s: %s\n", ev.Path, ev.Kind)
			printList(stdout, ev.Changes)
		}
	}
	switch {
	case failed > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) could not be repaired", failed)}
	case migrate > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d legacy auth-profiles.json need 'openclaw doctor --fix'", migrate)}
	}
	return nil
}

// printCheck prints the state of every directory of g; with exitCode set
// it returns exit code 1 when one is not as it should be.
func printCheck(g *guard.Guard, stdout io.Writer, exitCode bool) error {
	statuses, err := g.Check()
	broken, migrate := 0, 0
	for _, s := range statuses {
		switch {
		case s.Err != nil:
			broken++
			fmt.Fprintf(stdout, "%s: cannot read: %v\n", s.Path, s.Err)
		case s.SQLite != "" && s.Legacy:
			if s.LegacyForeign {
				migrate++
			} else {
				broken++
			}
			fmt.Fprintf(stdout, "%s: %s, but a legacy %s is here\n", s.Dir, sqliteLine, guard.FileName)
			printList(stdout, s.Problems)
		case s.SQLite != "":
			fmt.Fprintf(stdout, "%s: %s\n", s.Dir, sqliteLine)
			if s.Removed != "" {
				fmt.Fprintf(stdout, "  - removed the %s clawbridge had written (kept it as %s)\n", guard.FileName, filepath.Base(s.Removed))
			}
		case s.Missing && s.Held:
			what := "no agent directory yet"
			if isDir(s.Dir) {
				what = "no " + guard.FileName + " yet"
			}
			fmt.Fprintf(stdout, "%s: %s (nothing to guard)\n", s.Dir, what)
		case s.Missing:
			broken++
			fmt.Fprintf(stdout, "%s: will be created holding the local key\n", s.Path)
			printList(stdout, s.Problems)
		case s.Held:
			fmt.Fprintf(stdout, "%s: pinned (Clawdbot uses %s; %d profiles)\n", s.Path, s.Using, s.Profiles)
		default:
			broken++
			using := s.Using
			if using == "" {
				using = "no usable Anthropic profile"
			}
			fmt.Fprintf(stdout, "%s: NOT PINNED (Clawdbot would use %s)\n", s.Path, using)
			printList(stdout, s.Problems)
		}
	}
	if exitCode && broken > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d file(s) not pinned to the local key; run 'clawbridge guard --fix'", broken)}
	}
	if exitCode && migrate > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d legacy auth-profiles.json need 'openclaw doctor --fix'", migrate)}
	}
	return err
}

// printList prints items as a bulleted list under the line before.
func printList(w io.Writer, items []string) {
	for _, it := range items {
		fmt.Fprintf(w, "  - %s\n", it)
	}
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
