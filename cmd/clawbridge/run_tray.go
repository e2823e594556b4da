package main

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/tray"
)

// The tray adapter: the menu knows nothing of the daemon's types, so this
// is the one place that maps the daemon's state onto the menu and the
// menu's actions onto the daemon. `run` hands it to tray.Run.

// trayState is what the menu shows of s; home is shown as "~" in paths.
func trayState(s status.State, home string) tray.State {
	t := tray.State{
		Translator: tray.Translator{Enabled: s.Translator.Enabled, Addr: s.Translator.Addr,
			Requests: s.Translator.Requests, Err: s.Translator.Err},
		AutoRepatch:   s.Patcher.Enabled,
		Notifications: s.Notifications,
		StartAtLogin:  s.StartAtLogin,
		ConfigPath:    s.ConfigPath,
		LogPath:       s.LogPath,
		TUICommand:    s.Gateway.TUICommand,
		Gateway: tray.Gateway{Enabled: s.Gateway.Enabled, Running: s.Gateway.Running,
			Port: s.Gateway.Port, Err: s.Gateway.Err},
		Guard: tray.Guard{Enabled: s.Guard.Enabled, LastRestore: s.Guard.LastRestore, Err: s.Guard.Err},
	}
	models := map[string][]status.ModelState{}
	for _, b := range s.Backends {
		t.Backends = append(t.Backends, tray.Backend{URL: b.URL, Version: b.Version, Models: len(b.Models), Err: b.Err})
		models[b.URL] = b.Models
	}
	for _, in := range s.Patcher.Installs {
		t.Installs = append(t.Installs, tray.Install{Name: in.Name(), Dir: in.Dir, Route: in.RouteDetail(home),
			Routed: in.Routed(), Problem: in.Problem, Fix: in.Fix, Reapplied: in.Reapplied})
	}
	for _, p := range s.Patcher.Loose() {
		t.Patches = append(t.Patches, tray.Patch{Target: p.File, Patched: p.Patched, Total: p.URLs,
			Reapplied: p.Reapplied, Err: p.Err})
	}
	if s.Patcher.Err != "" {
		t.Patches = append(t.Patches, tray.Patch{Err: s.Patcher.Err})
	}
	pinned := s.Guard.Enabled && s.Guard.Err == ""
	present, unread := 0, 0
	for _, d := range s.Guard.Dirs {
		if d.Unread != "" {
			unread++
			if len(d.Problems) > 0 && t.Guard.Err == "" {
				t.Guard.Err = d.Problems[0]
			}
			continue
		}
		if d.Missing {
			continue
		}
		present++
		pinned = pinned && d.Held && d.Err == ""
		if d.Err != "" && t.Guard.Err == "" {
			t.Guard.Err = d.Err
		}
	}
	t.Guard.Pinned = pinned && present > 0
	t.Guard.Unread = present == 0 && unread > 0
	for _, a := range s.Aliases {
		if !a.Ollama {
			continue
		}
		alias := tray.Alias{Name: a.Name, Model: a.Model}
		for _, m := range models[a.Backend] {
			// Ollama lists "llama3.1" as "llama3.1:latest": show it checked.
			if !strings.Contains(a.Model, ":") && m.Name == a.Model+":latest" {
				alias.Model = m.Name
			}
			c := tray.Choice{Model: m.Name}
			switch {
			case m.Tools == nil:
				c.Tools = tray.Unknown
			case *m.Tools:
				c.Tools = tray.Yes
			default:
				c.Tools = tray.No
			}
			alias.Choices = append(alias.Choices, c)
		}
		t.Aliases = append(t.Aliases, alias)
	}
	addModels(&t, s)
	return t
}

// trayOptions connects the menu to d: its states, and actions that go
// through the same paths as the config file and the CLI. Call it after
// Start; the state feed ends with the daemon.
func trayOptions(d *daemon.Daemon, log *slog.Logger) tray.Options {
	home, _ := os.UserHomeDir()
	states, unsubscribe := d.Subscribe()
	out := make(chan tray.State, 1)
	go func() {
		defer close(out)
		defer unsubscribe()
		for {
			select {
			case <-d.Stopped():
				return
			case <-d.Quitting():
				return
			case s := <-states:
				select {
				case <-out:
				default:
				}
				out <- trayState(s, home)
			}
		}
	}()
	opts := tray.Options{
		Initial: trayState(d.State(), home),
		States:  out,
		Logger:  log,
		Actions: tray.Actions{
			SetToggle: func(_ context.Context, t tray.Toggle, on bool) error {
				return d.SetToggle(string(t), on)
			},
			SetAliasModel: func(_ context.Context, alias, model string) error {
				return d.SetAliasModel(alias, model)
			},
			Repatch: d.RepatchNow,
			Doctor: func(ctx context.Context) (string, bool) {
				r := d.Doctor(ctx)
				return r.Summary(), r.OK()
			},
			Notify: d.NotifyResult,
			Quit:   d.Quit,
		},
	}
	pullActions(d, &opts.Actions)
	return opts
}
