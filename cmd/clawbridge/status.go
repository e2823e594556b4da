package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clawbridge/clawbridge/daemon/admin"
	"github.com/clawbridge/clawbridge/daemon/config"
	"github.com/clawbridge/clawbridge/daemon/status"
)

// runStatus prints the running daemon's live state, read from its admin
// endpoint: what the menu shows, for terminals and scripts.
func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("status", stderr)
	cfgPath := fs.String("config", "", "config `file` of the daemon to ask (default: the user's)")
	asJSON := fs.Bool("json", false, "print the state as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	dir, err := runtimeDir(*cfgPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	st, err := admin.LiveState(ctx, dir)
	if errors.Is(err, admin.ErrNotRunning) {
		return &exitError{code: 3, msg: err.Error() + "; start it with `clawbridge start` (installed) or `clawbridge run`"}
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	home, _ := os.UserHomeDir()
	printState(stdout, st, time.Now(), home)
	if !st.Healthy() {
		return &exitError{code: 1}
	}
	return nil
}

// runtimeDir is where the daemon for cfgPath publishes itself.
func runtimeDir(cfgPath string) (string, error) {
	if cfgPath == "" {
		p, err := config.DefaultPath()
		if err != nil {
			return "", err
		}
		cfgPath = p
	}
	abs, err := filepath.Abs(cfgPath)
	if err != nil {
		return "", err
	}
	return filepath.Dir(abs), nil
}

// printState prints s for a terminal; home is shown as "~" in paths.
func printState(w io.Writer, s *status.State, now time.Time, home string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	line := func(k, format string, a ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, a...)) }
	line("clawbridge", "%s, pid %d, up %s", s.Version, s.PID, now.Sub(s.Started).Round(time.Second))
	line("config", "%s", s.ConfigPath)
	switch {
	case !s.Translator.Enabled:
		line("translator", "off")
	case s.Translator.Err != "":
		line("translator", "NOT SERVING: %s", s.Translator.Err)
	default:
		line("translator", "http://%s · %d requests", s.Translator.Addr, s.Translator.Requests)
	}
	for _, b := range s.Backends {
		if b.Reachable {
			line("ollama", "%s · %s · %d models", b.URL, b.Version, len(b.Models))
		} else {
			line("ollama", "%s · DOWN: %s", b.URL, b.Err)
		}
	}
	printModels(line, s)
	printPatcher(line, s.Patcher, home)
	switch {
	case !s.Guard.Enabled:
		line("guard", "off")
	case s.Guard.Err != "":
		line("guard", "FAILED: %s", s.Guard.Err)
	default:
		for _, d := range s.Guard.Dirs {
			switch {
			case d.Unread != "" && len(d.Problems) > 0:
				line("guard", "%s: SQLite store %s; PROBLEM: %s", d.Path, d.Unread, strings.Join(d.Problems, "; "))
			case d.Unread != "":
				line("guard", "%s: not read by the app: SQLite store %s, the config route's key is used", d.Path, d.Unread)
			case d.Missing && d.Held:
				line("guard", "%s: none yet, nothing to guard (clawbridge creates it only for releases that read it)", d.Path)
			case d.Missing:
				line("guard", "%s: missing; the guard creates it with the local key at its next check", d.Path)
			case d.Err != "":
				line("guard", "%s: %s", d.Path, d.Err)
			case d.Held:
				line("guard", "%s: local key pinned (%s)", d.Path, s.Guard.Key)
			default:
				line("guard", "%s: NOT PINNED: %s", d.Path, strings.Join(d.Problems, "; "))
			}
		}
		if !s.Guard.LastRestore.IsZero() {
			line("guard", "last restore %s", s.Guard.LastRestore.Local().Format("15:04:05"))
		}
	}
	if s.Gateway.Enabled {
		g := s.Gateway
		switch {
		case g.Running:
			line("gateway", "running, pid %d, port %d, %d restarts · log %s", g.PID, g.Port, g.Restarts, g.LogPath)
		default:
			line("gateway", "NOT RUNNING: %s", g.Err)
		}
		if g.TUICommand != "" {
			line("tui", "%s", g.TUICommand)
		}
	}
	if s.LastError != "" {
		line("last error", "%s (%s)", s.LastError, s.LastErrorTime.Local().Format("15:04:05"))
	}
	if s.LogPath != "" {
		line("logs", "%s", s.LogPath)
	}
	tw.Flush()
}

// printPatcher prints one row per install (its route and that route's
// state, with the reason and the fix when it is not in place), then the
// catalogs no install owns.
func printPatcher(line func(k, format string, a ...any), p status.PatcherState, home string) {
	if !p.Enabled {
		line("patcher", "re-patching off: routes are reported, not applied")
	}
	if p.Err != "" {
		line("patcher", "FAILED: %s", p.Err)
	}
	loose := p.Loose()
	if len(p.Installs) == 0 && len(loose) == 0 && p.Err == "" {
		line("install", "no Clawdbot/Moltbot/OpenClaw install found (name yours in clawbridge.patcher.dirs)")
	}
	for _, in := range p.Installs {
		msg := fmt.Sprintf("%s · %s · ", in.Name(), in.RouteDetail(home))
		if in.Routed() {
			msg += "routed"
		} else {
			msg += "NOT ROUTED (" + in.State + "): " + in.Problem
		}
		if !in.Reapplied.IsZero() {
			msg += " · re-applied " + in.Reapplied.Local().Format("15:04")
		}
		line("install", "%s (%s)", msg, in.Dir)
		if in.Fix != "" {
			line("", "fix: %s", in.Fix)
		}
	}
	for _, t := range loose {
		msg := fmt.Sprintf("pi-ai %s: %d/%d URLs patched", t.Version, t.Patched, t.URLs)
		if !t.Reapplied.IsZero() {
			msg += " · re-applied " + t.Reapplied.Local().Format("15:04") + " after install"
		}
		if t.Err != "" {
			msg += " · " + t.Err
		}
		line("pi-ai patch", "%s (%s)", msg, t.File)
	}
}
