package main

import (
	"context"
	"errors"
	"strings"
	"time"

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
		Warmup:        s.Warmup,
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

// trayOptions connects the menu to the launcher: the daemon's states once
// it runs, why it cannot start until then, and an OnExit that stops it.
func (l *launcher) trayOptions() tray.Options {
	opts := tray.Options{
		Initial: l.firstState(firstStateWait),
		States:  l.states,
		Logger:  l.log,
		Actions: trayActions(l.current, l.Quit),
		OnExit: func() {
			if err := l.stopWithin(l.stopLimit); err != nil {
				l.log.Warn("clawbridge did not stop cleanly", "err", err)
			}
		},
	}
	pullActions(l.current, &opts.Actions)
	return opts
}

// firstStateWait is how long the menu waits for the daemon's first state
// (or its start failure) before it shows "starting".
const firstStateWait = 2 * time.Second

// firstState is the first state for the menu, taken within wait, so that
// the icon does not flash "not running" while the daemon starts.
func (l *launcher) firstState(wait time.Duration) tray.State {
	select {
	case s := <-l.states:
		return s
	case <-time.After(wait):
		return tray.State{Stopped: "starting (when this stays, Open logs shows why)", ConfigPath: l.opts.ConfigPath, LogPath: l.opts.LogDir}
	}
}

// errNotRunning answers a click that needs the daemon while it cannot
// start (the menu then shows why).
var errNotRunning = errors.New("clawbridge is not running")

// trayActions maps the menu's clicks onto the daemon current returns,
// which is nil while it is not running.
func trayActions(current func() *daemon.Daemon, quit func()) tray.Actions {
	return tray.Actions{
		SetToggle: func(_ context.Context, t tray.Toggle, on bool) error {
			if d := current(); d != nil {
				return d.SetToggle(string(t), on)
			}
			return errNotRunning
		},
		SetAliasModel: func(_ context.Context, alias, model string) error {
			if d := current(); d != nil {
				return d.SetAliasModel(alias, model)
			}
			return errNotRunning
		},
		Repatch: func(ctx context.Context) error {
			if d := current(); d != nil {
				return d.RepatchNow(ctx)
			}
			return errNotRunning
		},
		Doctor: func(ctx context.Context) (string, bool) {
			d := current()
			if d == nil {
				return errNotRunning.Error(), false
			}
			r := d.Doctor(ctx)
			return r.Summary(), r.OK()
		},
		Notify: func(title, message string) {
			if d := current(); d != nil {
				d.NotifyResult(title, message)
			}
		},
		Quit: quit,
	}
}
