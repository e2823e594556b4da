package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/clawbridge/clawbridge/daemon"
	"github.com/clawbridge/clawbridge/daemon/status"
	"github.com/clawbridge/clawbridge/tray"
)

// addModels fills in what the menu shows of the models: each alias's
// load state and numbers, each choice's details, the pulls, and the
// pulled models no alias uses.
func addModels(t *tray.State, s status.State) {
	aliases := map[string]status.AliasState{}
	for _, a := range s.Aliases {
		aliases[a.Name] = a
	}
	details := map[string]status.ModelState{}
	used := map[string]bool{}
	for _, b := range s.Backends {
		for _, m := range b.Models {
			details[m.Name] = m
		}
	}
	for i := range t.Aliases {
		al := &t.Aliases[i]
		a := aliases[al.Name]
		al.Load, al.Missing = a.LoadSummary(), a.Missing
		if a.Missing {
			al.Load = ""
		}
		if a.Stats.Window > 0 {
			al.Numbers = a.Stats.Summary()
		}
		used[al.Model] = true
		for j := range al.Choices {
			c := &al.Choices[j]
			m := details[c.Model]
			c.Detail, c.Thinking, c.Vision = modelDetail(m.ModelDetails), capability(m.Thinking), capability(m.Vision)
		}
	}
	for _, b := range s.Backends {
		for _, m := range b.Models {
			if !used[m.Name] {
				t.Unmapped = append(t.Unmapped, tray.Choice{Model: m.Name, Tools: capability(m.Tools), Detail: modelDetail(m.ModelDetails),
					Thinking: capability(m.Thinking), Vision: capability(m.Vision)})
			}
		}
	}
	for _, p := range s.Pulls {
		t.Pulls = append(t.Pulls, tray.Pull{Model: p.Model, Line: p.Summary(), Running: p.Running()})
	}
}

// modelDetail reads "8.2B · Q4_K_M · 5.2 GB · 40k context".
func modelDetail(d status.ModelDetails) string {
	var parts []string
	if d.ParameterSize != "" {
		parts = append(parts, d.ParameterSize)
	}
	if d.Quantization != "" {
		parts = append(parts, d.Quantization)
	}
	if d.Size > 0 {
		parts = append(parts, status.Bytes(d.Size))
	}
	if d.ContextLength > 0 {
		parts = append(parts, contextLength(d.ContextLength)+" context")
	}
	return strings.Join(parts, " · ")
}

// contextLength shows 131072 as "128k" and 40960 as "40k".
func contextLength(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%dk", n/1024)
	}
	if n >= 1000 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func capability(b *bool) tray.Capability {
	switch {
	case b == nil:
		return tray.Unknown
	case *b:
		return tray.Yes
	}
	return tray.No
}

// pullActions are the menu's pull actions on the daemon current returns
// (nil while it is not running).
func pullActions(current func() *daemon.Daemon, a *tray.Actions) {
	a.Pull = func(_ context.Context, alias string) error {
		d := current()
		if d == nil {
			return errNotRunning
		}
		_, err := d.StartPull(alias, "", false)
		return err
	}
	a.CancelPull = func(_ context.Context, model string) error {
		d := current()
		if d == nil {
			return errNotRunning
		}
		return d.CancelPull(model, "")
	}
}
