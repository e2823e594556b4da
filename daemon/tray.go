package daemon

import (
	"context"
	"fmt"
	"strings"

	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/tray"
)

// TrayState is what the menu shows of s: the tray knows nothing of the
// daemon's types, so this is the one place that maps them.
func TrayState(s State) tray.State {
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
	models := map[string][]ModelState{}
	for _, b := range s.Backends {
		t.Backends = append(t.Backends, tray.Backend{URL: b.URL, Version: b.Version, Models: len(b.Models), Err: b.Err})
		models[b.URL] = b.Models
	}
	for _, p := range s.Patcher.Targets {
		t.Patches = append(t.Patches, tray.Patch{Target: p.File, Patched: p.Patched, Total: p.URLs,
			Reapplied: p.Reapplied, Err: p.Err})
	}
	if s.Patcher.Err != "" {
		t.Patches = append(t.Patches, tray.Patch{Err: s.Patcher.Err})
	}
	pinned := s.Guard.Enabled && s.Guard.Err == ""
	present := 0
	for _, d := range s.Guard.Dirs {
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
	return t
}

// TrayOptions connects the menu to d: its states, and actions that go
// through the same paths as the config file and the CLI. Call it after
// Start; the state feed ends with the daemon.
func (d *Daemon) TrayOptions() tray.Options {
	states, unsubscribe := d.Subscribe()
	out := make(chan tray.State, 1)
	go func() {
		defer close(out)
		defer unsubscribe()
		for {
			select {
			case <-d.ctx.Done():
				return
			case <-d.quit:
				return
			case s := <-states:
				select {
				case <-out:
				default:
				}
				out <- TrayState(s)
			}
		}
	}()
	return tray.Options{
		Initial: TrayState(d.State()),
		States:  out,
		Logger:  d.log,
		Actions: tray.Actions{
			SetToggle: func(_ context.Context, t tray.Toggle, on bool) error {
				return d.SetToggle(t, on)
			},
			SetAliasModel: func(_ context.Context, alias, model string) error {
				return d.SetAliasModel(alias, model)
			},
			Repatch: func(context.Context) error { d.Repatch(); return nil },
			Doctor: func(ctx context.Context) (string, bool) {
				r := Doctor(ctx, DoctorOptions{ConfigPath: d.opts.ConfigPath, RuntimeDir: d.opts.RuntimeDir,
					Home: d.opts.Home, Getenv: d.opts.Getenv})
				return r.Summary(), r.OK()
			},
			Notify: func(title, message string) {
				// Results of what the user just clicked: always shown.
				d.notifier.Notify(notify.Message{Title: title, Body: message, Requested: true})
			},
			Quit: d.Quit,
		},
	}
}

// Summary is the report in a few lines: the failed checks with their
// fixes, or that all passed.
func (r Report) Summary() string {
	if r.OK() {
		return fmt.Sprintf("All %d checks passed.", len(r.Checks))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d checks failed.", r.Failed(), len(r.Checks))
	for _, c := range r.Checks {
		if !c.OK {
			fmt.Fprintf(&b, "\n%s: %s. Fix: %s", c.Name, c.Detail, c.Fix)
		}
	}
	return b.String()
}
