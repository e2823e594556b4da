package tray

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// The menu's content is computed here, from the State alone, without any
// GUI: buildMenu turns a state into a tree of items, and the platform code
// (run_real.go) only copies that tree into the system menu. That keeps
// every title, check mark and enabled flag under table tests.

// kind is what an item is and how a click on it is handled.
type kind int

const (
	kindStatus    kind = iota // a line of text, never clickable
	kindToggle                // a checkbox backed by Actions.SetToggle
	kindCommand               // a plain command (Re-patch now, Quit, …)
	kindSubmenu               // an alias, holding its model choices
	kindChoice                // a model in an alias submenu
	kindSeparator             // a line between sections
)

// command is what a kindCommand item does.
type command int

const (
	cmdRepatch command = iota + 1
	cmdDoctor
	cmdOpenConfig
	cmdOpenLogs
	cmdCopyTUI
	cmdQuit
	cmdPull       // Pull <model>: the item's alias and model
	cmdCancelPull // stop the pull of the item's model
)

// item is one entry of the menu.
type item struct {
	// key names the item across states. Two menus whose keys match, in the
	// same order and nesting, have the same shape and are updated in
	// place; any difference rebuilds the menu.
	key              string
	kind             kind
	title, tooltip   string
	checked, enabled bool
	hidden           bool // not shown; keeps its place so the shape stays
	children         []item

	toggle       Toggle  // kindToggle
	command      command // kindCommand
	alias, model string  // kindChoice
}

// The labels of the fixed items, which tests and traytest users click.
const (
	labelRepatch    = "Re-patch now"
	labelDoctor     = "Run doctor"
	labelOpenConfig = "Open config"
	labelOpenLogs   = "Open logs"
	labelCopyTUI    = "Copy TUI command"
	labelQuit       = "Quit clawbridge"
	labelWarmup     = "Keep models warm"
	noToolsMark     = "  (no tools)"
	missingMark     = "  (not in Ollama)"
)

// toggles lists the checkboxes in menu order with their labels.
var toggles = []struct {
	toggle Toggle
	label  string
}{
	{ToggleTranslator, "Translator"},
	{ToggleWarmup, labelWarmup},
	{ToggleAutoRepatch, "Re-apply patch after installs"},
	{ToggleGuard, "Guard auth profile"},
	{ToggleNotifications, "Notifications"},
	{ToggleGateway, "Clawdbot gateway"},
	{ToggleStartAtLogin, "Start at login"},
}

// maxDetail caps the error text shown in a title; the whole text is in the
// item's tooltip.
const maxDetail = 60

// buildMenu is the whole menu for state s. Items whose Actions func is nil
// are disabled; home is the user's home directory, shown as "~" in paths.
func buildMenu(s State, a Actions, home string) []item {
	if s.Stopped != "" {
		return stoppedMenu(s)
	}
	var m []item
	sep := func() { m = append(m, item{key: fmt.Sprintf("sep%d", len(m)), kind: kindSeparator}) }
	status := func(key, title, tooltip string) {
		m = append(m, item{key: key, kind: kindStatus, title: title, tooltip: tooltip})
	}

	status("headline", headline(s), "")
	m = append(m, resultLines(s)...)
	sep()

	status("translator", translatorLine(s.Translator), s.Translator.Err)
	for i, b := range s.Backends {
		status(fmt.Sprintf("backend%d", i), backendLine(b), b.Err)
	}
	if len(s.Patches) == 0 && len(s.Installs) == 0 {
		status("patch-none", "No Clawdbot/OpenClaw install found", "")
	}
	for i, in := range s.Installs {
		status(fmt.Sprintf("install%d", i), installLine(in, s.At), installTip(in))
	}
	for i, p := range s.Patches {
		status(fmt.Sprintf("patch%d", i), patchLine(p, s.At, home), p.Target)
	}
	status("guard", guardLine(s.Guard, s.At), s.Guard.Err)
	if s.Gateway.Enabled {
		status("gateway", gatewayLine(s.Gateway), s.Gateway.Err)
	}
	sep()

	if len(s.Aliases) == 0 {
		status("aliases-none", "No Claude models in the config", "")
	} else {
		status("aliases", "Models", "")
	}
	m = append(m, modelItems(s, a)...)
	sep()

	for _, t := range toggles {
		m = append(m, item{
			key: "toggle-" + string(t.toggle), kind: kindToggle, toggle: t.toggle,
			title: t.label, checked: toggleOn(s, t.toggle), enabled: a.SetToggle != nil,
		})
	}
	sep()

	cmd := func(c command, title, tooltip string, enabled bool) {
		m = append(m, item{key: fmt.Sprintf("cmd%d", c), kind: kindCommand, command: c, title: title, tooltip: tooltip, enabled: enabled})
	}
	cmd(cmdRepatch, labelRepatch, "Route every install again now", a.Repatch != nil)
	cmd(cmdDoctor, labelDoctor, "Check the whole setup and show the result", a.Doctor != nil)
	cmd(cmdOpenConfig, labelOpenConfig, s.ConfigPath, s.ConfigPath != "")
	cmd(cmdOpenLogs, labelOpenLogs, s.LogPath, s.LogPath != "")
	cmd(cmdCopyTUI, labelCopyTUI, s.TUICommand, s.TUICommand != "")
	sep()
	cmd(cmdQuit, labelQuit, "", true)
	return m
}

// stoppedMenu is the menu while clawbridge cannot start: why, in full,
// and what happens next, with the config and logs at hand.
func stoppedMenu(s State) []item {
	m := []item{{key: "headline", kind: kindStatus, title: "clawbridge: not running", tooltip: s.Stopped}}
	m = append(m, resultLines(s)...)
	m = append(m, item{key: "sep-stopped", kind: kindSeparator})
	for i, line := range wrap(s.Stopped, maxDetail, maxResultLines) {
		m = append(m, item{key: fmt.Sprintf("stopped%d", i), kind: kindStatus, title: line, tooltip: s.Stopped})
	}
	m = append(m,
		item{key: "stopped-retry", kind: kindStatus, title: "Starts by itself once the config is saved or the cause is gone"},
		item{key: "sep-stopped-cmd", kind: kindSeparator},
		item{key: fmt.Sprintf("cmd%d", cmdOpenConfig), kind: kindCommand, command: cmdOpenConfig, title: labelOpenConfig, tooltip: s.ConfigPath, enabled: s.ConfigPath != ""},
		item{key: fmt.Sprintf("cmd%d", cmdOpenLogs), kind: kindCommand, command: cmdOpenLogs, title: labelOpenLogs, tooltip: s.LogPath, enabled: s.LogPath != ""},
		item{key: "sep-stopped-quit", kind: kindSeparator},
		item{key: fmt.Sprintf("cmd%d", cmdQuit), kind: kindCommand, command: cmdQuit, title: labelQuit, enabled: true},
	)
	return m
}

// headline is the first line: the icon's meaning in words.
func headline(s State) string {
	if IconFor(s) == IconOff {
		return "clawbridge: translator off"
	}
	switch p := problems(s); len(p) {
	case 0:
		return "clawbridge: all good"
	case 1:
		return "clawbridge: " + p[0]
	default:
		return fmt.Sprintf("clawbridge: %s (+%d more)", p[0], len(p)-1)
	}
}

func translatorLine(t Translator) string {
	switch {
	case !t.Enabled:
		return "Translator off"
	case t.Err != "":
		return "Translator on " + t.Addr + " failed: " + detail(t.Err)
	}
	return fmt.Sprintf("Translator on %s · %s", t.Addr, count(t.Requests, "request"))
}

func backendLine(b Backend) string {
	name := "Ollama " + host(b.URL)
	if b.Err != "" {
		return name + " unreachable: " + detail(b.Err)
	}
	parts := []string{name}
	if b.Version != "" {
		parts = append(parts, b.Version)
	}
	parts = append(parts, count(int64(b.Models), "model"))
	return strings.Join(parts, " · ")
}

// patchLine reads like "pi-ai in ~/clawdbot: 21/21 URLs patched · re-applied
// 14:02 after install".
func patchLine(p Patch, at time.Time, home string) string {
	name := "pi-ai"
	if p.Target != "" { // a patcher-wide failure names no install
		name += " in " + install(p.Target, home)
	}
	if p.Err != "" {
		return name + ": patch failed: " + detail(p.Err)
	}
	line := fmt.Sprintf("%s: %d/%d URLs patched", name, p.Patched, p.Total)
	if !p.Reapplied.IsZero() {
		line += " · re-applied " + clock(p.Reapplied, at) + " after install"
	}
	return line
}

// installLine reads like "OpenClaw 2026.9.6: config route
// (~/.openclaw/openclaw.json) · routed" or "OpenClaw 2026.9.6: not routed:
// <why>".
func installLine(in Install, at time.Time) string {
	if !in.Routed {
		return in.Name + ": not routed: " + detail(in.Problem)
	}
	line := in.Name + ": " + in.Route + " · routed"
	if !in.Reapplied.IsZero() {
		line += " · re-applied " + clock(in.Reapplied, at)
	}
	return line
}

// installTip is the whole story of an install: where, how, and the fix.
func installTip(in Install) string {
	tip := in.Dir + "\n" + in.Route
	if !in.Routed {
		tip += "\n" + in.Problem + "\nFix: " + in.Fix
	}
	return tip
}

func guardLine(g Guard, at time.Time) string {
	switch {
	case !g.Enabled:
		return "Guard off"
	case g.Err != "":
		return "Guard: " + detail(g.Err)
	case g.Unread:
		return "Guard: auth store in SQLite; the config route's key is used"
	case !g.Pinned:
		return "Guard: local key not pinned yet"
	case g.LastRestore.IsZero():
		return "Guard: local key pinned"
	}
	return "Guard: local key pinned · last restore " + clock(g.LastRestore, at)
}

func gatewayLine(g Gateway) string {
	switch {
	case g.Err != "":
		return "Gateway: " + detail(g.Err)
	case g.Running:
		return fmt.Sprintf("Gateway running on :%d", g.Port)
	}
	return "Gateway not running"
}

// toggleOn reads a checkbox's state from s.
func toggleOn(s State, t Toggle) bool {
	switch t {
	case ToggleTranslator:
		return s.Translator.Enabled
	case ToggleAutoRepatch:
		return s.AutoRepatch
	case ToggleGuard:
		return s.Guard.Enabled
	case ToggleNotifications:
		return s.Notifications
	case ToggleGateway:
		return s.Gateway.Enabled
	case ToggleStartAtLogin:
		return s.StartAtLogin
	case ToggleWarmup:
		return s.Warmup
	}
	return false
}

// withToggle is s with a checkbox switched, which the menu shows as soon
// as SetToggle succeeds, before the daemon's next state confirms it.
func withToggle(s State, t Toggle, on bool) State {
	switch t {
	case ToggleTranslator:
		s.Translator.Enabled = on
	case ToggleAutoRepatch:
		s.AutoRepatch = on
	case ToggleGuard:
		s.Guard.Enabled = on
	case ToggleNotifications:
		s.Notifications = on
	case ToggleGateway:
		s.Gateway.Enabled = on
	case ToggleStartAtLogin:
		s.StartAtLogin = on
	case ToggleWarmup:
		s.Warmup = on
	}
	return s
}

// withAliasModel is s with alias switched to model, shown as soon as
// SetAliasModel succeeds.
func withAliasModel(s State, alias, model string) State {
	aliases := make([]Alias, len(s.Aliases))
	copy(aliases, s.Aliases)
	for i := range aliases {
		if aliases[i].Name == alias {
			aliases[i].Model = model
		}
	}
	s.Aliases = aliases
	return s
}

// host is a backend URL without its scheme: "127.0.0.1:11434".
func host(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
	}
	return strings.TrimSuffix(url, "/")
}

// install names the install a pi-ai package directory belongs to: the
// directory holding its (first) node_modules, with home shown as "~".
func install(target, home string) string {
	dir := filepath.ToSlash(target)
	if i := strings.Index(dir, "/node_modules/"); i >= 0 {
		dir = dir[:i]
	}
	if h := filepath.ToSlash(home); h != "" && h != "/" {
		if dir == h {
			return "~"
		}
		if rest, ok := strings.CutPrefix(dir, h+"/"); ok {
			return "~/" + rest
		}
	}
	return dir
}

// clock shows t as "14:02" when it is on the same day as at (the state's
// time), else as "Jan 2 14:02", in at's time zone.
func clock(t, at time.Time) string {
	if at.IsZero() {
		at = t
	}
	t = t.In(at.Location())
	if y, m, d := t.Date(); y == at.Year() && m == at.Month() && d == at.Day() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2 15:04")
}

func count(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// detail shortens an error for a title to its first line and maxDetail
// characters.
func detail(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > maxDetail {
		return string(r[:maxDetail-1]) + "…"
	}
	return s
}

// resultLines show the answer to the user's last click: a title line and
// up to maxResultLines of its text. The lines are always there, hidden
// when empty, so that an answer changes the menu in place: rebuilding it
// would drop a click the user makes meanwhile.
func resultLines(s State) []item {
	r := s.Result
	title := ""
	if r.Title != "" {
		title = r.Title + " · " + clock(r.At, s.At)
	}
	out := []item{{key: "result", kind: kindStatus, title: title, tooltip: r.Message, hidden: title == ""}}
	lines := wrap(r.Message, maxDetail, maxResultLines)
	for i := range maxResultLines {
		it := item{key: fmt.Sprintf("result%d", i), kind: kindStatus, tooltip: r.Message, hidden: true}
		if i < len(lines) && title != "" {
			it.title, it.hidden = "    "+lines[i], false
		}
		out = append(out, it)
	}
	return out
}

// maxResultLines caps the lines of a click's answer shown in the menu;
// the whole text is in their tooltip and the log.
const maxResultLines = 12

// wrap breaks text into lines of at most width runes, at spaces where it
// can, keeping its own line breaks; past max lines the last ends in "…".
// Control characters other than the line breaks are dropped.
func wrap(text string, width, max int) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		para = strings.Map(func(r rune) rune {
			switch {
			case r == '\t':
				return ' '
			case r < ' ' || r == 0x7f:
				return -1
			}
			return r
		}, strings.TrimRight(para, " "))
		words := strings.Fields(para)
		line := []rune{}
		for _, w := range words {
			rw := []rune(w)
			for len(rw) > width { // a word longer than a line is cut
				if len(line) > 0 {
					out, line = append(out, string(line)), line[:0]
				}
				out, rw = append(out, string(rw[:width])), rw[width:]
			}
			if len(line) > 0 && len(line)+1+len(rw) > width {
				out, line = append(out, string(line)), line[:0]
			}
			if len(line) > 0 {
				line = append(line, ' ')
			}
			line = append(line, rw...)
		}
		if len(line) > 0 {
			out = append(out, string(line))
		}
	}
	if len(out) > max {
		out = append(out[:max-1], string([]rune(out[max-1])[:min(len([]rune(out[max-1])), width-1)])+"…")
	}
	return out
}

// shape is the menu's structure as a string: the keys, in order, with
// submenus in brackets. Menus of equal shape differ only in titles, checks
// and enabled flags, which can change in place.
func shape(items []item) string {
	var b strings.Builder
	var walk func([]item)
	walk = func(items []item) {
		for _, it := range items {
			b.WriteString(it.key)
			if it.kind == kindSubmenu {
				b.WriteByte('[')
				walk(it.children)
				b.WriteByte(']')
			}
			b.WriteByte(';')
		}
	}
	walk(items)
	return b.String()
}
