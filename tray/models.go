package tray

import (
	"fmt"
	"slices"
	"strings"
)

// The menu's models section: each alias's submenu (its load state, its
// numbers, "Pull <model>" when the backend lacks it, and the models it
// can be switched to with their details), the pulls under way, and the
// pulled models no alias uses.

// modelItems are the items of the models section after its heading.
func modelItems(s State, a Actions) []item {
	var m []item
	for _, al := range s.Aliases {
		m = append(m, aliasMenu(al, s.Pulls, a))
	}
	for _, p := range s.Pulls {
		m = append(m, item{key: "pull-status-" + p.Model, kind: kindStatus, title: detailN(p.Line, 2*maxDetail), tooltip: p.Line})
	}
	if len(s.Unmapped) > 0 {
		sub := item{key: "unmapped", kind: kindSubmenu, title: fmt.Sprintf("Pulled, not mapped (%d)", len(s.Unmapped)), enabled: true}
		for _, c := range s.Unmapped {
			sub.children = append(sub.children, item{key: "unmapped-" + c.Model, kind: kindStatus, title: choiceTitle(c), tooltip: choiceTip(c)})
		}
		m = append(m, sub)
	}
	return m
}

// aliasMenu is an alias's submenu: whether its model is loaded, its
// numbers, a pull of the model when the backend lacks it, then every
// model its backend has, the current one checked. A current model the
// backend lacks is listed too, so the user sees why requests fail.
func aliasMenu(al Alias, pulls []Pull, a Actions) item {
	sub := item{key: "alias-" + al.Name, kind: kindSubmenu, title: aliasTitle(al), enabled: true}
	add := func(it item) { sub.children = append(sub.children, it) }
	if al.Load != "" && !al.Missing {
		add(item{key: "load", kind: kindStatus, title: "Model " + al.Load})
	}
	if al.Numbers != "" {
		add(item{key: "numbers", kind: kindStatus, title: "Last hour: " + al.Numbers})
	}
	if al.Missing && al.Model != "" {
		i := slices.IndexFunc(pulls, func(p Pull) bool { return p.Model == al.Model && p.Running })
		if i >= 0 {
			add(item{key: "cancel-pull", kind: kindCommand, command: cmdCancelPull, alias: al.Name, model: al.Model,
				title: "Cancel pull of " + al.Model, tooltip: pulls[i].Line, enabled: a.CancelPull != nil})
		} else {
			add(item{key: "pull", kind: kindCommand, command: cmdPull, alias: al.Name, model: al.Model,
				title: "Pull " + al.Model, tooltip: "Download it into Ollama; the menu shows the progress", enabled: a.Pull != nil})
		}
	}
	if len(sub.children) > 0 {
		add(item{key: "sep-choices", kind: kindSeparator})
	}
	found := false
	for _, c := range al.Choices {
		current := c.Model == al.Model
		found = found || current
		add(item{key: "model-" + c.Model, kind: kindChoice, alias: al.Name, model: c.Model,
			title: choiceTitle(c), tooltip: choiceTip(c), checked: current, enabled: a.SetAliasModel != nil})
	}
	if !found && al.Model != "" {
		missing := item{
			key: "missing-" + al.Model, kind: kindChoice, alias: al.Name, model: al.Model,
			title: al.Model + missingMark, checked: true,
			tooltip: "The config names this model but the backend does not have it",
		}
		at := slices.IndexFunc(sub.children, func(it item) bool { return it.kind == kindChoice })
		if at < 0 {
			at = len(sub.children)
		}
		sub.children = slices.Insert(sub.children, at, missing)
	}
	if !slices.ContainsFunc(sub.children, func(it item) bool { return it.kind == kindChoice }) {
		add(item{key: "none", kind: kindStatus, title: "No models in Ollama"})
	}
	return sub
}

// aliasTitle reads "claude-sonnet-4-5 → llama3.1:70b · warm (4.9 GB)".
func aliasTitle(al Alias) string {
	model := al.Model
	if model == "" {
		model = "(none)"
	}
	for _, c := range al.Choices {
		if c.Model == al.Model && c.Tools == No {
			model += noToolsMark
		}
	}
	title := al.Name + " → " + model
	switch {
	case al.Missing:
		title += " · not pulled"
	case al.Load != "":
		title += " · " + al.Load
	}
	return title
}

// choiceTitle reads "qwen3:8b · 8.2B · Q4_K_M · 5.2 GB · 40k context ·
// thinking, vision", with "(no tools)" for a model that cannot call
// tools (Clawdbot needs them, so only their absence is marked).
func choiceTitle(c Choice) string {
	title := c.Model
	if c.Detail != "" {
		title += " · " + c.Detail
	}
	var marks []string
	for _, m := range []struct {
		c    Capability
		name string
	}{{c.Thinking, "thinking"}, {c.Vision, "vision"}} {
		if m.c == Yes {
			marks = append(marks, m.name)
		}
	}
	if len(marks) > 0 {
		title += " · " + strings.Join(marks, ", ")
	}
	if c.Tools == No {
		title += noToolsMark
	}
	return title
}

func choiceTip(c Choice) string {
	if c.Tools == No {
		return "Cannot call tools: Clawdbot's tools will not work with this model"
	}
	return ""
}

// detailN is detail with a limit of n characters.
func detailN(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
