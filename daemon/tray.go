package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clawbridge/clawbridge/daemon/notify"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/patcher"
	"github.com/clawbridge/clawbridge/tray"
)

// TrayState is what the menu shows of s: the tray knows nothing of the
// daemon's types, so this is the one place that maps them.
func TrayState(s status.State) tray.State {
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
			Repatch: d.RepatchNow,
			Doctor: func(ctx context.Context) (string, bool) {
				r := d.Doctor(ctx)
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

// repatchWait bounds how long "Re-patch now" waits for the patcher's look,
// which takes milliseconds: it only keeps a hung keeper from hanging the
// menu's action.
const repatchWait = time.Minute

// RepatchNow is the menu's "Re-patch now": the keeper looks at every
// catalog at once, and the answer is what that look found, so the tray
// never claims a success the patcher did not have. nil means every pi-ai
// install found points at clawbridge; the error says otherwise in words
// the user can act on.
func (d *Daemon) RepatchNow(ctx context.Context) error {
	// apply swaps the keeper and sets Patcher.Enabled under applyMu, so
	// the two read together belong to the same configuration.
	d.applyMu.Lock()
	k := d.keeper
	st := d.State().Patcher
	d.applyMu.Unlock()
	switch {
	case !st.Enabled:
		return errors.New("the patcher is off: turn on Re-apply patch after installs")
	case k == nil && st.Err != "":
		return fmt.Errorf("the patcher is not running: %s", st.Err)
	case k == nil:
		return errors.New("the patcher is not running")
	}
	ctx, cancel := context.WithTimeout(ctx, repatchWait)
	defer cancel()
	statuses, err := k.v.PatchNow(ctx)
	if errors.Is(err, patcher.ErrNotRunning) {
		return errors.New("the patcher restarted for a config change while re-patching: try again")
	}
	if err != nil {
		return err
	}
	d.refreshSoon() // the menu's pi-ai line catches up now, not at the next event
	if len(statuses) == 0 {
		var dirs []string
		for _, r := range k.v.Roots() {
			dirs = append(dirs, r.Dir)
		}
		if len(dirs) == 0 {
			return errors.New("no Clawdbot directory to search: set patcher.dirs in the config")
		}
		return fmt.Errorf("no pi-ai install found in %s", strings.Join(dirs, ", "))
	}
	var bad []status.TargetState
	for _, s := range statuses {
		if t := targetState(s); t.Unpatched() != "" {
			bad = append(bad, t)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d pi-ai installs not patched; %s: %s", len(bad), len(statuses), bad[0].File, bad[0].Unpatched())
}
